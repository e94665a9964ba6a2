// parser/uri.h — any thread, pure. SIP/SIPS URIs (RFC 3261 §19.1, §25), tel URIs (RFC 3966) and
// other absoluteURIs, parsed in one pass into string_views of the caller's bytes. Never allocates,
// never throws; errors are Fault::BadUri.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/result.h"
#include "parser/fault.h"

namespace sipedge::parser {

enum class UriScheme : uint8_t { Sip, Sips, Tel, Other };
enum class HostType : uint8_t { Name, IPv4, IPv6 };  // IPv6 is stored WITHOUT the brackets

struct Uri {
  UriScheme scheme = UriScheme::Other;
  std::string_view scheme_text;  // as written ("SIP", "sip", "tel", "urn")
  std::string_view user;         // still %-escaped; tel: the telephone-subscriber number; Other:
                                 // everything after the ':'
  std::string_view password;
  bool has_password = false;
  std::string_view host;  // "" for tel and Other
  HostType host_type = HostType::Name;
  uint16_t port = 0;
  bool has_port = false;
  std::string_view params;   // ";..." uri-parameters as written (tel: its params), "" if none
  std::string_view headers;  // text after '?' (excluding it), "" if none

  // Case-insensitive uri-parameter lookup (find_param on `params`).
  std::optional<std::string_view> param(std::string_view name) const noexcept;
  // ";transport=" value as written, "" when absent.
  std::string_view transport() const noexcept;
  // ";lr" present (loose routing, RFC 3261 §19.1.1).
  bool lr() const noexcept;
};

// Parses a whole URI (no surrounding LWS or brackets). sip/sips need a host; the user part (if
// any) may hold %-escapes and the RFC's user-unreserved characters ('#' is tolerated, as phones
// send "*67#" unescaped); tel needs a valid global (+digits) or local number; any other scheme
// parses as Other with everything after ':' kept in `user`. Fault::BadUri on any error.
Result<Uri, Fault> parse_uri(std::string_view text) noexcept;

// Host recognisers (RFC 3261 §25.1). `is_ipv6` takes the address without brackets and accepts
// "::" compression and a trailing embedded IPv4 (RFC 4291 §2.2).
bool is_ipv4(std::string_view s) noexcept;
bool is_ipv6(std::string_view s) noexcept;
bool is_hostname(std::string_view s) noexcept;

// Parses a host (hostname, IPv4, or "[IPv6]") at the start of `text`; it ends at the first byte
// that cannot belong to a host. Returns the bytes consumed (brackets included), 0 on error.
// `host` is set without brackets.
size_t parse_host_prefix(std::string_view text, std::string_view& host, HostType& type) noexcept;

// Reads the decimal port 0-65535 whose digits start at `pos` of `s` (1-5 of them, up to the first
// byte that is no digit) into `port`; returns where they end, or npos when there is no digit, a
// sixth one, or a value above 65535.
size_t read_port(std::string_view s, size_t pos, uint16_t& port) noexcept;

// %-unescapes `in` into `out`; returns the bytes written, or -1 on a bad escape or when `out` is
// too small.
int unescape(std::string_view in, std::span<char> out) noexcept;

// Compares two %-escaped user parts after unescaping (RFC 3261 §19.1.4: "%61lice" equals
// "alice"; user parts are case-sensitive). False if either holds a bad escape.
bool user_equals(std::string_view escaped_a, std::string_view escaped_b) noexcept;

}  // namespace sipedge::parser
