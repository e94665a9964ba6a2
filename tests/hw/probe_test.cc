// tests/hw/probe_test.cc — pins hw/probe: on a port without rte_flow (net_ring, what CI has) it
// finds no rule kind and says why in the PMD's words; on emulated NIC families it finds the variant
// each one takes, from what rte_flow_validate answers (or, on a port with the async API, whether a
// template table of the rule can be built), never from the NIC's name.
#include "hw/probe.h"

#include <gtest/gtest.h>
#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <unistd.h>

#include <iostream>

#include "tests/support/eal_once.h"
#include "tests/support/flow_emulator.h"
#include "tests/support/ring_port.h"

namespace sipedge::hw {
namespace {

TEST(Probe, APortWithoutRteFlowTakesNoRuleKind) {
  ASSERT_TRUE(sipedge::test::start_eal()) << "rte_eal_init failed";
  test::RingPort access = test::create_ring_port("net_ring_probe_a", 1, 1);
  test::RingPort core = test::create_ring_port("net_ring_probe_c", 1, 1);
  RteFlowOps ops;
  const PortOffload p = probe_port(ops, access.port_id, core.port_id, 5060, 0);
  EXPECT_EQ(p.port_id, access.port_id);
  EXPECT_FALSE(p.steering);
  EXPECT_FALSE(p.drop);
  EXPECT_FALSE(p.media.has_value());
  EXPECT_FALSE(p.refusal.empty());
  EXPECT_EQ(describe(p), "port " + std::to_string(access.port_id) + ": steering no, drop no, media no (" +
                             p.refusal + ")");
  test::destroy_ring_port(access);
  test::destroy_ring_port(core);
}

// net_tap answers rte_flow through the kernel's TC: it may take steering and drop rules, never a
// media rule (TC flower here has no header rewrite through the PMD), so media stays in software.
TEST(Probe, ATapPortTakesNoMediaRule) {
  ASSERT_TRUE(sipedge::test::start_eal()) << "rte_eal_init failed";
  if (access("/dev/net/tun", R_OK | W_OK) != 0 || geteuid() != 0) GTEST_SKIP() << "net_tap needs root and /dev/net/tun";
  const std::string name = "net_tap_probe" + std::to_string(getpid() % 100000);
  const std::string args = "iface=sptap" + std::to_string(getpid() % 100000);
  ASSERT_EQ(rte_vdev_init(name.c_str(), args.c_str()), 0) << "cannot create " << name;
  uint16_t port_id = 0;
  ASSERT_EQ(rte_eth_dev_get_port_by_name(name.c_str(), &port_id), 0);
  RteFlowOps ops;
  const PortOffload p = probe_port(ops, port_id, port_id, 5060, 0);
  std::cerr << "  " << describe(p) << "\n";
  EXPECT_FALSE(p.media.has_value());
  EXPECT_EQ(p.async_ops, 0u);
  EXPECT_FALSE(p.refusal.empty()) << "why media was refused, in the PMD's words";
  rte_eth_dev_close(port_id);
  rte_vdev_uninit(name.c_str());
}

TEST(Probe, EachNicFamilyGetsTheVariantItValidates) {
  struct Case {
    test::FlowCaps caps;
    const char* want;
  };
  const Case cases[] = {
      {test::FlowCaps::mlx5_like(), "port 0: steering yes, drop yes, media MODIFY_FIELD + AGE + PORT_ID"},
      {test::FlowCaps::mlx5_hws_like(),
       "port 0: steering no, drop no, media MODIFY_FIELD + AGE + PORT_ID (async, queue of 64) "
       "(mlx5-hws-like: synchronous flow API not available (template mode))"},
      {test::FlowCaps::ntnic_like(), "port 0: steering yes, drop yes, media MODIFY_FIELD + AGE + PORT_ID"},
      {test::FlowCaps::sfc_like(), "port 0: steering yes, drop yes, media SET_* + COUNT polling + PORT_ID"},
      {test::FlowCaps::ice_like(), "port 0: steering yes, drop yes, media no (ice-like: no transfer rules)"},
      {test::FlowCaps::none(), "port 0: steering no, drop no, media no (Function not implemented)"},
  };
  for (const Case& c : cases) {
    test::FlowEmulator nic(c.caps);
    EXPECT_EQ(describe(probe_port(nic, 0, 1, 5060, 0)), c.want) << c.caps.name;
    EXPECT_EQ(nic.rules(), 0u) << "probing installs nothing";
    EXPECT_EQ(nic.tables(), 0u) << "the template tables built to probe are gone";
  }
}

TEST(Probe, DescribesTheVariantAPortTook) {
  PortOffload p;
  p.port_id = 3;
  p.steering = p.drop = true;
  p.media = RuleVariant{RewriteKind::SetField, AgingKind::CountPoll, EgressKind::RepresentedPort, 0};
  EXPECT_EQ(describe(p), "port 3: steering yes, drop yes, media SET_* + COUNT polling + REPRESENTED_PORT");
}

}  // namespace
}  // namespace sipedge::hw
