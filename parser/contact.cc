// parser/contact.cc — any thread, pure. Contact params (RFC 3261 §20.10, §25.1 contact-params)
// and Route/Record-Route items. Never allocates.
#include "parser/contact.h"

#include "parser/headers.h"
#include "parser/params.h"

namespace sipedge::parser {
namespace {

Err<Fault> bad() noexcept { return Err{Fault::BadContact}; }

// delta-seconds = 1*DIGIT; values beyond 2**32-1 saturate (RFC 3261 §20.19 range).
bool parse_delta_seconds(std::string_view s, uint32_t& out) noexcept {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (v <= 0xffffffffu) v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v > 0xffffffffu ? 0xffffffffu : static_cast<uint32_t>(v);
  return true;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
bool parse_qvalue(std::string_view s, uint16_t& out) noexcept {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return false;
  uint16_t whole = static_cast<uint16_t>(s[0] - '0');
  uint16_t frac = 0;
  if (s.size() > 1) {
    if (s[1] != '.' || s.size() > 5) return false;
    uint16_t scale = 100;
    for (char c : s.substr(2)) {
      if (c < '0' || c > '9') return false;
      frac = static_cast<uint16_t>(frac + (c - '0') * scale);
      scale /= 10;
    }
  }
  if (whole == 1 && frac != 0) return false;
  out = static_cast<uint16_t>(whole * 1000 + frac);
  return true;
}

}  // namespace

Result<Contact, Fault> parse_contact(std::string_view one_contact) noexcept {
  std::string_view s = trim_lws(one_contact);
  Contact c;
  if (s == "*") {
    c.star = true;
    return c;
  }
  auto na = parse_name_addr(s);
  if (!na) return bad();
  c.addr = *na;
  ParamIterator it(c.addr.params);
  Param p;
  while (it.next(p)) {
    if (iequals(p.name, "expires")) {
      uint32_t v;
      if (!p.has_value || !parse_delta_seconds(p.value, v)) return bad();
      if (!c.expires) c.expires = v;
    } else if (iequals(p.name, "q")) {
      uint16_t q;
      if (!p.has_value || !parse_qvalue(p.value, q)) return bad();
      if (!c.q_milli) c.q_milli = q;
    }
  }
  return c;
}

bool ContactList::next(Result<Contact, Fault>& out) noexcept {
  std::string_view item;
  if (!items_.next(item)) return false;
  out = parse_contact(item);
  return true;
}

bool RouteList::next(Result<NameAddr, Fault>& out) noexcept {
  std::string_view item;
  if (!next_text(item)) return false;
  out = read(item);
  return true;
}

bool RouteList::next_text(std::string_view& item) noexcept {
  if (!items_.next(item)) return false;
  // The top entry's parse cache belongs to the first item only.
  if (!first_) top_ = nullptr;
  first_ = false;
  return true;
}

Result<NameAddr, Fault> RouteList::read(std::string_view item) noexcept {
  auto na = top_ != nullptr ? name_addr_cached(msg_, *top_, item, fault_) : parse_name_addr(item);
  if (na && na->bracketed) return na;
  return Err{fault_};
}

}  // namespace sipedge::parser
