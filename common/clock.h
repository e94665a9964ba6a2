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
