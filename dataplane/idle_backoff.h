// dataplane/idle_backoff.h — every poll loop (worker and control lcores). Some tens of µs after its
// last work the loop pauses, then sleeps 10–100 µs, so a 2-core box still leaves CPU to SIPp peers
// (l3fwd-power's zero_rx_packet_count heuristic). Disabled for bare-metal benchmarking: pure spin.
#pragma once

#include <rte_pause.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cstdint>
#include <ctime>

#include "dataplane/config.h"

namespace sipedge::dataplane {

class IdleBackoff {
 public:
  // `tsc_hz`: the rate of the clock the loop passes to on_poll (rte_get_tsc_hz()).
  IdleBackoff(const IdleBackoffConfig& cfg, uint64_t tsc_hz) noexcept
      : cfg_(cfg),
        spin_tsc_(uint64_t{cfg.spin_us} * tsc_hz / 1000000),
        pause_end_tsc_(uint64_t{cfg.spin_us + cfg.pause_us} * tsc_hz / 1000000),
        sleep_us_(cfg.sleep_min_us) {
    // The loop's thread: a 10 µs sleep takes 10 µs, not Linux's default 50 µs of timer slack more,
    // which a message arriving meanwhile would wait too.
    if (cfg.enabled) prctl(PR_SET_TIMERSLACK, kTimerSlackNs, 0, 0, 0);
  }

  enum class Action : uint8_t { None, Pause, Sleep };

  // Called once per loop iteration with the work it did and the TSC it started at; returns what
  // it did about idleness.
  Action on_poll(unsigned work, uint64_t now_tsc) noexcept {
    if (work != 0) {
      last_work_tsc_ = now_tsc;
      worked_ = true;
      sleep_us_ = cfg_.sleep_min_us;
      return Action::None;
    }
    if (!cfg_.enabled) {
      return Action::None;
    }
    // A loop that has had nothing to do since it started sleeps at once.
    uint64_t idle = UINT64_MAX;
    if (worked_) idle = now_tsc > last_work_tsc_ ? now_tsc - last_work_tsc_ : 0;
    if (idle < spin_tsc_) {
      return Action::None;
    }
    if (idle < pause_end_tsc_) {
      for (int i = 0; i < kPausesPerPoll; ++i) {
        rte_pause();
      }
      return Action::Pause;
    }
    timespec ts{0, static_cast<long>(sleep_us_) * 1000};
    nanosleep(&ts, nullptr);
    sleep_us_ = std::min(sleep_us_ * 2, cfg_.sleep_max_us);
    return Action::Sleep;
  }

  uint32_t current_sleep_us() const noexcept { return sleep_us_; }

 private:
  static constexpr int kPausesPerPoll = 16;
  static constexpr unsigned long kTimerSlackNs = 1000;
  IdleBackoffConfig cfg_;
  uint64_t spin_tsc_;
  uint64_t pause_end_tsc_;
  uint64_t last_work_tsc_ = 0;
  bool worked_ = false;
  uint32_t sleep_us_;
};

}  // namespace sipedge::dataplane
