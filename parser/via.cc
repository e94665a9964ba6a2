// parser/via.cc — any thread, pure. One pass over a via-parm (RFC 3261 §20.42, §25.1 via-parm;
// RFC 3581 §3 rport). Never allocates.
#include "parser/via.h"

#include "parser/header_id.h"
#include "parser/params.h"

namespace sipedge::parser {
namespace {

Err<Fault> bad() noexcept { return Err{Fault::BadVia}; }

// Reads a token at `i` into `out`; false when empty.
bool read_token(std::string_view s, size_t& i, std::string_view& out) noexcept {
  size_t e = skip_token(s, i);
  if (e == i) return false;
  out = s.substr(i, e - i);
  i = e;
  return true;
}

// SWS "/" SWS
bool read_slash(std::string_view s, size_t& i) noexcept {
  i = skip_lws(s, i);
  if (i == s.size() || s[i] != '/') return false;
  i = skip_lws(s, i + 1);
  return true;
}

bool parse_small_uint(std::string_view digits, uint32_t limit, uint32_t& out) noexcept {
  if (digits.empty() || digits.size() > 5) return false;
  uint32_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > limit) return false;
  out = v;
  return true;
}

// via-received = IPv4address / IPv6address; RFC 5118 §4.5 peers sometimes bracket the IPv6 one.
bool valid_received(std::string_view v) noexcept {
  if (v.size() >= 2 && v.front() == '[' && v.back() == ']') return is_ipv6(v.substr(1, v.size() - 2));
  return is_ipv4(v) || is_ipv6(v);
}

// via-maddr = host
bool valid_host(std::string_view v) noexcept {
  std::string_view host;
  HostType type;
  return !v.empty() && parse_host_prefix(v, host, type) == v.size();
}

bool valid_branch(std::string_view v) noexcept { return !v.empty() && skip_token(v, 0) == v.size(); }

}  // namespace

Result<Via, Fault> parse_via(std::string_view one_via_value) noexcept {
  const std::string_view s = trim_lws(one_via_value);
  const size_t n = s.size();
  Via via;
  size_t i = 0;
  if (!read_token(s, i, via.protocol_name) || !read_slash(s, i) || !read_token(s, i, via.protocol_version) ||
      !read_slash(s, i) || !read_token(s, i, via.transport)) {
    return bad();
  }
  // sent-protocol LWS sent-by: the LWS is mandatory.
  if (i == n || !is_lws_char(s[i])) return bad();
  i = skip_lws(s, i);
  size_t used = parse_host_prefix(s.substr(i), via.host, via.host_type);
  if (used == 0) return bad();
  i = skip_lws(s, i + used);
  if (i < n && s[i] == ':') {
    i = skip_lws(s, i + 1);
    size_t p = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (!parse_port(s.substr(p, i - p), via.port)) return bad();
    via.has_port = true;
    i = skip_lws(s, i);
  }
  if (i == n) return via;
  if (s[i] != ';') return bad();
  via.params = s.substr(i);

  ParamIterator it(via.params);
  Param p;
  bool seen_branch = false, seen_received = false, seen_maddr = false;
  while (it.next(p)) {
    // First occurrence wins; repeated ones are still validated as generic params.
    if (iequals(p.name, "branch")) {
      if (!p.has_value || !valid_branch(p.value)) return bad();
      if (!seen_branch) via.branch = p.value;
      seen_branch = true;
    } else if (iequals(p.name, "received")) {
      if (!p.has_value || !valid_received(p.value)) return bad();
      if (!seen_received) via.received = p.value;
      seen_received = true;
    } else if (iequals(p.name, "maddr")) {
      if (!p.has_value || !valid_host(p.value)) return bad();
      if (!seen_maddr) via.maddr = p.value;
      seen_maddr = true;
    } else if (iequals(p.name, "rport")) {
      uint32_t v = 0;
      if (p.has_value && !parse_small_uint(p.value, 65535, v)) return bad();
      if (!via.has_rport) {
        via.has_rport = true;
        via.rport_has_value = p.has_value;
        via.rport = static_cast<uint16_t>(v);
      }
    } else if (iequals(p.name, "ttl")) {
      uint32_t v = 0;
      if (!p.has_value || p.value.size() > 3 || !parse_small_uint(p.value, 255, v)) return bad();
      if (!via.has_ttl) {
        via.has_ttl = true;
        via.ttl = static_cast<uint8_t>(v);
      }
    }
  }
  if (it.malformed()) return bad();
  return via;
}

bool ViaList::next(Result<Via, Fault>& out) noexcept {
  std::string_view item;
  if (!items_.next(item)) return false;
  out = parse_via(item);
  return true;
}

Result<Via, Fault> top_via(const Message& msg) noexcept {
  HeaderItems items(msg, HeaderId::Via);
  std::string_view item;
  if (!items.next(item)) return Err{Fault::MissingVia};
  return parse_via(item);
}

}  // namespace sipedge::parser
