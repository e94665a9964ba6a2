// tests/hw/drop_rules_test.cc — pins hw/drop_rules against an emulated NIC: a banned address's
// packets are dropped by the NIC on every port that takes drop rules, other sources pass, lifting
// removes the rules, the budget and refusing ports are counted, a port reset gets the rules back.
#include "hw/drop_rules.h"

#include <gtest/gtest.h>

#include "tests/rtp_relay/relay_test_util.h"
#include "tests/support/flow_emulator.h"

namespace sipedge::hw {
namespace {

using relay::test::frame;
using relay::test::ip;
using relay::test::mbuf_from;

// Whether the NIC drops a SIP datagram from `src` arriving on `port`.
bool nic_drops(test::FlowEmulator& nic, uint16_t port, const char* src) {
  relay::test::Udp u;
  u.src = ip(src);
  u.dst = ip(u.src.is_v6() ? "fd00:201::1" : "10.201.0.1");
  u.sport = 5070;
  u.dport = 5060;
  u.payload = {'O', 'P', 'T', 'I', 'O', 'N', 'S'};
  rte_mbuf* m = mbuf_from(frame(u), port);
  const size_t before = nic.dropped();
  nic.apply(port, m);
  rte_pktmbuf_free(m);
  return nic.dropped() == before + 1;
}

TEST(DropRules, BannedSourceDroppedOnEveryPortOthersPass) {
  test::FlowEmulator nic(test::FlowCaps::ice_like());
  DropRules drops(nic, {0, 1}, 100);
  EXPECT_TRUE(drops.add(ip("203.0.113.9")));
  EXPECT_TRUE(drops.add(ip("2001:db8::9")));
  EXPECT_TRUE(drops.add(ip("203.0.113.9"))) << "already in place";
  EXPECT_EQ(nic.rules(), 4u);
  EXPECT_TRUE(nic_drops(nic, 0, "203.0.113.9"));
  EXPECT_TRUE(nic_drops(nic, 1, "203.0.113.9"));
  EXPECT_TRUE(nic_drops(nic, 0, "2001:db8::9"));
  EXPECT_FALSE(nic_drops(nic, 0, "203.0.113.10"));
  EXPECT_FALSE(nic_drops(nic, 0, "2001:db8::10"));
  EXPECT_TRUE(drops.remove(ip("203.0.113.9")));
  EXPECT_FALSE(drops.remove(ip("203.0.113.9")));
  EXPECT_FALSE(nic_drops(nic, 0, "203.0.113.9"));
  EXPECT_EQ(nic.rules(), 2u);
  EXPECT_EQ(drops.addresses(), 1u);
}

TEST(DropRules, BudgetAndRefusingPortsAreCounted) {
  test::FlowEmulator nic(test::FlowCaps::ice_like());
  DropRules drops(nic, {0}, 2);
  EXPECT_TRUE(drops.add(ip("198.51.100.1")));
  EXPECT_TRUE(drops.add(ip("198.51.100.2")));
  EXPECT_FALSE(drops.add(ip("198.51.100.3")));
  EXPECT_EQ(drops.over_budget(), 1u);

  test::FlowEmulator none(test::FlowCaps::none());
  DropRules refused(none, {0}, 10);
  EXPECT_FALSE(refused.add(ip("198.51.100.1")));
  EXPECT_EQ(refused.refused(), 1u);
  EXPECT_FALSE(refused.last_refusal().empty());

  DropRules off(nic, {}, 10);
  EXPECT_FALSE(off.enabled());
  EXPECT_FALSE(off.add(ip("198.51.100.9")));
}

TEST(DropRules, PortResetGetsTheRulesBackAndDestructionLeavesNone) {
  test::FlowEmulator nic(test::FlowCaps::ice_like());
  {
    DropRules drops(nic, {0, 1}, 10);
    drops.add(ip("203.0.113.9"));
    nic.reset_port(0);
    EXPECT_FALSE(nic_drops(nic, 0, "203.0.113.9"));
    drops.reinstall(0);
    EXPECT_TRUE(nic_drops(nic, 0, "203.0.113.9"));
    EXPECT_EQ(nic.rules(), 2u);
  }
  EXPECT_EQ(nic.rules(), 0u);
}

}  // namespace
}  // namespace sipedge::hw
