// tests/rtp_relay/flow_test.cc — pins the layout promises of rtp_relay/flow.h and its any-host rule.
#include "rtp_relay/flow.h"

#include <gtest/gtest.h>

namespace sipedge::relay {
namespace {

// A peer address with no family, 0.0.0.0 or :: means "latch on any host" (flow.h).
TEST(AnyHost, UnsetOrZeroAddressIsAnyHost) {
  EXPECT_TRUE(any_host(IpAddr{}));
  EXPECT_TRUE(any_host(*IpAddr::parse("0.0.0.0")));
  EXPECT_TRUE(any_host(*IpAddr::parse("::")));
  EXPECT_FALSE(any_host(*IpAddr::parse("0.0.0.1")));
  EXPECT_FALSE(any_host(*IpAddr::parse("2001:db8::1")));
}

TEST(FlowHandle, OwnerWordRoundTrips) {
  const FlowHandle h{123456, 789};
  EXPECT_EQ(unpack_owner(pack_owner(h)), h);
  EXPECT_NE(pack_owner(h), kNoOwner);
}

TEST(Flow, DirectionsAndCountersSitInTheirOwnCacheLines) {
  EXPECT_EQ(offsetof(Flow<false>, counters) % 64, 0u);
  EXPECT_EQ(sizeof(Direction<false>), 64u);
  EXPECT_EQ(offsetof(Flow<true>, counters) % 64, 0u);
  EXPECT_EQ(sizeof(SideCounters), 64u);
  EXPECT_EQ(alignof(Flow<true>), 64u);
}

}  // namespace
}  // namespace sipedge::relay
