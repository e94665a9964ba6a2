// control/proxy/refusal.h — control lcore, pure. Why the proxy could not pass a message on, as the
// answer that reaches the wire: a status, a reason phrase naming the cause, and Retry-After when
// the cause is a passing shortage (RFC 3261 §21.5.4, §20.33). Errors travel as these values from
// where they happen (media, rewriting) to the reply; nothing turns them into a generic 488.
#pragma once

#include <cstdint>
#include <string_view>

#include "control/media/media_manager.h"

namespace sipedge::control {

// X(name, status, reason, retry_after_s, counter description)
#define SIPEDGE_REFUSALS(X)                                                                                    \
  X(BadSdp, 488, "Not Acceptable Here: Bad SDP", 0, "SDP that does not parse")                               \
  X(TooManyStreams, 488, "Not Acceptable Here: Too Many Media Streams", 0, "more m-lines than sipedge anchors") \
  X(AddressFamily, 488, "Not Acceptable Here: Incompatible Media Address Family", 0,                          \
    "media address of the other IP version than its interface")                                              \
  X(NoPorts, 503, "Service Unavailable: No Media Ports Available", 5, "relay port range exhausted")           \
  X(RelayFull, 503, "Service Unavailable: Media Relay Full", 5, "relay flow table full")                     \
  X(RelayRefused, 500, "Server Internal Error: Media Relay Refused the Flow", 0, "relay refused a flow")     \
  X(RewriteFailed, 500, "Server Internal Error: Message Rewrite Failed", 0, "rewriter refused its edits")    \
  X(NoInterface, 500, "Server Internal Error: No Such Interface", 0, "route names an unknown interface")     \
  X(Overload, 503, "Service Unavailable: Overloaded", 5, "control lcore behind: new request refused")

enum class RefusalCause : uint8_t {
#define SIPEDGE_REFUSAL_ENUM(name, status, reason, retry, desc) name,
  SIPEDGE_REFUSALS(SIPEDGE_REFUSAL_ENUM)
#undef SIPEDGE_REFUSAL_ENUM
      kCount
};
inline constexpr size_t kRefusalCauseCount = static_cast<size_t>(RefusalCause::kCount);

struct Refusal {
  RefusalCause cause;
  uint16_t status;
  std::string_view reason;
  uint32_t retry_after_s;  // 0: no Retry-After
};

constexpr Refusal refusal(RefusalCause c) noexcept {
  switch (c) {
#define SIPEDGE_REFUSAL_CASE(name, status, reason, retry, desc) \
  case RefusalCause::name: return Refusal{RefusalCause::name, status, reason, retry};
    SIPEDGE_REFUSALS(SIPEDGE_REFUSAL_CASE)
#undef SIPEDGE_REFUSAL_CASE
    case RefusalCause::kCount: break;
  }
  return Refusal{RefusalCause::RewriteFailed, 500, "Server Internal Error", 0};
}

constexpr std::string_view refusal_description(RefusalCause c) noexcept {
  switch (c) {
#define SIPEDGE_REFUSAL_DESC(name, status, reason, retry, desc) \
  case RefusalCause::name: return desc;
    SIPEDGE_REFUSALS(SIPEDGE_REFUSAL_DESC)
#undef SIPEDGE_REFUSAL_DESC
    case RefusalCause::kCount: break;
  }
  return "?";
}

constexpr std::string_view refusal_name(RefusalCause c) noexcept {
  switch (c) {
#define SIPEDGE_REFUSAL_NAME(name, status, reason, retry, desc) \
  case RefusalCause::name: return #name;
    SIPEDGE_REFUSALS(SIPEDGE_REFUSAL_NAME)
#undef SIPEDGE_REFUSAL_NAME
    case RefusalCause::kCount: break;
  }
  return "?";
}

// The answer a media failure reaches the wire as.
constexpr Refusal refusal(MediaError e) noexcept {
  switch (e) {
    case MediaError::BadSdp: return refusal(RefusalCause::BadSdp);
    case MediaError::TooManyStreams: return refusal(RefusalCause::TooManyStreams);
    case MediaError::AddressFamily: return refusal(RefusalCause::AddressFamily);
    case MediaError::NoPorts: return refusal(RefusalCause::NoPorts);
    case MediaError::RelayFull: return refusal(RefusalCause::RelayFull);
    case MediaError::RelayRefused:
    case MediaError::UnknownSession: return refusal(RefusalCause::RelayRefused);
  }
  return refusal(RefusalCause::RelayRefused);
}

}  // namespace sipedge::control
