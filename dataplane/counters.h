// dataplane/counters.h — written by one lcore each (worker or control), read by control/management
// without locks. Every dropped mbuf lands in exactly one Drop reason; events count what was done.
// Declared once as X-macros so enums and names cannot drift (VPP foreach_*_error, Envoy ALL_*_STATS).
#pragma once

#include <rte_common.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "parser/policy.h"

namespace sipedge::dataplane {

inline constexpr unsigned kMaxPorts = 8;
using parser::kMaxPolicyRules;  // signature rules: one hit counter per rule id

// X(name, description)
#define SIPEDGE_DP_EVENTS(X)                                                  \
  X(RxPackets, "packets received from the port")                             \
  X(TxPackets, "packets handed to the port's TX queue")                      \
  X(ArpReplied, "ARP requests for our address answered in place")            \
  X(NdAdvertised, "neighbour solicitations for our address answered (NA)")   \
  X(IcmpEchoReplied, "ICMP echo requests answered in place")                 \
  X(Icmp6EchoReplied, "ICMPv6 echo requests answered in place")              \
  X(NeighbourToControl, "ARP replies / announcements, NAs, to control")      \
  X(FragmentsIn, "IP fragments taken into reassembly")                       \
  X(Reassembled, "datagrams completed by reassembly")                        \
  X(SipToControl, "SIP messages handed to control")                          \
  X(SipMalformed, "of which the scanner refused (control answers 4xx/5xx)")  \
  X(SipCopied, "multi-segment SIP messages gathered into one buffer")        \
  X(MediaToHandler, "UDP packets to the media range handed to the relay")    \
  X(ControlTx, "datagrams sent for control")                                 \
  X(FragmentsOut, "IP fragments produced on transmit")                       \
  X(SolicitsSent, "ARP requests / neighbour solicitations sent")             \
  X(NeighbourResolved, "neighbours resolved or refreshed")                   \
  X(NeighbourMoved, "of which at another MAC than before (flows follow)")    \
  X(HeldReleased, "held packets sent after resolution")

#define SIPEDGE_DP_DROPS(X)                                                         \
  X(Runt, "frame shorter than its headers")                                        \
  X(WrongVlan, "802.1Q tag missing or for another VLAN")                           \
  X(UnknownEthertype, "not IPv4, IPv6 or ARP")                                     \
  X(ArpNotForUs, "ARP request for another address or unsupported ARP")             \
  X(BadIpHeader, "IPv4/IPv6 header invalid (version, length, checksum)")           \
  X(Truncated, "IP datagram longer than the frame that carried it (port frame size)") \
  X(NotForUs, "IP destination is not one of our addresses")                        \
  X(UnknownProto, "IP protocol not handled (not UDP/ICMP/ICMPv6)")                 \
  X(IcmpOther, "ICMP/ICMPv6 type not handled")                                     \
  X(BadUdp, "UDP length or checksum invalid")                                      \
  X(NoListener, "UDP to a port that is neither SIP nor media")                     \
  X(ReassemblyFailed, "fragment refused or timed out in reassembly")               \
  X(SipItemExhausted, "no free SIP item (control too slow)")                       \
  X(ControlRingFull, "control ring full")                                          \
  X(NoMediaHandler, "media packet but no relay attached")                          \
  X(TxFull, "TX queue full")                                                       \
  X(HoldOverflow, "held packet dropped: neighbour queue full")                     \
  X(NeighbourFailed, "held packet dropped: neighbour did not answer")              \
  X(NoRoute, "control send: no address of that family / unknown interface")      \
  X(FragmentFailed, "control send: fragmentation failed (DF, pool exhausted)")     \
  X(NoBuffer, "mbuf pool exhausted")                                               \
  X(Banned, "SIP from a banned source address (dropped before parsing)")           \
  X(PolicyDrop, "SIP matching a signature rule with action drop")                 \
  X(Shed, "new request dropped: control ring past the shedding depth (overload)")

enum class Event : uint8_t {
#define SIPEDGE_DP_ENUM(name, desc) name,
  SIPEDGE_DP_EVENTS(SIPEDGE_DP_ENUM)
#undef SIPEDGE_DP_ENUM
      kCount
};
enum class Drop : uint8_t {
#define SIPEDGE_DP_ENUM(name, desc) name,
  SIPEDGE_DP_DROPS(SIPEDGE_DP_ENUM)
#undef SIPEDGE_DP_ENUM
      kCount
};
inline constexpr unsigned kEventCount = static_cast<unsigned>(Event::kCount);
inline constexpr unsigned kDropCount = static_cast<unsigned>(Drop::kCount);

constexpr std::string_view event_name(Event e) noexcept {
  constexpr std::string_view kNames[] = {
#define SIPEDGE_DP_NAME(name, desc) #name,
      SIPEDGE_DP_EVENTS(SIPEDGE_DP_NAME)
#undef SIPEDGE_DP_NAME
  };
  return kNames[static_cast<unsigned>(e)];
}
constexpr std::string_view drop_name(Drop d) noexcept {
  constexpr std::string_view kNames[] = {
#define SIPEDGE_DP_NAME(name, desc) #name,
      SIPEDGE_DP_DROPS(SIPEDGE_DP_NAME)
#undef SIPEDGE_DP_NAME
  };
  return kNames[static_cast<unsigned>(d)];
}
constexpr std::string_view drop_description(Drop d) noexcept {
  constexpr std::string_view kDesc[] = {
#define SIPEDGE_DP_DESC(name, desc) desc,
      SIPEDGE_DP_DROPS(SIPEDGE_DP_DESC)
#undef SIPEDGE_DP_DESC
  };
  return kDesc[static_cast<unsigned>(d)];
}

// One counter with a single writer. The writer's load+store compiles to plain moves on x86, and
// readers on other lcores see whole values (relaxed atomics), so nobody takes a lock.
class Counter {
 public:
  void add(uint64_t n = 1) noexcept { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// The counters of one lcore: per port, because a lcore owns exactly one queue on each port (the
// worker's queue, or the control TX queue), this is per port/queue/reason.
struct alignas(RTE_CACHE_LINE_SIZE) LcoreCounters {
  std::array<std::array<Counter, kEventCount>, kMaxPorts> events;
  std::array<std::array<Counter, kDropCount>, kMaxPorts> drops;
  std::array<Counter, kMaxPolicyRules + 1> policy_hits;  // [rule id]: messages the rule matched

  void count(uint16_t port, Event e, uint64_t n = 1) noexcept { events[port][static_cast<unsigned>(e)].add(n); }
  void drop(uint16_t port, Drop d, uint64_t n = 1) noexcept { drops[port][static_cast<unsigned>(d)].add(n); }
  uint64_t get(uint16_t port, Event e) const noexcept { return events[port][static_cast<unsigned>(e)].get(); }
  uint64_t get(uint16_t port, Drop d) const noexcept { return drops[port][static_cast<unsigned>(d)].get(); }
};

}  // namespace sipedge::dataplane
