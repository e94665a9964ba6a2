// parser/via.h — any thread, pure. Via header values (RFC 3261 §20.42, §18.2.1; RFC 3581 rport):
// sent-protocol, sent-by and the via-params the transaction and NAT logic need. Views into the
// caller's bytes; never allocates, never throws. Errors are Fault::BadVia / Fault::MissingVia.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"
#include "parser/fault.h"
#include "parser/message.h"
#include "parser/uri.h"
#include "parser/value_list.h"

namespace sipedge::parser {

// RFC 3261 §8.1.1.7: branches of RFC 3261 clients start with this magic cookie.
inline constexpr std::string_view kBranchMagicCookie = "z9hG4bK";

struct Via {
  std::string_view protocol_name, protocol_version, transport;  // "SIP", "2.0", "UDP" as written
  std::string_view host;  // sent-by host; IPv6 without brackets
  HostType host_type = HostType::Name;
  uint16_t port = 0;
  bool has_port = false;
  std::string_view params;                   // ";..." as written, "" if none
  std::string_view branch, received, maddr;  // "" when absent
  bool has_rport = false;
  bool rport_has_value = false;  // ";rport=5060" (filled in by a proxy) vs ";rport" (a request)
  uint16_t rport = 0;
  bool has_ttl = false;
  uint8_t ttl = 0;

  bool branch_is_rfc3261() const noexcept { return branch.starts_with(kBranchMagicCookie); }
};

// Parses one via-parm (one comma item of a Via header). LWS is allowed around '/', ':', ';' and
// '=' (SWS/SEMI/EQUAL of RFC 3261 §25.1). Checked: three non-empty tokens in sent-protocol, a
// valid host and port, well-formed params, branch/received/maddr with valid values (received an
// IPv4 or IPv6 address, bracketed or not), rport empty or 0-65535, ttl 0-255.
// Fault::BadVia on any error.
Result<Via, Fault> parse_via(std::string_view one_via_value) noexcept;

// Iterates every via-parm across all Via headers (comma-separated ones too), top first. Each item
// is parsed on its own, so one bad Via yields an error item and iteration goes on.
class ViaList {
 public:
  explicit ViaList(const Message& msg) noexcept : msg_(&msg), items_(msg, HeaderId::Via) {}
  // The first via-parm comes from top_via(): parsed once per message.
  bool next(Result<Via, Fault>& out) noexcept;

 private:
  const Message* msg_;
  HeaderItems items_;
  bool first_ = true;
};

// The topmost via-parm. Fault::MissingVia when the message has none, BadVia when it is malformed.
// Parsed once per message (Message::TopViaIndex), however often it is asked for.
Result<Via, Fault> top_via(const Message& msg) noexcept;
// The topmost via-parm's text as written (LWS around it trimmed); "" when the message has none.
std::string_view top_via_text(const Message& msg) noexcept;

}  // namespace sipedge::parser
