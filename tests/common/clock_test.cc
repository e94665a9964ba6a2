// tests/common/clock_test.cc — common/clock.h's CachedClock: what it answers between refreshes, how
// often it reads the clock under it, and how soon it follows a step of the wall clock.
#include "common/clock.h"

#include <gtest/gtest.h>

namespace sipedge {
namespace {

// A ManualClock that counts its reads, per kind, and whose wall clock can be stepped (NTP).
class ReadCounting final : public Clock {
 public:
  uint64_t monotonic_ms() const override {
    ++ms_reads;
    return time.monotonic_ms();
  }
  uint64_t monotonic_us() const override {
    ++us_reads;
    return time.monotonic_us();
  }
  uint64_t wall_ms() const override {
    ++wall_reads;
    return time.wall_ms() + wall_step;
  }
  ManualClock time{5000};
  uint64_t wall_step = 0;
  mutable int ms_reads = 0, us_reads = 0, wall_reads = 0;
};

TEST(CachedClock, AnswersTheTimeOfItsLastRefreshWithOneRead) {
  ReadCounting source;
  CachedClock clock(source);
  EXPECT_EQ(source.ms_reads, 1);
  EXPECT_EQ(source.wall_reads, 1);
  source.time.advance(7);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(clock.monotonic_ms(), 5000u);
    EXPECT_EQ(clock.wall_ms(), ManualClock(5000).wall_ms());
  }
  clock.refresh();
  EXPECT_EQ(clock.monotonic_ms(), 5007u);
  EXPECT_EQ(clock.wall_ms(), ManualClock(5007).wall_ms());
  EXPECT_EQ(source.ms_reads, 2);
  EXPECT_EQ(source.wall_reads, 1) << "the wall clock's offset is read once a second";
}

TEST(CachedClock, AStepOfTheWallClockShowsWithinASecond) {
  ReadCounting source;
  CachedClock clock(source);
  source.wall_step = 60000;  // the system clock set a minute ahead
  source.time.advance(CachedClock::kWallResyncMs - 1);
  clock.refresh();
  EXPECT_EQ(clock.wall_ms(), ManualClock(5999).wall_ms());
  source.time.advance(1);
  clock.refresh();
  EXPECT_EQ(clock.wall_ms(), ManualClock(6000).wall_ms() + 60000);
  EXPECT_EQ(source.wall_reads, 2);
}

TEST(CachedClock, MicrosecondsStayLive) {
  ReadCounting source;
  CachedClock clock(source);
  source.time.advance(3);
  EXPECT_EQ(clock.monotonic_us(), 5'003'000u);
  EXPECT_EQ(clock.monotonic_us(), 5'003'000u);
  EXPECT_EQ(source.us_reads, 2);
  EXPECT_EQ(clock.monotonic_ms(), 5000u);
}

}  // namespace
}  // namespace sipedge
