// dataplane/config.h — startup (main thread), pure data. What the operator configures for the
// dataplane: EAL resources, ports with their role and addresses, SIP and media port ranges, idle
// policy. Built once before EAL starts and never changed afterwards (Envoy: config vs instance).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/net_address.h"

namespace sipedge::dataplane {

// Addresses are the project's common ones (bytes in network order; IPv4 in bytes[0..3]).
using IpAddr = ::sipedge::IpAddr;
using IpPrefix = ::sipedge::IpPrefix;

enum class PortRole : uint8_t {
  Access,  // untrusted side: phones, customer PBXs (NAT traversal applies)
  Core,    // trusted side: softswitch, IMS, trunks
};

using MacAddr = std::array<uint8_t, 6>;

struct PortConfig {
  // ethdev name as DPDK knows it: a PCI address ("0000:03:00.0") or the name of a vdev given in
  // EalConfig::vdevs ("net_af_packet0"), or of a port created in-process (ring_port.h).
  std::string device;
  PortRole role = PortRole::Access;
  std::optional<IpPrefix> ipv4;
  std::optional<IpPrefix> ipv6;
  std::optional<IpAddr> gateway4;
  std::optional<IpAddr> gateway6;
  // More IPv4 addresses the port owns (media relay sockets): answered for ARP and accepted like
  // ipv4, as inclusive ranges of host-order addresses (at most Ipv4Ranges::kMax).
  std::vector<std::pair<uint32_t, uint32_t>> extra_ipv4;
  uint16_t vlan = 0;  // 802.1Q VID; 0 = untagged
  uint16_t mtu = 1500;
  std::optional<MacAddr> mac;  // overrides the device's own MAC
  // The control lcore also polls one RX queue (number = worker count) on this port. Needed by PMDs
  // that spread traffic over every queue pair they own whatever we configure (net_af_packet's
  // PACKET_FANOUT over `qpairs` sockets, and we need workers+1 TX queues). Unset: on for af_packet.
  std::optional<bool> control_rx;
  uint16_t rx_descriptors = 1024;
  uint16_t tx_descriptors = 1024;
  // The NIC fills in the IPv4 header and UDP checksums of what control sends, where the PMD offers
  // that on the control TX queue alone (tx_queue_offload_capa). A port-wide offload is not taken:
  // some PMDs then leave their vector TX path on every queue, the relay's included.
  bool checksum_offload = true;
};

struct EalConfig {
  unsigned main_lcore = 0;             // control lcore
  std::vector<unsigned> worker_lcores;  // one worker per entry; empty = control and worker share main
  // Control shards 1..N-1, one lcore each (shard 0 runs on main_lcore); empty = one shard. Every
  // SIP message goes to the shard its Call-ID hashes to (common/shard.h, issue 14 §2).
  std::vector<unsigned> shard_lcores;
  unsigned memory_mb = 512;
  // --no-huge: auto-detected from /proc/meminfo when unset (no free hugepages -> no-huge).
  std::optional<bool> no_huge;
  std::string file_prefix = "sipedge";
  // No shared config files (tests, parallel processes): --in-memory, or --no-shconf with --no-huge.
  bool in_memory = false;
  bool no_pci = false;
  std::vector<std::string> vdevs;      // "net_af_packet0,iface=sipacc-gw"
  std::vector<std::string> pci_allow;  // "0000:03:00.0"
  std::string log_level;               // "error", "info", ... ; empty = DPDK default
  std::vector<std::string> extra_args;
};

// Idle policy for poll loops. Spinning forever is right on dedicated bare-metal cores; on a shared
// box it takes the CPU from everything else, so once the last work is `spin_us` old the loop
// pauses between polls, and once it is `spin_us + pause_us` old it sleeps. In time, not in polls:
// an empty poll's cost varies with the ports and the machine.
struct IdleBackoffConfig {
  bool enabled = true;
  uint32_t spin_us = 20;    // after the last work: polls flat out
  uint32_t pause_us = 50;   // then polls with rte_pause bursts between them
  uint32_t sleep_min_us = 10;
  uint32_t sleep_max_us = 100;  // sleep doubles from min up to max while idle
};

struct DataplaneConfig {
  EalConfig eal;
  std::vector<PortConfig> ports;
  std::vector<uint16_t> sip_ports{5060};
  uint16_t media_port_min = 20000;  // inclusive
  uint16_t media_port_max = 39999;  // inclusive
  IdleBackoffConfig idle;
  uint32_t mbufs = 8191;
  uint32_t jumbo_mbufs = 63;       // contiguous copies of multi-segment SIP messages
  // RX mbufs of ports whose frames exceed a default mbuf (port.h rx_data_room: net_af_packet).
  uint32_t large_rx_mbufs = 2047;
  uint32_t ban_table = 16384;      // banned source addresses the lanes can drop before parsing
  uint32_t sip_items = 1023;       // SIP messages in flight to control
  uint32_t control_ring_size = 1024;
  // Overload shedding: while this many SIP messages wait in the control ring, lanes drop requests
  // that would start something new (no To tag; not ACK or CANCEL) before they take a slot, so the
  // responses and in-dialog requests of calls in progress still get in. 0 = off.
  uint32_t shed_backlog = 768;
  // IP reassembly (RFC 791 §3.2, RFC 8200 §4.5): per-worker table.
  uint32_t reassembly_flows = 1024;
  uint32_t reassembly_timeout_ms = 2000;
  // Neighbour resolution (RFC 826, RFC 4861 §7.3).
  uint32_t neighbour_reachable_s = 300;
  uint32_t neighbour_retrans_ms = 1000;
  uint32_t neighbour_max_probes = 3;
  uint32_t neighbour_hold_packets = 16;  // per unresolved neighbour; more are dropped and counted
};

}  // namespace sipedge::dataplane
