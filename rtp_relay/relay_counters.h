// rtp_relay/relay_counters.h — written by one worker lcore each (its own cache-aligned block), read
// and summed by control. Every mbuf handed to relay_burst ends up forwarded or in exactly one
// drop reason. Never locks: single writer per block, relaxed atomics so readers see whole values.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include <rte_common.h>

namespace sipedge::relay {

// X(name, description): the one list the enum and the names table are generated from.
#define SIPEDGE_RELAY_DROPS(X)                                                                      \
  X(NoFlow, "no flow on the interface/address/port the packet was sent to")                       \
  X(StrictSource, "source differs from the SDP or latched peer (RTP-bleed protection)")           \
  X(LatchPending, "another worker was latching this side at the same instant")                    \
  X(NoDestination, "the other side's peer is unknown until it sends (any-host latch, no port)")   \
  X(TtlExpired, "IPv4 TTL or IPv6 hop limit would reach zero (RFC 1812 5.3.1, RFC 8200 3)")       \
  X(Malformed, "not classified as IPv4/IPv6 + UDP with its headers in the first segment")        \
  X(ZeroUdpChecksumV6, "IPv6 UDP with checksum 0 (RFC 8200 8.1: receivers must discard)")

enum class RelayDrop : uint8_t {
#define SIPEDGE_RELAY_DROP_ENUM(name, desc) name,
  SIPEDGE_RELAY_DROPS(SIPEDGE_RELAY_DROP_ENUM)
#undef SIPEDGE_RELAY_DROP_ENUM
  kCount
};

inline constexpr size_t kRelayDropCount = static_cast<size_t>(RelayDrop::kCount);

struct RelayDropInfo {
  std::string_view name;
  std::string_view description;
};

inline constexpr std::array<RelayDropInfo, kRelayDropCount> kRelayDropInfo = {{
#define SIPEDGE_RELAY_DROP_INFO(name, desc) {#name, desc},
    SIPEDGE_RELAY_DROPS(SIPEDGE_RELAY_DROP_INFO)
#undef SIPEDGE_RELAY_DROP_INFO
}};

inline constexpr std::string_view relay_drop_name(RelayDrop r) noexcept {
  return kRelayDropInfo[static_cast<size_t>(r)].name;
}

// Plain totals, for reporting and tests.
struct RelayTotals {
  uint64_t rx_packets = 0;
  uint64_t forwarded_packets = 0;
  uint64_t forwarded_bytes = 0;
  uint64_t latched = 0;  // sides latched by this worker
  std::array<uint64_t, kRelayDropCount> drops{};

  uint64_t drop(RelayDrop r) const noexcept { return drops[static_cast<size_t>(r)]; }
  uint64_t dropped() const noexcept {
    uint64_t n = 0;
    for (uint64_t d : drops) n += d;
    return n;
  }
  // Merging per-lcore blocks (DPDK wkr_stats / Seastar map_reduce).
  RelayTotals& operator+=(const RelayTotals& o) noexcept {
    rx_packets += o.rx_packets;
    forwarded_packets += o.forwarded_packets;
    forwarded_bytes += o.forwarded_bytes;
    latched += o.latched;
    for (size_t i = 0; i < kRelayDropCount; ++i) drops[i] += o.drops[i];
    return *this;
  }
};

// One per worker lcore; pass the same block to every relay_burst of that lcore.
struct alignas(RTE_CACHE_LINE_SIZE) RelayCounters {
  std::atomic<uint64_t> rx_packets{0};
  std::atomic<uint64_t> forwarded_packets{0};
  std::atomic<uint64_t> forwarded_bytes{0};
  std::atomic<uint64_t> latched{0};
  std::array<std::atomic<uint64_t>, kRelayDropCount> drops{};

  // Single writer: the owning worker. Plain add without a locked instruction.
  static void add(std::atomic<uint64_t>& c, uint64_t n) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void add_drop(RelayDrop r, uint64_t n) noexcept { add(drops[static_cast<size_t>(r)], n); }

  // Any thread.
  RelayTotals totals() const noexcept {
    RelayTotals t;
    t.rx_packets = rx_packets.load(std::memory_order_relaxed);
    t.forwarded_packets = forwarded_packets.load(std::memory_order_relaxed);
    t.forwarded_bytes = forwarded_bytes.load(std::memory_order_relaxed);
    t.latched = latched.load(std::memory_order_relaxed);
    for (size_t i = 0; i < kRelayDropCount; ++i) t.drops[i] = drops[i].load(std::memory_order_relaxed);
    return t;
  }
};

}  // namespace sipedge::relay
