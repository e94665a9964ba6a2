// tests/control/runtime_shard_set_test.cc — pins control/runtime/shard_set: a silent relay flow is
// reported to the shard that installed it (and to none once removed), location changes reach every
// shard but the writer, a shard's question reaches the shard it names and the answer the asker,
// ShardLock excludes, the locked adapters pass calls through, and the pause holds another shard's
// loop, on a thread of its own, still between two iterations until it is lifted.
#include "control/runtime/shard_set.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "parser/scanner_hand.h"
#include "tests/control/proxy_test_util.h"

namespace sipedge::control::testing {
namespace {

struct ShardProxy {
  explicit ShardProxy(const ControlConfig& config, ManualClock& clock, FlowBackend& backend, ShardPlace place = {})
      : media(config, backend), proxy(config, wire, media, clock, scanner, RouteToken(), std::move(place)) {}
  RecordingTransport wire;
  MediaManager media;
  parser::HandScanner scanner;
  Proxy proxy;
};

TEST(ShardSet, SilentFlowsGoToTheShardThatInstalledThem) {
  ShardSet set(3);
  FakeRelay relay;
  ShardBackend shard1(set, relay, 1), shard2(set, relay, 2);
  const FlowBackend::End a{0, IpAddr::v4(10, 201, 0, 1), 20000, IpAddr::v4(10, 201, 0, 2), 6000};
  const FlowBackend::End b{1, IpAddr::v4(10, 202, 0, 1), 20000, IpAddr::v4(10, 202, 0, 2), 7000};
  const auto of1 = shard1.install(a, b);
  const auto of2 = shard2.install(a, b);
  ASSERT_TRUE(of1.ok());
  ASSERT_TRUE(of2.ok());
  EXPECT_EQ(shard1.size(), 2u) << "one relay behind both";
  ControlConfig config = test_config();
  ManualClock clock;
  ShardProxy p1(config, clock, relay), p2(config, clock, relay);
  set.post_idle_flow(*of2);
  set.post_idle_flow(*of1);
  shard2.remove(*of2);
  set.post_idle_flow(*of2);  // removed meanwhile: reported to nobody
  EXPECT_EQ(relay.size(), 1u);
  EXPECT_EQ(set.mail_waiting(0), 0u);
  EXPECT_EQ(set.mail_waiting(1), 1u);
  EXPECT_EQ(set.mail_waiting(2), 1u);
  set.take_mail(1, p1.proxy);
  set.take_mail(2, p2.proxy);
  EXPECT_EQ(set.mail_waiting(1), 0u);
  EXPECT_EQ(set.mail_waiting(2), 0u);
}

TEST(ShardSet, LocationChangesReachEveryOtherShard) {
  ShardSet set(3);
  ShardPeers from1(set, 1);
  BindingChange c;
  c.binding.aor = "1012@sipedge.test";
  c.binding.contact_uri = "sip:1012@10.201.0.3:5060";
  c.binding.expires_at_ms = 5'000'000;
  c.binding.stamp = 7;
  c.binding.replica = true;
  from1.publish(c);
  ControlConfig config = test_config();
  ManualClock clock;
  FakeRelay relay;
  ShardProxy p0(config, clock, relay), p1(config, clock, relay), p2(config, clock, relay);
  set.take_mail(0, p0.proxy);
  set.take_mail(1, p1.proxy);
  set.take_mail(2, p2.proxy);
  EXPECT_EQ(p0.proxy.location().size(), 1u);
  EXPECT_EQ(p1.proxy.location().size(), 0u) << "the writer has it already";
  EXPECT_EQ(p2.proxy.location().size(), 1u);
  set.take_mail(0, p0.proxy);
  EXPECT_EQ(p0.proxy.location().size(), 1u) << "a mailbox is emptied when read";
}

TEST(ShardSet, AQuestionGoesToTheShardItNamesAndItsAnswerToTheAsker) {
  ShardSet set(3);
  ControlConfig config = test_config();
  ManualClock clock;
  FakeRelay relay;
  const ShardMap map{3, 1};
  auto place = [&](uint32_t index) { return ShardPlace{map, index, "nonce", nullptr, &set}; };
  ShardProxy p0(config, clock, relay, place(0)), p1(config, clock, relay, place(1)), p2(config, clock, relay, place(2));
  set.ask_far_dialog(2, 0, "nothing@here;to-tag=x;from-tag=y");
  EXPECT_EQ(set.mail_waiting(0), 0u);
  EXPECT_EQ(set.mail_waiting(1), 0u);
  EXPECT_EQ(set.mail_waiting(2), 1u);
  set.take_mail(2, p2.proxy);  // p2 answers: no dialog of its own
  EXPECT_EQ(set.mail_waiting(2), 0u);
  EXPECT_EQ(set.mail_waiting(1), 0u);
  EXPECT_EQ(set.mail_waiting(0), 1u);
  set.take_mail(0, p0.proxy);  // nothing waited for it: taken and dropped
  EXPECT_EQ(set.mail_waiting(0), 0u);
  EXPECT_EQ(p0.proxy.waiting_refers(), 0u);
}

// ShardLock excludes: two threads, each adding to one plain counter under it, lose no increment; a
// held lock refuses try_lock until it is released.
TEST(ShardLock, TwoThreadsNeverHoldItAtOnce) {
  ShardLock lock;
  uint64_t count = 0;
  constexpr int kEach = 200'000;
  auto add = [&] {
    for (int i = 0; i < kEach; ++i) {
      const std::lock_guard<ShardLock> guard(lock);
      ++count;
    }
  };
  std::thread other(add);
  add();
  other.join();
  EXPECT_EQ(count, 2u * kEach);
  ASSERT_TRUE(lock.try_lock());
  EXPECT_FALSE(lock.try_lock());
  lock.unlock();
  EXPECT_TRUE(lock.try_lock());
  lock.unlock();
}

TEST(ShardSet, ThePauseHoldsTheOtherShardsBetweenIterations) {
  ShardSet set(2);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> iterations{0};
  std::thread shard1([&] {
    while (!stop.load()) {
      set.park_if_asked(1);
      iterations.fetch_add(1);
    }
    set.finished(1);
  });
  while (iterations.load() < 1000) std::this_thread::yield();
  for (int round = 0; round < 50; ++round) {
    PauseOthers still(&set);
    const uint64_t held = iterations.load();
    // Sleep rather than yield: a yield to the parked shard spinning on the same core costs a whole
    // time slice, and 50 000 of them took 70 s on a loaded 2-core machine. Asleep, the main thread
    // leaves the shard a core for the whole wait, which is what could make it run.
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    ASSERT_EQ(iterations.load(), held) << "round " << round << ": the shard ran while paused";
  }
  const uint64_t before = iterations.load();
  while (iterations.load() < before + 1000) std::this_thread::yield();
  stop.store(true);
  shard1.join();
  PauseOthers after_finish(&set);  // a finished shard counts as parked: this returns
}

}  // namespace
}  // namespace sipedge::control::testing
