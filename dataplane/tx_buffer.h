// dataplane/tx_buffer.h — one lcore each (a worker, or control on its control queue). Collects
// packets per interface and sends them once per poll iteration (l3fwd send_burst). What the queue
// refuses is freed and counted as Drop::TxFull, never lost silently. Never blocks.
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <array>
#include <cstdint>

#include "dataplane/counters.h"
#include "dataplane/interface.h"

namespace sipedge::dataplane {

inline constexpr uint16_t kBurstSize = 32;

class TxBuffer {
 public:
  TxBuffer() = default;
  // `ifaces` must outlive the buffer; `queue` is this lcore's TX queue on every port, or, with
  // kControlQueue, each port's Interface::control_queue plus `past_control` (a control shard's own
  // queue, Interface::shard_tx_queues).
  static constexpr uint16_t kControlQueue = UINT16_MAX;
  void init(const Interface* ifaces, uint16_t n_ifaces, uint16_t queue, LcoreCounters* counters,
            uint16_t past_control = 0) noexcept {
    ifaces_ = ifaces;
    n_ifaces_ = n_ifaces;
    queue_ = queue;
    counters_ = counters;
    past_control_ = past_control;
  }

  void push(uint16_t iface, rte_mbuf* m) noexcept {
    Pending& p = pending_[iface];
    if (p.n == kBurstSize) {
      flush(iface);
    }
    p.pkts[p.n++] = m;
  }

  // Sends everything pending; returns packets accepted by the ports.
  unsigned flush_all() noexcept {
    unsigned sent = 0;
    for (uint16_t i = 0; i < n_ifaces_; ++i) {
      if (pending_[i].n) {
        sent += flush(i);
      }
    }
    return sent;
  }


 private:
  unsigned flush(uint16_t iface) noexcept {
    Pending& p = pending_[iface];
    const uint16_t q = queue_ == kControlQueue ? static_cast<uint16_t>(ifaces_[iface].control_queue + past_control_) : queue_;
    uint16_t sent = rte_eth_tx_burst(ifaces_[iface].port_id, q, p.pkts.data(), p.n);
    counters_->count(iface, Event::TxPackets, sent);
    if (sent < p.n) {
      counters_->drop(iface, Drop::TxFull, p.n - sent);
      rte_pktmbuf_free_bulk(p.pkts.data() + sent, p.n - sent);
    }
    p.n = 0;
    return sent;
  }

  struct Pending {
    uint16_t n = 0;
    std::array<rte_mbuf*, kBurstSize> pkts;
  };
  const Interface* ifaces_ = nullptr;
  uint16_t n_ifaces_ = 0;
  uint16_t queue_ = 0;
  uint16_t past_control_ = 0;
  LcoreCounters* counters_ = nullptr;
  std::array<Pending, kMaxPorts> pending_{};
};

}  // namespace sipedge::dataplane
