// parser/headers.cc — any thread, pure. Lazy parsers for single header values (RFC 3261 §20, RFC 3262,
// 3515, 3891, 3892, 4028, 5806, 6665): one forward pass each over a string_view of the message.
// Never allocates, never throws; a Fault names the header that broke.
#include "parser/headers.h"

#include <cstring>

#include "parser/params.h"

namespace sipedge::parser {
namespace {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// RFC 3261 §25.1 word: token characters plus the separators Call-IDs are allowed to carry.
constexpr bool is_word_char(char c) noexcept {
  if (is_token_char(c)) return true;
  switch (c) {
    case '(': case ')': case '<': case '>': case ':': case '\\': case '"': case '/': case '[':
    case ']': case '?': case '{': case '}':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) noexcept { return !s.empty() && skip_token(s, 0) == s.size(); }

// Digit strings are accumulated up to this bound and then stop growing, so a value with any number
// of digits is read without overflow; anything >= the bound is "too big" for every caller.
constexpr uint64_t kDigitClamp = uint64_t{1} << 40;

// Reads 1*DIGIT starting at s[i]; returns the index past the digits (== i when there are none).
size_t take_digits(std::string_view s, size_t i, uint64_t& n) noexcept {
  n = 0;
  for (; i < s.size() && is_digit(s[i]); ++i)
    if (n < kDigitClamp) n = n * 10 + static_cast<uint64_t>(s[i] - '0');
  return i;
}

// A value that is exactly 1*DIGIT (surrounding LWS allowed).
bool whole_number(std::string_view value, uint64_t& n) noexcept {
  const std::string_view v = trim_lws(value);
  const size_t end = take_digits(v, 0, n);
  return end != 0 && end == v.size();
}

// delta-seconds, saturating at 2**32-1 (RFC 3261 §20.19).
uint32_t saturate(uint64_t n) noexcept {
  return n > kMaxDeltaSeconds ? kMaxDeltaSeconds : static_cast<uint32_t>(n);
}

// Leading delta-seconds of `value`, then optional ";params". `params` gets the text from the first
// ';' (or ""). False when the digits are missing or something else follows them.
bool delta_then_params(std::string_view value, uint32_t& delta, std::string_view& params) noexcept {
  const std::string_view v = trim_lws(value);
  uint64_t n = 0;
  const size_t end = take_digits(v, 0, n);
  if (end == 0) return false;
  const size_t rest = skip_lws(v, end);
  if (rest < v.size() && v[rest] != ';') return false;
  delta = saturate(n);
  params = v.substr(rest);
  return true;
}

// Text after a leading element ending at `end`: "" or ";...", else false.
bool trailing_params(std::string_view v, size_t end, std::string_view& params) noexcept {
  const size_t rest = skip_lws(v, end);
  if (rest < v.size() && v[rest] != ';') return false;
  params = v.substr(rest);
  return true;
}

}  // namespace

Result<CSeq, Fault> parse_cseq(std::string_view value) noexcept {
  const std::string_view v = trim_lws(value);
  uint64_t n = 0;
  const size_t digits_end = take_digits(v, 0, n);
  if (digits_end == 0) return Err{Fault::BadCSeq};
  // 1*DIGIT LWS Method: the LWS is mandatory, "1INVITE" is not a CSeq.
  const size_t method_begin = skip_lws(v, digits_end);
  if (method_begin == digits_end) return Err{Fault::BadCSeq};
  const size_t method_end = skip_token(v, method_begin);
  if (method_end == method_begin || method_end != v.size()) return Err{Fault::BadCSeq};
  if (n >= kCSeqLimit) return Err{Fault::BadCSeqNumber};
  const std::string_view method = v.substr(method_begin, method_end - method_begin);
  return CSeq{static_cast<uint32_t>(n), method, method_from_token(method)};
}

Result<CSeq, Fault> cseq_of(const Message& msg) noexcept {
  Message::CSeqIndex& idx = msg.cseq_index();
  using State = Message::CSeqIndex::State;
  if (idx.state == State::Parsed) return CSeq{idx.number, msg.indexed_text(idx.method_text), idx.method};
  if (idx.state == State::Failed) return Err{static_cast<Fault>(idx.fault)};
  Result<CSeq, Fault> c = parse_cseq(msg.value(HeaderId::CSeq));
  if (!c) {
    idx.state = State::Failed;
    idx.fault = static_cast<uint8_t>(c.error());
  } else if (msg.span_of(c->method_text, idx.method_text)) {
    idx.number = c->number;
    idx.method = c->method;
    idx.state = State::Parsed;
  }
  return c;
}

Result<uint32_t, Fault> parse_max_forwards(std::string_view value) noexcept {
  uint64_t n = 0;
  if (!whole_number(value, n) || n > 255) return Err{Fault::BadMaxForwards};
  return static_cast<uint32_t>(n);
}

Result<uint32_t, Fault> parse_expires(std::string_view value) noexcept {
  uint64_t n = 0;
  if (!whole_number(value, n)) return Err{Fault::BadExpires};
  return saturate(n);
}

Result<uint32_t, Fault> parse_min_expires(std::string_view value) noexcept {
  uint64_t n = 0;
  if (!whole_number(value, n)) return Err{Fault::BadMinExpires};
  return saturate(n);
}

Result<std::string_view, Fault> parse_call_id(std::string_view value) noexcept {
  const std::string_view v = trim_lws(value);
  const size_t at = v.find('@');
  const std::string_view local = v.substr(0, at);
  const std::string_view host = at == std::string_view::npos ? std::string_view{} : v.substr(at + 1);
  if (local.empty() || (at != std::string_view::npos && host.empty())) return Err{Fault::BadCallId};
  for (char c : local)
    if (!is_word_char(c)) return Err{Fault::BadCallId};
  for (char c : host)  // a second '@' is not a word character either
    if (!is_word_char(c)) return Err{Fault::BadCallId};
  return v;
}

namespace {

// The views of a parsed name-addr as offsets into the message's bytes; false when one lies outside them.
bool index_name_addr(const NameAddr& na, const Message& msg, Message::NameAddrIndex& idx) noexcept {
  const std::string_view views[] = {na.display_name, na.uri_text,   na.params,      na.uri.scheme_text,
                                    na.uri.user,     na.uri.password, na.uri.host, na.uri.params,
                                    na.uri.headers,  na.known_tag.value_or(std::string_view{})};
  for (size_t i = 0; i < std::size(views); ++i)
    if (!msg.span_of(views[i], idx.spans[i])) return false;
  idx.bracketed = na.bracketed;
  idx.scheme = static_cast<uint8_t>(na.uri.scheme);
  idx.has_password = na.uri.has_password;
  idx.host_type = static_cast<uint8_t>(na.uri.host_type);
  idx.port = na.uri.port;
  idx.has_port = na.uri.has_port;
  return true;
}

NameAddr name_addr_of(const Message& msg, const Message::NameAddrIndex& idx) noexcept {
  auto view = [&](size_t i) { return msg.indexed_text(idx.spans[i]); };
  NameAddr na;
  na.display_name = view(0);
  na.uri_text = view(1);
  na.params = view(2);
  na.bracketed = idx.bracketed;
  na.uri.scheme = static_cast<UriScheme>(idx.scheme);
  na.uri.scheme_text = view(3);
  na.uri.user = view(4);
  na.uri.password = view(5);
  na.uri.has_password = idx.has_password;
  na.uri.host = view(6);
  na.uri.host_type = static_cast<HostType>(idx.host_type);
  na.uri.port = idx.port;
  na.uri.has_port = idx.has_port;
  na.uri.params = view(7);
  na.uri.headers = view(8);
  na.known_tag = view(9);
  return na;
}

// From or To, parsed once per message (Message::NameAddrIndex, kept by name_addr_cached).
Result<NameAddr, Fault> party(const Message& msg, HeaderId id, Message::NameAddrIndex& idx, Fault missing,
                              Fault bad) noexcept {
  const HeaderField* h = msg.find(id);
  if (h == nullptr) {
    idx.state = Message::NameAddrIndex::State::Failed;
    idx.fault = static_cast<uint8_t>(missing);
    return Err{missing};
  }
  return name_addr_cached(msg, idx, msg.text(h->value), bad);
}

}  // namespace

Result<NameAddr, Fault> name_addr_cached(const Message& msg, Message::NameAddrIndex& idx, std::string_view text,
                                         Fault bad) noexcept {
  using State = Message::NameAddrIndex::State;
  if (idx.state == State::Parsed) return name_addr_of(msg, idx);
  if (idx.state == State::Failed) return Err{static_cast<Fault>(idx.fault)};
  if (idx.state == State::Tagged && idx.fault != 0) return Err{static_cast<Fault>(idx.fault)};
  Result<NameAddr, Fault> r = parse_name_addr(text);
  if (!r.ok()) {
    if (idx.state != State::Tagged) idx.state = State::Failed;  // a tag read before stays readable
    idx.fault = static_cast<uint8_t>(bad);
    return Err{bad};
  }
  if (index_name_addr(*r, msg, idx)) idx.state = State::Parsed;
  return r;
}

Result<NameAddr, Fault> from_header(const Message& msg) noexcept {
  return party(msg, HeaderId::From, msg.from_index(), Fault::MissingFrom, Fault::BadFrom);
}

Result<NameAddr, Fault> to_header(const Message& msg) noexcept {
  return party(msg, HeaderId::To, msg.to_index(), Fault::MissingTo, Fault::BadTo);
}

namespace {

// The tag alone: the URI is not read (name_addr_tag) until something asks for the name-addr.
Result<std::string_view, Fault> party_tag(const Message& msg, HeaderId id, Message::NameAddrIndex& idx, Fault missing,
                                          Fault bad) noexcept {
  using State = Message::NameAddrIndex::State;
  if (idx.state == State::Failed && idx.fault != static_cast<uint8_t>(bad)) return Err{static_cast<Fault>(idx.fault)};
  // Unread, or found bad whole: a name-addr whose URI alone is bad still has a tag, so the tag
  // accessors answer alike whichever was asked first.
  if (idx.state == State::Unparsed || idx.state == State::Failed) {
    const HeaderField* h = msg.find(id);
    if (h == nullptr) {
      idx.state = State::Failed;
      idx.fault = static_cast<uint8_t>(missing);
      return Err{missing};
    }
    Result<std::string_view, Fault> tag = name_addr_tag(msg.text(h->value));
    if (!tag.ok()) {
      idx.state = State::Failed;
      idx.fault = static_cast<uint8_t>(bad);
      return Err{bad};
    }
    if (!msg.span_of(*tag, idx.spans[9])) return *tag;  // not indexable: as read
    idx.fault = idx.state == State::Failed ? static_cast<uint8_t>(bad) : 0;
    idx.state = State::Tagged;
  }
  const Span tag = idx.spans[9];
  return tag.len == 0 ? std::string_view{} : msg.text(tag);
}

}  // namespace

Result<std::string_view, Fault> from_tag(const Message& msg) noexcept {
  return party_tag(msg, HeaderId::From, msg.from_index(), Fault::MissingFrom, Fault::BadFrom);
}

Result<std::string_view, Fault> to_tag(const Message& msg) noexcept {
  return party_tag(msg, HeaderId::To, msg.to_index(), Fault::MissingTo, Fault::BadTo);
}

Result<Uri, Fault> parsed_request_uri(const Message& msg) noexcept {
  using State = Message::NameAddrIndex::State;
  Message::NameAddrIndex& idx = msg.request_uri_index();
  if (idx.state == State::Parsed) return name_addr_of(msg, idx).uri;
  if (idx.state == State::Failed) return Err{static_cast<Fault>(idx.fault)};
  Result<Uri, Fault> r = parse_uri(msg.request_uri());
  if (!r.ok()) {
    idx.state = State::Failed;
    idx.fault = static_cast<uint8_t>(r.error());
    return r;
  }
  NameAddr na;  // only the URI's spans are kept
  na.uri = *r;
  if (index_name_addr(na, msg, idx)) idx.state = State::Parsed;
  return r;
}

bool TokenList::next(std::string_view& token) noexcept {
  if (malformed_) return false;
  std::string_view item;
  if (!items_.next(item)) return false;
  if (!is_token(item)) {
    malformed_ = true;
    return false;
  }
  token = item;
  return true;
}

bool message_has_option(const Message& msg, HeaderId id, std::string_view tag) noexcept {
  HeaderItems items(msg, id);
  std::string_view item;
  while (items.next(item))
    if (iequals(item, tag)) return true;
  return false;
}

Result<uint32_t, Fault> parse_rseq(std::string_view value) noexcept {
  uint64_t n = 0;
  if (!whole_number(value, n) || n > 0xffffffffu) return Err{Fault::BadRSeq};
  return static_cast<uint32_t>(n);
}

Result<RAck, Fault> parse_rack(std::string_view value) noexcept {
  const Err bad{Fault::BadRAck};
  const std::string_view v = trim_lws(value);
  uint64_t rseq = 0, cseq = 0;
  const size_t rseq_end = take_digits(v, 0, rseq);
  if (rseq_end == 0 || rseq > 0xffffffffu) return bad;
  const size_t cseq_begin = skip_lws(v, rseq_end);
  if (cseq_begin == rseq_end) return bad;
  const size_t cseq_end = take_digits(v, cseq_begin, cseq);
  // CSeq-num is the CSeq of the request being acknowledged: below 2**31 like any CSeq.
  if (cseq_end == cseq_begin || cseq >= kCSeqLimit) return bad;
  const size_t method_begin = skip_lws(v, cseq_end);
  if (method_begin == cseq_end) return bad;
  const size_t method_end = skip_token(v, method_begin);
  if (method_end == method_begin || method_end != v.size()) return bad;
  const std::string_view method = v.substr(method_begin, method_end - method_begin);
  return RAck{static_cast<uint32_t>(rseq), static_cast<uint32_t>(cseq), method,
              method_from_token(method)};
}

Result<SessionExpires, Fault> parse_session_expires(std::string_view value) noexcept {
  const Err bad{Fault::BadSessionExpires};
  SessionExpires out{0, SessionExpires::Refresher::None, {}};
  if (!delta_then_params(value, out.delta, out.params)) return bad;
  ParamIterator it(out.params);
  Param p;
  while (it.next(p)) {
    if (!iequals(p.name, "refresher")) continue;
    // refresher-param = "refresher" EQUAL ("uas" / "uac"); a second, conflicting one would leave
    // both sides believing the other refreshes.
    SessionExpires::Refresher r;
    if (iequals(p.value, "uac"))
      r = SessionExpires::Refresher::Uac;
    else if (iequals(p.value, "uas"))
      r = SessionExpires::Refresher::Uas;
    else
      return bad;
    if (out.refresher != SessionExpires::Refresher::None && out.refresher != r) return bad;
    out.refresher = r;
  }
  if (it.malformed()) return bad;
  return out;
}

Result<uint32_t, Fault> parse_min_se(std::string_view value) noexcept {
  uint32_t delta = 0;
  std::string_view params;
  if (!delta_then_params(value, delta, params) || !params_well_formed(params))
    return Err{Fault::BadMinSE};
  return delta;
}

Result<Event, Fault> parse_event(std::string_view value) noexcept {
  const Err bad{Fault::BadEvent};
  const std::string_view v = trim_lws(value);
  // event-type = event-package *("." event-template), each part a token without '.'.
  const size_t type_end = skip_token(v, 0);
  if (type_end == 0) return bad;
  Event out{v.substr(0, type_end), {}, {}};
  if (out.package.front() == '.' || out.package.back() == '.' ||
      out.package.find("..") != std::string_view::npos)
    return bad;
  if (!trailing_params(v, type_end, out.params)) return bad;
  ParamIterator it(out.params);
  Param p;
  bool have_id = false;
  while (it.next(p)) {
    if (!iequals(p.name, "id")) continue;
    // "id" EQUAL token: it pairs NOTIFYs with one of several subscriptions (RFC 6665 §8.2.1).
    const std::string_view id = unquote(p.value);
    if (!p.has_value || id.empty() || have_id) return bad;
    out.id = id;
    have_id = true;
  }
  if (it.malformed()) return bad;
  return out;
}

Result<NameAddr, Fault> parse_refer_to(std::string_view value) noexcept {
  auto r = parse_name_addr(value);
  if (!r.ok()) return Err{Fault::BadReferTo};
  return r;
}

Result<NameAddr, Fault> parse_referred_by(std::string_view value) noexcept {
  auto r = parse_name_addr(value);
  if (!r.ok()) return Err{Fault::BadReferredBy};
  return r;
}

Result<Replaces, Fault> parse_replaces(std::string_view value) noexcept {
  const Err bad{Fault::BadReplaces};
  const std::string_view v = trim_lws(value);
  size_t id_end = 0;
  while (id_end < v.size() && (is_word_char(v[id_end]) || v[id_end] == '@')) ++id_end;
  auto call_id = parse_call_id(v.substr(0, id_end));
  if (!call_id.ok()) return bad;
  Replaces out{*call_id, {}, {}, false};
  std::string_view params;
  if (!trailing_params(v, id_end, params)) return bad;
  ParamIterator it(params);
  Param p;
  while (it.next(p)) {
    if (iequals(p.name, "early-only")) {
      out.early_only = true;
      continue;
    }
    std::string_view* tag = iequals(p.name, "to-tag")     ? &out.to_tag
                            : iequals(p.name, "from-tag") ? &out.from_tag
                                                          : nullptr;
    if (tag == nullptr) continue;
    // Exactly one of each, each a token (RFC 3891 §6.1): a dialog is matched on all three.
    if (!tag->empty() || !is_token(p.value)) return bad;
    *tag = p.value;
  }
  if (it.malformed() || out.to_tag.empty() || out.from_tag.empty()) return bad;
  return out;
}

Result<Diversion, Fault> parse_diversion(std::string_view one_item) noexcept {
  const Err bad{Fault::BadDiversion};
  auto addr = parse_name_addr(one_item);
  if (!addr.ok()) return bad;
  Diversion out{*addr, {}, std::nullopt, {}, {}};
  // reason, privacy and screen are token or quoted-string; present without a value is malformed.
  struct Field {
    std::string_view name;
    std::string_view* into;
  };
  const Field fields[] = {
      {"reason", &out.reason}, {"privacy", &out.privacy}, {"screen", &out.screen}};
  for (const Field& f : fields) {
    auto v = out.addr.param(f.name);
    if (!v) continue;
    *f.into = unquote(*v);
    if (f.into->empty()) return bad;
  }
  // diversion-counter = "counter" EQUAL 1*2DIGIT; longer digit strings are tolerated while they fit.
  if (auto c = out.addr.param("counter")) {
    uint64_t n = 0;
    if (!whole_number(*c, n) || n > 0xffffffffu) return bad;
    out.counter = static_cast<uint32_t>(n);
  }
  return out;
}

bool ContentType::is(std::string_view t, std::string_view s) const noexcept {
  return iequals(type, t) && iequals(subtype, s);
}

Result<ContentType, Fault> parse_content_type(std::string_view value) noexcept {
  const Err bad{Fault::BadContentType};
  const std::string_view v = trim_lws(value);
  const size_t type_end = skip_token(v, 0);
  if (type_end == 0) return bad;
  // SLASH = SWS "/" SWS
  size_t i = skip_lws(v, type_end);
  if (i == v.size() || v[i] != '/') return bad;
  const size_t sub_begin = skip_lws(v, i + 1);
  const size_t sub_end = skip_token(v, sub_begin);
  if (sub_end == sub_begin) return bad;
  ContentType out{v.substr(0, type_end), v.substr(sub_begin, sub_end - sub_begin), {}};
  if (!trailing_params(v, sub_end, out.params) || !params_well_formed(out.params)) return bad;
  return out;
}

std::string_view find_header_value(std::string_view message, std::string_view name, char compact) noexcept {
  // One memchr a line; a line whose first byte cannot start the name is passed without a look.
  const char name_first = name.empty() ? '\0' : static_cast<char>(name.front() | 0x20);
  const char compact_first = compact == 0 ? '\0' : static_cast<char>(compact | 0x20);
  const char* const end = message.data() + message.size();
  const char* p = static_cast<const char*>(std::memchr(message.data(), '\n', message.size()));  // past the start line
  while (p != nullptr && ++p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    std::string_view line(p, static_cast<size_t>((nl ? nl : end) - p));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return {};  // the blank line: the body follows
    p = nl;
    const char first = static_cast<char>(line.front() | 0x20);
    if (first != name_first && first != compact_first) continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view field = line.substr(0, colon);
    while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
    const bool is_compact = compact != 0 && field.size() == 1 && (field[0] | 0x20) == (compact | 0x20);
    if (!is_compact && !iequals(field, name)) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    return value;
  }
  return {};
}

}  // namespace sipedge::parser
