// control/timer_wheel.h — control lcore only (not thread safe). Hierarchical timing wheel for SIP
// timers A–K, registration expiry, keepalives and media timeouts: O(1) schedule and cancel, cost at
// expiry amortised by cascading. Built for timers that are mostly cancelled before they fire
// (Timers A/B/E/F), as Seastar's timer-set is. A handle carries a generation, so cancelling or
// firing a slot that was reused is a no-op (the stale-timer race Kamailio's timer.h warns about).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sipedge::control {

class TimerWheel {
 public:
  struct Handle {
    uint32_t slot = 0;        // 0 = no timer
    uint32_t generation = 0;
    bool valid() const noexcept { return slot != 0; }
  };

  // `tick_ms`: resolution; timers fire at the first advance() at or after their due time rounded up
  // to a tick. `now_ms`: the clock value the wheel starts at.
  explicit TimerWheel(uint64_t now_ms = 0, uint32_t tick_ms = 10);

  // Arms a timer that fires `cookie` at `due_ms` (a past time fires on the next advance()).
  Handle schedule(uint64_t due_ms, uint64_t cookie);
  // Disarms; false when it already fired, was cancelled, or the handle is stale.
  bool cancel(Handle h) noexcept;
  bool pending(Handle h) const noexcept;

  // Moves time to `now_ms`, calling fire(cookie) for every timer due, tick by tick (timers due in
  // the same tick fire in no set order).
  // `fire` may schedule and cancel timers.
  template <class Fire>
  void advance(uint64_t now_ms, Fire&& fire) {
    advance(now_ms, fire, [](uint64_t, unsigned) {});
  }
  // The same, telling `ahead(cookie, step)` of the timers a few fires before they fire: step 0
  // kFarAhead fires before, step 1 kNearAhead fires before. The timers due in one tick are many
  // and their owners' state is cold (a transaction's linger ends 64*T1 after it was last touched),
  // so the owner starts loading it, then what it points to, while the fires before it run.
  static constexpr size_t kFarAhead = 8, kNearAhead = 4;
  template <class Fire, class Ahead>
  void advance(uint64_t now_ms, Fire&& fire, Ahead&& ahead) {
    const uint64_t target = now_ms / tick_ms_;
    while (current_tick_ < target) {
      ++current_tick_;
      cascade();
      collect_due(slot_head(0, current_tick_ & kMask));
      while (!due_.empty()) {
        if (due_.size() > kFarAhead) tell_ahead(due_[due_.size() - 1 - kFarAhead], 0, ahead);
        if (due_.size() > kNearAhead) tell_ahead(due_[due_.size() - 1 - kNearAhead], 1, ahead);
        const uint32_t n = due_.back();
        due_.pop_back();
        if (nodes_[n].state != NodeState::Due) continue;  // cancelled by an earlier fire
        const uint64_t cookie = nodes_[n].cookie;
        release(n);
        fire(cookie);
      }
    }
  }

  // Timers currently armed.
  size_t size() const noexcept { return armed_; }
  uint64_t now_ms() const noexcept { return current_tick_ * tick_ms_; }

 private:
  static constexpr unsigned kLevels = 4;
  static constexpr unsigned kBits = 8;
  static constexpr uint32_t kSlots = 1u << kBits;
  static constexpr uint32_t kMask = kSlots - 1;
  static constexpr uint32_t kNil = 0;

  enum class NodeState : uint8_t { Free, Armed, Due };
  struct Node {
    uint64_t due_tick = 0;
    uint64_t cookie = 0;
    uint32_t prev = kNil, next = kNil;
    uint32_t generation = 0;
    uint32_t bucket = 0;  // index into heads_ while Armed
    NodeState state = NodeState::Free;
  };

  template <class Ahead>
  void tell_ahead(uint32_t n, unsigned step, Ahead& ahead) {
    if (nodes_[n].state == NodeState::Due) ahead(nodes_[n].cookie, step);
  }
  uint32_t& slot_head(unsigned level, uint32_t index) noexcept { return heads_[level * kSlots + index]; }
  void insert(uint32_t n);
  void unlink(uint32_t n) noexcept;
  void release(uint32_t n) noexcept;
  void cascade();
  void collect_due(uint32_t& head);

  uint32_t tick_ms_;
  uint64_t current_tick_;
  size_t armed_ = 0;
  std::vector<Node> nodes_;      // nodes_[0] is the nil sentinel
  std::vector<uint32_t> free_;
  std::vector<uint32_t> heads_;  // kLevels * kSlots list heads
  std::vector<uint32_t> due_;
  std::vector<uint32_t> moving_;
};

}  // namespace sipedge::control
