// tests/control/runtime_ban_mirror_test.cc — pins control/runtime/ban_mirror.cc: what the control
// plane's BanList decides reaches the lanes' BanTable and the NIC's drop rules, and leaves both when
// the ban ends or is lifted; trusted sources never get there.
#include "control/runtime/ban_mirror.h"

#include <gtest/gtest.h>

#include <rte_cycles.h>

#include "tests/support/eal_once.h"
#include "tests/support/flow_emulator.h"

namespace sipedge::control {
namespace {

TEST(BanMirror, BansReachTheLanesAndTheNicAndLeaveBoth) {
  ASSERT_TRUE(sipedge::test::start_eal()) << "rte_eal_init failed (the TSC rate comes from EAL)";
  const std::vector<IpPrefix> trusted{*IpPrefix::parse("10.202.0.0/24")};
  BanList bans(BanConfig{60, 600}, trusted);
  dataplane::BanTable table(64);
  test::FlowEmulator nic(test::FlowCaps::ice_like());
  hw::DropRules drops(nic, {0, 1}, 16);
  const uint64_t hz = rte_get_tsc_hz();
  BanMirror mirror(table, hz, &drops);
  bans.set_sink(&mirror);

  const IpAddr a = *IpAddr::parse("203.0.113.9"), b = *IpAddr::parse("2001:db8::9");
  bans.ban(a, "auth-failures", 1000);
  bans.ban(b, "operator", 1000);
  EXPECT_EQ(bans.ban(*IpAddr::parse("10.202.0.2"), "x", 1000), nullptr);
  const uint64_t now = rte_rdtsc();
  EXPECT_TRUE(table.banned(a, now));
  EXPECT_TRUE(table.banned(b, now));
  EXPECT_FALSE(table.banned(a, now + 61 * hz)) << "the lanes' copy ends with the ban";
  EXPECT_TRUE(table.banned(a, now + 59 * hz));
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(nic.rules(), 4u) << "one rule per address per port";

  EXPECT_TRUE(bans.lift(b));
  EXPECT_FALSE(table.banned(b, now));
  EXPECT_EQ(nic.rules(), 2u);
  bans.expire(1000 + 60 * 1000);
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(nic.rules(), 0u);
  EXPECT_EQ(mirror.table_full(), 0u);
}

}  // namespace
}  // namespace sipedge::control
