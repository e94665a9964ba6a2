// parser/sdp.cc — any thread (the control lcore in practice), pure. One pass over the lines of an SDP
// body (RFC 8866 §5, RFC 3605 a=rtcp, RFC 4568 a=crypto, RFC 8839 a=candidate) into fixed arrays of
// views. Never allocates, never throws; a refusal names the line and what was wrong with it.
#include "parser/sdp.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>

#include "parser/header_id.h"  // iequals
#include "parser/value_list.h"  // ByteRun

namespace sipedge::parser {

namespace {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Unsigned decimal of at most `max`; refuses empty input, signs, spaces and overflow.
template <class T>
bool parse_uint(std::string_view s, T& out, uint64_t max = std::numeric_limits<T>::max()) noexcept {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  if (v > max) return false;
  out = static_cast<T>(v);
  return true;
}

// Walks the SP-separated fields of one line value, keeping body offsets. Runs of spaces count as
// one separator: some phones pad fields, and nothing we rewrite depends on the exact separator.
class Fields {
 public:
  Fields(std::string_view s, uint32_t base) noexcept : s_(s), base_(base) {}

  bool next(std::string_view& tok, uint32_t& off) noexcept {
    skip_spaces();
    if (pos_ >= s_.size()) return false;
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ' ') ++pos_;
    tok = s_.substr(start, pos_ - start);
    off = base_ + static_cast<uint32_t>(start);
    return true;
  }
  bool next(std::string_view& tok) noexcept {
    uint32_t off;
    return next(tok, off);
  }
  // Everything after the fields consumed so far, leading spaces skipped ("" when nothing is left).
  std::string_view rest() noexcept {
    skip_spaces();
    return s_.substr(pos_);
  }
  bool done() noexcept {
    skip_spaces();
    return pos_ >= s_.size();
  }

 private:
  void skip_spaces() noexcept {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  std::string_view s_;
  uint32_t base_;
  size_t pos_ = 0;
};

bool valid_ipv4(std::string_view s) noexcept {
  unsigned parts = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    unsigned v = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < 3) v = v * 10 + static_cast<unsigned>(s[i++] - '0');
    if (i == start || v > 255) return false;
    ++parts;
    if (i == s.size()) return parts == 4;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
}

bool valid_ipv6(std::string_view s) noexcept {
  char buf[48];
  if (s.size() < 2 || s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  in6_addr a;
  return inet_pton(AF_INET6, buf, &a) == 1;
}

// FQDN form allowed for unicast addresses (RFC 8866 §5.7, §9 "FQDN").
bool valid_hostname(std::string_view s) noexcept {
  if (s.empty() || s.front() == '.' || s.front() == '-') return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool all_digits_and_dots(std::string_view s) noexcept {
  for (char c : s)
    if (!is_digit(c) && c != '.') return false;
  return true;
}

SdpAddrType addr_type_of(std::string_view nettype, std::string_view addrtype) noexcept {
  if (nettype != "IN") return SdpAddrType::Other;
  if (addrtype == "IP4") return SdpAddrType::IP4;
  if (addrtype == "IP6") return SdpAddrType::IP6;
  return SdpAddrType::Other;
}

bool valid_unicast(SdpAddrType t, std::string_view a) noexcept {
  switch (t) {
    case SdpAddrType::IP4:
      // A dotted quad first: what nearly every SDP carries, read in one pass.
      return valid_ipv4(a) || (!all_digits_and_dots(a) && valid_hostname(a));
    case SdpAddrType::IP6:
      return a.find(':') != std::string_view::npos ? valid_ipv6(a) : valid_hostname(a);
    case SdpAddrType::Other:
      return !a.empty();
  }
  return false;
}

// <connection-address> of c= (RFC 8866 §5.7): unicast, or multicast with /ttl[/count] (IP4) or
// /count (IP6). Returns nullptr or what was wrong.
const char* parse_connection_address(SdpAddrType t, std::string_view tok, uint32_t off,
                                     SdpConnection& c) noexcept {
  const size_t slash = tok.find('/');
  const std::string_view addr = tok.substr(0, slash);
  if (!valid_unicast(t, addr)) return "bad connection address";
  c.addr_type = t;
  c.address = addr;
  c.address_span = SdpSpan{off, static_cast<uint32_t>(addr.size())};
  c.ttl = 0;
  c.count = 1;
  if (slash == std::string_view::npos) return nullptr;
  std::string_view suffix = tok.substr(slash + 1);
  const size_t slash2 = suffix.find('/');
  const std::string_view first = suffix.substr(0, slash2);
  if (t == SdpAddrType::IP4) {
    if (!parse_uint(first, c.ttl)) return "bad multicast TTL";
    if (slash2 != std::string_view::npos && (!parse_uint(suffix.substr(slash2 + 1), c.count) || c.count == 0))
      return "bad multicast address count";
    return nullptr;
  }
  if (slash2 != std::string_view::npos || !parse_uint(first, c.count) || c.count == 0)
    return "bad multicast address count";
  return nullptr;
}

// ptime/maxptime: milliseconds, RFC 8866 §6.4 allows a real number; the fraction is dropped.
bool parse_millis(std::string_view s, std::optional<uint32_t>& out) noexcept {
  const size_t dot = s.find('.');
  uint32_t v;
  if (!parse_uint(s.substr(0, dot), v)) return false;
  if (dot != std::string_view::npos) {
    const std::string_view frac = s.substr(dot + 1);
    if (frac.empty()) return false;
    for (char c : frac)
      if (!is_digit(c)) return false;
  }
  out = v;
  return true;
}

constexpr bool is_sdp_token_char(char c) noexcept {
  // RFC 8866 §9 token-char: printable US-ASCII except SP and the separators "(),/:;<=>?@[\] (the
  // braces, '|' and '~' are token characters).
  return c > 0x20 && c < 0x7f && c != '"' && c != '(' && c != ')' && c != ',' && c != '/' && c != ':' &&
         c != ';' && c != '<' && c != '=' && c != '>' && c != '?' && c != '@' && c != '[' && c != '\\' &&
         c != ']';
}

// The same set as a table, read sixteen bytes a step: media types and attribute names are checked
// on every SDP line that has them.
constexpr ByteRun kSdpTokenRun = ByteRun::of([](unsigned char c) { return is_sdp_token_char(static_cast<char>(c)); });
static_assert(kSdpTokenRun.ascii_only());

bool is_token(std::string_view s) noexcept { return !s.empty() && kSdpTokenRun.skip(s, 0) == s.size(); }

SdpDirection direction_of(std::string_view name) noexcept {
  if (iequals(name, "sendrecv")) return SdpDirection::SendRecv;
  if (iequals(name, "sendonly")) return SdpDirection::SendOnly;
  if (iequals(name, "recvonly")) return SdpDirection::RecvOnly;
  if (iequals(name, "inactive")) return SdpDirection::Inactive;
  return SdpDirection::Unspecified;
}

// RFC 8866 §5 order. Session: v o s i u e p c b (t r) z k a; media: m i c b k a. The rank of a line
// may never be below the rank of the line before it in the same section.
int session_rank(char t) noexcept {
  switch (t) {
    case 'v': return 0;
    case 'o': return 1;
    case 's': return 2;
    case 'i': return 3;
    case 'u': return 4;
    case 'e': return 5;
    case 'p': return 6;
    case 'c': return 7;
    case 'b': return 8;
    case 't':
    case 'r': return 9;
    case 'z': return 10;
    case 'k': return 11;
    case 'a': return 12;
    default: return -1;
  }
}

int media_rank(char t) noexcept {
  switch (t) {
    case 'i': return 1;
    case 'c': return 2;
    case 'b': return 3;
    case 'k': return 4;
    case 'a': return 5;
    default: return -1;
  }
}

// Lines that may appear at most once per section.
bool session_singleton(char t) noexcept {
  return t == 'v' || t == 'o' || t == 's' || t == 'i' || t == 'u' || t == 'c' || t == 'z' || t == 'k';
}
// RFC 8866 allows several media-level c= for layered multicast; an edge that anchors unicast media
// cannot rewrite them consistently, so a second c= in one section is refused.
bool media_singleton(char t) noexcept { return t == 'i' || t == 'c' || t == 'k'; }

}  // namespace

class SdpParser {
 public:
  SdpParser(std::string_view body, Sdp& out) noexcept : body_(body), out_(out) {}

  SdpError run() noexcept {
    reset();
    if (body_.size() > std::numeric_limits<uint32_t>::max() / 2) return fail_body("body too large");
    if (body_.empty()) return fail_body("empty body");
    if (std::memchr(body_.data(), '\0', body_.size()) != nullptr) return fail_body("NUL byte in body");

    size_t pos = 0;
    bool blank_seen = false;
    while (pos < body_.size()) {
      // One scan finds the line's end and any CR in it: a CR is either the CR of the CRLF (or the
      // body's last byte) or a stray one, and then the line ends at the next LF.
      const size_t cr_or_lf = find_first_of3(body_, pos, '\n', '\r', '\n');
      bool stray_cr = false;
      size_t line_end = cr_or_lf;
      if (cr_or_lf < body_.size() && body_[cr_or_lf] == '\r') {
        if (cr_or_lf + 1 == body_.size() || body_[cr_or_lf + 1] == '\n') {
          line_end = cr_or_lf + 1;
        } else {
          stray_cr = true;
          const char* nl = static_cast<const char*>(std::memchr(body_.data() + cr_or_lf, '\n', body_.size() - cr_or_lf));
          line_end = nl ? static_cast<size_t>(nl - body_.data()) : body_.size();
        }
      }
      const size_t next = line_end < body_.size() ? line_end + 1 : body_.size();
      size_t content_end = line_end;
      if (content_end > pos && body_[content_end - 1] == '\r') --content_end;
      if (line_no_ < std::numeric_limits<uint16_t>::max()) ++line_no_;
      line_off_ = static_cast<uint32_t>(pos);
      line_span_ = SdpSpan{line_off_, static_cast<uint32_t>(next - pos)};
      const std::string_view line = body_.substr(pos, content_end - pos);
      pos = next;

      if (line.empty()) {
        blank_seen = true;  // only allowed as trailing padding
        continue;
      }
      line_type_ = line[0];
      if (blank_seen) return fail("empty line inside the description");
      if (stray_cr) return fail("stray CR inside a line");
      if (line.size() < 2 || line[1] != '=') return fail("not a <type>=<value> line");
      std::string_view value = line.substr(2);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      if (const char* why = on_line(line_type_, value, line_off_ + 2)) return fail(why);
    }
    return finish();
  }

 private:
  void reset() noexcept {
    out_.body_ = body_;
    out_.media_count_ = 0;
    out_.attr_count_ = 0;
    out_.session_attr_count_ = 0;
    out_.origin_username = out_.origin_session_id = out_.origin_address = out_.session_name = {};
    out_.origin_version = 0;
    out_.origin_version_span = out_.origin_address_span = SdpSpan{};
    out_.origin_addr_type = SdpAddrType::Other;
    out_.missing_session_name = false;
    out_.connection = SdpConnection{};
    out_.direction = SdpDirection::Unspecified;
    out_.bandwidth_as.reset();
    out_.session_end_off = static_cast<uint32_t>(body_.size());
  }

  SdpError fail(const char* why) const noexcept {
    return SdpError{Fault::BadSdp, why, line_type_, line_no_, line_off_};
  }
  SdpError fail_body(const char* why) const noexcept { return SdpError{Fault::BadSdp, why, 0, 0, 0}; }

  SdpMedia* cur_media() noexcept { return in_media_ ? &out_.media_[out_.media_count_ - 1] : nullptr; }

  // Order and repetition per RFC 8866 §5, then the line itself.
  const char* on_line(char t, std::string_view v, uint32_t voff) noexcept {
    if (line_no_ == 1) {
      if (t != 'v') return "description must start with v=0";
      if (v != "0") return "unsupported SDP version";
      seen_ |= bit(t);
      last_rank_ = 0;
      return nullptr;
    }
    if (t == 'm') return on_media(v, voff);
    const int rank = in_media_ ? media_rank(t) : session_rank(t);
    if (rank < 0) {
      if (session_rank(t) >= 0) return "line type not allowed in a media section";
      return "unknown line type";
    }
    if (rank < last_rank_) return "line out of RFC 8866 order";
    const bool single = in_media_ ? media_singleton(t) : session_singleton(t);
    if (single && (seen_ & bit(t))) return "duplicate line";
    if (t == 'r' && !(seen_ & bit('t'))) return "r= without t=";
    seen_ |= bit(t);
    last_rank_ = rank;
    switch (t) {
      case 'o': return on_origin(v, voff);
      case 's':
        out_.session_name = v;
        return nullptr;
      case 'c': return on_connection(v, voff);
      case 'b': return on_bandwidth(v);
      case 't': return on_timing(v);
      case 'a': return on_attribute(v, voff);
      default: return nullptr;  // i u e p r z k: kept only as bytes; nothing here anchors media
    }
  }

  static uint32_t bit(char t) noexcept { return (t >= 'a' && t <= 'z') ? 1u << (t - 'a') : 0; }

  const char* on_origin(std::string_view v, uint32_t voff) noexcept {
    Fields f(v, voff);
    std::string_view user, sess_id, version, nettype, addrtype, addr;
    uint32_t version_off, addr_off;
    if (!f.next(user) || !f.next(sess_id) || !f.next(version, version_off) || !f.next(nettype) ||
        !f.next(addrtype) || !f.next(addr, addr_off) || !f.done())
      return "o= needs 6 fields";
    if (!parse_uint(version, out_.origin_version)) return "bad o= session version";
    const SdpAddrType t = addr_type_of(nettype, addrtype);
    if (!valid_unicast(t, addr)) return "bad o= address";
    out_.origin_username = user;
    out_.origin_session_id = sess_id;
    out_.origin_version_span = SdpSpan{version_off, static_cast<uint32_t>(version.size())};
    out_.origin_addr_type = t;
    out_.origin_address = addr;
    out_.origin_address_span = SdpSpan{addr_off, static_cast<uint32_t>(addr.size())};
    return nullptr;
  }

  const char* on_connection(std::string_view v, uint32_t voff) noexcept {
    Fields f(v, voff);
    std::string_view nettype, addrtype, addr;
    uint32_t addr_off;
    if (!f.next(nettype) || !f.next(addrtype) || !f.next(addr, addr_off) || !f.done())
      return "c= needs 3 fields";
    SdpMedia* m = cur_media();
    SdpConnection& c = m ? m->connection : out_.connection;
    if (const char* why = parse_connection_address(addr_type_of(nettype, addrtype), addr, addr_off, c)) return why;
    c.present = true;
    c.line = line_span_;
    return nullptr;
  }

  const char* on_bandwidth(std::string_view v) noexcept {
    const size_t colon = v.find(':');
    if (colon == std::string_view::npos || colon == 0) return "b= needs <bwtype>:<bandwidth>";
    const std::string_view type = v.substr(0, colon);
    uint32_t bw;
    if (!parse_uint(v.substr(colon + 1), bw)) return "bad b= bandwidth";
    SdpMedia* m = cur_media();
    // Other types (CT, RR, RS, unknown) are legal and ignored (RFC 8866 §5.8).
    if (type == "AS") {
      (m ? m->bandwidth_as : out_.bandwidth_as) = bw;
    } else if (type == "TIAS" && m) {
      m->bandwidth_tias = bw;
    }
    return nullptr;
  }

  const char* on_timing(std::string_view v) noexcept {
    Fields f(v, 0);
    std::string_view start, stop;
    uint64_t t;
    if (!f.next(start) || !f.next(stop) || !f.done() || !parse_uint(start, t) || !parse_uint(stop, t))
      return "bad t= times";
    return nullptr;
  }

  const char* on_media(std::string_view v, uint32_t voff) noexcept {
    if (const char* why = check_session_complete()) return why;
    if (out_.media_count_ == kMaxSdpMedia) return "too many media sections (max 16)";
    if (!in_media_) {
      out_.session_attr_count_ = out_.attr_count_;
      out_.session_end_off = line_off_;
    } else {
      cur_media()->end_off = line_off_;
    }
    media_line_no_[out_.media_count_] = line_no_;
    SdpMedia& m = out_.media_[out_.media_count_++];
    m = SdpMedia{};
    in_media_ = true;
    seen_ = 0;
    last_rank_ = 0;
    m.line_off = line_off_;
    m.end_off = static_cast<uint32_t>(body_.size());
    m.first_attr = out_.attr_count_;

    Fields f(v, voff);
    std::string_view media, port, proto;
    uint32_t port_off, proto_off;
    if (!f.next(media) || !is_token(media)) return "bad media type";
    if (!f.next(port, port_off)) return "missing port";
    const size_t slash = port.find('/');
    if (!parse_uint(port.substr(0, slash), m.port)) return "bad port";
    m.port_span = SdpSpan{port_off, static_cast<uint32_t>(std::min(slash, port.size()))};
    if (slash != std::string_view::npos && (!parse_uint(port.substr(slash + 1), m.port_count) || m.port_count == 0))
      return "bad port count";
    if (!f.next(proto, proto_off)) return "missing proto";
    m.proto = proto;
    m.proto_span = SdpSpan{proto_off, static_cast<uint32_t>(proto.size())};
    m.media = media;
    m.formats = f.rest();
    if (m.formats.empty()) return "missing formats";
    m.formats_span = SdpSpan{voff + static_cast<uint32_t>(m.formats.data() - v.data()),
                             static_cast<uint32_t>(m.formats.size())};
    if (m.is_rtp()) {
      Fields fmts(m.formats, 0);
      std::string_view pt;
      uint8_t n;
      while (fmts.next(pt))
        if (!parse_uint(pt, n, 127)) return "bad RTP payload type";
    }
    return nullptr;
  }

  const char* on_attribute(std::string_view v, uint32_t voff) noexcept {
    if (out_.attr_count_ == kMaxSdpAttributes) return "too many attributes (max 128)";
    const size_t colon = v.find(':');
    SdpAttribute a;
    a.name = v.substr(0, colon);
    if (!is_token(a.name)) return "bad attribute name";
    a.has_value = colon != std::string_view::npos;
    if (a.has_value) {
      a.value = v.substr(colon + 1);
      a.value_span = SdpSpan{voff + static_cast<uint32_t>(colon + 1), static_cast<uint32_t>(a.value.size())};
    }
    a.line = line_span_;
    out_.attrs_[out_.attr_count_++] = a;
    SdpMedia* m = cur_media();
    if (m) ++m->attr_count;

    const SdpDirection d = a.has_value ? SdpDirection::Unspecified : direction_of(a.name);
    if (d != SdpDirection::Unspecified) {
      SdpDirection& cur = m ? m->direction : out_.direction;
      if (cur != SdpDirection::Unspecified && cur != d) return "conflicting direction attributes";
      cur = d;
      return nullptr;
    }
    if (!m) return nullptr;  // the rest below are media-level attributes
    if (iequals(a.name, "rtcp")) return on_rtcp(*m, a);
    if (iequals(a.name, "rtcp-mux")) {
      m->rtcp_mux = true;
    } else if (iequals(a.name, "ptime")) {
      if (!parse_millis(a.value, m->ptime)) return "bad a=ptime";
    } else if (iequals(a.name, "maxptime")) {
      if (!parse_millis(a.value, m->maxptime)) return "bad a=maxptime";
    }
    return nullptr;
  }

  // a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605 §2.1).
  const char* on_rtcp(SdpMedia& m, const SdpAttribute& a) noexcept {
    if (m.rtcp_port) return "duplicate a=rtcp";
    Fields f(a.value, a.value_span.off);
    std::string_view port, nettype, addrtype, addr;
    uint32_t port_off, addr_off;
    uint16_t p;
    if (!f.next(port, port_off) || !parse_uint(port, p)) return "bad a=rtcp port";
    m.rtcp_port_span = SdpSpan{port_off, static_cast<uint32_t>(port.size())};
    if (f.next(nettype)) {
      if (!f.next(addrtype) || !f.next(addr, addr_off) || !f.done()) return "a=rtcp address needs 3 fields";
      m.rtcp_addr_type = addr_type_of(nettype, addrtype);
      if (!valid_unicast(m.rtcp_addr_type, addr)) return "bad a=rtcp address";
      m.rtcp_address = addr;
      m.rtcp_address_span = SdpSpan{addr_off, static_cast<uint32_t>(addr.size())};
    }
    m.rtcp_port = p;
    m.rtcp_span = a.value_span;
    return nullptr;
  }

  // Session-level lines required before the first m= (or the end): o= and t= (RFC 8866 §5).
  const char* check_session_complete() noexcept {
    if (in_media_) return nullptr;
    if (!(seen_ & bit('v'))) return "description must start with v=0";
    if (!(seen_ & bit('o'))) return "missing o= line";
    if (!(seen_ & bit('t'))) return "missing t= line";
    out_.missing_session_name = !(seen_ & bit('s'));
    return nullptr;
  }

  SdpError finish() noexcept {
    if (!in_media_) {
      if (const char* why = check_session_complete()) return fail_body(why);
      out_.session_attr_count_ = out_.attr_count_;
    }
    // RFC 8866 §5.7: c= at session level or in every media section.
    if (!out_.connection.present) {
      for (uint16_t i = 0; i < out_.media_count_; ++i) {
        const SdpMedia& m = out_.media_[i];
        if (!m.connection.present)
          return SdpError{Fault::BadSdp, "no c= line for this media section", 'm', media_line_no_[i], m.line_off};
      }
    }
    return SdpError{};
  }

  std::string_view body_;
  Sdp& out_;
  uint16_t line_no_ = 0;
  uint32_t line_off_ = 0;
  SdpSpan line_span_;
  char line_type_ = 0;
  bool in_media_ = false;
  uint32_t seen_ = 0;  // type letters seen in the current section
  int last_rank_ = 0;
  std::array<uint16_t, kMaxSdpMedia> media_line_no_{};
};

std::string_view sdp_direction_name(SdpDirection d) noexcept {
  switch (d) {
    case SdpDirection::SendRecv: return "sendrecv";
    case SdpDirection::SendOnly: return "sendonly";
    case SdpDirection::RecvOnly: return "recvonly";
    case SdpDirection::Inactive: return "inactive";
    case SdpDirection::Unspecified: return "";
  }
  return "";
}

bool SdpConnection::is_hold_zero() const noexcept {
  return present && ((addr_type == SdpAddrType::IP4 && address == "0.0.0.0") ||
                     (addr_type == SdpAddrType::IP6 && address == "::"));
}

bool SdpMedia::is_rtp() const noexcept { return proto.find("RTP/") != std::string_view::npos; }

size_t SdpError::format(std::span<char> out) const noexcept {
  if (out.empty()) return 0;
  // The type letter comes from untrusted input and may end up in a reason phrase: only printable
  // ASCII goes out, so a CR or control byte can never inject into the SIP response.
  const char type = (line_type > 0x20 && line_type < 0x7f) ? line_type : '?';
  const int n = line != 0
                    ? std::snprintf(out.data(), out.size(), "SDP line %u (%c=): %.*s", unsigned{line}, type,
                                    static_cast<int>(what.size()), what.data())
                    : std::snprintf(out.data(), out.size(), "SDP: %.*s", static_cast<int>(what.size()), what.data());
  if (n < 0) {
    out[0] = '\0';
    return 0;
  }
  return std::min(static_cast<size_t>(n), out.size() - 1);
}

SdpError parse_sdp_into(std::string_view body, Sdp& out) noexcept { return SdpParser(body, out).run(); }

Result<Sdp, SdpError> parse_sdp(std::string_view body) noexcept {
  Sdp sdp;
  SdpError e = parse_sdp_into(body, sdp);
  if (e.fault != Fault::None) return Err{e};
  return sdp;
}

std::span<const SdpAttribute> Sdp::media_attributes(size_t m) const noexcept {
  if (m >= media_count_) return {};
  return {attrs_.data() + media_[m].first_attr, media_[m].attr_count};
}

namespace {
const SdpAttribute* find_attr(std::span<const SdpAttribute> attrs, std::string_view name) noexcept {
  for (const SdpAttribute& a : attrs)
    if (iequals(a.name, name)) return &a;
  return nullptr;
}
}  // namespace

const SdpAttribute* Sdp::session_attribute(std::string_view name) const noexcept {
  return find_attr(session_attributes(), name);
}

const SdpAttribute* Sdp::media_attribute(size_t m, std::string_view name) const noexcept {
  return find_attr(media_attributes(m), name);
}

const SdpConnection& Sdp::connection_for(size_t m) const noexcept {
  if (m < media_count_ && media_[m].connection.present) return media_[m].connection;
  return connection;
}

SdpDirection Sdp::direction_for(size_t m) const noexcept {
  if (m < media_count_ && media_[m].direction != SdpDirection::Unspecified) return media_[m].direction;
  if (direction != SdpDirection::Unspecified) return direction;
  return SdpDirection::SendRecv;
}

std::optional<SdpRtpmap> parse_sdp_rtpmap(std::string_view value) noexcept {
  Fields f(value, 0);
  std::string_view pt, enc;
  SdpRtpmap r;
  if (!f.next(pt) || !parse_uint(pt, r.payload, 127) || !f.next(enc) || !f.done()) return std::nullopt;
  const size_t s1 = enc.find('/');
  if (s1 == 0 || s1 == std::string_view::npos) return std::nullopt;
  r.encoding = enc.substr(0, s1);
  const std::string_view after = enc.substr(s1 + 1);
  const size_t s2 = after.find('/');
  if (!parse_uint(after.substr(0, s2), r.clock_rate)) return std::nullopt;
  if (s2 != std::string_view::npos) {
    r.channels = after.substr(s2 + 1);
    if (r.channels.empty()) return std::nullopt;
  }
  return r;
}

std::optional<SdpFmtp> parse_sdp_fmtp(std::string_view value) noexcept {
  Fields f(value, 0);
  std::string_view pt;
  SdpFmtp r;
  if (!f.next(pt) || !parse_uint(pt, r.payload, 127)) return std::nullopt;
  r.params = f.rest();
  return r;
}

std::optional<SdpCrypto> parse_sdp_crypto(std::string_view value) noexcept {
  Fields f(value, 0);
  std::string_view tag;
  SdpCrypto r;
  // RFC 4568 §9.1: tag = 1*9DIGIT.
  if (!f.next(tag) || tag.size() > 9 || !parse_uint(tag, r.tag)) return std::nullopt;
  if (!f.next(r.suite) || !is_token(r.suite) || !f.next(r.key_params)) return std::nullopt;
  r.session_params = f.rest();
  return r;
}

std::optional<SdpCandidate> parse_sdp_candidate(std::string_view value, uint32_t value_off) noexcept {
  Fields f(value, value_off);
  std::string_view component, priority, port, typ;
  uint32_t addr_off, port_off;
  SdpCandidate c;
  if (!f.next(c.foundation) || c.foundation.size() > 32 || !f.next(component) ||
      !parse_uint(component, c.component) || c.component == 0 || !f.next(c.transport) ||
      !f.next(priority) || !parse_uint(priority, c.priority) || !f.next(c.address, addr_off) ||
      !f.next(port, port_off) || !parse_uint(port, c.port) || !f.next(typ) || typ != "typ" || !f.next(c.type))
    return std::nullopt;
  c.address_span = SdpSpan{addr_off, static_cast<uint32_t>(c.address.size())};
  c.port_span = SdpSpan{port_off, static_cast<uint32_t>(port.size())};
  c.rest = f.rest();
  // Extensions come as name/value pairs; pick out the related address and port (RFC 8839 §5.1).
  std::string_view name, val;
  while (f.next(name)) {
    if (!f.next(val)) return std::nullopt;
    if (name == "raddr") {
      c.related_address = val;
    } else if (name == "rport") {
      uint16_t rp;
      if (!parse_uint(val, rp)) return std::nullopt;
      c.related_port = rp;
    }
  }
  return c;
}

std::optional<SdpRtpmap> Sdp::rtpmap(size_t m, uint8_t payload) const noexcept {
  for (const SdpAttribute& a : media_attributes(m)) {
    if (!iequals(a.name, "rtpmap")) continue;
    std::optional<SdpRtpmap> r = parse_sdp_rtpmap(a.value);
    if (r && r->payload == payload) return r;
  }
  return std::nullopt;
}

std::optional<SdpFmtp> Sdp::fmtp(size_t m, uint8_t payload) const noexcept {
  for (const SdpAttribute& a : media_attributes(m)) {
    if (!iequals(a.name, "fmtp")) continue;
    std::optional<SdpFmtp> r = parse_sdp_fmtp(a.value);
    if (r && r->payload == payload) return r;
  }
  return std::nullopt;
}

size_t Sdp::candidates(size_t m, std::span<SdpCandidate> out) const noexcept {
  size_t n = 0;
  for (const SdpAttribute& a : media_attributes(m)) {
    if (!iequals(a.name, "candidate")) continue;
    std::optional<SdpCandidate> c = parse_sdp_candidate(a.value, a.value_span.off);
    if (!c) continue;
    if (n < out.size()) out[n] = *c;
    ++n;
  }
  return n;
}

size_t Sdp::cryptos(size_t m, std::span<SdpCrypto> out) const noexcept {
  size_t n = 0;
  for (const SdpAttribute& a : media_attributes(m)) {
    if (!iequals(a.name, "crypto")) continue;
    std::optional<SdpCrypto> c = parse_sdp_crypto(a.value);
    if (!c) continue;
    if (n < out.size()) out[n] = *c;
    ++n;
  }
  return n;
}

size_t Sdp::payload_types(size_t m, std::span<uint8_t> out) const noexcept {
  if (m >= media_count_ || !media_[m].is_rtp()) return 0;
  Fields f(media_[m].formats, 0);
  std::string_view tok;
  size_t n = 0;
  while (f.next(tok)) {
    uint8_t pt;
    if (!parse_uint(tok, pt, 127)) continue;
    if (n < out.size()) out[n] = pt;
    ++n;
  }
  return n;
}

}  // namespace sipedge::parser
