// control/runtime/control_io.cc — control lcore only. See control_io.h. SIP hand-off back to the
// pool, transmit for control (headers, ARP/ND resolution with held packets, fragmentation),
// neighbour answers and timers. Never blocks: a full queue or table is a counted drop (RFC 826,
// RFC 4861 §7.2, RFC 791 §3.2).
#include "control/runtime/control_io.h"

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_udp.h>

#include <cstring>

#include "dataplane/net_headers.h"

namespace sipedge::control {

using dataplane::Drop;
using dataplane::Event;
using dataplane::Interface;
using dataplane::kBurstSize;
using dataplane::VlanHeader;
// Packet headers and ND helpers the dataplane defines (dataplane/net_headers.h).
using dataplane::icmp6_checksum;
using dataplane::ipv6_multicast_mac;
using dataplane::kIcmp6NeighbourSolicit;
using dataplane::kNaFlagOverride;
using dataplane::kNdOptSourceLinkAddr;
using dataplane::kNdOptTargetLinkAddr;
using dataplane::NdLinkAddrOption;
using dataplane::NdMessage;
using dataplane::solicited_node_address;

namespace {

// The EtherType after the MAC addresses: `type` itself, or 802.1Q with the interface's VLAN and
// then `type` (host order).
void set_ether_type(const Interface& ifc, rte_ether_hdr* eth, uint16_t type) noexcept {
  if (ifc.vlan) {
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
    auto* vlan = reinterpret_cast<VlanHeader*>(eth + 1);
    vlan->tci = rte_cpu_to_be_16(ifc.vlan);
    vlan->ether_type = rte_cpu_to_be_16(type);
  } else {
    eth->ether_type = rte_cpu_to_be_16(type);
  }
}

}  // namespace

ControlIo::ControlIo(const dataplane::SharedState& shared, dataplane::LcoreCounters& counters,
                     const NeighbourTable::Config& neighbours, std::vector<uint16_t> sip_ports,
                     std::function<uint64_t()> clock_tsc)
    : shared_(shared),
      counters_(counters),
      sip_ports_(std::move(sip_ports)),
      clock_tsc_(clock_tsc ? std::move(clock_tsc) : std::function<uint64_t()>([] { return rte_rdtsc(); })),
      neighbours_(neighbours) {
  tx_.init(shared.ifaces.data(), shared.n_ifaces, dataplane::TxBuffer::kControlQueue, &counters);
  ids_.stride = static_cast<uint16_t>(shared.n_shards);  // shard 0's IDs; shard s starts at s
  scratch_.reserve(kMaxFragments * 2);
}

ControlIo::~ControlIo() { tx_.flush_all(); }

unsigned ControlIo::receive_sip(unsigned shard, std::span<dataplane::SipItem*> out) noexcept {
  return dataplane::receive_sip(shared_, out, shard);
}

uint32_t ControlIo::sip_backlog(unsigned shard) const noexcept { return rte_ring_count(shared_.sip_rings[shard]); }

uint32_t ControlIo::sip_ring_capacity() const noexcept { return rte_ring_get_capacity(shared_.sip_rings[0]); }

void ControlIo::release(dataplane::SipItem* item) noexcept { dataplane::release_sip(shared_, item); }

SendResult ControlIo::transmit(uint16_t iface, const Endpoint& dest, std::string_view bytes) {
  Frames frames;
  const SendResult framed = frame_datagram(bytes, iface, dest, ids_, counters_, frames);
  if (framed != SendResult::Sent) return framed;
  return dispatch(shared_.ifaces[iface], frames.hop, frames.m.data(), frames.n, clock_tsc_(), bytes);
}

SendResult ControlIo::frame_datagram(std::string_view bytes, uint16_t iface, const Endpoint& dest, FrameIds& ids,
                                     dataplane::LcoreCounters& counters, Frames& out) const noexcept {
  rte_mbuf* payload = copy_payload(bytes);
  if (payload == nullptr) {
    counters.drop(iface < shared_.n_ifaces ? iface : 0, Drop::NoBuffer);
    return SendResult::Failed;
  }
  return frame_udp(payload, iface, dest, ids, counters, out);
}

rte_mbuf* ControlIo::copy_payload(std::string_view bytes) const noexcept {
  // Each segment filled to its tailroom: a SIP message above one mbuf (a large INVITE) becomes a
  // multi-segment payload that send_udp fragments at the MTU.
  rte_mbuf* head = nullptr;
  size_t at = 0;
  do {
    rte_mbuf* m = rte_pktmbuf_alloc(shared_.mbuf_pool);
    if (m == nullptr) {
      rte_pktmbuf_free(head);
      return nullptr;
    }
    const size_t n = std::min<size_t>(rte_pktmbuf_tailroom(m), bytes.size() - at);
    char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(n));
    if (n != 0) std::memcpy(p, bytes.data() + at, n);
    at += n;
    if (head == nullptr) {
      head = m;
    } else if (rte_pktmbuf_chain(head, m) != 0) {
      rte_pktmbuf_free(m);
      rte_pktmbuf_free(head);
      return nullptr;
    }
  } while (at < bytes.size());
  return head;
}

std::optional<IpAddr> ControlIo::next_hop(uint16_t iface, const IpAddr& remote) const {
  if (iface >= shared_.n_ifaces) return std::nullopt;
  const Interface& ifc = shared_.ifaces[iface];
  if (remote.family != IpAddr::Family::None && !remote.is_unspecified()) {
    if (auto hop = ifc.next_hop(remote)) return hop;
  }
  return remote.is_v6() ? ifc.gateway6 : ifc.gateway4;
}

std::optional<rte_ether_addr> ControlIo::next_hop_mac(uint16_t iface, const IpAddr& remote) {
  const std::optional<IpAddr> hop = next_hop(iface, remote);
  // A peer known only by latching, with no gateway to go through: the frame goes where the first
  // packet came from, so no MAC is needed yet (the relay learns nothing of it either: zero MAC).
  if (!hop) return rte_ether_addr{};
  const uint64_t now = clock_tsc_();
  NeighbourTable::Lookup nb = neighbours_.resolve(iface, *hop, now);
  if (nb.solicit) send_solicit(iface, *hop);
  if (nb.mac == nullptr) return std::nullopt;
  return *nb.mac;
}

bool ControlIo::prepend_l2(const Interface& ifc, rte_mbuf* m, bool v6) noexcept {
  uint16_t l2 = sizeof(rte_ether_hdr) + (ifc.vlan ? sizeof(VlanHeader) : 0);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(m, l2));
  if (eth == nullptr) {
    return false;
  }
  std::memset(&eth->dst_addr, 0, sizeof(eth->dst_addr));
  eth->src_addr = ifc.mac;
  set_ether_type(ifc, eth, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
  m->l2_len = l2;
  return true;
}

SendResult ControlIo::frame_udp(rte_mbuf* payload, uint16_t iface, const Endpoint& dest, FrameIds& ids,
                                dataplane::LcoreCounters& counters, Frames& out) const noexcept {
  rte_mbuf* m = payload;
  if (iface >= shared_.n_ifaces) {
    rte_pktmbuf_free(m);
    counters.drop(0, Drop::NoRoute);
    return SendResult::Unreachable;
  }
  const Interface& ifc = shared_.ifaces[iface];
  std::optional<IpAddr> hop = ifc.next_hop(dest.ip);
  if (!hop) {
    rte_pktmbuf_free(m);
    counters.drop(ifc.index, Drop::NoRoute);
    return SendResult::Unreachable;
  }
  const uint16_t src_port = iface < sip_ports_.size() ? sip_ports_[iface] : 5060;
  bool v6 = dest.ip.is_v6();
  uint16_t l3 = v6 ? sizeof(rte_ipv6_hdr) : sizeof(rte_ipv4_hdr);
  uint16_t need = l3 + sizeof(rte_udp_hdr) + sizeof(rte_ether_hdr) + sizeof(VlanHeader);
  uint32_t payload_len = m->pkt_len;
  if (rte_pktmbuf_headroom(m) < need) {
    rte_mbuf* hdr = rte_pktmbuf_alloc(shared_.mbuf_pool);
    if (hdr == nullptr || rte_pktmbuf_chain(hdr, m) != 0) {
      rte_pktmbuf_free(hdr);
      rte_pktmbuf_free(m);
      counters.drop(ifc.index, Drop::NoBuffer);
      return SendResult::Failed;
    }
    m = hdr;
  }
  auto* udp = reinterpret_cast<rte_udp_hdr*>(rte_pktmbuf_prepend(m, sizeof(rte_udp_hdr)));
  udp->src_port = rte_cpu_to_be_16(src_port);
  udp->dst_port = rte_cpu_to_be_16(dest.port);
  udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(payload_len + sizeof(rte_udp_hdr)));
  udp->dgram_cksum = 0;
  uint32_t ip_total = l3 + sizeof(rte_udp_hdr) + payload_len;
  // The NIC sums what leaves in one frame; a fragmented datagram's checksum spans all its fragments
  // and is ours to compute. With the offload a capture (frame tap) shows only the pseudo-header sum.
  const bool one_frame = ip_total <= ifc.mtu;
  const bool nic_udp_sum = one_frame && ifc.tx_udp_checksum;
  const bool nic_ip_sum = one_frame && !v6 && ifc.tx_ipv4_checksum;
  if (nic_udp_sum || nic_ip_sum) {
    m->l3_len = l3;
    m->ol_flags |= (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) | (nic_udp_sum ? RTE_MBUF_F_TX_UDP_CKSUM : 0) |
                   (nic_ip_sum ? RTE_MBUF_F_TX_IP_CKSUM : 0);
  }
  rte_mbuf** frames = out.m.data();
  int n_frames = 1;
  if (v6) {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(rte_pktmbuf_prepend(m, l3));
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = udp->dgram_len;
    ip->proto = IPPROTO_UDP;
    ip->hop_limits = 64;
    std::memcpy(ip->src_addr, ifc.ip6, 16);
    std::memcpy(ip->dst_addr, dest.ip.bytes.data(), 16);
    udp->dgram_cksum =
        nic_udp_sum ? rte_ipv6_phdr_cksum(ip, m->ol_flags) : dataplane::udp_checksum_mbuf(m, ip, true, l3);
    if (!one_frame) {
      n_frames = rte_ipv6_fragment_packet(m, frames, kMaxFragments, ifc.mtu, shared_.mbuf_pool,
                                          shared_.indirect_pool);
      rte_pktmbuf_free(m);
      // DPDK leaves the Identification at 0; RFC 8200 §4.5 wants it unique per source/destination
      // among recent packets, or a receiver may splice two datagrams together.
      ids.ip6_frag_id += ids.stride;
      const uint32_t id = rte_cpu_to_be_32(ids.ip6_frag_id);
      for (int i = 0; i < n_frames; ++i) {
        auto* fh = rte_pktmbuf_mtod_offset(frames[i], rte_ipv6_fragment_ext*, sizeof(rte_ipv6_hdr));
        fh->id = id;
      }
    } else {
      frames[0] = m;
    }
  } else {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(rte_pktmbuf_prepend(m, l3));
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = 0;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(ip_total));
    ids.ip_id = static_cast<uint16_t>(ids.ip_id + ids.stride);
    ip->packet_id = rte_cpu_to_be_16(ids.ip_id);
    ip->fragment_offset = 0;  // DF clear: we fragment ourselves and let routers do the same
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = ifc.ip4_be;
    ip->dst_addr = dest.ip.v4_be();
    ip->hdr_checksum = 0;
    udp->dgram_cksum =
        nic_udp_sum ? rte_ipv4_phdr_cksum(ip, m->ol_flags) : dataplane::udp_checksum_mbuf(m, ip, false, l3);
    if (!one_frame) {
      n_frames = rte_ipv4_fragment_packet(m, frames, kMaxFragments, ifc.mtu, shared_.mbuf_pool,
                                          shared_.indirect_pool);
      rte_pktmbuf_free(m);
      for (int i = 0; i < n_frames; ++i) {
        auto* fip = rte_pktmbuf_mtod(frames[i], rte_ipv4_hdr*);
        fip->hdr_checksum = 0;
        fip->hdr_checksum = rte_ipv4_cksum(fip);
      }
    } else {
      if (!nic_ip_sum) ip->hdr_checksum = rte_ipv4_cksum(ip);
      frames[0] = m;
    }
  }
  if (n_frames <= 0) {
    counters.drop(ifc.index, Drop::FragmentFailed);
    return SendResult::Failed;
  }
  if (n_frames > 1) {
    counters.count(ifc.index, Event::FragmentsOut, n_frames);
  }
  for (int i = 0; i < n_frames; ++i) {
    if (!prepend_l2(ifc, frames[i], v6)) {
      // No headroom left in a fragment: the datagram is incomplete without it, drop them all.
      rte_pktmbuf_free_bulk(frames, n_frames);
      counters.drop(ifc.index, Drop::NoBuffer, n_frames);
      return SendResult::Failed;
    }
  }
  counters.count(ifc.index, Event::ControlTx);
  out.n = static_cast<unsigned>(n_frames);
  out.hop = *hop;
  return SendResult::Sent;
}

SendResult ControlIo::dispatch(const Interface& ifc, const IpAddr& next_hop, rte_mbuf** frames, unsigned n,
                               uint64_t now, std::string_view message) noexcept {
  NeighbourTable::Lookup nb = neighbours_.resolve(ifc.index, next_hop, now);
  if (nb.solicit) {
    send_solicit(ifc.index, next_hop);
  }
  if (nb.mac != nullptr) {
    for (unsigned i = 0; i < n; ++i) rte_pktmbuf_mtod(frames[i], rte_ether_hdr*)->dst_addr = *nb.mac;
    // Seen before the push: a full TX buffer sends (and the driver frees) at once.
    if (frame_tap_) frame_tap_->frames_out(ifc.index, frames, n, message);
    for (unsigned i = 0; i < n; ++i) tx_.push(ifc.index, frames[i]);
    return SendResult::Sent;
  }
  // All fragments of a datagram or none: a receiver cannot use part of one.
  if (neighbours_.hold_room(ifc.index, next_hop) < n) {
    rte_pktmbuf_free_bulk(frames, n);
    counters_.drop(ifc.index, Drop::HoldOverflow, n);
    return SendResult::Failed;
  }
  if (frame_tap_) frame_tap_->frames_out(ifc.index, frames, n, message);
  for (unsigned i = 0; i < n; ++i) {
    neighbours_.hold(ifc.index, next_hop, frames[i]);
  }
  return SendResult::Sent;  // held until the neighbour answers
}

void ControlIo::send_solicit(uint16_t iface, const IpAddr& target) noexcept {
  const Interface& ifc = shared_.ifaces[iface];
  rte_mbuf* m = rte_pktmbuf_alloc(shared_.mbuf_pool);
  if (m == nullptr) {
    counters_.drop(iface, Drop::NoBuffer);
    return;
  }
  bool v6 = target.is_v6();
  uint16_t l2 = sizeof(rte_ether_hdr) + (ifc.vlan ? sizeof(VlanHeader) : 0);
  uint16_t body = v6 ? sizeof(rte_ipv6_hdr) + sizeof(NdMessage) + sizeof(NdLinkAddrOption) : sizeof(rte_arp_hdr);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(m, l2 + body));
  eth->src_addr = ifc.mac;
  set_ether_type(ifc, eth, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_ARP);
  if (v6) {
    // RFC 4861 §7.2.2: to the target's solicited-node group, from our address, with our SLLA.
    auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, l2);
    auto* ns = rte_pktmbuf_mtod_offset(m, NdMessage*, l2 + sizeof(rte_ipv6_hdr));
    auto* opt = rte_pktmbuf_mtod_offset(m, NdLinkAddrOption*, l2 + sizeof(rte_ipv6_hdr) + sizeof(NdMessage));
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = rte_cpu_to_be_16(sizeof(NdMessage) + sizeof(NdLinkAddrOption));
    ip->proto = IPPROTO_ICMPV6;
    ip->hop_limits = 255;
    std::memcpy(ip->src_addr, ifc.ip6, 16);
    solicited_node_address(target.bytes.data(), ip->dst_addr);
    eth->dst_addr = ipv6_multicast_mac(ip->dst_addr);
    ns->icmp.type = kIcmp6NeighbourSolicit;
    ns->icmp.code = 0;
    ns->icmp.checksum = 0;
    ns->flags = 0;
    std::memcpy(ns->target, target.bytes.data(), 16);
    opt->type = kNdOptSourceLinkAddr;
    opt->length = 1;
    opt->addr = ifc.mac;
    ns->icmp.checksum = icmp6_checksum(ip, ns, sizeof(NdMessage) + sizeof(NdLinkAddrOption));
  } else {
    auto* arp = rte_pktmbuf_mtod_offset(m, rte_arp_hdr*, l2);
    std::memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = RTE_ETHER_ADDR_LEN;
    arp->arp_plen = 4;
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
    arp->arp_data.arp_sha = ifc.mac;
    arp->arp_data.arp_sip = ifc.ip4_be;
    std::memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
    arp->arp_data.arp_tip = target.v4_be();
  }
  counters_.count(iface, Event::SolicitsSent);
  tx_.push(iface, m);
}

void ControlIo::release_held(const Interface& ifc, const rte_ether_addr& mac, std::vector<rte_mbuf*>& frames) noexcept {
  for (rte_mbuf* f : frames) {
    rte_pktmbuf_mtod(f, rte_ether_hdr*)->dst_addr = mac;
    tx_.push(ifc.index, f);
  }
  counters_.count(ifc.index, Event::HeldReleased, frames.size());
  frames.clear();
}

void ControlIo::handle_neighbour_frame(rte_mbuf* m, uint64_t now) noexcept {
  uint16_t iface = static_cast<uint16_t>(m->hash.usr);
  uint16_t l2 = m->l2_len;
  if (iface >= shared_.n_ifaces) {
    rte_pktmbuf_free(m);
    return;
  }
  const Interface& ifc = shared_.ifaces[iface];
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  uint16_t type = eth->ether_type;
  if (l2 > sizeof(rte_ether_hdr)) {
    type = rte_pktmbuf_mtod_offset(m, VlanHeader*, sizeof(rte_ether_hdr))->ether_type;
  }
  IpAddr ip;
  rte_ether_addr mac = eth->src_addr;
  bool override = true;  // ARP has no such flag: every answer counts
  if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
    auto* arp = rte_pktmbuf_mtod_offset(m, rte_arp_hdr*, l2);
    ip = IpAddr::from_v4_be(arp->arp_data.arp_sip);
    mac = arp->arp_data.arp_sha;
  } else {
    // The worker checked hop limit, code and length; find the target and its TLLA option.
    auto* ip6 = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, l2);
    auto* na = rte_pktmbuf_mtod_offset(m, NdMessage*, l2 + sizeof(rte_ipv6_hdr));
    ip = IpAddr::from_v6(na->target);
    override = (rte_be_to_cpu_32(na->flags) & kNaFlagOverride) != 0;
    uint32_t len = rte_be_to_cpu_16(ip6->payload_len);
    uint32_t off = sizeof(NdMessage);
    const uint8_t* base = reinterpret_cast<const uint8_t*>(na);
    while (off + 2 <= len) {
      uint8_t opt_type = base[off];
      uint32_t opt_len = base[off + 1] * 8u;
      if (opt_len == 0 || off + opt_len > len) {
        break;  // RFC 4861 §4.6: a zero-length option is invalid; stop reading
      }
      if (opt_type == kNdOptTargetLinkAddr && opt_len == 8) {
        std::memcpy(&mac, base + off + 2, 6);
      }
      off += opt_len;
    }
  }
  const NeighbourTable::Answer answer = neighbours_.update(iface, ip, mac, now, scratch_, override);
  if (answer != NeighbourTable::Answer::Unchanged) {
    neighbour_changes_.fetch_add(1, std::memory_order_release);
    counters_.count(iface, Event::NeighbourResolved);
    if (answer == NeighbourTable::Answer::Moved) counters_.count(iface, Event::NeighbourMoved);
    release_held(ifc, mac, scratch_);
    if (on_resolved_) on_resolved_(iface, ip, answer == NeighbourTable::Answer::Moved);
  }
  rte_pktmbuf_free(m);
}

unsigned ControlIo::poll(uint64_t now_tsc) noexcept {
  void* frames[kBurstSize];
  unsigned n = rte_ring_sc_dequeue_burst(shared_.neighbour_ring, frames, kBurstSize, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    handle_neighbour_frame(static_cast<rte_mbuf*>(frames[i]), now_tsc);
  }
  if (now_tsc >= next_neighbour_expiry_tsc_) {
    next_neighbour_expiry_tsc_ = now_tsc + rte_get_tsc_hz() / 1000;
    neighbours_.expire(
        now_tsc, [this](uint16_t iface, const IpAddr& ip) { send_solicit(iface, ip); },
        [this](uint16_t iface, std::vector<rte_mbuf*>& held) {
          counters_.drop(iface, Drop::NeighbourFailed, held.size());
          rte_pktmbuf_free_bulk(held.data(), static_cast<unsigned>(held.size()));
          held.clear();
        });
  }
  return n + tx_.flush_all();
}

}  // namespace sipedge::control
