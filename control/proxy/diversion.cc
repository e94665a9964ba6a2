// control/proxy/diversion.cc — control lcore, pure. See diversion.h.
#include "control/proxy/diversion.h"

#include <charconv>

#include "parser/header_id.h"
#include "parser/headers.h"
#include "parser/name_addr.h"
#include "parser/value_list.h"

namespace sipedge::control {

std::string_view diversion_reason_text(DiversionReason r) noexcept {
  switch (r) {
    case DiversionReason::UserBusy: return "user-busy";
    case DiversionReason::NoAnswer: return "no-answer";
    case DiversionReason::Unconditional: return "unconditional";
  }
  return "unknown";
}

uint16_t diversion_cause(DiversionReason r) noexcept {
  switch (r) {
    case DiversionReason::UserBusy: return 486;
    case DiversionReason::NoAnswer: return 408;
    case DiversionReason::Unconditional: return 302;
  }
  return 404;
}

uint32_t diversion_count(const parser::Message& msg) {
  uint32_t total = 0;
  parser::HeaderItems items(msg, parser::HeaderId::Diversion);
  std::string_view item;
  while (items.next(item)) {
    uint32_t n = 1;
    if (auto na = parser::parse_name_addr(item)) {
      if (auto c = na->param("counter")) {
        uint32_t v = 0;
        auto [end, ec] = std::from_chars(c->data(), c->data() + c->size(), v);
        if (ec == std::errc() && end == c->data() + c->size() && v > 0) n = v;
      }
    }
    total = total > UINT32_MAX - n ? UINT32_MAX : total + n;
  }
  return total;
}

std::string diversion_entry(std::string_view diverting_uri, DiversionReason r) {
  return "<" + std::string(diverting_uri) + ">;reason=" + std::string(diversion_reason_text(r)) + ";counter=1";
}

namespace {

// The reason text of a cause, %-escaped for a URI header (RFC 3261 §19.1.1 hnv-unreserved).
std::string_view escaped_reason(DiversionReason r) {
  switch (r) {
    case DiversionReason::UserBusy: return "SIP%3Bcause%3D486%3Btext%3D%22Busy%20Here%22";
    case DiversionReason::NoAnswer: return "SIP%3Bcause%3D408%3Btext%3D%22Request%20Timeout%22";
    case DiversionReason::Unconditional: return "SIP%3Bcause%3D302%3Btext%3D%22Moved%20Temporarily%22";
  }
  return "SIP%3Bcause%3D480";
}

// The index= of the last History-Info entry of `msg`, "" when it has none.
std::string last_history_index(const parser::Message& msg) {
  std::string last;
  for (const parser::HeaderField& h : msg.headers()) {
    if (h.id != parser::HeaderId::Other || !parser::iequals(msg.text(h.name), "History-Info")) continue;
    parser::CommaItems items(msg.text(h.value));
    std::string_view item;
    while (items.next(item)) {
      if (auto na = parser::parse_name_addr(item)) {
        if (auto idx = na->param("index")) last = std::string(*idx);
      }
    }
  }
  return last;
}

}  // namespace

std::string history_info_entries(const parser::Message& msg, std::string_view from_uri, std::string_view to_uri,
                                 DiversionReason r) {
  const std::string cause = ";cause=" + std::to_string(diversion_cause(r));
  const std::string last = last_history_index(msg);
  if (!last.empty()) return "<" + std::string(to_uri) + cause + ">;index=" + last + ".1;mp=" + last;
  return "<" + std::string(from_uri) + "?Reason=" + std::string(escaped_reason(r)) + ">;index=1, <" + std::string(to_uri) +
         cause + ">;index=1.1;mp=1";
}

}  // namespace sipedge::control
