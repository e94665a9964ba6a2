// rtp_relay/relay_burst.h — worker lcores: the media fast path. Never allocates, locks, logs, throws
// or creates flows (misses are counted and dropped, see relay_burst). DESIGN §2 fast path, §3 Media;
// checksum updates per RFC 1624, TTL per RFC 1812 §5.3.1 / RFC 8200 §3.
#pragma once

#include <cstdint>
#include <span>

#include <rte_mbuf.h>

#include "rtp_relay/flow_table.h"
#include "rtp_relay/relay_counters.h"

namespace sipedge::relay {

// Relays a burst of UDP packets that the dataplane classified as "to a media port". Worker lcore
// registered and online on view.qsbr (see flow_table.h); multi-thread safe with respect to other
// relay_burst callers and to the control lcore changing the table.
//
// Input contract (what the classifier leaves, so nothing is parsed twice): IPv4 (no fragments) or
// IPv6 with UDP as the first next header, validated; m->l2_len and m->l3_len locate the IP and UDP
// headers (any 802.1Q tag is inside l2_len and left as it is: the caller fits the egress tag),
// m->packet_type says RTE_PTYPE_L3_IPV4 or RTE_PTYPE_L3_IPV6, headers within the first segment;
// m->port is the ingress DPDK port.
// For each packet, in order: build the key, one bulk lookup per 32 packets, then TTL/hop-limit
// check, source check and latching, destination choice, rewrite of MACs, IP addresses, UDP ports,
// TTL and checksums (incremental, deltas precomputed at install; an IPv4 UDP checksum of 0 stays 0).
// Checksums are patched incrementally in software, not through NIC offload flags: it costs a few
// adds, works on every PMD (net_ring, virtio_user, af_packet included) and carries a damaged
// checksum through as damaged, so end-to-end error detection survives the NAT (incoming checksums
// are not verified here; the receiver does that).
// Every packet is consumed: forwarded, or freed and counted under one RelayDrop. Misses (NoFlow) are
// dropped, not passed to control: a packet to a media port without a flow has no session to belong
// to, and a scan of the port range must not reach the control lcore.
// Forwarded packets are moved, in arrival order, to pkts[0..n) with their egress DPDK port in
// egress[0..n), for the caller's TX buffers; counted as forwarded here. `now_tsc` is read once per
// burst by the caller (it stamps last-seen for idle detection). Returns n.
uint16_t relay_burst(const RelayView& view, std::span<rte_mbuf*> pkts, uint16_t* egress, RelayCounters& counters,
                     uint64_t now_tsc) noexcept;

}  // namespace sipedge::relay
