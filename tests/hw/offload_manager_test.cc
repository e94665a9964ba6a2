// tests/hw/offload_manager_test.cc — pins hw/offload_manager against an emulated NIC: a latched
// direction goes to the NIC and the software path no longer sees its packets; an SDP change swaps
// the rule make-before-break with no packet lost in a continuous stream and the counters carried
// over; teardown leaves no rule; full tables, refusing ports and ports without rewrite keep media in
// software, counted by reason; a port reset gets its rules back.
#include "hw/offload_manager.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "tests/rtp_relay/relay_test_util.h"
#include "tests/support/flow_emulator.h"

namespace sipedge::hw {
namespace {

using relay::test::frame;
using relay::test::ip;
using relay::test::mbuf_from;

// What the manager asked of the NIC, in order, with the NIC's rule count after each call.
struct RecordingOps final : FlowOps {
  explicit RecordingOps(test::FlowEmulator& nic) : nic(nic) {}
  int validate(uint16_t p, const rte_flow_attr& a, const rte_flow_item* i, const rte_flow_action* x, std::string& w) override {
    return nic.validate(p, a, i, x, w);
  }
  rte_flow* create(uint16_t p, const rte_flow_attr& a, const rte_flow_item* i, const rte_flow_action* x, std::string& w) override {
    rte_flow* r = nic.create(p, a, i, x, w);
    log.push_back(std::string(r ? "create" : "create-refused") + " " + std::to_string(nic.rules()));
    return r;
  }
  int destroy(uint16_t p, rte_flow* r, std::string& w) override {
    const int rc = nic.destroy(p, r, w);
    log.push_back("destroy " + std::to_string(nic.rules()));
    return rc;
  }
  int query_count(uint16_t p, rte_flow* r, uint64_t& n, uint64_t& b, std::string& w) override {
    ++queries;
    return nic.query_count(p, r, n, b, w);
  }
  int aged_flows(uint16_t p, void** c, uint32_t n, std::string& w) override { return nic.aged_flows(p, c, n, w); }
  int async_queue_size(uint16_t p, uint32_t& n, std::string& w) override { return nic.async_queue_size(p, n, w); }
  int configure_async(uint16_t p, uint32_t o, uint32_t r, std::string& w) override {
    if (refuse_configure) {
      w = "engine busy";
      return -EBUSY;
    }
    return nic.configure_async(p, o, r, w);
  }
  rte_flow_template_table* create_table(uint16_t p, const rte_flow_attr& a, const rte_flow_item* i, const rte_flow_action* x,
                                        uint32_t r, std::string& w) override {
    log.push_back("table");
    return nic.create_table(p, a, i, x, r, w);
  }
  int destroy_table(uint16_t p, rte_flow_template_table* t, std::string& w) override { return nic.destroy_table(p, t, w); }
  rte_flow* async_create(uint16_t p, rte_flow_template_table* t, const rte_flow_item* i, const rte_flow_action* x, void* u,
                         std::string& w) override {
    rte_flow* r = nic.async_create(p, t, i, x, u, w);
    log.push_back(std::string(r ? "queue-create" : "queue-create-refused") + " " + std::to_string(nic.rules()));
    return r;
  }
  int async_destroy(uint16_t p, rte_flow* r, void* u, std::string& w) override {
    const int rc = nic.async_destroy(p, r, u, w);
    log.push_back("queue-destroy " + std::to_string(nic.rules()));
    return rc;
  }
  int push(uint16_t p, std::string& w) override { return nic.push(p, w); }
  int pull(uint16_t p, rte_flow_op_result* r, uint16_t n, std::string& w) override {
    const int done = nic.pull(p, r, n, w);
    if (done > 0) log.push_back("pulled " + std::to_string(done) + " " + std::to_string(nic.rules()));
    return done;
  }
  size_t queries = 0;
  bool refuse_configure = false;  // the flow engine cannot be set up again (after a reset)
  test::FlowEmulator& nic;
  std::vector<std::string> log;
};

constexpr RuleVariant kMlx5{RewriteKind::ModifyField, AgingKind::Age, EgressKind::PortId, 0};

relay::FlowSpec call() {
  relay::FlowSpec s;
  s.side[0] = relay::EndpointSpec{0, ip("10.201.0.1"), 20000, ip("10.201.0.2"), 40000, relay::LatchMode::Latch,
                                  relay::test::mac(1), relay::test::mac(0xa1)};
  s.side[1] = relay::EndpointSpec{1, ip("10.202.0.1"), 30000, ip("10.202.0.2"), 6000, relay::LatchMode::Off,
                                  relay::test::mac(2), relay::test::mac(0xb1)};
  return s;
}
const Endpoint kPhone{ip("10.201.0.2"), 40000};
const Endpoint kTrunk{ip("10.202.0.2"), 6000};
const relay::FlowHandle kFlow{7, 1};

// A packet from the phone to our relay socket on the access side.
relay::test::Udp from_phone(uint16_t sport = 40000) {
  relay::test::Udp u;
  u.src = kPhone.ip;
  u.dst = ip("10.201.0.1");
  u.sport = sport;
  u.dport = 20000;
  return u;
}
// Whether the NIC carried it (else it would reach a worker), and where.
std::optional<uint16_t> nic_takes(test::FlowEmulator& nic, const relay::test::Udp& u) {
  rte_mbuf* m = mbuf_from(frame(u), 0);
  const std::optional<uint16_t> out = nic.apply(0, m);
  rte_pktmbuf_free(m);
  return out;
}

class OffloadManagerTest : public ::testing::Test {
 protected:
  test::FlowEmulator nic{test::FlowCaps::mlx5_like()};
  RecordingOps ops{nic};
  uint64_t clock_ns = 0;
  std::vector<OffloadManager::Port> ports{{0, 0, kMlx5}, {1, 0, kMlx5}};
  OffloadManager::Config config;
  std::unique_ptr<OffloadManager> manager;

  void SetUp() override { make(); }
  void make() {
    manager.reset();
    manager = std::make_unique<OffloadManager>(ops, config, ports, [this] { return clock_ns += 1500; });
  }
  size_t software(SoftwareReason r) const { return manager->stats().software[static_cast<size_t>(r)]; }
};

TEST_F(OffloadManagerTest, ALatchedDirectionIsCarriedByTheNicAndTeardownLeavesNoRule) {
  EXPECT_EQ(nic_takes(nic, from_phone()), std::nullopt) << "before: the worker relays it";
  EXPECT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  EXPECT_EQ(manager->offload(kFlow, 1, call(), kTrunk, kPhone), std::nullopt);
  EXPECT_EQ(manager->rules(), 2u);
  EXPECT_EQ(nic.rules(), 2u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(nic_takes(nic, from_phone()), 1) << "the NIC sends it out of the core port";
  EXPECT_EQ(nic_takes(nic, from_phone(40002)), std::nullopt) << "another source port is not the latched peer";
  const OffloadManager::Carried c = manager->carried(kFlow, 0);
  EXPECT_TRUE(c.offloaded);
  EXPECT_EQ(c.packets, 3u);
  EXPECT_EQ(c.bytes, 3 * frame(from_phone()).size());
  EXPECT_EQ(manager->insert_latency_ns(50), 1500u);
  EXPECT_EQ(manager->insert_latency_ns(99), 1500u);

  const auto final = manager->remove(kFlow);
  EXPECT_EQ(final[0].packets, 3u);
  EXPECT_EQ(final[1].packets, 0u);
  EXPECT_EQ(nic.rules(), 0u);
  EXPECT_EQ(manager->rules(), 0u);
  EXPECT_EQ(manager->stats().installed, 2u);
  EXPECT_EQ(manager->stats().removed, 2u);
  EXPECT_FALSE(manager->carried(kFlow, 0).offloaded);
}

TEST_F(OffloadManagerTest, AnSdpChangeSwapsTheRuleMakeBeforeBreakWithNoPacketLost) {
  ASSERT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  ASSERT_EQ(nic_takes(nic, from_phone()), 1);
  ASSERT_EQ(nic_takes(nic, from_phone()), 1);
  // A re-INVITE moves the trunk's media to another port; packets keep arriving meanwhile.
  relay::FlowSpec moved = call();
  moved.side[1].remote_port = 6002;
  ops.log.clear();
  ASSERT_EQ(manager->offload(kFlow, 0, moved, kPhone, Endpoint{kTrunk.ip, 6002}), std::nullopt);
  EXPECT_EQ(ops.log, (std::vector<std::string>{"create 2", "destroy 1"})) << "the new rule is in before the old one goes";
  // In a continuous stream every packet is carried, before, during and after the swap.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(nic_takes(nic, from_phone()), 1);
  rte_mbuf* m = mbuf_from(frame(from_phone()), 0);
  ASSERT_EQ(nic.apply(0, m), 1);
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  EXPECT_EQ((p[14 + 20 + 2] << 8) | p[14 + 20 + 3], 6002) << "to the new port";
  rte_pktmbuf_free(m);
  EXPECT_EQ(manager->carried(kFlow, 0).packets, 8u) << "the old rule's 2 packets carried over";
  EXPECT_EQ(manager->stats().swaps, 1u);
  EXPECT_EQ(nic.rules(), 1u);
}

TEST_F(OffloadManagerTest, WhatTheNicCannotCarryStaysInSoftwareCountedByReason) {
  config.max_rules = 1;
  ports[1].media.reset();  // the core port took no media rule (ice-like)
  make();
  EXPECT_EQ(manager->offload(kFlow, 1, call(), kTrunk, kPhone), SoftwareReason::PortCannot);
  EXPECT_EQ(manager->offload(kFlow, 0, call(), Endpoint{}, kTrunk), SoftwareReason::NotOffloadable) << "not latched yet";
  EXPECT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  EXPECT_EQ(manager->offload(relay::FlowHandle{8, 1}, 0, call(), kPhone, kTrunk), SoftwareReason::RulesExhausted);
  EXPECT_EQ(software(SoftwareReason::PortCannot), 1u);
  EXPECT_EQ(software(SoftwareReason::NotOffloadable), 1u);
  EXPECT_EQ(software(SoftwareReason::RulesExhausted), 1u);
  EXPECT_EQ(nic.rules(), 1u);

  config = OffloadManager::Config{};
  config.mode = OffloadMode::Off;
  make();
  EXPECT_EQ(manager->offload(relay::FlowHandle{9, 1}, 0, call(), kPhone, kTrunk), SoftwareReason::Disabled);
  EXPECT_EQ(nic.rules(), 0u) << "the first manager's rule went with it";
}

TEST_F(OffloadManagerTest, ARuleThePmdRefusesLeavesTheDirectionInSoftware) {
  test::FlowEmulator small(test::FlowCaps::mlx5_like(), 1);
  RecordingOps small_ops(small);
  OffloadManager m(small_ops, config, ports, [] { return uint64_t{0}; });
  EXPECT_EQ(m.offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  EXPECT_EQ(m.offload(kFlow, 1, call(), kTrunk, kPhone), SoftwareReason::Refused);
  EXPECT_EQ(m.stats().software[static_cast<size_t>(SoftwareReason::Refused)], 1u);
  EXPECT_NE(m.last_refusal().find("no room"), std::string::npos) << m.last_refusal();
  // A swap that cannot get its new rule gives up the old one: the direction is in software, whole.
  relay::FlowSpec moved = call();
  moved.side[1].remote_port = 6002;
  small.reset_port(1);  // nothing to do with port 0's rule; the table is still full of it
  EXPECT_EQ(m.offload(kFlow, 0, moved, kPhone, Endpoint{kTrunk.ip, 6002}), SoftwareReason::Refused);
  EXPECT_EQ(small.rules(), 0u);
  EXPECT_FALSE(m.carried(kFlow, 0).offloaded);
}

TEST_F(OffloadManagerTest, APortResetGetsItsRulesBack) {
  ASSERT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  ASSERT_EQ(manager->offload(kFlow, 1, call(), kTrunk, kPhone), std::nullopt);
  nic.reset_port(0);
  EXPECT_EQ(nic_takes(nic, from_phone()), std::nullopt) << "the reset port forgot its rule";
  EXPECT_EQ(manager->reinstall(0), 1u);
  EXPECT_EQ(nic.rules(), 2u);
  EXPECT_EQ(nic_takes(nic, from_phone()), 1);
  EXPECT_EQ(manager->rules(), 2u);
}

}  // namespace
}  // namespace sipedge::hw

namespace sipedge::hw {
namespace {

TEST_F(OffloadManagerTest, AnSdpChangeThatLeavesTheRuleAsItWasTouchesNoRule) {
  ASSERT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  ops.log.clear();
  relay::FlowSpec codecs_only = call();  // a re-INVITE that changed codecs: same peers, same ports
  EXPECT_EQ(manager->offload(kFlow, 0, codecs_only, kPhone, kTrunk), std::nullopt);
  EXPECT_TRUE(ops.log.empty());
  EXPECT_EQ(manager->stats().swaps, 0u);
  EXPECT_EQ(manager->stats().installed, 1u);
}

TEST_F(OffloadManagerTest, AWithdrawnDirectionGoesBackToTheWorkersAndKeepsItsCount) {
  ASSERT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  ASSERT_EQ(nic_takes(nic, from_phone()), 1);
  ASSERT_EQ(nic_takes(nic, from_phone()), 1);
  manager->withdraw(kFlow, 0);  // the phone's SDP moved: its peer is learned again in software
  EXPECT_FALSE(manager->offloaded(kFlow, 0));
  EXPECT_EQ(nic.rules(), 0u);
  EXPECT_EQ(nic_takes(nic, from_phone()), std::nullopt);
  EXPECT_EQ(manager->carried(kFlow, 0).packets, 2u);
  ASSERT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  ASSERT_EQ(nic_takes(nic, from_phone()), 1);
  EXPECT_EQ(manager->carried(kFlow, 0).packets, 3u);
  manager->withdraw(kFlow, 1);  // never offloaded: nothing to do
  EXPECT_EQ(manager->stats().removed, 1u);
}

// Silence as only the NIC can see it: reported once when the counter stood still for the timeout,
// again only after it moved and stood still again.
TEST_F(OffloadManagerTest, CounterPollingReportsSilenceOncePerQuietSpell) {
  constexpr uint64_t kS = 1000000000;
  uint64_t now = 0;
  for (OffloadManager::Port& p : ports) p.media->aging = AgingKind::CountPoll;  // sfc-like: no AGE
  OffloadManager m(ops, config, ports, [&now] { return now; });
  ASSERT_EQ(m.offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  std::vector<int> idle;
  const OffloadManager::IdleFn on_idle = [&](relay::FlowHandle h, int side) {
    EXPECT_EQ(h, kFlow);
    idle.push_back(side);
  };
  now = 10 * kS;
  ASSERT_EQ(nic_takes(nic, from_phone()), 1);
  EXPECT_EQ(m.poll_activity(30 * kS, 64, on_idle), 1u);
  EXPECT_EQ(m.silent_ns(kFlow, 0), 0u);
  now = 39 * kS;
  m.poll_activity(30 * kS, 64, on_idle);
  EXPECT_TRUE(idle.empty());
  EXPECT_EQ(m.silent_ns(kFlow, 0), 29 * kS);
  now = 40 * kS;
  m.poll_activity(30 * kS, 64, on_idle);
  EXPECT_EQ(idle, (std::vector<int>{0}));
  now = 50 * kS;
  m.poll_activity(30 * kS, 64, on_idle);
  EXPECT_EQ(idle.size(), 1u) << "once per quiet spell";
  ASSERT_EQ(nic_takes(nic, from_phone()), 1);
  now = 51 * kS;
  m.poll_activity(30 * kS, 64, on_idle);
  now = 81 * kS;
  m.poll_activity(30 * kS, 64, on_idle);
  EXPECT_EQ(idle, (std::vector<int>{0, 0}));
  EXPECT_EQ(m.silent_ns(kFlow, 1), std::nullopt) << "never offloaded";
}

// A port with AGE tells which rules went quiet: no counter is polled for that, the silence is
// reported once, and a rule that sees packets again is polled from then on (a NIC ages a rule once).
TEST_F(OffloadManagerTest, AgeReportsSilenceWithoutPollingCounters) {
  constexpr uint64_t kS = 1000000000;
  uint64_t now = 0;
  OffloadManager m(ops, config, ports, [&now] { return now; });
  ASSERT_EQ(m.offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  std::vector<int> idle;
  const OffloadManager::IdleFn on_idle = [&](relay::FlowHandle, int side) { idle.push_back(side); };
  auto at = [&](uint64_t s) {
    now = s * kS;
    nic.set_time_s(s);
  };
  at(10);
  ASSERT_EQ(nic_takes(nic, from_phone()), 1);
  at(39);
  m.poll_activity(30 * kS, 64, on_idle);
  EXPECT_EQ(ops.queries, 0u) << "the port ages its rules itself";
  EXPECT_EQ(m.silent_ns(kFlow, 0), 0u) << "not aged, by the NIC's account";
  at(40);
  m.poll_activity(30 * kS, 64, on_idle);
  EXPECT_EQ(idle, (std::vector<int>{0}));
  EXPECT_EQ(m.silent_ns(kFlow, 0), 30 * kS);
  at(45);
  m.poll_activity(30 * kS, 64, on_idle);
  EXPECT_EQ(idle.size(), 1u);
  ASSERT_EQ(nic_takes(nic, from_phone()), 1);  // back from hold
  at(46);
  m.poll_activity(30 * kS, 64, on_idle);
  EXPECT_EQ(m.silent_ns(kFlow, 0), 0u) << "its counter moved";
  at(76);
  m.poll_activity(30 * kS, 64, on_idle);
  EXPECT_EQ(idle, (std::vector<int>{0, 0})) << "quiet again: the counter tells, the NIC will not";
}

// The idle callback ends the call, removing both directions while the poll walks them.
TEST_F(OffloadManagerTest, AnIdleCallbackMayRemoveTheFlowItIsToldAbout) {
  uint64_t now = 0;
  for (OffloadManager::Port& p : ports) p.media->aging = AgingKind::CountPoll;
  OffloadManager m(ops, config, ports, [&now] { return now; });
  ASSERT_EQ(m.offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  ASSERT_EQ(m.offload(kFlow, 1, call(), kTrunk, kPhone), std::nullopt);
  const relay::FlowHandle other{8, 1};
  ASSERT_EQ(m.offload(other, 0, call(), kPhone, Endpoint{kTrunk.ip, 6002}), std::nullopt);
  now = 31000000000;
  int reports = 0;
  m.poll_activity(30000000000, 64, [&](relay::FlowHandle h, int) {
    ++reports;
    m.remove(h);
  });
  EXPECT_EQ(reports, 2) << "one per flow: the first report removed its flow's other direction";
  EXPECT_EQ(m.rules(), 0u);
  EXPECT_EQ(nic.rules(), 0u);
}

}  // namespace
}  // namespace sipedge::hw

namespace sipedge::hw {
namespace {

TEST(OffloadMode, RequiredRefusesPortsThatTookNoMediaRuleAndNamesEach) {
  PortOffload none0{0, false, false, std::nullopt, "Function not implemented"};
  PortOffload none1{1, false, false, std::nullopt, "Function not implemented"};
  PortOffload mlx5{1, true, true, kMlx5, ""};
  EXPECT_EQ(required_offload_missing(OffloadMode::Required, {none0, none1}),
            "[hw] offload = \"required\", but no port takes media rules: " + describe(none0) + "; " + describe(none1));
  EXPECT_EQ(required_offload_missing(OffloadMode::Required, {none0, mlx5}), std::nullopt) << "one port is enough";
  EXPECT_EQ(required_offload_missing(OffloadMode::Auto, {none0, none1}), std::nullopt);
  EXPECT_EQ(required_offload_missing(OffloadMode::Off, {}), std::nullopt);
}

}  // namespace
}  // namespace sipedge::hw

namespace sipedge::hw {
namespace {

// A port with only the template/async API (mlx5 in HW steering mode): rules are queued operations
// that the NIC completes after a push, and pulls report.
class AsyncOffloadTest : public ::testing::Test {
 protected:
  test::FlowEmulator nic{test::FlowCaps::mlx5_hws_like()};
  RecordingOps ops{nic};
  uint64_t clock_ns = 0;
  std::vector<OffloadManager::Port> ports{{0, 0, kMlx5, 8}, {1, 0, kMlx5, 8}};
  OffloadManager::Config config;
  std::unique_ptr<OffloadManager> manager;

  void SetUp() override { make(); }
  void make() {
    manager.reset();
    std::string why;
    // What the probe did at start.
    for (const OffloadManager::Port& p : ports) ASSERT_EQ(nic.configure_async(p.port_id, p.async_ops, 1024, why), 0) << why;
    manager = std::make_unique<OffloadManager>(ops, config, ports, [this] { return clock_ns += 1500; });
  }
  // One visit of the control loop: queued operations pushed, completed ones taken in.
  void poll() { manager->poll_activity(UINT64_MAX, 64, [](relay::FlowHandle, int) {}); }
  // The UDP destination port of what the NIC made of a packet from the phone (0: not carried).
  uint16_t nic_sends_to() {
    rte_mbuf* m = mbuf_from(frame(from_phone()), 0);
    const bool carried = nic.apply(0, m).has_value();
    const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
    const uint16_t port = carried ? static_cast<uint16_t>((p[14 + 20 + 2] << 8) | p[14 + 20 + 3]) : 0;
    rte_pktmbuf_free(m);
    return port;
  }
};

TEST_F(AsyncOffloadTest, TheNicCarriesADirectionOnceItsCreateCompletes) {
  EXPECT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  EXPECT_TRUE(manager->pending(kFlow, 0));
  EXPECT_FALSE(manager->offloaded(kFlow, 0));
  EXPECT_EQ(nic_sends_to(), 0) << "queued, not in force: the worker still relays it";
  EXPECT_EQ(manager->stats().submitted, 1u);
  EXPECT_EQ(manager->stats().installed, 0u);
  poll();
  EXPECT_EQ(ops.log, (std::vector<std::string>{"table", "queue-create 0", "pulled 1 1"}));
  EXPECT_FALSE(manager->pending(kFlow, 0));
  EXPECT_TRUE(manager->offloaded(kFlow, 0));
  EXPECT_EQ(nic_sends_to(), 6000);
  EXPECT_EQ(manager->stats().installed, 1u);
  EXPECT_GT(manager->insert_latency_ns(50), 0u) << "submit to completion";
  EXPECT_EQ(manager->carried(kFlow, 0).packets, 1u);

  // The other direction arrives on the core port: a table of its own there.
  ops.log.clear();
  EXPECT_EQ(manager->offload(kFlow, 1, call(), kTrunk, kPhone), std::nullopt);
  poll();
  EXPECT_EQ(ops.log, (std::vector<std::string>{"table", "queue-create 1", "pulled 1 2"}));
  // Another call's direction of the same shape on the access port reuses that port's table.
  ops.log.clear();
  const relay::FlowHandle other{8, 1};
  EXPECT_EQ(manager->offload(other, 0, call(), Endpoint{kPhone.ip, 40002}, kTrunk), std::nullopt);
  poll();
  EXPECT_EQ(ops.log, (std::vector<std::string>{"queue-create 2", "pulled 1 3"}));
  EXPECT_EQ(nic.tables(), 2u) << "one per port and shape";
  manager->remove(other);

  const auto final = manager->remove(kFlow);
  EXPECT_EQ(final[0].packets, 1u);
  EXPECT_EQ(manager->rules(), 0u);
  poll();
  EXPECT_EQ(nic.rules(), 0u);
  EXPECT_EQ(manager->ops_in_flight(), 0u);
  EXPECT_EQ(manager->stats().removed, 3u);
}

TEST_F(AsyncOffloadTest, ASwapKeepsTheOldRuleUntilTheNewOneIsInAndLosesNoPacket) {
  ASSERT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  poll();
  ASSERT_EQ(nic_sends_to(), 6000);
  relay::FlowSpec moved = call();
  moved.side[1].remote_port = 6002;
  ASSERT_EQ(manager->offload(kFlow, 0, moved, kPhone, Endpoint{kTrunk.ip, 6002}), std::nullopt);
  EXPECT_TRUE(manager->offloaded(kFlow, 0)) << "the old rule carries on while the new one is queued";
  EXPECT_EQ(nic_sends_to(), 6000);
  poll();  // the new rule is in; the old one's removal is queued
  EXPECT_NE(nic_sends_to(), 0);
  poll();  // the old rule is gone
  EXPECT_EQ(nic_sends_to(), 6002);
  EXPECT_EQ(nic.rules(), 1u);
  EXPECT_EQ(manager->stats().swaps, 1u);
  EXPECT_EQ(manager->carried(kFlow, 0).packets, 4u) << "every packet was the NIC's, before, during and after";
}

TEST_F(AsyncOffloadTest, ACreateOvertakenByTeardownOrAnotherChangeLeavesNoRule) {
  ASSERT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  manager->remove(kFlow);
  poll();  // the create completes into nobody's flow: its removal is queued
  poll();
  EXPECT_EQ(nic.rules(), 0u);
  EXPECT_EQ(manager->rules(), 0u);

  // Two SDP changes before the first create completed: only the last one's rule stays.
  ASSERT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  relay::FlowSpec moved = call();
  moved.side[1].remote_port = 6002;
  ASSERT_EQ(manager->offload(kFlow, 0, moved, kPhone, Endpoint{kTrunk.ip, 6002}), std::nullopt);
  poll();
  poll();
  EXPECT_EQ(nic.rules(), 1u);
  EXPECT_EQ(nic_sends_to(), 6002);
  EXPECT_EQ(manager->rules(), 1u);
  EXPECT_EQ(manager->ops_in_flight(), 0u);
}

TEST_F(AsyncOffloadTest, TheQueueIsBoundedAndKeepsRoomForSwapsAndRemovals) {
  // 8 operations in flight at most; new directions take up to 6 of them.
  int queued = 0;
  for (uint32_t i = 0; manager->can_insert(0); ++i) {
    ASSERT_EQ(manager->offload(relay::FlowHandle{i, 1}, 0, call(), Endpoint{kPhone.ip, static_cast<uint16_t>(40000 + i)}, kTrunk),
              std::nullopt);
    ++queued;
  }
  EXPECT_EQ(queued, 6);
  EXPECT_TRUE(manager->can_insert(1)) << "each port has its own queue";
  EXPECT_EQ(nic.ops_in_flight(0), 6u);
  poll();
  EXPECT_TRUE(manager->can_insert(0));
  EXPECT_EQ(nic.rules(), 6u);
}

TEST_F(AsyncOffloadTest, ACreateTheNicFailsLeavesTheDirectionInSoftware) {
  test::FlowEmulator small(test::FlowCaps::mlx5_hws_like(), 1);
  RecordingOps small_ops(small);
  std::string why;
  for (const OffloadManager::Port& p : ports) ASSERT_EQ(small.configure_async(p.port_id, 8, 1, why), 0);
  OffloadManager m(small_ops, config, ports, [] { return uint64_t{0}; });
  ASSERT_EQ(m.offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  ASSERT_EQ(m.offload(kFlow, 1, call(), kTrunk, kPhone), std::nullopt) << "queued: the NIC answers later";
  m.poll_activity(UINT64_MAX, 64, [](relay::FlowHandle, int) {});
  EXPECT_TRUE(m.offloaded(kFlow, 0));
  EXPECT_FALSE(m.offloaded(kFlow, 1));
  EXPECT_FALSE(m.pending(kFlow, 1));
  EXPECT_EQ(m.stats().software[static_cast<size_t>(SoftwareReason::Refused)], 1u);
  EXPECT_EQ(m.rules(), 1u);
  // A swap whose new rule fails gives up the old one: it rewrote to what the SDP said before.
  relay::FlowSpec moved = call();
  moved.side[1].remote_port = 6002;
  ASSERT_EQ(m.offload(kFlow, 0, moved, kPhone, Endpoint{kTrunk.ip, 6002}), std::nullopt);
  m.poll_activity(UINT64_MAX, 64, [](relay::FlowHandle, int) {});
  m.poll_activity(UINT64_MAX, 64, [](relay::FlowHandle, int) {});
  EXPECT_FALSE(m.offloaded(kFlow, 0));
  EXPECT_EQ(small.rules(), 0u);
  EXPECT_EQ(m.rules(), 0u);
}

TEST_F(AsyncOffloadTest, APortResetConfiguresTheEngineAgainAndRequeuesItsRules) {
  ASSERT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  ASSERT_EQ(manager->offload(kFlow, 1, call(), kTrunk, kPhone), std::nullopt);
  poll();
  ASSERT_EQ(nic.rules(), 2u);
  relay::FlowSpec moved = call();
  moved.side[1].remote_port = 6002;
  ASSERT_EQ(manager->offload(kFlow, 0, moved, kPhone, Endpoint{kTrunk.ip, 6002}), std::nullopt);
  nic.reset_port(0);  // rules, tables, queue and set-up gone, the swap's create with them
  EXPECT_EQ(nic.rules(), 1u);
  EXPECT_EQ(manager->reinstall(0), 1u);
  poll();
  EXPECT_EQ(nic.rules(), 2u);
  EXPECT_EQ(nic_sends_to(), 6002) << "the latest SDP's rule came back";
  EXPECT_EQ(manager->rules(), 2u);
  EXPECT_EQ(manager->ops_in_flight(), 0u);
}

TEST_F(AsyncOffloadTest, AnEngineThatCannotBeSetUpAgainLeavesItsDirectionsInSoftware) {
  ASSERT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  ASSERT_EQ(manager->offload(kFlow, 1, call(), kTrunk, kPhone), std::nullopt);
  poll();
  nic.reset_port(0);
  ops.refuse_configure = true;
  EXPECT_EQ(manager->reinstall(0), 0u);
  EXPECT_FALSE(manager->offloaded(kFlow, 0));
  EXPECT_FALSE(manager->pending(kFlow, 0));
  EXPECT_TRUE(manager->offloaded(kFlow, 1)) << "the other port's rule is untouched";
  EXPECT_EQ(manager->rules(), 1u);
  EXPECT_EQ(manager->stats().software[static_cast<size_t>(SoftwareReason::Refused)], 1u);
  EXPECT_EQ(manager->last_refusal(), "engine busy");
  EXPECT_EQ(manager->carried(kFlow, 0).offloaded, false);
}

TEST_F(AsyncOffloadTest, TheManagerTakesItsRulesAndTablesWithItWhenItGoes) {
  ASSERT_EQ(manager->offload(kFlow, 0, call(), kPhone, kTrunk), std::nullopt);
  poll();
  ASSERT_EQ(manager->offload(kFlow, 1, call(), kTrunk, kPhone), std::nullopt);  // still queued
  manager.reset();
  EXPECT_EQ(nic.rules(), 0u);
  EXPECT_EQ(nic.tables(), 0u);
  EXPECT_EQ(nic.ops_in_flight(0) + nic.ops_in_flight(1), 0u);
}

}  // namespace
}  // namespace sipedge::hw
