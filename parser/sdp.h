// parser/sdp.h — any thread (the control lcore in practice), pure. Zero-copy view of one SDP body
// (RFC 8866, which obsoletes RFC 4566): fields are string_views into the body plus the byte spans the
// rewriter replaces when it anchors media (c= address, m= port, a=rtcp, o= version). Never allocates.
//
// Hazards: every view and span points into the body given to parse_sdp; the body must outlive the Sdp.
// Spans are offsets into that body: add the body's offset in the SIP message (Message::body_span().off,
// see rebase()) before handing them to the rewriter.
//
// Strictness (decided once, here): v=0 first; o= and t= required; lines in RFC 8866 §5 order; unknown
// type letters refused (RFC 8866 §5: a parser must ignore a description with a type it does not know);
// c= at session level or in every media section; the fields we rewrite or anchor on (c=, m=, o=,
// a=rtcp, b=, ptime) must parse. Lenient where real phones are sloppy and nothing is at stake: a missing
// s= is accepted and flagged (missing_session_name), bare LF line ends, a missing final line end,
// trailing empty lines, extra spaces between fields, ASCII case in attribute names.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/result.h"
#include "parser/fault.h"
#include "parser/message.h"

namespace sipedge::parser {

// Offset + length into the SDP body given to parse_sdp.
using SdpSpan = Span;

// The same bytes as an offset into the SIP message whose body starts at `body_off`.
constexpr Span rebase(SdpSpan s, uint32_t body_off) noexcept { return Span{s.off + body_off, s.len}; }

// Fixed capacities; a body needing more is refused (Fault::BadSdp, reason names the limit).
inline constexpr size_t kMaxSdpMedia = 16;
inline constexpr size_t kMaxSdpAttributes = 128;

enum class SdpDirection : uint8_t { SendRecv, SendOnly, RecvOnly, Inactive, Unspecified };
enum class SdpAddrType : uint8_t { IP4, IP6, Other };

// Attribute spelling ("sendrecv" ...); "" for Unspecified.
std::string_view sdp_direction_name(SdpDirection d) noexcept;

// c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7). address excludes any /ttl/count suffix.
struct SdpConnection {
  SdpAddrType addr_type = SdpAddrType::Other;
  std::string_view address;
  SdpSpan address_span;
  uint8_t ttl = 0;     // IP4 multicast only
  uint16_t count = 1;  // number of multicast addresses
  bool present = false;
  SdpSpan line;        // whole "c=..." line including its terminator
  // The unspecified address: RFC 3264 §8.4 hold (0.0.0.0); "::" counts too, as no media can flow.
  bool is_hold_zero() const noexcept;
};

// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] (RFC 8866 §6.6).
struct SdpRtpmap {
  uint8_t payload = 0;
  std::string_view encoding;
  uint32_t clock_rate = 0;
  std::string_view channels;  // "" when absent
};

// a=fmtp:<format> <format specific parameters> (RFC 8866 §6.15).
struct SdpFmtp {
  uint8_t payload = 0;
  std::string_view params;
};

// a=crypto:<tag> <crypto-suite> <key-params> [<session-params>] (RFC 4568 §9.1).
struct SdpCrypto {
  uint32_t tag = 0;
  std::string_view suite;
  std::string_view key_params;      // one or more ';'-separated "inline:..." key params
  std::string_view session_params;  // rest of the line, "" when absent
};

// a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
// (RFC 8839 §5.1, the SDP form of RFC 8445 candidates).
struct SdpCandidate {
  std::string_view foundation;
  uint16_t component = 0;
  std::string_view transport;
  uint32_t priority = 0;
  std::string_view address;
  SdpSpan address_span;
  uint16_t port = 0;
  SdpSpan port_span;
  std::string_view type;              // host / srflx / prflx / relay
  std::string_view related_address;   // raddr, "" when absent
  std::optional<uint16_t> related_port;  // rport
  std::string_view rest;              // everything after the type, "" when nothing follows
};

// One m= section (RFC 8866 §5.14) and what its lines say, with session-level fallback left to
// Sdp::connection_for / direction_for.
struct SdpMedia {
  std::string_view media;  // audio, video, application, image, text, message
  uint16_t port = 0;
  SdpSpan port_span;
  uint16_t port_count = 1;  // "m=audio 49170/2 ..." -> 2
  std::string_view proto;   // RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF, udptl, ...
  SdpSpan proto_span;
  std::string_view formats;  // the format list as written
  SdpSpan formats_span;
  SdpConnection connection;  // media-level c= (present == false when absent)
  std::optional<uint32_t> bandwidth_as;
  std::optional<uint32_t> bandwidth_tias;
  SdpDirection direction = SdpDirection::Unspecified;
  // a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605).
  std::optional<uint16_t> rtcp_port;
  SdpSpan rtcp_port_span;
  SdpAddrType rtcp_addr_type = SdpAddrType::Other;
  std::string_view rtcp_address;  // "" when the attribute has no address
  SdpSpan rtcp_address_span;
  SdpSpan rtcp_span;  // the whole a=rtcp value
  bool rtcp_mux = false;  // RFC 5761
  std::optional<uint32_t> ptime, maxptime;  // milliseconds, fraction dropped
  uint16_t first_attr = 0, attr_count = 0;  // range in Sdp::attributes()
  uint32_t line_off = 0;  // where "m=" starts
  uint32_t end_off = 0;   // one past the section's last byte (next "m=" or end of body)
  // True for RTP profiles (proto contains "RTP/"): formats are payload types 0..127.
  bool is_rtp() const noexcept;
};

// a=<name>[:<value>] (RFC 8866 §5.13).
struct SdpAttribute {
  std::string_view name;
  std::string_view value;  // "" for a property attribute
  bool has_value = false;
  SdpSpan value_span;
  SdpSpan line;  // whole "a=..." line including its terminator
};

class Sdp;

// Why a body was refused. `fault` is always Fault::BadSdp on failure (None on success); the rest
// is for logs and the 400/488 reason phrase ("SDP line 6 (m=): bad port").
struct SdpError {
  Fault fault = Fault::None;
  std::string_view what;  // static text, e.g. "bad port"
  char line_type = 0;     // type letter of the offending line, 0 when about the whole body
  uint16_t line = 0;      // 1-based line number, 0 when about the whole body
  uint32_t off = 0;       // byte offset of that line

  operator Fault() const noexcept { return fault; }
  friend bool operator==(const SdpError& e, Fault f) noexcept { return e.fault == f; }
  // Writes "SDP line 6 (m=): bad port" or "SDP: missing o= line", truncated to fit and
  // NUL-terminated when out is non-empty. Returns the length written (without the NUL).
  size_t format(std::span<char> out) const noexcept;
};

// Parses `body` into `out` (reusable, no copy of the Sdp). Returns fault None on success.
SdpError parse_sdp_into(std::string_view body, Sdp& out) noexcept;
// Convenience form that returns the view by value (~10 KB: fine on the control path).
Result<Sdp, SdpError> parse_sdp(std::string_view body) noexcept;

class Sdp {
 public:
  // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (RFC 8866 §5.2).
  std::string_view origin_username, origin_session_id;
  uint64_t origin_version = 0;
  SdpSpan origin_version_span;
  SdpAddrType origin_addr_type = SdpAddrType::Other;
  std::string_view origin_address;
  SdpSpan origin_address_span;
  std::string_view session_name;     // "" when s= is missing
  bool missing_session_name = false;  // tolerated deviation from RFC 8866 §5.3
  SdpConnection connection;          // session-level c=
  SdpDirection direction = SdpDirection::Unspecified;  // session-level direction attribute
  std::optional<uint32_t> bandwidth_as;
  uint32_t session_end_off = 0;      // where the first "m=" starts (body size when none)

  std::string_view body() const noexcept { return body_; }
  std::string_view text(SdpSpan s) const noexcept { return body_.substr(s.off, s.len); }

  std::span<const SdpMedia> media() const noexcept { return {media_.data(), media_count_}; }
  // All a= lines, session-level first, then each media section's in order.
  std::span<const SdpAttribute> attributes() const noexcept { return {attrs_.data(), attr_count_}; }
  std::span<const SdpAttribute> session_attributes() const noexcept {
    return {attrs_.data(), session_attr_count_};
  }
  // Empty when m is out of range.
  std::span<const SdpAttribute> media_attributes(size_t m) const noexcept;

  // First attribute with this name (ASCII case-insensitive), or nullptr.
  const SdpAttribute* session_attribute(std::string_view name) const noexcept;
  const SdpAttribute* media_attribute(size_t m, std::string_view name) const noexcept;

  // Effective values with session-level fallback (RFC 8866 §5.7, §6.7). connection_for returns the
  // session connection (present may be false) for an out-of-range m. direction_for never returns
  // Unspecified: with no attribute at either level it is SendRecv (RFC 3264 §5.1).
  const SdpConnection& connection_for(size_t m) const noexcept;
  SdpDirection direction_for(size_t m) const noexcept;

  // Typed lookups within media section m; nullopt when absent, malformed or m is out of range.
  std::optional<SdpRtpmap> rtpmap(size_t m, uint8_t payload) const noexcept;
  std::optional<SdpFmtp> fmtp(size_t m, uint8_t payload) const noexcept;
  // Write the well-formed candidate / crypto lines of media m into `out` (first out.size() of them);
  // return how many there are in total, so a call with an empty span counts them.
  size_t candidates(size_t m, std::span<SdpCandidate> out) const noexcept;
  size_t cryptos(size_t m, std::span<SdpCrypto> out) const noexcept;
  // Payload types of an RTP media section's format list, in order (same counting contract).
  size_t payload_types(size_t m, std::span<uint8_t> out) const noexcept;

 private:
  friend class SdpParser;  // parser/sdp.cc fills the private arrays

  std::string_view body_;
  uint16_t media_count_ = 0;
  uint16_t attr_count_ = 0;
  uint16_t session_attr_count_ = 0;
  std::array<SdpMedia, kMaxSdpMedia> media_{};
  std::array<SdpAttribute, kMaxSdpAttributes> attrs_{};
};

// Free-standing parsers for single attribute values (the text after "a=name:"), for callers that
// already hold an SdpAttribute. nullopt when malformed. `value_off` is the value's offset in the
// body so spans come out body-relative.
std::optional<SdpRtpmap> parse_sdp_rtpmap(std::string_view value) noexcept;
std::optional<SdpFmtp> parse_sdp_fmtp(std::string_view value) noexcept;
std::optional<SdpCrypto> parse_sdp_crypto(std::string_view value) noexcept;
std::optional<SdpCandidate> parse_sdp_candidate(std::string_view value, uint32_t value_off) noexcept;

}  // namespace sipedge::parser
