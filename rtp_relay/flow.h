// rtp_relay/flow.h — shared by the control lcore (writes) and worker lcores (read, latch, count).
// What a media flow is: the control-side description (FlowSpec) and the in-table object the hot path
// reads (Flow<kIpv6>) with its rewrite precomputed at install. Never allocates. DESIGN §3 Media.
//
// A flow relays one media stream between two peers through two relay sockets, one per side:
//
//     peer 0  <-->  side 0 (port_id, local addr:port)  ==relay==  side 1 (port_id, local addr:port) <--> peer 1
//
// A packet arriving on side d (destination = side d's local addr:port on side d's interface) leaves
// through side e = 1 - d: source = side e's local addr:port, destination = side e's peer (latched or
// from SDP), MACs = side e's. Each side is one key in the flow table, so one Flow answers both
// directions; counters, latching and idle detection are kept per side (= per direction of travel).
// Both sides carry the same IP version: IPv4<->IPv6 interworking would change the header size and is
// refused at install (FlowError::VersionMismatch).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>

#include <rte_common.h>
#include <rte_ether.h>

#include "common/net_address.h"

namespace sipedge::relay {

// Addresses are the project's one IP address type (common/net_address.h): bytes in network order,
// IPv4 in bytes[0..3]. As a peer, an address with no family or all zeros (0.0.0.0 / ::) means "any
// host": latch on whatever arrives first.
using IpAddr = ::sipedge::IpAddr;
inline bool any_host(const IpAddr& a) noexcept { return a.family == IpAddr::Family::None || a.is_unspecified(); }

// How the source of packets arriving on a side is checked (rtpengine endpoint-learning modes).
enum class LatchMode : uint8_t {
  Off,     // accept any source; send to the SDP address (trusted core side, no NAT)
  Latch,   // the first packet from the SDP host (any host if unspecified) fixes the peer address and
           // port; afterwards only that source is accepted (symmetric latching + RTP-bleed protection)
  Strict,  // accept only the SDP address and port, from the first packet on
};

// One relay socket and the peer it faces. Ports in host order.
struct EndpointSpec {
  uint16_t port_id = 0;          // DPDK port of the interface facing this peer
  IpAddr local_addr;             // relay address on that interface (what our SDP advertised)
  uint16_t local_port = 0;       // relay UDP port (RTP port, RTP port + 1 for RTCP, or the mux port)
  IpAddr remote_addr;            // peer address from its SDP; any_host() = any host
  uint16_t remote_port = 0;      // peer port from its SDP; 0 = unknown until latched
  LatchMode latch = LatchMode::Latch;
  rte_ether_addr local_mac{};    // source MAC for frames sent to this peer (our port MAC)
  rte_ether_addr next_hop_mac{}; // resolved neighbour (peer or gateway) MAC towards this peer
};

struct FlowSpec {
  std::array<EndpointSpec, 2> side;
};

// Stable name of a flow for control; survives update_flow. `generation` tells a stale handle (a
// late idle report about a deleted flow) from the flow that reuses the index.
struct FlowHandle {
  uint32_t index = UINT32_MAX;
  uint32_t generation = 0;
  friend bool operator==(const FlowHandle&, const FlowHandle&) = default;
};

// What FlowTable::sweep_idle reports: `side` is the ingress side whose incoming direction went silent.
struct IdleReport {
  FlowHandle handle;
  uint8_t side = 0;
};

// Key of one side in the rte_hash: the interface and relay socket a packet was sent to.
// Fixed size and zero padded: rte_hash compares raw bytes. 32 bytes, because rte_hash compares
// keys of 16/32/48/64... bytes with vector code and everything else with memcmp.
struct FlowKey {
  uint8_t local_addr[16];  // IPv4 in [0..3], rest zero
  uint16_t port_id;
  uint16_t local_port_be;  // network order, as read from the UDP header
  uint8_t ip_version;      // 4 or 6
  uint8_t pad[11];
};
static_assert(sizeof(FlowKey) == 32);

enum class LatchState : uint8_t { Unlatched, Claimed, Latched };

// Address in the form the hot path compares: raw network-order bytes.
struct Ip6Raw {
  uint64_t hi, lo;
  friend bool operator==(const Ip6Raw&, const Ip6Raw&) = default;
};
template <bool kIpv6>
using RawAddr = std::conditional_t<kIpv6, Ip6Raw, uint32_t>;

// A peer address:port as the hot path compares and writes it: raw network-order bytes.
template <bool kIpv6>
struct Peer {
  RawAddr<kIpv6> addr{};
  uint16_t port_be = 0;  // 0 as a destination: unknown, nothing can be sent
};

// SideControl::owner of an object that is not installed.
inline constexpr uint64_t kNoOwner = UINT64_MAX;
inline constexpr uint64_t pack_owner(FlowHandle h) noexcept { return (uint64_t{h.generation} << 32) | h.index; }
inline constexpr FlowHandle unpack_owner(uint64_t v) noexcept {
  return FlowHandle{static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)};
}

// Where a direction sends: side e's peer, its SDP address until it latched, then the latched one.
// Written by control at install and once by the worker latching side e; read per packet by the
// worker of this direction. For IPv4 the peer fits one 8-byte word, replaced in one atomic store,
// so it takes 8 bytes of the direction's line; an IPv6 peer does not, so the latched one is written
// beside the SDP one and published by a state byte (release/acquire).
template <bool kIpv6>
struct Destination;

template <>
struct Destination<false> {
  // port_be 0: unknown, nothing can be sent.
  Peer<false> load() const noexcept { return unpack(word_.load(std::memory_order_relaxed)); }
  void set(const Peer<false>& p) noexcept { word_.store(pack(p), std::memory_order_relaxed); }
  void latch(const Peer<false>& p) noexcept { word_.store(pack(p), std::memory_order_release); }
  void copy_from(const Destination& o) noexcept {
    word_.store(o.word_.load(std::memory_order_acquire), std::memory_order_relaxed);
  }

 private:
  static uint64_t pack(const Peer<false>& p) noexcept { return uint64_t{p.addr} | (uint64_t{p.port_be} << 32); }
  static Peer<false> unpack(uint64_t w) noexcept {
    return Peer<false>{static_cast<uint32_t>(w), static_cast<uint16_t>(w >> 32)};
  }
  std::atomic<uint64_t> word_{0};
};

template <>
struct Destination<true> {
  Peer<true> load() const noexcept {
    return state_.load(std::memory_order_acquire) == LatchState::Latched ? latched_ : expected_;
  }
  void set(const Peer<true>& p) noexcept {
    expected_ = p;
    latched_ = Peer<true>{};
    state_.store(LatchState::Unlatched, std::memory_order_relaxed);
  }
  void latch(const Peer<true>& p) noexcept {
    latched_ = p;
    state_.store(LatchState::Latched, std::memory_order_release);
  }
  void copy_from(const Destination& o) noexcept {
    if (o.state_.load(std::memory_order_acquire) == LatchState::Latched) latch(o.latched_);
  }

 private:
  Peer<true> expected_;
  Peer<true> latched_;
  std::atomic<LatchState> state_{LatchState::Unlatched};
};

// What the worker of a direction writes per packet. Relaxed load+store: RSS keeps a direction on
// one worker; if two workers ever relay the same direction at once an increment can be lost
// (statistics only).
struct DirectionCounters {
  std::atomic<uint64_t> packets{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> last_seen_tsc{0};
};

// One direction of a flow: packets received on side d and sent out of side e = 1 - d, with the
// match and the rewrite precomputed at install (VPP nat_6t_flow_t). Everything a worker reads or
// writes for a relayed packet sits here, the counters included: one cache line for IPv4, so a
// packet of a flow that is not in any cache costs one miss beyond the hash lookup. What only
// learning a peer or a rejected packet needs is elsewhere in the Flow. After install, latching
// writes here once: the worker latching side d writes `peer` of direction d and `dst` of e.
template <bool kIpv6>
struct alignas(RTE_CACHE_LINE_SIZE) Direction {
  // Source check of side d's peer.
  LatchMode mode = LatchMode::Off;
  std::atomic<LatchState> latch_state{LatchState::Unlatched};  // publishes `peer` in Latch mode
  // RFC 1624: ~old destination address (our side-d address) + new source address (our side-e
  // address), folded to 16 bits (a folded sum is zero only where the sum is). The port words and
  // the peer-dependent words are added per packet.
  uint16_t ip_delta = 0;
  Peer<kIpv6> peer;  // the accepted source: latched (Latch mode) or from SDP (Strict mode)
  // Egress on side e.
  uint16_t port_id = 0;
  uint16_t local_port_be = 0;
  Destination<kIpv6> dst;
  rte_ether_addr local_mac{};
  rte_ether_addr next_hop_mac{};
  RawAddr<kIpv6> local_addr{};
  DirectionCounters counters;
};

// Per side, for control: not read or written for a relayed packet.
struct SideControl {
  std::atomic<uint64_t> rejected{0};  // wrong source (strict / latched) or latch race; worker-written
  // Owned by the idle sweeper: the last_seen value already reported as idle (UINT64_MAX: none).
  std::atomic<uint64_t> idle_reported_seen{UINT64_MAX};
  // Packed FlowHandle of the flow, kNoOwner while not installed. Control writes, sweeper reads.
  std::atomic<uint64_t> owner{kNoOwner};
  // Hash position of side d's unlinked key, freed with the object after the grace period (-1:
  // none). Kept here so the defer queue carries 8-byte elements.
  int32_t retired_key_pos = -1;
};

// A side's peer as its SDP gave it (what flow_info reports, and what update_flow compares), and
// what a Latch side needs while it learns its peer: read by workers only while the direction is
// unlatched, off the fast path. Learning again after new SDP named a new address or port
// (FlowTable::update_flow): until `until_tsc`, packets from the peer it had latched are still
// relayed without latching, so media does not stop while the peer switches; the first packet from
// the new source latches as usual. After the grace period the old source may latch again (a peer
// that did not move after all), so the side never ends up with one-way audio. Control writes it
// before the flow is published.
template <bool kIpv6>
struct Learning {
  Peer<kIpv6> expected;         // side d's peer from SDP
  uint8_t expect_any_host = 0;  // Latch mode with an unspecified SDP address
  Peer<kIpv6> previous;         // port_be 0: not re-learning
  uint64_t until_tsc = 0;
};

template <bool kIpv6>
struct Flow {
  std::array<Direction<kIpv6>, 2> dir;  // [d]: received on side d
  alignas(RTE_CACHE_LINE_SIZE) std::array<SideControl, 2> control;
  std::array<Learning<kIpv6>, 2> learning;  // [d]: side d's peer
};
static_assert(sizeof(Direction<false>) == 64 && sizeof(Flow<false>) == 256);
static_assert(sizeof(std::array<SideControl, 2>) <= 64);

// Hash data is a Flow pointer with the ingress side in bit 0 (flows are cache-line aligned).
inline void* hash_data(const void* flow, unsigned side) noexcept {
  return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(flow) | side);
}
inline void* flow_of(const void* data) noexcept {
  return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(data) & ~uintptr_t{1});
}
inline unsigned side_of(const void* data) noexcept { return static_cast<unsigned>(reinterpret_cast<uintptr_t>(data) & 1); }

inline void counter_add(std::atomic<uint64_t>& c, uint64_t n) noexcept {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// Sum of the 16-bit words of `n` bytes as stored (RFC 1071 host-lane convention of common/checksum.h).
inline uint32_t sum_words(const void* p, size_t n) noexcept {
  const auto* b = static_cast<const uint8_t*>(p);
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) {
    uint16_t w;
    std::memcpy(&w, b + i, 2);
    s += w;
  }
  return s;
}

// The same sum, negated word by word (what RFC 1624 eqn. 3 adds for removed words).
inline uint32_t neg_sum_words(const void* p, size_t n) noexcept {
  const auto* b = static_cast<const uint8_t*>(p);
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) {
    uint16_t w;
    std::memcpy(&w, b + i, 2);
    s += static_cast<uint16_t>(~w);
  }
  return s;
}

}  // namespace sipedge::relay
