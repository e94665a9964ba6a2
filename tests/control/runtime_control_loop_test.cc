// tests/control/runtime_control_loop_test.cc — control/runtime/control_loop.cc with every real part
// under it: a shared-mode Dataplane on net_ring ports, ControlIo, the relay's flow table and
// MediaRelay, RtpRelayBackend, MediaManager and the Proxy, driven one iteration at a time on a fake
// TSC. Frames go in at the ports and the test reads what comes out of them: a call placed through
// the loop gets its media relayed with the MACs ARP resolved, silent media ends it with BYE both
// ways, a stop ends calls before the dataplane stops, garbage is answered with its fault, and on two
// shards a call on the second ends on that shard's own TX queues.
#include "control/runtime/control_loop.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "control/api/call_trace.h"
#include "control/proxy/route_token.h"
#include "control/runtime/offload_view.h"
#include "control/runtime/port_recovery.h"
#include "control/runtime/rtp_relay_backend.h"
#include "control/runtime/shard_set.h"
#include "control/runtime/sip_capture.h"
#include "dataplane/media_relay.h"
#include "hw/drop_rules.h"
#include "hw/offload_manager.h"
#include "hw/probe.h"
#include "tests/control/proxy_test_util.h"
#include "tests/support/dataplane_fixture.h"
#include "tests/support/flow_emulator.h"

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

// What a control loop runs on, shared by the fixtures below: the lab config (Alice trusted, the
// trunk as next hop), the relay's flow table and MediaRelay on the Dataplane, ControlIo on a fake
// TSC, and RtpRelayBackend over them.
class LoopPartsTest : public DataplaneTest {
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
    io_->set_on_resolved([this](uint16_t iface, const IpAddr& hop, bool moved) { backend_->neighbour_resolved(iface, hop, moved); });
    timing_.idle_check_tsc = hz_;
    timing_.media_timeout_tsc = uint64_t{config_.media.timeout_s} * hz_;
    timing_.shutdown_grace_tsc = hz_ / 2;
  }
  void TearDown() override {
    backend_.reset();
    io_.reset();
    dp_->set_media_handler({});
    media_relay_.reset();
    table_.reset();
    DataplaneTest::TearDown();
  }

  ControlConfig config_;
  ControlLoop::Timing timing_{};
  ManualClock clock_;
  std::unique_ptr<relay::FlowTable> table_;
  std::unique_ptr<MediaRelay> media_relay_;
  std::unique_ptr<ControlIo> io_;
  std::unique_ptr<RtpRelayBackend> backend_;
};

class ControlLoopTest : public LoopPartsTest {
 protected:
  void SetUp() override {
    LoopPartsTest::SetUp();
    media_ = std::make_unique<MediaManager>(config_, *backend_);
    proxy_ = std::make_unique<Proxy>(config_, *io_, *media_, clock_, scanner_, RouteToken("loop-test"));
    loop_ = std::make_unique<ControlLoop>(ControlLoop::Parts{*dp_, *io_, *proxy_, *table_, nullptr, nullptr, {}, nullptr, nullptr, nullptr, {}}, timing_);
  }
  void TearDown() override {
    loop_.reset();
    proxy_.reset();
    media_.reset();
    LoopPartsTest::TearDown();
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
    for (const Bytes& f : sent(iface, 1))
      if (const auto payload = udp4_payload(f)) out.emplace_back(*payload);
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
  // Silence ended the call: one BYE to each party, nothing left of it.
  void expect_byes_both_ways() {
    const std::vector<std::string> to_trunk = sip_out(kCore);
    const std::vector<std::string> to_alice = sip_out(kAccess);
    ASSERT_EQ(to_trunk.size(), 1u);
    ASSERT_EQ(to_alice.size(), 1u);
    EXPECT_EQ(testing::first_line(to_trunk[0]), "BYE sip:trunk@10.202.0.2:5060 SIP/2.0");
    EXPECT_EQ(testing::first_line(to_alice[0]), "BYE sip:1006@10.201.0.2:5060 SIP/2.0");
    EXPECT_EQ(proxy_->calls().size(), 0u);
    EXPECT_EQ(table_->size(), 0u);
    EXPECT_EQ(media_->session_count(), 0u);
  }
  static uint16_t audio_port(const std::string& sip) {
    const size_t at = sip.find("m=audio ");
    return at == std::string::npos ? 0 : static_cast<uint16_t>(std::stoi(sip.substr(at + 8)));
  }

  std::string invite_at_trunk_;
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
  expect_byes_both_ways();
}

// The trunk's address moves to another MAC mid-call (its standby took over and announced itself
// with a gratuitous ARP): the call's media follows within a loop iteration or two, with the
// relay's latching and counters as they were; signalling too.
TEST_F(ControlLoopTest, MediaFollowsATrunkThatMovesToAnotherMac) {
  ControlLoop::Parts parts{*dp_, *io_, *proxy_, *table_};
  parts.relay = backend_.get();
  loop_ = std::make_unique<ControlLoop>(std::move(parts), timing_);
  const std::string ok = answered_call();
  ASSERT_EQ(testing::first_line(ok), "SIP/2.0 200 OK");
  const uint16_t relay_port = audio_port(ok);
  const std::string rtp = "\x80\x08\x01\x01rtp-payload";
  udp_in(kAccess, kPeerMac, "10.201.0.2", 40000, "10.201.0.1", relay_port, rtp);
  std::vector<Bytes> media = sent(kCore, 0);
  ASSERT_EQ(media.size(), 1u);
  EXPECT_EQ(Bytes(media[0].begin(), media[0].begin() + 14), ether(kTrunkMac, our_mac(kCore), 0x0800));

  const Mac standby{0x02, 0x00, 0x00, 0x00, 0x00, 0x78};
  const Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  rte_mbuf* garp = to_mbuf(cat(ether(bcast, standby, 0x0806), arp(1, standby, ip4("10.202.0.2"), Mac{}, ip4("10.202.0.2"))));
  ASSERT_EQ(rte_ring_enqueue(ports_[kCore].rx[0], garp), 0);
  loop_->poll_once(now_);
  now_ += hz_ / 100;
  loop_->poll_once(now_);
  EXPECT_EQ(backend_->flows_followed(), 2u);  // RTP and RTCP
  udp_in(kAccess, kPeerMac, "10.201.0.2", 40000, "10.201.0.1", relay_port, rtp);
  media = sent(kCore, 0);
  ASSERT_EQ(media.size(), 1u);
  EXPECT_EQ(Bytes(media[0].begin(), media[0].begin() + 14), ether(standby, our_mac(kCore), 0x0800));
  EXPECT_EQ(get16(media[0], 36), 30000);
  EXPECT_EQ(Bytes(media[0].begin() + 42, media[0].end()), text(rtp));
  uint64_t relayed = 0;
  table_->for_each([&](const relay::FlowInfo& f) { relayed += f.stats.side[0].packets + f.stats.side[1].packets; });
  EXPECT_EQ(relayed, 2u) << "the flow's counters carried over";

  // The caller hangs up: the BYE reaches the trunk at its new MAC.
  const std::string rr = testing::header(ok, parser::HeaderId::RecordRoute);
  from_alice("BYE sip:trunk@10.202.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKbye;rport\r\n"
             "Route: " + rr + "\r\nMax-Forwards: 70\r\nFrom: <sip:1006@sipedge.test>;tag=a1\r\n"
             "To: <sip:+4930123@sipedge.test>;tag=t1\r\nCall-ID: loop-call\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n");
  const std::vector<Bytes> to_trunk = sent(kCore, 1);
  ASSERT_EQ(to_trunk.size(), 1u);
  EXPECT_EQ(Bytes(to_trunk[0].begin(), to_trunk[0].begin() + 6), Bytes(standby.begin(), standby.end()));
  EXPECT_EQ(testing::first_line(std::string(udp4_payload(to_trunk[0]).value_or(""))), "BYE sip:trunk@10.202.0.2:5060 SIP/2.0");
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

// As a gateway runs a shard: its Proxy and ladder read a CachedClock over the clock (here the
// ManualClock), which the loop refreshes for each message and for an iteration without any.
class ControlLoopClockTest : public ControlLoopTest {
 protected:
  void SetUp() override {
    ControlLoopTest::SetUp();
    loop_.reset();
    proxy_ = std::make_unique<Proxy>(config_, *io_, *media_, now_clock_, scanner_, RouteToken("loop-test"));
    ControlLoop::Parts parts{*dp_, *io_, *proxy_, *table_};
    parts.tap = &trace_;
    parts.clock = &now_clock_;
    loop_ = std::make_unique<ControlLoop>(std::move(parts), timing_);
  }
  CachedClock now_clock_{clock_};
  CallTrace trace_{16, config_.interfaces, now_clock_};
};

TEST_F(ControlLoopClockTest, EachMessageIsHandledAtTheTimeItIsTakenFromTheRing) {
  from_alice(kInvite);
  clock_.advance(1500);
  from_alice(kInvite);  // Alice retransmits 1.5 s later
  const nlohmann::json ladder = trace_.ladder("loop-call");
  ASSERT_EQ(ladder["messages"].size(), 2u) << ladder.dump();  // what the shard received
  const uint64_t first = ManualClock().wall_ms();
  EXPECT_EQ(ladder["messages"][0]["time_ms"], first);
  EXPECT_EQ(ladder["messages"][1]["time_ms"], first + 1500);
}

TEST_F(ControlLoopClockTest, AnIterationWithoutMessagesRefreshesTheTimersTime) {
  clock_.advance(250);
  EXPECT_EQ(now_clock_.monotonic_ms(), ManualClock().monotonic_ms());
  loop_->poll_once(now_);
  EXPECT_EQ(now_clock_.monotonic_ms(), ManualClock().monotonic_ms() + 250);
}

// Two control shards on ports with a TX queue for each (issue 14 §2): shard 0's loop runs the
// worker lane and the shared parts, shard 1's loop its own ring and proxy, sending through its
// ShardLane. A call on shard 1 goes through ControlIo while the neighbours resolve and the lane
// learns them; once it knows both, the call's datagrams leave on shard 1's own TX queue (2).
class TwoShardLoopTest : public LoopPartsTest {
 protected:
  // Whether the ports have a TX queue for shard 1 (else it sends through the lock, as on af_packet).
  virtual bool lanes() const { return true; }
  void customise(DataplaneConfig& cfg) override { cfg.eal.shard_lcores = {7}; }
  unsigned tx_rings() const override { return lanes() ? 3 : 2; }
  void SetUp() override {
    LoopPartsTest::SetUp();
    ASSERT_EQ(ShardLane::available(dp_->shared(), 1), lanes());
    // As a gateway runs: the capture is the frame tap from the start, idle until asked.
    capture_ = std::make_unique<SipCapture>(dp_->shared());
    io_->set_frame_tap(capture_.get());
    transport0_ = std::make_unique<ShardTransport>(set_, *io_);
    if (lanes())
      lane_ = std::make_unique<ShardLane>(set_, *io_, 1, dp_->shard_counters(1));
    else
      transport1_ = std::make_unique<ShardTransport>(set_, *io_);
    for (unsigned s = 0; s < 2; ++s) {
      backends_[s] = std::make_unique<ShardBackend>(set_, *backend_, s);
      media_[s] = std::make_unique<MediaManager>(config_, *backends_[s], MediaPortSlice{s, 2});
      SipTransport& transport = s == 0 ? static_cast<SipTransport&>(*transport0_)
                                : lane_ ? static_cast<SipTransport&>(*lane_)
                                        : *transport1_;
      proxies_[s] = std::make_unique<Proxy>(config_, transport, *media_[s], clock_, scanner_, RouteToken("two-shards"),
                                            ShardPlace{dp_->shared().shard_map, s, "nonce-secret", nullptr, &set_});
      ControlLoop::Parts parts{*dp_, *io_, *proxies_[s], *table_};
      parts.shard = s;
      parts.shards = &set_;
      parts.lane = s == 1 ? lane_.get() : nullptr;  // none without lanes
      loops_[s] = std::make_unique<ControlLoop>(parts, timing_);
    }
  }
  void TearDown() override {
    for (auto& l : loops_) l.reset();
    for (auto& p : proxies_) p.reset();
    for (auto& m : media_) m.reset();
    for (auto& b : backends_) b.reset();
    lane_.reset();
    transport1_.reset();
    transport0_.reset();
    io_->set_frame_tap(nullptr);
    capture_.reset();
    LoopPartsTest::TearDown();
  }
  // A datagram arrives; shard 0's loop (the worker lane) hands it to its shard, then shard 1's runs.
  void udp_in(uint16_t iface, const Mac& from_mac, const char* from, const char* to, const std::string& payload) {
    rte_mbuf* m = to_mbuf(udp4_frame(our_mac(iface), from_mac, ip4(from), ip4(to), 5060, 5060, text(payload)));
    ASSERT_EQ(rte_ring_enqueue(ports_[iface].rx[0], m), 0);
    loops_[0]->poll_once(now_);
    loops_[1]->poll_once(now_);
  }
  void from_alice(const std::string& sip) { udp_in(kAccess, kPeerMac, "10.201.0.2", "10.201.0.1", sip); }
  void from_trunk(const std::string& sip) { udp_in(kCore, kTrunkMac, "10.202.0.2", "10.202.0.1", sip); }
  void arp_answer(uint16_t iface, const Mac& mac, const char* peer, const char* us) {
    rte_mbuf* m = to_mbuf(cat(ether(our_mac(iface), mac, 0x0806), arp(2, mac, ip4(peer), our_mac(iface), ip4(us))));
    ASSERT_EQ(rte_ring_enqueue(ports_[iface].rx[0], m), 0);
    loops_[0]->poll_once(now_);
  }
  // The SIP payloads sent out of `iface` on TX queue `queue` (1: ControlIo's, 2: shard 1's).
  std::vector<std::string> sip_out(uint16_t iface, unsigned queue) {
    std::vector<std::string> out;
    for (const Bytes& f : sent(iface, queue))
      if (const auto payload = udp4_payload(f)) out.emplace_back(*payload);
    return out;
  }
  static std::vector<std::string> first_lines(const std::vector<std::string>& messages) {
    std::vector<std::string> lines;
    for (const std::string& m : messages) lines.push_back(testing::first_line(m));
    return lines;
  }

  ShardSet set_{2};
  std::unique_ptr<SipCapture> capture_;
  std::unique_ptr<ShardTransport> transport0_;
  std::unique_ptr<ShardLane> lane_;
  std::unique_ptr<ShardTransport> transport1_;  // shard 1's, without lanes
  std::array<std::unique_ptr<ShardBackend>, 2> backends_;
  std::array<std::unique_ptr<MediaManager>, 2> media_;
  std::array<std::unique_ptr<Proxy>, 2> proxies_;
  std::array<std::unique_ptr<ControlLoop>, 2> loops_;
};

TEST_F(TwoShardLoopTest, ACallOnTheSecondShardEndsOnItsOwnTxQueue) {
  std::string call_id;
  for (int n = 0; dp_->shared().shard_map.of(call_id) != 1; ++n) call_id = "lane-call-" + std::to_string(n);
  std::string invite = kInvite;
  invite.replace(invite.find("loop-call"), 9, call_id);
  from_alice(invite);  // 100 Trying and the INVITE held while ARP asks for both neighbours
  arp_answer(kAccess, kPeerMac, "10.201.0.2", "10.201.0.1");
  arp_answer(kCore, kTrunkMac, "10.202.0.2", "10.202.0.1");
  EXPECT_EQ(first_lines(sip_out(kAccess, 1)), std::vector<std::string>{"SIP/2.0 100 Trying"});
  const std::vector<std::string> at_trunk = sip_out(kCore, 1);
  ASSERT_EQ(at_trunk.size(), 1u);
  EXPECT_EQ(proxies_[1]->calls().size(), 1u);
  EXPECT_EQ(proxies_[0]->calls().size(), 0u);

  // The answer and Alice's ACK: the first datagram to each neighbour after the answers goes
  // through ControlIo (queue 1), which shows the lane the neighbour.
  from_trunk(testing::response_to(at_trunk[0], 200, "OK", "t1", "sip:trunk@10.202.0.2:5060", kTrunkSdp));
  const std::vector<std::string> ok = sip_out(kAccess, 1);
  ASSERT_EQ(first_lines(ok), std::vector<std::string>{"SIP/2.0 200 OK"});
  const std::string rr = testing::header(ok[0], parser::HeaderId::RecordRoute);
  auto in_dialog = [&](const char* method, int cseq) {
    return std::string(method) + " sip:trunk@10.202.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bK" +
           method + ";rport\r\nRoute: " + rr + "\r\nMax-Forwards: 70\r\nFrom: <sip:1006@sipedge.test>;tag=a1\r\n" +
           "To: <sip:+4930123@sipedge.test>;tag=t1\r\nCall-ID: " + call_id + "\r\nCSeq: " + std::to_string(cseq) + " " +
           method + "\r\nContent-Length: 0\r\n\r\n";
  };
  from_alice(in_dialog("ACK", 1));
  EXPECT_EQ(first_lines(sip_out(kCore, 1)), std::vector<std::string>{"ACK sip:trunk@10.202.0.2:5060 SIP/2.0"});

  // Both known: the BYE and its 200 leave on shard 1's own queues, none on ControlIo's.
  from_alice(in_dialog("BYE", 2));
  const std::vector<std::string> bye = sip_out(kCore, 2);
  ASSERT_EQ(first_lines(bye), std::vector<std::string>{"BYE sip:trunk@10.202.0.2:5060 SIP/2.0"});
  from_trunk(testing::response_to(bye[0], 200, "OK", "t1", "sip:trunk@10.202.0.2:5060", ""));
  EXPECT_EQ(first_lines(sip_out(kAccess, 2)), std::vector<std::string>{"SIP/2.0 200 OK"});
  EXPECT_TRUE(sip_out(kAccess, 1).empty());
  EXPECT_TRUE(sip_out(kCore, 1).empty());
  EXPECT_EQ(dp_->shard_counters(1).get(kCore, Event::TxPackets), 1u);
  EXPECT_EQ(dp_->shard_counters(1).get(kAccess, Event::TxPackets), 1u);
  EXPECT_EQ(proxies_[1]->calls().size(), 0u);
  EXPECT_EQ(table_->size(), 0u);
}

// Ports without a TX queue per shard: shard 1 sends through ControlIo under the lock. It takes the
// lock to poll ControlIo only after an iteration in which it sent: an idle shard leaves the lock
// alone, and what a busy one sent leaves at the end of its own iteration.
class TwoShardLockedLoopTest : public TwoShardLoopTest {
 protected:
  bool lanes() const override { return false; }
  // One iteration of shard 1's loop on another thread while this one holds the lock: true when it
  // returned without waiting for the lock (waits up to 5 s, then lets it go).
  bool iterates_while_the_lock_is_held() {
    set_.lock().lock();
    auto iteration = std::async(std::launch::async, [&] { return loops_[1]->poll_once(now_); });
    const bool returned = iteration.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    set_.lock().unlock();
    iteration.get();
    return returned;
  }
};

TEST_F(TwoShardLockedLoopTest, AnIdleShardLeavesTheLockAloneAndABusyOneFlushesWhatItSent) {
  EXPECT_TRUE(iterates_while_the_lock_is_held()) << "an idle shard took the lock";
  std::string call_id;
  for (int n = 0; dp_->shared().shard_map.of(call_id) != 1; ++n) call_id = "locked-call-" + std::to_string(n);
  std::string invite = kInvite;
  invite.replace(invite.find("loop-call"), 9, call_id);
  from_alice(invite);
  arp_answer(kAccess, kPeerMac, "10.201.0.2", "10.201.0.1");
  arp_answer(kCore, kTrunkMac, "10.202.0.2", "10.202.0.1");
  EXPECT_EQ(first_lines(sip_out(kAccess, 1)), std::vector<std::string>{"SIP/2.0 100 Trying"});
  const std::vector<std::string> at_trunk = sip_out(kCore, 1);
  ASSERT_EQ(at_trunk.size(), 1u);
  EXPECT_TRUE(iterates_while_the_lock_is_held()) << "idle again";

  // The answer: shard 0's iteration hands it over, shard 1's forwards it and flushes it itself.
  rte_mbuf* m = to_mbuf(udp4_frame(our_mac(kCore), kTrunkMac, ip4("10.202.0.2"), ip4("10.202.0.1"), 5060, 5060,
                                   text(testing::response_to(at_trunk[0], 200, "OK", "t1", "sip:trunk@10.202.0.2:5060",
                                                             kTrunkSdp))));
  ASSERT_EQ(rte_ring_enqueue(ports_[kCore].rx[0], m), 0);
  loops_[0]->poll_once(now_);
  EXPECT_TRUE(sip_out(kAccess, 1).empty()) << "not handled yet";
  loops_[1]->poll_once(now_);
  EXPECT_EQ(first_lines(sip_out(kAccess, 1)), std::vector<std::string>{"SIP/2.0 200 OK"});
  EXPECT_TRUE(iterates_while_the_lock_is_held());
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

// A pcapng file as the format defines it (not as rte_pcapng writes it): each Enhanced Packet Block's
// frame and direction (epb_flags bits 0-1: 1 inbound, 2 outbound).
struct CapturedFrame {
  Bytes frame;
  int direction = 0;
};
std::vector<CapturedFrame> read_pcapng(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto u32 = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, file.data() + at, 4);
    return v;
  };
  std::vector<CapturedFrame> out;
  size_t at = 0;
  EXPECT_GE(file.size(), 12u);
  EXPECT_EQ(file.size() >= 4 ? u32(0) : 0u, 0x0A0D0D0Au) << "starts with a Section Header Block";
  while (at + 12 <= file.size()) {
    const uint32_t type = u32(at), len = u32(at + 4);
    if (len < 12 || at + len > file.size() || u32(at + len - 4) != len) {
      ADD_FAILURE() << "bad block at " << at;
      break;
    }
    if (type == 6) {
      const uint32_t caplen = u32(at + 20);
      CapturedFrame f;
      f.frame.assign(file.begin() + static_cast<long>(at + 28), file.begin() + static_cast<long>(at + 28 + caplen));
      for (size_t o = at + 28 + ((caplen + 3) & ~3u); o + 4 <= at + len - 4;) {
        const uint16_t code = static_cast<uint16_t>(u32(o) & 0xffff), olen = static_cast<uint16_t>(u32(o) >> 16);
        if (code == 0) break;
        if (code == 2) f.direction = static_cast<int>(u32(o + 4) & 3);
        o += 4 + ((olen + 3u) & ~3u);
      }
      out.push_back(std::move(f));
    }
    at += len;
  }
  return out;
}

// `sipedgectl capture`: every SIP frame of the call, in and out, as it was on the wire.
TEST_F(ControlLoopTest, CaptureWritesEverySipFrameOfTheCallAsOnTheWire) {
  SipCapture capture(dp_->shared());
  io_->set_frame_tap(&capture);
  loop_ = std::make_unique<ControlLoop>(
      ControlLoop::Parts{*dp_, *io_, *proxy_, *table_, nullptr, nullptr, {}, nullptr, nullptr, &capture, {}}, timing_);
  char dir[] = "/tmp/sipedge-capture-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/call.pcapng";
  EXPECT_EQ(capture.start("relative.pcapng", "", 0), "the capture file must be an absolute path, got 'relative.pcapng'");
  EXPECT_FALSE(capture.active()) << "set as the frame tap, not capturing: shards send past it";
  ASSERT_EQ(capture.start(path, "loop-call", 0), "");
  EXPECT_TRUE(capture.active());
  EXPECT_EQ(capture.start(path, "", 0), "a capture to " + path + " is running; stop it first");

  // What goes in: Alice's INVITE frame; what comes out is read back from the ports.
  const Bytes invite = udp4_frame(our_mac(kAccess), kPeerMac, ip4("10.201.0.2"), ip4("10.201.0.1"), 5060, 5060, text(kInvite));
  ASSERT_EQ(rte_ring_enqueue(ports_[kAccess].rx[0], to_mbuf(invite)), 0);
  loop_->poll_once(now_);
  arp_answer(kAccess, kPeerMac, "10.201.0.2", "10.201.0.1");
  arp_answer(kCore, kTrunkMac, "10.202.0.2", "10.202.0.1");
  std::vector<Bytes> out_access, out_core;
  for (const Bytes& f : sent(kAccess, 1))
    if (get16(f, 12) == 0x0800) out_access.push_back(f);
  for (const Bytes& f : sent(kCore, 1))
    if (get16(f, 12) == 0x0800) out_core.push_back(f);
  ASSERT_EQ(out_access.size(), 1u);  // 100 Trying
  ASSERT_EQ(out_core.size(), 1u);    // the INVITE
  // Another call's OPTIONS is not this capture's.
  from_alice("OPTIONS sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKopt\r\n"
             "Max-Forwards: 70\r\nFrom: <sip:1006@sipedge.test>;tag=o\r\nTo: <sip:sipedge.test>\r\n"
             "Call-ID: not-this-one\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(sip_out(kAccess).size(), 1u);

  const nlohmann::json done = capture.stop();
  EXPECT_FALSE(capture.active());
  EXPECT_EQ(done["packets"], 3u) << done.dump();
  EXPECT_EQ(done["stopped_by"], "operator");
  EXPECT_EQ(capture.stop().dump(), R"({"error":"no capture is running"})");
  const std::vector<CapturedFrame> frames = read_pcapng(path);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].frame, invite);
  EXPECT_EQ(frames[0].direction, 1);
  // Sent frames, held for ARP then released, are captured as they were handed over (destination
  // MAC not known yet), else byte for byte.
  auto without_dst_mac = [](Bytes f) {
    std::fill(f.begin(), f.begin() + 6, 0);
    return f;
  };
  EXPECT_EQ(without_dst_mac(frames[1].frame), without_dst_mac(out_access[0]));
  EXPECT_EQ(without_dst_mac(frames[2].frame), without_dst_mac(out_core[0]));
  EXPECT_EQ(frames[1].direction, 2);
  EXPECT_EQ(frames[2].direction, 2);
  std::remove(path.c_str());
  rmdir(dir);
}

// The same loop with an emulated NIC under the ports (tests/support/flow_emulator.h): every media
// frame meets the NIC's rules first, and only what they do not take reaches the worker lane.
class ControlLoopOffloadTest : public ControlLoopTest {
 protected:
  void SetUp() override {
    ControlLoopTest::SetUp();
    if (!HasFatalFailure()) offload_with(sipedge::test::FlowCaps::mlx5_like(), 64);
  }
  void TearDown() override {
    ControlLoopTest::TearDown();
    recovery_.reset();
    drops_.reset();
    rules_.reset();
  }
  // Probes both ports of a NIC with `caps`, and puts media rules through it from now on.
  void offload_with(sipedge::test::FlowCaps caps, size_t max_rules) {
    rules_.reset();
    nic_ = std::make_unique<sipedge::test::FlowEmulator>(std::move(caps));
    std::vector<hw::OffloadManager::Port> ports;
    for (uint16_t i : {kAccess, kCore}) {
      const hw::PortOffload probed = hw::probe_port(*nic_, port(i), port(1 - i), 5060, 0);
      ports.push_back({port(i), 0, probed.media, probed.async_ops});
    }
    hw::OffloadManager::Config oc;
    oc.max_rules = max_rules;
    oc.idle_s = config_.media.timeout_s;
    rules_ = std::make_unique<hw::OffloadManager>(*nic_, oc, ports, [this] {
      return static_cast<uint64_t>(static_cast<unsigned __int128>(now_) * 1000000000 / hz_);
    });
    backend_->set_offload(rules_.get());
    drops_ = std::make_unique<hw::DropRules>(*nic_, std::vector<uint16_t>{port(kAccess)}, 16);
    recovery_ = std::make_unique<PortRecovery>(*dp_, rules_.get(), drops_.get());
    loop_ = std::make_unique<ControlLoop>(
        ControlLoop::Parts{*dp_, *io_, *proxy_, *table_, nullptr, nullptr, {}, nullptr, backend_.get(), nullptr,
                           [this](uint16_t port_id) { recovery_->recover_port(port_id); }},
        timing_);
  }
  uint16_t port(uint16_t iface) const { return dp_->iface(iface).port_id; }
  // A media frame arrives at `iface`'s port and the loop runs once. The frame as it left the NIC
  // when one of its rules carried it (out of the other port); nullopt when it went up to a worker.
  std::optional<Bytes> media_in(uint16_t iface, const Mac& from_mac, const char* from, uint16_t sport, const char* to,
                                uint16_t dport, const std::string& payload, bool poll = true) {
    rte_mbuf* m = to_mbuf(udp4_frame(our_mac(iface), from_mac, ip4(from), ip4(to), sport, dport, text(payload)));
    nic_->set_time_s(now_ / hz_);
    std::optional<Bytes> carried;
    if (const auto out = nic_->apply(port(iface), m)) {
      EXPECT_EQ(*out, port(1 - iface)) << "a rule sent the frame out of the wrong port";
      const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
      carried = Bytes(data, data + m->pkt_len);
      rte_pktmbuf_free(m);
    } else {
      EXPECT_EQ(rte_ring_enqueue(ports_[iface].rx[0], m), 0);
    }
    if (poll) loop_->poll_once(now_);
    return carried;
  }
  std::optional<Bytes> from_phone(uint16_t relay_port, const std::string& payload, uint16_t sport = 40000) {
    return media_in(kAccess, kPeerMac, "10.201.0.2", sport, "10.201.0.1", relay_port, payload);
  }
  std::optional<Bytes> from_trunk_media(uint16_t relay_port, const std::string& payload, uint16_t sport = 30000) {
    return media_in(kCore, kTrunkMac, "10.202.0.2", sport, "10.202.0.1", relay_port, payload);
  }
  // Past the loop's next millisecond tick, where waiting flows are placed and NIC counters polled.
  void tick() {
    now_ += hz_ / 500;
    nic_->set_time_s(now_ / hz_);
    loop_->poll_once(now_);
  }
  // An answered call whose RTP latched both ways, in software first, then given to the NIC.
  void offloaded_call() {
    ok_ = answered_call();
    ASSERT_EQ(testing::first_line(ok_), "SIP/2.0 200 OK");
    to_phone_ = audio_port(ok_);
    to_trunk_ = audio_port(invite_at_trunk_);
    ASSERT_FALSE(from_phone(to_phone_, "\x80\x08\x00\x01up"));
    ASSERT_FALSE(from_trunk_media(to_trunk_, "\x80\x08\x00\x01down"));
    ASSERT_EQ(sent(kCore, 0).size(), 1u);
    ASSERT_EQ(sent(kAccess, 0).size(), 1u);
    tick();
    ASSERT_EQ(nic_->rules(), 2u) << "both RTP directions on the NIC once latched";
  }
  // The RTP flow's two directions as `sipedgectl flows` lists them: "path sw nic" each.
  std::vector<std::string> rtp_paths() {
    std::vector<std::string> out;
    const nlohmann::json v = relay_flows_view(*table_, *backend_, 10);
    for (const nlohmann::json& f : v["flows"]) {
      for (const nlohmann::json& d : f["sides"]) {
        if (d["local"].get<std::string>().ends_with(":" + std::to_string(to_phone_)) ||
            d["local"].get<std::string>().ends_with(":" + std::to_string(to_trunk_))) {
          out.push_back(d["path"].get<std::string>() + " " + std::to_string(d["software_packets"].get<uint64_t>()) + " " +
                        std::to_string(d["nic_packets"].get<uint64_t>()));
        }
      }
    }
    return out;
  }

  void media_on_the_nic_keeps_the_call_and_silence_ends_it();
  // The operator ends the one call there is: its CDR (null, with a failure, when not exactly one).
  nlohmann::json operator_ends_the_call() {
    std::vector<std::string> cdrs;
    proxy_->set_cdr_sink([&](const std::string& l) { cdrs.push_back(l); });
    proxy_->end_all_calls("operator");
    EXPECT_EQ(cdrs.size(), 1u);
    return cdrs.size() == 1 ? nlohmann::json::parse(cdrs[0]) : nlohmann::json();
  }

  std::unique_ptr<sipedge::test::FlowEmulator> nic_;
  std::unique_ptr<hw::OffloadManager> rules_;
  std::unique_ptr<hw::DropRules> drops_;
  std::unique_ptr<PortRecovery> recovery_;
  std::string ok_;
  uint16_t to_phone_ = 0;  // the relay port the phone sends to
  uint16_t to_trunk_ = 0;  // the relay port the trunk sends to
};

TEST_F(ControlLoopOffloadTest, LatchedMediaLeavesTheWorkersAndTheCdrCountsWhatTheNicCarried) {
  ok_ = answered_call();
  ASSERT_EQ(testing::first_line(ok_), "SIP/2.0 200 OK");
  to_phone_ = audio_port(ok_);
  to_trunk_ = audio_port(invite_at_trunk_);
  tick();
  EXPECT_EQ(nic_->rules(), 0u) << "no rule before a peer latched: strict source needs its address";
  EXPECT_EQ(backend_->offload_waiting(), 2u) << "RTP and RTCP wait for their peers";

  // The phone's first packet latches in the worker, which relays it.
  const std::string rtp = "\x80\x08\x00\x07voice";
  ASSERT_FALSE(from_phone(to_phone_, rtp));
  const std::vector<Bytes> by_worker = sent(kCore, 0);
  ASSERT_EQ(by_worker.size(), 1u);
  tick();
  EXPECT_EQ(nic_->rules(), 1u);
  // The same packet again: the NIC carries it, byte for byte as the worker did, and no worker sees it.
  const std::optional<Bytes> by_nic = from_phone(to_phone_, rtp);
  ASSERT_TRUE(by_nic);
  EXPECT_EQ(*by_nic, by_worker[0]);
  EXPECT_TRUE(sent(kCore, 0).empty());
  // Another source to the same relay port is not the latched peer: the worker drops it.
  EXPECT_FALSE(from_phone(to_phone_, rtp, 40002));
  EXPECT_TRUE(sent(kCore, 0).empty());

  ASSERT_FALSE(from_trunk_media(to_trunk_, "\x80\x08\x00\x01down"));
  ASSERT_EQ(sent(kAccess, 0).size(), 1u);
  tick();
  EXPECT_EQ(nic_->rules(), 2u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(from_phone(to_phone_, rtp));
    EXPECT_TRUE(from_trunk_media(to_trunk_, "\x80\x08\x00\x02down"));
  }
  EXPECT_TRUE(sent(kCore, 0).empty());
  EXPECT_TRUE(sent(kAccess, 0).empty());
  EXPECT_EQ(rtp_paths(), (std::vector<std::string>{"nic 1 4", "nic 1 3"}));

  const nlohmann::json cdr = operator_ends_the_call();
  ASSERT_FALSE(cdr.is_null());
  EXPECT_EQ(cdr["packets_caller_to_callee"], 5u) << "1 by the worker, 4 by the NIC";
  EXPECT_EQ(cdr["packets_callee_to_caller"], 4u);
  EXPECT_EQ(nic_->rules(), 0u) << "teardown leaves no rule";
  EXPECT_EQ(rules_->rules(), 0u);
  EXPECT_EQ(backend_->offload_waiting(), 0u);
  EXPECT_EQ(rules_->stats().installed, 2u);
  EXPECT_EQ(rules_->stats().removed, 2u);
}

// The PMD reports a reset of the access port (RTE_ETH_EVENT_INTR_RESET): the NIC forgot its rules.
// At the next iteration the port is reset and started again, and the media and drop rules go back.
TEST_F(ControlLoopOffloadTest, APortResetBringsTheNicsRulesBack) {
  offloaded_call();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(drops_->add(*IpAddr::parse("10.201.0.66")));
  ASSERT_EQ(nic_->rules(), 3u);
  nic_->reset_port(port(kAccess));
  ASSERT_EQ(nic_->rules(), 1u) << "the core port's rule only";
  EXPECT_FALSE(from_phone(to_phone_, "\x80\x08\x00\x03up")) << "meanwhile the worker relays it";
  EXPECT_EQ(sent(kCore, 0).size(), 1u);

  loop_->request_port_reset(port(kAccess));
  loop_->request_port_reset(port(kAccess));  // reported twice before the loop ran: one reset
  tick();
  EXPECT_EQ(recovery_->view(), (nlohmann::json{{"done", 1},
                                               {"failed", 0},
                                               {"last", "port " + std::to_string(port(kAccess)) +
                                                            " back: 1 media rule(s), drop rules for 1 address(es)"}}));
  EXPECT_EQ(nic_->rules(), 3u);
  EXPECT_TRUE(from_phone(to_phone_, "\x80\x08\x00\x04up")) << "on the NIC again";
  EXPECT_TRUE(sent(kCore, 0).empty());
  EXPECT_EQ(recovery_->recover(9)["error"], "no interface 9");
}

// mlx5 in HW steering mode: the same call through the async API. A tick submits the rules and
// takes in their completion; teardown's removals complete at the next tick.
TEST_F(ControlLoopOffloadTest, AnAsyncPortCarriesTheCallAndTeardownEmptiesIt) {
  offload_with(sipedge::test::FlowCaps::mlx5_hws_like(), 64);
  offloaded_call();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(rules_->stats().submitted, 2u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(from_phone(to_phone_, "\x80\x08\x00\x02up"));
    EXPECT_TRUE(from_trunk_media(to_trunk_, "\x80\x08\x00\x02down"));
  }
  EXPECT_TRUE(sent(kCore, 0).empty());
  EXPECT_EQ(rtp_paths(), (std::vector<std::string>{"nic 1 3", "nic 1 3"}));

  const nlohmann::json cdr = operator_ends_the_call();
  ASSERT_FALSE(cdr.is_null());
  EXPECT_EQ(cdr["packets_caller_to_callee"], 4u) << "1 by the worker, 3 by the NIC";
  EXPECT_EQ(cdr["packets_callee_to_caller"], 4u);
  EXPECT_EQ(rules_->rules(), 0u);
  tick();
  EXPECT_EQ(nic_->rules(), 0u) << "the removals completed";
  EXPECT_EQ(rules_->ops_in_flight(), 0u);
  EXPECT_EQ(rules_->stats().removed, 2u);
}

// The workers never see offloaded media, so the relay's own idle sweep cannot tell a live call from
// a dead one: the NIC decides, by AGE (mlx5-like) or by its counters polled (sfc-like).
TEST_F(ControlLoopOffloadTest, MediaOnlyTheNicCarriesKeepsTheCallAndItsSilenceEndsIt) {
  media_on_the_nic_keeps_the_call_and_silence_ends_it();
}

TEST_F(ControlLoopOffloadTest, WithoutAgeTheNicsCountersTellSilence) {
  offload_with(sipedge::test::FlowCaps::sfc_like(), 64);
  media_on_the_nic_keeps_the_call_and_silence_ends_it();
}

void ControlLoopOffloadTest::media_on_the_nic_keeps_the_call_and_silence_ends_it() {
  offloaded_call();
  for (int i = 0; i < 4; ++i) {
    now_ += 20 * hz_;
    ASSERT_TRUE(from_phone(to_phone_, "\x80\x08\x00\x03up"));
    ASSERT_TRUE(from_trunk_media(to_trunk_, "\x80\x08\x00\x03down"));
    tick();
  }
  EXPECT_TRUE(sip_out(kCore).empty()) << "80 s with media only on the NIC: no BYE";
  EXPECT_TRUE(sip_out(kAccess).empty());
  ASSERT_EQ(proxy_->calls().size(), 1u);

  now_ += 31 * hz_;
  tick();
  expect_byes_both_ways();
  EXPECT_EQ(nic_->rules(), 0u);
}

// A re-INVITE that moves the trunk's media to another port (a core side that does not latch):
// both directions' rules are swapped as the answer passes, the new rule in before the old one
// goes, so a continuous stream loses nothing and never reaches a worker.
TEST_F(ControlLoopOffloadTest, AnSdpChangeSwapsTheRulesWithoutLosingAPacket) {
  config_.media.strict_source = false;  // the core side sends to its SDP peer, no latching
  std::vector<RtpRelayBackend::Interface> ifaces;
  for (const InterfaceConfig& i : config_.interfaces)
    ifaces.push_back(RtpRelayBackend::interface_for(i, config_.media, dp_->iface(i.index).port_id));
  backend_ = std::make_unique<RtpRelayBackend>(*table_, ifaces, *io_, [this] { return now_; });
  io_->set_on_resolved([this](uint16_t iface, const IpAddr& hop, bool moved) { backend_->neighbour_resolved(iface, hop, moved); });
  media_ = std::make_unique<MediaManager>(config_, *backend_);
  proxy_ = std::make_unique<Proxy>(config_, *io_, *media_, clock_, scanner_, RouteToken("loop-test"));
  offload_with(sipedge::test::FlowCaps::mlx5_like(), 64);
  ok_ = answered_call();
  ASSERT_EQ(testing::first_line(ok_), "SIP/2.0 200 OK");
  to_phone_ = audio_port(ok_);
  to_trunk_ = audio_port(invite_at_trunk_);
  tick();
  EXPECT_EQ(nic_->rules(), 2u) << "the trunk's direction at once (its SDP peer is its source), RTCP's too";
  ASSERT_FALSE(from_phone(to_phone_, "\x80\x08\x00\x01up"));
  ASSERT_EQ(sent(kCore, 0).size(), 1u);
  tick();
  ASSERT_EQ(nic_->rules(), 3u);

  auto dport_of = [](const Bytes& f) { return get16(f, 36); };
  std::optional<Bytes> out = from_phone(to_phone_, "\x80\x08\x00\x02up");
  ASSERT_TRUE(out);
  EXPECT_EQ(dport_of(*out), 30000);

  // Alice re-INVITEs; the trunk answers from port 30010.
  const std::string rr = testing::header(ok_, parser::HeaderId::RecordRoute);
  const std::string reinvite =
      "INVITE sip:trunk@10.202.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKloop2;rport\r\n"
      "Route: " + rr + "\r\nMax-Forwards: 70\r\nFrom: <sip:1006@sipedge.test>;tag=a1\r\n"
      "To: <sip:+4930123@sipedge.test>;tag=t1\r\nCall-ID: loop-call\r\nCSeq: 2 INVITE\r\n"
      "Contact: <sip:1006@10.201.0.2:5060>\r\nContent-Type: application/sdp\r\nContent-Length: " +
      std::to_string(kAliceSdp.size()) + "\r\n\r\n" + kAliceSdp;
  from_alice(reinvite);
  ASSERT_EQ(sip_out(kAccess).size(), 1u);  // 100 Trying
  std::vector<std::string> at_trunk = sip_out(kCore);
  ASSERT_EQ(at_trunk.size(), 1u);
  ASSERT_EQ(testing::first_line(at_trunk[0]), "INVITE sip:trunk@10.202.0.2:5060 SIP/2.0");
  std::string moved = kTrunkSdp;
  moved.replace(moved.find("m=audio 30000"), 13, "m=audio 30010");
  moved.replace(moved.find("o=trunk 2 2"), 11, "o=trunk 2 3");
  // A packet in flight as the answer passes, and after: each carried by the NIC, to the port of
  // the moment.
  out = from_phone(to_phone_, "\x80\x08\x00\x03up");
  ASSERT_TRUE(out);
  EXPECT_EQ(dport_of(*out), 30000);
  from_trunk(testing::response_to(at_trunk[0], 200, "OK", "t1", "sip:trunk@10.202.0.2:5060", moved));
  ASSERT_EQ(sip_out(kAccess).size(), 1u);
  out = from_phone(to_phone_, "\x80\x08\x00\x04up");
  ASSERT_TRUE(out) << "swapped at once: not handed to a worker";
  EXPECT_EQ(dport_of(*out), 30010);
  EXPECT_TRUE(from_trunk_media(to_trunk_, "\x80\x08\x00\x04down", 30010)) << "the trunk's new source is matched";
  EXPECT_FALSE(from_trunk_media(to_trunk_, "\x80\x08\x00\x05down", 30000)) << "its old one no longer";
  EXPECT_TRUE(sent(kCore, 0).empty());
  EXPECT_EQ(nic_->rules(), 3u);
  EXPECT_GE(rules_->stats().swaps, 2u);
  EXPECT_EQ(rtp_paths(), (std::vector<std::string>{"nic 1 3", "nic 1 1"}));
}

// Rules run out: the directions beyond the limit stay with the workers, counted, and still relay.
TEST_F(ControlLoopOffloadTest, RulesRunningOutKeepTheRestInSoftware) {
  offload_with(sipedge::test::FlowCaps::mlx5_like(), 1);
  ok_ = answered_call();
  to_phone_ = audio_port(ok_);
  to_trunk_ = audio_port(invite_at_trunk_);
  ASSERT_FALSE(from_phone(to_phone_, "\x80\x08\x00\x01up"));
  ASSERT_FALSE(from_trunk_media(to_trunk_, "\x80\x08\x00\x01down"));
  tick();
  EXPECT_EQ(nic_->rules(), 1u);
  EXPECT_EQ(rules_->stats().software[static_cast<size_t>(hw::SoftwareReason::RulesExhausted)], 1u);
  EXPECT_TRUE(from_phone(to_phone_, "\x80\x08\x00\x02up"));
  EXPECT_FALSE(from_trunk_media(to_trunk_, "\x80\x08\x00\x02down"));
  EXPECT_EQ(sent(kAccess, 0).size(), 2u) << "the worker relays the direction the NIC has no room for";
  const nlohmann::json v = relay_flows_view(*table_, *backend_, 10);
  EXPECT_NE(v.dump().find("rules_exhausted"), std::string::npos) << v.dump();
}

// Rule inserts are paced per loop tick: a burst waits in software for its turn, and is not lost.
TEST_F(ControlLoopOffloadTest, InsertsArePacedPerTick) {
  backend_->set_offload(rules_.get(), 1);
  ok_ = answered_call();
  to_phone_ = audio_port(ok_);
  to_trunk_ = audio_port(invite_at_trunk_);
  // Both peers latch in one loop iteration; then one tick.
  ASSERT_FALSE(media_in(kAccess, kPeerMac, "10.201.0.2", 40000, "10.201.0.1", to_phone_, "\x80\x08\x00\x01up", false));
  ASSERT_FALSE(media_in(kCore, kTrunkMac, "10.202.0.2", 30000, "10.202.0.1", to_trunk_, "\x80\x08\x00\x01down", false));
  loop_->poll_once(now_);
  ASSERT_EQ(sent(kAccess, 0).size(), 1u);
  tick();
  EXPECT_EQ(nic_->rules(), 1u);
  EXPECT_FALSE(from_trunk_media(to_trunk_, "\x80\x08\x00\x02down")) << "its turn has not come: a worker relays it";
  EXPECT_EQ(sent(kAccess, 0).size(), 1u);
  tick();
  EXPECT_EQ(nic_->rules(), 2u);
  EXPECT_TRUE(from_trunk_media(to_trunk_, "\x80\x08\x00\x03down"));
}

// A port that can steer but not rewrite (ice-like): media stays with the workers, as today.
TEST_F(ControlLoopOffloadTest, APortWithoutRewriteKeepsMediaInSoftware) {
  offload_with(sipedge::test::FlowCaps::ice_like(), 64);
  ok_ = answered_call();
  to_phone_ = audio_port(ok_);
  ASSERT_FALSE(from_phone(to_phone_, "\x80\x08\x00\x01up"));
  tick();
  EXPECT_FALSE(from_phone(to_phone_, "\x80\x08\x00\x02up"));
  EXPECT_EQ(sent(kCore, 0).size(), 2u);
  EXPECT_EQ(nic_->rules(), 0u);
  EXPECT_GE(rules_->stats().software[static_cast<size_t>(hw::SoftwareReason::PortCannot)], 1u);
}

}  // namespace
}  // namespace sipedge::control
