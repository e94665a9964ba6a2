// tests/dataplane/classify_test.cc — drops counted by reason (one per dropped frame), media handed
// to the media handler once per burst.
#include "tests/support/dataplane_fixture.h"

namespace sipedge::dataplane::test {
namespace {

class Classify : public DataplaneTest {};

struct DropCase {
  const char* name;
  Bytes frame;
  Drop reason;
};

TEST_F(Classify, CountsEachDroppedFrameUnderExactlyOneReason) {
  Mac us = our_mac(kAccess);
  Ip4 peer = ip4("10.201.0.7"), me = ip4("10.201.0.1");
  Bytes good = udp4_frame(us, kPeerMac, peer, me, 5062, 5060, text("x"));
  Bytes bad_ck = good;
  bad_ck[24] ^= 0xff;  // IPv4 header checksum
  Bytes bad_udp_ck = good;
  bad_udp_ck[40] ^= 0xff;  // UDP checksum
  // A datagram cut short by the port (af_packet delivers at most its frame size): the IP header is
  // valid, the bytes it announces are not all there.
  Bytes cut = udp4_frame(us, kPeerMac, peer, me, 5062, 5060, text(std::string(300, 'x')));
  cut.resize(cut.size() - 100);
  Bytes vlan = cat(ether(us, kPeerMac, 0x8100), Bytes{0x00, 0x07, 0x08, 0x00});
  put(vlan, Bytes(good.begin() + 14, good.end()));
  std::vector<DropCase> cases = {
      {"runt", Bytes{1, 2, 3}, Drop::Runt},
      {"ipx", cat(ether(us, kPeerMac, 0x8137), Bytes(46, 0)), Drop::UnknownEthertype},
      {"vlan 7 on untagged port", vlan, Drop::WrongVlan},
      {"ip checksum", bad_ck, Drop::BadIpHeader},
      {"truncated by the port", cut, Drop::Truncated},
      {"other host", udp4_frame(us, kPeerMac, peer, ip4("10.201.0.99"), 5062, 5060, text("x")), Drop::NotForUs},
      {"tcp", cat(ether(us, kPeerMac, 0x0800), ipv4(peer, me, 6, Bytes(20, 0))), Drop::UnknownProto},
      {"udp no listener", udp4_frame(us, kPeerMac, peer, me, 1, 9999, text("x")), Drop::NoListener},
      {"sip bad udp checksum", bad_udp_ck, Drop::BadUdp},
      {"icmp timestamp", cat(ether(us, kPeerMac, 0x0800), ipv4(peer, me, 1, icmp(13, 0, Bytes(16, 0), 0))),
       Drop::IcmpOther},
      {"media without relay", udp4_frame(us, kPeerMac, peer, me, 40000, 20002, text("rtp")), Drop::NoMediaHandler},
  };
  for (const DropCase& c : cases) {
    uint64_t before = dp_->total(kAccess, c.reason);
    receive(kAccess, c.frame);
    EXPECT_EQ(dp_->total(kAccess, c.reason), before + 1) << c.name;
  }
  uint64_t all = 0;
  for (unsigned d = 0; d < kDropCount; ++d) {
    all += dp_->total(kAccess, static_cast<Drop>(d));
  }
  EXPECT_EQ(all, cases.size());
  EXPECT_TRUE(sent(kAccess, 0).empty());
  SipItem* items[1];
  EXPECT_EQ(receive_sip(dp_->shared(), items), 0u);
  EXPECT_EQ(drop_name(Drop::NoListener), "NoListener");
}

struct Seen {
  std::vector<uint16_t> ports;
  unsigned bursts = 0;
};

void record_and_forward(void* ctx, const MediaBurst& burst) noexcept {
  auto* seen = static_cast<Seen*>(ctx);
  ++seen->bursts;
  for (rte_mbuf* m : burst.pkts) {
    auto* udp = rte_pktmbuf_mtod_offset(m, rte_udp_hdr*, m->l2_len + m->l3_len);
    seen->ports.push_back(rte_be_to_cpu_16(udp->dst_port));
    burst.tx->push(kCore, m);  // "relay" to the core side unchanged
  }
}

TEST_F(Classify, HandsMediaPacketsToTheHandlerOncePerBurst) {
  Seen seen;
  dp_->set_media_handler({record_and_forward, &seen});
  Mac us = our_mac(kAccess);
  Bytes f1 = udp4_frame(us, kPeerMac, ip4("10.201.0.7"), ip4("10.201.0.1"), 40000, 20000, text("rtp1"));
  Bytes f2 = udp4_frame(us, kPeerMac, ip4("10.201.0.7"), ip4("10.201.0.1"), 40001, 20099, text("rtcp"));
  ASSERT_EQ(rte_ring_enqueue(ports_[kAccess].rx[0], to_mbuf(f1)), 0);
  ASSERT_EQ(rte_ring_enqueue(ports_[kAccess].rx[0], to_mbuf(f2)), 0);
  dp_->worker(0).poll_once(now_);
  EXPECT_EQ(seen.bursts, 1u);
  EXPECT_EQ(seen.ports, (std::vector<uint16_t>{20000, 20099}));
  std::vector<Bytes> out = sent(kCore, 0);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], f1);
  EXPECT_EQ(out[1], f2);
  EXPECT_EQ(dp_->total(kAccess, Event::MediaToHandler), 2u);
}

}  // namespace
}  // namespace sipedge::dataplane::test
