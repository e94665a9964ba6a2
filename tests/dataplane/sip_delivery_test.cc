// tests/dataplane/sip_delivery_test.cc — UDP to a SIP port reaches the control ring scanned: header
// index into the mbuf, addressing copied out; fragments reassembled first; malformed still delivered.
#include "tests/support/dataplane_fixture.h"

namespace sipedge::dataplane::test {
namespace {

std::string sip_invite(size_t body_size) {
  std::string body(body_size, 'a');
  return "INVITE sip:bob@10.201.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 10.201.0.7:5060;branch=z9hG4bK-1\r\n"
         "Max-Forwards: 70\r\n"
         "From: <sip:alice@10.201.0.7>;tag=a1\r\n"
         "To: <sip:bob@10.201.0.1>\r\n"
         "Call-ID: frag-test-1\r\n"
         "CSeq: 1 INVITE\r\n"
         "Content-Type: text/plain\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class SipDelivery : public DataplaneTest {
 protected:
  SipItem* take_one() {
    SipItem* items[4];
    unsigned n = receive_sip(dp_->shared(), items);
    EXPECT_EQ(n, 1u);
    return n == 1 ? items[0] : nullptr;
  }
};

TEST_F(SipDelivery, ScansSingleSegmentDatagramInPlaceAndHandsItToControl) {
  std::string msg = sip_invite(10);
  receive(kAccess, udp4_frame(our_mac(kAccess), kPeerMac, ip4("10.201.0.7"), ip4("10.201.0.1"), 5062, 5060, text(msg)));
  SipItem* item = take_one();
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->scan.status, parser::ScanStatus::Complete);
  EXPECT_EQ(item->iface, kAccess);
  EXPECT_EQ(item->src, *IpAddr::parse("10.201.0.7"));
  EXPECT_EQ(item->dst, *IpAddr::parse("10.201.0.1"));
  EXPECT_EQ(item->src_port, 5062);
  EXPECT_EQ(item->dst_port, 5060);
  EXPECT_EQ(item->msg.method(), parser::Method::Invite);
  EXPECT_EQ(item->msg.value(parser::HeaderId::CallId), "frag-test-1");
  // No copy: the message views the UDP payload inside the received mbuf (14 + 20 + 8 bytes in).
  EXPECT_EQ(item->msg.bytes().data(), rte_pktmbuf_mtod_offset(item->mbuf, const char*, 42));
  release_sip(dp_->shared(), item);
  EXPECT_EQ(dp_->total(kAccess, Event::SipToControl), 1u);
}

TEST_F(SipDelivery, ReassemblesThreeFragmentsOfA3000ByteMessageBeforeScanning) {
  size_t head = sip_invite(1000).size() - 1000;  // headers with a 4-digit Content-Length
  std::string msg = sip_invite(3000 - head);
  ASSERT_EQ(msg.size(), 3000u);
  Ip4 src = ip4("10.201.0.7"), dst = ip4("10.201.0.1");
  Bytes dgram = udp(5062, 5060, text(msg), pseudo4(src, dst, 17, 8 + msg.size()));
  // 1480-byte fragments (offsets in 8-byte units), last one without More Fragments.
  size_t off = 0;
  std::vector<Bytes> frags;
  while (off < dgram.size()) {
    size_t len = std::min<size_t>(1480, dgram.size() - off);
    bool more = off + len < dgram.size();
    Bytes part(dgram.begin() + off, dgram.begin() + off + len);
    frags.push_back(cat(ether(our_mac(kAccess), kPeerMac, 0x0800),
                        ipv4(src, dst, 17, part, 4242, static_cast<uint16_t>((more ? 0x2000 : 0) | off / 8))));
    off += len;
  }
  ASSERT_EQ(frags.size(), 3u);
  // Out of order: last, first, middle.
  receive(kAccess, frags[2]);
  receive(kAccess, frags[0]);
  SipItem* none[1];
  EXPECT_EQ(receive_sip(dp_->shared(), none), 0u);
  receive(kAccess, frags[1]);
  SipItem* item = take_one();
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->scan.status, parser::ScanStatus::Complete);
  EXPECT_EQ(item->msg.size(), 3000u);
  EXPECT_EQ(item->msg.bytes(), msg);
  EXPECT_EQ(item->msg.value(parser::HeaderId::CallId), "frag-test-1");
  EXPECT_EQ(item->msg.value(parser::HeaderId::CSeq), "1 INVITE");
  EXPECT_EQ(item->msg.body().size(), 3000 - head);
  EXPECT_EQ(item->mbuf->nb_segs, 1);  // gathered once into a contiguous buffer
  EXPECT_EQ(dp_->total(kAccess, Event::FragmentsIn), 3u);
  EXPECT_EQ(dp_->total(kAccess, Event::Reassembled), 1u);
  EXPECT_EQ(dp_->total(kAccess, Event::SipCopied), 1u);
  release_sip(dp_->shared(), item);
}

TEST_F(SipDelivery, DeliversMalformedSipWithItsFault) {
  receive(kAccess, udp4_frame(our_mac(kAccess), kPeerMac, ip4("10.201.0.7"), ip4("10.201.0.1"), 5062, 5060,
                              text("INVITE sip:bob SIP/2.0\r\nVia SIP/2.0/UDP x\r\n\r\n")));
  SipItem* item = take_one();
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->scan.status, parser::ScanStatus::Malformed);
  EXPECT_NE(item->scan.fault, parser::Fault::None);
  EXPECT_EQ(dp_->total(kAccess, Event::SipMalformed), 1u);
  release_sip(dp_->shared(), item);
}

TEST_F(SipDelivery, ScansSipOverIpv6) {
  std::string msg = sip_invite(4);
  receive(kCore, udp6_frame(our_mac(kCore), kPeerMac, ip6("fd00:202::9"), ip6("fd00:202::1"), 5060, 5060, text(msg)));
  SipItem* item = take_one();
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->iface, kCore);
  EXPECT_EQ(item->src, *IpAddr::parse("fd00:202::9"));
  EXPECT_EQ(item->scan.status, parser::ScanStatus::Complete);
  EXPECT_EQ(item->msg.value(parser::HeaderId::CallId), "frag-test-1");
  release_sip(dp_->shared(), item);
}

TEST_F(SipDelivery, ReassemblesIpv6FragmentsOfALargeMessage) {
  std::string msg = sip_invite(2000);
  Ip6 src = ip6("fd00:202::9"), dst = ip6("fd00:202::1");
  Bytes dgram = udp(5060, 5060, text(msg), pseudo6(src, dst, 17, 8 + msg.size()));
  std::vector<Bytes> frags;
  for (size_t off = 0; off < dgram.size(); off += 1232) {
    size_t len = std::min<size_t>(1232, dgram.size() - off);
    bool more = off + len < dgram.size();
    Bytes fh{17, 0};  // next header UDP, reserved
    put16(fh, static_cast<uint16_t>(off | (more ? 1 : 0)));
    put32(fh, 0xabcd);
    put(fh, Bytes(dgram.begin() + off, dgram.begin() + off + len));
    frags.push_back(cat(ether(our_mac(kCore), kPeerMac, 0x86dd), ipv6(src, dst, 44, fh)));
  }
  ASSERT_EQ(frags.size(), 2u);
  receive(kCore, frags[1]);
  receive(kCore, frags[0]);
  SipItem* item = take_one();
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->scan.status, parser::ScanStatus::Complete);
  EXPECT_EQ(item->msg.bytes(), msg);
  EXPECT_EQ(item->src, *IpAddr::parse("fd00:202::9"));
  EXPECT_EQ(item->msg.value(parser::HeaderId::CallId), "frag-test-1");
  EXPECT_EQ(dp_->total(kCore, Event::Reassembled), 1u);
  release_sip(dp_->shared(), item);
}

TEST_F(SipDelivery, CountsFragmentsThatNeverCompleteAsReassemblyFailures) {
  Ip4 src = ip4("10.201.0.7"), dst = ip4("10.201.0.1");
  Bytes part(1480, 'x');
  receive(kAccess, cat(ether(our_mac(kAccess), kPeerMac, 0x0800), ipv4(src, dst, 17, part, 99, 0x2000)));
  EXPECT_EQ(dp_->total(kAccess, Drop::ReassemblyFailed), 0u);
  now_ += 3 * hz_;  // past the 2 s reassembly timeout
  dp_->worker(0).poll_once(now_);
  EXPECT_EQ(dp_->total(kAccess, Drop::ReassemblyFailed), 1u);
  SipItem* none[1];
  EXPECT_EQ(receive_sip(dp_->shared(), none), 0u);
}

// Control shards (issue 14 §2): each message goes to the ring of the shard its Call-ID hashes to,
// in arrival order within the shard, a whole burst at a time; one without a Call-ID to shard 0.
class ShardedSipDelivery : public DataplaneTest {
 protected:
  void customise(DataplaneConfig& cfg) override { cfg.eal.shard_lcores = {5, 6}; }
};

TEST_F(ShardedSipDelivery, EachMessageReachesTheRingOfItsCallIdsShard) {
  const SharedState& shared = dp_->shared();
  ASSERT_EQ(shared.n_shards, 3u);
  // The map's seed is drawn per process, so which shard a name lands on is too: take three Call-IDs
  // per shard, found through the map, so every ring has messages to check whatever the seed.
  std::vector<std::string> call_ids;
  unsigned per_shard[3] = {};
  for (int k = 0; call_ids.size() < 9; ++k) {
    std::string candidate = "shard-call-" + std::to_string(k);
    if (per_shard[shared.shard_map.of(candidate)]++ < 3) call_ids.push_back(std::move(candidate));
  }
  std::vector<std::string> sent_to[3];
  constexpr int kMessages = 24;  // one burst
  for (int i = 0; i < kMessages; ++i) {
    const std::string& call_id = call_ids[i % 9];
    const std::string msg = "OPTIONS sip:bob@10.201.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.7:5060;branch=z9hG4bK-" +
                            std::to_string(i) + "\r\nFrom: <sip:a@10.201.0.7>;tag=a\r\nTo: <sip:bob@10.201.0.1>\r\n"
                            "Call-ID: " + call_id + "\r\nCSeq: " + std::to_string(i + 1) + " OPTIONS\r\nContent-Length: 0\r\n\r\n";
    sent_to[shared.shard_map.of(call_id)].push_back(std::to_string(i + 1) + " OPTIONS");
    rte_mbuf* m = to_mbuf(udp4_frame(our_mac(kAccess), kPeerMac, ip4("10.201.0.7"), ip4("10.201.0.1"), 5062, 5060, text(msg)));
    ASSERT_EQ(rte_ring_enqueue(ports_[kAccess].rx[0], m), 0);
  }
  const std::string no_call_id = "OPTIONS sip:bob@10.201.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.7;branch=z9hG4bK-x\r\n\r\n";
  ASSERT_EQ(rte_ring_enqueue(ports_[kAccess].rx[0],
                             to_mbuf(udp4_frame(our_mac(kAccess), kPeerMac, ip4("10.201.0.7"), ip4("10.201.0.1"), 5062,
                                                5060, text(no_call_id)))),
            0);
  sent_to[0].push_back("no Call-ID");
  dp_->worker(0).poll_once(now_);
  for (unsigned s = 0; s < 3; ++s) {
    SipItem* items[32];
    const unsigned n = receive_sip(shared, items, s);
    std::vector<std::string> got;
    for (unsigned i = 0; i < n; ++i) {
      EXPECT_EQ(items[i]->shard, s);
      got.push_back(items[i]->msg.value(parser::HeaderId::CallId).empty()
                        ? "no Call-ID"
                        : std::string(items[i]->msg.value(parser::HeaderId::CSeq)));
      release_sip(shared, items[i]);
    }
    EXPECT_EQ(got, sent_to[s]) << "shard " << s;
  }
  EXPECT_EQ(dp_->total(kAccess, Event::SipToControl), static_cast<uint64_t>(kMessages + 1));
}

}  // namespace
}  // namespace sipedge::dataplane::test
