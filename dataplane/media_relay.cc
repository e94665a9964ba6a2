// dataplane/media_relay.cc — worker lcores (on_burst, on_poll_done); main thread (setup/teardown).
// The glue between the dataplane's media bursts and rtp_relay's relay_burst (DESIGN §2 fast path).
#include "dataplane/media_relay.h"

#include <rte_rcu_qsbr.h>

#include <stdexcept>
#include <string>

#include "dataplane/counters.h"

namespace sipedge::dataplane {

MediaRelay::MediaRelay(const relay::FlowTable& table, unsigned lanes, unsigned first_reader)
    : view_(table.view()), lanes_(lanes), first_reader_(first_reader), lane_(std::make_unique<Lane[]>(lanes)) {
  for (unsigned i = 0; i < lanes_; ++i) {
    if (rte_rcu_qsbr_thread_register(view_.qsbr, first_reader_ + i) != 0) {
      for (unsigned j = 0; j < i; ++j) {
        rte_rcu_qsbr_thread_offline(view_.qsbr, first_reader_ + j);
        rte_rcu_qsbr_thread_unregister(view_.qsbr, first_reader_ + j);
      }
      throw std::runtime_error("media relay: QSBR reader id " + std::to_string(first_reader_ + i) +
                               " unavailable (FlowTableConfig::max_readers too small?)");
    }
    // Online from the start: each lane reports a quiescent state every poll iteration.
    rte_rcu_qsbr_thread_online(view_.qsbr, first_reader_ + i);
  }
}

MediaRelay::~MediaRelay() {
  for (unsigned i = 0; i < lanes_; ++i) {
    rte_rcu_qsbr_thread_offline(view_.qsbr, first_reader_ + i);
    rte_rcu_qsbr_thread_unregister(view_.qsbr, first_reader_ + i);
  }
}

void MediaRelay::on_burst(void* ctx, const MediaBurst& burst) noexcept {
  auto* self = static_cast<MediaRelay*>(ctx);
  Lane& lane = self->lane_[burst.worker];
  relay::relay_burst(self->view_, burst.pkts, lane.tx, lane.counters, burst.now_tsc);
  // The worker's queue number is its TX queue on every port (the control queue for the control
  // lcore's lane), so this lcore is the only writer.
  relay::tx_batch_flush(lane.tx, static_cast<uint16_t>(burst.worker), lane.counters);
}

void MediaRelay::on_poll_done(void* ctx, unsigned worker) noexcept {
  auto* self = static_cast<MediaRelay*>(ctx);
  rte_rcu_qsbr_quiescent(self->view_.qsbr, self->first_reader_ + worker);
}

relay::RelayTotals MediaRelay::totals() const noexcept {
  relay::RelayTotals sum;
  for (unsigned i = 0; i < lanes_; ++i) {
    relay::RelayTotals t = lane_[i].counters.totals();
    sum.rx_packets += t.rx_packets;
    sum.forwarded_packets += t.forwarded_packets;
    sum.forwarded_bytes += t.forwarded_bytes;
    sum.latched += t.latched;
    for (size_t d = 0; d < relay::kRelayDropCount; ++d) {
      sum.drops[d] += t.drops[d];
    }
  }
  return sum;
}

}  // namespace sipedge::dataplane
