// control/overload_detector.h — control lcore. Whether the control lcore has fallen behind, from
// how long SIP messages waited between the worker that received them and the control loop (the
// queueing delay a UAC's retransmission timer, T1 = 500 ms, races) and from how many still wait in
// the ring. Past either threshold, every new request that sipedge accepts only deepens the backlog
// and draws retransmissions that deepen it further (the collapse bench/RESULTS.md shows above ~4000
// calls/s), so the proxy refuses new requests with 503 until the loop has caught up: a burst that
// waited less than the leave time with a backlog at most the leave depth, or an empty ring.
// The depth matters because the ring is small: with 1024 slots drained at ~30 000 messages/s no
// message ever waits 200 ms; the excess is dropped in the dataplane instead, unseen by the wait.
#pragma once
#include <cstdint>

namespace sipedge::control {

class OverloadDetector {
 public:
  // Ticks of any one clock; enter_ticks 0 never turns overload on. Depths in messages; an
  // enter_backlog of 0 leaves the depth out.
  OverloadDetector(uint64_t enter_ticks, uint64_t leave_ticks, uint32_t enter_backlog = 0,
                   uint32_t leave_backlog = 0) noexcept
      : enter_(enter_ticks), leave_(leave_ticks), enter_backlog_(enter_backlog), leave_backlog_(leave_backlog) {}

  // One drained burst of `n` messages whose longest wait was `longest_wait`, with `backlog`
  // messages left in the ring after it. Returns the state after it.
  bool on_burst(unsigned n, uint64_t longest_wait, uint32_t backlog = 0) noexcept {
    if (enter_ == 0) return false;
    // Deep on two bursts in a row and not draining: a backlog left by a moment the lcore was away
    // (descheduled) shrinks burst after burst; one that arrivals keep up with is overload.
    const bool deep = enter_backlog_ != 0 && backlog >= enter_backlog_ && last_backlog_ >= enter_backlog_ &&
                      backlog >= last_backlog_;
    last_backlog_ = backlog;
    if (n == 0 || (longest_wait < leave_ && backlog <= leave_backlog_)) {
      on_ = false;
    } else if ((longest_wait > enter_ || deep) && !on_) {
      on_ = true;
      ++episodes_;
    }
    return on_;
  }
  bool on() const noexcept { return on_; }
  // How many times overload was entered.
  uint64_t episodes() const noexcept { return episodes_; }

 private:
  uint64_t enter_;
  uint64_t leave_;
  uint32_t enter_backlog_;
  uint32_t leave_backlog_;
  uint32_t last_backlog_ = 0;
  bool on_ = false;
  uint64_t episodes_ = 0;
};

}  // namespace sipedge::control
