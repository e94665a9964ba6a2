// control/proxy/session_timer.h — control lcore, pure. RFC 4028 session timers as a proxy sees
// them: the Session-Expires and Min-SE values of a message, and what the proxy does to a request
// (refuse it with 422, insert or lower Session-Expires, raise Min-SE) and to its 2xx (make sure the
// interval the dialog runs on is stated, so someone refreshes it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "parser/message.h"

namespace sipedge::control {

struct SessionExpires {
  uint32_t interval_s = 0;
  std::string_view refresher;  // "uac", "uas" or "" (not chosen yet)
};

// Session-Expires of `msg` (RFC 4028 §4), nullopt when absent or malformed (a delta-seconds,
// optionally ";refresher=uac|uas" and other params).
std::optional<SessionExpires> session_expires(const parser::Message& msg) noexcept;
// Min-SE of `msg` (§5), nullopt when absent or malformed.
std::optional<uint32_t> min_se(const parser::Message& msg) noexcept;
// Whether an option tag ("timer", "100rel") is in the message's Supported (or Require) headers.
bool supports(const parser::Message& msg, std::string_view tag) noexcept;

struct SessionTimerPolicy {
  uint32_t session_expires_s = 0;  // inserted when a request has none (0: never)
  uint32_t min_se_s = 90;          // the smallest interval sipedge accepts
};

// What the proxy does to an INVITE or UPDATE (§8.1).
struct RequestTimerEdit {
  bool too_small = false;           // answer 422 with Min-SE: policy.min_se_s
  uint32_t session_expires = 0;     // the Session-Expires value to write, inserted or lowered (0: none)
  uint32_t min_se = 0;              // the Min-SE to write, raised (0: none)
  uint32_t interval_s = 0;          // the interval the forwarded request asks for (0: none)
};
RequestTimerEdit plan_request_timer(const parser::Message& request, const SessionTimerPolicy& policy) noexcept;

// What the proxy does to a 2xx of such a request (§8.2): when the request asked for an interval
// (`asked_s`), the UAC supports timers and the UAS answered without Session-Expires, the 2xx gets
// "Session-Expires: <asked>;refresher=uac" and "Require: timer" so the UAC refreshes. Returns the
// interval the dialog now runs on (0: none: nobody refreshes, nothing expires), and in `insert`
// the Session-Expires value to add ("" for none).
uint32_t plan_response_timer(const parser::Message& response, uint32_t asked_s, bool uac_supports_timer,
                             std::string& insert);

}  // namespace sipedge::control
