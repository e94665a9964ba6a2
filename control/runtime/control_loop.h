// control/runtime/control_loop.h — control lcores. The one loop of a control lcore (DESIGN §2): the
// worker lanes it hosts (shared mode, control RX queues), SIP messages off the ring into the proxy,
// the proxy's timers, neighbour answers and the control TX queue, the relay's idle sweep (silent
// media ends calls), RCU reclamation of retired flows, and the management socket; idle backoff in
// between. On stop it ends every call with BYE both ways, lets the BYEs leave, then stops the
// workers. Nothing else calls up into control: the dataplane only offers rings and queues.
// With several control shards (issue 14 §2) each runs a loop of its own over its own ring and
// proxy; shard 0's also does the process-wide work (lanes, sweeps, management, metrics, reload,
// port resets, stopping the workers), and the parts they share are taken under ShardSet's lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

#include "common/clock.h"
#include "control/api/management_server.h"
#include "control/api/metrics_server.h"
#include "control/media/media_manager.h"
#include "control/latency_histogram.h"
#include "control/overload_detector.h"
#include "control/proxy/proxy.h"
#include "control/runtime/control_io.h"
#include "dataplane/config.h"
#include "dataplane/dataplane.h"
#include "rtp_relay/flow_table.h"

namespace sipedge::control {

class RtpRelayBackend;
class ShardLane;
class ShardLock;
class ShardSet;
class SipCapture;

class ControlLoop {
 public:
  struct Parts {
    dataplane::Dataplane& dataplane;
    ControlIo& io;
    Proxy& proxy;
    relay::FlowTable& table;
    ManagementServer* management = nullptr;  // none in tests
    MetricsServer* metrics = nullptr;        // none unless [metrics] listen is set
    std::function<void()> reload{};          // rereads the configuration (SIGHUP); none in tests
    SipTap* tap = nullptr;                   // this shard's: sees every SIP message it receives (ladder, HEP)
    RtpRelayBackend* offload = nullptr;      // drives NIC media rules (hw/); none without offload
    SipCapture* capture = nullptr;           // pcapng of received SIP (sipedgectl capture)
    // Brings a DPDK port back after its PMD reported a reset (request_port_reset); none in tests.
    std::function<void(uint16_t port_id)> port_reset{};
    unsigned shard = 0;          // the control shard this loop runs (its SIP ring)
    ShardSet* shards = nullptr;  // the shards' common parts; none with one shard
    ShardLane* lane = nullptr;   // a shard past the first: its own TX queues, where the ports have them
    // The clock this shard's Proxy and tap read, refreshed per message and per iteration; none
    // where they read a clock of their own (tests with a ManualClock).
    CachedClock* clock = nullptr;
    // The relay backend, whose flows follow neighbours that move (shard 0); none: they do not.
    RtpRelayBackend* relay = nullptr;
  };
  struct Timing {
    uint64_t idle_check_tsc;     // how often the relay is swept for silent flows
    uint64_t media_timeout_tsc;  // silence that makes a flow direction idle
    uint64_t shutdown_grace_tsc; // how long BYEs (and ARP for them) get to leave on stop
    dataplane::IdleBackoffConfig idle;
    // Overload control (OverloadDetector): a SIP message that waited longer than this in the ring
    // turns it on (0: never); bursts that waited less than overload_leave_tsc turn it off.
    uint64_t overload_enter_tsc = 0;
    uint64_t overload_leave_tsc = 0;
    // ... or this many messages still wait in the ring after a burst (0: the wait alone decides);
    // off again needs the backlog at most overload_leave_backlog.
    uint32_t overload_enter_backlog = 0;
    uint32_t overload_leave_backlog = 0;
  };

  ControlLoop(Parts parts, Timing timing);

  // One iteration at `now_tsc`. Returns the work done (0 = idle).
  unsigned poll_once(uint64_t now_tsc);
  // Iterates until stopped (request_stop), then ends calls and returns once the workers stopped.
  void run();
  // Async-signal-safe.
  void request_stop() noexcept { stop_requested_.store(true, std::memory_order_relaxed); }
  // Any thread, async-signal-safe: Parts::reload runs on the control lcore at the next iteration.
  void request_reload() noexcept { reload_requested_.store(true, std::memory_order_relaxed); }
  // Any thread (the EAL interrupt thread's RTE_ETH_EVENT_INTR_RESET callback): the control lcore
  // calls Parts::port_reset for `port_id` at its next iteration.
  void request_port_reset(uint16_t port_id) noexcept {
    port_resets_.fetch_or(uint64_t{1} << (port_id % 64), std::memory_order_relaxed);
  }
  // True once the loop has ended the calls and stopped the dataplane.
  bool finished() const noexcept { return parts_.dataplane.stopping(); }
  const OverloadDetector& overload() const noexcept { return overload_; }
  // Per SIP message: how long it waited between the lane and the control lcore, and how long the
  // control lcore spent on it (issue 14's tail latency: which of the two it is).
  const LatencyHistogram& sip_wait() const noexcept { return sip_wait_; }
  const LatencyHistogram& sip_work() const noexcept { return sip_work_; }
  // TSC cycles of the iterations that did work (messages, timers, media, management): what this
  // lcore spent beyond polling empty queues. Read with the shard paused (PauseOthers).
  uint64_t busy_tsc() const noexcept { return busy_tsc_; }

 private:
  unsigned drain_sip(uint64_t now_tsc);
  static bool on_idle(void* ctx, const relay::IdleReport& r);
  // A relay flow went silent: to the proxy of the shard that owns it.
  void media_idle(FlowBackend::Handle flow);
  // The shards' lock when there are several (nothing with one).
  std::unique_lock<ShardLock> shared_parts() const;
  // Whether this shard's proxy sent anything (sent, failed or unreachable) since the last call.
  bool sent_since_poll() noexcept;


  Parts parts_;
  Timing timing_;
  OverloadDetector overload_;
  LatencyHistogram sip_wait_{kMessageBoundsUs};
  LatencyHistogram sip_work_{kMessageBoundsUs};
  uint64_t busy_tsc_ = 0;
  uint64_t sends_at_poll_ = 0;  // the proxy's send attempts when this shard last polled ControlIo
  uint64_t tsc_per_us_ = 1;
  uint64_t media_timeout_ns_ = 0;  // timing_.media_timeout_tsc, for the NIC's clock
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> reload_requested_{false};
  std::atomic<uint64_t> port_resets_{0};  // one bit per DPDK port id
  uint64_t next_overload_log_tsc_ = 0;
  bool overload_logged_ = false;
  bool ending_ = false;
  uint64_t end_deadline_tsc_ = 0;
  uint64_t next_sweep_tsc_ = 0;
  uint64_t next_reclaim_tsc_ = 0;
};

}  // namespace sipedge::control
