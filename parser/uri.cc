// parser/uri.cc — any thread, pure. One forward pass over a URI (RFC 3261 §19.1, §25; RFC 3966;
// RFC 4291 §2.2 for IPv6 text). Never allocates; every output is a view of the input.
#include "parser/uri.h"

#include <array>
#include <cstring>

#include "parser/header_id.h"
#include "parser/params.h"
#include "parser/value_list.h"

namespace sipedge::parser {
namespace {

constexpr std::string_view kUnreservedMarks = "-_.!~*'()";

constexpr std::array<bool, 256> make_table(std::string_view extra) {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : kUnreservedMarks) t[static_cast<unsigned char>(c)] = true;
  for (char c : extra) t[static_cast<unsigned char>(c)] = true;
  return t;
}

// user = 1*( unreserved / escaped / user-unreserved ); '#' tolerated (phones send "*67#" raw).
constexpr ByteRun kUserRun{make_table("&=+$,;?/#")};
// password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
constexpr ByteRun kPasswordRun{make_table("&=+$,")};
// headers = hname "=" hvalue *( "&" ... ), hnv-unreserved = "[]/?:+$"; '@' tolerated because
// Refer-To/Replaces embeddings often leave it unescaped.
constexpr ByteRun kHeaderRun{make_table("[]/?:+$=&@")};
// absoluteURI: uric = reserved / unreserved / escaped, plus '#' fragments and '[' ']' of IPv6
// authorities seen in http/urn URIs of Call-Info and friends.
constexpr ByteRun kUricRun{make_table(";/?:@&=+$,#[]")};
static_assert(kUserRun.ascii_only() && kPasswordRun.ascii_only() && kHeaderRun.ascii_only() && kUricRun.ascii_only());
static_assert(!kUserRun.contains('%') && !kPasswordRun.contains('%') && !kHeaderRun.contains('%') && !kUricRun.contains('%'));

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) noexcept { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
constexpr bool is_alnum(char c) noexcept { return is_digit(c) || is_alpha(c); }
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  char l = static_cast<char>(c | 0x20);
  if (l >= 'a' && l <= 'f') return l - 'a' + 10;
  return -1;
}
constexpr bool is_hex(char c) noexcept { return hex_value(c) >= 0; }

// What each byte can be in a host name or IPv4 address; 0 for bytes that end the host.
constexpr uint8_t kDigit = 1, kLetter = 2, kMark = 4, kDot = 8;  // kMark: '-' or '_'
constexpr std::array<uint8_t, 256> kHostClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kLetter;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kLetter;
  t['-'] = t['_'] = kMark;
  t['.'] = kDot;
  return t;
}();

// Every byte is in `table`, and every '%' starts a valid escape. `allow_empty` for *( ... ) rules.
// `run` holds no '%': each byte it stops at must start an escape.
bool valid_escaped(std::string_view s, const ByteRun& run, bool allow_empty) noexcept {
  if (s.empty()) return allow_empty;
  for (size_t i = run.skip(s, 0); i < s.size(); i = run.skip(s, i + 3))
    if (s[i] != '%' || i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
  return true;
}

bool valid_scheme(std::string_view s) noexcept {
  if (s.empty() || !is_alpha(s[0])) return false;
  for (char c : s.substr(1)) {
    if (!is_alnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// RFC 3966 telephone-subscriber number part: global-number-digits ("+" then phonedigits with at
// least one DIGIT) or local-number-digits (phonedigit-hex with at least one HEXDIG, '*' or '#').
bool valid_tel_number(std::string_view s) noexcept {
  if (s.empty()) return false;
  bool global = s[0] == '+';
  bool has_digit = false;
  for (size_t i = global ? 1 : 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '-' || c == '.' || c == '(' || c == ')') continue;  // visual-separator
    if (is_digit(c) || (!global && (is_hex(c) || c == '*' || c == '#'))) {
      has_digit = true;
      continue;
    }
    return false;
  }
  return has_digit;
}

bool has_lws(std::string_view s) noexcept {
  for (char c : s) {
    if (is_lws_char(c)) return true;
  }
  return false;
}

Err<Fault> bad_uri() noexcept { return Err{Fault::BadUri}; }

Result<Uri, Fault> parse_sip_uri(Uri& uri, std::string_view rest) noexcept {
  std::string_view hostport = rest;
  size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    size_t colon = userinfo.find(':');
    uri.user = userinfo.substr(0, colon);
    if (!valid_escaped(uri.user, kUserRun, false)) return bad_uri();
    if (colon != std::string_view::npos) {
      uri.password = userinfo.substr(colon + 1);
      uri.has_password = true;
      if (!valid_escaped(uri.password, kPasswordRun, true)) return bad_uri();
    }
    hostport = rest.substr(at + 1);
  }
  size_t i = parse_host_prefix(hostport, uri.host, uri.host_type);
  if (i == 0) return bad_uri();
  const size_t n = hostport.size();
  if (i < n && hostport[i] == ':') {
    i = read_port(hostport, i + 1, uri.port);
    if (i == std::string_view::npos) return bad_uri();
    uri.has_port = true;
  }
  if (i < n && hostport[i] == ';') {
    size_t q = hostport.find('?', i);
    if (q == std::string_view::npos) q = n;
    uri.params = hostport.substr(i, q - i);
    if (has_lws(uri.params) || !params_well_formed(uri.params)) return bad_uri();
    i = q;
  }
  if (i < n && hostport[i] == '?') {
    uri.headers = hostport.substr(i + 1);
    if (!valid_escaped(uri.headers, kHeaderRun, false)) return bad_uri();
    i = n;
  }
  if (i != n) return bad_uri();
  return uri;
}

Result<Uri, Fault> parse_tel_uri(Uri& uri, std::string_view rest) noexcept {
  size_t semi = rest.find(';');
  uri.user = rest.substr(0, semi);
  if (!valid_tel_number(uri.user)) return bad_uri();
  if (semi != std::string_view::npos) {
    uri.params = rest.substr(semi);
    if (has_lws(uri.params) || !params_well_formed(uri.params)) return bad_uri();
  }
  return uri;
}

}  // namespace

std::optional<std::string_view> Uri::param(std::string_view name) const noexcept {
  return find_param(params, name);
}

std::string_view Uri::transport() const noexcept { return param("transport").value_or(std::string_view{}); }

bool Uri::lr() const noexcept { return param("lr").has_value(); }

bool is_ipv4(std::string_view s) noexcept {
  unsigned parts = 0;
  size_t i = 0;
  const size_t n = s.size();
  while (true) {
    unsigned value = 0;
    size_t start = i;
    while (i < n && is_digit(s[i]) && i - start < 3) value = value * 10 + static_cast<unsigned>(s[i++] - '0');
    if (i == start || value > 255) return false;
    ++parts;
    if (i == n) return parts == 4;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
}

bool is_ipv6(std::string_view s) noexcept {
  const size_t n = s.size();
  size_t i = 0;
  unsigned groups = 0;
  bool compressed = false;
  if (n >= 2 && s[0] == ':' && s[1] == ':') {
    compressed = true;
    i = 2;
    if (i == n) return true;
  } else if (n == 0 || s[0] == ':') {
    return false;
  }
  while (true) {
    size_t start = i;
    while (i < n && is_hex(s[i])) ++i;
    if (i < n && s[i] == '.') {
      // Embedded IPv4 in the last 32 bits ("::ffff:192.0.2.1").
      if (!is_ipv4(s.substr(start))) return false;
      groups += 2;
      break;
    }
    if (i == start || i - start > 4) return false;
    ++groups;
    if (i == n) break;
    if (s[i] != ':') return false;
    ++i;
    if (i == n) return false;  // a single trailing ':'
    if (s[i] == ':') {
      if (compressed) return false;  // at most one "::"
      compressed = true;
      ++i;
      if (i == n) break;
    }
    if (groups >= 8) return false;
  }
  return compressed ? groups <= 7 : groups == 8;
}

bool is_hostname(std::string_view s) noexcept {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);  // fully qualified form "example.com."
  if (s.empty()) return false;
  const size_t n = s.size();
  size_t label_start = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t k = kHostClass[static_cast<unsigned char>(s[i])];
    if (k == kDot) {
      if (i == label_start || s[label_start] == '-' || s[i - 1] == '-') return false;  // empty or '-' at an end
      label_start = i + 1;
    } else if (k == 0) {
      return false;
    }
  }
  if (label_start == n || s[label_start] == '-' || s[n - 1] == '-') return false;
  return is_alpha(s[label_start]);  // toplabel starts with ALPHA
}

namespace {

// A host name of at most 64 bytes as bit masks, bit i for byte i: the label rules then are a few
// shifts and ands instead of a branch per byte.
struct HostMasks {
  size_t len = 0;  // bytes of the host: it ends at the first byte kHostClass gives 0
  uint64_t dot = 0, dash = 0, letter = 0;
};

constexpr ByteRun kHostRun = ByteRun::of([](unsigned char c) { return kHostClass[c] != 0; });
static_assert(kHostRun.ascii_only());

// False when the host runs past 64 bytes.
bool read_host_masks(std::string_view text, HostMasks& m) noexcept {
  constexpr size_t kMax = 64;
  const size_t n = text.size();
#if defined(__SSSE3__)
  // Sixteen bytes a step. Most hosts end their text (a URI's), short of sixteen bytes: those are
  // copied into a zeroed block first, never read past the text's end. A zero is no host byte.
  for (size_t i = 0; i < kMax; i += 16) {
    __m128i b;
    if (n - i >= 16) {
      b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    } else {
      alignas(16) char tail[16] = {};
      std::memcpy(tail, text.data() + i, n - i);
      b = _mm_load_si128(reinterpret_cast<const __m128i*>(tail));
    }
    const auto bits = [](__m128i eq) { return static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(eq))); };
    const unsigned stop = ~kHostRun.members16(b) & 0xffffu;
    const uint64_t keep = stop == 0 ? 0xffffu : (uint64_t{1} << __builtin_ctz(stop)) - 1;
    // Signed compares: bytes from 0x80 are negative and fall outside both ranges.
    const __m128i folded = _mm_or_si128(b, _mm_set1_epi8(0x20));
    m.dot |= (bits(_mm_cmpeq_epi8(b, _mm_set1_epi8('.'))) & keep) << i;
    m.dash |= (bits(_mm_cmpeq_epi8(b, _mm_set1_epi8('-'))) & keep) << i;
    m.letter |= (bits(_mm_and_si128(_mm_cmpgt_epi8(folded, _mm_set1_epi8('a' - 1)),
                                    _mm_cmplt_epi8(folded, _mm_set1_epi8('z' + 1)))) &
                 keep)
                << i;
    if (stop != 0) {
      m.len = i + static_cast<size_t>(__builtin_ctz(stop));
      return true;
    }
  }
  if (n > kMax && kHostClass[static_cast<unsigned char>(text[kMax])] != 0) return false;
  m.len = kMax;
  return true;
#else
  size_t i = 0;
  for (; i < n && i < kMax; ++i) {
    const uint8_t k = kHostClass[static_cast<unsigned char>(text[i])];
    if (k == 0) break;
    const uint64_t bit = uint64_t{1} << i;
    if (k == kDot) m.dot |= bit;
    if (k == kLetter) m.letter |= bit;
    if (text[i] == '-') m.dash |= bit;
  }
  if (i == kMax && i < n && kHostClass[static_cast<unsigned char>(text[i])] != 0) return false;
  m.len = i;
  return true;
#endif
}

// hostname = *( domainlabel "." ) toplabel [ "." ]: no empty label, no label that starts or ends
// with '-', and the top label starts with a letter.
bool labels_valid(const HostMasks& m) noexcept {
  const uint64_t last = uint64_t{1} << (m.len - 1);
  const bool rooted = (m.dot & last) != 0;
  const uint64_t starts = m.dot << 1 | 1;
  if ((starts & m.dot) != 0) return false;  // an empty label
  if ((m.dash & (starts | m.dot >> 1 | (rooted ? 0 : last))) != 0) return false;  // '-' at a label's end
  const uint64_t inner_dots = m.dot & ~(rooted ? last : 0);
  const unsigned top = inner_dots == 0 ? 0u : 64u - static_cast<unsigned>(__builtin_clzll(inner_dots));
  return (m.letter >> top & 1) != 0;
}

// IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each at most 255. The length of
// the one `text` starts with when no host byte follows it, else 0: then the host is no address (a
// name, or nothing valid) and the mask pass reads it as a name. Most hosts a proxy reads are
// addresses; this reads one in a single pass with no block copy or masks.
size_t dotted_quad_prefix(std::string_view text) noexcept {
  const char* p = text.data();
  const char* const end = p + text.size();
  // The digit at q, or 10 at the end of the text and for any other byte.
  const auto digit = [end](const char* q) {
    return q != end ? static_cast<unsigned>(static_cast<unsigned char>(*q)) - unsigned{'0'} : 10u;
  };
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (p == end || *p != '.') return 0;
      ++p;
    }
    unsigned d = digit(p);
    if (d > 9) return 0;
    unsigned value = d;
    ++p;
    if ((d = digit(p)) <= 9) {
      value = value * 10 + d;
      ++p;
      if ((d = digit(p)) <= 9) {
        value = value * 10 + d;
        ++p;
        if (value > 255 || digit(p) <= 9) return 0;
      }
    }
  }
  if (p != end && kHostClass[static_cast<unsigned char>(*p)] != 0) return 0;
  return static_cast<size_t>(p - text.data());
}

// Hosts past 64 bytes: the byte at a time pass, checking the labels a dot ends as it goes.
size_t parse_long_host(std::string_view text, std::string_view& host, HostType& type) noexcept {
  const size_t i = kHostRun.skip(text, 0);
  const std::string_view h = text.substr(0, i);
  if (!is_hostname(h)) return 0;  // too long for a dotted quad
  type = HostType::Name;
  host = h;
  return i;
}

}  // namespace

size_t parse_host_prefix(std::string_view text, std::string_view& host, HostType& type) noexcept {
  if (text.empty()) return 0;
  if (text[0] == '[') {
    size_t close = text.find(']', 1);
    if (close == std::string_view::npos) return 0;
    std::string_view inner = text.substr(1, close - 1);
    if (!is_ipv6(inner)) return 0;
    host = inner;
    type = HostType::IPv6;
    return close + 1;
  }
  if (const size_t quad = dotted_quad_prefix(text)) {
    host = text.substr(0, quad);
    type = HostType::IPv4;
    return quad;
  }
  HostMasks m;
  if (!read_host_masks(text, m)) return parse_long_host(text, host, type);
  if (m.len == 0) return 0;
  if (!labels_valid(m)) return 0;
  type = HostType::Name;
  host = text.substr(0, m.len);
  return m.len;
}

size_t read_port(std::string_view s, size_t pos, uint16_t& port) noexcept {
  size_t i = pos;
  uint32_t v = 0;
  // At most six digits are read: five are a port's most, a sixth makes it bad.
  while (i < s.size() && i - pos < 6 && is_digit(s[i])) v = v * 10 + static_cast<uint32_t>(s[i++] - '0');
  if (i == pos || i - pos > 5 || v > 65535) return std::string_view::npos;
  port = static_cast<uint16_t>(v);
  return i;
}

Result<Uri, Fault> parse_uri(std::string_view text) noexcept {
  // "sip:" in any case: nearly every URI a proxy reads, its scheme known without the search below.
  if (text.size() > 4 && (text[0] | 0x20) == 's' && (text[1] | 0x20) == 'i' && (text[2] | 0x20) == 'p' &&
      text[3] == ':') {
    Uri uri;
    uri.scheme_text = text.substr(0, 3);
    uri.scheme = UriScheme::Sip;
    return parse_sip_uri(uri, text.substr(4));
  }
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return bad_uri();
  Uri uri;
  uri.scheme_text = text.substr(0, colon);
  if (!valid_scheme(uri.scheme_text)) return bad_uri();
  std::string_view rest = text.substr(colon + 1);
  if (iequals(uri.scheme_text, "sip")) {
    uri.scheme = UriScheme::Sip;
    return parse_sip_uri(uri, rest);
  }
  if (iequals(uri.scheme_text, "sips")) {
    uri.scheme = UriScheme::Sips;
    return parse_sip_uri(uri, rest);
  }
  if (iequals(uri.scheme_text, "tel")) {
    uri.scheme = UriScheme::Tel;
    return parse_tel_uri(uri, rest);
  }
  uri.scheme = UriScheme::Other;
  uri.user = rest;
  if (!valid_escaped(rest, kUricRun, false)) return bad_uri();
  return uri;
}

int unescape(std::string_view in, std::span<char> out) noexcept {
  size_t w = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return -1;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return -1;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (w == out.size()) return -1;
    out[w++] = c;
  }
  return static_cast<int>(w);
}

namespace {

// Yields the unescaped bytes of a %-escaped string one by one.
class Unescaper {
 public:
  explicit Unescaper(std::string_view s) noexcept : s_(s) {}
  bool done() const noexcept { return i_ >= s_.size(); }
  // Next byte; -1 on a bad escape.
  int next() noexcept {
    char c = s_[i_++];
    if (c != '%') return static_cast<unsigned char>(c);
    if (i_ + 1 >= s_.size()) {
      i_ = s_.size();
      return -1;
    }
    int hi = hex_value(s_[i_]), lo = hex_value(s_[i_ + 1]);
    i_ += 2;
    if (hi < 0 || lo < 0) return -1;
    return hi * 16 + lo;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

bool user_equals(std::string_view escaped_a, std::string_view escaped_b) noexcept {
  Unescaper a(escaped_a), b(escaped_b);
  while (!a.done() && !b.done()) {
    int x = a.next(), y = b.next();
    if (x < 0 || y < 0 || x != y) return false;
  }
  return a.done() && b.done();
}

}  // namespace sipedge::parser
