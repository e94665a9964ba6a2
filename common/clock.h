// common/clock.h — any thread. Time as the control plane sees it, injected so tests move it by hand
// (Envoy: a mock time source). Monotonic milliseconds drive timers; wall milliseconds stamp CDRs.
#pragma once

#include <chrono>
#include <cstdint>

namespace sipedge {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t monotonic_ms() const = 0;
  // The same clock in microseconds, for latencies below a millisecond (call-setup histograms).
  virtual uint64_t monotonic_us() const = 0;
  virtual uint64_t wall_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  uint64_t monotonic_ms() const override {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
  }
  uint64_t monotonic_us() const override {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count());
  }
  uint64_t wall_ms() const override {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  }
};

// Milliseconds from `then` to `now`, 0 when `now` is the earlier: what shared state needs from
// times that several threads stamp, each from its own CachedClock (two control shards may read one
// instant a millisecond apart). An unsigned difference would wrap to ~2^64 instead.
constexpr uint64_t ms_since(uint64_t now_ms, uint64_t then_ms) noexcept { return now_ms > then_ms ? now_ms - then_ms : 0; }

// The time of the message being handled: the monotonic clock read once per refresh(), which the
// control loop calls per message and per iteration. A call's handling read the system clock ~40
// times (tens of ns each: timers, CDR and ladder stamps, rate limits), all within microseconds of
// one another. Wall time is the monotonic time plus an offset read again once a second of it, so
// a step of the system clock (NTP, an operator) shows in CDR and ladder stamps within a second.
// monotonic_us stays live: setup latencies are measured in µs. One thread's (its control shard's),
// like the Proxy that reads it.
class CachedClock final : public Clock {
 public:
  static constexpr uint64_t kWallResyncMs = 1000;

  explicit CachedClock(const Clock& source) : source_(source) { refresh(); }
  void refresh() {
    monotonic_ms_ = source_.monotonic_ms();
    if (monotonic_ms_ >= next_wall_resync_ms_) {
      wall_offset_ms_ = static_cast<int64_t>(source_.wall_ms() - monotonic_ms_);
      next_wall_resync_ms_ = monotonic_ms_ + kWallResyncMs;
    }
  }
  uint64_t monotonic_ms() const override { return monotonic_ms_; }
  uint64_t monotonic_us() const override { return source_.monotonic_us(); }
  uint64_t wall_ms() const override { return monotonic_ms_ + static_cast<uint64_t>(wall_offset_ms_); }

 private:
  const Clock& source_;
  uint64_t monotonic_ms_ = 0;
  int64_t wall_offset_ms_ = 0;
  uint64_t next_wall_resync_ms_ = 0;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t start_ms = 1'000'000) : now_(start_ms) {}
  uint64_t monotonic_ms() const override { return now_; }
  uint64_t monotonic_us() const override { return now_ * 1000; }
  uint64_t wall_ms() const override { return 1'700'000'000'000ull + now_; }
  void advance(uint64_t ms) { now_ += ms; }

 private:
  uint64_t now_;
};

}  // namespace sipedge
