// tests/support/vhost_bridge.cc — test support, its own process (main lcore only). The vhost-user
// end of the end-to-end suite's virtio_user ports (tests/e2e/run --ports virtio): for each pair
// SOCKET=IFACE it serves a vhost-user socket (net_vhost) that sipedge's net_virtio_user port joins,
// and relays every frame between it and the veth IFACE (net_af_packet), both ways, unchanged. With
// queues=N (sipedge's ports then have N queue pairs) it takes what sipedge sends on each of its N
// TX queues, and delivers on its first RX queue. It
// stands where the kernel's vhost-net would be (virtio_user with vhost-kernel, as in the design
// card), which this machine's kernel does not have. Memory is memfd-backed (--no-huge), so no
// hugepages are needed on either side. Runs until SIGTERM or SIGINT.
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr uint16_t kBurst = 32;
constexpr uint16_t kDescriptors = 1024;
// af_packet hands over what the kernel reassembled (PACKET_FANOUT_FLAG_DEFRAG): up to 16 KiB frames,
// as sipedge's own af_packet ports take them (dataplane/eal.h).
constexpr uint32_t kFrame = 16384;
constexpr uint32_t kMbufs = 8191;

std::atomic<bool> quit{false};
void on_signal(int) { quit.store(true); }

struct Pair {
  uint16_t vhost;
  uint16_t veth;
};

bool start_port(uint16_t port, rte_mempool* pool, uint16_t queues) {
  rte_eth_conf conf{};
  if (rte_eth_dev_configure(port, queues, queues, &conf) != 0) return false;
  const int socket = rte_eth_dev_socket_id(port);
  const unsigned socket_id = socket < 0 ? 0 : static_cast<unsigned>(socket);
  for (uint16_t q = 0; q < queues; ++q) {
    if (rte_eth_rx_queue_setup(port, q, kDescriptors, socket_id, nullptr, pool) != 0) return false;
    if (rte_eth_tx_queue_setup(port, q, kDescriptors, socket_id, nullptr) != 0) return false;
  }
  if (rte_eth_dev_start(port) != 0) return false;
  // sipedge's port has a MAC of its own, not the veth's: the veth end must take its frames.
  rte_eth_promiscuous_enable(port);
  return true;
}

// One burst from RX queue `queue` of `from` to `to`; what `to` does not take is dropped. Frames moved.
uint16_t relay(uint16_t from, uint16_t to, uint16_t queue = 0) {
  rte_mbuf* pkts[kBurst];
  const uint16_t n = rte_eth_rx_burst(from, queue, pkts, kBurst);
  if (n == 0) return 0;
  const uint16_t sent = rte_eth_tx_burst(to, 0, pkts, n);
  for (uint16_t i = sent; i < n; ++i) rte_pktmbuf_free(pkts[i]);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  // vhost_bridge PREFIX [queues=N] SOCKET=IFACE...
  int first = 2;
  uint16_t queues = 1;
  if (argc > 2 && std::strncmp(argv[2], "queues=", 7) == 0) {
    const int n = std::atoi(argv[2] + 7);
    if (n < 1 || n > 8) {
      std::fprintf(stderr, "vhost_bridge: queues=%s: expected 1 to 8\n", argv[2] + 7);
      return 2;
    }
    queues = static_cast<uint16_t>(n);
    first = 3;
  }
  if (argc <= first) {
    std::fprintf(stderr, "usage: vhost_bridge FILE_PREFIX [queues=N] SOCKET=IFACE...\n");
    return 2;
  }
  std::vector<std::string> eal = {"vhost_bridge", "--no-huge", "-m", "512", "--no-pci", "-l", "0",
                                  std::string("--file-prefix=") + argv[1], "--log-level=error"};
  std::vector<std::string> names;
  for (int i = first; i < argc; ++i) {
    const std::string pair = argv[i];
    const size_t eq = pair.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "vhost_bridge: '%s' is not SOCKET=IFACE\n", pair.c_str());
      return 2;
    }
    const std::string n = std::to_string(i - first);
    eal.push_back("--vdev=net_vhost" + n + ",iface=" + pair.substr(0, eq) + ",queues=" + std::to_string(queues));
    eal.push_back("--vdev=net_af_packet" + n + ",iface=" + pair.substr(eq + 1) +
                  ",qpairs=1,framesz=" + std::to_string(kFrame) + ",blocksz=" + std::to_string(kFrame) + ",framecnt=512");
    names.push_back(n);
  }
  std::vector<char*> args;
  for (std::string& a : eal) args.push_back(a.data());
  if (rte_eal_init(static_cast<int>(args.size()), args.data()) < 0) {
    std::fprintf(stderr, "vhost_bridge: rte_eal_init failed\n");
    return 1;
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  rte_mempool* pool = rte_pktmbuf_pool_create("vb_mbufs", kMbufs, 256, 0, kFrame + RTE_PKTMBUF_HEADROOM,
                                              static_cast<int>(rte_socket_id()));
  if (pool == nullptr) {
    std::fprintf(stderr, "vhost_bridge: no mbuf pool\n");
    return 1;
  }
  std::vector<Pair> pairs;
  for (const std::string& n : names) {
    Pair p{};
    if (rte_eth_dev_get_port_by_name(("net_vhost" + n).c_str(), &p.vhost) != 0 ||
        rte_eth_dev_get_port_by_name(("net_af_packet" + n).c_str(), &p.veth) != 0 ||
        !start_port(p.vhost, pool, queues) || !start_port(p.veth, pool, 1)) {
      std::fprintf(stderr, "vhost_bridge: cannot start pair %s\n", n.c_str());
      return 1;
    }
    pairs.push_back(p);
  }
  std::fprintf(stderr, "vhost_bridge: %zu pair(s) up\n", pairs.size());
  unsigned idle = 0;
  while (!quit.load()) {
    unsigned moved = 0;
    for (const Pair& p : pairs) {
      for (uint16_t q = 0; q < queues; ++q) moved += relay(p.vhost, p.veth, q);
      moved += relay(p.veth, p.vhost);
    }
    // Idle: give the cores back to sipedge and SIPp (2 cores on CI), but stay quick after traffic.
    idle = moved ? 0 : idle + 1;
    if (idle > 1000) usleep(50);
  }
  for (const Pair& p : pairs) {
    rte_eth_dev_stop(p.vhost);
    rte_eth_dev_stop(p.veth);
  }
  rte_eal_cleanup();
  return 0;
}
