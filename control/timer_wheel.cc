// control/timer_wheel.cc — control lcore only. See timer_wheel.h.
#include "control/timer_wheel.h"

namespace sipedge::control {

TimerWheel::TimerWheel(uint64_t now_ms, uint32_t tick_ms)
    : tick_ms_(tick_ms ? tick_ms : 1), current_tick_(now_ms / (tick_ms ? tick_ms : 1)), nodes_(1),
      heads_(kLevels * kSlots, kNil) {}

TimerWheel::Handle TimerWheel::schedule(uint64_t due_ms, uint64_t cookie) {
  uint32_t n;
  if (!free_.empty()) {
    n = free_.back();
    free_.pop_back();
  } else {
    n = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  Node& node = nodes_[n];
  // Round up so a timer never fires early; a due time in the past fires on the next tick.
  uint64_t due_tick = (due_ms + tick_ms_ - 1) / tick_ms_;
  if (due_tick <= current_tick_) due_tick = current_tick_ + 1;
  node.due_tick = due_tick;
  node.cookie = cookie;
  node.state = NodeState::Armed;
  ++armed_;
  insert(n);
  return Handle{n, node.generation};
}

bool TimerWheel::pending(Handle h) const noexcept {
  return h.slot != kNil && h.slot < nodes_.size() && nodes_[h.slot].generation == h.generation &&
         nodes_[h.slot].state != NodeState::Free;
}

bool TimerWheel::cancel(Handle h) noexcept {
  if (!pending(h)) return false;
  Node& node = nodes_[h.slot];
  if (node.state == NodeState::Armed) unlink(h.slot);
  release(h.slot);
  return true;
}

void TimerWheel::insert(uint32_t n) {
  Node& node = nodes_[n];
  const uint64_t delta = node.due_tick - current_tick_;
  unsigned level = 0;
  while (level + 1 < kLevels && delta >= (uint64_t{1} << (kBits * (level + 1)))) ++level;
  uint64_t index;
  if (level + 1 == kLevels && delta >= (uint64_t{1} << (kBits * kLevels))) {
    // Beyond the wheel's span: park in the furthest slot; cascading re-inserts it closer.
    index = (current_tick_ >> (kBits * level)) + kMask;
  } else {
    index = node.due_tick >> (kBits * level);
  }
  node.bucket = level * kSlots + static_cast<uint32_t>(index & kMask);
  uint32_t& head = heads_[node.bucket];
  node.prev = kNil;
  node.next = head;
  if (head != kNil) nodes_[head].prev = n;
  head = n;
}

void TimerWheel::unlink(uint32_t n) noexcept {
  Node& node = nodes_[n];
  if (node.prev != kNil)
    nodes_[node.prev].next = node.next;
  else
    heads_[node.bucket] = node.next;
  if (node.next != kNil) nodes_[node.next].prev = node.prev;
  node.prev = node.next = kNil;
}

void TimerWheel::release(uint32_t n) noexcept {
  Node& node = nodes_[n];
  node.state = NodeState::Free;
  ++node.generation;
  --armed_;
  free_.push_back(n);
}

// When the lower level wraps, the matching slot of the next level holds timers now within reach:
// re-insert them so they land at their exact tick.
void TimerWheel::cascade() {
  for (unsigned level = 1; level < kLevels; ++level) {
    if ((current_tick_ & ((uint64_t{1} << (kBits * level)) - 1)) != 0) break;
    const uint32_t index = static_cast<uint32_t>((current_tick_ >> (kBits * level)) & kMask);
    uint32_t& head = slot_head(level, index);
    moving_.clear();
    for (uint32_t n = head; n != kNil; n = nodes_[n].next) moving_.push_back(n);
    head = kNil;
    for (uint32_t n : moving_) {
      nodes_[n].prev = nodes_[n].next = kNil;
      insert(n);
    }
  }
}

void TimerWheel::collect_due(uint32_t& head) {
  due_.clear();
  uint32_t n = head;
  head = kNil;
  while (n != kNil) {
    const uint32_t next = nodes_[n].next;
    Node& node = nodes_[n];
    node.prev = node.next = kNil;
    if (node.due_tick <= current_tick_) {
      node.state = NodeState::Due;
      due_.push_back(n);
    } else {
      insert(n);  // parked beyond the wheel's span, still far away
    }
    n = next;
  }
}

}  // namespace sipedge::control
