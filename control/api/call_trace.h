// control/api/call_trace.h — control lcore. The message ladder of recent calls for `sipedgectl
// ladder CALL-ID`: a SipTap keeping, per Call-ID, the start line, addresses and time of every SIP
// message received and sent (at most kMaxMessages per Call-ID), for the last `calls` Call-IDs seen
// (the oldest is forgotten first). Bounded: a flood of new Call-IDs only recycles the oldest.
// On by default, so it runs for every message of every call: a received message is read from its
// index, a sent one in one pass over its header lines, and the oldest call's ladder (its map node,
// Call-ID and buffers) is reused for the next, so a steady flow of calls allocates nothing here.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "control/config.h"
#include "control/sip_io.h"

namespace sipedge::control {

class CallTrace final : public SipTap {
 public:
  static constexpr size_t kMaxMessages = 64;

  CallTrace(size_t calls, const std::vector<InterfaceConfig>& interfaces, const Clock& clock)
      : max_calls_(calls), interfaces_(interfaces), clock_(clock) {}

  void received(const Inbound& in) override;
  void sent(uint16_t iface, const Endpoint& dest, std::string_view bytes, std::string_view call_id) override;

  // {"call_id","messages":[{"time_ms","from","to","line","sdp"}]} in arrival order, or an "error"
  // when the Call-ID is not (or no longer) traced.
  nlohmann::json ladder(std::string_view call_id) const;
  size_t calls() const noexcept { return by_call_.size(); }

 private:
  // One message; its start line lies in its ladder's text.
  struct Entry {
    uint64_t time_ms;
    Endpoint from, to;
    uint32_t line_at, line_len;
    bool sdp;
  };
  struct Ladder {
    std::vector<Entry> entries;
    std::string text;  // the entries' start lines, one after another
  };
  void add(std::string_view call_id, const Endpoint& from, const Endpoint& to, std::string_view start_line, bool sdp);

  size_t max_calls_;
  const std::vector<InterfaceConfig>& interfaces_;
  const Clock& clock_;
  // Looked up by string_view, so a message of a traced call allocates only its entry.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Ladder, Hash, std::equal_to<>> by_call_;
  std::deque<const std::string*> order_;  // the map's keys (a node never moves), oldest first
  // The entry the last message went to: a message and those it makes sipedge send are one
  // call's, one after the other. A recycled node keeps its address and changes its key.
  std::pair<const std::string, Ladder>* last_ = nullptr;
};

}  // namespace sipedge::control
