// dataplane/shared_state.h — built by Dataplane::start on the main thread, then read-only on every
// lcore (workers and control): interfaces, port maps, rings, pools, scanner, media handler. Nobody
// writes it while loops run, so nobody locks it.
#pragma once

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <array>
#include <bitset>
#include <cstdint>

#include "common/shard.h"
#include "dataplane/counters.h"
#include "dataplane/interface.h"
#include "dataplane/media.h"
#include "parser/policy.h"
#include "parser/scanner.h"

namespace sipedge::dataplane {

class BanTable;

struct SharedState {
  std::array<Interface, kMaxPorts> ifaces{};
  uint16_t n_ifaces = 0;
  // Interface index of each DPDK port (kNoInterface: not ours): the relay names egress ports.
  static constexpr uint8_t kNoInterface = 0xff;
  std::array<uint8_t, RTE_MAX_ETHPORTS> iface_of_port = [] {
    std::array<uint8_t, RTE_MAX_ETHPORTS> a{};
    a.fill(kNoInterface);
    return a;
  }();
  unsigned n_workers = 1;

  std::bitset<65536> sip_ports;  // UDP destination ports that carry SIP
  uint16_t media_min = 0;        // inclusive UDP destination port range for rtp_relay
  uint16_t media_max = 0;

  // SipItem*: workers (MP) -> control shard s (SC), the shard shard_map picks by Call-ID.
  std::array<rte_ring*, kMaxControlShards> sip_rings{};
  uint32_t n_shards = 1;
  ShardMap shard_map;
  uint32_t shed_backlog = 0;           // DataplaneConfig::shed_backlog
  rte_ring* neighbour_ring = nullptr;  // rte_mbuf* (ARP replies, NAs): workers (MP) -> control (SC)
  rte_mempool* mbuf_pool = nullptr;
  rte_mempool* large_rx_pool = nullptr;  // RX of ports whose frames need more than mbuf_pool's buffers
  rte_mempool* jumbo_pool = nullptr;     // contiguous buffers for gathering multi-segment SIP
  rte_mempool* indirect_pool = nullptr;  // indirect mbufs for rte_ipv*_fragment_packet
  rte_mempool* sip_item_pool = nullptr;  // SipItem objects (rings.h)

  const parser::Scanner* scanner = nullptr;
  // Sources whose SIP is dropped before parsing (written by control, read lock-free: ban_table.h).
  BanTable* bans = nullptr;
  MediaHandler media;

  uint64_t tsc_hz = 0;
  uint64_t reassembly_timeout_tsc = 0;
};

}  // namespace sipedge::dataplane
