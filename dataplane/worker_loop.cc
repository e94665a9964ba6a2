// dataplane/worker_loop.cc — worker lcores: one obvious loop per lcore (l3fwd lpm_main_loop),
// poll_once + idle backoff until stop. The lanes a control lcore hosts (shared mode, control RX
// queues) are polled from the control loop (control/runtime) through poll_control_lanes. Loops never
// allocate or log.
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "dataplane/dataplane.h"
#include "dataplane/idle_backoff.h"

namespace sipedge::dataplane {
namespace {

struct WorkerLaunch {
  Worker* worker;
  const IdleBackoffConfig* idle;
  const std::atomic<bool>* quit;
};

}  // namespace

int Dataplane::worker_main(void* arg) {
  auto* launch = static_cast<WorkerLaunch*>(arg);
  Worker& worker = *launch->worker;
  IdleBackoff idle(*launch->idle);
  const std::atomic<bool>& quit = *launch->quit;
  delete launch;
  while (!quit.load(std::memory_order_relaxed)) {
    idle.on_poll(worker.poll_once(rte_rdtsc()));
  }
  return 0;
}

void Dataplane::launch() {
  if (shared_mode_) {
    return;
  }
  for (unsigned w = 0; w < workers_.size(); ++w) {
    unsigned lcore = cfg_.eal.worker_lcores[w];
    auto* arg = new WorkerLaunch{workers_[w].get(), &cfg_.idle, &quit_};
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
