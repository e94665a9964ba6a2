// control/dialog/call_table.cc — control lcore only. See call_table.h.
#include "control/dialog/call_table.h"

#include <nlohmann/json.hpp>

namespace sipedge::control {

std::string_view call_state_name(CallState s) noexcept {
  switch (s) {
    case CallState::Trying: return "trying";
    case CallState::Early: return "early";
    case CallState::Confirmed: return "confirmed";
    case CallState::Ending: return "ending";
    case CallState::Ended: return "ended";
  }
  return "?";
}

Call& CallTable::create(std::string call_id) {
  auto [it, inserted] = calls_.try_emplace(call_id);
  if (inserted) it->second.call_id = std::move(call_id);
  return it->second;
}

Call* CallTable::find(std::string_view call_id) {
  auto it = calls_.find(std::string(call_id));
  return it == calls_.end() ? nullptr : &it->second;
}

const Call* CallTable::find(std::string_view call_id) const {
  auto it = calls_.find(std::string(call_id));
  return it == calls_.end() ? nullptr : &it->second;
}

void CallTable::erase(std::string_view call_id) { calls_.erase(std::string(call_id)); }

std::vector<std::string> CallTable::ids() const {
  std::vector<std::string> out;
  for (const auto& [id, c] : calls_) out.push_back(id);
  return out;
}

std::string cdr_json(const Call& call, const MediaManager::Stats& media) {
  nlohmann::json j;
  j["call_id"] = call.call_id;
  j["from"] = call.caller.uri;
  j["to"] = call.callee.uri;
  j["caller"] = call.caller.peer.to_string();
  j["callee"] = call.callee.peer.to_string();
  j["start_ms"] = call.start_ms;
  j["answer_ms"] = call.answer_ms;
  j["end_ms"] = call.end_ms;
  j["duration_s"] = call.answer_ms && call.end_ms >= call.answer_ms ? (call.end_ms - call.answer_ms) / 1000.0 : 0.0;
  j["answered"] = call.answer_ms != 0;
  j["final_status"] = call.final_status;
  j["end_reason"] = call.end_reason;
  j["packets_caller_to_callee"] = media.packets[0];
  j["packets_callee_to_caller"] = media.packets[1];
  j["bytes_caller_to_callee"] = media.bytes[0];
  j["bytes_callee_to_caller"] = media.bytes[1];
  // URIs come from the wire and need not be UTF-8: replace bad bytes rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sipedge::control
