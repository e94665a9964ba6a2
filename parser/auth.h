// parser/auth.h — any thread, pure. Digest credentials and challenges (RFC 3261 §25.1 grammar,
// RFC 2617, RFC 7616, RFC 8760) from Authorization, Proxy-Authorization, WWW-Authenticate and
// Proxy-Authenticate values. Views into the message only: never allocates, never throws.
#pragma once

#include <optional>
#include <string_view>

#include "common/result.h"
#include "parser/fault.h"

namespace sipedge::parser {

// One credentials or challenge value. Every field is the parameter's value with the quotes of a
// quoted-string removed but quoted-pairs left escaped ("" when absent). Parameter names match
// case-insensitively; parameters sipedge does not use are skipped. `qop` is the raw list in a
// challenge ("auth,auth-int"; iterate it with QopList) and a single token in credentials.
struct AuthParams {
  std::string_view scheme;  // "Digest" as written
  std::string_view username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc, stale,
      domain, userhash;
  // The value was readable but broke the grammar in a way the parameters above survive: a known
  // parameter given twice (the first wins), an empty list element, or an nc that is not 8LHEX
  // (RFC 2617 §3.2.2). Digest verification must refuse such credentials.
  bool malformed;
};

// Parse one header value. Fault::BadAuthorization when it cannot be read at all: no scheme, no
// parameter, a parameter without "=", a missing value, an unterminated quoted-string, or junk where
// a comma must be.
Result<AuthParams, Fault> parse_auth(std::string_view value) noexcept;

// The first value of parameter `name` (case-insensitive; as AuthParams gives it), read only as far
// as that parameter: nullopt when absent or when the value breaks the grammar before it.
std::optional<std::string_view> find_auth_param(std::string_view value, std::string_view name) noexcept;

// Iterates the comma-separated qop-options of a challenge (RFC 2617 §3.2.1: qop="auth,auth-int").
// Empty elements and surrounding LWS are skipped.
class QopList {
 public:
  explicit QopList(std::string_view qop) noexcept : rest_(qop) {}
  bool next(std::string_view& option) noexcept;

 private:
  std::string_view rest_;
};

// True when `qop` (a challenge's list or a credential's token) offers `option`, case-insensitively.
bool qop_offers(std::string_view qop, std::string_view option) noexcept;

}  // namespace sipedge::parser
