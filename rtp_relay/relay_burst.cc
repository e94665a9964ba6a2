// rtp_relay/relay_burst.cc — worker lcores: key from the classifier's offsets, bulk lookup, latch, NAT
// rewrite, verdicts by egress port. Never allocates, locks, logs or creates state other than a side's
// one-time latch.
// RFC 1624 (incremental checksum), RFC 768 (UDP checksum 0), RFC 1812 §5.3.1 (TTL), RFC 8200 §8.1.
#include "rtp_relay/relay_burst.h"

#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "common/checksum.h"

namespace sipedge::relay {
namespace {

constexpr uint32_t kChunk = 32;         // packets per bulk lookup (<= RTE_HASH_LOOKUP_BULK_MAX)
constexpr uint32_t kPrefetchAhead = 3;  // l3fwd PREFETCH_OFFSET
constexpr uint32_t kLookupGroup = 16;   // keys per rte_hash bulk lookup within a chunk

// A verdict is an egress port (< RTE_MAX_ETHPORTS) or kDropBase + reason.
using Verdict = uint16_t;
constexpr Verdict kDropBase = 0x8000;
constexpr Verdict drop(RelayDrop r) { return kDropBase + static_cast<uint16_t>(r); }
static_assert(RTE_MAX_ETHPORTS < kDropBase);

// Where a packet's headers are, read from its mbuf once, in the pass that builds the keys: the
// mbuf's second line (l2_len, l3_len) and the packet's first are gone from L1 by the time the
// chunk's lookups are done.
struct Headers {
  uint8_t* data;  // the Ethernet header
  uint16_t l3;    // offset of the IP header
  uint16_t l4;    // offset of the UDP header
  uint32_t len;   // pkt_len
};

// Fills the key and `h` from the headers the classifier located. Returns the IP version, 0 when the
// packet does not carry the classifier's verdict (no IPv4/IPv6 packet type, headers beyond the
// segment).
inline uint8_t key_of(const rte_mbuf* m, FlowKey& key, Headers& h) noexcept {
  const uint32_t l3 = m->l2_len;
  const uint32_t l4 = l3 + m->l3_len;
  if (m->l3_len == 0 || l4 + sizeof(rte_udp_hdr) > m->data_len) return 0;
  auto* p = rte_pktmbuf_mtod(m, uint8_t*);
  h = Headers{p, static_cast<uint16_t>(l3), static_cast<uint16_t>(l4), m->pkt_len};
  const auto* udp = reinterpret_cast<const rte_udp_hdr*>(p + l4);
  const uint32_t ptype = m->packet_type & RTE_PTYPE_L3_MASK;
  if (RTE_ETH_IS_IPV4_HDR(ptype)) {
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(p + l3);
    std::memset(&key, 0, sizeof(key));
    std::memcpy(key.local_addr, &ip->dst_addr, 4);
    key.ip_version = 4;
  } else if (RTE_ETH_IS_IPV6_HDR(ptype)) {
    const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(p + l3);
    std::memcpy(key.local_addr, ip->dst_addr, 16);
    key.ip_version = 6;
    std::memset(key.pad, 0, sizeof(key.pad));
  } else {
    return 0;
  }
  key.port_id = m->port;
  key.local_port_be = udp->dst_port;
  return key.ip_version;
}

template <bool kIpv6>
struct Hdr;
template <>
struct Hdr<false> {
  using Ip = rte_ipv4_hdr;
  static RawAddr<false> src(const Ip* ip) noexcept { return ip->src_addr; }
  static void set_addrs(Ip* ip, const RawAddr<false>& s, const RawAddr<false>& d) noexcept {
    ip->src_addr = s;
    ip->dst_addr = d;
  }
};
template <>
struct Hdr<true> {
  using Ip = rte_ipv6_hdr;
  static RawAddr<true> src(const Ip* ip) noexcept {
    RawAddr<true> a;
    std::memcpy(&a, ip->src_addr, 16);
    return a;
  }
  static void set_addrs(Ip* ip, const RawAddr<true>& s, const RawAddr<true>& d) noexcept {
    std::memcpy(ip->src_addr, &s, 16);
    std::memcpy(ip->dst_addr, &d, 16);
  }
};

// Per-burst tallies, added to the lcore's RelayCounters once per burst.
struct Tally {
  uint32_t latched = 0;
  uint64_t forwarded_bytes = 0;
  std::array<uint32_t, kRelayDropCount> drops{};
};

// Source check for packets received on side d (DESIGN §3: symmetric latching, strict source).
// Returns a kDropBase-encoded reason, or 0 when the source is accepted.
template <bool kIpv6>
inline Verdict check_source(Flow<kIpv6>* flow, unsigned d, const RawAddr<kIpv6>& src, uint16_t sport_be,
                            uint64_t now_tsc, Tally& tally) noexcept {
  Direction<kIpv6>& in = flow->dir[d];
  switch (in.mode) {
    case LatchMode::Off:
      return 0;
    case LatchMode::Strict:
      return (src == in.peer.addr && sport_be == in.peer.port_be) ? 0 : drop(RelayDrop::StrictSource);
    case LatchMode::Latch:
      break;
  }
  LatchState st = in.latch_state.load(std::memory_order_acquire);
  if (st == LatchState::Unlatched) {
    // Re-learning after new SDP (flow.h Learning): the old peer keeps being relayed, without
    // latching, until the new one speaks or the grace period ends.
    const Learning<kIpv6>& learn = flow->learning[d];
    if (learn.previous.port_be != 0 && src == learn.previous.addr && sport_be == learn.previous.port_be &&
        now_tsc < learn.until_tsc)
      return 0;
    if (!learn.expect_any_host && !(src == learn.expected.addr)) return drop(RelayDrop::StrictSource);
    // Claim, write, publish: whoever wins the claim writes the peer once, into this direction (to
    // check sources) and the opposite one (to send to it); readers look only after seeing Latched
    // (acquire). A loser seeing Claimed cannot judge the source yet.
    if (in.latch_state.compare_exchange_strong(st, LatchState::Claimed, std::memory_order_acq_rel)) {
      const Peer<kIpv6> peer{src, sport_be};
      in.peer = peer;
      flow->dir[d ^ 1].dst.latch(peer);
      in.latch_state.store(LatchState::Latched, std::memory_order_release);
      ++tally.latched;
      return 0;
    }
  }
  if (st == LatchState::Claimed) return drop(RelayDrop::LatchPending);
  return (src == in.peer.addr && sport_be == in.peer.port_be) ? 0 : drop(RelayDrop::StrictSource);
}

// Decides and rewrites one packet received on side d in place; returns the egress port or a drop
// reason.
template <bool kIpv6>
inline Verdict relay_one(const Headers& h, Flow<kIpv6>* flow, unsigned d, uint64_t now_tsc, Tally& tally) noexcept {
  using H = Hdr<kIpv6>;
  auto* eth = reinterpret_cast<rte_ether_hdr*>(h.data);
  auto* ip = reinterpret_cast<typename H::Ip*>(h.data + h.l3);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(h.data + h.l4);
  Direction<kIpv6>& dir = flow->dir[d];

  // Checks on the packet alone come first so a doomed packet never latches a side.
  if constexpr (kIpv6) {
    if (ip->hop_limits <= 1) return drop(RelayDrop::TtlExpired);
    if (udp->dgram_cksum == 0) return drop(RelayDrop::ZeroUdpChecksumV6);
  } else {
    if (ip->time_to_live <= 1) return drop(RelayDrop::TtlExpired);
  }

  const RawAddr<kIpv6> src = H::src(ip);
  const uint16_t sport = udp->src_port;
  if (Verdict v = check_source<kIpv6>(flow, d, src, sport, now_tsc, tally)) {
    counter_add(flow->control[d].rejected, 1);
    return v;
  }

  // Towards the other side's peer: where it latched, else where its SDP said.
  const Peer<kIpv6> dst = dir.dst.load();
  if (dst.port_be == 0) return drop(RelayDrop::NoDestination);

  // RFC 1624 eqn. 3 over every replaced word: the flow's precomputed delta (old local address ->
  // our egress address), plus the removed peer source and the added peer destination.
  const uint32_t peer_delta = neg_sum_words(&src, sizeof(src)) + sum_words(&dst.addr, sizeof(dst.addr));
  if constexpr (!kIpv6) {
    // TTL and protocol share one checksum word. Decrement the word as stored (TTL is its first
    // byte, the low byte of a little-endian load; TTL >= 2 here, so no borrow into the protocol)
    // rather than storing a byte and reloading the word, which stalls store-to-load forwarding.
    static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN);
    uint16_t old_word;
    std::memcpy(&old_word, &ip->time_to_live, 2);
    const uint16_t new_word = static_cast<uint16_t>(old_word - 1);
    std::memcpy(&ip->time_to_live, &new_word, 2);
    ip->hdr_checksum = csum_apply_delta(ip->hdr_checksum,
                                        dir.ip_delta + peer_delta + static_cast<uint16_t>(~old_word) + new_word);
  } else {
    ip->hop_limits = static_cast<uint8_t>(ip->hop_limits - 1);
  }
  // RFC 768: an IPv4 UDP checksum of 0 means "none" and stays 0; a computed 0 is sent as 0xffff.
  if (kIpv6 || udp->dgram_cksum != 0) {
    // The ports: ours on side d (the packet's destination, which the lookup matched) -> ours on
    // side e, the peer's source -> the destination peer's port.
    const uint32_t udp_delta = dir.ip_delta + peer_delta + static_cast<uint16_t>(~udp->dst_port) + dir.local_port_be +
                               static_cast<uint16_t>(~sport) + dst.port_be;
    const uint16_t c = csum_apply_delta(udp->dgram_cksum, udp_delta);
    udp->dgram_cksum = c == 0 ? 0xffff : c;
  }
  H::set_addrs(ip, dir.local_addr, dst.addr);
  udp->src_port = dir.local_port_be;
  udp->dst_port = dst.port_be;
  eth->dst_addr = dir.next_hop_mac;
  eth->src_addr = dir.local_mac;

  counter_add(dir.counters.packets, 1);
  counter_add(dir.counters.bytes, h.len);
  dir.counters.last_seen_tsc.store(now_tsc, std::memory_order_relaxed);
  return dir.port_id;
}

// The lines relay_one will touch for a relayed packet: this direction's (one for IPv4).
template <bool kIpv6>
inline void prefetch_flow(const Flow<kIpv6>* f, unsigned d) noexcept {
  const auto* dir = reinterpret_cast<const uint8_t*>(&f->dir[d]);
  for (size_t off = 0; off < sizeof(f->dir[d]); off += RTE_CACHE_LINE_SIZE) rte_prefetch0(dir + off);
}

// One chunk of at most kChunk packets: decide for all, then act (l3fwd / VPP). Forwarded packets
// are appended at pkts_out[*n_out] with their egress port.
void relay_chunk(const RelayView& view, rte_mbuf* const* pkts, uint32_t n, rte_mbuf** pkts_out, uint16_t* egress,
                 uint32_t* n_out, uint64_t now_tsc, Tally& tally) noexcept {
  FlowKey keys[kChunk];
  const void* key_ptrs[kChunk];
  uint8_t version[kChunk];
  Headers headers[kChunk];
  uint8_t lookup_of[kChunk];  // index into pkts of the j-th looked-up key
  Verdict verdict[kChunk];

  // Pass 1: gather keys, prefetching packet data a fixed distance ahead.
  for (uint32_t i = 0; i < n && i < kPrefetchAhead; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  uint32_t nkeys = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
    version[i] = key_of(pkts[i], keys[nkeys], headers[i]);
    if (version[i] == 0) {
      verdict[i] = drop(RelayDrop::Malformed);
      continue;
    }
    verdict[i] = drop(RelayDrop::NoFlow);
    key_ptrs[nkeys] = &keys[nkeys];
    lookup_of[nkeys++] = static_cast<uint8_t>(i);
  }

  // Pass 2: bulk lookups of kLookupGroup keys, each group's hit flows prefetched as soon as it is
  // known, so their lines arrive while the next groups are looked up; then decide and rewrite.
  void* data[kChunk];
  uint64_t hits = 0;
  for (uint32_t first = 0; first < nkeys; first += kLookupGroup) {
    const uint32_t count = std::min(kLookupGroup, nkeys - first);
    uint64_t group_hits = 0;
    rte_hash_lookup_bulk_data(view.hash, key_ptrs + first, count, &group_hits, data + first);
    hits |= group_hits << first;
    for (uint64_t h = group_hits; h != 0; h &= h - 1) {
      const uint32_t j = first + static_cast<uint32_t>(__builtin_ctzll(h));
      if (version[lookup_of[j]] == 6) {
        prefetch_flow(static_cast<const Flow<true>*>(flow_of(data[j])), side_of(data[j]));
      } else {
        prefetch_flow(static_cast<const Flow<false>*>(flow_of(data[j])), side_of(data[j]));
      }
    }
  }
  for (uint64_t h = hits; h != 0; h &= h - 1) {
    const uint32_t j = static_cast<uint32_t>(__builtin_ctzll(h));
    const uint32_t i = lookup_of[j];
    const unsigned side = side_of(data[j]);
    void* flow = flow_of(data[j]);
    verdict[i] = version[i] == 6 ? relay_one<true>(headers[i], static_cast<Flow<true>*>(flow), side, now_tsc, tally)
                                 : relay_one<false>(headers[i], static_cast<Flow<false>*>(flow), side, now_tsc, tally);
  }

  // Pass 3: act once — forwards to the output in order, bulk-free the drops.
  rte_mbuf* dropped[kChunk];
  uint32_t ndropped = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const Verdict v = verdict[i];
    if (v < kDropBase) {
      pkts_out[*n_out] = pkts[i];
      egress[(*n_out)++] = v;
      tally.forwarded_bytes += headers[i].len;
      continue;
    }
    ++tally.drops[v - kDropBase];
    dropped[ndropped++] = pkts[i];
  }
  if (ndropped != 0) rte_pktmbuf_free_bulk(dropped, ndropped);
}

}  // namespace

uint16_t relay_burst(const RelayView& view, std::span<rte_mbuf*> pkts, uint16_t* egress, RelayCounters& counters,
                     uint64_t now_tsc) noexcept {
  Tally tally;
  uint32_t n_out = 0;
  for (size_t off = 0; off < pkts.size(); off += kChunk) {
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(kChunk, pkts.size() - off));
    // Forwarded packets only move towards the front: pkts[n_out..] never overtakes the chunk read.
    rte_mbuf* chunk[kChunk];
    std::memcpy(chunk, pkts.data() + off, n * sizeof(rte_mbuf*));
    relay_chunk(view, chunk, n, pkts.data(), egress, &n_out, now_tsc, tally);
  }
  RelayCounters::add(counters.rx_packets, pkts.size());
  RelayCounters::add(counters.forwarded_packets, n_out);
  RelayCounters::add(counters.forwarded_bytes, tally.forwarded_bytes);
  if (tally.latched != 0) RelayCounters::add(counters.latched, tally.latched);
  for (size_t r = 0; r < kRelayDropCount; ++r) {
    if (tally.drops[r] != 0) RelayCounters::add(counters.drops[r], tally.drops[r]);
  }
  return static_cast<uint16_t>(n_out);
}

}  // namespace sipedge::relay
