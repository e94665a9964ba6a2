// apps/gateway/gateway.h — the sipedge process: builds the dataplane, relay, media manager, proxy and
// management socket from one configuration and runs the control loop on the main lcore. Startup and
// shutdown run on the main thread; poll() runs on the control lcore, once per control iteration.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "apps/config_loader.h"

struct rte_ring;

namespace sipedge::apps {

class Gateway {
 public:
  // EAL must be running. Throws std::runtime_error when a resource cannot be created.
  explicit Gateway(GatewayConfig config);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Runs until request_stop(): ends every call with BYE both ways, lets the BYEs leave, returns.
  void run();
  // Async-signal-safe.
  void request_stop() noexcept { stop_requested_.store(true, std::memory_order_relaxed); }

  // One control iteration (called by the dataplane's control loop). Returns the work done (0 = idle).
  unsigned poll(uint64_t now_tsc);

 private:
  struct Parts;
  unsigned drain_idle_reports(uint64_t now_tsc);

  GatewayConfig config_;
  std::unique_ptr<Parts> parts_;
  std::atomic<bool> stop_requested_{false};
  bool ending_ = false;
  uint64_t end_deadline_tsc_ = 0;
  uint64_t next_sweep_tsc_ = 0;
  uint64_t next_reclaim_tsc_ = 0;
};

}  // namespace sipedge::apps
