// apps/sipedge-gen/sip_text.h — the generator's one lcore. The little SIP a load generator needs,
// written independently of sipedge's parser so the generator is not an oracle built from the code
// it measures: header values by name (compact forms too), the status line, one parameter of a
// header, the media address of an SDP body, and the RFC 2617 / RFC 7616 digest response.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipedge::gen {

// The status code of a response, 0 for a request or garbage.
int status_of(std::string_view msg) noexcept;
// The method of a request ("" for a response).
std::string_view method_of(std::string_view msg) noexcept;
// The Request-URI of a request.
std::string_view request_uri_of(std::string_view msg) noexcept;
// Every value of header `name` (case-insensitive; `compact` is its RFC 3261 §7.3.3 short form, or 0),
// one entry per header line, in order, trimmed. Comma-separated values on one line stay together.
std::vector<std::string_view> header_values(std::string_view msg, std::string_view name, char compact = 0);
std::string_view header_value(std::string_view msg, std::string_view name, char compact = 0);
// Every header line of that name verbatim (name included, no CRLF), for copying into a response.
std::vector<std::string_view> header_lines(std::string_view msg, std::string_view name, char compact = 0);
// The body (after the blank line).
std::string_view body_of(std::string_view msg) noexcept;
// `;name=value` or `name="value"` inside a header value ("" when absent).
std::string_view param_of(std::string_view value, std::string_view name) noexcept;
// The URI between < and > (or the value itself when it has no angle brackets).
std::string_view uri_in(std::string_view value) noexcept;

// Where an SDP body says its first audio stream goes: c= address (IPv4, host order) and m= port.
struct MediaTarget {
  uint32_t addr = 0;
  uint16_t port = 0;
};
std::optional<MediaTarget> sdp_audio_target(std::string_view sdp);

// IPv4 text <-> host-order integer.
std::optional<uint32_t> parse_ipv4(std::string_view text);
std::string ipv4_text(uint32_t addr);

// The request-digest for one challenge: Proxy-Authorization value for `method` `uri`, answering the
// challenge `challenge` (a WWW-/Proxy-Authenticate value) as `user` with `password`. nullopt when the
// challenge is not Digest or names an algorithm other than MD5 / SHA-256.
std::optional<std::string> digest_authorization(std::string_view challenge, std::string_view user,
                                                std::string_view password, std::string_view method,
                                                std::string_view uri, std::string_view cnonce);
// H(a) in lower-case hex, MD5 or SHA-256 (OpenSSL).
std::string digest_hex(bool sha256, std::string_view data);

}  // namespace sipedge::gen
