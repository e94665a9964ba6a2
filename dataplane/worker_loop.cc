// dataplane/worker_loop.cc — worker lcores: one obvious loop per lcore (l3fwd lpm_main_loop),
// poll_once + idle backoff until stop. The lanes a control lcore hosts (shared mode, control RX
// queues) are polled from the control loop (control/runtime) through poll_control_lanes, and the
// control lcore pauses the loops here to reset a port (reset_port). Loops never allocate or log.
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_pause.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "dataplane/dataplane.h"
#include "dataplane/idle_backoff.h"
#include "dataplane/port.h"

namespace sipedge::dataplane {
namespace {

struct WorkerLaunch {
  Worker* worker;
  const IdleBackoffConfig* idle;
  const std::atomic<bool>* quit;
  const std::atomic<bool>* park;
  std::atomic<unsigned>* parked;
};

}  // namespace

int Dataplane::worker_main(void* arg) {
  auto* launch = static_cast<WorkerLaunch*>(arg);
  Worker& worker = *launch->worker;
  IdleBackoff idle(*launch->idle, rte_get_tsc_hz());
  const std::atomic<bool>& quit = *launch->quit;
  const std::atomic<bool>& park = *launch->park;
  std::atomic<unsigned>& parked = *launch->parked;
  delete launch;
  while (!quit.load(std::memory_order_relaxed)) {
    if (park.load(std::memory_order_acquire)) {
      // Between two passes: nothing received is held, everything sent was flushed.
      parked.fetch_add(1, std::memory_order_acq_rel);
      while (park.load(std::memory_order_acquire) && !quit.load(std::memory_order_relaxed)) rte_pause();
      parked.fetch_sub(1, std::memory_order_acq_rel);
      continue;
    }
    const uint64_t now = rte_rdtsc();
    idle.on_poll(worker.poll_once(now), now);
  }
  return 0;
}

void Dataplane::launch() {
  if (shared_mode_) {
    return;
  }
  for (unsigned w = 0; w < workers_.size(); ++w) {
    unsigned lcore = cfg_.eal.worker_lcores[w];
    auto* arg = new WorkerLaunch{workers_[w].get(), &cfg_.idle, &quit_, &park_, &parked_};
    if (rte_eal_remote_launch(&Dataplane::worker_main, arg, lcore) != 0) {
      delete arg;
      stop();
      join();
      throw std::runtime_error("rte_eal_remote_launch on lcore " + std::to_string(lcore) + " failed");
    }
    launched_lcores_.push_back(lcore);
  }
}

void Dataplane::join() noexcept {
  for (unsigned lcore : launched_lcores_) {
    rte_eal_wait_lcore(lcore);
  }
  launched_lcores_.clear();
}

std::string Dataplane::reset_port(uint16_t iface) {
  if (iface >= shared_.n_ifaces) return "no interface " + std::to_string(iface);
  const Interface& ifc = shared_.ifaces[iface];
  const PortConfig& cfg = cfg_.ports[iface];
  // Pause the worker loops; a second is far more than a pass takes.
  park_.store(true, std::memory_order_release);
  const uint64_t deadline = rte_get_tsc_cycles() + rte_get_tsc_hz();
  while (parked_.load(std::memory_order_acquire) < launched_lcores_.size() && rte_get_tsc_cycles() < deadline) rte_pause();
  std::string why;
  if (parked_.load(std::memory_order_acquire) < launched_lcores_.size()) {
    why = "the worker loops did not pause";
  } else {
    int rc = rte_eth_dev_reset(ifc.port_id);
    // PMDs without a reset (net_af_packet, net_ring): a stop, then the start below, is what they have.
    if (rc == -ENOTSUP) rc = rte_eth_dev_stop(ifc.port_id);
    if (rc != 0) {
      why = std::string("rte_eth_dev_reset: ") + rte_strerror(-rc);
    } else {
      try {
        rte_mempool* rx_pool = rx_data_room(cfg) != 0 ? shared_.large_rx_pool : shared_.mbuf_pool;
        const Interface again = open_port(cfg, iface, shared_.n_workers, shared_.n_shards, shared_mode_, rx_pool);
        if (again.port_id != ifc.port_id || again.rx_queues != ifc.rx_queues || again.control_queue != ifc.control_queue ||
            again.shard_tx_queues != ifc.shard_tx_queues)
          why = "port " + cfg.device + " came back with other queues";
      } catch (const std::exception& e) {
        why = e.what();
      }
    }
  }
  park_.store(false, std::memory_order_release);
  return why;
}

unsigned Dataplane::poll_control_lanes(uint64_t now_tsc) noexcept {
  unsigned work = 0;
  if (shared_mode_) {
    work += workers_[0]->poll_once(now_tsc);
  }
  if (control_rx_) {
    work += control_rx_->poll_once(now_tsc);
  }
  return work;
}

}  // namespace sipedge::dataplane
