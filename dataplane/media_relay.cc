// dataplane/media_relay.cc — worker lcores (on_burst, on_poll_done, fit_vlan); main thread
// (setup/teardown). The glue between the dataplane's media bursts and rtp_relay's relay_burst (DESIGN
// §2 fast path).
#include "dataplane/media_relay.h"

#include <rte_rcu_qsbr.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "dataplane/counters.h"
#include "dataplane/net_headers.h"
#include "dataplane/tx_buffer.h"

namespace sipedge::dataplane {

MediaRelay::MediaRelay(const relay::FlowTable& table, const SharedState& shared, unsigned lanes, unsigned first_reader)
    : view_(table.view()),
      shared_(shared),
      lanes_(lanes),
      first_reader_(first_reader),
      lane_(std::make_unique<relay::RelayCounters[]>(lanes)) {
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
  uint16_t egress[kBurstSize];
  const uint16_t n = relay::relay_burst(self->view_, burst.pkts, egress, self->lane_[burst.worker], burst.now_tsc);
  // The worker's own TX buffers: flushed once per poll, TX refusals counted there (Drop::TxFull).
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = burst.pkts[i];
    const uint8_t iface = self->shared_.iface_of_port[egress[i]];
    if (iface == SharedState::kNoInterface || !fit_vlan(m, self->shared_.ifaces[iface].vlan)) {
      burst.counters->drop(burst.iface, iface == SharedState::kNoInterface ? Drop::NoRoute : Drop::NoBuffer);
      rte_pktmbuf_free(m);
      continue;
    }
    burst.tx->push(iface, m);
  }
}

void MediaRelay::on_poll_done(void* ctx, unsigned worker) noexcept {
  auto* self = static_cast<MediaRelay*>(ctx);
  rte_rcu_qsbr_quiescent(self->view_.qsbr, self->first_reader_ + worker);
}

relay::RelayTotals MediaRelay::totals() const noexcept {
  relay::RelayTotals sum;
  for (unsigned i = 0; i < lanes_; ++i) sum += lane_[i].totals();
  return sum;
}

bool fit_vlan(rte_mbuf* m, uint16_t vid) noexcept {
  constexpr uint16_t kAddrs = 2 * RTE_ETHER_ADDR_LEN;  // what stays in front of a tag
  auto* p = rte_pktmbuf_mtod(m, uint8_t*);
  const bool tagged = m->l2_len == sizeof(rte_ether_hdr) + sizeof(VlanHeader);
  if (tagged) {
    auto* tag = reinterpret_cast<VlanHeader*>(p + sizeof(rte_ether_hdr));
    const uint16_t have = rte_be_to_cpu_16(tag->tci) & 0x0fff;
    if (have == vid) return true;
    if (vid != 0) {
      // Only the VID changes: the priority bits (PCP, DEI) a phone marked its voice with stay.
      tag->tci = rte_cpu_to_be_16(static_cast<uint16_t>((rte_be_to_cpu_16(tag->tci) & 0xf000) | vid));
      return true;
    }
    // Untag: the MAC addresses move forward over the tag's four bytes.
    std::memmove(p + sizeof(VlanHeader), p, kAddrs);
    rte_pktmbuf_adj(m, sizeof(VlanHeader));
    m->l2_len = sizeof(rte_ether_hdr);
    return true;
  }
  if (vid == 0) return true;
  auto* q = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, sizeof(VlanHeader)));
  if (q == nullptr) return false;
  std::memmove(q, q + sizeof(VlanHeader), kAddrs);
  // The inner EtherType did not move: it is now the tag's.
  reinterpret_cast<rte_ether_hdr*>(q)->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
  reinterpret_cast<VlanHeader*>(q + sizeof(rte_ether_hdr))->tci = rte_cpu_to_be_16(vid);
  m->l2_len = sizeof(rte_ether_hdr) + sizeof(VlanHeader);
  return true;
}

}  // namespace sipedge::dataplane
