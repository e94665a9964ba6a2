// control/security/rate_limiter.cc — control lcore only. See rate_limiter.h.
#include "control/security/rate_limiter.h"

#include <algorithm>

#include "common/clock.h"

namespace sipedge::control {

bool RateLimiter::allow(const IpAddr& source, const RateLimit& limit, uint64_t now_ms) {
  if (limit.per_s == 0) return true;
  const double burst = limit.burst ? limit.burst : 2.0 * limit.per_s;
  auto it = buckets_.find(source);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_sources_) return true;
    it = buckets_.emplace(source, Bucket{burst, now_ms, now_ms}).first;
  }
  Bucket& b = it->second;
  // Shards stamp the bucket from their own clocks: an earlier `now` than the last refills nothing
  // (an unsigned difference refilled it whole), and the latest time seen stays the bucket's.
  b.tokens = std::min(burst, b.tokens + static_cast<double>(ms_since(now_ms, b.last_ms)) * limit.per_s / 1000.0);
  b.last_ms = std::max(b.last_ms, now_ms);
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  b.full_at_ms = now_ms + static_cast<uint64_t>((burst - b.tokens) * 1000.0 / limit.per_s) + 1;
  return true;
}

void RateLimiter::expire(uint64_t now_ms) {
  std::erase_if(buckets_, [&](const auto& kv) { return now_ms >= kv.second.full_at_ms; });
}

}  // namespace sipedge::control
