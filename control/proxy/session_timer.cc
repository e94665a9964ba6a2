// control/proxy/session_timer.cc — control lcore, pure. See session_timer.h.
#include "control/proxy/session_timer.h"

#include <charconv>

#include "parser/headers.h"
#include "parser/params.h"
#include "parser/value_list.h"

namespace sipedge::control {
namespace {

std::optional<uint32_t> delta_seconds(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<SessionExpires> session_expires(const parser::Message& msg) noexcept {
  const parser::HeaderField* h = msg.find(parser::HeaderId::SessionExpires);
  if (h == nullptr) return std::nullopt;
  const std::string_view value = msg.text(h->value);
  const size_t semi = value.find(';');
  auto interval = delta_seconds(value.substr(0, semi));
  if (!interval) return std::nullopt;
  SessionExpires se{*interval, {}};
  if (semi != std::string_view::npos) {
    if (auto r = parser::find_param(value.substr(semi), "refresher")) se.refresher = *r;
  }
  return se;
}

std::optional<uint32_t> min_se(const parser::Message& msg) noexcept {
  const parser::HeaderField* h = msg.find(parser::HeaderId::MinSE);
  if (h == nullptr) return std::nullopt;
  const std::string_view value = msg.text(h->value);
  return delta_seconds(value.substr(0, value.find(';')));
}

bool supports(const parser::Message& msg, std::string_view tag) noexcept {
  for (parser::HeaderId id : {parser::HeaderId::Supported, parser::HeaderId::Require}) {
    for (const parser::HeaderField* h = msg.find(id); h; h = msg.next_same(h)) {
      parser::OptionTags tags(msg.text(h->value));
      std::string_view t;
      while (tags.next(t))
        if (parser::iequals(t, tag)) return true;
    }
  }
  return false;
}

RequestTimerEdit plan_request_timer(const parser::Message& request, const SessionTimerPolicy& policy) noexcept {
  RequestTimerEdit edit;
  const auto se = session_expires(request);
  const uint32_t their_min = min_se(request).value_or(0);
  if (se && se->interval_s < policy.min_se_s) {
    edit.too_small = true;  // §8.1: a proxy MUST NOT pass on an interval below its own minimum
    return edit;
  }
  if (their_min < policy.min_se_s && (se || policy.session_expires_s)) edit.min_se = policy.min_se_s;
  const uint32_t floor = std::max(their_min, policy.min_se_s);
  if (se) {
    edit.interval_s = se->interval_s;
    // A proxy may lower the interval it asks for, never below the minimum anyone set (§8.1).
    if (policy.session_expires_s && se->interval_s > policy.session_expires_s) {
      edit.interval_s = std::max(policy.session_expires_s, floor);
      if (edit.interval_s != se->interval_s) edit.session_expires = edit.interval_s;
    }
  } else if (policy.session_expires_s) {
    edit.interval_s = std::max(policy.session_expires_s, floor);
    edit.session_expires = edit.interval_s;
  }
  return edit;
}

uint32_t plan_response_timer(const parser::Message& response, uint32_t asked_s, bool uac_supports_timer,
                             std::string& insert) {
  insert.clear();
  if (auto se = session_expires(response)) return se->interval_s;
  if (asked_s == 0 || !uac_supports_timer) return 0;
  insert = std::to_string(asked_s) + ";refresher=uac";
  return asked_s;
}

}  // namespace sipedge::control
