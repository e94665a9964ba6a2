// dataplane/responder.cc — worker lcores. In-place answers to ARP, ICMP echo, ICMPv6 echo and NS
// (RFC 826, RFC 792, RFC 4443 §4.2, RFC 4861 §7.2.4). Never allocates, blocks or logs.
#include "dataplane/responder.h"

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include <cstring>

#include "common/checksum.h"
#include "dataplane/net_headers.h"

namespace sipedge::dataplane {
namespace {

// Reply frames go back where the request came from, from our MAC. The VLAN tag (if any) stays.
void swap_ether(const Interface& ifc, rte_mbuf* m) noexcept {
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  eth->dst_addr = eth->src_addr;
  eth->src_addr = ifc.mac;
}

}  // namespace

void arp_reply_in_place(const Interface& ifc, rte_mbuf* m, uint16_t l2) noexcept {
  auto* arp = rte_pktmbuf_mtod_offset(m, rte_arp_hdr*, l2);
  swap_ether(ifc, m);
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
  const uint32_t asked = arp->arp_data.arp_tip;  // ours: the interface address or a media address
  arp->arp_data.arp_tha = arp->arp_data.arp_sha;
  arp->arp_data.arp_tip = arp->arp_data.arp_sip;
  arp->arp_data.arp_sha = ifc.mac;
  arp->arp_data.arp_sip = asked;
}

void icmp4_echo_reply_in_place(const Interface& ifc, rte_mbuf* m, uint16_t l2, uint16_t ihl) noexcept {
  swap_ether(ifc, m);
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, l2);
  auto* icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr*, l2 + ihl);
  const uint32_t pinged = ip->dst_addr;  // ours: the interface address or a media address
  ip->dst_addr = ip->src_addr;
  ip->src_addr = pinged;
  ip->time_to_live = 64;
  ip->hdr_checksum = 0;
  ip->hdr_checksum = csum(ip, ihl);
  // Type 8 -> 0 changes one 16-bit word of the ICMP message (RFC 1624 incremental update).
  uint16_t old_word = rte_cpu_to_be_16(static_cast<uint16_t>(icmp->icmp_type << 8 | icmp->icmp_code));
  icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
  uint16_t new_word = rte_cpu_to_be_16(static_cast<uint16_t>(icmp->icmp_type << 8 | icmp->icmp_code));
  icmp->icmp_cksum = csum_replace2(icmp->icmp_cksum, old_word, new_word);
}

void icmp6_echo_reply_in_place(const Interface& ifc, rte_mbuf* m, uint16_t l2) noexcept {
  swap_ether(ifc, m);
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, l2);
  auto* icmp = rte_pktmbuf_mtod_offset(m, Icmp6Header*, l2 + sizeof(rte_ipv6_hdr));
  std::memcpy(ip->dst_addr, ip->src_addr, 16);
  std::memcpy(ip->src_addr, ifc.ip6, 16);
  ip->hop_limits = 64;
  // Swapping addresses leaves the pseudo-header sum unchanged; only the type word changes.
  uint16_t old_word = rte_cpu_to_be_16(static_cast<uint16_t>(icmp->type << 8 | icmp->code));
  icmp->type = kIcmp6EchoReply;
  uint16_t new_word = rte_cpu_to_be_16(static_cast<uint16_t>(icmp->type << 8 | icmp->code));
  icmp->checksum = csum_replace2(icmp->checksum, old_word, new_word);
}

bool nd_advert_in_place(const Interface& ifc, rte_mbuf* m, uint16_t l2) noexcept {
  constexpr uint16_t kNaLen = sizeof(NdMessage) + sizeof(NdLinkAddrOption);
  uint32_t want = l2 + sizeof(rte_ipv6_hdr) + kNaLen;
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, l2);
  auto* nd = rte_pktmbuf_mtod_offset(m, NdMessage*, l2 + sizeof(rte_ipv6_hdr));
  auto* opt = rte_pktmbuf_mtod_offset(m, NdLinkAddrOption*, l2 + sizeof(rte_ipv6_hdr) + sizeof(NdMessage));
  // RFC 4861 §7.2.4: send to the solicitation's source; its SLLA option (when the NS carried one)
  // names the link-layer destination, else the frame's source MAC.
  rte_ether_addr dst_mac = eth->src_addr;
  if (m->data_len >= want && opt->type == kNdOptSourceLinkAddr && opt->length == 1) {
    dst_mac = opt->addr;
  }
  if (m->pkt_len < want) {
    if (rte_pktmbuf_append(m, static_cast<uint16_t>(want - m->pkt_len)) == nullptr) {
      return false;
    }
  } else if (m->pkt_len > want) {
    rte_pktmbuf_trim(m, static_cast<uint16_t>(m->pkt_len - want));
  }
  eth->dst_addr = dst_mac;
  eth->src_addr = ifc.mac;
  std::memcpy(ip->dst_addr, ip->src_addr, 16);
  std::memcpy(ip->src_addr, ifc.ip6, 16);
  ip->payload_len = rte_cpu_to_be_16(kNaLen);
  ip->hop_limits = 255;  // RFC 4861 §7.1.2: receivers drop ND with any other hop limit
  nd->icmp.type = kIcmp6NeighbourAdvert;
  nd->icmp.code = 0;
  nd->icmp.checksum = 0;
  nd->flags = rte_cpu_to_be_32(kNaFlagSolicited | kNaFlagOverride);
  std::memcpy(nd->target, ifc.ip6, 16);
  opt->type = kNdOptTargetLinkAddr;
  opt->length = 1;
  opt->addr = ifc.mac;
  nd->icmp.checksum = icmp6_checksum(ip, nd, kNaLen);
  return true;
}

}  // namespace sipedge::dataplane
