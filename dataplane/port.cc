// dataplane/port.cc — startup (main thread) only. Generic ethdev bring-up for every PMD the
// dataplane supports; per-PMD differences are only what dev_info reports (queues, RSS, offloads).
#include "dataplane/port.h"

#include <linux/if_packet.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "dataplane/net_headers.h"

namespace sipedge::dataplane {
namespace {

[[noreturn]] void fail(const PortConfig& cfg, const std::string& what, int rc) {
  throw std::runtime_error("port " + cfg.device + ": " + what + " failed: " + rte_strerror(-rc));
}

uint16_t port_by_name(const PortConfig& cfg) {
  uint16_t port_id = 0;
  if (rte_eth_dev_get_port_by_name(cfg.device.c_str(), &port_id) != 0) {
    throw std::runtime_error("port " + cfg.device + ": no such ethdev (missing --vdev or PCI allow-list entry?)");
  }
  return port_id;
}

// The value of `key=` in a device's argument string, or 0 when absent.
unsigned devarg_number(const rte_device* dev, const char* key) {
  const rte_devargs* da = dev == nullptr ? nullptr : rte_dev_devargs(dev);
  if (da == nullptr || da->args == nullptr) {
    return 0;
  }
  const std::string args = std::string(",") + da->args;
  const size_t at = args.find(std::string(",") + key + "=");
  return at == std::string::npos ? 0 : static_cast<unsigned>(std::strtoul(args.c_str() + at + std::strlen(key) + 2, nullptr, 10));
}

}  // namespace

uint32_t rx_data_room(const PortConfig& cfg) {
  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(port_by_name(cfg), &info);
  if (rc != 0) {
    fail(cfg, "rte_eth_dev_info_get", rc);
  }
  if (std::string(info.driver_name) != "net_af_packet") {
    return 0;
  }
  // The PMD's default frame when the devargs do not set one (drivers/net/af_packet, DPDK 22.11).
  constexpr unsigned kPmdDefaultFrame = 2048;
  unsigned frame = devarg_number(info.device, "framesz");
  if (frame == 0) {
    frame = kPmdDefaultFrame;
  }
  // What the PMD copies per frame: the frame less the tpacket2 header it keeps before the data.
  const uint32_t data = frame - static_cast<uint32_t>(TPACKET2_HDRLEN - sizeof(sockaddr_ll));
  const uint32_t room = data + RTE_PKTMBUF_HEADROOM;
  return room <= RTE_MBUF_DEFAULT_BUF_SIZE ? 0 : room;
}

Interface open_port(const PortConfig& cfg, uint16_t index, unsigned n_workers, unsigned n_shards, bool shared_lcore,
                    rte_mempool* pool) {
  const uint16_t port_id = port_by_name(cfg);
  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(port_id, &info);
  if (rc != 0) {
    fail(cfg, "rte_eth_dev_info_get", rc);
  }
  // net_af_packet fans traffic out over every one of its `qpairs` sockets (PACKET_FANOUT) whatever
  // we configure, so each of them must be polled: qpairs = workers, or workers + 1 with the extra
  // queue polled by the control lcore.
  bool control_rx = false;
  if (std::string(info.driver_name) == "net_af_packet") {
    if (info.max_rx_queues != n_workers && info.max_rx_queues != n_workers + 1) {
      throw std::runtime_error("port " + cfg.device + ": net_af_packet spreads traffic over all its qpairs; set qpairs=" +
                               std::to_string(n_workers) + " or " + std::to_string(n_workers + 1) + " (has " +
                               std::to_string(info.max_rx_queues) + ")");
    }
    control_rx = info.max_rx_queues == n_workers + 1;
  }
  control_rx = cfg.control_rx.value_or(control_rx);
  uint16_t n_rx = static_cast<uint16_t>(n_workers + (control_rx ? 1 : 0));
  uint16_t n_tx = static_cast<uint16_t>(n_workers + 1);
  uint16_t control_queue = static_cast<uint16_t>(n_workers);
  if (info.max_tx_queues < n_tx && shared_lcore && !control_rx && info.max_tx_queues >= 1) {
    // One lcore runs both the worker and control: they take turns on the single TX queue.
    n_tx = 1;
    control_queue = 0;
  }
  // A TX queue for each further control shard, where the PMD has them (net_af_packet never has: its
  // queue pairs are the workers' and control's, above).
  uint16_t shard_queues = 0;
  if (n_shards > 1 && control_queue == n_workers && info.max_tx_queues >= n_tx + n_shards - 1) {
    shard_queues = static_cast<uint16_t>(n_shards - 1);
    n_tx = static_cast<uint16_t>(n_tx + shard_queues);
  }
  if (info.max_rx_queues < n_rx || info.max_tx_queues < n_tx) {
    throw std::runtime_error("port " + cfg.device + ": needs " + std::to_string(n_rx) + " RX and " +
                             std::to_string(n_tx) + " TX queues, PMD " + info.driver_name + " offers " +
                             std::to_string(info.max_rx_queues) + "/" + std::to_string(info.max_tx_queues));
  }
  rte_eth_conf conf{};
  // Spread media over workers by the UDP 5-tuple. Fragments carry no ports, so the FRAG types hash
  // on addresses only and every fragment of one datagram lands on the same worker's reassembly table.
  uint64_t want_rss = RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_FRAG_IPV4 |
                      RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6;
  uint64_t rss = want_rss & info.flow_type_rss_offloads;
  if (n_workers > 1 && rss != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = rss;
  }
  // Control sends chained mbufs (header mbuf + payload, fragments over indirect mbufs).
  conf.txmode.offloads = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  rc = rte_eth_dev_configure(port_id, n_rx, n_tx, &conf);
  if (rc != 0) {
    fail(cfg, "rte_eth_dev_configure", rc);
  }
  uint16_t rx_desc = cfg.rx_descriptors, tx_desc = cfg.tx_descriptors;
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rx_desc, &tx_desc);
  if (rc != 0) {
    fail(cfg, "rte_eth_dev_adjust_nb_rx_tx_desc", rc);
  }
  int socket = rte_eth_dev_socket_id(port_id);
  unsigned socket_id = socket < 0 ? 0 : static_cast<unsigned>(socket);
  for (uint16_t q = 0; q < n_rx; ++q) {
    rc = rte_eth_rx_queue_setup(port_id, q, rx_desc, socket_id, nullptr, pool);
    if (rc != 0) {
      fail(cfg, "rte_eth_rx_queue_setup", rc);
    }
  }
  // Checksums for control's datagrams on its own queue only (PortConfig::checksum_offload).
  const uint64_t control_checksums =
      cfg.checksum_offload
          ? info.tx_queue_offload_capa & (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
          : 0;
  rte_eth_txconf txconf = info.default_txconf;
  for (uint16_t q = 0; q < n_tx; ++q) {
    txconf.offloads = conf.txmode.offloads | (q >= control_queue ? control_checksums : 0);
    rc = rte_eth_tx_queue_setup(port_id, q, tx_desc, socket_id, &txconf);
    if (rc != 0) {
      fail(cfg, "rte_eth_tx_queue_setup", rc);
    }
  }
  if (cfg.mac) {
    rte_ether_addr mac = to_ether(*cfg.mac);
    rc = rte_eth_dev_default_mac_addr_set(port_id, &mac);
    if (rc != 0) {
      fail(cfg, "rte_eth_dev_default_mac_addr_set", rc);
    }
  }
  rc = rte_eth_dev_set_mtu(port_id, cfg.mtu);
  if (rc != 0 && rc != -ENOTSUP) {
    fail(cfg, "rte_eth_dev_set_mtu", rc);
  }
  rc = rte_eth_dev_start(port_id);
  if (rc != 0) {
    fail(cfg, "rte_eth_dev_start", rc);
  }
  // ND needs the solicited-node group (RFC 4861 §7.2.1); not every PMD filters multicast, and
  // those that cannot simply deliver everything, so a refusal here is harmless.
  rte_eth_allmulticast_enable(port_id);

  Interface ifc;
  ifc.index = index;
  ifc.port_id = port_id;
  ifc.role = cfg.role;
  ifc.vlan = cfg.vlan;
  ifc.mtu = cfg.mtu;
  ifc.control_queue = control_queue;
  ifc.shard_tx_queues = shard_queues;
  ifc.tx_ipv4_checksum = (control_checksums & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
  ifc.tx_udp_checksum = (control_checksums & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
  ifc.rx_queues = n_rx;
  rc = rte_eth_macaddr_get(port_id, &ifc.mac);
  if (rc != 0) {
    fail(cfg, "rte_eth_macaddr_get", rc);
  }
  if (cfg.ipv4) {
    ifc.has_v4 = true;
    ifc.ip4_be = cfg.ipv4->addr.v4_be();
    for (const auto& [first, last] : cfg.extra_ipv4) {
      if (ifc.extra4.count == Ipv4Ranges::kMax) break;  // the config loader allows no more
      ifc.extra4.first[ifc.extra4.count] = first;
      ifc.extra4.span[ifc.extra4.count++] = last - first;
    }
    ifc.prefix4 = *cfg.ipv4;
    ifc.gateway4 = cfg.gateway4;
  }
  if (cfg.ipv6) {
    ifc.has_v6 = true;
    std::memcpy(ifc.ip6, cfg.ipv6->addr.bytes.data(), 16);
    solicited_node_address(ifc.ip6, ifc.ip6_solicited);
    ifc.prefix6 = *cfg.ipv6;
    ifc.gateway6 = cfg.gateway6;
  }
  return ifc;
}

void close_port(const Interface& ifc) noexcept { rte_eth_dev_stop(ifc.port_id); }

}  // namespace sipedge::dataplane
