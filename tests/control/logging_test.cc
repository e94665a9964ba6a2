// tests/control/logging_test.cc — pins control/api/logging: components by name, levels per
// component and for all, and the rate limit that keeps a flood of log lines off the disk (dropped
// lines counted, their number logged when lines flow again).
#include "control/api/logging.h"

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace sipedge::logs {
namespace {

TEST(Logging, ComponentsByName) {
  EXPECT_EQ(component_named("security"), Component::Security);
  EXPECT_EQ(component_name(Component::Hw), "hw");
  EXPECT_EQ(component_named("media"), std::nullopt);
  EXPECT_EQ(of(Component::Overload).name(), "overload");
}

TEST(Logging, LevelsPerComponentAndForAll) {
  ASSERT_TRUE(set_level("", spdlog::level::info));
  ASSERT_TRUE(set_level("security", spdlog::level::debug));
  EXPECT_FALSE(set_level("media", spdlog::level::debug));
  const auto l = levels();
  EXPECT_EQ(l.at("security"), "debug");
  EXPECT_EQ(l.at("sip"), "info");
  EXPECT_EQ(l.size(), 6u);
  EXPECT_TRUE(of(Component::Security).should_log(spdlog::level::debug));
  EXPECT_FALSE(of(Component::Sip).should_log(spdlog::level::debug));
  set_level("", spdlog::level::warn);
  EXPECT_EQ(levels().at("security"), "warning");
  set_level("", spdlog::level::info);
}

TEST(Logging, AFloodIsCutToTheRateAndTheDropsAreReported) {
  set_rate(1);
  // Spend the bucket's token first, whatever earlier tests left in it.
  ::testing::internal::CaptureStderr();
  of(Component::Main).warn("warm-up");
  const uint64_t before = suppressed();
  for (int i = 0; i < 20; ++i) of(Component::Security).warn("flood line {}", i);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  of(Component::Security).warn("after the flood");
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_GE(suppressed() - before, 19u) << err;
  EXPECT_EQ(err.find("flood line 5"), std::string::npos) << err;
  EXPECT_NE(err.find("log line(s) dropped (over 1 a second)"), std::string::npos) << err;
  EXPECT_NE(err.find("[security] [warning] after the flood"), std::string::npos) << err;
  set_rate(200);
}

}  // namespace
}  // namespace sipedge::logs
