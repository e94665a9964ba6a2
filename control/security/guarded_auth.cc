// control/security/guarded_auth.cc — control lcore only. See guarded_auth.h.
#include "control/security/guarded_auth.h"

namespace sipedge::control {

AuthResult GuardedAuth::verify(const Inbound& request, bool proxy, uint64_t now_ms) {
  AuthResult a = auth_.verify(request.msg, proxy, now_ms / 1000);
  if (a.outcome == AuthOutcome::Ok && lockout_.throttled(a.user, now_ms) && !registered_from_(a.user, request.source.ip)) {
    a.outcome = AuthOutcome::Rejected;
    a.reason = "user under brute-force throttle";
    ++throttled_refusals_;
  }
  if (a.outcome == AuthOutcome::Rejected && lockout_.failed(request.source.ip, a.user, now_ms)) ++lockout_bans_;
  return a;
}

}  // namespace sipedge::control
