// tests/control/runtime_rtp_relay_backend_test.cc — pins control/runtime/rtp_relay_backend.cc: what
// MediaManager's flows become in a real rtp_relay::FlowTable (ports, addresses, latch modes, MACs),
// flows whose next hop is unresolved installed at once and patched when it answers, and refusals
// that come back as values with nothing left behind. EAL starts only when one of these tests runs
// (tests/support/eal_once.h), so the other control tests never pay for it.
#include "control/runtime/rtp_relay_backend.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_rcu_qsbr.h>

#include "tests/support/eal_once.h"

namespace sipedge::control {
// Named, not anonymous: its kAnswer would clash with the proxy fixture's in a unity batch.
namespace runtime_rtp_relay_backend_test {

rte_ether_addr mac(uint8_t last) { return rte_ether_addr{{0x02, 0, 0, 0, 0, last}}; }

std::string text(const IpAddr& a) { return a.family == IpAddr::Family::None ? "*" : a.to_string(); }

// "port 3 10.201.0.1:20000 <> 0.0.0.0:1572 latch mac 1->160": MACs by their last byte. The table
// reports an unset peer in its flow's IP version (0.0.0.0).
std::string show(const relay::EndpointSpec& s) {
  const char* modes[] = {"off", "latch", "strict"};
  return "port " + std::to_string(s.port_id) + " " + text(s.local_addr) + ":" + std::to_string(s.local_port) +
         " <> " + text(s.remote_addr) + ":" + std::to_string(s.remote_port) + " " +
         modes[static_cast<int>(s.latch)] + " mac " + std::to_string(s.local_mac.addr_bytes[5]) + "->" +
         std::to_string(s.next_hop_mac.addr_bytes[5]);
}

InterfaceConfig iface(uint16_t index, InterfaceRole role, const char* media, uint16_t min) {
  InterfaceConfig i;
  i.name = "if" + std::to_string(index);
  i.index = index;
  i.role = role;
  i.sip_address = *IpAddr::parse(media);
  i.media_address = *IpAddr::parse(media);
  i.media_port_min = min;
  i.media_port_max = static_cast<uint16_t>(min + 999);
  return i;
}

// Interface i's MAC ends in i + 1; a next hop's MAC in 0xa0 + i. A peer is its own next hop; it is
// resolved unless listed in `unresolved` ("iface address"). Records what was asked.
struct FakeNextHops : NextHops {
  std::vector<std::string> asked;
  std::set<std::string> unresolved;
  std::map<std::string, uint8_t> moved;  // "iface address" -> the last byte of the MAC it moved to
  static std::string key(uint16_t i, const IpAddr& a) { return std::to_string(i) + " " + text(a); }
  rte_ether_addr interface_mac(uint16_t i) const override { return mac(static_cast<uint8_t>(i + 1)); }
  std::optional<IpAddr> next_hop(uint16_t, const IpAddr& remote) const override { return remote; }
  std::optional<rte_ether_addr> next_hop_mac(uint16_t i, const IpAddr& remote) override {
    asked.push_back(key(i, remote));
    if (unresolved.contains(key(i, remote))) return std::nullopt;
    if (auto it = moved.find(key(i, remote)); it != moved.end()) return mac(it->second);
    return mac(static_cast<uint8_t>(0xa0 + i));
  }
};

constexpr std::string_view kOffer =
    "v=0\r\no=- 8 2 IN IP4 192.168.1.131\r\ns=CounterPath eyeBeam 1.5\r\nc=IN IP4 192.168.1.131\r\nt=0 0\r\n"
    "m=audio 1572 RTP/AVP 0 8 18 101\r\na=sendrecv\r\n";
constexpr std::string_view kAnswer =
    "v=0\no=FreeSWITCH 1763790000 1763790001 IN IP4 10.202.0.50\ns=FreeSWITCH\nc=IN IP4 10.202.0.50\nt=0 0\n"
    "m=audio 16384 RTP/AVP 0 101\na=rtcp:16385 IN IP4 10.202.0.50\n";

class RtpRelayBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sipedge::test::start_eal()) << "rte_eal_init failed";
    static int n = 0;
    relay::FlowTableConfig cfg;
    cfg.name = "ctl" + std::to_string(n++);
    cfg.ipv4_flows = 16;
    cfg.ipv6_flows = 16;
    cfg.max_readers = 2;
    auto t = relay::FlowTable::create(cfg);
    ASSERT_TRUE(t.ok());
    table = std::move(*t);
    config.interfaces = {iface(0, InterfaceRole::Access, "10.201.0.1", 20000),
                         iface(1, InterfaceRole::Core, "10.202.0.1", 30000),
                         iface(2, InterfaceRole::Core, "2001:db8:202::1", 40000)};
    // Interface i is DPDK port i + 3, with MAC i + 1; the next hop's MAC is 0xa0 + i.
    std::vector<RtpRelayBackend::Interface> ifs;
    for (const InterfaceConfig& i : config.interfaces) {
      ifs.push_back(RtpRelayBackend::interface_for(i, config.media, static_cast<uint16_t>(i.index + 3)));
    }
    backend = std::make_unique<RtpRelayBackend>(*table, ifs, hops, [] { return uint64_t{1000}; });
    media = std::make_unique<MediaManager>(config, *backend);
  }
  void TearDown() override {
    media.reset();
    backend.reset();
    if (table) table->synchronize();
    table.reset();
  }

  std::vector<std::string> flows() const {
    std::vector<std::string> out;
    table->for_each([&](const relay::FlowInfo& f) { out.push_back(show(f.spec.side[0]) + " || " + show(f.spec.side[1])); });
    return out;
  }

  ControlConfig config;
  std::unique_ptr<relay::FlowTable> table;
  std::unique_ptr<RtpRelayBackend> backend;
  std::unique_ptr<MediaManager> media;
  FakeNextHops hops;
};

TEST_F(RtpRelayBackendTest, AnsweredCallBecomesTwoTableFlowsWithLatchingOnTheAccessSide) {
  const MediaSessionId id = media->create(0, 1);
  ASSERT_TRUE(media->rewrite(id, MediaSide::Caller, kOffer, SdpRole::Offer).ok());
  EXPECT_EQ(table->size(), 0u);
  ASSERT_TRUE(media->rewrite(id, MediaSide::Callee, kAnswer, SdpRole::Answer).ok());
  EXPECT_EQ(flows(), (std::vector<std::string>{
                         "port 3 10.201.0.1:20000 <> 0.0.0.0:1572 latch mac 1->160 || "
                         "port 4 10.202.0.1:30000 <> 10.202.0.50:16384 latch mac 2->161",
                         "port 3 10.201.0.1:20001 <> 0.0.0.0:1573 latch mac 1->160 || "
                         "port 4 10.202.0.1:30001 <> 10.202.0.50:16385 latch mac 2->161",
                     }));
  EXPECT_EQ(hops.asked, (std::vector<std::string>{"0 192.168.1.131", "1 10.202.0.50", "0 192.168.1.131",
                                                  "1 10.202.0.50"}));
  EXPECT_EQ(backend->awaiting_neighbours(), 0u);
  EXPECT_EQ(backend->size(), 2u);
  std::vector<FlowBackend::Handle> handles;
  table->for_each([&](const relay::FlowInfo& f) { handles.push_back(RtpRelayBackend::handle_of(f.handle)); });
  ASSERT_EQ(handles.size(), 2u);
  for (FlowBackend::Handle h : handles) {
    EXPECT_EQ(media->session_of_flow(h), id);
    const FlowBackend::Counters c = backend->counters(h);
    EXPECT_EQ(c.packets[0] + c.packets[1] + c.bytes[0] + c.bytes[1], 0u);
  }
}

TEST_F(RtpRelayBackendTest, NewPeerPortUpdatesTheSameFlow) {
  const MediaSessionId id = media->create(0, 1);
  ASSERT_TRUE(media->rewrite(id, MediaSide::Caller, kOffer, SdpRole::Offer).ok());
  ASSERT_TRUE(media->rewrite(id, MediaSide::Callee, kAnswer, SdpRole::Answer).ok());
  relay::FlowHandle first;
  table->for_each([&](const relay::FlowInfo& f) {
    if (first.index == UINT32_MAX) first = f.handle;
  });
  std::string moved(kAnswer);
  moved.replace(moved.find("16384"), 5, "16500");
  moved.replace(moved.find("16385"), 5, "16501");
  ASSERT_TRUE(media->rewrite(id, MediaSide::Callee, moved, SdpRole::Answer).ok());
  auto info = table->flow_info(first);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(show(info->spec.side[1]), "port 4 10.202.0.1:30000 <> 10.202.0.50:16500 latch mac 2->161");
  EXPECT_EQ(table->size(), 2u);
}

TEST_F(RtpRelayBackendTest, DestroyEmptiesTheTable) {
  const MediaSessionId id = media->create(0, 1);
  ASSERT_TRUE(media->rewrite(id, MediaSide::Caller, kOffer, SdpRole::Offer).ok());
  ASSERT_TRUE(media->rewrite(id, MediaSide::Callee, kAnswer, SdpRole::Answer).ok());
  media->destroy(id);
  EXPECT_EQ(table->size(), 0u);
  EXPECT_EQ(media->ports_in_use(0), 0u);
  EXPECT_EQ(media->ports_in_use(1), 0u);
}

TEST_F(RtpRelayBackendTest, AnUnresolvedNextHopInstallsTheFlowAndItsAnswerPatchesTheMac) {
  const MediaSessionId id = media->create(0, 1);
  ASSERT_TRUE(media->rewrite(id, MediaSide::Caller, kOffer, SdpRole::Offer).ok());
  hops.unresolved = {"1 10.202.0.50"};
  ASSERT_TRUE(media->rewrite(id, MediaSide::Callee, kAnswer, SdpRole::Answer).ok());
  EXPECT_EQ(flows(), (std::vector<std::string>{
                         "port 3 10.201.0.1:20000 <> 0.0.0.0:1572 latch mac 1->160 || "
                         "port 4 10.202.0.1:30000 <> 10.202.0.50:16384 latch mac 2->0",
                         "port 3 10.201.0.1:20001 <> 0.0.0.0:1573 latch mac 1->160 || "
                         "port 4 10.202.0.1:30001 <> 10.202.0.50:16385 latch mac 2->0",
                     }));
  EXPECT_EQ(backend->awaiting_neighbours(), 2u);
  backend->neighbour_resolved(1, *IpAddr::parse("10.202.0.99"));  // someone else: nothing changes
  EXPECT_EQ(backend->awaiting_neighbours(), 2u);
  hops.unresolved.clear();
  backend->neighbour_resolved(1, *IpAddr::parse("10.202.0.50"));
  EXPECT_EQ(backend->awaiting_neighbours(), 0u);
  EXPECT_EQ(flows(), (std::vector<std::string>{
                         "port 3 10.201.0.1:20000 <> 0.0.0.0:1572 latch mac 1->160 || "
                         "port 4 10.202.0.1:30000 <> 10.202.0.50:16384 latch mac 2->161",
                         "port 3 10.201.0.1:20001 <> 0.0.0.0:1573 latch mac 1->160 || "
                         "port 4 10.202.0.1:30001 <> 10.202.0.50:16385 latch mac 2->161",
                     }));
  media->destroy(id);
  EXPECT_EQ(backend->awaiting_neighbours(), 0u);
  EXPECT_EQ(table->size(), 0u);
}

// A next hop that moves to another MAC (a router replaced, or its standby taking over) takes the
// flows already sending to it along: only the sides behind it, on its interface. They follow in a
// walk over the table, a slice of handles per call (here 8 of the table's 32); a move during the
// walk extends it by a whole table. A refresh (the same MAC) is no move, and a move of a neighbour
// no flow uses re-points nothing.
TEST_F(RtpRelayBackendTest, FlowsFollowANextHopThatMovesASliceOfTheTableAtATime) {
  backend->set_follow_slice(8);
  std::vector<MediaSessionId> calls;
  for (int c = 0; c < 4; ++c) {  // 8 flows, in handles 0-7
    calls.push_back(media->create(0, 1));
    ASSERT_TRUE(media->rewrite(calls.back(), MediaSide::Caller, kOffer, SdpRole::Offer).ok());
    ASSERT_TRUE(media->rewrite(calls.back(), MediaSide::Callee, kAnswer, SdpRole::Answer).ok());
  }
  ASSERT_EQ(table->handle_count(), 32u);
  const IpAddr softswitch = *IpAddr::parse("10.202.0.50");
  // How many flows send to each last byte of a MAC, access side then core side.
  auto macs = [&] {
    std::map<std::string, int> n;
    table->for_each([&](const relay::FlowInfo& f) {
      ++n["access " + std::to_string(f.spec.side[0].next_hop_mac.addr_bytes[5])];
      ++n["core " + std::to_string(f.spec.side[1].next_hop_mac.addr_bytes[5])];
    });
    return n;
  };
  using Macs = std::map<std::string, int>;
  backend->neighbour_resolved(1, softswitch, false);  // refreshed at the MAC it had
  EXPECT_EQ(backend->moves_pending(), 0u);
  EXPECT_EQ(backend->follow_moves(), 0u);

  hops.moved["1 10.202.0.50"] = 0xb1;
  backend->neighbour_resolved(1, softswitch, true);
  backend->neighbour_resolved(1, softswitch, true);  // told twice: one move
  EXPECT_EQ(backend->moves_pending(), 1u);
  EXPECT_EQ(macs(), (Macs{{"access 160", 8}, {"core 161", 8}})) << "nothing moves before the walk";
  EXPECT_EQ(backend->follow_moves(), 16u);  // handles 0-7, all eight re-pointed
  EXPECT_EQ(macs(), (Macs{{"access 160", 8}, {"core 177", 8}}));
  EXPECT_EQ(backend->flows_followed(), 8u);
  EXPECT_EQ(backend->follow_moves(), 8u);  // handles 8-15: nothing there
  EXPECT_EQ(backend->moves_pending(), 1u);
  // It moves again mid-walk: the walk runs on from handle 16 around to 15.
  hops.moved["1 10.202.0.50"] = 0xc1;
  backend->neighbour_resolved(1, softswitch, true);
  for (int call = 0; call < 4; ++call) backend->follow_moves();
  EXPECT_EQ(macs(), (Macs{{"access 160", 8}, {"core 193", 8}}));
  EXPECT_EQ(backend->moves_pending(), 0u) << "the walk is over";
  EXPECT_EQ(backend->follow_moves(), 0u);
  EXPECT_EQ(backend->flows_followed(), 16u);

  hops.moved["1 10.202.0.99"] = 0xd1;
  backend->neighbour_resolved(1, *IpAddr::parse("10.202.0.99"), true);
  for (int call = 0; call < 4; ++call) backend->follow_moves();
  EXPECT_EQ(macs(), (Macs{{"access 160", 8}, {"core 193", 8}}));
  EXPECT_EQ(backend->flows_followed(), 16u);

  // More moved neighbours than a walk takes: the rest are counted, not queued without bound.
  for (unsigned n = 0; n <= RtpRelayBackend::kMaxMovedPending; ++n)
    backend->neighbour_resolved(1, IpAddr::v4(10, 202, 1, static_cast<uint8_t>(n)), true);
  EXPECT_EQ(backend->moves_pending(), RtpRelayBackend::kMaxMovedPending);
  EXPECT_EQ(backend->moves_dropped(), 1u);
  for (MediaSessionId id : calls) media->destroy(id);
  EXPECT_EQ(table->size(), 0u);
}

// Re-pointing a flow takes a copy of it; the old copies come back only once every worker has
// passed a quiescent state. A walk that runs out of copies (a full table, a worker that has not
// passed one) stops at the flow it could not copy and goes on from there at the next call.
TEST_F(RtpRelayBackendTest, AWalkOutOfFlowCopiesGoesOnWhenTheWorkersPassAQuiescentState) {
  rte_rcu_qsbr* qsbr = table->qsbr();
  ASSERT_EQ(rte_rcu_qsbr_thread_register(qsbr, 0), 0);
  rte_rcu_qsbr_thread_online(qsbr, 0);  // a worker, quiescent only when told below
  std::vector<MediaSessionId> calls;
  for (int c = 0; c < 8; ++c) {  // 16 flows: the table's capacity, as many spare copies
    calls.push_back(media->create(0, 1));
    ASSERT_TRUE(media->rewrite(calls.back(), MediaSide::Caller, kOffer, SdpRole::Offer).ok());
    ASSERT_TRUE(media->rewrite(calls.back(), MediaSide::Callee, kAnswer, SdpRole::Answer).ok());
  }
  ASSERT_EQ(table->size(), 16u);
  const IpAddr softswitch = *IpAddr::parse("10.202.0.50");
  auto at_core_mac = [&](uint8_t last) {
    size_t n = 0;
    table->for_each([&](const relay::FlowInfo& f) { n += f.spec.side[1].next_hop_mac.addr_bytes[5] == last; });
    return n;
  };
  hops.moved["1 10.202.0.50"] = 0xb1;
  backend->neighbour_resolved(1, softswitch, true);
  backend->follow_moves();  // takes the 16 spare copies
  EXPECT_EQ(at_core_mac(0xb1), 16u);
  EXPECT_EQ(backend->moves_pending(), 0u);

  hops.moved["1 10.202.0.50"] = 0xc1;
  backend->neighbour_resolved(1, softswitch, true);
  backend->follow_moves();  // none to spare until the worker passes a quiescent state
  backend->follow_moves();
  EXPECT_EQ(at_core_mac(0xc1), 0u);
  EXPECT_EQ(backend->moves_pending(), 1u);
  rte_rcu_qsbr_quiescent(qsbr, 0);
  backend->follow_moves();
  EXPECT_EQ(at_core_mac(0xc1), 16u);
  EXPECT_EQ(backend->moves_pending(), 0u);
  EXPECT_EQ(backend->flows_followed(), 32u);

  rte_rcu_qsbr_thread_offline(qsbr, 0);
  rte_rcu_qsbr_thread_unregister(qsbr, 0);
  for (MediaSessionId id : calls) media->destroy(id);
  EXPECT_EQ(table->size(), 0u);
}

TEST_F(RtpRelayBackendTest, AFullTableIsRelayFullAndTheRefusedCallLeavesNothing) {
  std::optional<MediaError> refused;
  size_t before = 0;
  for (int call = 0; call < 100 && !refused; ++call) {
    const MediaSessionId id = media->create(0, 1);
    ASSERT_TRUE(media->rewrite(id, MediaSide::Caller, kOffer, SdpRole::Offer).ok());
    before = table->size();
    auto r = media->rewrite(id, MediaSide::Callee, kAnswer, SdpRole::Answer);
    if (!r.ok()) {
      refused = r.error();
      media->destroy(id);
    }
  }
  ASSERT_TRUE(refused.has_value()) << "a 16-flow table never filled";
  EXPECT_EQ(*refused, MediaError::RelayFull);
  EXPECT_EQ(table->size(), before) << "the refused call's first flow was taken back";
  EXPECT_EQ(backend->size(), before);
}

TEST_F(RtpRelayBackendTest, MixedIpVersionsAreRefusedByTheTable) {
  const MediaSessionId id = media->create(0, 2);
  ASSERT_TRUE(media->rewrite(id, MediaSide::Caller, kOffer, SdpRole::Offer).ok());
  auto r = media->rewrite(id, MediaSide::Callee,
                          "v=0\r\no=- 9 9 IN IP6 2001:db8:202::50\r\ns=-\r\nc=IN IP6 2001:db8:202::50\r\nt=0 0\r\n"
                          "m=audio 6000 RTP/AVP 0\r\n",
                          SdpRole::Answer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), MediaError::RelayRefused);
  EXPECT_EQ(table->size(), 0u);
}

TEST_F(RtpRelayBackendTest, UnknownInterfaceIsRefusedBeforeTheTable) {
  FlowBackend::End a{7, *IpAddr::parse("10.201.0.1"), 20000, *IpAddr::parse("192.0.2.1"), 5000};
  FlowBackend::End b{1, *IpAddr::parse("10.202.0.1"), 30000, *IpAddr::parse("192.0.2.2"), 6000};
  auto installed = backend->install(a, b);
  ASSERT_FALSE(installed.ok());
  EXPECT_EQ(installed.error(), MediaError::RelayRefused);
  EXPECT_FALSE(backend->update(0, a, b).ok());
  EXPECT_EQ(table->size(), 0u);
}

TEST(RtpRelayBackendPolicy, InterfacesGetLatchModesFromRoleAndStrictSource) {
  MediaConfig strict;
  MediaConfig loose;
  loose.strict_source = false;
  InterfaceConfig access = iface(0, InterfaceRole::Access, "10.201.0.1", 20000);
  InterfaceConfig core = iface(1, InterfaceRole::Core, "10.202.0.1", 30000);
  auto a = RtpRelayBackend::interface_for(access, loose, 5);
  EXPECT_EQ(a.port_id, 5);
  EXPECT_EQ(a.latch, relay::LatchMode::Latch);
  EXPECT_TRUE(a.latch_any_host);
  EXPECT_EQ(RtpRelayBackend::interface_for(core, strict, 6).latch, relay::LatchMode::Latch);
  EXPECT_FALSE(RtpRelayBackend::interface_for(core, strict, 6).latch_any_host);
  EXPECT_EQ(RtpRelayBackend::interface_for(core, loose, 6).latch, relay::LatchMode::Off);
}

TEST(RtpRelayBackendPolicy, HandlesRoundTripIndexAndGeneration) {
  const relay::FlowHandle h{12, 34};
  EXPECT_EQ(RtpRelayBackend::handle_of(h), (uint64_t{34} << 32) | 12);
  EXPECT_EQ(RtpRelayBackend::flow_handle(RtpRelayBackend::handle_of(h)), h);
}

}  // namespace runtime_rtp_relay_backend_test
}  // namespace sipedge::control
