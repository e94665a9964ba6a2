// tests/dataplane/responder_test.cc — ARP, ICMP echo, ICMPv6 echo and NS answered in place by the
// worker: exact bytes out for bytes in, over net_ring ports.
#include "tests/support/dataplane_fixture.h"

namespace sipedge::dataplane::test {
namespace {

class Responder : public DataplaneTest {};

TEST_F(Responder, AnswersArpRequestForOurAddressWithExactReply) {
  Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  receive(kAccess, cat(ether(bcast, kPeerMac, 0x0806),
                       arp(1, kPeerMac, ip4("10.201.0.7"), Mac{}, ip4("10.201.0.1"))));
  std::vector<Bytes> out = sent(kAccess, 0);
  ASSERT_EQ(out.size(), 1u);
  Bytes want = cat(ether(kPeerMac, our_mac(kAccess), 0x0806),
                   arp(2, our_mac(kAccess), ip4("10.201.0.1"), kPeerMac, ip4("10.201.0.7")));
  EXPECT_EQ(out[0], want);
  EXPECT_EQ(dp_->total(kAccess, Event::ArpReplied), 1u);
}

TEST_F(Responder, IgnoresArpRequestForAnotherAddress) {
  Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  receive(kAccess, cat(ether(bcast, kPeerMac, 0x0806),
                       arp(1, kPeerMac, ip4("10.201.0.7"), Mac{}, ip4("10.201.0.9"))));
  EXPECT_TRUE(sent(kAccess, 0).empty());
  EXPECT_EQ(dp_->total(kAccess, Drop::ArpNotForUs), 1u);
}

// [interface] media_addresses: more addresses of the access port, 10.201.0.10-10.201.0.12.
class ResponderWithMediaAddresses : public DataplaneTest {
  void customise(DataplaneConfig& cfg) override { cfg.ports[kAccess].extra_ipv4 = {{0x0ac9000a, 0x0ac9000c}}; }
};

TEST_F(ResponderWithMediaAddresses, AnswersArpAndEchoForEachMediaAddressAsThatAddress) {
  Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  receive(kAccess, cat(ether(bcast, kPeerMac, 0x0806), arp(1, kPeerMac, ip4("10.201.0.7"), Mac{}, ip4("10.201.0.11"))));
  std::vector<Bytes> out = sent(kAccess, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], cat(ether(kPeerMac, our_mac(kAccess), 0x0806),
                        arp(2, our_mac(kAccess), ip4("10.201.0.11"), kPeerMac, ip4("10.201.0.7"))));
  // Just past the range, and the other port: not ours.
  receive(kAccess, cat(ether(bcast, kPeerMac, 0x0806), arp(1, kPeerMac, ip4("10.201.0.7"), Mac{}, ip4("10.201.0.13"))));
  receive(kCore, cat(ether(bcast, kPeerMac, 0x0806), arp(1, kPeerMac, ip4("10.202.0.7"), Mac{}, ip4("10.201.0.10"))));
  EXPECT_TRUE(sent(kAccess, 0).empty());
  EXPECT_TRUE(sent(kCore, 0).empty());
  EXPECT_EQ(dp_->total(kAccess, Drop::ArpNotForUs) + dp_->total(kCore, Drop::ArpNotForUs), 2u);

  Bytes body{0x12, 0x34, 0x00, 0x01, 'p', 'i', 'n', 'g'};
  receive(kAccess, cat(ether(our_mac(kAccess), kPeerMac, 0x0800),
                       ipv4(ip4("10.201.0.7"), ip4("10.201.0.12"), 1, icmp(8, 0, body, 0), 77, 0, 63)));
  out = sent(kAccess, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], cat(ether(kPeerMac, our_mac(kAccess), 0x0800),
                        ipv4(ip4("10.201.0.12"), ip4("10.201.0.7"), 1, icmp(0, 0, body, 0), 77, 0, 64)));
  receive(kAccess, cat(ether(our_mac(kAccess), kPeerMac, 0x0800),
                       ipv4(ip4("10.201.0.7"), ip4("10.201.0.9"), 1, icmp(8, 0, body, 0), 77, 0, 63)));
  EXPECT_TRUE(sent(kAccess, 0).empty());
  EXPECT_EQ(dp_->total(kAccess, Drop::NotForUs), 1u);
}

TEST_F(Responder, AnswersIcmpEchoInPlace) {
  Bytes body{0x12, 0x34, 0x00, 0x01, 'p', 'i', 'n', 'g'};
  receive(kAccess, cat(ether(our_mac(kAccess), kPeerMac, 0x0800),
                       ipv4(ip4("10.201.0.7"), ip4("10.201.0.1"), 1, icmp(8, 0, body, 0), 77, 0, 63)));
  std::vector<Bytes> out = sent(kAccess, 0);
  ASSERT_EQ(out.size(), 1u);
  Bytes want = cat(ether(kPeerMac, our_mac(kAccess), 0x0800),
                   ipv4(ip4("10.201.0.1"), ip4("10.201.0.7"), 1, icmp(0, 0, body, 0), 77, 0, 64));
  EXPECT_EQ(out[0], want);
  EXPECT_EQ(dp_->total(kAccess, Event::IcmpEchoReplied), 1u);
}

TEST_F(Responder, AnswersIcmpv6EchoInPlace) {
  Ip6 peer = ip6("fd00:201::7"), us = ip6("fd00:201::1");
  Bytes body{0xab, 0xcd, 0x00, 0x02, 'v', '6'};
  Bytes req = icmp(128, 0, body, pseudo6(peer, us, 58, 4 + body.size()));
  receive(kAccess, cat(ether(our_mac(kAccess), kPeerMac, 0x86dd), ipv6(peer, us, 58, req, 61)));
  std::vector<Bytes> out = sent(kAccess, 0);
  ASSERT_EQ(out.size(), 1u);
  Bytes rep = icmp(129, 0, body, pseudo6(us, peer, 58, 4 + body.size()));
  EXPECT_EQ(out[0], cat(ether(kPeerMac, our_mac(kAccess), 0x86dd), ipv6(us, peer, 58, rep, 64)));
}

TEST_F(Responder, AnswersNeighbourSolicitationWithSolicitedAdvertisement) {
  Ip6 peer = ip6("fd00:201::7"), us = ip6("fd00:201::1"), group = ip6("ff02::1:ff00:1");
  Bytes ns;
  put32(ns, 0);
  put(ns, us);
  ns.push_back(1);  // SLLA
  ns.push_back(1);
  put(ns, kPeerMac);
  Mac group_mac{0x33, 0x33, 0xff, 0x00, 0x00, 0x01};
  receive(kAccess, cat(ether(group_mac, kPeerMac, 0x86dd),
                       ipv6(peer, group, 58, icmp(135, 0, ns, pseudo6(peer, group, 58, 4 + ns.size())), 255)));
  std::vector<Bytes> out = sent(kAccess, 0);
  ASSERT_EQ(out.size(), 1u);
  Bytes na;
  put32(na, 0x60000000);  // Solicited + Override
  put(na, us);
  na.push_back(2);  // TLLA
  na.push_back(1);
  put(na, our_mac(kAccess));
  Bytes want = cat(ether(kPeerMac, our_mac(kAccess), 0x86dd),
                   ipv6(us, peer, 58, icmp(136, 0, na, pseudo6(us, peer, 58, 4 + na.size())), 255));
  EXPECT_EQ(out[0], want);
  EXPECT_EQ(dp_->total(kAccess, Event::NdAdvertised), 1u);
}

TEST_F(Responder, RefusesNeighbourSolicitationWithHopLimitBelow255) {
  Ip6 peer = ip6("fd00:201::7"), us = ip6("fd00:201::1");
  Bytes ns;
  put32(ns, 0);
  put(ns, us);
  receive(kAccess, cat(ether(our_mac(kAccess), kPeerMac, 0x86dd),
                       ipv6(peer, us, 58, icmp(135, 0, ns, pseudo6(peer, us, 58, 4 + ns.size())), 64)));
  EXPECT_TRUE(sent(kAccess, 0).empty());
  EXPECT_EQ(dp_->total(kAccess, Drop::IcmpOther), 1u);
}

}  // namespace
}  // namespace sipedge::dataplane::test
