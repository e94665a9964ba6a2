// tests/hw/probe_test.cc — pins hw/probe on a port without rte_flow (net_ring, what CI has): it
// takes no rule kind, says why in the PMD's words, and sipedge stays on the software relay.
#include "hw/probe.h"

#include <gtest/gtest.h>

#include "tests/support/eal_once.h"
#include "tests/support/ring_port.h"

namespace sipedge::hw {
namespace {

TEST(Probe, APortWithoutRteFlowTakesNoRuleKind) {
  ASSERT_TRUE(sipedge::test::start_eal()) << "rte_eal_init failed";
  test::RingPort access = test::create_ring_port("net_ring_probe_a", 1, 1);
  test::RingPort core = test::create_ring_port("net_ring_probe_c", 1, 1);
  const PortOffload p = probe_port(access.port_id, core.port_id, 5060, 0);
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

TEST(Probe, DescribesTheVariantAPortTook) {
  PortOffload p;
  p.port_id = 3;
  p.steering = p.drop = true;
  p.media = RuleVariant{RewriteKind::SetField, AgingKind::CountPoll, EgressKind::RepresentedPort, 0};
  EXPECT_EQ(describe(p), "port 3: steering yes, drop yes, media SET_* + COUNT polling + REPRESENTED_PORT");
}

}  // namespace
}  // namespace sipedge::hw
