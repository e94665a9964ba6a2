// tests/rtp_relay/flow_table_rcu_test.cc — control deletes, re-adds and updates flows while a worker
// thread relays through them (RCU QSBR). Under ASan (SIPEDGE_SANITIZE) this also checks that no
// reader touches freed memory; in any build a reader that used a reclaimed object would relay with
// another flow's addresses or drop with StrictSource, and both are asserted absent.
#include <arpa/inet.h>

#include <atomic>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <rte_rcu_qsbr.h>

#include "rtp_relay/flow_table.h"
#include "rtp_relay/relay_burst.h"
#include "tests/rtp_relay/relay_test_util.h"

namespace sipedge::relay {
namespace {

constexpr uint32_t kSpecs = 256;   // flow k: access 10.0.0.1:(2000 + 2k) <-> core 10.1.0.1:(3000 + 2k)
constexpr uint32_t kWindow = 48;   // at most this many live at once
constexpr uint32_t kOps = 20000;   // control operations
constexpr unsigned kReaderId = 1;

FlowSpec spec(uint32_t k) {
  FlowSpec s;
  s.side[0] = EndpointSpec{0, IpAddr::v4(10, 0, 0, 1), static_cast<uint16_t>(2000 + 2 * k),
                           IpAddr::v4(192, 0, 2, 1), 5004, LatchMode::Latch, test::mac(1), test::mac(0xa1)};
  s.side[1] = EndpointSpec{1, IpAddr::v4(10, 1, 0, 1), static_cast<uint16_t>(3000 + 2 * k),
                           IpAddr::v4(198, 51, 100, 1), 6000, LatchMode::Off, test::mac(2), test::mac(0xb1)};
  return s;
}

struct ReaderResult {
  std::atomic<uint64_t> bursts{0};
  uint64_t forwarded = 0;
  uint64_t wrong_rewrite = 0;
  RelayTotals totals;
};

void reader(const RelayView view, const std::atomic<bool>& stop, std::atomic<bool>& started, ReaderResult& out) {
  rte_rcu_qsbr_thread_register(view.qsbr, kReaderId);
  rte_rcu_qsbr_thread_online(view.qsbr, kReaderId);
  started.store(true);
  std::mt19937 rng(7);
  RelayCounters counters;
  std::vector<std::vector<uint8_t>> frames;
  for (uint32_t k = 0; k < kSpecs; ++k) {
    test::Udp u;
    u.src = IpAddr::v4(192, 0, 2, 1);
    u.dst = IpAddr::v4(10, 0, 0, 1);
    u.sport = 5004;
    u.dport = static_cast<uint16_t>(2000 + 2 * k);
    u.payload[4] = static_cast<uint8_t>(k);
    frames.push_back(test::frame(u));
  }
  while (!stop.load(std::memory_order_relaxed)) {
    rte_mbuf* pkts[32];
    for (auto& m : pkts) {
      m = test::mbuf_from(frames[rng() % kSpecs], 0);
    }
    uint16_t egress[32];
    const uint16_t n = relay_burst(view, pkts, egress, counters, out.bursts.load());
    for (uint16_t i = 0; i < n; ++i) {
      const auto* b = rte_pktmbuf_mtod(pkts[i], const uint8_t*);
      const uint32_t k = b[14 + 20 + 8 + 4];
      const uint16_t sport = static_cast<uint16_t>((b[14 + 20] << 8) | b[14 + 21]);
      const uint16_t dport = static_cast<uint16_t>((b[14 + 22] << 8) | b[14 + 23]);
      if (egress[i] != 1 || sport != 3000 + 2 * k || dport != 6000 || b[14 + 12] != 10 || b[14 + 13] != 1)
        ++out.wrong_rewrite;
    }
    out.forwarded += n;
    if (n != 0) rte_pktmbuf_free_bulk(pkts, n);
    out.bursts.fetch_add(1);
    rte_rcu_qsbr_quiescent(view.qsbr, kReaderId);
  }
  out.totals = counters.totals();
  rte_rcu_qsbr_thread_offline(view.qsbr, kReaderId);
  rte_rcu_qsbr_thread_unregister(view.qsbr, kReaderId);
}

TEST(FlowTableRcu, DeleteAddUpdateWhileAWorkerRelays) {
  const unsigned mbufs_before = rte_mempool_avail_count(test::pool());
  FlowTableConfig cfg;
  cfg.name = test::unique_name("rcu");
  // Capacity well above the live window: retired objects wait for the worker's next quiescent
  // state without stalling control on every operation.
  cfg.ipv4_flows = 1024;
  cfg.ipv6_flows = 0;
  cfg.max_readers = 2;
  auto created = FlowTable::create(cfg);
  ASSERT_TRUE(created.ok());
  FlowTable& table = **created;

  std::atomic<bool> stop{false}, started{false};
  ReaderResult result;
  std::thread worker(reader, table.view(), std::cref(stop), std::ref(started), std::ref(result));
  while (!started.load()) std::this_thread::yield();

  // Sliding window over the specs: delete the oldest, add the next, update a live one in place.
  std::vector<std::optional<FlowHandle>> live(kSpecs);
  uint64_t full_retries = 0;
  auto add = [&](uint32_t k) {
    for (;;) {
      auto h = table.add_flow(spec(k), 0);
      if (h.ok()) {
        live[k] = *h;
        return;
      }
      ASSERT_EQ(h.error(), FlowError::TableFull);
      ++full_retries;  // every object is retired and the worker has not quiesced yet
      table.reclaim();
      std::this_thread::yield();
    }
  };
  for (uint32_t k = 0; k < kWindow; ++k) add(k);
  for (uint32_t op = 0; op < kOps; ++op) {
    const uint32_t oldest = op % kSpecs;
    const uint32_t next = (op + kWindow) % kSpecs;
    ASSERT_TRUE(table.delete_flow(*live[oldest]).ok());
    live[oldest].reset();
    add(next);
    if (op % 1024 == 0) {
      // Interleave for real on a busy machine: let the worker relay at least one more burst.
      const uint64_t seen = result.bursts.load();
      while (result.bursts.load() == seen) std::this_thread::yield();
    }
    const uint32_t mid = (op + kWindow / 2) % kSpecs;
    for (;;) {
      auto r = table.update_flow(*live[mid], spec(mid), 0);
      if (r.ok()) break;
      ASSERT_EQ(r.error(), FlowError::TableFull);
      table.reclaim();
      std::this_thread::yield();
    }
  }
  stop.store(true);
  worker.join();

  EXPECT_GE(result.bursts.load(), kOps / 1024);
  EXPECT_EQ(result.wrong_rewrite, 0u);
  EXPECT_EQ(result.totals.drop(RelayDrop::StrictSource), 0u);
  EXPECT_EQ(result.totals.drop(RelayDrop::NoDestination), 0u);
  EXPECT_EQ(result.totals.drop(RelayDrop::LatchPending), 0u);
  EXPECT_EQ(result.totals.drop(RelayDrop::NoFlow) + result.forwarded, result.totals.rx_packets);
  EXPECT_EQ(table.size(), kWindow);
  table.synchronize();
  EXPECT_EQ(table.retired(), 0u);
  created = Err(FlowError::NoSuchFlow);  // destroy the table before checking the pool
  EXPECT_EQ(rte_mempool_avail_count(test::pool()), mbufs_before);
  RecordProperty("reader_bursts", static_cast<int>(result.bursts.load()));
  RecordProperty("table_full_retries", static_cast<int>(full_retries));
}

}  // namespace
}  // namespace sipedge::relay
