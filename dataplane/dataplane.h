// dataplane/dataplane.h — built and torn down on the main thread; owns pools, rings, ports and
// workers, and runs the worker lcores' poll loops (worker_loop.cc). What it offers the control lcore
// is its rings (rings.h), each port's control TX queue and the counters of that lcore; it never calls
// up into control. EAL must already run (eal.h). One instance per process at a time is the intended
// use; names are unique per instance so tests can build several in turn.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/ban_table.h"
#include "dataplane/config.h"
#include "dataplane/counters.h"
#include "dataplane/shared_state.h"
#include "dataplane/worker.h"
#include "parser/policy_matcher.h"
#include "parser/scanner.h"

namespace sipedge::dataplane {

class Dataplane {
 public:
  // Creates mempools and rings, opens every port, builds one Worker per worker lcore (one worker
  // on the main lcore when cfg.eal.worker_lcores is empty: shared mode). `scanner` must outlive
  // the Dataplane. Throws std::runtime_error on any startup failure.
  Dataplane(const DataplaneConfig& cfg, const parser::Scanner& scanner);
  // Stops loops, stops ports, frees workers, rings and pools (pending items and mbufs included).
  ~Dataplane();
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  // Attaches the relay. Only before launch()/run_control(): workers read it without locks.
  void set_media_handler(MediaHandler handler) noexcept { shared_.media = handler; }

  // Signature rules every lane matches SIP against, each lane with its own clone of `matcher`; each
  // rule's action by its id. Control lcore, at start or while the lanes run (a reload): each lane
  // takes its set between two bursts. Why it cannot (a rule id above kMaxPolicyRules, Hyperscan
  // cannot give a lane its scratch), and then nothing changed; empty when done.
  std::string set_policy(const parser::PolicyRules& rules, const parser::PolicyMatcher& matcher);
  // No signature rules from the lanes' next bursts on (a reload that removed them all).
  void clear_policy();
  // Control lcore, now and then: frees the sets the lanes replaced. True once every lane runs the
  // last set offered.
  bool reclaim_policies() noexcept;
  // Sources whose SIP the lanes drop before parsing; the control lcore is its only writer.
  BanTable& bans() noexcept { return *bans_; }

  // Starts a worker loop on each worker lcore (no-op in shared mode).
  void launch();
  // The worker lanes the control lcore hosts, one pass each: worker 0 in shared mode, and the RX
  // queue of control_rx ports. The control loop calls it every iteration. Returns packets received.
  unsigned poll_control_lanes(uint64_t now_tsc) noexcept;
  // Asks every worker loop to return (any thread, async-signal-safe).
  void stop() noexcept { quit_.store(true, std::memory_order_relaxed); }
  bool stopping() const noexcept { return quit_.load(std::memory_order_relaxed); }
  // Waits for the worker lcores launched by launch().
  void join() noexcept;

  // Control lcore: brings interface `iface`'s port back after its PMD reported a reset
  // (RTE_ETH_EVENT_INTR_RESET) or an operator asked for one. The worker loops pause between two
  // passes (they hold no mbuf then), the port is reset with rte_eth_dev_reset (stopped, where the
  // PMD has no reset), configured and started again as at start-up, and the workers resume. The
  // NIC forgot its rte_flow rules: the caller installs them again. "" when the port is back, else
  // why not (the port may then be down).
  std::string reset_port(uint16_t iface);

  bool shared_mode() const noexcept { return shared_mode_; }
  unsigned worker_count() const noexcept { return static_cast<unsigned>(workers_.size()); }
  // Lanes that poll RX queues and report to the media handler: the workers, plus the control
  // lcore's lane when a port gives it an RX queue. A MediaRelay must register exactly these as
  // QSBR readers: a registered reader that never polls never reports quiescent, and retired flows
  // would then never be reclaimed.
  unsigned media_lanes() const noexcept { return worker_count() + (control_rx_ ? 1u : 0u); }
  Worker& worker(unsigned i) noexcept { return *workers_[i]; }
  const SharedState& shared() const noexcept { return shared_; }
  // The control lcore's counters (also those of its RX lane).
  LcoreCounters& control_counters() noexcept { return counters_[workers_.size()]; }
  // Control shard s's (1..N-1): what it sends on its own TX queues (Interface::shard_tx_queues).
  LcoreCounters& shard_counters(unsigned shard) noexcept { return counters_[workers_.size() + shard]; }
  const Interface& iface(uint16_t i) const noexcept { return shared_.ifaces[i]; }

  // Totals over every lcore (workers, control, control shards) for one interface; lock-free reads.
  uint64_t total(uint16_t iface, Event e) const noexcept;
  uint64_t total(uint16_t iface, Drop d) const noexcept;
  // Per-lcore view: index 0..N-1 = workers (= queue numbers), N = control, N + s = control shard s.
  const LcoreCounters& lcore_counters(unsigned i) const noexcept { return counters_[i]; }

 private:
  static int worker_main(void* arg);
  void release_resources() noexcept;

  DataplaneConfig cfg_;
  SharedState shared_;
  std::string suffix_;
  bool shared_mode_ = false;
  std::unique_ptr<LcoreCounters[]> counters_;
  std::unique_ptr<BanTable> bans_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Worker> control_rx_;  // polls RX queue N of control_rx ports, on the control lcore
  std::vector<unsigned> launched_lcores_;
  std::atomic<bool> quit_{false};
  std::atomic<bool> park_{false};       // worker loops pause while set (reset_port)
  std::atomic<unsigned> parked_{0};     // how many of them are paused now
};

}  // namespace sipedge::dataplane
