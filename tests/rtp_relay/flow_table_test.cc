// tests/rtp_relay/flow_table_test.cc — pins rtp_relay/flow_table.cc: install/update/delete errors,
// capacity and grace periods, management views, idle reports, and 1M flows.
#include "rtp_relay/flow_table.h"

#include <arpa/inet.h>

#include <utility>

#include <gtest/gtest.h>
#include <rte_hash.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "rtp_relay/relay_burst.h"
#include "tests/rtp_relay/relay_test_util.h"

namespace sipedge::relay {
namespace {

using test::ip;
using test::mac;

// Flow k: access side 10.0.x.y:port <-> core side 10.128.x.y:port; 16384 even ports per address.
FlowSpec numbered_spec(uint32_t k) {
  const uint8_t hi = static_cast<uint8_t>(k >> 22), mid = static_cast<uint8_t>(k >> 14);
  const uint16_t port = static_cast<uint16_t>(1024 + 2 * (k & 0x3fff));
  FlowSpec s;
  s.side[0] = EndpointSpec{0, IpAddr::v4(10, hi, mid, 1), port, IpAddr::v4(192, 0, 2, 1), 5004,
                           LatchMode::Latch, mac(1), mac(0xa1)};
  s.side[1] = EndpointSpec{1, IpAddr::v4(10, static_cast<uint8_t>(128 + hi), mid, 1), port,
                           IpAddr::v4(198, 51, 100, 1), 6000, LatchMode::Off, mac(2), mac(0xb1)};
  return s;
}

FlowKey key_of(const EndpointSpec& e) {
  FlowKey k{};
  std::memcpy(k.local_addr, e.local_addr.bytes.data(), e.local_addr.is_v6() ? 16 : 4);
  k.port_id = e.port_id;
  k.local_port_be = htons(e.local_port);
  k.ip_version = e.local_addr.is_v6() ? 6 : 4;
  return k;
}

std::unique_ptr<FlowTable> make_table(uint32_t v4, uint32_t v6 = 0) {
  FlowTableConfig cfg;
  cfg.name = test::unique_name("ft");
  cfg.ipv4_flows = v4;
  cfg.ipv6_flows = v6;
  cfg.max_readers = 4;
  auto t = FlowTable::create(cfg);
  EXPECT_TRUE(t.ok());
  return t.ok() ? std::move(*t) : nullptr;
}

FlowError error_of(const Result<FlowHandle, FlowError>& r) { return r.error(); }

TEST(FlowTable, AddThenInfoRoundTripsTheSpec) {
  auto t = make_table(8);
  const FlowSpec spec = numbered_spec(3);
  auto h = t->add_flow(spec, 42);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(t->size(), 1u);
  auto info = t->flow_info(*h);
  ASSERT_TRUE(info.has_value());
  for (int d = 0; d < 2; ++d) {
    const EndpointSpec& a = spec.side[d];
    const EndpointSpec& b = info->spec.side[d];
    EXPECT_EQ(b.port_id, a.port_id);
    EXPECT_EQ(b.local_addr, a.local_addr);
    EXPECT_EQ(b.local_port, a.local_port);
    EXPECT_EQ(b.remote_addr, a.remote_addr);
    EXPECT_EQ(b.remote_port, a.remote_port);
    EXPECT_EQ(b.latch, a.latch);
    EXPECT_TRUE(rte_is_same_ether_addr(&b.local_mac, &a.local_mac));
    EXPECT_TRUE(rte_is_same_ether_addr(&b.next_hop_mac, &a.next_hop_mac));
    EXPECT_EQ(info->stats.side[d].last_seen_tsc, 42u);
    EXPECT_EQ(info->stats.side[d].packets, 0u);
  }
}

TEST(FlowTable, BothSidesAreKeysPointingAtTheSameFlow) {
  auto t = make_table(8);
  const FlowSpec spec = numbered_spec(5);
  ASSERT_TRUE(t->add_flow(spec, 0).ok());
  void* d0 = nullptr;
  void* d1 = nullptr;
  const FlowKey k0 = key_of(spec.side[0]), k1 = key_of(spec.side[1]);
  ASSERT_GE(rte_hash_lookup_data(t->view().hash, &k0, &d0), 0);
  ASSERT_GE(rte_hash_lookup_data(t->view().hash, &k1, &d1), 0);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(d0) & 1, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(d1) & 1, 1u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(d0) | 1, reinterpret_cast<uintptr_t>(d1));
}

TEST(FlowTable, RejectsBadSpecs) {
  auto t = make_table(8, 8);
  FlowSpec s = numbered_spec(1);
  s.side[1].local_addr = ip("2001:db8::1");
  EXPECT_EQ(error_of(t->add_flow(s, 0)), FlowError::VersionMismatch);
  s = numbered_spec(1);
  s.side[0].remote_addr = ip("2001:db8::2");
  EXPECT_EQ(error_of(t->add_flow(s, 0)), FlowError::VersionMismatch);
  s = numbered_spec(1);
  s.side[0].local_port = 0;
  EXPECT_EQ(error_of(t->add_flow(s, 0)), FlowError::InvalidSpec);
  s = numbered_spec(1);
  s.side[0].port_id = RTE_MAX_ETHPORTS;
  EXPECT_EQ(error_of(t->add_flow(s, 0)), FlowError::InvalidSpec);
  s = numbered_spec(1);
  s.side[0].latch = LatchMode::Strict;
  s.side[0].remote_port = 0;
  EXPECT_EQ(error_of(t->add_flow(s, 0)), FlowError::InvalidSpec);
  s = numbered_spec(1);
  s.side[1] = s.side[0];
  EXPECT_EQ(error_of(t->add_flow(s, 0)), FlowError::InvalidSpec);
  EXPECT_EQ(t->size(), 0u);
}

TEST(FlowTable, CreateRejectsUnusableConfigs) {
  FlowTableConfig cfg;
  cfg.name = test::unique_name("cfg");
  cfg.ipv4_flows = 0;
  cfg.ipv6_flows = 0;
  EXPECT_EQ(FlowTable::create(cfg).error(), FlowError::InvalidSpec);
  cfg.ipv4_flows = 8;
  cfg.name = std::string(kMaxTableName + 1, 'x');
  EXPECT_EQ(FlowTable::create(cfg).error(), FlowError::InvalidSpec);
  cfg.name = test::unique_name("cfg");
  auto first = FlowTable::create(cfg);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(FlowTable::create(cfg).error(), FlowError::NoMemory);  // same DPDK names
}

TEST(FlowTable, SecondFlowOnAnInstalledSocketIsPortInUse) {
  auto t = make_table(8);
  ASSERT_TRUE(t->add_flow(numbered_spec(1), 0).ok());
  FlowSpec other = numbered_spec(2);
  other.side[1] = numbered_spec(1).side[1];
  EXPECT_EQ(error_of(t->add_flow(other, 0)), FlowError::PortInUse);
  EXPECT_EQ(t->size(), 1u);
}

TEST(FlowTable, FullTableRefusesUntilAFlowIsDeleted) {
  auto t = make_table(4);
  std::vector<FlowHandle> h;
  for (uint32_t k = 0; k < 4; ++k) {
    auto r = t->add_flow(numbered_spec(k), 0);
    ASSERT_TRUE(r.ok());
    h.push_back(*r);
  }
  EXPECT_EQ(error_of(t->add_flow(numbered_spec(4), 0)), FlowError::TableFull);
  EXPECT_EQ(t->size(), 4u);
  ASSERT_TRUE(t->delete_flow(h[2]).ok());
  EXPECT_EQ(t->size(), 3u);
  EXPECT_TRUE(t->add_flow(numbered_spec(4), 0).ok());
  EXPECT_EQ(error_of(t->add_flow(numbered_spec(5), 0)), FlowError::TableFull);
}

TEST(FlowTable, RetiredFlowWaitsForEveryReaderQuiescentState) {
  auto t = make_table(4);
  // This thread plays a worker (reader id 0) that has not yet passed a quiescent state.
  ASSERT_EQ(rte_rcu_qsbr_thread_register(t->qsbr(), 0), 0);
  rte_rcu_qsbr_thread_online(t->qsbr(), 0);
  auto h = t->add_flow(numbered_spec(0), 0);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(t->delete_flow(*h).ok());
  EXPECT_EQ(t->retired(), 1u);
  EXPECT_EQ(t->reclaim(), 0u);
  EXPECT_EQ(t->retired(), 1u);
  rte_rcu_qsbr_quiescent(t->qsbr(), 0);
  EXPECT_EQ(t->reclaim(), 1u);
  EXPECT_EQ(t->retired(), 0u);
  rte_rcu_qsbr_thread_offline(t->qsbr(), 0);
  rte_rcu_qsbr_thread_unregister(t->qsbr(), 0);
}

TEST(FlowTable, ReaderThatNeverQuiescesExhaustsPoolWithTableFull) {
  // Updates retire objects; with a stuck reader nothing is reused, and the table says so instead
  // of recycling memory that might still be read.
  auto t = make_table(16);  // pool = 16 + 16 headroom
  ASSERT_EQ(rte_rcu_qsbr_thread_register(t->qsbr(), 1), 0);
  rte_rcu_qsbr_thread_online(t->qsbr(), 1);
  auto h = t->add_flow(numbered_spec(0), 0);
  ASSERT_TRUE(h.ok());
  uint32_t updates = 0;
  while (t->update_flow(*h, numbered_spec(0), 0).ok()) ++updates;
  EXPECT_EQ(updates, 31u);
  EXPECT_EQ(t->update_flow(*h, numbered_spec(0), 0).error(), FlowError::TableFull);
  rte_rcu_qsbr_quiescent(t->qsbr(), 1);
  EXPECT_TRUE(t->update_flow(*h, numbered_spec(0), 0).ok());
  rte_rcu_qsbr_thread_offline(t->qsbr(), 1);
  rte_rcu_qsbr_thread_unregister(t->qsbr(), 1);
}

TEST(FlowTable, StaleHandleIsNoSuchFlowEvenAfterIndexReuse) {
  auto t = make_table(4);
  auto h1 = t->add_flow(numbered_spec(0), 0);
  ASSERT_TRUE(h1.ok());
  ASSERT_TRUE(t->delete_flow(*h1).ok());
  EXPECT_EQ(t->delete_flow(*h1).error(), FlowError::NoSuchFlow);
  auto h2 = t->add_flow(numbered_spec(1), 0);
  ASSERT_TRUE(h2.ok());
  EXPECT_EQ(h2->index, h1->index);
  EXPECT_NE(h2->generation, h1->generation);
  EXPECT_FALSE(t->flow_stats(*h1).has_value());
  EXPECT_EQ(t->update_flow(*h1, numbered_spec(1), 0).error(), FlowError::NoSuchFlow);
  EXPECT_TRUE(t->flow_stats(*h2).has_value());
}

TEST(FlowTable, UpdateMayNotMoveASocket) {
  auto t = make_table(4);
  auto h = t->add_flow(numbered_spec(0), 0);
  ASSERT_TRUE(h.ok());
  FlowSpec moved = numbered_spec(0);
  moved.side[1].local_port = 9000;
  EXPECT_EQ(t->update_flow(*h, moved, 0).error(), FlowError::KeyChanged);
  moved = numbered_spec(0);
  moved.side[0].port_id = 3;
  EXPECT_EQ(t->update_flow(*h, moved, 0).error(), FlowError::KeyChanged);
}

TEST(FlowTable, ForEachVisitsExactlyTheLiveFlows) {
  auto t = make_table(8);
  std::vector<FlowHandle> h;
  for (uint32_t k = 0; k < 5; ++k) h.push_back(*t->add_flow(numbered_spec(k), 0));
  ASSERT_TRUE(t->delete_flow(h[1]).ok());
  ASSERT_TRUE(t->delete_flow(h[3]).ok());
  std::vector<uint16_t> ports;
  t->for_each([&](const FlowInfo& info) { ports.push_back(info.spec.side[0].local_port); });
  std::sort(ports.begin(), ports.end());
  EXPECT_EQ(ports, (std::vector<uint16_t>{1024, 1028, 1032}));
}

// Idle detection: the sweep reports each silent direction to a callback (the control loop's).
class IdleSweep : public ::testing::Test {
 protected:
  void SetUp() override { table_ = make_table(8); }
  // Sweeps, collecting reports; at most `room` are taken before the callback asks to stop.
  uint32_t sweep(uint64_t now, uint64_t timeout, uint32_t max_flows = UINT32_MAX, size_t room = SIZE_MAX) {
    room_ = room;
    return table_->sweep_idle(now, timeout, &IdleSweep::collect, this, max_flows);
  }
  static bool collect(void* ctx, const IdleReport& r) {
    auto* self = static_cast<IdleSweep*>(ctx);
    self->reports_.emplace_back(r.handle, r.side);
    return self->reports_.size() < self->room_;
  }
  std::vector<std::pair<FlowHandle, uint8_t>> drain() { return std::exchange(reports_, {}); }
  void packet_on_side0(uint64_t now) {
    const FlowSpec s = numbered_spec(0);
    test::Udp u;
    u.src = s.side[0].remote_addr;
    u.dst = s.side[0].local_addr;
    u.sport = 5004;
    u.dport = s.side[0].local_port;
    test::Egress tx;
    RelayCounters c;
    ASSERT_EQ(test::relay_into(table_->view(), {test::mbuf_from(test::frame(u), 0)}, tx, c, now), 1);
    tx.free_all();
  }
  std::unique_ptr<FlowTable> table_;
  std::vector<std::pair<FlowHandle, uint8_t>> reports_;
  size_t room_ = SIZE_MAX;
};

using Reports = std::vector<std::pair<FlowHandle, uint8_t>>;

TEST_F(IdleSweep, ReportsEachSilentDirectionOnce) {
  auto h = table_->add_flow(numbered_spec(0), 1000);
  ASSERT_TRUE(h.ok());
  packet_on_side0(4000);
  EXPECT_EQ(sweep(3999, 3000), 0u);  // nothing silent for 3000 yet
  EXPECT_EQ(sweep(4000, 3000), 1u);  // side 1 never sent since install
  EXPECT_EQ(drain(), (Reports{{*h, 1}}));
  EXPECT_EQ(sweep(6999, 3000), 0u);  // already reported, side 0 still fresh
  EXPECT_EQ(sweep(7000, 3000), 1u);
  EXPECT_EQ(drain(), (Reports{{*h, 0}}));
  EXPECT_EQ(sweep(100000, 3000), 0u);
  packet_on_side0(200000);  // media resumed, then stopped again: a new report
  EXPECT_EQ(sweep(203000, 3000), 1u);
  EXPECT_EQ(drain(), (Reports{{*h, 0}}));
}

TEST_F(IdleSweep, ACallbackThatStopsTheSweepMakesTheNextOneResume) {
  std::vector<FlowHandle> h;
  for (uint32_t k = 0; k < 3; ++k) h.push_back(*table_->add_flow(numbered_spec(k), 0));
  // The callback takes 3 reports per sweep: 6 silent directions need two sweeps.
  EXPECT_EQ(sweep(10, 5, UINT32_MAX, 3), 3u);
  Reports first = drain();
  EXPECT_EQ(sweep(10, 5, UINT32_MAX, 3), 3u);
  Reports second = drain();
  first.insert(first.end(), second.begin(), second.end());
  std::sort(first.begin(), first.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.index, a.second) < std::pair(b.first.index, b.second);
  });
  Reports want;
  for (const FlowHandle& x : h) {
    want.emplace_back(x, 0);
    want.emplace_back(x, 1);
  }
  std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.index, a.second) < std::pair(b.first.index, b.second);
  });
  EXPECT_EQ(first, want);
  EXPECT_EQ(sweep(10, 5), 0u);
}

// The callback may end the call and delete the flow it was told about; the sweep goes on safely.
TEST_F(IdleSweep, ACallbackMayDeleteTheFlowItHearsAbout) {
  auto h0 = table_->add_flow(numbered_spec(0), 0);
  auto h1 = table_->add_flow(numbered_spec(1), 0);
  ASSERT_TRUE(h0.ok() && h1.ok());
  struct Ctx {
    FlowTable* table;
    std::vector<FlowHandle> seen;
  } ctx{table_.get(), {}};
  const uint32_t n = table_->sweep_idle(
      10, 5,
      [](void* c, const IdleReport& r) {
        auto* x = static_cast<Ctx*>(c);
        x->seen.push_back(r.handle);
        EXPECT_TRUE(x->table->delete_flow(r.handle).ok());
        return true;
      },
      &ctx);
  EXPECT_EQ(n, 2u) << "one report per flow: its other side is gone with it";
  EXPECT_EQ(ctx.seen, (std::vector<FlowHandle>{*h0, *h1}));
  EXPECT_EQ(table_->size(), 0u);
}

TEST_F(IdleSweep, DeletedFlowsAreNotReported) {
  auto h = table_->add_flow(numbered_spec(0), 0);
  ASSERT_TRUE(table_->delete_flow(*h).ok());
  EXPECT_EQ(sweep(1000, 5), 0u);
}

TEST_F(IdleSweep, BudgetLimitsSlotsVisitedPerCall) {
  for (uint32_t k = 0; k < 8; ++k) ASSERT_TRUE(table_->add_flow(numbered_spec(k), 0).ok());
  // 8 flows in slots 0..7; one slot per call, each slot has two silent sides.
  EXPECT_EQ(sweep(10, 5, 1), 2u);
  EXPECT_EQ(drain().size(), 2u);
  EXPECT_EQ(sweep(10, 5, 1), 2u);
  EXPECT_EQ(drain().size(), 2u);
}

TEST(FlowTableScale, MillionFlowsInsertAndLookup) {
  constexpr uint32_t kFlows = 1u << 20;
  auto t = make_table(kFlows);
  ASSERT_NE(t, nullptr);
  for (uint32_t k = 0; k < kFlows; ++k) {
    auto r = t->add_flow(numbered_spec(k), 0);
    ASSERT_TRUE(r.ok()) << "flow " << k << ": " << flow_error_name(r.error());
  }
  EXPECT_EQ(t->size(), kFlows);
  EXPECT_EQ(error_of(t->add_flow(numbered_spec(kFlows), 0)), FlowError::TableFull);

  // Every key of every flow is found, pointing at its side, in 64-key bulk lookups.
  constexpr uint32_t kBulk = 64;
  FlowKey keys[kBulk];
  const void* key_ptrs[kBulk];
  void* data[kBulk];
  uint64_t found = 0;
  for (uint32_t k = 0; k < kFlows; k += kBulk / 2) {
    for (uint32_t j = 0; j < kBulk / 2; ++j) {
      const FlowSpec s = numbered_spec(k + j);
      keys[2 * j] = key_of(s.side[0]);
      keys[2 * j + 1] = key_of(s.side[1]);
    }
    for (uint32_t j = 0; j < kBulk; ++j) key_ptrs[j] = &keys[j];
    uint64_t hits = 0;
    found += static_cast<uint64_t>(rte_hash_lookup_bulk_data(t->view().hash, key_ptrs, kBulk, &hits, data));
    ASSERT_EQ(hits, ~uint64_t{0}) << "at flow " << k;
    for (uint32_t j = 0; j < kBulk; ++j) ASSERT_EQ(reinterpret_cast<uintptr_t>(data[j]) & 1, j & 1);
  }
  EXPECT_EQ(found, 2ull * kFlows);
}

}  // namespace
}  // namespace sipedge::relay
