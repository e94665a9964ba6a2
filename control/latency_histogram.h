// control/latency_histogram.h — written by the control lcore, read by the metrics renderer (control/api/metrics.h) on
// the same lcore. A fixed-bucket latency histogram in the shape Prometheus expects (cumulative
// buckets by upper bound, sum, count), bounds from 0.5 ms to 10 s: call setup on a healthy SBC is
// a few milliseconds, and anything past T1 (500 ms) already means retransmissions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace sipedge::control {

class LatencyHistogram {
 public:
  static constexpr std::array<uint64_t, 14> kBoundsUs{500,    1000,   2000,   5000,    10000,   20000,   50000,
                                                      100000, 200000, 500000, 1000000, 2000000, 5000000, 10000000};

  void observe_us(uint64_t us) noexcept {
    size_t i = 0;
    while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
    ++counts_[i];
    sum_us_ += us;
    ++count_;
  }
  // Observations at most kBoundsUs[i] (i == kBoundsUs.size(): all of them).
  uint64_t cumulative(size_t i) const noexcept {
    uint64_t n = 0;
    for (size_t j = 0; j <= i && j < counts_.size(); ++j) n += counts_[j];
    return n;
  }
  uint64_t count() const noexcept { return count_; }
  uint64_t sum_us() const noexcept { return sum_us_; }

 private:
  std::array<uint64_t, kBoundsUs.size() + 1> counts_{};  // last: above every bound
  uint64_t sum_us_ = 0;
  uint64_t count_ = 0;
};

}  // namespace sipedge::control
