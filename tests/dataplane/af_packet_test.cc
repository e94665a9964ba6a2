// tests/dataplane/af_packet_test.cc — the dataplane over net_af_packet on a devnet veth (needs root
// and iproute2): the namespace's kernel resolves our address by ARP and its UDP datagrams to 5060,
// small and fragmented, arrive whole on the control ring; media from the access namespace is relayed
// by rtp_relay into the core namespace. Each test owns uniquely named namespaces, opens its ports
// from inside its own gateway namespace (as sipedge runs, scripts/devnet), and removes them always.
#include <rte_bus_vdev.h>
#include <sched.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "dataplane/eal.h"
#include "dataplane/media_relay.h"
#include "tests/support/dataplane_fixture.h"

namespace sipedge::dataplane::test {
namespace {

const std::string kDevnet = std::string(SIPEDGE_TEST_DATA_DIR) + "/../../scripts/devnet";

bool have_tools() { return geteuid() == 0 && std::system("command -v ip >/dev/null 2>&1") == 0; }

std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) {
    return out;
  }
  char buf[256];
  while (fgets(buf, sizeof(buf), f) != nullptr) {
    out += buf;
  }
  pclose(f);
  return out;
}

pid_t spawn(const std::string& cmd, int* stdout_fd) {
  int fds[2] = {-1, -1};
  if (stdout_fd != nullptr && pipe(fds) != 0) {
    return -1;
  }
  pid_t child = fork();
  if (child == 0) {
    if (stdout_fd != nullptr) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
    }
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (stdout_fd != nullptr) {
    close(fds[1]);
    *stdout_fd = fds[0];
  }
  return child;
}

// Removes the namespaces even when an assertion fails (destructor).
struct DevnetGuard {
  std::string name;
  ~DevnetGuard() { std::system((kDevnet + " down " + name + " >/dev/null 2>&1").c_str()); }
};

// Moves the calling thread into the devnet's gateway namespace while it lives. The af_packet PMD
// creates its sockets and renames/reconfigures the interface (MTU, promiscuous) by name on the
// calling thread, so the whole dataplane lifetime runs in there. Fanout group ids are per namespace:
// two tests running side by side can no longer pick the same one (DPDK uses pid ^ ifindex).
class NetnsGuard {
 public:
  explicit NetnsGuard(const std::string& ns) {
    saved_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    const int target = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    entered_ = saved_ >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0;
    if (target >= 0) {
      close(target);
    }
  }
  ~NetnsGuard() {
    if (entered_) {
      setns(saved_, CLONE_NEWNET);
    }
    if (saved_ >= 0) {
      close(saved_);
    }
  }
  bool entered() const { return entered_; }

 private:
  int saved_ = -1;
  bool entered_ = false;
};

// af_packet devargs as sipedge gives them (eal.h: frames large enough for reassembled SIP).
std::string af_packet_args(const std::string& iface) {
  const std::string frame = std::to_string(kAfPacketFrameBytes);
  return "iface=" + iface + ",qpairs=2,blocksz=" + frame + ",framesz=" + frame + ",framecnt=" +
         std::to_string(kAfPacketFrameCount);
}

TEST(AfPacket, NamespaceKernelResolvesUsByArpAndItsSipDatagramsArriveWholeEvenFragmented) {
  if (!have_tools()) {
    GTEST_SKIP() << "needs root and iproute2 ('ip') to create network namespaces";
  }
  ASSERT_TRUE(sipedge::test::start_eal()) << "rte_eal_init failed";
  DevnetGuard net{"dpt" + std::to_string(getpid() % 1000000)};
  ASSERT_EQ(std::system((kDevnet + " up " + net.name + " >/dev/null").c_str()), 0);
  NetnsGuard inside(net.name + "-gw");
  ASSERT_TRUE(inside.entered());
  std::string gw = net.name + "-ag";
  std::string vdev = "net_af_packet_" + gw;
  ASSERT_EQ(rte_vdev_init(vdev.c_str(), af_packet_args(gw).c_str()), 0);

  DataplaneConfig cfg;
  PortConfig a;
  a.device = vdev;
  a.ipv4 = IpPrefix::parse("10.201.0.1/24");
  cfg.ports = {a};
  cfg.mbufs = 2047;
  cfg.jumbo_mbufs = 3;
  cfg.sip_items = 15;
  parser::HandScanner scanner;
  {
    Dataplane dp(cfg, scanner);
    // Three OPTIONS of 300, 6000 and 12000 bytes: the namespace's kernel fragments the two large
    // ones at its 1500-byte MTU, and they must reach control whole (the PMD's kernel defrag
    // delivers them reassembled, in frames large enough to hold them).
    const std::vector<size_t> sizes{300, 6000, 12000};
    std::string py =
        "import socket\n"
        "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
        "for n in (300,6000,12000):\n"
        "  h='OPTIONS sip:x SIP/2.0\\r\\nVia: SIP/2.0/UDP 10.201.0.2:5062;branch=z9hG4bK%d\\r\\n"
        "From: <sip:a@x>;tag=1\\r\\nTo: <sip:x>\\r\\nCall-ID: c%d\\r\\nCSeq: 1 OPTIONS\\r\\n"
        "Max-Forwards: 70\\r\\nContent-Length: 0\\r\\nX-Pad: ' % (n, n)\n"
        "  m=h+'p'*(n-len(h)-4)+'\\r\\n\\r\\n'\n"
        "  s.sendto(m.encode(),('10.201.0.1',5060))\n";
    pid_t child = spawn("ip netns exec " + net.name + "-acc python3 -c \"" + py + "\"", nullptr);
    ASSERT_GT(child, 0);
    // Poll until the datagrams arrive; bounded by 5 s of TSC so a broken setup cannot hang.
    uint64_t limit = rte_rdtsc() + 5 * rte_get_tsc_hz();
    std::vector<SipItem*> items;
    int status = -1;
    bool exited = false;
    while (rte_rdtsc() < limit && (items.size() < sizes.size() || !exited)) {
      uint64_t now = rte_rdtsc();
      dp.poll_control_lanes(now);
      SipItem* got[4];
      unsigned n = receive_sip(dp.shared(), got);
      items.insert(items.end(), got, got + n);
      if (!exited && waitpid(child, &status, WNOHANG) == child) {
        exited = true;
      }
    }
    if (!exited) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
    }
    std::string seen;
    for (unsigned e = 0; e < kEventCount; ++e) {
      if (uint64_t n = dp.total(0, static_cast<Event>(e))) {
        seen += " " + std::string(event_name(static_cast<Event>(e))) + "=" + std::to_string(n);
      }
    }
    for (unsigned d = 0; d < kDropCount; ++d) {
      if (uint64_t n = dp.total(0, static_cast<Drop>(d))) {
        seen += " " + std::string(drop_name(static_cast<Drop>(d))) + "=" + std::to_string(n);
      }
    }
    EXPECT_GE(dp.total(0, Event::ArpReplied), 1u) << seen;
    ASSERT_EQ(items.size(), sizes.size()) << "SIP datagrams missing over af_packet; counters:" << seen
                                          << "; sender exit status " << status;
    for (size_t i = 0; i < items.size(); ++i) {
      EXPECT_EQ(items[i]->src, *IpAddr::parse("10.201.0.2"));
      EXPECT_EQ(items[i]->dst_port, 5060);
      EXPECT_EQ(items[i]->msg.bytes().size(), sizes[i]);
      EXPECT_EQ(items[i]->scan.status, parser::ScanStatus::Complete) << parser::fault_name(items[i]->scan.fault);
      EXPECT_EQ(items[i]->msg.bytes().substr(0, 7), "OPTIONS");
      release_sip(dp.shared(), items[i]);
    }
    EXPECT_EQ(dp.total(0, Drop::Truncated), 0u) << seen;
  }
  rte_vdev_uninit(vdev.c_str());
}

TEST(AfPacket, RelaysMediaFromTheAccessNamespaceIntoTheCoreNamespace) {
  if (!have_tools() || std::system("command -v python3 >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs root, iproute2 ('ip') and python3 (UDP listener in the core namespace)";
  }
  ASSERT_TRUE(sipedge::test::start_eal()) << "rte_eal_init failed";
  DevnetGuard net{"dpr" + std::to_string(getpid() % 1000000)};
  ASSERT_EQ(std::system((kDevnet + " up " + net.name + " >/dev/null").c_str()), 0);
  NetnsGuard inside(net.name + "-gw");
  ASSERT_TRUE(inside.entered());
  std::string acc_vdev = "net_af_packet_" + net.name + "-ag";
  std::string core_vdev = "net_af_packet_" + net.name + "-cg";
  ASSERT_EQ(rte_vdev_init(acc_vdev.c_str(), af_packet_args(net.name + "-ag").c_str()), 0);
  ASSERT_EQ(rte_vdev_init(core_vdev.c_str(), af_packet_args(net.name + "-cg").c_str()), 0);
  // The core namespace's MAC: what control would have resolved by ARP before installing the flow.
  std::string link = run_capture("ip -n " + net.name + "-core -o link show eth0");
  size_t at = link.find("link/ether ");
  ASSERT_NE(at, std::string::npos) << link;
  rte_ether_addr core_peer_mac{};
  ASSERT_EQ(rte_ether_unformat_addr(link.substr(at + 11, 17).c_str(), &core_peer_mac), 0);

  DataplaneConfig cfg;
  PortConfig a, c;
  a.device = acc_vdev;
  a.ipv4 = IpPrefix::parse("10.201.0.1/24");
  c.device = core_vdev;
  c.role = PortRole::Core;
  c.ipv4 = IpPrefix::parse("10.202.0.1/24");
  cfg.ports = {a, c};
  cfg.media_port_min = 20000;
  cfg.media_port_max = 20099;
  cfg.mbufs = 2047;
  cfg.jumbo_mbufs = 3;
  cfg.sip_items = 15;
  parser::HandScanner scanner;
  {
    Dataplane dp(cfg, scanner);
    relay::FlowTableConfig fc;
    fc.name = "dpt_afp_relay";
    fc.ipv4_flows = 16;
    fc.ipv6_flows = 16;
    fc.max_readers = 4;
    auto table = relay::FlowTable::create(fc);
    ASSERT_TRUE(table.ok());
    {
      MediaRelay media(*table.value(), dp.shared(), dp.media_lanes());
      dp.set_media_handler(media.handler());
      relay::FlowSpec spec;
      spec.side[0].port_id = dp.iface(0).port_id;
      spec.side[0].local_addr = *IpAddr::parse("10.201.0.1");
      spec.side[0].local_port = 20000;
      spec.side[0].remote_addr = *IpAddr::parse("10.201.0.2");
      spec.side[0].latch = relay::LatchMode::Latch;
      spec.side[0].local_mac = dp.iface(0).mac;
      spec.side[1].port_id = dp.iface(1).port_id;
      spec.side[1].local_addr = *IpAddr::parse("10.202.0.1");
      spec.side[1].local_port = 20002;
      spec.side[1].remote_addr = *IpAddr::parse("10.202.0.2");
      spec.side[1].remote_port = 30000;
      spec.side[1].latch = relay::LatchMode::Off;
      spec.side[1].local_mac = dp.iface(1).mac;
      spec.side[1].next_hop_mac = core_peer_mac;
      ASSERT_TRUE(table.value()->add_flow(spec, rte_rdtsc()).ok());

      int listener_out = -1;
      pid_t listener = spawn("ip netns exec " + net.name +
                                 "-core python3 -c \"import socket,sys\n"
                                 "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                                 "s.bind(('10.202.0.2',30000)); s.settimeout(4)\n"
                                 "print('ready',flush=True)\n"
                                 "d,a=s.recvfrom(100); print(d.decode(),a[0],a[1],flush=True)\"",
                             &listener_out);
      ASSERT_GT(listener, 0);
      FILE* lf = fdopen(listener_out, "r");
      char line[256] = {};
      ASSERT_NE(fgets(line, sizeof(line), lf), nullptr);
      ASSERT_STREQ(line, "ready\n");
      pid_t sender = spawn("ip netns exec " + net.name +
                               "-acc bash -c 'for i in 1 2 3; do echo -n relayed > /dev/udp/10.201.0.1/20000; done'",
                           nullptr);
      ASSERT_GT(sender, 0);
      uint64_t limit = rte_rdtsc() + 5 * rte_get_tsc_hz();
      int status = -1;
      bool listener_done = false;
      while (rte_rdtsc() < limit && !listener_done) {
        dp.poll_control_lanes(rte_rdtsc());
        listener_done = waitpid(listener, &status, WNOHANG) == listener;
      }
      if (!listener_done) {
        kill(listener, SIGKILL);
        waitpid(listener, &status, 0);
      }
      waitpid(sender, nullptr, 0);
      std::string got = fgets(line, sizeof(line), lf) != nullptr ? line : "";
      fclose(lf);
      EXPECT_EQ(got, "relayed 10.202.0.1 20002\n")
          << "relay forwarded " << media.totals().forwarded_packets << ", NoFlow "
          << media.totals().drop(relay::RelayDrop::NoFlow);
      EXPECT_GE(media.totals().forwarded_packets, 1u);
      EXPECT_EQ(media.totals().latched, 1u);
    }
    dp.set_media_handler({});
  }
  rte_vdev_uninit(acc_vdev.c_str());
  rte_vdev_uninit(core_vdev.c_str());
}

}  // namespace
}  // namespace sipedge::dataplane::test
