// control/security/guarded_auth.h — control lcore only. Digest verification as the proxy and the
// registrar use it: DigestAuth's verdict, then the lockout's. A rejection is a failure for the
// source and for the user it named (Lockout); a user under throttle is refused even with the right
// password, unless the request comes from an address the user is registered from. The answer stays
// the same challenge either way, so a guesser learns nothing from it.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "control/auth/digest.h"
#include "control/security/lockout.h"
#include "control/sip_io.h"

namespace sipedge::control {

class GuardedAuth {
 public:
  // Whether `user` has a binding registered from `source` (its own phone).
  using RegisteredFrom = std::function<bool(std::string_view user, const IpAddr& source)>;

  GuardedAuth(DigestAuth& auth, Lockout& lockout, RegisteredFrom registered_from);

  // Checks `request`'s Authorization (`proxy` false) or Proxy-Authorization credentials at `now_ms`.
  AuthResult verify(const Inbound& request, bool proxy, uint64_t now_ms);

  DigestAuth& digest() const noexcept { return auth_; }
  uint64_t throttled_refusals() const noexcept { return throttled_refusals_; }
  uint64_t lockout_bans() const noexcept { return lockout_bans_; }

 private:
  DigestAuth& auth_;
  Lockout& lockout_;
  // Every credentials header of the kind verify read, hashed with seed_ (random, so a guesser
  // cannot make two guesses share a fingerprint and be counted once).
  uint64_t fingerprint(const parser::Message& msg, bool proxy) const noexcept;

  RegisteredFrom registered_from_;
  uint64_t seed_ = 0;
  uint64_t throttled_refusals_ = 0, lockout_bans_ = 0;
};

}  // namespace sipedge::control
