// dataplane/interface.h — built at startup, then read-only on every lcore. One opened port with its
// role, addresses, VLAN and next hops: what workers need to answer ARP/ND/ICMP in place and what
// control needs to build headers. Never written after Dataplane::start.
#pragma once

#include <rte_byteorder.h>
#include <rte_ether.h>

#include <array>
#include <cstdint>
#include <optional>

#include "dataplane/config.h"

namespace sipedge::dataplane {

// A few inclusive ranges of IPv4 addresses (host order), checked per packet: no range costs one
// compare.
struct Ipv4Ranges {
  static constexpr unsigned kMax = 8;
  std::array<uint32_t, kMax> first{};
  std::array<uint32_t, kMax> span{};  // last - first
  uint8_t count = 0;
  bool contains_be(uint32_t addr_be) const noexcept {
    const uint32_t a = rte_be_to_cpu_32(addr_be);
    for (unsigned i = 0; i < count; ++i)
      if (a - first[i] <= span[i]) return true;
    return false;
  }
};

struct Interface {
  uint16_t index = 0;    // position in DataplaneConfig::ports; counters are indexed by it
  uint16_t port_id = 0;  // ethdev port
  PortRole role = PortRole::Access;
  rte_ether_addr mac{};
  uint16_t vlan = 0;
  uint16_t mtu = 1500;
  // TX queue of the control lcore: the number of workers, or 0 when control shares the only
  // worker's lcore and the PMD has a single TX queue.
  uint16_t control_queue = 0;
  // TX queues after control_queue, one for each control shard past the first (issue 14 §2): shard
  // s sends on control_queue + s with no lock. 0 when the PMD has too few TX queues for them all:
  // the shards then share control_queue under their lock.
  uint16_t shard_tx_queues = 0;
  uint16_t rx_queues = 0;      // workers, plus one polled by control when PortConfig::control_rx
  // Checksums the NIC computes for frames sent on control_queue (PortConfig::checksum_offload):
  // control then writes only the UDP pseudo-header sum, or leaves the IPv4 header's at zero.
  bool tx_ipv4_checksum = false;
  bool tx_udp_checksum = false;

  bool has_v4 = false;
  uint32_t ip4_be = 0;
  Ipv4Ranges extra4;  // PortConfig::extra_ipv4: more addresses of ours (media relay sockets)
  bool owns4(uint32_t addr_be) const noexcept { return addr_be == ip4_be || extra4.contains_be(addr_be); }
  IpPrefix prefix4;
  std::optional<IpAddr> gateway4;

  bool has_v6 = false;
  uint8_t ip6[16] = {};
  uint8_t ip6_solicited[16] = {};  // ff02::1:ffXX:XXXX of ip6
  IpPrefix prefix6;
  std::optional<IpAddr> gateway6;

  // The neighbour to send to for `dst`: dst itself when on-link, otherwise the gateway; nullopt
  // when the family is not configured or there is no gateway.
  std::optional<IpAddr> next_hop(const IpAddr& dst) const noexcept {
    if (dst.is_v4() && has_v4) {
      return prefix4.contains(dst) ? std::optional<IpAddr>(dst) : gateway4;
    }
    if (dst.is_v6() && has_v6) {
      return prefix6.contains(dst) ? std::optional<IpAddr>(dst) : gateway6;
    }
    return std::nullopt;
  }
};

}  // namespace sipedge::dataplane
