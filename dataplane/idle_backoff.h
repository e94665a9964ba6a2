// dataplane/idle_backoff.h — every poll loop (worker and control lcores). After a run of empty polls
// the loop pauses, then sleeps 10–100 µs, so a 2-core box still leaves CPU to SIPp peers
// (l3fwd-power's zero_rx_packet_count heuristic). Disabled for bare-metal benchmarking: pure spin.
#pragma once

#include <rte_pause.h>

#include <algorithm>
#include <cstdint>
#include <ctime>

#include "dataplane/config.h"

namespace sipedge::dataplane {

class IdleBackoff {
 public:
  explicit IdleBackoff(const IdleBackoffConfig& cfg) noexcept : cfg_(cfg), sleep_us_(cfg.sleep_min_us) {}

  enum class Action : uint8_t { None, Pause, Sleep };

  // Called once per loop iteration with the work it did; returns what it did about idleness.
  Action on_poll(unsigned work) noexcept {
    if (work != 0) {
      empty_polls_ = 0;
      sleep_us_ = cfg_.sleep_min_us;
      return Action::None;
    }
    if (!cfg_.enabled) {
      return Action::None;
    }
    ++empty_polls_;
    if (empty_polls_ <= cfg_.spin_polls) {
      return Action::None;
    }
    if (empty_polls_ <= cfg_.spin_polls + cfg_.pause_polls) {
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
  IdleBackoffConfig cfg_;
  uint32_t empty_polls_ = 0;
  uint32_t sleep_us_;
};

}  // namespace sipedge::dataplane
