// tests/rtp_relay/flow_test.cc — pins rtp_relay/flow.cc and the layout promises of flow.h.
#include "rtp_relay/flow.h"

#include <gtest/gtest.h>

namespace sipedge::relay {
namespace {

TEST(IpAddress, ParsesBothVersionsInNetworkOrder) {
  auto v4 = IpAddress::parse("192.0.2.33");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->version, 4);
  EXPECT_EQ(*v4, IpAddress::v4(192, 0, 2, 33));
  auto v6 = IpAddress::parse("2001:db8::1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->version, 6);
  const std::array<uint8_t, 16> want = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(v6->bytes, want);
}

TEST(IpAddress, RejectsWhatIsNotAnAddress) {
  EXPECT_FALSE(IpAddress::parse("").has_value());
  EXPECT_FALSE(IpAddress::parse("192.0.2").has_value());
  EXPECT_FALSE(IpAddress::parse("example.com").has_value());
  EXPECT_FALSE(IpAddress::parse("2001:db8::1::2").has_value());
  EXPECT_FALSE(IpAddress::parse(std::string(100, '1')).has_value());
}

TEST(IpAddress, ZeroAddressMeansAnyHost) {
  EXPECT_TRUE(IpAddress::parse("0.0.0.0")->is_unspecified());
  EXPECT_TRUE(IpAddress::parse("::")->is_unspecified());
  EXPECT_FALSE(IpAddress::parse("0.0.0.1")->is_unspecified());
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
