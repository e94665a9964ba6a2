// rtp_relay/relay_burst.h — worker lcores: the media fast path. Never allocates, locks, logs, throws
// or creates flows (misses are counted and dropped, see relay_burst). DESIGN §2 fast path, §3 Media;
// checksum updates per RFC 1624, TTL per RFC 1812 §5.3.1 / RFC 8200 §3.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include <rte_mbuf.h>

#include "rtp_relay/flow_table.h"
#include "rtp_relay/relay_counters.h"

namespace sipedge::relay {

// Packets relayed by one worker, grouped by egress DPDK port until the worker transmits them.
// One per worker lcore; relay_burst appends, tx_batch_flush empties.
struct TxBatch {
  static constexpr uint16_t kQueueSize = 64;  // two bursts; a full queue drops with TxFull
  static_assert(RTE_MAX_ETHPORTS <= 64, "pending is a 64-bit port mask");

  struct Queue {
    uint16_t count = 0;
    std::array<rte_mbuf*, kQueueSize> pkts;
  };
  uint64_t pending = 0;  // bit p set: queues[p] has packets
  std::array<Queue, RTE_MAX_ETHPORTS> queues;

  uint32_t size() const noexcept {
    uint32_t n = 0;
    for (const Queue& q : queues) n += q.count;
    return n;
  }
};

// Relays a burst of UDP packets that the dataplane classified as "to a media port". Worker lcore
// registered and online on view.qsbr (see flow_table.h); multi-thread safe with respect to other
// relay_burst callers and to the control lcore changing the table.
//
// Input contract: untagged Ethernet + IPv4 (no fragments) or IPv6 (UDP as the first next header),
// headers within the first segment; m->port is the ingress DPDK port.
// For each packet, in order: parse and build the key, one bulk lookup per 32 packets, then
// TTL/hop-limit check, source check and latching, destination choice, rewrite of MACs, IP addresses,
// UDP ports, TTL and checksums (incremental, deltas precomputed at install; an IPv4 UDP checksum of 0
// stays 0), append to tx.queues[egress port].
// Checksums are patched incrementally in software, not through NIC offload flags: it costs a few
// adds, works on every PMD (net_ring, virtio_user, af_packet included) and carries a damaged
// checksum through as damaged, so end-to-end error detection survives the NAT (incoming checksums
// are not verified here; the receiver does that).
// Every packet of `in` is consumed: forwarded into `tx`, or freed and counted under one RelayDrop.
// Misses (NoFlow) are dropped, not passed to control: a packet to a media port without a flow has
// no session to belong to, and a scan of the port range must not reach the control lcore.
// `now_tsc` is read once per burst by the caller (it stamps last-seen for idle detection).
// Returns in.size().
uint16_t relay_burst(const RelayView& view, std::span<rte_mbuf* const> in, TxBatch& tx,
                     RelayCounters& counters, uint64_t now_tsc) noexcept;

// Transmits every pending queue of `tx` on `tx_queue` of its port (rte_eth_tx_burst), frees and
// counts what the NIC refused as TxFull, counts what was sent as forwarded. Worker lcore owning
// `tx_queue` on every port it relays to. Returns the number of packets sent.
uint32_t tx_batch_flush(TxBatch& tx, uint16_t tx_queue, RelayCounters& counters) noexcept;

}  // namespace sipedge::relay
