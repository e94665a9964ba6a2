// control/api/call_trace.h — control lcore. The message ladder of recent calls for `sipedgectl
// ladder CALL-ID`: a SipTap keeping, per Call-ID, the start line, addresses and time of every SIP
// message received and sent (at most kMaxMessages per Call-ID), for the last `calls` Call-IDs seen
// (the oldest is forgotten first). Bounded: a flood of new Call-IDs only recycles the oldest.
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
  void sent(uint16_t iface, const Endpoint& dest, std::string_view bytes) override;

  // {"call_id","messages":[{"time_ms","from","to","line","sdp"}]} in arrival order, or an "error"
  // when the Call-ID is not (or no longer) traced.
  nlohmann::json ladder(std::string_view call_id) const;
  size_t calls() const noexcept { return by_call_.size(); }

 private:
  struct Entry {
    uint64_t time_ms;
    Endpoint from, to;
    std::string line;
    bool sdp;
  };
  void add(std::string_view call_id, const Endpoint& from, const Endpoint& to, std::string_view bytes);

  size_t max_calls_;
  const std::vector<InterfaceConfig>& interfaces_;
  const Clock& clock_;
  // Looked up by string_view, so a message of a traced call allocates only its entry.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<Entry>, Hash, std::equal_to<>> by_call_;
  std::deque<std::string> order_;  // Call-IDs, oldest first
};

}  // namespace sipedge::control
