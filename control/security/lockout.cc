// control/security/lockout.cc — control lcore only. See lockout.h.
#include "control/security/lockout.h"

#include "common/clock.h"

namespace sipedge::control {

size_t Lockout::record(Window& w, uint64_t now_ms) const {
  const uint64_t window_ms = uint64_t{config_.failure_window_s} * 1000;
  // Shards stamp failures from their own clocks, so `now` may be a little earlier than the last
  // one: such a failure is not old (an unsigned difference made it ancient and dropped it).
  while (!w.at_ms.empty() && ms_since(now_ms, w.at_ms.front()) >= window_ms) w.at_ms.pop_front();
  w.at_ms.push_back(now_ms);
  return w.at_ms.size();
}

bool Lockout::failed(const IpAddr& source, std::string_view user, uint64_t now_ms, uint64_t attempt) {
  if (!config_.enabled) return false;
  if (attempt != 0) {
    Window& s = sources_[source];
    if (s.last_attempt == attempt) return false;
    s.last_attempt = attempt;
    s.last_attempt_ms = now_ms;
  }
  ++failures_total_;
  if (!user.empty()) {
    Window& u = users_[std::string(user)];
    if (record(u, now_ms) >= config_.user_max_failures && now_ms >= u.throttled_until_ms) {
      u.throttled_until_ms = now_ms + uint64_t{config_.user_throttle_s} * 1000;
      u.at_ms.clear();
      ++throttles_total_;
    }
  }
  if (bans_.trusted(source)) return false;
  Window& s = sources_[source];
  if (record(s, now_ms) < config_.max_failures) return false;
  sources_.erase(source);
  ++lockouts_total_;
  return bans_.ban(source, "auth-failures", now_ms) != nullptr;
}

bool Lockout::throttled(std::string_view user, uint64_t now_ms) const {
  if (!config_.enabled || users_.empty()) return false;
  auto it = users_.find(std::string(user));
  return it != users_.end() && now_ms < it->second.throttled_until_ms;
}

size_t Lockout::throttled_users(uint64_t now_ms) const {
  size_t n = 0;
  for (const auto& [name, w] : users_) n += now_ms < w.throttled_until_ms;
  return n;
}

void Lockout::expire(uint64_t now_ms) {
  const uint64_t window_ms = uint64_t{config_.failure_window_s} * 1000;
  auto stale = [&](const Window& w) {
    // A trusted source's window holds no failures, only its last fingerprint: kept as long.
    return now_ms >= w.throttled_until_ms && (w.at_ms.empty() || ms_since(now_ms, w.at_ms.back()) >= window_ms) &&
           (w.last_attempt == 0 || ms_since(now_ms, w.last_attempt_ms) >= window_ms);
  };
  std::erase_if(sources_, [&](const auto& kv) { return stale(kv.second); });
  std::erase_if(users_, [&](const auto& kv) { return stale(kv.second); });
}

}  // namespace sipedge::control
