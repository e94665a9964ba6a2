// dataplane/sip_delivery.cc — worker lcores. Turns a UDP datagram to a SIP port into a scanned
// SipItem for the control ring (rings.h explains the item). Single-segment datagrams are scanned in
// the mbuf (no copy); multi-segment ones (reassembled) are gathered once by parser::scan_chain into
// a jumbo mbuf, because header values may straddle segments. Never blocks, logs or throws.
#include <rte_ip.h>
#include <rte_udp.h>

#include <array>
#include <string_view>

#include "dataplane/net_headers.h"
#include "dataplane/rings.h"
#include "dataplane/worker.h"
#include "parser/headers.h"

namespace sipedge::dataplane {
namespace {

constexpr unsigned kMaxChainSegments = 64;

// RFC 768: a zero IPv4 UDP checksum means "none"; IPv6 requires one (RFC 8200 §8.1).
bool udp_checksum_ok(rte_mbuf* m, uint16_t l2, uint16_t l3_len, bool v6) noexcept {
  uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
  if (ck == RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
    return true;
  }
  if (ck == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
    return false;
  }
  auto* udp = rte_pktmbuf_mtod_offset(m, rte_udp_hdr*, l2 + l3_len);
  if (v6) {
    if (udp->dgram_cksum == 0) {
      return false;
    }
    auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, l2);
    return udp_checksum_verifies(m, ip, true, l2 + l3_len);
  }
  if (udp->dgram_cksum == 0) {
    return true;
  }
  auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, l2);
  return udp_checksum_verifies(m, ip, false, l2 + l3_len);
}

// A request that would start a call, registration or transaction of its own: no To tag, and not an
// ACK or CANCEL (those belong to an INVITE already in progress).
bool starts_something(const parser::Message& msg) noexcept {
  if (!msg.is_request() || msg.method() == parser::Method::Ack || msg.method() == parser::Method::Cancel) return false;
  auto to = parser::to_header(msg);
  return to && to->tag().empty();
}

}  // namespace

Worker::Outcome Worker::deliver_sip(const Interface& ifc, rte_mbuf* m, uint16_t l2, uint16_t l3_len, bool v6,
                                    uint64_t now) noexcept {
  if (!udp_checksum_ok(m, l2, l3_len, v6)) {
    return dropped(Drop::BadUdp, m);
  }
  void* obj = nullptr;
  if (rte_mempool_get(shared_.sip_item_pool, &obj) != 0) {
    return dropped(Drop::SipItemExhausted, m);
  }
  auto* item = static_cast<SipItem*>(obj);
  auto* udp = rte_pktmbuf_mtod_offset(m, rte_udp_hdr*, l2 + l3_len);
  item->iface = ifc.index;
  item->vlan = ifc.vlan;
  item->src_port = rte_be_to_cpu_16(udp->src_port);
  item->dst_port = rte_be_to_cpu_16(udp->dst_port);
  item->rx_tsc = now;
  if (v6) {
    auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, l2);
    item->src = IpAddr::from_v6(ip->src_addr);
    item->dst = IpAddr::from_v6(ip->dst_addr);
  } else {
    auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, l2);
    item->src = IpAddr::from_v4_be(ip->src_addr);
    item->dst = IpAddr::from_v4_be(ip->dst_addr);
  }
  uint32_t payload_off = static_cast<uint32_t>(l2) + l3_len + sizeof(rte_udp_hdr);
  uint32_t payload_len = m->pkt_len - payload_off;

  if (m->nb_segs == 1) {
    std::string_view bytes(rte_pktmbuf_mtod_offset(m, const char*, payload_off), payload_len);
    item->scan = shared_.scanner->scan(bytes, parser::Framing::Datagram, item->msg);
    item->mbuf = m;
  } else {
    std::array<std::string_view, kMaxChainSegments> chain;
    unsigned n_chain = 0;
    uint32_t skip = payload_off;
    for (rte_mbuf* seg = m; seg != nullptr && n_chain < kMaxChainSegments; seg = seg->next) {
      if (skip >= seg->data_len) {
        skip -= seg->data_len;
        continue;
      }
      chain[n_chain++] = std::string_view(rte_pktmbuf_mtod_offset(seg, const char*, skip), seg->data_len - skip);
      skip = 0;
    }
    rte_mbuf* jumbo = rte_pktmbuf_alloc(shared_.jumbo_pool);
    if (jumbo == nullptr) {
      rte_mempool_put(shared_.sip_item_pool, item);
      return dropped(Drop::NoBuffer, m);
    }
    jumbo->data_off = 0;  // the whole buffer is scratch: the copy needs no headroom
    std::span<char> scratch(static_cast<char*>(jumbo->buf_addr), jumbo->buf_len);
    if (n_chain == kMaxChainSegments && payload_len > 0) {
      item->scan = parser::ScanResult{parser::ScanStatus::Malformed, parser::Fault::TooLarge, 0};
      item->msg.reset({});
    } else {
      item->scan = parser::scan_chain(*shared_.scanner, {chain.data(), n_chain}, scratch,
                                      parser::Framing::Datagram, item->msg);
    }
    const char* viewed = item->msg.bytes().data();
    bool gathered = viewed >= scratch.data() && viewed < scratch.data() + scratch.size() &&
                    !item->msg.bytes().empty();
    if (gathered) {
      // The message now lives in the jumbo buffer; the chain is no longer needed.
      jumbo->data_len = static_cast<uint16_t>(payload_len);
      jumbo->pkt_len = payload_len;
      rte_pktmbuf_free(m);
      item->mbuf = jumbo;
      counters_.count(ifc.index, Event::SipCopied);
    } else {
      // Scanned in place (the payload sat in one segment) or refused as too large: keep the chain.
      rte_pktmbuf_free(jumbo);
      item->mbuf = m;
    }
  }
  if (policy_ != nullptr && policy_->matcher) {
    const bool complete = item->scan.status == parser::ScanStatus::Complete;
    policy_->matcher->match(parser::PolicyMatcher::head_of(item->msg, complete), item->msg);
    bool drop = false;
    for (uint16_t rule : item->msg.policy_hits()) {
      counters_.policy_hits[rule].add();
      drop |= policy_->actions[rule] == parser::PolicyAction::Drop;
    }
    if (drop) {
      rte_mbuf* held = item->mbuf;
      rte_mempool_put(shared_.sip_item_pool, item);
      return dropped(Drop::PolicyDrop, held);
    }
  }
  item->shard = static_cast<uint16_t>(shared_.shard_map.of(item->msg.value(parser::HeaderId::CallId)));
  if (item->scan.status != parser::ScanStatus::Complete) {
    counters_.count(ifc.index, Event::SipMalformed);
  } else if (shared_.shed_backlog != 0 && rte_ring_count(shared_.sip_rings[item->shard]) >= shared_.shed_backlog &&
             starts_something(item->msg)) {
    rte_mbuf* held = item->mbuf;
    rte_mempool_put(shared_.sip_item_pool, item);
    return dropped(Drop::Shed, held);
  }
  return {Verdict::Sip, Drop::kCount, item->mbuf, item};
}

unsigned Worker::send_sip(uint16_t iface, unsigned n) noexcept {
  unsigned refused = 0;
  auto enqueue = [&](unsigned shard, void** items, unsigned count) {
    const unsigned done = rte_ring_mp_enqueue_burst(shared_.sip_rings[shard], items, count, nullptr);
    counters_.count(iface, Event::SipToControl, done);
    for (unsigned i = done; i < count; ++i) {
      auto* item = static_cast<SipItem*>(items[i]);
      rte_pktmbuf_free(item->mbuf);
      rte_mempool_put(shared_.sip_item_pool, item);
    }
    refused += count - done;
  };
  if (shared_.n_shards == 1) {
    enqueue(0, sip_items_, n);
    return refused;
  }
  // Each shard's share of the burst in one enqueue: a pass per shard present, the burst is small.
  static_assert(kBurstSize <= 64, "one bit per item of the burst");
  void* mine[kBurstSize];
  uint64_t left = n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  while (left != 0) {
    const unsigned shard = static_cast<SipItem*>(sip_items_[__builtin_ctzll(left)])->shard;
    unsigned count = 0;
    for (uint64_t rest = left; rest != 0; rest &= rest - 1) {
      const unsigned i = static_cast<unsigned>(__builtin_ctzll(rest));
      if (static_cast<SipItem*>(sip_items_[i])->shard != shard) continue;
      mine[count++] = sip_items_[i];
      left &= ~(uint64_t{1} << i);
    }
    enqueue(shard, mine, count);
  }
  return refused;
}

}  // namespace sipedge::dataplane
