// tests/dataplane/media_relay_test.cc — media classified by a worker is relayed by rtp_relay through
// the MediaRelay glue: exact rewritten frame out of the other port (with the egress port's 802.1Q
// tag added, changed or removed), misses counted by the relay.
#include <rte_cycles.h>

#include "dataplane/media_relay.h"
#include "tests/support/dataplane_fixture.h"

namespace sipedge::dataplane::test {
namespace {

class MediaRelayTest : public DataplaneTest {
 protected:
  void SetUp() override {
    DataplaneTest::SetUp();
    static unsigned seq = 0;
    relay::FlowTableConfig fc;
    fc.name = "dpt_relay" + std::to_string(seq++);
    fc.ipv4_flows = 64;
    fc.ipv6_flows = 16;
    fc.max_readers = 4;
    auto table = relay::FlowTable::create(fc);
    ASSERT_TRUE(table.ok());
    table_ = std::move(table.value());
    media_ = std::make_unique<MediaRelay>(*table_, dp_->shared(), dp_->media_lanes());
    dp_->set_media_handler(media_->handler());
  }
  void TearDown() override {
    media_.reset();
    table_.reset();
    DataplaneTest::TearDown();
  }
  static rte_ether_addr eth(const Mac& m) {
    rte_ether_addr e;
    std::memcpy(e.addr_bytes, m.data(), 6);
    return e;
  }

  // Access 10.201.0.7:40000 (latching) <> relay 10.201.0.1:20000 | 10.202.0.1:20002 <> core
  // 10.202.0.9:30000 via the gateway's MAC.
  void add_access_core_flow(IpAddr access_local = *IpAddr::parse("10.201.0.1")) {
    relay::FlowSpec spec;
    relay::EndpointSpec& acc = spec.side[0];
    acc.port_id = dp_->iface(kAccess).port_id;
    acc.local_addr = access_local;
    acc.local_port = 20000;
    acc.remote_addr = *IpAddr::parse("10.201.0.7");
    acc.remote_port = 40000;
    acc.latch = relay::LatchMode::Latch;
    acc.local_mac = dp_->iface(kAccess).mac;
    acc.next_hop_mac = eth(kPeerMac);
    relay::EndpointSpec& core = spec.side[1];
    core.port_id = dp_->iface(kCore).port_id;
    core.local_addr = *IpAddr::parse("10.202.0.1");
    core.local_port = 20002;
    core.remote_addr = *IpAddr::parse("10.202.0.9");
    core.remote_port = 30000;
    core.latch = relay::LatchMode::Off;
    core.local_mac = dp_->iface(kCore).mac;
    core.next_hop_mac = eth(kGatewayMac);
    ASSERT_TRUE(table_->add_flow(spec, now_).ok());
  }
  static Bytes tag(uint16_t vid, uint16_t type) {
    return Bytes{static_cast<uint8_t>(vid >> 8), static_cast<uint8_t>(vid), static_cast<uint8_t>(type >> 8),
                 static_cast<uint8_t>(type)};
  }

  const Bytes rtp_{0x80, 0x00, 0x00, 0x01, 0, 0, 0, 160, 0xca, 0xfe, 0xba, 0xbe, 'm', 'e', 'd', 'i', 'a'};
  const Ip4 peer_ = ip4("10.201.0.7"), relay_acc_ = ip4("10.201.0.1"), relay_core_ = ip4("10.202.0.1"),
            core_peer_ = ip4("10.202.0.9");
  // The IPv4 packet the access peer sends (TTL 64) and the one the core peer must get (TTL 63).
  Bytes access_packet() const {
    return ipv4(peer_, relay_acc_, 17, udp(40000, 20000, rtp_, pseudo4(peer_, relay_acc_, 17, 8 + rtp_.size())), 0x77,
                0, 64);
  }
  Bytes core_packet() const {
    return ipv4(relay_core_, core_peer_, 17,
                udp(20002, 30000, rtp_, pseudo4(relay_core_, core_peer_, 17, 8 + rtp_.size())), 0x77, 0, 63);
  }

  std::unique_ptr<relay::FlowTable> table_;
  std::unique_ptr<MediaRelay> media_;
};

TEST_F(MediaRelayTest, RelaysAccessMediaToTheCorePeerWithRewrittenHeaders) {
  add_access_core_flow();
  receive(kAccess, cat(ether(our_mac(kAccess), kPeerMac, 0x0800), access_packet()));
  std::vector<Bytes> out = sent(kCore, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], cat(ether(kGatewayMac, our_mac(kCore), 0x0800), core_packet()));
  EXPECT_EQ(dp_->total(kAccess, Event::MediaToHandler), 1u);
  EXPECT_EQ(media_->totals().forwarded_packets, 1u);

  // A media port without a flow: the relay drops and counts it, nothing leaves.
  receive(kAccess, udp4_frame(our_mac(kAccess), kPeerMac, peer_, relay_acc_, 40000, 20050, rtp_));
  EXPECT_TRUE(sent(kCore, 0).empty());
  EXPECT_EQ(media_->totals().drop(relay::RelayDrop::NoFlow), 1u);
}

// [interface] media_addresses: the access port also owns 10.201.0.10-10.201.0.12 for relay sockets.
class MediaOnAnExtraAddress : public MediaRelayTest {
  void customise(DataplaneConfig& cfg) override { cfg.ports[kAccess].extra_ipv4 = {{0x0ac9000a, 0x0ac9000c}}; }
};

TEST_F(MediaOnAnExtraAddress, IsRelayedLikeMediaOnTheInterfaceAddress) {
  add_access_core_flow(*IpAddr::parse("10.201.0.12"));
  const Ip4 extra = ip4("10.201.0.12");
  receive(kAccess, cat(ether(our_mac(kAccess), kPeerMac, 0x0800),
                       ipv4(peer_, extra, 17, udp(40000, 20000, rtp_, pseudo4(peer_, extra, 17, 8 + rtp_.size())), 0x77, 0, 64)));
  std::vector<Bytes> out = sent(kCore, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], cat(ether(kGatewayMac, our_mac(kCore), 0x0800), core_packet()));
  EXPECT_EQ(media_->totals().forwarded_packets, 1u);
}

class TaggedCore : public MediaRelayTest {
 protected:
  void customise(DataplaneConfig& cfg) override { cfg.ports[kCore].vlan = 200; }
};

TEST_F(TaggedCore, UntaggedAccessMediaLeavesTheCoreWithItsTag) {
  add_access_core_flow();
  receive(kAccess, cat(ether(our_mac(kAccess), kPeerMac, 0x0800), access_packet()));
  std::vector<Bytes> out = sent(kCore, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], cat(ether(kGatewayMac, our_mac(kCore), 0x8100), tag(200, 0x0800), core_packet()));
}

class TaggedBoth : public MediaRelayTest {
 protected:
  void customise(DataplaneConfig& cfg) override {
    cfg.ports[kAccess].vlan = 100;
    cfg.ports[kCore].vlan = 200;
  }
};

TEST_F(TaggedBoth, TheTagIsRewrittenForTheEgressPort) {
  add_access_core_flow();
  receive(kAccess, cat(ether(our_mac(kAccess), kPeerMac, 0x8100), tag(100, 0x0800), access_packet()));
  std::vector<Bytes> out = sent(kCore, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], cat(ether(kGatewayMac, our_mac(kCore), 0x8100), tag(200, 0x0800), core_packet()));
}

class TaggedAccess : public MediaRelayTest {
 protected:
  void customise(DataplaneConfig& cfg) override { cfg.ports[kAccess].vlan = 100; }
};

TEST_F(TaggedAccess, TheTagIsRemovedTowardsAnUntaggedPort) {
  add_access_core_flow();
  receive(kAccess, cat(ether(our_mac(kAccess), kPeerMac, 0x8100), tag(100, 0x0800), access_packet()));
  std::vector<Bytes> out = sent(kCore, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], cat(ether(kGatewayMac, our_mac(kCore), 0x0800), core_packet()));
}

// The relay's readers are exactly the lanes that poll: each poll reports a quiescent state, so
// flows deleted by control are reclaimed and a table churned far past its size never fills up.
// (A reader registered for a lane that never polls would stall reclamation for ever.)
TEST_F(MediaRelayTest, DeletedFlowsAreReclaimedWhileTheWorkerPolls) {
  relay::FlowSpec spec;
  for (int side = 0; side < 2; ++side) {
    relay::EndpointSpec& e = spec.side[side];
    e.port_id = dp_->iface(side == 0 ? kAccess : kCore).port_id;
    e.local_addr = *IpAddr::parse(side == 0 ? "10.201.0.1" : "10.202.0.1");
    e.remote_addr = *IpAddr::parse(side == 0 ? "10.201.0.7" : "10.202.0.9");
    e.remote_port = 40000;
    e.latch = relay::LatchMode::Off;
    e.local_mac = dp_->iface(side == 0 ? kAccess : kCore).mac;
    e.next_hop_mac = eth(kPeerMac);
  }
  for (uint16_t i = 0; i < 1000; ++i) {  // 64 flows of capacity, 1000 calls
    spec.side[0].local_port = static_cast<uint16_t>(20000 + 2 * (i % 32));
    spec.side[1].local_port = static_cast<uint16_t>(30000 + 2 * (i % 32));
    auto h = table_->add_flow(spec, now_);
    ASSERT_TRUE(h.ok()) << "flow " << i << ": " << relay::flow_error_name(h.error());
    ASSERT_TRUE(table_->delete_flow(*h).ok());
    dp_->worker(0).poll_once(now_);
    table_->reclaim();
  }
  EXPECT_EQ(table_->size(), 0u);
}

}  // namespace
}  // namespace sipedge::dataplane::test
