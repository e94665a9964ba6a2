// tests/dataplane/control_tx_test.cc — transmit for control: exact headers, ARP/ND resolution with
// held packets released on the answer, bounded hold queue, neighbour timeout, IP fragmentation.
#include "tests/dataplane/dp_fixture.h"

namespace sipedge::dataplane::test {
namespace {

class ControlTx : public DataplaneTest {
 protected:
  SendResult send(uint16_t iface, const char* dst, uint16_t dport, const std::string& text) {
    OutgoingDatagram d;
    d.payload = payload(text);
    d.dst = *IpAddr::parse(dst);
    d.dst_port = dport;
    d.src_port = 5060;
    d.iface = iface;
    return dp_->control().send_udp(d, now_);
  }
  Bytes arp_request_from_us(uint16_t iface, const char* us, const char* target) {
    Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return cat(ether(bcast, our_mac(iface), 0x0806), arp(1, our_mac(iface), ip4(us), Mac{}, ip4(target)));
  }
};

TEST_F(ControlTx, HoldsDatagramWhileArpResolvesAndReleasesItOnReply) {
  EXPECT_EQ(send(kCore, "10.202.0.9", 5060, "OPTIONS"), SendResult::Held);
  std::vector<Bytes> out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], arp_request_from_us(kCore, "10.202.0.1", "10.202.0.9"));

  // The reply reaches a worker, goes to control through the neighbour ring, releases the datagram.
  receive(kCore, cat(ether(our_mac(kCore), kPeerMac, 0x0806),
                     arp(2, kPeerMac, ip4("10.202.0.9"), our_mac(kCore), ip4("10.202.0.1"))));
  dp_->control().poll(now_);
  out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], udp4_frame(kPeerMac, our_mac(kCore), ip4("10.202.0.1"), ip4("10.202.0.9"), 5060, 5060,
                               text("OPTIONS"), 1));
  EXPECT_EQ(dp_->total(kCore, Event::HeldReleased), 1u);

  // Resolved: the next datagram goes straight out.
  EXPECT_EQ(send(kCore, "10.202.0.9", 5061, "BYE"), SendResult::Sent);
  out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], udp4_frame(kPeerMac, our_mac(kCore), ip4("10.202.0.1"), ip4("10.202.0.9"), 5060, 5061,
                               text("BYE"), 2));
}

TEST_F(ControlTx, SendsOffLinkDestinationsToTheGateway) {
  EXPECT_EQ(send(kAccess, "198.51.100.20", 5060, "x"), SendResult::Held);
  std::vector<Bytes> out = sent(kAccess, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], arp_request_from_us(kAccess, "10.201.0.1", "10.201.0.254"));
  EXPECT_EQ(send(kCore, "198.51.100.20", 5060, "x"), SendResult::Dropped);  // core has no gateway
  EXPECT_EQ(dp_->total(kCore, Drop::NoRoute), 1u);
}

TEST_F(ControlTx, CountsHeldPacketsBeyondTheQueueBoundAndThoseOfSilentNeighbours) {
  for (int i = 0; i < 6; ++i) {
    send(kCore, "10.202.0.9", 5060, "m");
  }
  EXPECT_EQ(dp_->total(kCore, Drop::HoldOverflow), 2u);  // hold limit 4
  EXPECT_EQ(sent(kCore, 1).size(), 1u);                  // one ARP request so far
  // Retransmit every second up to 3 probes, then give up and drop what was held.
  for (int s = 0; s < 5; ++s) {
    now_ += hz_;
    dp_->control().poll(now_);
  }
  EXPECT_EQ(sent(kCore, 1).size(), 2u);  // probes 2 and 3
  EXPECT_EQ(dp_->total(kCore, Drop::NeighbourFailed), 4u);
  EXPECT_EQ(dp_->control().neighbours().size(), 0u);
}

TEST_F(ControlTx, ResolvesIpv6NextHopWithNeighbourSolicitation) {
  Ip6 us = ip6("fd00:202::1"), peer = ip6("fd00:202::9"), group = ip6("ff02::1:ff00:9");
  EXPECT_EQ(send(kCore, "fd00:202::9", 5060, "NOTIFY"), SendResult::Held);
  std::vector<Bytes> out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 1u);
  Bytes ns;
  put32(ns, 0);
  put(ns, peer);
  ns.push_back(1);
  ns.push_back(1);
  put(ns, our_mac(kCore));
  Mac group_mac{0x33, 0x33, 0xff, 0x00, 0x00, 0x09};
  EXPECT_EQ(out[0], cat(ether(group_mac, our_mac(kCore), 0x86dd),
                        ipv6(us, group, 58, icmp(135, 0, ns, pseudo6(us, group, 58, 4 + ns.size())), 255)));
  Bytes na;
  put32(na, 0x60000000);
  put(na, peer);
  na.push_back(2);
  na.push_back(1);
  put(na, kPeerMac);
  receive(kCore, cat(ether(our_mac(kCore), kPeerMac, 0x86dd),
                     ipv6(peer, us, 58, icmp(136, 0, na, pseudo6(peer, us, 58, 4 + na.size())), 255)));
  dp_->control().poll(now_);
  out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], udp6_frame(kPeerMac, our_mac(kCore), us, peer, 5060, 5060, text("NOTIFY")));
}

// Reassembles IPv4 fragments (Ethernet frames) the test's own way: sort by offset, concatenate.
Bytes reassemble4(const std::vector<Bytes>& frames, uint16_t mtu) {
  std::vector<std::pair<size_t, Bytes>> parts;
  for (const Bytes& f : frames) {
    EXPECT_LE(f.size() - 14, mtu);
    Bytes hdr(f.begin() + 14, f.begin() + 34);
    EXPECT_EQ(csum(hdr.data(), 20), 0) << "fragment header checksum";
    uint16_t word = get16(f, 20);
    parts.emplace_back((word & 0x1fff) * 8u, Bytes(f.begin() + 34, f.end()));
  }
  std::sort(parts.begin(), parts.end());
  Bytes all;
  for (auto& [off, data] : parts) {
    EXPECT_EQ(off, all.size());
    put(all, data);
  }
  return all;
}

TEST_F(ControlTx, FragmentsDatagramsLargerThanTheMtuAndTheyReassembleToTheOriginal) {
  std::string big(3000, 'F');
  for (size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>('A' + i % 26);
  }
  receive(kCore, cat(ether(our_mac(kCore), kPeerMac, 0x0806),
                     arp(2, kPeerMac, ip4("10.202.0.9"), our_mac(kCore), ip4("10.202.0.1"))));
  send(kCore, "10.202.0.9", 5060, "x");  // creates the entry and solicits
  dp_->control().poll(now_);             // the reply is on the neighbour ring only after a poll
  receive(kCore, cat(ether(our_mac(kCore), kPeerMac, 0x0806),
                     arp(2, kPeerMac, ip4("10.202.0.9"), our_mac(kCore), ip4("10.202.0.1"))));
  dp_->control().poll(now_);
  sent(kCore, 1);
  EXPECT_EQ(send(kCore, "10.202.0.9", 5070, big), SendResult::Sent);
  std::vector<Bytes> out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 3u);
  for (const Bytes& f : out) {
    EXPECT_EQ(Bytes(f.begin(), f.begin() + 14), ether(kPeerMac, our_mac(kCore), 0x0800));
  }
  Bytes dgram = reassemble4(out, 1500);
  Ip4 src = ip4("10.202.0.1"), dst = ip4("10.202.0.9");
  EXPECT_EQ(dgram, udp(5060, 5070, text(big), pseudo4(src, dst, 17, 8 + big.size())));
  EXPECT_EQ(dp_->total(kCore, Event::FragmentsOut), 3u);
}

TEST_F(ControlTx, FragmentsIpv6DatagramsWithAFragmentHeaderPerPiece) {
  Ip6 us = ip6("fd00:202::1"), peer = ip6("fd00:202::9");
  send(kCore, "fd00:202::9", 5060, "x");
  Bytes na;
  put32(na, 0x60000000);
  put(na, peer);
  na.push_back(2);
  na.push_back(1);
  put(na, kPeerMac);
  receive(kCore, cat(ether(our_mac(kCore), kPeerMac, 0x86dd),
                     ipv6(peer, us, 58, icmp(136, 0, na, pseudo6(peer, us, 58, 4 + na.size())), 255)));
  dp_->control().poll(now_);
  sent(kCore, 1);
  std::string big(2500, 'v');
  EXPECT_EQ(send(kCore, "fd00:202::9", 5060, big), SendResult::Sent);
  std::vector<Bytes> out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 2u);
  std::vector<std::pair<size_t, Bytes>> parts;
  uint32_t id = 0;
  for (const Bytes& f : out) {
    EXPECT_LE(f.size() - 14, 1500u);
    EXPECT_EQ(f[14 + 6], 44);  // next header: fragment
    uint32_t fid = static_cast<uint32_t>(get16(f, 58)) << 16 | get16(f, 60);
    EXPECT_NE(fid, 0u);
    if (id == 0) {
      id = fid;
    }
    EXPECT_EQ(fid, id);
    parts.emplace_back(get16(f, 56) & 0xfff8, Bytes(f.begin() + 62, f.end()));
  }
  std::sort(parts.begin(), parts.end());
  Bytes all;
  for (auto& [off, data] : parts) {
    EXPECT_EQ(off, all.size());
    put(all, data);
  }
  EXPECT_EQ(all, udp(5060, 5060, text(big), pseudo6(us, peer, 17, 8 + big.size())));
}

TEST_F(ControlTx, HoldsAllFragmentsOfADatagramOrNone) {
  // Hold limit 4: a 3-fragment datagram fits, a second one does not and is dropped whole.
  std::string big(3000, 'h');
  EXPECT_EQ(send(kCore, "10.202.0.9", 5060, big), SendResult::Held);
  EXPECT_EQ(send(kCore, "10.202.0.9", 5060, big), SendResult::Dropped);
  EXPECT_EQ(dp_->total(kCore, Drop::HoldOverflow), 3u);
  sent(kCore, 1);
  receive(kCore, cat(ether(our_mac(kCore), kPeerMac, 0x0806),
                     arp(2, kPeerMac, ip4("10.202.0.9"), our_mac(kCore), ip4("10.202.0.1"))));
  dp_->control().poll(now_);
  EXPECT_EQ(reassemble4(sent(kCore, 1), 1500).size(), 8 + big.size());
}

class SingleTxQueue : public ControlTx {
 protected:
  unsigned tx_rings() const override { return 1; }
};

TEST_F(SingleTxQueue, ControlSharesTheOnlyTxQueueWithTheWorkerOnTheSameLcore) {
  ASSERT_TRUE(dp_->shared_mode());
  EXPECT_EQ(dp_->iface(kCore).control_queue, 0);
  EXPECT_EQ(send(kCore, "10.202.0.9", 5060, "OPTIONS"), SendResult::Held);
  std::vector<Bytes> out = sent(kCore, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], arp_request_from_us(kCore, "10.202.0.1", "10.202.0.9"));
}

}  // namespace
}  // namespace sipedge::dataplane::test
