// tests/dataplane/loop_test.cc — the poll loops: idle backoff steps, and a worker loop launched on
// its own lcore answering while the test thread acts as control. (The control lcore's loop, which
// hosts worker 0 in shared mode: tests/control/runtime_control_loop_test.cc.)
#include <rte_cycles.h>
#include <rte_pause.h>

#include "dataplane/idle_backoff.h"
#include "tests/support/dataplane_fixture.h"

namespace sipedge::dataplane::test {
namespace {

TEST(IdleBackoff, SpinsThenPausesThenSleepsWithGrowingIntervalAndResetsOnWork) {
  IdleBackoffConfig cfg;
  cfg.spin_polls = 2;
  cfg.pause_polls = 2;
  cfg.sleep_min_us = 10;
  cfg.sleep_max_us = 40;
  IdleBackoff idle(cfg);
  using A = IdleBackoff::Action;
  EXPECT_EQ(idle.on_poll(0), A::None);
  EXPECT_EQ(idle.on_poll(0), A::None);
  EXPECT_EQ(idle.on_poll(0), A::Pause);
  EXPECT_EQ(idle.on_poll(0), A::Pause);
  EXPECT_EQ(idle.on_poll(0), A::Sleep);
  EXPECT_EQ(idle.current_sleep_us(), 20u);
  EXPECT_EQ(idle.on_poll(0), A::Sleep);
  EXPECT_EQ(idle.on_poll(0), A::Sleep);
  EXPECT_EQ(idle.current_sleep_us(), 40u);
  EXPECT_EQ(idle.on_poll(3), A::None);
  EXPECT_EQ(idle.current_sleep_us(), 10u);
  EXPECT_EQ(idle.on_poll(0), A::None);  // spinning again
}

TEST(IdleBackoff, DisabledNeverPausesOrSleeps) {
  IdleBackoffConfig cfg;
  cfg.enabled = false;
  cfg.spin_polls = 0;
  IdleBackoff idle(cfg);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(idle.on_poll(0), IdleBackoff::Action::None);
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
