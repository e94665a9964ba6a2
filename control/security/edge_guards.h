// control/security/edge_guards.h — control lcores. The per-source state of edge security: bans, the
// brute-force lockout and the rate limits. A Proxy has its own; with several control shards (issue
// 14 §2) they share one, because a source spreads its Call-IDs over the shards and its failures and
// its rate must add up in one place, and then every use of it is under `lock`.
#pragma once

#include <mutex>

#include "control/config.h"
#include "control/security/ban_list.h"
#include "control/security/lockout.h"
#include "control/security/rate_limiter.h"

namespace sipedge::control {

struct EdgeGuards {
  explicit EdgeGuards(const ControlConfig& config)
      : bans(BanConfig{config.security.ban_s, config.security.ban_max_s}, config.trusted),
        lockout(config.security.lockout, bans) {}
  BanList bans;
  Lockout lockout;
  RateLimiter rate_limiter;
  std::mutex lock;  // taken by every shard's Proxy while it uses the three above (shared only)
};

}  // namespace sipedge::control
