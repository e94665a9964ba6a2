// parser/validate.cc — any thread, pure. Structural checks on a scanned message before control acts
// on it (RFC 3261 §8.2.2, §16.3 "request validation", §8.1.3.3 for responses). Reads the header
// index and parses lazily; never allocates, never throws.
#include "parser/headers.h"
#include "parser/name_addr.h"
#include "parser/scanner.h"
#include "parser/uri.h"
#include "parser/via.h"

namespace sipedge::parser {
namespace {

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, "SIP" case-insensitive (RFC 3261 §7.1); sipedge
// speaks 2.0 only, anything else is 505.
bool is_sip_2_0(std::string_view v) noexcept {
  return v.size() == 7 && iequals(v.substr(0, 3), "SIP") && v.substr(3) == "/2.0";
}

Fault check_mandatory(const Message& msg) noexcept {
  if (msg.find(HeaderId::Via) == nullptr) return Fault::MissingVia;
  if (msg.find(HeaderId::From) == nullptr) return Fault::MissingFrom;
  if (msg.find(HeaderId::To) == nullptr) return Fault::MissingTo;
  if (msg.find(HeaderId::CallId) == nullptr) return Fault::MissingCallId;
  if (msg.find(HeaderId::CSeq) == nullptr) return Fault::MissingCSeq;
  return Fault::None;
}

// From, To, Call-ID and CSeq identify the dialog and transaction: two of one would let two
// elements match the message differently (RFC 3261 §7.3.1 allows repetition only for lists).
Fault check_single(const Message& msg) noexcept {
  if (msg.count(HeaderId::From) > 1) return Fault::DuplicateFrom;
  if (msg.count(HeaderId::To) > 1) return Fault::DuplicateTo;
  if (msg.count(HeaderId::CallId) > 1) return Fault::DuplicateCallId;
  if (msg.count(HeaderId::CSeq) > 1) return Fault::DuplicateCSeq;
  return Fault::None;
}

// Content-Length = 1*DIGIT; every copy must state the same length, or two elements would frame
// the body differently (request smuggling over a stream transport).
Fault check_content_length(const Message& msg) noexcept {
  bool have = false;
  uint64_t first = 0;
  for (const HeaderField* h = msg.find(HeaderId::ContentLength); h != nullptr; h = msg.next_same(h)) {
    const std::string_view v = trim_lws(msg.text(h->value));
    if (v.empty()) return Fault::BadContentLength;
    uint64_t n = 0;
    for (char c : v) {
      if (c < '0' || c > '9') return Fault::BadContentLength;
      if (n < kMaxMessageBytes + 1) n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (have && n != first) return Fault::ConflictingContentLength;
    have = true;
    first = n;
  }
  return Fault::None;
}

// Requests, first fault wins, in this order:
//   1. Missing Via, From, To, Call-ID, CSeq          (MissingVia .. MissingCSeq)
//   2. more than one From, To, Call-ID, CSeq         (DuplicateFrom .. DuplicateCSeq)
//   3. SIP-Version is not SIP/2.0                    (BadSipVersion, 505)
//   4. CSeq unreadable / number >= 2**31             (BadCSeq, BadCSeqNumber)
//      CSeq method differs from the Request-Line's   (CSeqMethodMismatch; case-sensitive tokens,
//      so ACK and CANCEL must carry CSeq ACK / CANCEL, RFC 3261 §17.1.1.3, §9.1)
//   5. any Max-Forwards not 1*DIGIT or above 255     (BadMaxForwards)
//   6. Content-Length copies disagree / not digits   (ConflictingContentLength, BadContentLength)
//   7. top Via unreadable                            (BadVia)
//   8. From, To not a name-addr / addr-spec          (BadFrom, BadTo). In a dialog (a To tag)
//      only their framing and params are read, as the tags are all that is used of them then:
//      RFC 3261 §16.3 leaves what a proxy does not use unchecked and unchanged.
//   9. Call-ID not word ["@" word]                   (BadCallId)
//  10. Request-URI unreadable                        (BadRequestUri)
//      scheme other than sip, sips, tel              (UnsupportedUriScheme, 416, RFC 3261 §8.2.2.1)
Fault validate_request(const Message& msg) noexcept {
  if (Fault f = check_mandatory(msg); f != Fault::None) return f;
  if (Fault f = check_single(msg); f != Fault::None) return f;
  if (!is_sip_2_0(msg.sip_version())) return Fault::BadSipVersion;

  auto cseq = cseq_of(msg);
  if (!cseq.ok()) return cseq.error();
  if (cseq->method_text != msg.method_token()) return Fault::CSeqMethodMismatch;

  for (const HeaderField* h = msg.find(HeaderId::MaxForwards); h != nullptr; h = msg.next_same(h))
    if (!parse_max_forwards(msg.text(h->value)).ok()) return Fault::BadMaxForwards;
  if (Fault f = check_content_length(msg); f != Fault::None) return f;

  if (!top_via(msg).ok()) return Fault::BadVia;
  if (auto to = to_tag(msg); to.ok() && !to->empty()) {
    if (!from_tag(msg).ok()) return Fault::BadFrom;
  } else {
    if (!from_header(msg).ok()) return Fault::BadFrom;
    if (!to_header(msg).ok()) return Fault::BadTo;
  }
  if (!parse_call_id(msg.value(HeaderId::CallId)).ok()) return Fault::BadCallId;

  auto uri = parsed_request_uri(msg);
  if (!uri.ok()) return Fault::BadRequestUri;
  if (uri->scheme == UriScheme::Other) return Fault::UnsupportedUriScheme;
  return Fault::None;
}

// Responses, first fault wins, in this order:
//   1. Missing Via, From, To, Call-ID, CSeq          (MissingVia .. MissingCSeq)
//   2. CSeq unreadable / number >= 2**31             (BadCSeq, BadCSeqNumber): the client
//      transaction is matched on the CSeq method (RFC 3261 §17.1.3)
//   3. SIP-Version is not SIP/2.0                    (BadSipVersion)
//   4. more than one From, To, Call-ID, CSeq         (DuplicateFrom .. DuplicateCSeq)
//   5. Content-Length copies disagree / not digits   (ConflictingContentLength, BadContentLength)
// A bad response is never answered; the caller drops it (RFC 3261 §8.1.3.3, §16.7).
Fault validate_response(const Message& msg) noexcept {
  if (Fault f = check_mandatory(msg); f != Fault::None) return f;
  auto cseq = cseq_of(msg);
  if (!cseq.ok()) return cseq.error();
  if (!is_sip_2_0(msg.sip_version())) return Fault::BadSipVersion;
  if (Fault f = check_single(msg); f != Fault::None) return f;
  return check_content_length(msg);
}

}  // namespace

Fault validate(const Message& msg) noexcept {
  return msg.is_request() ? validate_request(msg) : validate_response(msg);
}

}  // namespace sipedge::parser
