// control/security/rate_limiter.h — control lcore only. A token bucket per source address for
// requests that start something (INVITE, REGISTER, OPTIONS, SUBSCRIBE, MESSAGE outside a dialog):
// `rate` tokens per second up to `burst`. What is over the limit is dropped silently by the caller:
// answering a flood would double it. Buckets that have refilled are forgotten; at most max_sources
// are tracked, and a source beyond that is let through (overload control still guards the loop).
#pragma once

#include <cstdint>
#include <unordered_map>

#include "common/net_address.h"

namespace sipedge::control {

struct RateLimit {
  uint32_t per_s = 0;  // 0: no limit
  uint32_t burst = 0;  // bucket size; 0 takes 2 × per_s
};

class RateLimiter {
 public:
  explicit RateLimiter(size_t max_sources = 200000) : max_sources_(max_sources) {}

  // Takes a token for `source` under `limit`; false when its bucket is empty.
  bool allow(const IpAddr& source, const RateLimit& limit, uint64_t now_ms);
  // Forgets buckets that have been full again for a while (idle sources).
  void expire(uint64_t now_ms);
  size_t size() const noexcept { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    uint64_t last_ms;
    uint64_t full_at_ms;  // when it will be full again if nothing more arrives
  };
  size_t max_sources_;
  std::unordered_map<IpAddr, Bucket, IpAddrHash> buckets_;
};

}  // namespace sipedge::control
