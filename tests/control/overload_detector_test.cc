// tests/control/overload_detector_test.cc — pins control/overload_detector.h: on past the enter
// wait, off only below the leave wait or on an empty ring (hysteresis), episodes counted, and never
// on when disabled.
#include "control/overload_detector.h"

#include <gtest/gtest.h>

namespace sipedge::control {
namespace {

TEST(OverloadDetector, EntersPastTheEnterWaitAndLeavesBelowTheLeaveWaitOrOnAnEmptyRing) {
  OverloadDetector d(200, 50);
  EXPECT_FALSE(d.on_burst(32, 200)) << "at the threshold is not past it";
  EXPECT_TRUE(d.on_burst(32, 201));
  EXPECT_TRUE(d.on_burst(32, 120)) << "between leave and enter: stays on";
  EXPECT_TRUE(d.on_burst(1, 50));
  EXPECT_FALSE(d.on_burst(1, 49));
  EXPECT_FALSE(d.on_burst(32, 150)) << "between leave and enter: stays off";
  EXPECT_TRUE(d.on_burst(32, 5000));
  EXPECT_TRUE(d.on_burst(32, 5000));
  EXPECT_FALSE(d.on_burst(0, 0)) << "an empty ring: caught up";
  EXPECT_EQ(d.episodes(), 2u);
}

TEST(OverloadDetector, ADeepRingTurnsItOnWhateverTheWait) {
  OverloadDetector d(200, 50, 512, 64);
  EXPECT_FALSE(d.on_burst(32, 10, 511));
  EXPECT_FALSE(d.on_burst(32, 10, 512)) << "one deep look could be a pause of the lcore";
  EXPECT_TRUE(d.on_burst(32, 10, 530)) << "half the ring waiting and growing: behind, though no message waited long";
  EXPECT_TRUE(d.on_burst(32, 10, 65)) << "short waits but still a backlog: stays on";
  EXPECT_TRUE(d.on_burst(32, 60, 10)) << "a small backlog that waited past the leave time: stays on";
  EXPECT_FALSE(d.on_burst(32, 10, 64));
  EXPECT_EQ(d.episodes(), 1u);
  // A deep backlog that shrinks burst after burst is the lcore catching up after a pause.
  OverloadDetector draining(200, 50, 512, 64);
  EXPECT_FALSE(draining.on_burst(32, 10, 700)) << "the first burst after a pause";
  EXPECT_FALSE(draining.on_burst(32, 10, 680));
  EXPECT_FALSE(draining.on_burst(32, 10, 650));
  EXPECT_TRUE(draining.on_burst(32, 10, 660)) << "growing again: arrivals outrun the loop";
  OverloadDetector no_depth(200, 50);
  EXPECT_FALSE(no_depth.on_burst(32, 10, 100000));
}

TEST(OverloadDetector, ZeroEnterWaitNeverTurnsItOn) {
  OverloadDetector d(0, 0, 512, 64);
  EXPECT_FALSE(d.on_burst(32, UINT64_MAX, 1024));
  EXPECT_EQ(d.episodes(), 0u);
}

}  // namespace
}  // namespace sipedge::control
