// control/dialog/call_table.cc — control lcore only. See call_table.h.
#include "control/dialog/call_table.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include "parser/value_list.h"  // ByteRun

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

std::string CallLeg::route_lines(const std::vector<std::string>& uris) {
  std::string lines;
  for (const std::string& uri : uris) {
    if (!lines.empty()) lines += '\n';
    lines += uri;
  }
  return lines;
}

Call& CallTable::create(std::string_view call_id) {
  const CallRef ref = next_ref_++;
  Call& c = calls_[ref];
  c.ref = ref;
  c.call_id = call_id;
  by_call_id_.emplace(c.call_id.view(), ref);
  return c;
}

Call* CallTable::find(CallRef ref) {
  auto it = calls_.find(ref);
  return it == calls_.end() ? nullptr : &it->second;
}

const Call* CallTable::find(CallRef ref) const {
  auto it = calls_.find(ref);
  return it == calls_.end() ? nullptr : &it->second;
}

std::vector<const Call*> CallTable::find_by_call_id(std::string_view call_id) const {
  std::vector<const Call*> out;
  auto [b, e] = by_call_id_.equal_range(call_id);
  for (auto it = b; it != e; ++it)
    if (const Call* c = find(it->second)) out.push_back(c);
  std::sort(out.begin(), out.end(), [](const Call* a, const Call* b) { return a->ref < b->ref; });
  return out;
}

void CallTable::add_call_id(Call& call, std::string call_id) {
  if (!call.callee.local) call.callee.local = std::make_unique<LocalEnd>();
  call.callee.local->call_id = std::move(call_id);
  by_call_id_.emplace(call.callee.local->call_id, call.ref);
}

void CallTable::erase(CallRef ref) {
  auto it = calls_.find(ref);
  if (it == calls_.end()) return;
  const Call& call = it->second;
  const std::string_view ids[] = {call.call_id.view(),
                                  call.callee.local ? std::string_view(call.callee.local->call_id) : std::string_view()};
  for (const std::string_view id : ids) {
    if (id.empty()) continue;
    auto [b, e] = by_call_id_.equal_range(id);
    for (auto i = b; i != e; ++i) {
      if (i->second == ref) {
        by_call_id_.erase(i);
        break;
      }
    }
  }
  calls_.erase(it);
}

std::vector<CallRef> CallTable::refs() const {
  std::vector<CallRef> out;
  out.reserve(calls_.size());
  for (const auto& [ref, c] : calls_) out.push_back(ref);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// Printable ASCII less '"' and '\\': text JSON takes as it is, checked sixteen bytes a step.
constexpr parser::ByteRun kJsonPlainRun =
    parser::ByteRun::of([](unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
static_assert(kJsonPlainRun.ascii_only());

// A JSON string as nlohmann writes it. Printable ASCII other than '"' and '\\' it writes as is:
// the common case, appended without building a json value; anything else goes through nlohmann.
// URIs come from the wire and need not be UTF-8: bad bytes are replaced rather than thrown on.
void append_json_string(std::string& out, std::string_view s) {
  if (kJsonPlainRun.skip(s, 0) == s.size()) {
    out += '"';
    out.append(s);
    out += '"';
    return;
  }
  const std::string dumped =
      nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out.append(dumped);
}

// Milliseconds as the seconds nlohmann writes for ms / 1000.0: its shortest round-trip form,
// which for a whole number of milliseconds is the three decimals less trailing zeros, never fewer
// than one ("2.509", "3.5", "0.0"). Past 10^15 ms (31 700 years) nlohmann's exponent form is left
// to nlohmann.
void append_ms_as_seconds(std::string& out, uint64_t ms) {
  if (ms >= 1'000'000'000'000'000) {
    out.append(nlohmann::json(static_cast<double>(ms) / 1000.0).dump());
    return;
  }
  const fmt::format_int whole(ms / 1000);
  out.append(std::string_view(whole.data(), whole.size()));
  const unsigned frac = static_cast<unsigned>(ms % 1000);
  const char digits[] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                         static_cast<char>('0' + frac % 10)};
  size_t len = 4;
  while (len > 2 && digits[len - 1] == '0') --len;
  out.append(std::string_view(digits, len));
}

}  // namespace

std::string cdr_json(const Call& call, std::string_view end_reason, const MediaManager::Stats& media) {
  // The line nlohmann would dump for the object of these fields (keys in its alphabetical order,
  // strings escaped and numbers written by nlohmann), without building a map per call: the CDR was
  // an eighth of the control lcore's instructions per call.
  const uint64_t duration_ms = call.answer_ms && call.end_ms >= call.answer_ms ? call.end_ms - call.answer_ms : 0;
  // Written straight into the string returned, room for a whole line reserved once: a buffer
  // copied out at the end cost an allocation and a copy more.
  std::string out;
  out.reserve(512);
  // Keys and numbers appended directly: a format string is parsed again on every format_to.
  auto field = [&](std::string_view key_and_colon, uint64_t value) {
    out.append(key_and_colon);
    const fmt::format_int digits(value);
    out.append(std::string_view(digits.data(), digits.size()));
  };
  auto literal = [&](std::string_view key_and_colon, std::string_view value) {
    out.append(key_and_colon);
    out.append(value);
  };
  auto text = [&](std::string_view key_and_colon, std::string_view value) {
    out.append(key_and_colon);
    append_json_string(out, value);
  };
  field(R"({"answer_ms":)", call.answer_ms);
  literal(R"(,"answered":)", call.answer_ms != 0 ? "true" : "false");
  field(R"(,"bytes_callee_to_caller":)", media.bytes[1]);
  field(R"(,"bytes_caller_to_callee":)", media.bytes[0]);
  text(R"(,"call_id":)", call.call_id);
  text(R"(,"callee":)", call.callee.peer.text().view());
  if (call.callee.local) text(R"(,"callee_call_id":)", call.callee.local->call_id);
  text(R"(,"caller":)", call.caller.peer.text().view());
  out.append(std::string_view(R"(,"duration_s":)"));
  append_ms_as_seconds(out, duration_ms);
  field(R"(,"end_ms":)", call.end_ms);
  text(R"(,"end_reason":)", end_reason);
  field(R"(,"final_status":)", call.final_status);
  text(R"(,"from":)", call.caller.uri());
  field(R"(,"packets_callee_to_caller":)", media.packets[1]);
  field(R"(,"packets_caller_to_callee":)", media.packets[0]);
  field(R"(,"start_ms":)", call.start_ms);
  text(R"(,"to":)", call.callee.uri());
  out += '}';
  return out;
}

}  // namespace sipedge::control
