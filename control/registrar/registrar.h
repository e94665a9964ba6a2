// control/registrar/registrar.h — control lcore only. RFC 3261 §10.3 REGISTER processing: digest
// authentication (401), the authenticated user must own the AOR (403), Expires / Min-Expires (423),
// several contacts, "Expires: 0" and "*" removal, Call-ID/CSeq ordering, and the 200 listing every
// current binding. Decides the answer; the proxy core sends it through the server transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "control/security/guarded_auth.h"
#include "control/registrar/location.h"
#include "control/sip_io.h"

namespace sipedge::control {

struct RegistrarConfig {
  uint32_t default_expires_s = 3600;
  uint32_t min_expires_s = 60;
  uint32_t max_expires_s = 7200;
  bool require_auth = true;
  // Whether credentials of `auth_user` may bind the AOR of `aor_user` as well as its own (a
  // receptionist's phone registering a hunt number); none: only its own.
  std::function<bool(std::string_view auth_user, std::string_view aor_user)> may_bind;
};

struct RegistrarReply {
  uint16_t status = 500;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers, in order
  size_t bindings_added = 0, bindings_removed = 0;
};

class Registrar {
 public:
  // `auth` verifies credentials with the brute-force lockout in the loop (security/guarded_auth.h).
  Registrar(Location& location, GuardedAuth& auth, RegistrarConfig config)
      : location_(location), auth_(auth), config_(config) {}

  // `domain`: the canonical domain the request's To AOR belongs to (the caller checked it is ours).
  RegistrarReply handle(const Inbound& request, std::string_view domain, uint64_t now_ms);

  const RegistrarConfig& config() const noexcept { return config_; }
  void set_config(RegistrarConfig config) noexcept { config_ = std::move(config); }

 private:
  RegistrarReply challenge(uint64_t now_ms, bool stale) const;
  void list_bindings(RegistrarReply& reply, const std::string& aor, uint64_t now_ms) const;

  Location& location_;
  GuardedAuth& auth_;
  RegistrarConfig config_;
};

}  // namespace sipedge::control
