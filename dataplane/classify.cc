// dataplane/classify.cc — worker lcores, the per-burst hot path (DESIGN §2): parse L2/L3/L4, answer
// ARP/ND/ICMP in place, reassemble fragments (RFC 791 §3.2, RFC 8200 §4.5), route UDP to SIP
// (scan -> control ring) or to the media handler, drop the rest by reason. Decides for the whole
// burst, then acts once. Never allocates (beyond mempools), blocks, locks, logs or throws.
#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "common/checksum.h"
#include "dataplane/ban_table.h"
#include "dataplane/net_headers.h"
#include "dataplane/responder.h"
#include "dataplane/rings.h"
#include "dataplane/worker.h"

namespace sipedge::dataplane {

Worker::Worker(const SharedState& shared, unsigned index, LcoreCounters& counters, uint32_t reassembly_flows)
    : shared_(shared), index_(index), counters_(counters) {
  tx_.init(shared.ifaces.data(), shared.n_ifaces, static_cast<uint16_t>(index), &counters);
  // Buckets of 16 entries, flows spread over them; an entry lives at most the reassembly timeout.
  uint32_t buckets = (reassembly_flows + 15) / 16;
  frag_table_ = rte_ip_frag_table_create(buckets, 16, buckets * 16, shared.reassembly_timeout_tsc,
                                         static_cast<int>(rte_socket_id()));
  if (frag_table_ == nullptr) {
    throw std::runtime_error("rte_ip_frag_table_create failed for worker " + std::to_string(index));
  }
}

Worker::~Worker() {
  rte_ip_frag_free_death_row(&death_row_, 0);
  if (frag_table_ != nullptr) {
    rte_ip_frag_table_destroy(frag_table_);
  }
  delete policy_;
  delete next_policy_.load(std::memory_order_acquire);
  delete retired_policy_.load(std::memory_order_acquire);
}

void Worker::offer_policy(std::unique_ptr<Policy> next) noexcept {
  reclaim_policy();
  // Whatever the lane has not taken yet is replaced: it never will see it.
  delete next_policy_.exchange(next.release(), std::memory_order_acq_rel);
}

bool Worker::reclaim_policy() noexcept {
  delete retired_policy_.exchange(nullptr, std::memory_order_acq_rel);
  return next_policy_.load(std::memory_order_acquire) == nullptr;
}

void Worker::adopt_policy() noexcept {
  // Only once control freed the set given back last time: one slot, never overwritten.
  if (retired_policy_.load(std::memory_order_acquire) != nullptr) return;
  Policy* next = next_policy_.exchange(nullptr, std::memory_order_acq_rel);
  if (next == nullptr) return;
  retired_policy_.store(policy_, std::memory_order_release);
  policy_ = next;
}

unsigned Worker::poll_once(uint64_t now_tsc) noexcept {
  rte_mbuf* pkts[kBurstSize];
  unsigned total = 0;
  for (uint16_t i = 0; i < shared_.n_ifaces; ++i) {
    if (index_ >= shared_.ifaces[i].rx_queues) {
      continue;  // the control lcore's RX queue exists only on control_rx ports
    }
    uint16_t n = rte_eth_rx_burst(shared_.ifaces[i].port_id, static_cast<uint16_t>(index_), pkts, kBurstSize);
    if (n) {
      process_burst(i, pkts, n, now_tsc);
      total += n;
    }
  }
  tx_.flush_all();
  if (shared_.media.poll_done != nullptr) {
    shared_.media.poll_done(shared_.media.ctx, index_);
  }
  if (now_tsc >= next_frag_expiry_) {
    rte_ip_frag_table_del_expired_entries(frag_table_, &death_row_, now_tsc);
    next_frag_expiry_ = now_tsc + shared_.reassembly_timeout_tsc / 4;
  }
  if (death_row_.cnt) {
    // Every mbuf on the death row is a fragment reassembly gave up on (invalid, overlapping, table
    // full or timed out); count it on the port it came in on before freeing.
    for (uint32_t i = 0; i < death_row_.cnt; ++i) {
      for (uint16_t f = 0; f < shared_.n_ifaces; ++f) {
        if (shared_.ifaces[f].port_id == death_row_.row[i]->port) {
          counters_.drop(f, Drop::ReassemblyFailed);
          break;
        }
      }
    }
    rte_ip_frag_free_death_row(&death_row_, 3);
  }
  return total;
}

void Worker::process_burst(uint16_t iface, rte_mbuf* const* pkts, uint16_t n, uint64_t now_tsc) noexcept {
  // New signature rules from a reload take effect between bursts, never within one.
  if (next_policy_.load(std::memory_order_relaxed) != nullptr) adopt_policy();
  const Interface& ifc = shared_.ifaces[iface];
  now_ = now_tsc;
  uint16_t n_media = 0, n_sip = 0, n_neigh = 0, n_drop = 0;
  uint16_t drop_counts[kDropCount] = {};
  counters_.count(iface, Event::RxPackets, n);

  // 1. Decide: one verdict per packet, staged per action.
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 3 < n) {
      rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 3], void*));
    }
    Outcome o = classify(ifc, pkts[i], now_tsc);
    // At most one entry a packet: the copy comes only with a packet answered in place.
    if (o.neighbour_copy != nullptr) neighbours_[n_neigh++] = o.neighbour_copy;
    switch (o.verdict) {
      case Verdict::Consumed:
        break;
      case Verdict::Media:
        media_[n_media++] = o.m;
        break;
      case Verdict::Sip:
        sip_items_[n_sip++] = o.item;
        break;
      case Verdict::Neighbour:
        neighbours_[n_neigh++] = o.m;
        break;
      case Verdict::Drop:
        drops_[n_drop++] = o.m;
        ++drop_counts[static_cast<unsigned>(o.drop)];
        break;
    }
  }

  // 2. Act once per burst.
  if (n_media) {
    if (shared_.media.fn != nullptr) {
      counters_.count(iface, Event::MediaToHandler, n_media);
      MediaBurst burst{index_, iface, {media_, n_media}, now_tsc, &tx_, &counters_};
      shared_.media.fn(shared_.media.ctx, burst);
    } else {
      drop_counts[static_cast<unsigned>(Drop::NoMediaHandler)] += n_media;
      rte_pktmbuf_free_bulk(media_, n_media);
    }
  }
  if (n_sip) drop_counts[static_cast<unsigned>(Drop::ControlRingFull)] += send_sip(iface, n_sip);
  if (n_neigh) {
    unsigned done = rte_ring_mp_enqueue_burst(shared_.neighbour_ring, neighbours_, n_neigh, nullptr);
    counters_.count(iface, Event::NeighbourToControl, done);
    for (unsigned i = done; i < n_neigh; ++i) {
      rte_pktmbuf_free(static_cast<rte_mbuf*>(neighbours_[i]));
    }
    drop_counts[static_cast<unsigned>(Drop::ControlRingFull)] += n_neigh - done;
  }
  if (n_drop) {
    rte_pktmbuf_free_bulk(drops_, n_drop);
  }
  for (unsigned d = 0; d < kDropCount; ++d) {
    if (drop_counts[d]) {
      counters_.drop(iface, static_cast<Drop>(d), drop_counts[d]);
    }
  }
}

Worker::Outcome Worker::classify(const Interface& ifc, rte_mbuf* m, uint64_t now) noexcept {
  if (m->data_len < sizeof(rte_ether_hdr)) {
    return dropped(Drop::Runt, m);
  }
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  uint16_t type = eth->ether_type;
  uint16_t l2 = sizeof(rte_ether_hdr);
  uint16_t vid = 0;
  if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
    if (m->data_len < l2 + sizeof(VlanHeader)) {
      return dropped(Drop::Runt, m);
    }
    auto* vlan = rte_pktmbuf_mtod_offset(m, VlanHeader*, l2);
    vid = rte_be_to_cpu_16(vlan->tci) & 0x0fff;
    type = vlan->ether_type;
    l2 += sizeof(VlanHeader);
  }
  if (vid != ifc.vlan) {
    return dropped(Drop::WrongVlan, m);
  }
  if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
    return classify_ipv4(ifc, m, l2, now);
  }
  if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
    return classify_ipv6(ifc, m, l2, now);
  }
  if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
    return classify_arp(ifc, m, l2);
  }
  return dropped(Drop::UnknownEthertype, m);
}

Worker::Outcome Worker::classify_arp(const Interface& ifc, rte_mbuf* m, uint16_t l2) noexcept {
  if (m->data_len < l2 + sizeof(rte_arp_hdr)) {
    return dropped(Drop::Runt, m);
  }
  auto* arp = rte_pktmbuf_mtod_offset(m, rte_arp_hdr*, l2);
  // RFC 826: Ethernet hardware, IPv4 protocol, 6- and 4-byte addresses; anything else is not ours.
  if (!ifc.has_v4 || arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 || arp->arp_plen != 4) {
    return dropped(Drop::ArpNotForUs, m);
  }
  uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
  if (op == RTE_ARP_OP_REQUEST && ifc.owns4(arp->arp_data.arp_tip) &&
      arp->arp_data.arp_sip != arp->arp_data.arp_tip) {
    // RFC 826's merge: a neighbour control knows that asks from another MAC has moved (a router
    // replaced without announcing itself). Control sees a copy; the request is answered here.
    rte_mbuf* copy = rte_pktmbuf_copy(m, shared_.mbuf_pool, 0, UINT32_MAX);
    if (copy != nullptr) {
      copy->l2_len = l2;
      copy->hash.usr = ifc.index;
    }
    arp_reply_in_place(ifc, m, l2);
    counters_.count(ifc.index, Event::ArpReplied);
    tx_.push(ifc.index, m);
    Outcome o = consumed(m);
    o.neighbour_copy = copy;
    return o;
  }
  // A gratuitous request (sender and target address the same, RFC 5227 §3) announces a neighbour's
  // MAC, as a router taking over an address does after a failover. Control owns the neighbour
  // table; it decides whether a reply answers a pending request and whether an announcement moves a
  // neighbour it knows (it learns none from them).
  const bool announcement = op == RTE_ARP_OP_REQUEST && arp->arp_data.arp_sip == arp->arp_data.arp_tip &&
                            !ifc.owns4(arp->arp_data.arp_sip);
  if (op == RTE_ARP_OP_REPLY || announcement) {
    m->l2_len = l2;
    m->hash.usr = ifc.index;
    return to(Verdict::Neighbour, m);
  }
  return dropped(Drop::ArpNotForUs, m);
}

Worker::Outcome Worker::classify_ipv4(const Interface& ifc, rte_mbuf* m, uint16_t l2, uint64_t now) noexcept {
  if (m->data_len < l2 + sizeof(rte_ipv4_hdr)) {
    return dropped(Drop::Runt, m);
  }
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, l2);
  uint16_t ihl = static_cast<uint16_t>((ip->version_ihl & 0x0f) * 4);
  uint16_t total = rte_be_to_cpu_16(ip->total_length);
  if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) || m->data_len < l2 + ihl || total < ihl) {
    return dropped(Drop::BadIpHeader, m);
  }
  uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
  if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD || (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && csum(ip, ihl) != 0)) {
    return dropped(Drop::BadIpHeader, m);
  }
  if (m->pkt_len < static_cast<uint32_t>(l2) + total) {
    return dropped(Drop::Truncated, m);
  }
  if (!ifc.has_v4 || !ifc.owns4(ip->dst_addr)) {
    return dropped(Drop::NotForUs, m);
  }
  if (m->pkt_len > static_cast<uint32_t>(l2) + total) {
    rte_pktmbuf_trim(m, static_cast<uint16_t>(m->pkt_len - l2 - total));  // Ethernet padding
  }
  if (rte_ipv4_frag_pkt_is_fragmented(ip)) {
    counters_.count(ifc.index, Event::FragmentsIn);
    m->port = ifc.port_id;  // for attributing a failed reassembly (not every PMD sets it)
    m->l2_len = l2;
    m->l3_len = ihl;
    rte_mbuf* whole = rte_ipv4_frag_reassemble_packet(frag_table_, &death_row_, m, now, ip);
    if (whole == nullptr) {
      return consumed(m);  // held until the rest arrives (or expired later)
    }
    counters_.count(ifc.index, Event::Reassembled);
    m = whole;
    ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, l2);
  }
  switch (ip->next_proto_id) {
    case IPPROTO_UDP:
      return classify_udp(ifc, m, l2, ihl, false);
    case IPPROTO_ICMP: {
      if (m->nb_segs != 1 || m->data_len < l2 + ihl + sizeof(rte_icmp_hdr)) {
        return dropped(Drop::IcmpOther, m);
      }
      auto* icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr*, l2 + ihl);
      if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
        return dropped(Drop::IcmpOther, m);
      }
      icmp4_echo_reply_in_place(ifc, m, l2, ihl);
      counters_.count(ifc.index, Event::IcmpEchoReplied);
      tx_.push(ifc.index, m);
      return consumed(m);
    }
    default:
      return dropped(Drop::UnknownProto, m);
  }
}

Worker::Outcome Worker::classify_ipv6(const Interface& ifc, rte_mbuf* m, uint16_t l2, uint64_t now) noexcept {
  constexpr uint16_t kIp6 = sizeof(rte_ipv6_hdr);
  if (m->data_len < l2 + kIp6) {
    return dropped(Drop::Runt, m);
  }
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, l2);
  uint32_t payload = rte_be_to_cpu_16(ip->payload_len);
  if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6) {
    return dropped(Drop::BadIpHeader, m);
  }
  if (m->pkt_len < l2 + kIp6 + payload) {
    return dropped(Drop::Truncated, m);
  }
  if (!ifc.has_v6) {
    return dropped(Drop::NotForUs, m);
  }
  bool to_unicast = std::memcmp(ip->dst_addr, ifc.ip6, 16) == 0;
  bool to_solicited = std::memcmp(ip->dst_addr, ifc.ip6_solicited, 16) == 0;
  if (!to_unicast && !to_solicited) {
    return dropped(Drop::NotForUs, m);
  }
  if (m->pkt_len > l2 + kIp6 + payload) {
    rte_pktmbuf_trim(m, static_cast<uint16_t>(m->pkt_len - l2 - kIp6 - payload));
  }
  if (ip->proto == kIpProtoFragment) {
    if (!to_unicast || m->data_len < l2 + kIp6 + sizeof(rte_ipv6_fragment_ext)) {
      return dropped(Drop::BadIpHeader, m);
    }
    counters_.count(ifc.index, Event::FragmentsIn);
    auto* frag = rte_pktmbuf_mtod_offset(m, rte_ipv6_fragment_ext*, l2 + kIp6);
    m->port = ifc.port_id;
    m->l2_len = l2;
    m->l3_len = kIp6 + sizeof(rte_ipv6_fragment_ext);
    rte_mbuf* whole = rte_ipv6_frag_reassemble_packet(frag_table_, &death_row_, m, now, ip, frag);
    if (whole == nullptr) {
      return consumed(m);
    }
    counters_.count(ifc.index, Event::Reassembled);
    m = whole;
    ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, l2);
  }
  switch (ip->proto) {
    case IPPROTO_UDP:
      if (!to_unicast) {
        return dropped(Drop::NotForUs, m);
      }
      return classify_udp(ifc, m, l2, kIp6, true);
    case IPPROTO_ICMPV6:
      return classify_icmp6(ifc, m, l2, to_unicast);
    default:
      return dropped(Drop::UnknownProto, m);
  }
}

Worker::Outcome Worker::classify_icmp6(const Interface& ifc, rte_mbuf* m, uint16_t l2, bool to_unicast) noexcept {
  constexpr uint16_t kIp6 = sizeof(rte_ipv6_hdr);
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, l2);
  uint32_t len = rte_be_to_cpu_16(ip->payload_len);
  if (m->nb_segs != 1 || len < sizeof(Icmp6Header) || m->data_len < l2 + kIp6 + len) {
    return dropped(Drop::IcmpOther, m);
  }
  auto* icmp = rte_pktmbuf_mtod_offset(m, Icmp6Header*, l2 + kIp6);
  if (icmp6_checksum(ip, icmp, len) != 0) {
    return dropped(Drop::BadIpHeader, m);
  }
  switch (icmp->type) {
    case kIcmp6EchoRequest:
      if (!to_unicast) {
        return dropped(Drop::NotForUs, m);
      }
      icmp6_echo_reply_in_place(ifc, m, l2);
      counters_.count(ifc.index, Event::Icmp6EchoReplied);
      tx_.push(ifc.index, m);
      return consumed(m);
    case kIcmp6NeighbourSolicit: {
      // RFC 4861 §7.1.1: hop limit 255, code 0, target ours; a DAD probe (source ::) is not answered
      // here because it means another node wants our address.
      static constexpr uint8_t kUnspecified[16] = {};
      auto* nd = reinterpret_cast<const NdMessage*>(icmp);
      if (len < sizeof(NdMessage) || ip->hop_limits != 255 || icmp->code != 0 ||
          std::memcmp(nd->target, ifc.ip6, 16) != 0 || std::memcmp(ip->src_addr, kUnspecified, 16) == 0) {
        return dropped(Drop::IcmpOther, m);
      }
      if (!nd_advert_in_place(ifc, m, l2)) {
        return dropped(Drop::NoBuffer, m);
      }
      counters_.count(ifc.index, Event::NdAdvertised);
      tx_.push(ifc.index, m);
      return consumed(m);
    }
    case kIcmp6NeighbourAdvert:
      if (len < sizeof(NdMessage) || ip->hop_limits != 255 || icmp->code != 0) {
        return dropped(Drop::IcmpOther, m);
      }
      m->l2_len = l2;
      m->hash.usr = ifc.index;
      return to(Verdict::Neighbour, m);
    default:
      return dropped(Drop::IcmpOther, m);
  }
}

bool Worker::source_banned(const rte_mbuf* m, uint16_t l2, bool v6) const noexcept {
  const IpAddr src = v6 ? IpAddr::from_v6(rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, l2)->src_addr)
                        : IpAddr::from_v4_be(rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, l2)->src_addr);
  return shared_.bans->banned(src, now_);
}

Worker::Outcome Worker::classify_udp(const Interface& ifc, rte_mbuf* m, uint16_t l2, uint16_t l3_len, bool v6) noexcept {
  if (m->data_len < l2 + l3_len + sizeof(rte_udp_hdr)) {
    return dropped(Drop::Runt, m);
  }
  auto* udp = rte_pktmbuf_mtod_offset(m, rte_udp_hdr*, l2 + l3_len);
  uint16_t dgram = rte_be_to_cpu_16(udp->dgram_len);
  if (dgram < sizeof(rte_udp_hdr) || m->pkt_len != static_cast<uint32_t>(l2) + l3_len + dgram) {
    return dropped(Drop::BadUdp, m);
  }
  // The relay reads these instead of parsing the headers again (rtp_relay/relay_burst.h).
  m->l2_len = l2;
  m->l3_len = l3_len;
  m->l4_len = sizeof(rte_udp_hdr);
  m->packet_type = (v6 ? RTE_PTYPE_L3_IPV6 : RTE_PTYPE_L3_IPV4) | RTE_PTYPE_L4_UDP;
  uint16_t dport = rte_be_to_cpu_16(udp->dst_port);
  if (dport >= shared_.media_min && dport <= shared_.media_max) {
    m->port = ifc.port_id;  // the relay keys flows by ingress port; not every PMD sets it
    return to(Verdict::Media, m);
  }
  if (shared_.sip_ports.test(dport)) {
    if (!shared_.bans->empty() && source_banned(m, l2, v6)) {
      return dropped(Drop::Banned, m);
    }
    return deliver_sip(ifc, m, l2, l3_len, v6, now_);
  }
  return dropped(Drop::NoListener, m);
}

}  // namespace sipedge::dataplane
