// tests/dataplane/af_packet_test.cc — the dataplane over net_af_packet on a devnet veth (needs root
// and iproute2): the namespace's kernel resolves our address by ARP and its UDP datagram to 5060
// arrives on the control ring. The test owns uniquely named namespaces and removes them always.
#include <rte_bus_vdev.h>
#include <sys/wait.h>

#include <cstdlib>

#include "tests/dataplane/dp_fixture.h"

namespace sipedge::dataplane::test {
namespace {

const std::string kDevnet = std::string(SIPEDGE_TEST_DATA_DIR) + "/../../scripts/devnet";

bool have_tools() { return geteuid() == 0 && std::system("command -v ip >/dev/null 2>&1") == 0; }

// Removes the namespaces even when an assertion fails (destructor).
struct DevnetGuard {
  std::string name;
  ~DevnetGuard() { std::system((kDevnet + " down " + name + " >/dev/null 2>&1").c_str()); }
};

TEST(AfPacket, NamespaceKernelResolvesUsByArpAndItsSipDatagramReachesControl) {
  if (!have_tools()) {
    GTEST_SKIP() << "needs root and iproute2 ('ip') to create network namespaces";
  }
  DevnetGuard net{"dpt" + std::to_string(getpid() % 1000000)};
  ASSERT_EQ(std::system((kDevnet + " up " + net.name + " >/dev/null").c_str()), 0);
  std::string gw = net.name + "-ag";
  std::string vdev = "net_af_packet_" + gw;
  ASSERT_EQ(rte_vdev_init(vdev.c_str(), ("iface=" + gw + ",qpairs=2").c_str()), 0);

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
    std::string cmd = "ip netns exec " + net.name +
                      "-acc bash -c 'echo -n \"OPTIONS sip:x SIP/2.0\" > /dev/udp/10.201.0.1/5060'";
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Poll until the datagram arrives; bounded by 5 s of TSC so a broken setup cannot hang.
    uint64_t limit = rte_rdtsc() + 5 * rte_get_tsc_hz();
    SipItem* item = nullptr;
    int status = -1;
    bool exited = false;
    while (rte_rdtsc() < limit && (item == nullptr || !exited)) {
      uint64_t now = rte_rdtsc();
      dp.poll_control(now);
      if (item == nullptr) {
        SipItem* got[1];
        if (dp.control().receive_sip(got) == 1) {
          item = got[0];
        }
      }
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
    ASSERT_NE(item, nullptr) << "no SIP datagram arrived over af_packet; counters:" << seen
                             << "; sender exit status " << status;
    EXPECT_EQ(item->src, *IpAddr::parse("10.201.0.2"));
    EXPECT_EQ(item->dst_port, 5060);
    EXPECT_EQ(item->msg.bytes().substr(0, 7), "OPTIONS");
    dp.control().release(item);
  }
  rte_vdev_uninit(vdev.c_str());
}

}  // namespace
}  // namespace sipedge::dataplane::test
