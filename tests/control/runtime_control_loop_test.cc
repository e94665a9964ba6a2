// tests/control/runtime_control_loop_test.cc — control/runtime/control_loop.cc with every real part
// under it: a shared-mode Dataplane on net_ring ports, ControlIo, the relay's flow table and
// MediaRelay, RtpRelayBackend, MediaManager and the Proxy, driven one iteration at a time on a fake
// TSC. Frames go in at the ports and the test reads what comes out of them: a call placed through
// the loop gets its media relayed with the MACs ARP resolved, silent media ends it with BYE both
// ways, a stop ends calls before the dataplane stops, and garbage is answered with its fault.
#include "control/runtime/control_loop.h"

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "control/proxy/route_token.h"
#include "control/runtime/rtp_relay_backend.h"
#include "dataplane/media_relay.h"
#include "tests/control/proxy_test_util.h"
#include "tests/support/dataplane_fixture.h"

namespace sipedge::control {
namespace {

using namespace sipedge::dataplane;
using namespace sipedge::dataplane::test;

const Mac kTrunkMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x77};

// Alice (10.201.0.2, trusted: no digest) calls +4930123 through the trunk 10.202.0.2.
const std::string kAliceSdp =
    "v=0\r\no=alice 1 1 IN IP4 10.201.0.2\r\ns=-\r\nc=IN IP4 10.201.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
const std::string kTrunkSdp =
    "v=0\r\no=trunk 2 2 IN IP4 10.202.0.2\r\ns=-\r\nc=IN IP4 10.202.0.2\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n";
const std::string kInvite =
    "INVITE sip:+4930123@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKloop1;rport\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:1006@sipedge.test>;tag=a1\r\nTo: <sip:+4930123@sipedge.test>\r\n"
    "Call-ID: loop-call\r\nCSeq: 1 INVITE\r\nContact: <sip:1006@10.201.0.2:5060>\r\n"
    "Content-Type: application/sdp\r\nContent-Length: " +
    std::to_string(kAliceSdp.size()) + "\r\n\r\n" + kAliceSdp;

class ControlLoopTest : public DataplaneTest {
 protected:
  void SetUp() override {
    DataplaneTest::SetUp();
    config_ = testing::test_config();
    config_.trusted = {*IpPrefix::parse("10.201.0.2/32")};
    config_.routes[0].next_hops = {Endpoint{*IpAddr::parse("10.202.0.2"), 5060}};
    config_.media.timeout_s = 30;
    static unsigned seq = 0;
    relay::FlowTableConfig tc;
    tc.name = "ctl_loop" + std::to_string(seq++);
    tc.ipv4_flows = 64;
    tc.ipv6_flows = 16;
    tc.max_readers = 4;
    auto table = relay::FlowTable::create(tc);
    ASSERT_TRUE(table.ok());
    table_ = std::move(*table);
    media_relay_ = std::make_unique<MediaRelay>(*table_, dp_->shared(), dp_->media_lanes());
    dp_->set_media_handler(media_relay_->handler());
    NeighbourTable::Config nb;
    nb.reachable_tsc = 300 * hz_;
    nb.retrans_tsc = hz_;
    io_ = std::make_unique<ControlIo>(dp_->shared(), dp_->control_counters(), nb, std::vector<uint16_t>{5060, 5060},
                                      [this] { return now_; });
    std::vector<RtpRelayBackend::Interface> ifaces;
    for (const InterfaceConfig& i : config_.interfaces) {
      ifaces.push_back(RtpRelayBackend::interface_for(i, config_.media, dp_->iface(i.index).port_id));
    }
    backend_ = std::make_unique<RtpRelayBackend>(*table_, ifaces, *io_, [this] { return now_; });
    io_->set_on_resolved([this](uint16_t iface, const IpAddr& hop) { backend_->neighbour_resolved(iface, hop); });
    media_ = std::make_unique<MediaManager>(config_, *backend_);
    proxy_ = std::make_unique<Proxy>(config_, *io_, *media_, clock_, scanner_, RouteToken("loop-test"));
    ControlLoop::Timing timing{};
    timing.idle_check_tsc = hz_;
    timing.media_timeout_tsc = uint64_t{config_.media.timeout_s} * hz_;
    timing.shutdown_grace_tsc = hz_ / 2;
    loop_ = std::make_unique<ControlLoop>(ControlLoop::Parts{*dp_, *io_, *proxy_, *table_, nullptr, nullptr, {}}, timing);
  }
  void TearDown() override {
    loop_.reset();
    proxy_.reset();
    media_.reset();
    backend_.reset();
    io_.reset();
    dp_->set_media_handler({});
    media_relay_.reset();
    table_.reset();
    DataplaneTest::TearDown();
  }

  // One datagram arrives at the port; the loop runs one iteration.
  void udp_in(uint16_t iface, const Mac& from_mac, const char* from, uint16_t sport, const char* to, uint16_t dport,
              const std::string& payload) {
    rte_mbuf* m = to_mbuf(udp4_frame(our_mac(iface), from_mac, ip4(from), ip4(to), sport, dport, text(payload)));
    ASSERT_EQ(rte_ring_enqueue(ports_[iface].rx[0], m), 0);
    loop_->poll_once(now_);
  }
  void from_alice(const std::string& sip) { udp_in(kAccess, kPeerMac, "10.201.0.2", 5060, "10.201.0.1", 5060, sip); }
  void from_trunk(const std::string& sip) { udp_in(kCore, kTrunkMac, "10.202.0.2", 5060, "10.202.0.1", 5060, sip); }
  // `peer` answers sipedge's ARP request.
  void arp_answer(uint16_t iface, const Mac& mac, const char* peer, const char* us) {
    rte_mbuf* m = to_mbuf(cat(ether(our_mac(iface), mac, 0x0806), arp(2, mac, ip4(peer), our_mac(iface), ip4(us))));
    ASSERT_EQ(rte_ring_enqueue(ports_[iface].rx[0], m), 0);
    loop_->poll_once(now_);
  }
  // The SIP payloads control sent out of `iface` (UDP to port 5060), ARP left out.
  std::vector<std::string> sip_out(uint16_t iface) {
    std::vector<std::string> out;
    for (const Bytes& f : sent(iface, 1)) {
      if (get16(f, 12) == 0x0800 && f[23] == 17) {
        out.emplace_back(f.begin() + 42, f.end());
      }
    }
    return out;
  }
  // Alice's INVITE reaches the trunk (both neighbours resolved on the way); the trunk answers 200
  // with SDP. Returns the 200 as Alice got it.
  std::string answered_call() {
    from_alice(kInvite);
    arp_answer(kAccess, kPeerMac, "10.201.0.2", "10.201.0.1");
    arp_answer(kCore, kTrunkMac, "10.202.0.2", "10.202.0.1");
    std::vector<std::string> to_alice = sip_out(kAccess);
    EXPECT_EQ(to_alice.size(), 1u);
    EXPECT_EQ(to_alice.empty() ? "" : testing::first_line(to_alice[0]), "SIP/2.0 100 Trying");
    std::vector<std::string> to_trunk = sip_out(kCore);
    EXPECT_EQ(to_trunk.size(), 1u);
    if (to_trunk.empty()) {
      return "";
    }
    EXPECT_EQ(testing::first_line(to_trunk[0]), "INVITE sip:+4930123@sipedge.test SIP/2.0");
    invite_at_trunk_ = to_trunk[0];
    from_trunk(testing::response_to(to_trunk[0], 200, "OK", "t1", "sip:trunk@10.202.0.2:5060", kTrunkSdp));
    to_alice = sip_out(kAccess);
    EXPECT_EQ(to_alice.size(), 1u);
    return to_alice.empty() ? "" : to_alice[0];
  }
  static uint16_t audio_port(const std::string& sip) {
    const size_t at = sip.find("m=audio ");
    return at == std::string::npos ? 0 : static_cast<uint16_t>(std::stoi(sip.substr(at + 8)));
  }

  ControlConfig config_;
  ManualClock clock_;
  std::string invite_at_trunk_;
  std::unique_ptr<relay::FlowTable> table_;
  std::unique_ptr<MediaRelay> media_relay_;
  std::unique_ptr<ControlIo> io_;
  std::unique_ptr<RtpRelayBackend> backend_;
  std::unique_ptr<MediaManager> media_;
  std::unique_ptr<Proxy> proxy_;
  std::unique_ptr<ControlLoop> loop_;
};

TEST_F(ControlLoopTest, TheLoopsWorkerLaneAnswersArpOnTheSameLcore) {
  ASSERT_TRUE(dp_->shared_mode());
  Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  rte_mbuf* m = to_mbuf(cat(ether(bcast, kPeerMac, 0x0806), arp(1, kPeerMac, ip4("10.201.0.7"), Mac{}, ip4("10.201.0.1"))));
  ASSERT_EQ(rte_ring_enqueue(ports_[kAccess].rx[0], m), 0);
  EXPECT_GT(loop_->poll_once(now_), 0u);
  std::vector<Bytes> out = sent(kAccess, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], cat(ether(kPeerMac, our_mac(kAccess), 0x0806),
                        arp(2, our_mac(kAccess), ip4("10.201.0.1"), kPeerMac, ip4("10.201.0.7"))));
}

TEST_F(ControlLoopTest, ACallThroughTheLoopRelaysMediaToTheResolvedPeerAndSilenceEndsIt) {
  const std::string ok = answered_call();
  ASSERT_EQ(testing::first_line(ok), "SIP/2.0 200 OK");
  EXPECT_EQ(proxy_->calls().size(), 1u);
  EXPECT_EQ(table_->size(), 2u);  // RTP and RTCP
  const uint16_t relay_port = audio_port(ok);
  ASSERT_NE(relay_port, 0u);
  EXPECT_NE(ok.find("c=IN IP4 10.201.0.1"), std::string::npos);

  // Alice's RTP leaves the core port towards the trunk's SDP address, with the MAC ARP found.
  const std::string rtp = "\x80\x08\x01\x01rtp-payload";
  udp_in(kAccess, kPeerMac, "10.201.0.2", 40000, "10.201.0.1", relay_port, rtp);
  std::vector<Bytes> media = sent(kCore, 0);
  ASSERT_EQ(media.size(), 1u);
  EXPECT_EQ(Bytes(media[0].begin(), media[0].begin() + 14), ether(kTrunkMac, our_mac(kCore), 0x0800));
  EXPECT_EQ(get16(media[0], 36), 30000);  // UDP destination port: the trunk's SDP port
  EXPECT_EQ(Bytes(media[0].begin() + 42, media[0].end()), text(rtp));

  // 31 s of silence both ways: the sweep reports the flows, the proxy ends the call.
  now_ += 31 * hz_;
  loop_->poll_once(now_);
  std::vector<std::string> to_trunk = sip_out(kCore);
  std::vector<std::string> to_alice = sip_out(kAccess);
  ASSERT_EQ(to_trunk.size(), 1u);
  ASSERT_EQ(to_alice.size(), 1u);
  EXPECT_EQ(testing::first_line(to_trunk[0]), "BYE sip:trunk@10.202.0.2:5060 SIP/2.0");
  EXPECT_EQ(testing::first_line(to_alice[0]), "BYE sip:1006@10.201.0.2:5060 SIP/2.0");
  EXPECT_EQ(proxy_->calls().size(), 0u);
  EXPECT_EQ(table_->size(), 0u);
  EXPECT_EQ(media_->session_count(), 0u);
}

TEST_F(ControlLoopTest, MediaThatKeepsFlowingKeepsTheCall) {
  const std::string ok = answered_call();
  ASSERT_EQ(testing::first_line(ok), "SIP/2.0 200 OK");
  const uint16_t relay_port = audio_port(ok);
  ASSERT_NE(audio_port(invite_at_trunk_), 0u);
  // One packet each way every 20 s: neither direction is ever silent for 30 s.
  for (int i = 0; i < 3; ++i) {
    now_ += 20 * hz_;
    udp_in(kAccess, kPeerMac, "10.201.0.2", 40000, "10.201.0.1", relay_port, "\x80\x08\x01\x02up");
    udp_in(kCore, kTrunkMac, "10.202.0.2", 30000, "10.202.0.1", audio_port(invite_at_trunk_), "\x80\x08\x01\x02" "down");
    loop_->poll_once(now_);
  }
  EXPECT_TRUE(sip_out(kCore).empty());
  EXPECT_TRUE(sip_out(kAccess).empty());
  EXPECT_EQ(proxy_->calls().size(), 1u);
}

TEST_F(ControlLoopTest, StopEndsEveryCallThenStopsTheDataplaneAfterTheGrace) {
  ASSERT_EQ(testing::first_line(answered_call()), "SIP/2.0 200 OK");
  loop_->request_stop();
  loop_->poll_once(now_);
  ASSERT_EQ(sip_out(kCore).size(), 1u);  // BYE to the trunk
  ASSERT_EQ(sip_out(kAccess).size(), 1u);  // BYE to Alice
  EXPECT_FALSE(loop_->finished());
  now_ += hz_;
  loop_->poll_once(now_);
  EXPECT_TRUE(loop_->finished());
  EXPECT_EQ(proxy_->calls().size(), 0u);
}

TEST_F(ControlLoopTest, GarbageFromTheWireIsAnsweredWithItsFault) {
  from_alice("OPTIONS sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKbad\r\n"
             "From: <sip:1006@sipedge.test>;tag=x\r\nTo: <sip:sipedge.test>\r\nCall-ID: bad\r\n"
             "CSeq: one OPTIONS\r\nContent-Length: 0\r\n\r\n");
  arp_answer(kAccess, kPeerMac, "10.201.0.2", "10.201.0.1");
  std::vector<std::string> out = sip_out(kAccess);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(testing::first_line(out[0]).substr(0, 12), "SIP/2.0 400 ");
  EXPECT_NE(testing::first_line(out[0]).find("CSeq"), std::string::npos) << out[0];
}

}  // namespace
}  // namespace sipedge::control
