// control/security/guarded_auth.cc — control lcore only. See guarded_auth.h.
#include "control/security/guarded_auth.h"

#include "common/seeded_hash.h"
#include "control/sip_build.h"

namespace sipedge::control {

GuardedAuth::GuardedAuth(DigestAuth& auth, Lockout& lockout, RegisteredFrom registered_from)
    : auth_(auth), lockout_(lockout), registered_from_(std::move(registered_from)) {
  random_bytes(reinterpret_cast<unsigned char*>(&seed_), sizeof seed_);
}

uint64_t GuardedAuth::fingerprint(const parser::Message& msg, bool proxy) const noexcept {
  const parser::HeaderId id = proxy ? parser::HeaderId::ProxyAuthorization : parser::HeaderId::Authorization;
  uint64_t h = seed_;
  for (const parser::HeaderField* f = msg.find(id); f; f = msg.next_same(f)) h = seeded_hash(h, msg.text(f->value));
  return h == 0 ? 1 : h;
}

AuthResult GuardedAuth::verify(const Inbound& request, bool proxy, uint64_t now_ms) {
  AuthResult a = auth_.verify(request.msg, proxy, now_ms / 1000);
  if (a.outcome == AuthOutcome::Ok && lockout_.throttled(a.user, now_ms) && !registered_from_(a.user, request.source.ip)) {
    a.outcome = AuthOutcome::Rejected;
    a.reason = "user under brute-force throttle";
    ++throttled_refusals_;
  }
  if (a.outcome == AuthOutcome::Rejected &&
      lockout_.failed(request.source.ip, a.user, now_ms, fingerprint(request.msg, proxy)))
    ++lockout_bans_;
  return a;
}

}  // namespace sipedge::control
