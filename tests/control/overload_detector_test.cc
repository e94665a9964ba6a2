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

TEST(OverloadDetector, ZeroEnterWaitNeverTurnsItOn) {
  OverloadDetector d(0, 0);
  EXPECT_FALSE(d.on_burst(32, UINT64_MAX));
  EXPECT_EQ(d.episodes(), 0u);
}

}  // namespace
}  // namespace sipedge::control
