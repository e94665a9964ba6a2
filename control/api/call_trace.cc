// control/api/call_trace.cc — control lcore. See call_trace.h.
#include "control/api/call_trace.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "parser/headers.h"

namespace sipedge::control {

namespace {

// RFC 4566 §5: a session description starts with its version line.
bool is_sdp(std::string_view body) noexcept { return body.starts_with("v="); }

// What follows the last blank line ("\n\n" or "\n\r\n") of message bytes nobody indexed, searched
// from the end: an SDP body has no blank line, so for a message with one this is its body. Sixteen
// bytes a read, fourteen a step back, so each byte is judged once with the two bytes before it.
std::string_view last_part(std::string_view bytes) noexcept {
  const char* b = bytes.data();
#if defined(__SSE2__)
  if (bytes.size() >= 16) {
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    for (size_t at = bytes.size() - 16;; at = at > 14 ? at - 14 : 0) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + at));
      const unsigned nl = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)));
      const unsigned r = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr)));
      // Bit i: byte i ends an empty line. Bytes 0 and 1 lack what precedes them here, so they are
      // never taken for one; the next read (two bytes further back) judges them.
      const unsigned blank = nl & ((nl << 1) | ((r << 1) & (nl << 2)));
      if (blank != 0) return bytes.substr(at + static_cast<size_t>(31 - __builtin_clz(blank)) + 1);
      if (at == 0) return {};
    }
  }
#endif
  for (size_t n = bytes.size(); n > 0;) {
    const void* nl = memrchr(b, '\n', n);
    if (nl == nullptr) break;
    const size_t at = static_cast<size_t>(static_cast<const char*>(nl) - b);
    std::string_view before = bytes.substr(0, at);
    if (before.ends_with('\r')) before.remove_suffix(1);
    if (before.ends_with('\n')) return bytes.substr(at + 1);
    n = at;
  }
  return {};
}

std::string_view first_line(std::string_view bytes) noexcept {
  std::string_view line = bytes.substr(0, bytes.find('\n'));
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

}  // namespace

void CallTrace::add(std::string_view call_id, const Endpoint& from, const Endpoint& to, std::string_view start_line, bool sdp) {
  if (call_id.empty()) return;
  if (last_ == nullptr || last_->first != call_id) {
    auto it = by_call_.find(call_id);
    if (it == by_call_.end()) {
      if (by_call_.size() >= max_calls_) {
        // The oldest call's node, Call-ID and buffers, emptied, become the new call's.
        auto node = by_call_.extract(*order_.front());
        order_.pop_front();
        node.key().assign(call_id);
        node.mapped().entries.clear();
        node.mapped().text.clear();
        it = by_call_.insert(std::move(node)).position;
      } else {
        it = by_call_.emplace(std::string(call_id), Ladder{}).first;
      }
      order_.push_back(&it->first);
    }
    last_ = &*it;
  }
  Ladder& ladder = last_->second;
  if (ladder.entries.size() >= kMaxMessages) return;
  ladder.entries.push_back(Entry{clock_.wall_ms(), from, to, static_cast<uint32_t>(ladder.text.size()),
                                 static_cast<uint32_t>(start_line.size()), sdp});
  ladder.text.append(start_line);
}

void CallTrace::received(const Inbound& in) {
  if (max_calls_ == 0) return;
  const parser::Message& m = in.msg;
  add(m.value(parser::HeaderId::CallId), in.source, in.local, first_line(m.bytes()), is_sdp(m.body()));
}

void CallTrace::sent(uint16_t iface, const Endpoint& dest, std::string_view bytes, std::string_view call_id) {
  if (max_calls_ == 0) return;
  add(call_id.empty() ? parser::find_header_value(bytes, "Call-ID", 'i') : call_id, sip_endpoint(interfaces_, iface),
      dest, first_line(bytes), is_sdp(last_part(bytes)));
}

nlohmann::json CallTrace::ladder(std::string_view call_id) const {
  auto it = by_call_.find(call_id);
  if (it == by_call_.end()) return {{"error", "no trace of Call-ID '" + std::string(call_id) + "' (only the last " +
                                               std::to_string(max_calls_) + " Call-IDs are kept)"}};
  nlohmann::json list = nlohmann::json::array();
  const Ladder& ladder = it->second;
  for (const Entry& e : ladder.entries)
    list.push_back({{"time_ms", e.time_ms},
                    {"from", e.from.to_string()},
                    {"to", e.to.to_string()},
                    {"line", ladder.text.substr(e.line_at, e.line_len)},
                    {"sdp", e.sdp}});
  return {{"call_id", std::string(call_id)}, {"messages", list}};
}

}  // namespace sipedge::control
