// parser/headers.h — any thread, pure. Typed, lazy accessors for SIP header values (RFC 3261 §20,
// RFC 3262, 3515, 3891, 3892, 4028, 5806, 6665). Every result is a string_view into the message
// bytes: nothing here allocates, copies or throws. Errors are Fault values naming the header.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.h"
#include "parser/fault.h"
#include "parser/header_id.h"
#include "parser/message.h"
#include "parser/name_addr.h"
#include "parser/value_list.h"

namespace sipedge::parser {

// Largest delta-seconds value; larger values saturate to it (RFC 3261 §20.19, §10.2.1.1: "a value
// larger than 2**32-1 ... treat as 2**32-1").
inline constexpr uint32_t kMaxDeltaSeconds = 0xffffffffu;
// CSeq sequence numbers must be below 2**31 (RFC 3261 §8.1.1.5, §20.16).
inline constexpr uint32_t kCSeqLimit = 0x80000000u;

// CSeq: 1*DIGIT LWS Method (RFC 3261 §20.16). Faults: BadCSeqNumber when the number is >= 2**31,
// BadCSeq for anything else (no digits, a sign, no method, junk after the method).
struct CSeq {
  uint32_t number;
  std::string_view method_text;
  Method method;
};
Result<CSeq, Fault> parse_cseq(std::string_view value) noexcept;
// The message's CSeq (the first CSeq header; Fault::BadCSeq when there is none): parse_cseq, done
// once per message (Message::CSeqIndex) however often it is asked for.
Result<CSeq, Fault> cseq_of(const Message& msg) noexcept;

// Max-Forwards: 1*DIGIT (RFC 3261 §20.22). Values above 255 cannot have been produced by a
// conforming element (it starts at 70 and only decreases), so they are BadMaxForwards too.
Result<uint32_t, Fault> parse_max_forwards(std::string_view value) noexcept;

// Expires / Min-Expires: delta-seconds, saturating at 2**32-1 (RFC 3261 §20.19, §20.23).
// Faults: BadExpires / BadMinExpires.
Result<uint32_t, Fault> parse_expires(std::string_view value) noexcept;
Result<uint32_t, Fault> parse_min_expires(std::string_view value) noexcept;

// Call-ID: word ["@" word] (RFC 3261 §20.8); returns the value without surrounding LWS.
// Fault: BadCallId.
Result<std::string_view, Fault> parse_call_id(std::string_view value) noexcept;

// The message's first From / To header as a name-addr. Faults: MissingFrom / BadFrom,
// MissingTo / BadTo. Duplicates are validate()'s business, not these accessors'.
// `text`, a view into msg's bytes, parsed as a name-addr the first time and read back from `idx`
// after (Message::NameAddrIndex): From, To and the first Route and Record-Route entries are parsed
// once per message however often they are read. `bad` is the fault when it is not one.
Result<NameAddr, Fault> name_addr_cached(const Message& msg, Message::NameAddrIndex& idx, std::string_view text,
                                         Fault bad) noexcept;

Result<NameAddr, Fault> from_header(const Message& msg) noexcept;
Result<NameAddr, Fault> to_header(const Message& msg) noexcept;
// The From / To tag ("" when none), with the faults of from_header / to_header: the proxy asks for
// the tags a dozen times a call and needs nothing else of the name-addr, which it then read back
// whole (ten views) each time.
Result<std::string_view, Fault> from_tag(const Message& msg) noexcept;
Result<std::string_view, Fault> to_tag(const Message& msg) noexcept;
// A request's Request-URI, parsed once per message (Message::request_uri_index()); Fault::BadUri
// when unreadable.
Result<Uri, Fault> parsed_request_uri(const Message& msg) noexcept;

// The value of the first header named `name` or `compact` (case-insensitive, 0 = no compact form)
// in message bytes nobody indexed (what sipedge built itself, for traces), trimmed; "" when absent.
// Folded continuation lines are not joined.
std::string_view find_header_value(std::string_view message, std::string_view name, char compact) noexcept;

// Iterates a comma list of tokens: option-tags in Require, Supported, Proxy-Require, Unsupported
// (RFC 3261 §20.32, §20.37, §20.29, §20.40) and methods in Allow (§20.5). An empty value is an empty
// list (Supported and Allow may be empty); empty elements are skipped. An element that is not a
// token stops the iteration and turns malformed() true (answer with BadOptionTags / BadAllow).
class TokenList {
 public:
  explicit TokenList(std::string_view value) noexcept : items_(value) {}
  bool next(std::string_view& token) noexcept;
  bool malformed() const noexcept { return malformed_; }

 private:
  CommaItems items_;
  bool malformed_ = false;
};

class OptionTags {
 public:
  explicit OptionTags(std::string_view value) noexcept : list_(value) {}
  bool next(std::string_view& tag) noexcept { return list_.next(tag); }
  bool malformed() const noexcept { return list_.malformed(); }

 private:
  TokenList list_;
};

// True when any header with `id` (full or compact name, e.g. Supported and k) lists `tag`. Option
// tags are tokens and compare case-insensitively (RFC 3261 §7.3.1).
bool message_has_option(const Message& msg, HeaderId id, std::string_view tag) noexcept;

// RSeq: response-num = 1*DIGIT, must fit 32 bits (RFC 3262 §7.1). Fault: BadRSeq.
Result<uint32_t, Fault> parse_rseq(std::string_view value) noexcept;

// RAck: response-num LWS CSeq-num LWS Method (RFC 3262 §7.2). Fault: BadRAck.
struct RAck {
  uint32_t rseq;
  uint32_t cseq;
  std::string_view method_text;
  Method method;
};
Result<RAck, Fault> parse_rack(std::string_view value) noexcept;

// Session-Expires: delta-seconds *(SEMI se-params), refresher = "uac" / "uas" (RFC 4028 §4).
// `params` is the parameter text after the delta, starting at its first ';' ("" when none).
// Fault: BadSessionExpires.
struct SessionExpires {
  uint32_t delta;
  enum class Refresher : uint8_t { None, Uac, Uas } refresher;
  std::string_view params;
};
Result<SessionExpires, Fault> parse_session_expires(std::string_view value) noexcept;
// Min-SE: delta-seconds *(SEMI generic-param) (RFC 4028 §5). Fault: BadMinSE.
Result<uint32_t, Fault> parse_min_se(std::string_view value) noexcept;

// Event: event-type *(SEMI event-param) (RFC 6665 §8.2.1). `package` is the whole event-type
// ("presence", "presence.winfo"); `id` is the id parameter ("" when absent); `params` as above.
// Fault: BadEvent.
struct Event {
  std::string_view package;
  std::string_view id;
  std::string_view params;
};
Result<Event, Fault> parse_event(std::string_view value) noexcept;

// Refer-To (RFC 3515 §2.1) and Referred-By (RFC 3892 §3): name-addr or addr-spec with params. The
// Refer-To URI may embed headers (?Replaces=...), which stay escaped inside uri_text.
// Faults: BadReferTo / BadReferredBy.
Result<NameAddr, Fault> parse_refer_to(std::string_view value) noexcept;
Result<NameAddr, Fault> parse_referred_by(std::string_view value) noexcept;

// Replaces: callid *(SEMI replaces-param) with exactly one to-tag and one from-tag (RFC 3891 §6.1).
// Fault: BadReplaces.
struct Replaces {
  std::string_view call_id, to_tag, from_tag;
  bool early_only;
};
Result<Replaces, Fault> parse_replaces(std::string_view value) noexcept;

// One Diversion list item: name-addr *(SEMI diversion-params) (RFC 5806 §4). reason, privacy and
// screen are unquoted ("" when absent). Fault: BadDiversion.
struct Diversion {
  NameAddr addr;
  std::string_view reason;
  std::optional<uint32_t> counter;
  std::string_view privacy, screen;
};
Result<Diversion, Fault> parse_diversion(std::string_view one_item) noexcept;

// Allow: [Method *(COMMA Method)] (RFC 3261 §20.5).
class AllowList {
 public:
  explicit AllowList(std::string_view value) noexcept : list_(value) {}
  bool next(std::string_view& method) noexcept { return list_.next(method); }
  bool malformed() const noexcept { return list_.malformed(); }

 private:
  TokenList list_;
};

// Content-Type: m-type SLASH m-subtype *(SEMI m-parameter) (RFC 3261 §20.15). `params` starts at the
// first ';' ("" when none). Fault: BadContentType.
struct ContentType {
  std::string_view type, subtype, params;
  // Case-insensitive match of type and subtype (RFC 2045 §5.1).
  bool is(std::string_view t, std::string_view s) const noexcept;
};
Result<ContentType, Fault> parse_content_type(std::string_view value) noexcept;

}  // namespace sipedge::parser
