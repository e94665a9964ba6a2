// tests/support/counting_clock.h — test support, any thread that owns it. A ManualClock that counts
// its reads by kind (a gateway would read the system clock each time, at tens of ns), and whose
// wall clock can be stepped apart from the monotonic one (NTP, an operator).
#pragma once

#include <cstdint>

#include "common/clock.h"

namespace sipedge::test {

class CountingClock final : public Clock {
 public:
  explicit CountingClock(uint64_t start_ms = 1'000'000) : time_(start_ms) {}
  uint64_t monotonic_ms() const override {
    ++ms_reads;
    return time_.monotonic_ms();
  }
  uint64_t monotonic_us() const override {
    ++us_reads;
    return time_.monotonic_us();
  }
  uint64_t wall_ms() const override {
    ++wall_reads;
    return time_.wall_ms() + wall_step;
  }
  void advance(uint64_t ms) { time_.advance(ms); }
  uint64_t reads() const { return ms_reads + us_reads + wall_reads; }
  void reset_reads() { ms_reads = us_reads = wall_reads = 0; }

  uint64_t wall_step = 0;
  mutable uint64_t ms_reads = 0, us_reads = 0, wall_reads = 0;

 private:
  ManualClock time_;
};

}  // namespace sipedge::test
