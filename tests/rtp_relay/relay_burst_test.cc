// tests/rtp_relay/relay_burst_test.cc — pins rtp_relay/relay_burst.cc: exact bytes out for bytes in
// (VPP pnat style), one verdict and one counter per packet, latching and strict source (DESIGN §3).
#include "rtp_relay/relay_burst.h"

#include <functional>
#include <optional>

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_hash.h>

#include "tests/rtp_relay/relay_test_util.h"

namespace sipedge::relay {
namespace {

using test::frame;
using test::ip;
using test::mac;
using test::Udp;

constexpr uint16_t kAccess = 0;  // DPDK port facing the phone
constexpr uint16_t kCore = 1;    // DPDK port facing the softswitch

// The call leg used by most cases: phone behind NAT on the access side (latching), softswitch on
// the core side (no latching). IPv4 or IPv6 addresses of the same shape.
struct Addrs {
  const char* access_local;
  const char* phone;
  const char* core_local;
  const char* softswitch;
};
constexpr Addrs kV4{"203.0.113.10", "198.51.100.20", "10.0.0.10", "10.0.0.20"};
constexpr Addrs kV6{"2001:db8:a::10", "2001:db8:b::20", "2001:db8:c::10", "2001:db8:c::20"};

FlowSpec leg_spec(const Addrs& a, uint16_t access_port, uint16_t phone_port, uint16_t core_port,
                  uint16_t softswitch_port, LatchMode access_mode = LatchMode::Latch) {
  FlowSpec s;
  s.side[0] = EndpointSpec{kAccess, ip(a.access_local), access_port, ip(a.phone), phone_port, access_mode,
                           mac(0x01), mac(0xa1)};
  s.side[1] = EndpointSpec{kCore, ip(a.core_local), core_port, ip(a.softswitch), softswitch_port,
                           LatchMode::Off, mac(0x02), mac(0xb1)};
  return s;
}
FlowSpec rtp_v4(LatchMode mode = LatchMode::Latch) { return leg_spec(kV4, 40000, 5004, 50000, 6000, mode); }
FlowSpec rtcp_v4() { return leg_spec(kV4, 40001, 5005, 50001, 6001); }
FlowSpec rtp_v6() { return leg_spec(kV6, 40000, 5004, 50000, 6000); }
FlowSpec any_host_v4() {
  FlowSpec s = rtp_v4();
  s.side[0].remote_addr = ip("0.0.0.0");
  s.side[0].remote_port = 0;
  return s;
}

// Packets of the cases, named after who sends them.
Udp from_phone(const Addrs& a, uint16_t sport, uint16_t dport = 40000) {
  Udp u;
  u.src = ip(a.phone);
  u.dst = ip(a.access_local);
  u.sport = sport;
  u.dport = dport;
  return u;
}
Udp from_softswitch(const Addrs& a, uint16_t sport = 6000, uint16_t dport = 50000) {
  Udp u;
  u.src = ip(a.softswitch);
  u.dst = ip(a.core_local);
  u.sport = sport;
  u.dport = dport;
  return u;
}
// What the relay must send: same payload, new L2/L3/L4 addressing, TTL - 1, checksums from scratch.
Udp to_softswitch(const Udp& in, const Addrs& a, uint16_t sport = 50000, uint16_t dport = 6000) {
  Udp u = in;
  u.src = ip(a.core_local);
  u.dst = ip(a.softswitch);
  u.sport = sport;
  u.dport = dport;
  u.ttl = static_cast<uint8_t>(in.ttl - 1);
  u.src_mac = mac(0x02);
  u.dst_mac = mac(0xb1);
  return u;
}
Udp to_phone(const Udp& in, const Addrs& a, uint16_t dport, const char* dst = nullptr) {
  Udp u = in;
  u.src = ip(a.access_local);
  u.dst = ip(dst ? dst : a.phone);
  u.sport = 40000;
  u.dport = dport;
  u.ttl = static_cast<uint8_t>(in.ttl - 1);
  u.src_mac = mac(0x01);
  u.dst_mac = mac(0xa1);
  return u;
}
Udp with(Udp u, const std::function<void(Udp&)>& f) {
  f(u);
  return u;
}
const std::vector<uint8_t> kRtcpSenderReport = {0x80, 0xc8, 0x00, 0x06, 0, 0, 0, 1, 0, 0, 0, 0,
                                                0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0};

struct Step {
  Udp in;
  uint16_t in_port;
};

struct PacketCase {
  const char* name;
  std::vector<FlowSpec> flows;
  std::vector<Step> before;  // relayed first (each must be forwarded), e.g. to latch a side
  Step packet;
  std::function<void(std::vector<uint8_t>&)> mutate;  // optional damage to the bytes in
  std::optional<Udp> out;                             // exact frame expected out...
  uint16_t out_port = 0;                              // ...on this port
  RelayDrop drop = RelayDrop::kCount;                 // or the one drop reason expected
};

std::vector<PacketCase> cases() {
  const Udp phone = from_phone(kV4, 31000);
  const Udp ss = from_softswitch(kV4);
  const Udp phone6 = from_phone(kV6, 31000);
  std::vector<PacketCase> c;
  c.push_back({"AccessToCoreRewritesEverything", {rtp_v4()}, {}, {phone, kAccess}, {},
               to_softswitch(phone, kV4), kCore});
  c.push_back({"CoreToAccessBeforeLatchGoesToSdpPort", {rtp_v4()}, {}, {ss, kCore}, {},
               to_phone(ss, kV4, 5004), kAccess});
  c.push_back({"CoreToAccessAfterLatchGoesToNatPort", {rtp_v4()}, {{phone, kAccess}}, {ss, kCore}, {},
               to_phone(ss, kV4, 31000), kAccess});
  c.push_back({"LatchedSideDropsOtherPortOfSameHost", {rtp_v4()}, {{phone, kAccess}},
               {from_phone(kV4, 31001), kAccess}, {}, std::nullopt, 0, RelayDrop::StrictSource});
  c.push_back({"LatchedSideDropsOtherHost", {rtp_v4()}, {{phone, kAccess}},
               {with(phone, [](Udp& u) { u.src = ip("198.51.100.99"); }), kAccess}, {}, std::nullopt, 0,
               RelayDrop::StrictSource});
  c.push_back({"UnlatchedSideDropsHostNotInSdp", {rtp_v4()}, {},
               {with(phone, [](Udp& u) { u.src = ip("192.0.2.99"); }), kAccess}, {}, std::nullopt, 0,
               RelayDrop::StrictSource});
  c.push_back({"StrictSideAcceptsSdpAddressAndPort", {rtp_v4(LatchMode::Strict)}, {},
               {from_phone(kV4, 5004), kAccess}, {}, to_softswitch(from_phone(kV4, 5004), kV4), kCore});
  c.push_back({"StrictSideDropsNatPort", {rtp_v4(LatchMode::Strict)}, {}, {phone, kAccess}, {},
               std::nullopt, 0, RelayDrop::StrictSource});
  c.push_back({"AnyHostLatchTakesFirstSource", {any_host_v4()},
               {{with(phone, [](Udp& u) { u.src = ip("192.0.2.50"); u.sport = 7777; }), kAccess}},
               {ss, kCore}, {}, to_phone(ss, kV4, 7777, "192.0.2.50"), kAccess});
  c.push_back({"AnyHostUnlatchedHasNoDestination", {any_host_v4()}, {}, {ss, kCore}, {}, std::nullopt, 0,
               RelayDrop::NoDestination});
  c.push_back({"TtlOneExpires", {rtp_v4()}, {}, {with(phone, [](Udp& u) { u.ttl = 1; }), kAccess}, {},
               std::nullopt, 0, RelayDrop::TtlExpired});
  c.push_back({"TtlTwoLeavesWithOne", {rtp_v4()}, {}, {with(phone, [](Udp& u) { u.ttl = 2; }), kAccess}, {},
               to_softswitch(with(phone, [](Udp& u) { u.ttl = 2; }), kV4), kCore});
  c.push_back({"Ipv4ZeroUdpChecksumStaysZero", {rtp_v4()}, {},
               {with(phone, [](Udp& u) { u.udp_checksum = false; }), kAccess}, {},
               to_softswitch(with(phone, [](Udp& u) { u.udp_checksum = false; }), kV4), kCore});
  c.push_back({"UnknownPortIsNoFlow", {rtp_v4()}, {}, {from_phone(kV4, 31000, 40002), kAccess}, {},
               std::nullopt, 0, RelayDrop::NoFlow});
  c.push_back({"RightPortOnWrongInterfaceIsNoFlow", {rtp_v4()}, {}, {phone, kCore}, {}, std::nullopt, 0,
               RelayDrop::NoFlow});
  c.push_back({"RtcpOnPortPlusOneUsesItsOwnFlow", {rtp_v4(), rtcp_v4()}, {},
               {with(from_phone(kV4, 31001, 40001), [&](Udp& u) { u.payload = kRtcpSenderReport; }), kAccess},
               {},
               to_softswitch(with(from_phone(kV4, 31001, 40001), [&](Udp& u) { u.payload = kRtcpSenderReport; }),
                             kV4, 50001, 6001),
               kCore});
  c.push_back({"RtcpMuxRidesTheRtpFlow", {rtp_v4()}, {{phone, kAccess}},
               {with(phone, [&](Udp& u) { u.payload = kRtcpSenderReport; }), kAccess}, {},
               to_softswitch(with(phone, [&](Udp& u) { u.payload = kRtcpSenderReport; }), kV4), kCore});
  c.push_back({"Ipv6AccessToCoreRewritesEverything", {rtp_v6()}, {}, {phone6, kAccess}, {},
               to_softswitch(phone6, kV6), kCore});
  c.push_back({"Ipv6CoreToAccessAfterLatchGoesToNatPort", {rtp_v6()}, {{phone6, kAccess}},
               {from_softswitch(kV6), kCore}, {}, to_phone(from_softswitch(kV6), kV6, 31000), kAccess});
  c.push_back({"Ipv6LatchedSideDropsOtherPort", {rtp_v6()}, {{phone6, kAccess}},
               {from_phone(kV6, 4444), kAccess}, {}, std::nullopt, 0, RelayDrop::StrictSource});
  c.push_back({"Ipv6HopLimitOneExpires", {rtp_v6()}, {}, {with(phone6, [](Udp& u) { u.ttl = 1; }), kAccess},
               {}, std::nullopt, 0, RelayDrop::TtlExpired});
  c.push_back({"Ipv6ZeroUdpChecksumIsDropped", {rtp_v6()}, {}, {phone6, kAccess},
               [](std::vector<uint8_t>& b) { b[14 + 40 + 6] = b[14 + 40 + 7] = 0; }, std::nullopt, 0,
               RelayDrop::ZeroUdpChecksumV6});
  // The relay trusts the classifier's verdict (lengths, fragments, protocol); a packet it did not
  // classify as IPv4/IPv6 + UDP is refused, never parsed here.
  c.push_back({"UnclassifiedPacketIsMalformed", {rtp_v4()}, {}, {phone, kAccess},
               [](std::vector<uint8_t>& b) { b[12] = 0x88; b[13] = 0xb5; }, std::nullopt, 0, RelayDrop::Malformed});
  return c;
}

void PrintTo(const PacketCase& c, std::ostream* os) { *os << c.name; }

class RelayPacket : public ::testing::TestWithParam<PacketCase> {};

// A table of `ipv4` and `ipv6` flows under a name of its own; null when it cannot be created.
std::unique_ptr<FlowTable> new_table(const char* stem, uint32_t ipv4, uint32_t ipv6) {
  FlowTableConfig cfg;
  cfg.name = test::unique_name(stem);
  cfg.ipv4_flows = ipv4;
  cfg.ipv6_flows = ipv6;
  auto t = FlowTable::create(cfg);
  return t.ok() ? std::move(*t) : nullptr;
}

TEST_P(RelayPacket, ExactBytesOutOrOneDropReason) {
  const PacketCase& pc = GetParam();
  const unsigned mbufs_before = rte_mempool_avail_count(test::pool());
  std::unique_ptr<FlowTable> table = new_table("pc", 16, 16);
  ASSERT_NE(table, nullptr);
  for (const FlowSpec& spec : pc.flows) ASSERT_TRUE(table->add_flow(spec, 100).ok());
  const RelayView view = table->view();
  RelayCounters counters;
  test::Egress tx;

  for (const Step& s : pc.before) {
    rte_mbuf* m = test::mbuf_from(frame(s.in), s.in_port);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(test::relay_into(view, {m}, tx, counters, 200), 1) << "prelude packet not forwarded";
    tx.free_all();
  }
  const RelayTotals base = counters.totals();

  std::vector<uint8_t> in = frame(pc.packet.in);
  if (pc.mutate) pc.mutate(in);
  rte_mbuf* m = test::mbuf_from(in, pc.packet.in_port);
  ASSERT_NE(m, nullptr);
  test::relay_into(view, {m}, tx, counters, 300);
  const RelayTotals t = counters.totals();
  EXPECT_EQ(t.rx_packets - base.rx_packets, 1u);

  if (pc.out) {
    EXPECT_EQ(t.dropped(), base.dropped());
    EXPECT_EQ(t.forwarded_packets - base.forwarded_packets, 1u);
    ASSERT_EQ(tx.size(), 1u);
    ASSERT_EQ(tx.count(pc.out_port), 1) << "wrong egress port";
    const std::vector<uint8_t> got = test::bytes_of(tx.at(pc.out_port, 0));
    EXPECT_EQ(got, frame(*pc.out));
    EXPECT_TRUE(test::checksums_valid(got));
    tx.free_all();
  } else {
    EXPECT_EQ(tx.size(), 0u);
    EXPECT_EQ(t.dropped() - base.dropped(), 1u);
    EXPECT_EQ(t.drop(pc.drop) - base.drop(pc.drop), 1u) << "expected " << relay_drop_name(pc.drop);
  }
  // Nothing leaked: every mbuf went back to the pool (dropped ones freed by relay_burst).
  EXPECT_EQ(rte_mempool_avail_count(test::pool()), mbufs_before);
}

INSTANTIATE_TEST_SUITE_P(Table, RelayPacket, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<PacketCase>& info) { return info.param.name; });

// Fixture for multi-packet behaviour on the standard IPv4 leg.
class RelayBurst : public ::testing::Test {
 protected:
  void SetUp() override {
    mbufs_before_ = rte_mempool_avail_count(test::pool());
    table_ = new_table("rb", 16, 0);
    ASSERT_NE(table_, nullptr);
    auto h = table_->add_flow(rtp_v4(), 1000);
    ASSERT_TRUE(h.ok());
    handle_ = *h;
  }
  void TearDown() override {
    tx_.free_all();
    table_.reset();
    EXPECT_EQ(rte_mempool_avail_count(test::pool()), mbufs_before_);
  }
  uint16_t relay(std::vector<rte_mbuf*> pkts, uint64_t now) {
    return test::relay_into(table_->view(), std::move(pkts), tx_, counters_, now);
  }

  unsigned mbufs_before_ = 0;
  std::unique_ptr<FlowTable> table_;
  FlowHandle handle_;
  RelayCounters counters_;
  test::Egress tx_;
};

TEST_F(RelayBurst, MixedBurstAcrossChunksKeepsOrderPerEgressPort) {
  // 40 packets (more than one 32-packet lookup chunk): phone RTP with sequence numbers, every 5th
  // from a bleeding source, every 7th to an unknown port, plus softswitch packets the other way.
  std::vector<rte_mbuf*> pkts;
  std::vector<uint8_t> expected_core_seq;
  uint32_t strict = 0, noflow = 0, to_access = 0;
  Udp first = from_phone(kV4, 31000);  // latches 31000
  first.payload[3] = 0;
  pkts.push_back(test::mbuf_from(frame(first), kAccess));
  expected_core_seq.push_back(0);
  for (uint8_t i = 1; i < 40; ++i) {
    Udp u = from_phone(kV4, 31000);
    u.payload[3] = i;
    uint16_t port = kAccess;
    if (i % 5 == 0) {
      u.sport = 31002;
      ++strict;
    } else if (i % 7 == 0) {
      u.dport = 40010;
      ++noflow;
    } else if (i % 3 == 0) {
      u = from_softswitch(kV4);
      u.payload[3] = i;
      port = kCore;
      ++to_access;
    } else {
      expected_core_seq.push_back(i);
    }
    pkts.push_back(test::mbuf_from(frame(u), port));
  }
  EXPECT_EQ(relay(pkts, 5000), 40 - strict - noflow);
  ASSERT_EQ(tx_.count(kCore), expected_core_seq.size());
  for (size_t k = 0; k < expected_core_seq.size(); ++k) {
    EXPECT_EQ(rte_pktmbuf_mtod(tx_.at(kCore, k), uint8_t*)[14 + 20 + 8 + 3], expected_core_seq[k]);
  }
  EXPECT_EQ(tx_.count(kAccess), to_access);
  const RelayTotals t = counters_.totals();
  EXPECT_EQ(t.rx_packets, 40u);
  EXPECT_EQ(t.drop(RelayDrop::StrictSource), strict);
  EXPECT_EQ(t.drop(RelayDrop::NoFlow), noflow);
  EXPECT_EQ(t.dropped(), strict + noflow);
  EXPECT_EQ(t.latched, 1u);
}

TEST_F(RelayBurst, PerDirectionCountersAndLastSeen) {
  const size_t len = frame(from_phone(kV4, 31000)).size();
  relay({test::mbuf_from(frame(from_phone(kV4, 31000)), kAccess),
         test::mbuf_from(frame(from_phone(kV4, 31000)), kAccess),
         test::mbuf_from(frame(from_phone(kV4, 39999)), kAccess)},
        7000);
  relay({test::mbuf_from(frame(from_softswitch(kV4)), kCore)}, 8000);
  auto st = table_->flow_stats(handle_);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->side[0].packets, 2u);
  EXPECT_EQ(st->side[0].bytes, 2 * len);
  EXPECT_EQ(st->side[0].rejected, 1u);
  EXPECT_EQ(st->side[0].last_seen_tsc, 7000u);
  EXPECT_TRUE(st->side[0].latched);
  EXPECT_EQ(st->side[0].latched_addr, ip("198.51.100.20"));
  EXPECT_EQ(st->side[0].latched_port, 31000);
  EXPECT_EQ(st->side[1].packets, 1u);
  EXPECT_EQ(st->side[1].bytes, len);
  EXPECT_EQ(st->side[1].rejected, 0u);
  EXPECT_EQ(st->side[1].last_seen_tsc, 8000u);
  EXPECT_FALSE(st->side[1].latched);
}

// 802.1Q: the relay finds the IP header past the tag (the classifier's l2_len) and leaves the tag
// alone; fitting it to the egress interface is the dataplane's job (dataplane/media_relay.h).
TEST_F(RelayBurst, TaggedFrameIsRelayedWithItsTagInPlace) {
  auto tag = [](std::vector<uint8_t> f) {
    const uint8_t vlan[4] = {0x81, 0x00, 0x00, 0x07};
    f.insert(f.begin() + 12, vlan, vlan + 4);
    return f;
  };
  relay({test::mbuf_from(tag(frame(from_phone(kV4, 31000))), kAccess)}, 1);
  ASSERT_EQ(tx_.count(kCore), 1);
  EXPECT_EQ(test::bytes_of(tx_.at(kCore, 0)), tag(frame(to_softswitch(from_phone(kV4, 31000), kV4))));
  EXPECT_EQ(counters_.totals().dropped(), 0u);
}

TEST_F(RelayBurst, DeletedFlowCountsNoFlow) {
  ASSERT_TRUE(table_->delete_flow(handle_).ok());
  relay({test::mbuf_from(frame(from_phone(kV4, 31000)), kAccess),
         test::mbuf_from(frame(from_softswitch(kV4)), kCore)},
        1);
  EXPECT_EQ(tx_.size(), 0u);
  EXPECT_EQ(counters_.totals().drop(RelayDrop::NoFlow), 2u);
}

// What relay `pkts` sent towards each side, as frames.
std::vector<std::vector<uint8_t>> frames_of(const test::Egress& tx, uint16_t port) {
  std::vector<std::vector<uint8_t>> out;
  for (uint16_t i = 0; i < tx.count(port); ++i) out.push_back(test::bytes_of(tx.at(port, i)));
  return out;
}

TEST_F(RelayBurst, UpdateWithUnchangedSdpKeepsTheLatch) {
  relay({test::mbuf_from(frame(from_phone(kV4, 31000)), kAccess)}, 1);
  FlowSpec s = rtp_v4();
  s.side[1].remote_port = 6100;  // only the softswitch moved; the phone's SDP is as it was
  ASSERT_TRUE(table_->update_flow(handle_, s, 2).ok());
  relay({test::mbuf_from(frame(from_phone(kV4, 31000)), kAccess), test::mbuf_from(frame(from_phone(kV4, 5004)), kAccess),
         test::mbuf_from(frame(from_softswitch(kV4)), kCore)},
        3);
  ASSERT_EQ(tx_.count(kCore), 2);  // the first one (before the update) and the latched source
  EXPECT_EQ(test::bytes_of(tx_.at(kCore, 1)), frame(to_softswitch(from_phone(kV4, 31000), kV4, 50000, 6100)));
  ASSERT_EQ(tx_.count(kAccess), 1);
  EXPECT_EQ(test::bytes_of(tx_.at(kAccess, 0)), frame(to_phone(from_softswitch(kV4), kV4, 31000)));
  EXPECT_EQ(counters_.totals().drop(RelayDrop::StrictSource), 1u) << "still strict: the latch was kept";
  auto st = table_->flow_stats(handle_);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->side[0].packets, 2u);  // counters carried across the update
  EXPECT_EQ(st->side[0].rejected, 1u);
  EXPECT_TRUE(st->side[0].latched);
}

// Colour ringback then the phone, or a re-INVITE to a new port on the same host: the new port is
// learned, and the old one is relayed until the new one speaks.
TEST_F(RelayBurst, NewSdpPortOnTheSameHostIsLearnedWithoutAGap) {
  relay({test::mbuf_from(frame(from_phone(kV4, 5004)), kAccess)}, 1);
  FlowSpec s = rtp_v4();
  s.side[0].remote_port = 5008;
  ASSERT_TRUE(table_->update_flow(handle_, s, 2).ok());
  auto st = table_->flow_stats(handle_);
  EXPECT_TRUE(st->side[0].relearning);
  relay({test::mbuf_from(frame(from_phone(kV4, 5004)), kAccess),        // old port, in grace: relayed
         test::mbuf_from(frame(from_softswitch(kV4)), kCore),           // to the new SDP port at once
         test::mbuf_from(frame(from_phone(kV4, 5008)), kAccess),        // new port: latches
         test::mbuf_from(frame(from_phone(kV4, 5004)), kAccess),        // old port after that: refused
         test::mbuf_from(frame(from_softswitch(kV4)), kCore)},
        3);
  EXPECT_EQ(frames_of(tx_, kCore),
            (std::vector<std::vector<uint8_t>>{frame(to_softswitch(from_phone(kV4, 5004), kV4)),
                                               frame(to_softswitch(from_phone(kV4, 5004), kV4)),
                                               frame(to_softswitch(from_phone(kV4, 5008), kV4))}));
  EXPECT_EQ(frames_of(tx_, kAccess),
            (std::vector<std::vector<uint8_t>>{frame(to_phone(from_softswitch(kV4), kV4, 5008)),
                                               frame(to_phone(from_softswitch(kV4), kV4, 5008))}));
  EXPECT_EQ(counters_.totals().drop(RelayDrop::StrictSource), 1u);
  EXPECT_EQ(counters_.totals().latched, 2u);
  st = table_->flow_stats(handle_);
  EXPECT_TRUE(st->side[0].latched);
  EXPECT_FALSE(st->side[0].relearning);
  EXPECT_EQ(st->side[0].latched_port, 5008);
}

// A phone whose SDP moved but whose RTP did not: once the grace period is over, the old source is
// learned again instead of being refused for ever (no one-way audio).
TEST_F(RelayBurst, OldSourceIsLearnedAgainWhenTheNewOneNeverSpeaks) {
  relay({test::mbuf_from(frame(from_phone(kV4, 5004)), kAccess)}, 1);
  FlowSpec s = rtp_v4();
  s.side[0].remote_port = 5008;
  ASSERT_TRUE(table_->update_flow(handle_, s, 2).ok());
  const uint64_t after_grace = 2 + rte_get_tsc_hz() / 1000 * 2000 + 1;
  relay({test::mbuf_from(frame(from_phone(kV4, 5004)), kAccess)}, after_grace);
  relay({test::mbuf_from(frame(from_phone(kV4, 5008)), kAccess)}, after_grace + 1);
  EXPECT_EQ(tx_.count(kCore), 2);
  EXPECT_EQ(counters_.totals().drop(RelayDrop::StrictSource), 1u) << "now 5004 is the peer again";
  auto st = table_->flow_stats(handle_);
  EXPECT_EQ(st->side[0].latched_port, 5004);
}

TEST_F(RelayBurst, NewHostIsLearnedAndTheOldOneRelayedUntilThen) {
  relay({test::mbuf_from(frame(from_phone(kV4, 31000)), kAccess)}, 1);
  FlowSpec s = rtp_v4();
  s.side[0].remote_addr = ip("198.51.100.77");  // phone moved (new Wi-Fi, new NAT)
  ASSERT_TRUE(table_->update_flow(handle_, s, 2).ok());
  Udp moved = from_phone(kV4, 32000);
  moved.src = ip("198.51.100.77");
  relay({test::mbuf_from(frame(from_phone(kV4, 31000)), kAccess), test::mbuf_from(frame(moved), kAccess),
         test::mbuf_from(frame(from_phone(kV4, 31000)), kAccess), test::mbuf_from(frame(from_softswitch(kV4)), kCore)},
        3);
  EXPECT_EQ(tx_.count(kCore), 3) << "before the update, the old host in grace, the new host";
  EXPECT_EQ(counters_.totals().drop(RelayDrop::StrictSource), 1u) << "the old host once the new one latched";
  ASSERT_EQ(tx_.count(kAccess), 1);
  EXPECT_EQ(test::bytes_of(tx_.at(kAccess, 0)),
            frame(to_phone(from_softswitch(kV4), kV4, 32000, "198.51.100.77")));
}

// A peer only latching can find (behind NAT, SDP address unreachable): media towards it keeps going
// to the address it last sent from until its new source latches.
TEST_F(RelayBurst, NatPeerIsSentToAtItsOldAddressUntilItsNewSourceLatches) {
  ASSERT_TRUE(table_->delete_flow(handle_).ok());
  FlowSpec s = any_host_v4();
  s.side[0].remote_port = 5004;
  auto h = table_->add_flow(s, 1);
  ASSERT_TRUE(h.ok());
  relay({test::mbuf_from(frame(from_phone(kV4, 62000)), kAccess)}, 1);  // NAT mapped 5004 -> 62000
  s.side[0].remote_port = 5008;
  ASSERT_TRUE(table_->update_flow(*h, s, 2).ok());
  relay({test::mbuf_from(frame(from_softswitch(kV4)), kCore)}, 3);
  relay({test::mbuf_from(frame(from_phone(kV4, 62000)), kAccess)}, 4);  // in grace: relayed, not latched
  relay({test::mbuf_from(frame(from_phone(kV4, 62002)), kAccess)}, 5);  // NAT mapped 5008 -> 62002
  relay({test::mbuf_from(frame(from_softswitch(kV4)), kCore)}, 6);
  EXPECT_EQ(frames_of(tx_, kAccess),
            (std::vector<std::vector<uint8_t>>{frame(to_phone(from_softswitch(kV4), kV4, 62000)),
                                               frame(to_phone(from_softswitch(kV4), kV4, 62002))}));
  EXPECT_EQ(tx_.count(kCore), 3);
  EXPECT_EQ(counters_.totals().dropped(), 0u);
}

// The same updates for IPv6, whose destination keeps the SDP and the latched peer apart
// (flow.h Destination<true>): an update that keeps the phone's SDP keeps sending to where it
// latched, or, while it has not latched, to its SDP address; a NAT peer's new SDP keeps media
// going to its old source until the new one latches.
TEST(RelayBurstIpv6, UpdatesKeepOrRelearnTheLatchedDestination) {
  const unsigned mbufs_before = rte_mempool_avail_count(test::pool());
  std::unique_ptr<FlowTable> owned = new_table("rb6", 0, 4);
  ASSERT_NE(owned, nullptr);
  FlowTable& table = *owned;
  RelayCounters counters;
  test::Egress tx;
  auto relay = [&](const Udp& u, uint16_t port, uint64_t now) {
    return test::relay_into(table.view(), {test::mbuf_from(frame(u), port)}, tx, counters, now);
  };

  // Not latched yet, SDP unchanged: still sent to the SDP port.
  auto fresh = table.add_flow(rtp_v6(), 1);
  ASSERT_TRUE(fresh.ok());
  FlowSpec moved_softswitch = rtp_v6();
  moved_softswitch.side[1].remote_port = 6100;
  ASSERT_TRUE(table.update_flow(*fresh, moved_softswitch, 2).ok());
  EXPECT_EQ(relay(from_softswitch(kV6), kCore, 3), 1);
  // Latched at 31000 (NAT), then an update that leaves the phone's SDP as it was.
  EXPECT_EQ(relay(from_phone(kV6, 31000), kAccess, 4), 1);
  ASSERT_TRUE(table.update_flow(*fresh, rtp_v6(), 5).ok());
  EXPECT_EQ(relay(from_softswitch(kV6), kCore, 6), 1);
  ASSERT_EQ(tx.count(kAccess), 2);
  EXPECT_EQ(test::bytes_of(tx.at(kAccess, 0)), frame(to_phone(from_softswitch(kV6), kV6, 5004)));
  EXPECT_EQ(test::bytes_of(tx.at(kAccess, 1)), frame(to_phone(from_softswitch(kV6), kV6, 31000)));
  ASSERT_TRUE(table.delete_flow(*fresh).ok());
  tx.free_all();

  // Any host (SDP unusable behind NAT): latched at 62000, new SDP port, new NAT port 62002.
  FlowSpec nat = rtp_v6();
  nat.side[0].remote_addr = ip("::");
  auto h = table.add_flow(nat, 10);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(relay(from_softswitch(kV6), kCore, 11), 0) << "nowhere to send before the phone spoke";
  EXPECT_EQ(relay(from_phone(kV6, 62000), kAccess, 12), 1);
  nat.side[0].remote_port = 5008;
  ASSERT_TRUE(table.update_flow(*h, nat, 13).ok());
  EXPECT_EQ(relay(from_softswitch(kV6), kCore, 14), 1);
  EXPECT_EQ(relay(from_phone(kV6, 62002), kAccess, 15), 1);
  EXPECT_EQ(relay(from_softswitch(kV6), kCore, 16), 1);
  EXPECT_EQ(frames_of(tx, kAccess),
            (std::vector<std::vector<uint8_t>>{frame(to_phone(from_softswitch(kV6), kV6, 62000)),
                                               frame(to_phone(from_softswitch(kV6), kV6, 62002))}));
  EXPECT_EQ(tx.count(kCore), 2);
  EXPECT_EQ(counters.totals().dropped(), 1u);
  EXPECT_EQ(counters.totals().drop(RelayDrop::NoDestination), 1u);
  tx.free_all();
  owned.reset();
  EXPECT_EQ(rte_mempool_avail_count(test::pool()), mbufs_before);
}

TEST_F(RelayBurst, LatchRaceLoserDropsAsLatchPending) {
  // A worker that finds the side Claimed (another worker is between claim and publish) cannot judge
  // the source; it drops rather than waiting on another core.
  FlowKey key{};
  const IpAddr local = ip(kV4.access_local);
  std::memcpy(key.local_addr, local.bytes.data(), 4);
  key.port_id = kAccess;
  key.local_port_be = htons(40000);
  key.ip_version = 4;
  void* data = nullptr;
  ASSERT_GE(rte_hash_lookup_data(table_->view().hash, &key, &data), 0);
  auto* flow = reinterpret_cast<Flow<false>*>(reinterpret_cast<uintptr_t>(data) & ~uintptr_t{1});
  flow->dir[0].latch_state.store(LatchState::Claimed);
  relay({test::mbuf_from(frame(from_phone(kV4, 31000)), kAccess)}, 1);
  EXPECT_EQ(counters_.totals().drop(RelayDrop::LatchPending), 1u);
  EXPECT_EQ(tx_.size(), 0u);
}

}  // namespace
}  // namespace sipedge::relay
