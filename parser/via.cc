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
  // "SIP/2.0/" as nearly every Via starts: what the token and slash reads below would find there.
  if (s.starts_with("SIP/2.0/")) {
    via.protocol_name = s.substr(0, 3);
    via.protocol_version = s.substr(4, 3);
    i = skip_lws(s, 8);
    if (!read_token(s, i, via.transport)) return bad();
  } else if (!read_token(s, i, via.protocol_name) || !read_slash(s, i) || !read_token(s, i, via.protocol_version) ||
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
    i = read_port(s, skip_lws(s, i + 1), via.port);
    if (i == std::string_view::npos) return bad();
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
  out = first_ ? top_via(*msg_) : parse_via(item);
  first_ = false;
  return true;
}

namespace {

// The views of a parsed Via as offsets into the message's bytes; false when one lies outside them.
bool index_via(const Via& v, const Message& msg, Message::TopViaIndex& idx) noexcept {
  const std::string_view views[] = {v.protocol_name, v.protocol_version, v.transport, v.host,
                                    v.params,        v.branch,           v.received,  v.maddr};
  for (size_t i = 0; i < std::size(views); ++i)
    if (!msg.span_of(views[i], idx.spans[i])) return false;
  idx.host_type = static_cast<uint8_t>(v.host_type);
  idx.port = v.port;
  idx.has_port = v.has_port;
  idx.has_rport = v.has_rport;
  idx.rport_has_value = v.rport_has_value;
  idx.rport = v.rport;
  idx.has_ttl = v.has_ttl;
  idx.ttl = v.ttl;
  return true;
}

Via via_of(const Message& msg, const Message::TopViaIndex& idx) noexcept {
  auto view = [&](size_t i) { return msg.indexed_text(idx.spans[i]); };
  Via v;
  v.protocol_name = view(0);
  v.protocol_version = view(1);
  v.transport = view(2);
  v.host = view(3);
  v.params = view(4);
  v.branch = view(5);
  v.received = view(6);
  v.maddr = view(7);
  v.host_type = static_cast<HostType>(idx.host_type);
  v.port = idx.port;
  v.has_port = idx.has_port;
  v.has_rport = idx.has_rport;
  v.rport_has_value = idx.rport_has_value;
  v.rport = idx.rport;
  v.has_ttl = idx.has_ttl;
  v.ttl = idx.ttl;
  return v;
}

}  // namespace

Result<Via, Fault> top_via(const Message& msg) noexcept {
  Message::TopViaIndex& idx = msg.top_via_index();
  using State = Message::TopViaIndex::State;
  if (idx.state == State::Parsed) return via_of(msg, idx);
  if (idx.state == State::Failed) return Err{static_cast<Fault>(idx.fault)};
  HeaderItems items(msg, HeaderId::Via);
  std::string_view item;
  Result<Via, Fault> v = items.next(item) ? parse_via(item) : Result<Via, Fault>{Err{Fault::MissingVia}};
  if (!v) {
    idx.state = State::Failed;
    idx.fault = static_cast<uint8_t>(v.error());
  } else if (index_via(*v, msg, idx) && msg.span_of(item, idx.text)) {
    idx.state = State::Parsed;
  }
  return v;
}

std::string_view top_via_text(const Message& msg) noexcept {
  const Message::TopViaIndex& idx = msg.top_via_index();
  // Indexed already: the text without rebuilding the Via.
  if (idx.state == Message::TopViaIndex::State::Unparsed) static_cast<void>(top_via(msg));  // indexes it
  if (idx.state == Message::TopViaIndex::State::Parsed) return msg.text(idx.text);
  HeaderItems items(msg, HeaderId::Via);
  std::string_view item;
  return items.next(item) ? item : std::string_view{};
}

}  // namespace sipedge::parser
