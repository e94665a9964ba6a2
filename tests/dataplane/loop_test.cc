// tests/dataplane/loop_test.cc — the poll loops: idle backoff steps, and a worker loop launched on
// its own lcore answering while the test thread acts as control. (The control lcore's loop, which
// hosts worker 0 in shared mode: tests/control/runtime_control_loop_test.cc.)
#include <rte_cycles.h>
#include <rte_pause.h>
#include <sys/prctl.h>

#include <thread>

#include "dataplane/idle_backoff.h"
#include "tests/support/dataplane_fixture.h"

namespace sipedge::dataplane::test {
namespace {

// The TSC as microseconds: phases are read off the time since the last work, however many polls.
constexpr uint64_t kUsHz = 1000000;

TEST(IdleBackoff, SpinsThenPausesThenSleepsWithGrowingIntervalAndResetsOnWork) {
  IdleBackoffConfig cfg;
  cfg.spin_us = 20;
  cfg.pause_us = 30;
  cfg.sleep_min_us = 10;
  cfg.sleep_max_us = 40;
  IdleBackoff idle(cfg, kUsHz);
  using A = IdleBackoff::Action;
  EXPECT_EQ(idle.on_poll(1, 1000), A::None);
  EXPECT_EQ(idle.on_poll(0, 1001), A::None);
  EXPECT_EQ(idle.on_poll(0, 1001), A::None);  // polls do not count: a thousand in one µs spin too
  EXPECT_EQ(idle.on_poll(0, 1019), A::None);
  EXPECT_EQ(idle.on_poll(0, 1020), A::Pause);
  EXPECT_EQ(idle.on_poll(0, 1049), A::Pause);
  EXPECT_EQ(idle.current_sleep_us(), 10u);
  EXPECT_EQ(idle.on_poll(0, 1050), A::Sleep);
  EXPECT_EQ(idle.current_sleep_us(), 20u);
  EXPECT_EQ(idle.on_poll(0, 1080), A::Sleep);
  EXPECT_EQ(idle.on_poll(0, 1120), A::Sleep);
  EXPECT_EQ(idle.current_sleep_us(), 40u);
  EXPECT_EQ(idle.on_poll(3, 1200), A::None);
  EXPECT_EQ(idle.current_sleep_us(), 10u);
  EXPECT_EQ(idle.on_poll(0, 1201), A::None);  // spinning again
  EXPECT_EQ(idle.on_poll(0, 1221), A::Pause);
}

TEST(IdleBackoff, ALoopThatHasDoneNothingYetSleeps) {
  IdleBackoffConfig cfg;
  IdleBackoff idle(cfg, kUsHz);
  EXPECT_EQ(idle.on_poll(0, 5), IdleBackoff::Action::Sleep);
}

// Each on its own thread: the slack is the calling thread's. Each thread first sets Linux's default
// (50 µs): a thread inherits its creator's slack, and an earlier test in this process may have run
// a loop on the main thread.
TEST(IdleBackoff, ALoopThatMaySleepAsksForMicrosecondTimerSlack) {
  constexpr long kDefaultSlack = 50'000;
  long enabled_slack = 0, disabled_slack = 0;
  std::thread([&] {
    prctl(PR_SET_TIMERSLACK, kDefaultSlack, 0, 0, 0);
    IdleBackoffConfig cfg;
    const IdleBackoff idle(cfg, kUsHz);
    enabled_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  }).join();
  std::thread([&] {
    prctl(PR_SET_TIMERSLACK, kDefaultSlack, 0, 0, 0);
    IdleBackoffConfig cfg;
    cfg.enabled = false;
    const IdleBackoff idle(cfg, kUsHz);
    disabled_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  }).join();
  EXPECT_EQ(enabled_slack, 1000);
  EXPECT_EQ(disabled_slack, kDefaultSlack);  // left alone by a loop that never sleeps
}

TEST(IdleBackoff, DisabledNeverPausesOrSleeps) {
  IdleBackoffConfig cfg;
  cfg.enabled = false;
  cfg.spin_us = 0;
  IdleBackoff idle(cfg, kUsHz);
  for (uint64_t t = 0; t < 100; ++t) {
    ASSERT_EQ(idle.on_poll(0, t * 1000), IdleBackoff::Action::None);
  }
}

Bytes arp_request_for_us() {
  Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  return cat(ether(bcast, kPeerMac, 0x0806), arp(1, kPeerMac, ip4("10.201.0.7"), Mac{}, ip4("10.201.0.1")));
}

class LaunchedWorker : public DataplaneTest {
 protected:
  void customise(DataplaneConfig& cfg) override { cfg.eal.worker_lcores = {1}; }
};

TEST_F(LaunchedWorker, AnswersOnItsOwnLcoreUntilStopped) {
  ASSERT_FALSE(dp_->shared_mode());
  ASSERT_EQ(dp_->worker_count(), 1u);
  dp_->launch();
  ASSERT_EQ(rte_ring_enqueue(ports_[kAccess].rx[0], to_mbuf(arp_request_for_us())), 0);
  // Bounded wait for the worker lcore (2 s of TSC), never a sleep.
  uint64_t limit = rte_rdtsc() + 2 * rte_get_tsc_hz();
  while (rte_ring_count(ports_[kAccess].tx[0]) == 0 && rte_rdtsc() < limit) {
    rte_pause();
  }
  dp_->stop();
  dp_->join();
  std::vector<Bytes> out = sent(kAccess, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], cat(ether(kPeerMac, our_mac(kAccess), 0x0806),
                        arp(2, our_mac(kAccess), ip4("10.201.0.1"), kPeerMac, ip4("10.201.0.7"))));
  EXPECT_EQ(dp_->lcore_counters(0).get(kAccess, Event::ArpReplied), 1u);
}

// A port reset while the worker runs: the worker pauses for it, the port is configured and started
// again (net_ring has no rte_eth_dev_reset: stopped, then started), and the worker answers on it.
TEST_F(LaunchedWorker, APortResetPausesTheWorkerAndThePortWorksAfterwards) {
  dp_->launch();
  EXPECT_EQ(dp_->reset_port(kAccess), "");
  EXPECT_EQ(dp_->reset_port(7), "no interface 7");
  ASSERT_EQ(rte_ring_enqueue(ports_[kAccess].rx[0], to_mbuf(arp_request_for_us())), 0);
  uint64_t limit = rte_rdtsc() + 2 * rte_get_tsc_hz();
  while (rte_ring_count(ports_[kAccess].tx[0]) == 0 && rte_rdtsc() < limit) rte_pause();
  dp_->stop();
  dp_->join();
  EXPECT_EQ(sent(kAccess, 0).size(), 1u) << "answered after the reset";
  EXPECT_EQ(dp_->lcore_counters(0).get(kAccess, Event::ArpReplied), 1u);
}

}  // namespace
}  // namespace sipedge::dataplane::test
