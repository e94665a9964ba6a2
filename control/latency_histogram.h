// control/latency_histogram.h — written by the control lcore, read by the metrics renderer (control/api/metrics.h) on
// the same lcore. A fixed-bucket latency histogram in the shape Prometheus expects (cumulative
// buckets by upper bound, sum, count). Two bucket sets: call setup (0.5 ms to 10 s: a few
// milliseconds on a healthy SBC, anything past T1 = 500 ms already means retransmissions) and
// message handling (10 µs to 100 ms: what the control lcore spends on one SIP message, or how long
// it waited in the ring).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace sipedge::control {

inline constexpr std::array<uint64_t, 14> kCallSetupBoundsUs{500,    1000,   2000,   5000,    10000,   20000,   50000,
                                                             100000, 200000, 500000, 1000000, 2000000, 5000000, 10000000};
inline constexpr std::array<uint64_t, 14> kMessageBoundsUs{10,   20,   50,    100,   200,   500,   1000,
                                                           2000, 5000, 10000, 20000, 50000, 100000, 1000000};

class LatencyHistogram {
 public:
  // `bounds_us`: ascending upper bounds, at most kMaxBounds, living as long as the histogram.
  static constexpr size_t kMaxBounds = 14;
  explicit LatencyHistogram(std::span<const uint64_t> bounds_us = kCallSetupBoundsUs) noexcept
      : bounds_(bounds_us.first(bounds_us.size() < kMaxBounds ? bounds_us.size() : kMaxBounds)) {}

  void observe_us(uint64_t us) noexcept { observe_ns(us * 1000); }
  // The same to the nanosecond: the sum stays exact for observations of a few microseconds (a SIP
  // message's work), which whole microseconds would cut by up to half.
  void observe_ns(uint64_t ns) noexcept {
    size_t i = 0;
    while (i < bounds_.size() && ns > bounds_[i] * 1000) ++i;
    ++counts_[i];
    sum_ns_ += ns;
    ++count_;
  }
  std::span<const uint64_t> bounds_us() const noexcept { return bounds_; }
  // Observations at most bounds_us()[i] (i == bounds_us().size(): all of them).
  uint64_t cumulative(size_t i) const noexcept {
    uint64_t n = 0;
    for (size_t j = 0; j <= i && j < counts_.size(); ++j) n += counts_[j];
    return n;
  }
  uint64_t count() const noexcept { return count_; }
  uint64_t sum_ns() const noexcept { return sum_ns_; }
  // Adds another histogram's observations (same bounds: one per control shard, summed for export).
  void add(const LatencyHistogram& other) noexcept {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    sum_ns_ += other.sum_ns_;
    count_ += other.count_;
  }

 private:
  std::span<const uint64_t> bounds_;
  std::array<uint64_t, kMaxBounds + 1> counts_{};  // [bounds_.size()]: above every bound
  uint64_t sum_ns_ = 0;
  uint64_t count_ = 0;
};

}  // namespace sipedge::control
