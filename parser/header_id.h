// parser/header_id.h — any thread, pure. Every header sipedge knows by id: RFC 3261 §20 plus the
// extensions the seed call flows use (PRACK, UPDATE, session timers, REFER, Diversion, P-headers).
// Unknown headers keep HeaderId::Other and are found by name.
#pragma once

#include <cstdint>
#include <string_view>

namespace sipedge::parser {

// X(enum name, canonical name, compact form or 0)
#define SIPEDGE_HEADERS(X)                          \
  X(Accept, "Accept", 0)                            \
  X(AcceptContact, "Accept-Contact", 'a')           \
  X(AcceptEncoding, "Accept-Encoding", 0)           \
  X(AcceptLanguage, "Accept-Language", 0)           \
  X(AlertInfo, "Alert-Info", 0)                     \
  X(Allow, "Allow", 0)                              \
  X(AllowEvents, "Allow-Events", 'u')               \
  X(AuthenticationInfo, "Authentication-Info", 0)   \
  X(Authorization, "Authorization", 0)              \
  X(CallId, "Call-ID", 'i')                         \
  X(CallInfo, "Call-Info", 0)                       \
  X(Contact, "Contact", 'm')                        \
  X(ContentDisposition, "Content-Disposition", 0)   \
  X(ContentEncoding, "Content-Encoding", 'e')       \
  X(ContentLanguage, "Content-Language", 0)         \
  X(ContentLength, "Content-Length", 'l')           \
  X(ContentType, "Content-Type", 'c')               \
  X(CSeq, "CSeq", 0)                                \
  X(Date, "Date", 0)                                \
  X(Diversion, "Diversion", 0)                      \
  X(ErrorInfo, "Error-Info", 0)                     \
  X(Event, "Event", 'o')                            \
  X(Expires, "Expires", 0)                          \
  X(From, "From", 'f')                              \
  X(Identity, "Identity", 'y')                      \
  X(IdentityInfo, "Identity-Info", 'n')             \
  X(InReplyTo, "In-Reply-To", 0)                    \
  X(MaxForwards, "Max-Forwards", 0)                 \
  X(MimeVersion, "MIME-Version", 0)                 \
  X(MinExpires, "Min-Expires", 0)                   \
  X(MinSE, "Min-SE", 0)                             \
  X(Organization, "Organization", 0)                \
  X(PAssertedIdentity, "P-Asserted-Identity", 0)    \
  X(PPreferredIdentity, "P-Preferred-Identity", 0)  \
  X(Path, "Path", 0)                                \
  X(Priority, "Priority", 0)                        \
  X(Privacy, "Privacy", 0)                          \
  X(ProxyAuthenticate, "Proxy-Authenticate", 0)     \
  X(ProxyAuthorization, "Proxy-Authorization", 0)   \
  X(ProxyRequire, "Proxy-Require", 0)               \
  X(RAck, "RAck", 0)                                \
  X(Reason, "Reason", 0)                            \
  X(RecordRoute, "Record-Route", 0)                 \
  X(ReferTo, "Refer-To", 'r')                       \
  X(ReferredBy, "Referred-By", 'b')                 \
  X(RejectContact, "Reject-Contact", 'j')           \
  X(RemotePartyId, "Remote-Party-ID", 0)            \
  X(Replaces, "Replaces", 0)                        \
  X(ReplyTo, "Reply-To", 0)                         \
  X(RequestDisposition, "Request-Disposition", 'd') \
  X(Require, "Require", 0)                          \
  X(RetryAfter, "Retry-After", 0)                   \
  X(Route, "Route", 0)                              \
  X(RSeq, "RSeq", 0)                                \
  X(Server, "Server", 0)                            \
  X(ServiceRoute, "Service-Route", 0)               \
  X(SessionExpires, "Session-Expires", 'x')         \
  X(Subject, "Subject", 's')                        \
  X(SubscriptionState, "Subscription-State", 0)     \
  X(Supported, "Supported", 'k')                    \
  X(Timestamp, "Timestamp", 0)                      \
  X(To, "To", 't')                                  \
  X(Unsupported, "Unsupported", 0)                  \
  X(UserAgent, "User-Agent", 0)                     \
  X(Via, "Via", 'v')                                \
  X(Warning, "Warning", 0)                          \
  X(WwwAuthenticate, "WWW-Authenticate", 0)

enum class HeaderId : uint8_t {
  Other = 0,  // not in the dictionary: look it up by name
#define SIPEDGE_HEADER_ENUM(name, text, compact) name,
  SIPEDGE_HEADERS(SIPEDGE_HEADER_ENUM)
#undef SIPEDGE_HEADER_ENUM
      kCount
};

inline constexpr unsigned kHeaderIdCount = static_cast<unsigned>(HeaderId::kCount);

// Id of a header name, case-insensitively, full or compact form. HeaderId::Other if unknown.
HeaderId header_id_lookup(std::string_view name) noexcept;

// Canonical full name ("Call-ID"); "" for Other.
std::string_view header_canonical_name(HeaderId id) noexcept;

// Compact form letter, or 0 when the header has none.
char header_compact_form(HeaderId id) noexcept;

// Case-insensitive ASCII equality for tokens (header names, parameter names, methods' lenient forms).
// Inline: most calls compare a parameter name with a fixed one and end at the length check.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = a[i], y = b[i];
    if (x == y) continue;
    const char l = static_cast<char>(x | 0x20);
    if (l != (y | 0x20) || l < 'a' || l > 'z') return false;
  }
  return true;
}

}  // namespace sipedge::parser
