// control/security/lockout.h — control lcore only. Brute-force lockout for digest authentication:
// failed attempts are counted per source address and per claimed user in sliding windows. A source
// with max_failures failures within failure_window_s is banned (BanList). A user with
// user_max_failures failures within the window, from any number of sources, is throttled for
// user_throttle_s: attempts for that user are then refused without checking the password, except
// from the addresses the user is registered from (the caller decides that), so a distributed guess
// cannot succeed and the real user is not locked out of its own phone.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/net_address.h"
#include "control/security/ban_list.h"

namespace sipedge::control {

struct LockoutConfig {
  bool enabled = true;
  uint32_t max_failures = 10;       // per source, within the window
  uint32_t failure_window_s = 60;
  uint32_t user_max_failures = 30;  // per user, all sources together, within the window
  uint32_t user_throttle_s = 300;
};

class Lockout {
 public:
  Lockout(LockoutConfig config, BanList& bans) : config_(config), bans_(bans) {}

  // A failed attempt from `source` naming `user` ("" when the credentials named none). Returns true
  // when this failure banned the source. `attempt` fingerprints the credentials (0: unknown): the
  // same ones again from the same source are a copy of a request whose challenge was lost (sipedge
  // challenges statelessly, so no transaction absorbs the copy), not another guess, and count once.
  bool failed(const IpAddr& source, std::string_view user, uint64_t now_ms, uint64_t attempt = 0);
  // Whether attempts for `user` are refused unchecked at `now_ms` (from addresses it is not
  // registered from).
  bool throttled(std::string_view user, uint64_t now_ms) const;
  // Forgets windows with no failure left in them and throttles that ended.
  void expire(uint64_t now_ms);

  size_t tracked_sources() const noexcept { return sources_.size(); }
  size_t tracked_users() const noexcept { return users_.size(); }
  size_t throttled_users(uint64_t now_ms) const;
  uint64_t failures_total() const noexcept { return failures_total_; }
  uint64_t lockouts_total() const noexcept { return lockouts_total_; }
  uint64_t throttles_total() const noexcept { return throttles_total_; }
  const LockoutConfig& config() const noexcept { return config_; }
  // A configuration reload: windows and throttles in progress are kept.
  void set_config(LockoutConfig config) noexcept { config_ = config; }

 private:
  struct Window {
    std::deque<uint64_t> at_ms;  // failure times within the window, oldest first
    uint64_t throttled_until_ms = 0;
    uint64_t last_attempt = 0;  // sources: the fingerprint of the last failed credentials
    uint64_t last_attempt_ms = 0;
  };
  // Drops what left the window, records `now_ms`; returns the failures now in the window.
  size_t record(Window& w, uint64_t now_ms) const;

  LockoutConfig config_;
  BanList& bans_;
  std::unordered_map<IpAddr, Window, IpAddrHash> sources_;
  std::unordered_map<std::string, Window> users_;
  uint64_t failures_total_ = 0, lockouts_total_ = 0, throttles_total_ = 0;
};

}  // namespace sipedge::control
