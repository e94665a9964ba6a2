// parser/auth.cc — any thread, pure. One left-to-right pass over a credentials/challenge value
// (RFC 3261 §25.1 auth-param grammar, RFC 2617 §3.2, RFC 7616, RFC 8760). No allocation, no throw.
#include "parser/auth.h"

#include <array>
#include <cstdint>

#include "parser/header_id.h"
#include "parser/value_list.h"

namespace sipedge::parser {
namespace {

constexpr bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The parameters AuthParams keeps, with the field each one fills. Names are the RFC 2617/7616
// spellings; matching is case-insensitive (RFC 3261 §7.3.1).
struct Known {
  std::string_view name;
  std::string_view AuthParams::*field;
};

constexpr Known kKnown[] = {
    {"username", &AuthParams::username}, {"realm", &AuthParams::realm},
    {"nonce", &AuthParams::nonce},       {"uri", &AuthParams::uri},
    {"response", &AuthParams::response}, {"algorithm", &AuthParams::algorithm},
    {"cnonce", &AuthParams::cnonce},     {"opaque", &AuthParams::opaque},
    {"qop", &AuthParams::qop},           {"nc", &AuthParams::nc},
    {"stale", &AuthParams::stale},       {"domain", &AuthParams::domain},
    {"userhash", &AuthParams::userhash},
};
static_assert(sizeof(kKnown) / sizeof(kKnown[0]) <= 32, "seen-mask is 32 bits");

// Bytes a quoted-string holds as they are: anything but DQUOTE, backslash and control characters
// other than LWS. The loop below skips runs of their ASCII part sixteen bytes a step (a digest's
// nonce, response and cnonce are long hex runs) and of the rest a byte at a time.
constexpr std::array<bool, 256> kPlainQuoted = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[c] = c != '"' && c != '\\' && c != 0x7f && (c >= 0x20 || is_lws_char(static_cast<char>(c)));
  return t;
}();
constexpr ByteRun kPlainQuotedAscii{[] {
  std::array<bool, 256> t = kPlainQuoted;
  for (int c = 0x80; c < 256; ++c) t[c] = false;
  return t;
}()};
static_assert(kPlainQuotedAscii.ascii_only());

// Scans a quoted-string starting at the opening DQUOTE s[i]. On success `end` is one past the
// closing DQUOTE. Stricter than skip_quoted because these bytes feed the digest computation: fails
// on a missing closing quote, a dangling backslash, a quoted CR/LF/non-ASCII byte, or a control
// character other than LWS (RFC 3261 §25.1 qdtext / quoted-pair).
bool scan_quoted(std::string_view s, size_t i, size_t& end) noexcept {
  for (size_t j = i + 1; j < s.size(); ++j) {
    for (j = kPlainQuotedAscii.skip(s, j); j < s.size() && kPlainQuoted[static_cast<unsigned char>(s[j])];)
      j = kPlainQuotedAscii.skip(s, j + 1);
    if (j == s.size()) return false;
    const auto c = static_cast<unsigned char>(s[j]);
    if (c == '"') {
      end = j + 1;
      return true;
    }
    if (c == '\\') {
      // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
      if (j + 1 >= s.size()) return false;
      const auto e = static_cast<unsigned char>(s[j + 1]);
      if (e == '\n' || e == '\r' || e > 0x7f) return false;
      ++j;
      continue;
    }
    if ((c < 0x20 && !is_lws_char(static_cast<char>(c))) || c == 0x7f) return false;
  }
  return false;
}

// The auth-params of a value one at a time, left to right: parse_auth reads them all,
// find_auth_param stops at the one it wants.
class AuthParamReader {
 public:
  enum class Step { Param, End, Bad };

  explicit AuthParamReader(std::string_view value) noexcept : s_(value) {}

  // The auth-scheme; false when there is none or no LWS and parameter after it.
  bool scheme(std::string_view& out) noexcept {
    size_t i = skip_lws(s_, 0);
    const size_t scheme_end = skip_token(s_, i);
    if (scheme_end == i) return false;
    out = s_.substr(i, scheme_end - i);
    // auth-scheme LWS auth-param: at least one parameter, separated from the scheme by LWS.
    i_ = skip_lws(s_, scheme_end);
    return i_ != scheme_end && i_ != s_.size();
  }

  // The next name=value (a quoted value without its quotes). `malformed` is set on an empty list
  // element or a trailing comma, which the parameters around them survive.
  Step next(std::string_view& name, std::string_view& val, bool& malformed) noexcept {
    const std::string_view s = s_;
    size_t i = i_;
    while (i < s.size() && s[i] == ',') {  // empty list element ("a=1,,b=2")
      malformed = true;
      i = skip_lws(s, i + 1);
    }
    if (i >= s.size()) return Step::End;
    const size_t name_end = skip_token(s, i);
    if (name_end == i) return Step::Bad;
    name = s.substr(i, name_end - i);
    i = skip_lws(s, name_end);
    if (i == s.size() || s[i] != '=') return Step::Bad;
    i = skip_lws(s, i + 1);
    if (i == s.size()) return Step::Bad;
    if (s[i] == '"') {
      size_t end = 0;
      if (!scan_quoted(s, i, end)) return Step::Bad;
      val = s.substr(i + 1, end - i - 2);
      i = end;
    } else {
      const size_t val_end = skip_token(s, i);
      if (val_end == i) return Step::Bad;
      val = s.substr(i, val_end - i);
      i = val_end;
    }
    i = skip_lws(s, i);
    if (i < s.size()) {
      if (s[i] != ',') return Step::Bad;
      i = skip_lws(s, i + 1);
      if (i == s.size()) malformed = true;  // trailing comma
    }
    i_ = i;
    return Step::Param;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

Result<AuthParams, Fault> parse_auth(std::string_view value) noexcept {
  const Err bad{Fault::BadAuthorization};
  AuthParams out{};
  AuthParamReader reader(value);
  if (!reader.scheme(out.scheme)) return bad;

  uint32_t seen = 0;
  std::string_view name, val;
  for (;;) {
    const AuthParamReader::Step step = reader.next(name, val, out.malformed);
    if (step == AuthParamReader::Step::Bad) return bad;
    if (step == AuthParamReader::Step::End) break;
    for (uint32_t k = 0; k < sizeof(kKnown) / sizeof(kKnown[0]); ++k) {
      if (!iequals(kKnown[k].name, name)) continue;
      if (seen & (1u << k)) {
        out.malformed = true;  // a second value would let two verifiers disagree: first wins
      } else {
        seen |= 1u << k;
        out.*kKnown[k].field = val;
      }
      break;
    }
  }

  // nc-value = 8LHEX (RFC 2617 §3.2.2); the nonce-count replay check needs all eight digits.
  if (!out.nc.empty()) {
    bool hex8 = out.nc.size() == 8;
    for (char c : out.nc) hex8 = hex8 && is_hex(c);
    if (!hex8) out.malformed = true;
  }
  return out;
}

std::optional<std::string_view> find_auth_param(std::string_view value, std::string_view name) noexcept {
  AuthParamReader reader(value);
  std::string_view scheme, n, v;
  if (!reader.scheme(scheme)) return std::nullopt;
  bool malformed = false;
  while (reader.next(n, v, malformed) == AuthParamReader::Step::Param)
    if (iequals(n, name)) return v;
  return std::nullopt;
}

bool QopList::next(std::string_view& option) noexcept {
  while (!rest_.empty()) {
    const size_t comma = rest_.find(',');
    const std::string_view item = trim_lws(rest_.substr(0, comma));
    rest_ = comma == std::string_view::npos ? std::string_view{} : rest_.substr(comma + 1);
    if (!item.empty()) {
      option = item;
      return true;
    }
  }
  return false;
}

bool qop_offers(std::string_view qop, std::string_view option) noexcept {
  QopList list(qop);
  std::string_view item;
  while (list.next(item))
    if (iequals(item, option)) return true;
  return false;
}

}  // namespace sipedge::parser
