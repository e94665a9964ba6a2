// control/overload_detector.h — control lcore. Whether the control lcore has fallen behind, from
// how long SIP messages waited between the worker that received them and the control loop: the
// queueing delay a UAC's retransmission timer (T1, 500 ms) races. Past `enter`, every new request
// that sipedge accepts only deepens the backlog and draws retransmissions that deepen it further
// (the collapse bench/RESULTS.md shows above ~4000 calls/s), so the proxy refuses new requests with
// 503 until the loop has caught up: a burst that waited less than `leave`, or an empty ring.
#pragma once
#include <cstdint>

namespace sipedge::control {

class OverloadDetector {
 public:
  // Ticks of any one clock; enter_ticks 0 never turns overload on.
  OverloadDetector(uint64_t enter_ticks, uint64_t leave_ticks) noexcept : enter_(enter_ticks), leave_(leave_ticks) {}

  // One drained burst of `n` messages whose longest wait was `longest_wait`. Returns the state after it.
  bool on_burst(unsigned n, uint64_t longest_wait) noexcept {
    if (enter_ == 0) return false;
    if (n == 0 || longest_wait < leave_) {
      on_ = false;
    } else if (longest_wait > enter_ && !on_) {
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
  bool on_ = false;
  uint64_t episodes_ = 0;
};

}  // namespace sipedge::control
