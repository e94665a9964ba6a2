// Pins control/timer_wheel.cc: exact firing ticks across levels, cancellation, stale handles.
#include "control/timer_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

namespace sipedge::control {
namespace {

TEST(TimerWheel, FiresAtTheFirstTickAtOrAfterTheDueTime) {
  TimerWheel w(0, 10);
  std::vector<uint64_t> fired;
  w.schedule(500, 1);   // T1
  w.schedule(32000, 2); // Timer B = 64*T1
  w.schedule(15, 3);    // rounds up to 20
  w.advance(19, [&](uint64_t c) { fired.push_back(c); });
  EXPECT_TRUE(fired.empty());
  w.advance(20, [&](uint64_t c) { fired.push_back(c); });
  EXPECT_EQ(fired, std::vector<uint64_t>({3}));
  w.advance(499, [&](uint64_t c) { fired.push_back(c); });
  EXPECT_EQ(fired.size(), 1u);
  w.advance(500, [&](uint64_t c) { fired.push_back(c); });
  EXPECT_EQ(fired, std::vector<uint64_t>({3, 1}));
  w.advance(31999, [&](uint64_t c) { fired.push_back(c); });
  EXPECT_EQ(fired.size(), 2u);
  w.advance(32000, [&](uint64_t c) { fired.push_back(c); });
  EXPECT_EQ(fired.back(), 2u);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, CancelledAndStaleHandlesNeverFire) {
  TimerWheel w(1000, 10);
  auto a = w.schedule(2000, 1);
  auto b = w.schedule(2000, 2);
  EXPECT_TRUE(w.cancel(a));
  EXPECT_FALSE(w.cancel(a));
  std::vector<uint64_t> fired;
  w.advance(3000, [&](uint64_t c) { fired.push_back(c); });
  EXPECT_EQ(fired, std::vector<uint64_t>({2}));
  EXPECT_FALSE(w.pending(b));
  auto c = w.schedule(4000, 3);  // reuses a freed slot
  EXPECT_FALSE(w.cancel(a));     // the old handle does not reach the new timer
  EXPECT_TRUE(w.pending(c));
}

TEST(TimerWheel, FireMayCancelATimerDueInTheSameTick) {
  TimerWheel w(0, 10);
  TimerWheel::Handle other;
  std::vector<uint64_t> fired;
  auto first = w.schedule(100, 1);
  other = w.schedule(100, 2);
  (void)first;
  w.advance(100, [&](uint64_t c) {
    fired.push_back(c);
    w.cancel(c == 1 ? other : first);
  });
  EXPECT_EQ(fired.size(), 1u);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, RandomTimersAcrossAllLevelsFireExactlyOnTime) {
  TimerWheel w(123456, 10);
  std::mt19937_64 rng(7);
  std::map<uint64_t, uint64_t> due_tick;  // cookie -> expected tick
  for (uint64_t i = 0; i < 20000; ++i) {
    const uint64_t span = (i % 4 == 0) ? 200'000'000ull : (i % 4 == 1) ? 3'000'000 : (i % 4 == 2) ? 40'000 : 2'000;
    const uint64_t due = 123456 + 1 + rng() % span;
    w.schedule(due, i);
    due_tick[i] = (due + 9) / 10;
  }
  uint64_t now = 123456;
  size_t fired = 0;
  while (w.size() > 0) {
    now += 1 + rng() % 500'000;
    w.advance(now, [&](uint64_t c) {
      // Fired no later than the advance that passed its tick and not before it.
      ASSERT_LE(due_tick[c], now / 10);
      ASSERT_GT(due_tick[c] * 10 + 500'001, now);
      ++fired;
    });
  }
  EXPECT_EQ(fired, 20000u);
}

TEST(TimerWheel, FiresOnTheExactTickWhenAdvancedTickByTick) {
  TimerWheel w(0, 1);
  std::vector<uint64_t> due = {1, 255, 256, 257, 65535, 65536, 65537, 70000, 16'777'216, 16'777'300};
  for (uint64_t d : due) w.schedule(d, d);
  uint64_t seen = 0;
  for (uint64_t t = 1; t <= 16'777'300; t += (t < 70001 ? 1 : 97)) {
    w.advance(t, [&](uint64_t c) {
      EXPECT_LE(c, t);
      EXPECT_GT(c + (t < 70001 ? 1 : 97), t);
      ++seen;
    });
  }
  w.advance(16'777'300, [&](uint64_t) { ++seen; });
  EXPECT_EQ(seen, due.size());
}

}  // namespace
}  // namespace sipedge::control

namespace sipedge::control {
namespace {

// The wheel must carry a million transactions' timers: scheduling, cancelling most of them (the
// common fate of Timers A/B/E/F) and firing the rest exactly once.
TEST(TimerWheel, MillionTimersMostlyCancelled) {
  TimerWheel w(0, 10);
  std::vector<TimerWheel::Handle> handles;
  handles.reserve(1'000'000);
  for (uint64_t i = 0; i < 1'000'000; ++i) handles.push_back(w.schedule(500 + (i % 32'000), i));
  EXPECT_EQ(w.size(), 1'000'000u);
  size_t cancelled = 0;
  for (size_t i = 0; i < handles.size(); ++i)
    if (i % 10 != 0) cancelled += w.cancel(handles[i]) ? 1 : 0;
  EXPECT_EQ(cancelled, 900'000u);
  size_t fired = 0;
  w.advance(40'000, [&](uint64_t cookie) {
    EXPECT_EQ(cookie % 10, 0u);
    ++fired;
  });
  EXPECT_EQ(fired, 100'000u);
  EXPECT_EQ(w.size(), 0u);
}

// The look-ahead tells of each timer kFarAhead fires before it fires (step 0) and kNearAhead fires
// before (step 1), once each; never of one a fire cancelled before its turn came.
TEST(TimerWheel, TheLookAheadTellsOfEachTimerAFewFiresBeforeIt) {
  using Told = std::vector<std::pair<unsigned, size_t>>;  // (step, fires so far)
  {
    TimerWheel w(0, 10);
    for (uint64_t c = 1; c <= 40; ++c) w.schedule(100, c);
    std::vector<uint64_t> fired;
    std::map<uint64_t, Told> told;
    w.advance(
        100, [&](uint64_t c) { fired.push_back(c); },
        [&](uint64_t c, unsigned step) { told[c].push_back({step, fired.size()}); });
    ASSERT_EQ(fired.size(), 40u);
    for (size_t at = 0; at < fired.size(); ++at) {
      Told want;
      if (at >= TimerWheel::kFarAhead) want.push_back({0, at - TimerWheel::kFarAhead});
      if (at >= TimerWheel::kNearAhead) want.push_back({1, at - TimerWheel::kNearAhead});
      EXPECT_EQ(told[fired[at]], want) << "fire " << at << ", cookie " << fired[at];
    }
  }
  TimerWheel w(0, 10);
  std::vector<TimerWheel::Handle> handles;
  for (uint64_t c = 1; c <= 40; ++c) handles.push_back(w.schedule(100, c));
  std::vector<uint64_t> fired;
  std::map<uint64_t, Told> told;
  uint64_t cancelled = 0;
  w.advance(
      100,
      [&](uint64_t c) {
        fired.push_back(c);
        if (fired.size() > 1) return;
        for (uint64_t other = 1; other <= 40 && cancelled == 0; ++other)
          if (other != c && !told.contains(other)) cancelled = other;
        ASSERT_NE(cancelled, 0u);
        EXPECT_TRUE(w.cancel(handles[cancelled - 1]));
      },
      [&](uint64_t c, unsigned step) { told[c].push_back({step, fired.size()}); });
  EXPECT_EQ(fired.size(), 39u);
  EXPECT_EQ(std::count(fired.begin(), fired.end(), cancelled), 0);
  EXPECT_FALSE(told.contains(cancelled)) << "cancelled before its turn to be told";
}

}  // namespace
}  // namespace sipedge::control
