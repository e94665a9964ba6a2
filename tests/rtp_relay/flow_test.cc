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

// A relayed IPv4 packet reads and writes one line of its flow (flow.h Direction); what control
// writes (owner, idle mark) shares no line with a direction.
TEST(Flow, EachDirectionWithItsCountersIsOneCacheLine) {
  EXPECT_EQ(sizeof(Direction<false>), 64u);
  EXPECT_EQ(alignof(Direction<false>), 64u);
  EXPECT_EQ(offsetof(Direction<false>, counters) + sizeof(DirectionCounters), 64u);
  EXPECT_EQ(offsetof(Flow<false>, control) % 64, 0u);
  EXPECT_EQ(offsetof(Flow<true>, control) % 64, 0u);
  EXPECT_EQ(alignof(Flow<true>), 64u);
  EXPECT_EQ(sizeof(Flow<false>), 256u);
}

TEST(Flow, AnIpv4DestinationIsReplacedWhole) {
  Destination<false> d;
  EXPECT_EQ(d.load().port_be, 0);
  d.set(Peer<false>{0x0a000001, 0x1234});
  EXPECT_EQ(d.load().addr, 0x0a000001u);
  EXPECT_EQ(d.load().port_be, 0x1234);
  d.latch(Peer<false>{0xc0a80101, 0xffff});
  EXPECT_EQ(d.load().addr, 0xc0a80101u);
  EXPECT_EQ(d.load().port_be, 0xffff);
  Destination<false> copy;
  copy.copy_from(d);
  EXPECT_EQ(copy.load().addr, 0xc0a80101u);
}

TEST(Flow, AnIpv6DestinationSendsToTheLatchedPeerOnceLatched) {
  Destination<true> d;
  const Peer<true> sdp{Ip6Raw{1, 2}, 0x1000};
  const Peer<true> nat{Ip6Raw{3, 4}, 0x2000};
  // What a destination set from the same SDP sends to after copying `d` (update_flow's use).
  auto copied_addr = [&] {
    Destination<true> copy;
    copy.set(sdp);
    copy.copy_from(d);
    return copy.load().addr;
  };
  d.set(sdp);
  EXPECT_EQ(d.load().addr, sdp.addr);
  EXPECT_EQ(copied_addr(), sdp.addr);
  d.latch(nat);
  EXPECT_EQ(d.load().addr, nat.addr);
  EXPECT_EQ(d.load().port_be, 0x2000);
  EXPECT_EQ(copied_addr(), nat.addr);
  d.set(sdp);
  EXPECT_EQ(d.load().addr, sdp.addr);
}

}  // namespace
}  // namespace sipedge::relay
