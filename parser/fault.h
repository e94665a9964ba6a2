// parser/fault.h — any thread, pure. Why a SIP message was refused: one enum, one status code and one
// reason phrase per fault, usable verbatim in the 4xx/5xx answer (DESIGN §3: "400 with a reason
// naming the fault"). Declared once as an X-macro so the enum and its table cannot drift.
#pragma once

#include <cstdint>
#include <string_view>

namespace sipedge::parser {

// X(name, status, reason phrase)
#define SIPEDGE_FAULTS(X)                                                                   \
  X(None, 200, "OK")                                                                        \
  X(Empty, 400, "Empty message")                                                            \
  X(BadStartLine, 400, "Malformed Request-Line")                                            \
  X(BadStatusLine, 400, "Malformed Status-Line")                                            \
  X(BadMethod, 400, "Bad Method token in Request-Line")                                     \
  X(BadRequestUri, 400, "Bad Request-URI")                                                  \
  X(UnsupportedUriScheme, 416, "Unsupported URI Scheme")                                    \
  X(BadSipVersion, 505, "Version Not Supported")                                            \
  X(BadStatusCode, 400, "Bad status code in Status-Line")                                   \
  X(BadHeaderLine, 400, "Malformed header line")                                            \
  X(BadHeaderName, 400, "Bad header name")                                                  \
  X(NoHeaderEnd, 400, "Missing empty line after headers")                                   \
  X(TooManyHeaders, 513, "Message Too Large: too many headers")                             \
  X(TooLarge, 513, "Message Too Large")                                                     \
  X(NulByte, 400, "NUL byte in message headers")                                            \
  X(MissingVia, 400, "Missing Via header")                                                  \
  X(MissingFrom, 400, "Missing From header")                                                \
  X(MissingTo, 400, "Missing To header")                                                    \
  X(MissingCallId, 400, "Missing Call-ID header")                                           \
  X(MissingCSeq, 400, "Missing CSeq header")                                                \
  X(MissingContentLength, 400, "Missing Content-Length on a stream transport")              \
  X(DuplicateFrom, 400, "More than one From header")                                        \
  X(DuplicateTo, 400, "More than one To header")                                            \
  X(DuplicateCallId, 400, "More than one Call-ID header")                                   \
  X(DuplicateCSeq, 400, "More than one CSeq header")                                        \
  X(BadVia, 400, "Bad Via header")                                                          \
  X(BadFrom, 400, "Bad From header")                                                        \
  X(BadTo, 400, "Bad To header")                                                            \
  X(BadCallId, 400, "Bad Call-ID header")                                                   \
  X(BadCSeq, 400, "Bad CSeq header")                                                        \
  X(BadCSeqNumber, 400, "Bad CSeq number: not below 2**31")                                 \
  X(CSeqMethodMismatch, 400, "CSeq method does not match Request-Line method")              \
  X(BadMaxForwards, 400, "Bad Max-Forwards header")                                         \
  X(BadContentLength, 400, "Bad Content-Length header")                                     \
  X(ConflictingContentLength, 400, "Conflicting Content-Length headers")                    \
  X(ContentLengthTooLarge, 400, "Content-Length larger than the message body")              \
  X(BadContact, 400, "Bad Contact header")                                                  \
  X(BadRoute, 400, "Bad Route header")                                                      \
  X(BadRecordRoute, 400, "Bad Record-Route header")                                         \
  X(BadExpires, 400, "Bad Expires header")                                                  \
  X(BadMinExpires, 400, "Bad Min-Expires header")                                           \
  X(BadAuthorization, 400, "Bad Authorization header")                                      \
  X(BadOptionTags, 400, "Bad option-tag list")                                              \
  X(BadRSeq, 400, "Bad RSeq header")                                                        \
  X(BadRAck, 400, "Bad RAck header")                                                        \
  X(BadSessionExpires, 400, "Bad Session-Expires header")                                   \
  X(BadMinSE, 400, "Bad Min-SE header")                                                     \
  X(BadEvent, 400, "Bad Event header")                                                      \
  X(BadReferTo, 400, "Bad Refer-To header")                                                 \
  X(BadReferredBy, 400, "Bad Referred-By header")                                           \
  X(BadReplaces, 400, "Bad Replaces header")                                                \
  X(BadDiversion, 400, "Bad Diversion header")                                              \
  X(BadAllow, 400, "Bad Allow header")                                                      \
  X(BadContentType, 400, "Bad Content-Type header")                                         \
  X(BadUri, 400, "Bad URI")                                                                 \
  X(BadNameAddr, 400, "Bad name-addr")                                                      \
  X(BadSdp, 400, "Bad SDP body")

enum class Fault : uint8_t {
#define SIPEDGE_FAULT_ENUM(name, status, reason) name,
  SIPEDGE_FAULTS(SIPEDGE_FAULT_ENUM)
#undef SIPEDGE_FAULT_ENUM
      kCount
};

// The SIP status code to answer a request that has this fault with.
constexpr uint16_t fault_status(Fault f) noexcept {
  constexpr uint16_t kStatus[] = {
#define SIPEDGE_FAULT_STATUS(name, status, reason) status,
      SIPEDGE_FAULTS(SIPEDGE_FAULT_STATUS)
#undef SIPEDGE_FAULT_STATUS
  };
  return kStatus[static_cast<uint8_t>(f)];
}

// Reason phrase for the answer; names the fault so the sender can tell what to fix.
constexpr std::string_view fault_reason(Fault f) noexcept {
  constexpr std::string_view kReason[] = {
#define SIPEDGE_FAULT_REASON(name, status, reason) reason,
      SIPEDGE_FAULTS(SIPEDGE_FAULT_REASON)
#undef SIPEDGE_FAULT_REASON
  };
  return kReason[static_cast<uint8_t>(f)];
}

// Stable identifier (the enum name) for counters and logs.
constexpr std::string_view fault_name(Fault f) noexcept {
  constexpr std::string_view kName[] = {
#define SIPEDGE_FAULT_NAME(name, status, reason) #name,
      SIPEDGE_FAULTS(SIPEDGE_FAULT_NAME)
#undef SIPEDGE_FAULT_NAME
  };
  return kName[static_cast<uint8_t>(f)];
}

}  // namespace sipedge::parser
