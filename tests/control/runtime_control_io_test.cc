// tests/control/runtime_control_io_test.cc — control/runtime/control_io.cc over a real Dataplane on
// net_ring ports: exact frames for what control sends, ARP/ND resolution with held datagrams released
// on the answer, the bounded hold queue, the neighbour timeout, IPv4/IPv6 fragmentation, checksums
// left to a NIC, 802.1Q tags, the transport counters, next hops for the relay's flows, and control
// shards' sends through it.
#include "control/runtime/control_io.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "control/runtime/shard_set.h"
#include "tests/support/dataplane_fixture.h"

namespace sipedge::control {
namespace {

using namespace sipedge::dataplane;
using namespace sipedge::dataplane::test;

class ControlTx : public DataplaneTest {
 protected:
  void SetUp() override {
    DataplaneTest::SetUp();
    io_ = std::make_unique<ControlIo>(dp_->shared(), dp_->control_counters(), neighbour_config(),
                                      std::vector<uint16_t>{5060, 5060}, [this] { return now_; });
  }
  NeighbourTable::Config neighbour_config() const {
    NeighbourTable::Config nb;
    nb.reachable_tsc = 300 * hz_;
    nb.retrans_tsc = hz_;
    nb.max_probes = 3;
    nb.hold_limit = cfg_.neighbour_hold_packets;
    return nb;
  }
  void TearDown() override {
    io_.reset();
    DataplaneTest::TearDown();
  }
  // One datagram sent as in a control loop iteration: queued, then flushed by the iteration's poll.
  SendResult send(uint16_t iface, const char* dst, uint16_t dport, const std::string& text) {
    const SendResult r = io_->send(iface, Endpoint{*IpAddr::parse(dst), dport}, text);
    io_->poll(now_);
    return r;
  }
  Bytes arp_request_from_us(uint16_t iface, const char* us, const char* target) {
    Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return cat(ether(bcast, our_mac(iface), 0x0806), arp(1, our_mac(iface), ip4(us), Mac{}, ip4(target)));
  }
  // The IPv6 neighbour `peer` advertises `mac` (RFC 4861 §4.4, with its TLLA); by default it answers
  // our solicitation (Solicited and Override set).
  void nd_advert(const Ip6& us, const Ip6& peer, uint32_t flags = 0x60000000, const Mac& mac = kPeerMac) {
    Bytes na;
    put32(na, flags);
    put(na, peer);
    na.push_back(2);
    na.push_back(1);
    put(na, mac);
    receive(kCore, cat(ether(our_mac(kCore), mac, 0x86dd),
                       ipv6(peer, us, 58, icmp(136, 0, na, pseudo6(peer, us, 58, 4 + na.size())), 255)));
    io_->poll(now_);
  }
  // What ControlIo tells the relay from now on, one line an answer: "IFACE ADDRESS[ moved]".
  void watch_resolutions() {
    io_->set_on_resolved([this](uint16_t iface, const IpAddr& hop, bool moved) {
      resolved_.push_back(std::to_string(iface) + " " + hop.to_string() + (moved ? " moved" : ""));
    });
  }
  // The neighbour answers; the worker hands the answer to control, which polls once.
  void arp_reply(uint16_t iface, const char* peer, const char* us) {
    receive(iface, cat(ether(our_mac(iface), kPeerMac, 0x0806), arp(2, kPeerMac, ip4(peer), our_mac(iface), ip4(us))));
    io_->poll(now_);
  }

  std::unique_ptr<ControlIo> io_;
  std::vector<std::string> resolved_;
};

TEST_F(ControlTx, HoldsDatagramWhileArpResolvesAndReleasesItOnReply) {
  EXPECT_EQ(send(kCore, "10.202.0.9", 5060, "OPTIONS"), SendResult::Sent);
  std::vector<Bytes> out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], arp_request_from_us(kCore, "10.202.0.1", "10.202.0.9"));

  // The reply reaches a worker, goes to control through the neighbour ring, releases the datagram.
  receive(kCore, cat(ether(our_mac(kCore), kPeerMac, 0x0806),
                     arp(2, kPeerMac, ip4("10.202.0.9"), our_mac(kCore), ip4("10.202.0.1"))));
  io_->poll(now_);
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

// A datagram waits in the TX queue until the loop's poll at the end of its iteration, so the
// answers to a burst of messages leave as one burst (on net_af_packet, one sendto instead of one
// per datagram).
TEST_F(ControlTx, AnIterationsDatagramsLeaveTogetherAtItsPoll) {
  send(kCore, "10.202.0.9", 5060, "OPTIONS");
  arp_reply(kCore, "10.202.0.9", "10.202.0.1");
  ASSERT_EQ(sent(kCore, 1).size(), 2u);  // the ARP request, then the datagram it held
  const uint64_t tx_before = dp_->total(kCore, Event::TxPackets);
  EXPECT_EQ(io_->send(kCore, Endpoint{*IpAddr::parse("10.202.0.9"), 5061}, "BYE"), SendResult::Sent);
  EXPECT_EQ(io_->send(kCore, Endpoint{*IpAddr::parse("10.202.0.9"), 5062}, "ACK"), SendResult::Sent);
  EXPECT_TRUE(sent(kCore, 1).empty());
  EXPECT_EQ(dp_->total(kCore, Event::TxPackets), tx_before);
  EXPECT_EQ(io_->poll(now_), 2u);  // the flush is the poll's work
  const std::vector<Bytes> out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], udp4_frame(kPeerMac, our_mac(kCore), ip4("10.202.0.1"), ip4("10.202.0.9"), 5060, 5061, text("BYE"), 2));
  EXPECT_EQ(out[1], udp4_frame(kPeerMac, our_mac(kCore), ip4("10.202.0.1"), ip4("10.202.0.9"), 5060, 5062, text("ACK"), 3));
  EXPECT_EQ(dp_->total(kCore, Event::TxPackets), tx_before + 2);
  EXPECT_EQ(io_->poll(now_), 0u);
}

TEST_F(ControlTx, SendsOffLinkDestinationsToTheGateway) {
  EXPECT_EQ(send(kAccess, "198.51.100.20", 5060, "x"), SendResult::Sent);
  std::vector<Bytes> out = sent(kAccess, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], arp_request_from_us(kAccess, "10.201.0.1", "10.201.0.254"));
  EXPECT_EQ(send(kCore, "198.51.100.20", 5060, "x"), SendResult::Unreachable);  // core has no gateway
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
    io_->poll(now_);
  }
  EXPECT_EQ(sent(kCore, 1).size(), 2u);  // probes 2 and 3
  EXPECT_EQ(dp_->total(kCore, Drop::NeighbourFailed), 4u);
  EXPECT_EQ(io_->neighbours().size(), 0u);
}

TEST_F(ControlTx, ResolvesIpv6NextHopWithNeighbourSolicitation) {
  Ip6 us = ip6("fd00:202::1"), peer = ip6("fd00:202::9"), group = ip6("ff02::1:ff00:9");
  EXPECT_EQ(send(kCore, "fd00:202::9", 5060, "NOTIFY"), SendResult::Sent);
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
  nd_advert(us, peer);
  out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], udp6_frame(kPeerMac, our_mac(kCore), us, peer, 5060, 5060, text("NOTIFY")));
}

// RFC 826's merge: a known neighbour asking for our address from another MAC (a router replaced
// without announcing itself) has moved. The worker answers the request in place, to the MAC that
// asked; control learns the move from a copy. A request from a neighbour never asked about creates
// no entry.
TEST_F(ControlTx, AnArpRequestFromAKnownNeighbourAtAnotherMacMovesIt) {
  watch_resolutions();
  const Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const Mac replacement{0x02, 0x00, 0x00, 0x00, 0x00, 0x55};
  auto asks = [&](const Mac& from, const char* addr) {
    receive(kCore, cat(ether(bcast, from, 0x0806), arp(1, from, ip4(addr), Mac{}, ip4("10.202.0.1"))));
    io_->poll(now_);
  };
  EXPECT_EQ(send(kCore, "10.202.0.9", 5060, "hello"), SendResult::Sent);  // held, ARP sent
  arp_reply(kCore, "10.202.0.9", "10.202.0.1");
  EXPECT_EQ(sent(kCore, 1).size(), 2u);
  asks(kPeerMac, "10.202.0.9");
  asks(replacement, "10.202.0.9");
  std::vector<Bytes> answers = sent(kCore, 0);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[1], cat(ether(replacement, our_mac(kCore), 0x0806),
                            arp(2, our_mac(kCore), ip4("10.202.0.1"), replacement, ip4("10.202.0.9"))));
  EXPECT_EQ(resolved_, (std::vector<std::string>{"1 10.202.0.9", "1 10.202.0.9", "1 10.202.0.9 moved"}));
  auto mac = io_->next_hop_mac(kCore, *IpAddr::parse("10.202.0.9"));
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(Mac(std::to_array(mac->addr_bytes)), replacement);

  const size_t known = io_->neighbours().size();
  asks(replacement, "10.202.0.44");
  EXPECT_EQ(sent(kCore, 0).size(), 1u);  // answered all the same
  EXPECT_EQ(io_->neighbours().size(), known);
  EXPECT_EQ(resolved_.size(), 3u);
  EXPECT_EQ(dp_->total(kCore, Event::ArpReplied), 3u);
  EXPECT_EQ(dp_->total(kCore, Event::NeighbourToControl), 4u);  // the reply and the three copies
}

// RFC 4861 §7.2.5: an advertisement of another MAC moves a known IPv6 neighbour only with its
// Override flag. Without it (a proxy or anycast answer) the neighbour keeps its MAC and, Reachable,
// becomes Stale, so that it is asked again.
TEST_F(ControlTx, AnIpv6NeighbourMovesOnlyOnAnAdvertisementThatOverrides) {
  watch_resolutions();
  const Ip6 us = ip6("fd00:202::1"), peer = ip6("fd00:202::9");
  const IpAddr peer_addr = *IpAddr::parse("fd00:202::9");
  const Mac other{0x02, 0x00, 0x00, 0x00, 0x00, 0x66};
  EXPECT_EQ(send(kCore, "fd00:202::9", 5060, "NOTIFY"), SendResult::Sent);
  nd_advert(us, peer);
  ASSERT_EQ(sent(kCore, 1).size(), 2u);  // the solicitation, the datagram it held
  nd_advert(us, peer, 0x40000000, other);  // Solicited, no Override
  ASSERT_NE(io_->neighbours().find(kCore, peer_addr), nullptr);
  EXPECT_EQ(io_->neighbours().find(kCore, peer_addr)->state, NeighbourTable::State::Stale);
  auto mac = io_->next_hop_mac(kCore, peer_addr);
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(Mac(std::to_array(mac->addr_bytes)), kPeerMac);
  nd_advert(us, peer, 0x20000000, other);  // unsolicited, Override: the neighbour moved
  mac = io_->next_hop_mac(kCore, peer_addr);
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(Mac(std::to_array(mac->addr_bytes)), other);
  EXPECT_EQ(resolved_, (std::vector<std::string>{"1 fd00:202::9", "1 fd00:202::9 moved"}));
  EXPECT_EQ(dp_->total(kCore, Event::NeighbourMoved), 1u);
}

// Reassembles IPv4 fragments (Ethernet frames) the test's own way: sort by offset, concatenate.
Bytes reassemble4(const std::vector<Bytes>& frames, uint16_t mtu) {
  std::vector<std::pair<size_t, Bytes>> parts;
  for (const Bytes& f : frames) {
    EXPECT_LE(f.size() - 14, mtu);
    Bytes hdr(f.begin() + 14, f.begin() + 34);
    EXPECT_EQ(inet_checksum(hdr.data(), 20), 0) << "fragment header checksum";
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
  send(kCore, "10.202.0.9", 5060, "x");  // creates the entry and solicits
  arp_reply(kCore, "10.202.0.9", "10.202.0.1");
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
  nd_advert(us, peer);
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

// A core port whose NIC computes the IPv4 header and UDP checksums on control's queue (as open_port
// records when the PMD offers them per queue): net_ring has no such offload, so the test sets the
// flags on a copy of the dataplane's shared state, as a NIC's port would have them.
class ControlTxOffload : public ControlTx {
 protected:
  void SetUp() override {
    ControlTx::SetUp();
    nic_shared_ = dp_->shared();
    nic_shared_.ifaces[kCore].tx_ipv4_checksum = true;
    nic_shared_.ifaces[kCore].tx_udp_checksum = true;
    io_ = std::make_unique<ControlIo>(nic_shared_, dp_->control_counters(), neighbour_config(),
                                      std::vector<uint16_t>{5060, 5060}, [this] { return now_; });
  }
  struct Frame {
    Bytes bytes;
    uint64_t ol_flags;
    uint16_t l2_len, l3_len;
  };
  // What the port's control queue holds, with the offload requests a PMD would read.
  std::vector<Frame> sent_frames(uint16_t iface) {
    std::vector<Frame> out;
    void* obj = nullptr;
    while (rte_ring_dequeue(ports_[iface].tx[1], &obj) == 0) {
      auto* m = static_cast<rte_mbuf*>(obj);
      Bytes b(m->pkt_len);
      const void* p = rte_pktmbuf_read(m, 0, m->pkt_len, b.data());
      if (p != b.data()) std::memcpy(b.data(), p, m->pkt_len);
      out.push_back({std::move(b), m->ol_flags, static_cast<uint16_t>(m->l2_len), static_cast<uint16_t>(m->l3_len)});
      rte_pktmbuf_free(m);
    }
    return out;
  }
  dataplane::SharedState nic_shared_;
};

TEST_F(ControlTxOffload, LeavesTheChecksumsToTheNicWithThePseudoHeaderSumInPlace) {
  send(kCore, "10.202.0.9", 5060, "x");
  arp_reply(kCore, "10.202.0.9", "10.202.0.1");
  sent_frames(kCore);
  EXPECT_EQ(send(kCore, "10.202.0.9", 5061, "BYE"), SendResult::Sent);
  const std::vector<Frame> out = sent_frames(kCore);
  ASSERT_EQ(out.size(), 1u);
  const Ip4 src = ip4("10.202.0.1"), dst = ip4("10.202.0.9");
  // The frame a NIC completes: IPv4 header checksum 0, UDP checksum the folded pseudo-header sum.
  Bytes want = udp4_frame(kPeerMac, our_mac(kCore), src, dst, 5060, 5061, text("BYE"), 2);
  set16(want, 14 + 10, 0);
  set16(want, 14 + 20 + 6, inet_fold(pseudo4(src, dst, 17, 8 + 3)));
  EXPECT_EQ(out[0].bytes, want);
  EXPECT_EQ(out[0].ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM);
  EXPECT_EQ(out[0].l2_len, 14u);
  EXPECT_EQ(out[0].l3_len, 20u);
}

TEST_F(ControlTxOffload, LeavesAnIpv6UdpChecksumToTheNic) {
  const Ip6 us = ip6("fd00:202::1"), peer = ip6("fd00:202::9");
  send(kCore, "fd00:202::9", 5060, "x");
  nd_advert(us, peer);
  sent_frames(kCore);
  EXPECT_EQ(send(kCore, "fd00:202::9", 5060, "NOTIFY"), SendResult::Sent);
  const std::vector<Frame> out = sent_frames(kCore);
  ASSERT_EQ(out.size(), 1u);
  Bytes want = udp6_frame(kPeerMac, our_mac(kCore), us, peer, 5060, 5060, text("NOTIFY"));
  set16(want, 14 + 40 + 6, inet_fold(pseudo6(us, peer, 17, 8 + 6)));
  EXPECT_EQ(out[0].bytes, want);
  EXPECT_EQ(out[0].ol_flags, RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM);
  EXPECT_EQ(out[0].l3_len, 40u);
}

// A checksum over several fragments is beyond a NIC that sees one frame at a time: computed here.
TEST_F(ControlTxOffload, ComputesTheChecksumsOfAFragmentedDatagramItself) {
  send(kCore, "10.202.0.9", 5060, "x");
  arp_reply(kCore, "10.202.0.9", "10.202.0.1");
  sent_frames(kCore);
  const std::string big(3000, 'F');
  EXPECT_EQ(send(kCore, "10.202.0.9", 5070, big), SendResult::Sent);
  const std::vector<Frame> out = sent_frames(kCore);
  ASSERT_EQ(out.size(), 3u);
  std::vector<Bytes> frames;
  for (const Frame& f : out) {
    EXPECT_EQ(f.ol_flags, 0u);
    frames.push_back(f.bytes);
  }
  const Ip4 src = ip4("10.202.0.1"), dst = ip4("10.202.0.9");
  EXPECT_EQ(reassemble4(frames, 1500), udp(5060, 5070, text(big), pseudo4(src, dst, 17, 8 + big.size())));
}

TEST_F(ControlTx, HoldsAllFragmentsOfADatagramOrNone) {
  // Hold limit 4: a 3-fragment datagram fits, a second one does not and is dropped whole.
  std::string big(3000, 'h');
  EXPECT_EQ(send(kCore, "10.202.0.9", 5060, big), SendResult::Sent);
  EXPECT_EQ(send(kCore, "10.202.0.9", 5060, big), SendResult::Failed);
  EXPECT_EQ(dp_->total(kCore, Drop::HoldOverflow), 3u);
  sent(kCore, 1);
  receive(kCore, cat(ether(our_mac(kCore), kPeerMac, 0x0806),
                     arp(2, kPeerMac, ip4("10.202.0.9"), our_mac(kCore), ip4("10.202.0.1"))));
  io_->poll(now_);
  EXPECT_EQ(reassemble4(sent(kCore, 1), 1500).size(), 8 + big.size());
}

TEST_F(ControlTx, CountsWhatItSentHeldFailedAndCouldNotRoute) {
  EXPECT_EQ(send(kCore, "10.202.0.9", 5060, "a"), SendResult::Sent);        // held for ARP
  EXPECT_EQ(send(kCore, "198.51.100.20", 5060, "b"), SendResult::Unreachable);
  for (int i = 0; i < 4; ++i) {
    send(kCore, "10.202.0.9", 5060, "c");  // hold limit 4: the last one is dropped
  }
  const TransportCounters& c = io_->counters();
  EXPECT_EQ(c.sent, 4u);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_EQ(c.unreachable, 1u);
}

// Control shards send through the one ControlIo, each under ShardSet's lock (ShardTransport): the
// frames are ControlIo's own, IP Identifications counting on across the shards; each shard counts
// what it sent, the shared transport counts all of it and shows it to its tap.
TEST_F(ControlTx, ShardsSendThroughTheSharedTransportAndEachCountsItsOwn) {
  struct Seen final : SipTap {
    void received(const Inbound&) override {}
    void sent(uint16_t, const Endpoint&, std::string_view bytes, std::string_view) override { texts.emplace_back(bytes); }
    std::vector<std::string> texts;
  } seen;
  io_->set_tap(&seen);
  ShardSet set(2);
  ShardTransport shard0(set, *io_), shard1(set, *io_);
  const Endpoint peer{*IpAddr::parse("10.202.0.9"), 5060};
  EXPECT_EQ(shard0.send(kCore, peer, "INVITE"), SendResult::Sent);  // held for ARP
  io_->poll(now_);
  EXPECT_EQ(sent(kCore, 1), std::vector<Bytes>{arp_request_from_us(kCore, "10.202.0.1", "10.202.0.9")});
  arp_reply(kCore, "10.202.0.9", "10.202.0.1");
  EXPECT_EQ(shard1.send(kCore, peer, "BYE"), SendResult::Sent);
  EXPECT_EQ(shard0.send(kCore, peer, "ACK"), SendResult::Sent);
  EXPECT_EQ(shard1.send(kCore, Endpoint{*IpAddr::parse("198.51.100.20"), 5060}, "X"), SendResult::Unreachable);
  io_->poll(now_);
  const std::vector<Bytes> out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 3u);
  auto frame = [&](const char* payload, uint16_t id) {
    return udp4_frame(kPeerMac, our_mac(kCore), ip4("10.202.0.1"), ip4("10.202.0.9"), 5060, 5060, text(payload), id);
  };
  EXPECT_EQ(out[0], frame("INVITE", 1));
  EXPECT_EQ(out[1], frame("BYE", 2));
  EXPECT_EQ(out[2], frame("ACK", 3));
  EXPECT_EQ(shard0.counters().sent, 2u);
  EXPECT_EQ(shard1.counters().sent, 1u);
  EXPECT_EQ(shard1.counters().unreachable, 1u);
  EXPECT_EQ(io_->counters().sent, 3u);
  EXPECT_EQ(io_->counters().unreachable, 1u);
  EXPECT_EQ(seen.texts, (std::vector<std::string>{"INVITE", "BYE", "ACK"}));
  EXPECT_EQ(dp_->total(kCore, Event::ControlTx), 3u);
  io_->set_tap(nullptr);
}

TEST_F(ControlTx, GivesTheRelayNextHopsAndTellsItWhenOneResolves) {
  watch_resolutions();
  EXPECT_EQ(io_->next_hop(kCore, *IpAddr::parse("10.202.0.9")), IpAddr::parse("10.202.0.9"));
  EXPECT_EQ(io_->next_hop(kAccess, *IpAddr::parse("198.51.100.20")), IpAddr::parse("10.201.0.254"));
  EXPECT_EQ(io_->next_hop(kAccess, IpAddr{}), IpAddr::parse("10.201.0.254"));  // peer not known yet
  EXPECT_EQ(io_->next_hop(kCore, *IpAddr::parse("198.51.100.20")), std::nullopt);

  EXPECT_EQ(io_->next_hop_mac(kCore, *IpAddr::parse("10.202.0.9")), std::nullopt);  // solicits
  io_->poll(now_);  // the solicitation leaves with the next TX flush
  std::vector<Bytes> out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], arp_request_from_us(kCore, "10.202.0.1", "10.202.0.9"));
  arp_reply(kCore, "10.202.0.9", "10.202.0.1");
  EXPECT_EQ(resolved_, std::vector<std::string>{"1 10.202.0.9"});
  auto mac = io_->next_hop_mac(kCore, *IpAddr::parse("10.202.0.9"));
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(Mac(std::to_array(mac->addr_bytes)), kPeerMac);
  // No next hop at all: a zero MAC, so the flow is installed and waits for the peer's first packet.
  auto none = io_->next_hop_mac(kCore, *IpAddr::parse("198.51.100.20"));
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(rte_is_zero_ether_addr(&*none));
}

// A neighbour that announces another MAC (a gratuitous ARP request, RFC 5227 §3: a router taking
// over the address after a failover) moves at once: control's datagrams and the relay's flows
// (told through on_resolved) go to the new MAC. Announcements teach nothing new: one from a
// neighbour never asked for, or claiming our own address, changes no entry.
TEST_F(ControlTx, AGratuitousArpMovesANeighbourItKnowsAndCreatesNone) {
  watch_resolutions();
  const Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const Mac standby{0x02, 0x00, 0x00, 0x00, 0x00, 0x77};
  auto announce = [&](const Mac& from, const char* addr) {
    receive(kCore, cat(ether(bcast, from, 0x0806), arp(1, from, ip4(addr), Mac{}, ip4(addr))));
    io_->poll(now_);
  };
  EXPECT_EQ(send(kCore, "10.202.0.9", 5060, "hello"), SendResult::Sent);  // held, ARP sent
  arp_reply(kCore, "10.202.0.9", "10.202.0.1");
  EXPECT_EQ(sent(kCore, 1).size(), 2u);  // the request, then the held datagram
  announce(kPeerMac, "10.202.0.9");       // the same MAC again: refreshed, not moved
  announce(standby, "10.202.0.9");
  EXPECT_EQ(resolved_, (std::vector<std::string>{"1 10.202.0.9", "1 10.202.0.9", "1 10.202.0.9 moved"}));
  auto mac = io_->next_hop_mac(kCore, *IpAddr::parse("10.202.0.9"));
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(Mac(std::to_array(mac->addr_bytes)), standby);
  EXPECT_EQ(send(kCore, "10.202.0.9", 5060, "hello"), SendResult::Sent);
  std::vector<Bytes> out = sent(kCore, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Bytes(out[0].begin(), out[0].begin() + 6), Bytes(standby.begin(), standby.end()));
  EXPECT_EQ(dp_->total(kCore, Event::NeighbourMoved), 1u);

  const size_t known = io_->neighbours().size();
  announce(standby, "10.202.0.33");  // never asked for
  announce(standby, "10.202.0.1");   // our own address
  EXPECT_EQ(io_->neighbours().size(), known);
  EXPECT_EQ(resolved_.size(), 3u);
  EXPECT_EQ(dp_->total(kCore, Event::NeighbourToControl), 4u);  // the reply and three announcements
  EXPECT_EQ(dp_->total(kCore, Drop::ArpNotForUs), 1u);           // the one claiming our address
}

// Two control shards on ports with a TX queue for each (net_ring, three TX queues: the worker's,
// control's, the second shard's).
class ShardLanes : public ControlTx {
 protected:
  void customise(DataplaneConfig& cfg) override { cfg.eal.shard_lcores = {7}; }
  unsigned tx_rings() const override { return 3; }
  Bytes frame(const char* payload, uint16_t id) {
    return udp4_frame(kPeerMac, our_mac(kCore), ip4("10.202.0.1"), ip4("10.202.0.9"), 5060, 5060, text(payload), id);
  }
  // Sends through `lane` while this thread holds the shards' lock: true when the send returned
  // without waiting for it (waits up to 5 s, then lets it go).
  static bool sent_without_the_lock(ShardSet& set, ShardLane& lane, const Endpoint& to, const char* text) {
    set.lock().lock();
    auto send = std::async(std::launch::async, [&] { return lane.send(kCore, to, text); });
    const bool done = send.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    set.lock().unlock();
    return done && send.get() == SendResult::Sent;
  }
  const Endpoint peer_{*IpAddr::parse("10.202.0.9"), 5060};
};

// The second shard gets TX queue 2 on every port. Its first datagram to a neighbour not resolved
// yet goes through the shared ControlIo (held, ARP on the control queue, released on the answer);
// once the neighbour is known, its datagrams go out on its own queue without the lock, numbered
// 3, 5, 7 (shard 1 of 2), and counted on its own counters.
TEST_F(ShardLanes, ASecondShardSendsOnItsOwnQueueWithoutTheLockOnceItKnowsTheNeighbour) {
  EXPECT_EQ(dp_->iface(kCore).control_queue, 1);
  EXPECT_EQ(dp_->iface(kCore).shard_tx_queues, 1);
  EXPECT_EQ(dp_->iface(kAccess).shard_tx_queues, 1);
  EXPECT_FALSE(ShardLane::available(dp_->shared(), 0));
  EXPECT_TRUE(ShardLane::available(dp_->shared(), 1));
  EXPECT_FALSE(ShardLane::available(dp_->shared(), 2));
  ShardSet set(2);
  ShardLane lane(set, *io_, 1, dp_->shard_counters(1));

  EXPECT_EQ(lane.send(kCore, peer_, "INVITE"), SendResult::Sent);  // held for ARP, in the shared table
  EXPECT_TRUE(lane.take_shared_sends());
  EXPECT_FALSE(lane.take_shared_sends());
  io_->poll(now_);
  EXPECT_EQ(sent(kCore, 1), std::vector<Bytes>{arp_request_from_us(kCore, "10.202.0.1", "10.202.0.9")});
  arp_reply(kCore, "10.202.0.9", "10.202.0.1");
  EXPECT_EQ(sent(kCore, 1), std::vector<Bytes>{frame("INVITE", 3)});

  // The answer is news to the lane: one more send through ControlIo, which shows it the MAC.
  EXPECT_EQ(lane.send(kCore, peer_, "ACK"), SendResult::Sent);
  EXPECT_TRUE(lane.take_shared_sends());
  io_->poll(now_);
  EXPECT_EQ(sent(kCore, 1), std::vector<Bytes>{frame("ACK", 5)});

  ASSERT_TRUE(sent_without_the_lock(set, lane, peer_, "BYE"));
  ASSERT_TRUE(sent_without_the_lock(set, lane, peer_, "OPTIONS"));
  EXPECT_FALSE(lane.take_shared_sends());
  EXPECT_TRUE(sent(kCore, 2).empty()) << "queued until the lane's flush";
  EXPECT_EQ(lane.flush(), 2u);
  EXPECT_EQ(sent(kCore, 2), (std::vector<Bytes>{frame("BYE", 7), frame("OPTIONS", 9)}));
  io_->poll(now_);
  EXPECT_TRUE(sent(kCore, 1).empty());
  EXPECT_EQ(dp_->shard_counters(1).get(kCore, Event::ControlTx), 4u);
  EXPECT_EQ(dp_->shard_counters(1).get(kCore, Event::TxPackets), 2u);
  EXPECT_EQ(dp_->control_counters().get(kCore, Event::ControlTx), 0u);
  EXPECT_EQ(dp_->total(kCore, Event::ControlTx), 4u);
  EXPECT_EQ(lane.counters().sent, 4u);
  EXPECT_EQ(io_->counters().sent, 0u) << "the lane is its own transport";
}

// What the lane knows it gives up when the neighbour table would look again: another answer from
// any neighbour, the entry turning Stale (re-probed through ControlIo), or a capture running (an
// active frame tap sees every frame). Each time the datagram leaves through ControlIo's queue.
TEST_F(ShardLanes, TheLaneGoesBackThroughTheSharedTableWhenItsNeighbourMayHaveChanged) {
  ShardSet set(2);
  ShardLane lane(set, *io_, 1, dp_->shard_counters(1));
  send(kCore, "10.202.0.9", 5060, "x");  // shard 0 resolves the neighbour
  sent(kCore, 1);
  arp_reply(kCore, "10.202.0.9", "10.202.0.1");
  sent(kCore, 1);
  // Where the lane's datagram left: "control" (ControlIo's queue, through the lock) or "own".
  auto sent_on = [&](const char* payload) -> std::string {
    EXPECT_EQ(lane.send(kCore, peer_, payload), SendResult::Sent);
    lane.flush();
    const bool shared = lane.take_shared_sends();
    io_->poll(now_);
    const std::vector<Bytes> control = sent(kCore, 1), own = sent(kCore, 2);
    const Bytes body = text(payload);
    auto carries = [&](const std::vector<Bytes>& frames) {
      return std::any_of(frames.begin(), frames.end(), [&](const Bytes& f) {
        return f.size() >= body.size() && std::equal(body.begin(), body.end(), f.end() - body.size());
      });
    };
    if (shared && carries(control) && own.empty()) return "control";
    if (!shared && carries(own) && control.empty()) return "own";
    return "shared " + std::to_string(shared) + ", control " + std::to_string(control.size()) + ", own " +
           std::to_string(own.size());
  };
  EXPECT_EQ(sent_on("1"), "control");
  EXPECT_EQ(sent_on("2"), "own") << "known now";

  arp_reply(kCore, "10.202.0.9", "10.202.0.1");  // a fresh answer
  EXPECT_EQ(sent_on("3"), "control");
  EXPECT_EQ(sent_on("4"), "own");

  now_ += 301 * hz_;  // past reachable_tsc: the entry is Stale at the next expiry
  io_->poll(now_);
  EXPECT_EQ(sent_on("5"), "control");  // with a re-probe: ARP on the control queue too
  EXPECT_EQ(sent_on("6"), "control") << "Stale: not kept";

  arp_reply(kCore, "10.202.0.9", "10.202.0.1");
  EXPECT_EQ(sent_on("7"), "control");
  EXPECT_EQ(sent_on("8"), "own");
  // The frame tap is set once, as a gateway sets its capture; it takes frames only while active.
  struct Frames final : SipFrameTap {
    void frames_out(uint16_t, rte_mbuf* const*, unsigned n, std::string_view) override { count += n; }
    bool active() const noexcept override { return on; }
    unsigned count = 0;
    bool on = false;
  } tap;
  io_->set_frame_tap(&tap);
  EXPECT_EQ(sent_on("9"), "own");
  tap.on = true;
  EXPECT_EQ(sent_on("10"), "control");
  EXPECT_EQ(tap.count, 1u);
  tap.on = false;
  EXPECT_EQ(sent_on("11"), "own");
  io_->set_frame_tap(nullptr);
}

// A PMD with too few TX queues for every shard: none gets one, and they share the control queue.
class ShardsOnTwoTxQueues : public ControlTx {
 protected:
  void customise(DataplaneConfig& cfg) override { cfg.eal.shard_lcores = {7}; }
};

TEST_F(ShardsOnTwoTxQueues, NoShardGetsAQueueOfItsOwn) {
  EXPECT_EQ(dp_->iface(kCore).control_queue, 1);
  EXPECT_EQ(dp_->iface(kCore).shard_tx_queues, 0);
  EXPECT_FALSE(ShardLane::available(dp_->shared(), 1));
}

class SingleTxQueue : public ControlTx {
 protected:
  unsigned tx_rings() const override { return 1; }
};

TEST_F(SingleTxQueue, ControlSharesTheOnlyTxQueueWithTheWorkerOnTheSameLcore) {
  ASSERT_TRUE(dp_->shared_mode());
  EXPECT_EQ(dp_->iface(kCore).control_queue, 0);
  EXPECT_EQ(send(kCore, "10.202.0.9", 5060, "OPTIONS"), SendResult::Sent);
  std::vector<Bytes> out = sent(kCore, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], arp_request_from_us(kCore, "10.202.0.1", "10.202.0.9"));
}

class VlanControlTx : public ControlTx {
 protected:
  void customise(DataplaneConfig& cfg) override { cfg.ports[kAccess].vlan = 100; }
  static Bytes tagged(const Mac& dst, const Mac& src, uint16_t type) {
    return cat(ether(dst, src, 0x8100), Bytes{0x00, 0x64, static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type)});
  }
};

TEST_F(VlanControlTx, FramesCarryTheTagAndResolveThroughTaggedArp) {
  EXPECT_EQ(send(kAccess, "10.201.0.7", 5060, "SIP"), SendResult::Sent);
  Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  std::vector<Bytes> out = sent(kAccess, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], cat(tagged(bcast, our_mac(kAccess), 0x0806),
                        arp(1, our_mac(kAccess), ip4("10.201.0.1"), Mac{}, ip4("10.201.0.7"))));
  receive(kAccess, cat(tagged(our_mac(kAccess), kPeerMac, 0x0806),
                       arp(2, kPeerMac, ip4("10.201.0.7"), our_mac(kAccess), ip4("10.201.0.1"))));
  io_->poll(now_);
  out = sent(kAccess, 1);
  ASSERT_EQ(out.size(), 1u);
  Bytes plain = udp4_frame(kPeerMac, our_mac(kAccess), ip4("10.201.0.1"), ip4("10.201.0.7"), 5060, 5060, text("SIP"));
  EXPECT_EQ(out[0], cat(tagged(kPeerMac, our_mac(kAccess), 0x0800), Bytes(plain.begin() + 14, plain.end())));
}

}  // namespace
}  // namespace sipedge::control
