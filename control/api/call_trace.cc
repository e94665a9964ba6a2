// control/api/call_trace.cc — control lcore. See call_trace.h.
#include "control/api/call_trace.h"

#include "parser/headers.h"

namespace sipedge::control {

void CallTrace::add(std::string_view call_id, const Endpoint& from, const Endpoint& to, std::string_view bytes) {
  if (call_id.empty() || max_calls_ == 0) return;
  auto it = by_call_.find(call_id);
  if (it == by_call_.end()) {
    if (by_call_.size() >= max_calls_) {
      by_call_.erase(order_.front());
      order_.pop_front();
    }
    order_.emplace_back(call_id);
    it = by_call_.emplace(std::string(call_id), std::vector<Entry>{}).first;
  }
  if (it->second.size() >= kMaxMessages) return;
  const size_t eol = bytes.find("\r\n");
  const std::string_view ct = parser::find_header_value(bytes, "Content-Type", 'c');
  it->second.push_back(Entry{clock_.wall_ms(), from, to, std::string(bytes.substr(0, eol)), ct.find("sdp") != std::string_view::npos});
}

void CallTrace::received(const Inbound& in) {
  add(in.msg.value(parser::HeaderId::CallId), in.source, in.local, in.msg.bytes());
}

void CallTrace::sent(uint16_t iface, const Endpoint& dest, std::string_view bytes) {
  add(parser::find_header_value(bytes, "Call-ID", 'i'), sip_endpoint(interfaces_, iface), dest, bytes);
}

nlohmann::json CallTrace::ladder(std::string_view call_id) const {
  auto it = by_call_.find(call_id);
  if (it == by_call_.end()) return {{"error", "no trace of Call-ID '" + std::string(call_id) + "' (only the last " +
                                               std::to_string(max_calls_) + " Call-IDs are kept)"}};
  nlohmann::json list = nlohmann::json::array();
  for (const Entry& e : it->second)
    list.push_back({{"time_ms", e.time_ms}, {"from", e.from.to_string()}, {"to", e.to.to_string()}, {"line", e.line}, {"sdp", e.sdp}});
  return {{"call_id", std::string(call_id)}, {"messages", list}};
}

}  // namespace sipedge::control
