// tests/common/clock_test.cc — common/clock.h's CachedClock: what it answers between refreshes, how
// often it reads the clock under it, and how soon it follows a step of the wall clock.
#include "common/clock.h"

#include <gtest/gtest.h>

#include "tests/support/counting_clock.h"

namespace sipedge {
namespace {

TEST(CachedClock, AnswersTheTimeOfItsLastRefreshWithOneRead) {
  test::CountingClock source(5000);
  CachedClock clock(source);
  EXPECT_EQ(source.ms_reads, 1);
  EXPECT_EQ(source.wall_reads, 1);
  source.advance(7);
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
  test::CountingClock source(5000);
  CachedClock clock(source);
  source.wall_step = 60000;  // the system clock set a minute ahead
  source.advance(CachedClock::kWallResyncMs - 1);
  clock.refresh();
  EXPECT_EQ(clock.wall_ms(), ManualClock(5999).wall_ms());
  source.advance(1);
  clock.refresh();
  EXPECT_EQ(clock.wall_ms(), ManualClock(6000).wall_ms() + 60000);
  EXPECT_EQ(source.wall_reads, 2);
}

TEST(CachedClock, MicrosecondsStayLive) {
  test::CountingClock source(5000);
  CachedClock clock(source);
  source.advance(3);
  EXPECT_EQ(clock.monotonic_us(), 5'003'000u);
  EXPECT_EQ(clock.monotonic_us(), 5'003'000u);
  EXPECT_EQ(source.us_reads, 2);
  EXPECT_EQ(clock.monotonic_ms(), 5000u);
}

}  // namespace
}  // namespace sipedge
