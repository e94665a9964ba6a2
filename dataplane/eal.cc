// dataplane/eal.cc — startup (main thread) only. Builds the EAL command line from config and starts
// EAL; failures throw (startup edge), nothing here runs per packet.
#include "dataplane/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>

#include <fstream>
#include <stdexcept>

namespace sipedge::dataplane {

bool hugepages_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  while (in >> key) {
    if (key == "HugePages_Free:") {
      long n = 0;
      in >> n;
      return n > 0;
    }
    in.ignore(256, '\n');
  }
  return false;
}

std::string with_af_packet_frames(const std::string& vdev) {
  const bool af_packet = vdev.starts_with("net_af_packet") || vdev.starts_with("eth_af_packet");
  if (!af_packet || vdev.find("framesz=") != std::string::npos) {
    return vdev;
  }
  const std::string frame = std::to_string(kAfPacketFrameBytes);
  return vdev + ",blocksz=" + frame + ",framesz=" + frame + ",framecnt=" + std::to_string(kAfPacketFrameCount);
}

std::vector<std::string> eal_args(const EalConfig& cfg) {
  std::vector<std::string> args{"sipedge"};
  // -l main,w1,w2,s1 and --main-lcore: the first is the control lcore (shard 0, DESIGN §2), then
  // the workers and the other control shards.
  std::string lcores = std::to_string(cfg.main_lcore);
  for (unsigned w : cfg.worker_lcores) {
    lcores += "," + std::to_string(w);
  }
  for (unsigned s : cfg.shard_lcores) {
    lcores += "," + std::to_string(s);
  }
  args.push_back("-l");
  args.push_back(lcores);
  args.push_back("--main-lcore");
  args.push_back(std::to_string(cfg.main_lcore));
  bool no_huge = cfg.no_huge.has_value() ? *cfg.no_huge : !hugepages_available();
  if (no_huge) {
    args.push_back("--no-huge");
  }
  args.push_back("-m");
  args.push_back(std::to_string(cfg.memory_mb));
  if (cfg.no_pci) {
    args.push_back("--no-pci");
  }
  if (cfg.in_memory) {
    // EAL refuses --in-memory with --no-huge (it implies legacy memory); without hugepages there
    // are no hugepage files anyway, so --no-shconf gives the same isolation.
    args.push_back(no_huge ? "--no-shconf" : "--in-memory");
  }
  args.push_back("--file-prefix=" + cfg.file_prefix);
  for (const std::string& v : cfg.vdevs) {
    args.push_back("--vdev=" + with_af_packet_frames(v));
  }
  for (const std::string& p : cfg.pci_allow) {
    args.push_back("-a");
    args.push_back(p);
  }
  if (!cfg.log_level.empty()) {
    args.push_back("--log-level=" + cfg.log_level);
  }
  for (const std::string& e : cfg.extra_args) {
    args.push_back(e);
  }
  return args;
}

void eal_init(const EalConfig& cfg) {
  std::vector<std::string> args = eal_args(cfg);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  int rc = rte_eal_init(static_cast<int>(args.size()), argv.data());
  if (rc < 0) {
    throw std::runtime_error(std::string("rte_eal_init failed: ") + rte_strerror(rte_errno));
  }
}

}  // namespace sipedge::dataplane
