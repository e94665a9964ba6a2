// dataplane/rings.h — the only door between worker lcores and the control lcore (DESIGN §2).
// Workers enqueue (multi-producer), control dequeues (single consumer). Never block on a ring: a
// full ring is a counted drop (Drop::ControlRingFull).
//
// Why a SipItem and not the Message in the ring: a parser::Message is ~4 KB (200 header slots), far
// too big to copy through a ring slot. Each SIP message travels as one pointer to a SipItem taken
// from a dedicated mempool (constructed once at pool creation, reused; the scanner resets it). The
// item owns the mbuf whose bytes the Message views; control gives both back with
// ControlIo::release(). Ring slots stay 8 bytes and nothing is copied per message.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include <span>

#include "dataplane/config.h"
#include "dataplane/shared_state.h"
#include "parser/message.h"
#include "parser/scanner.h"

namespace sipedge::dataplane {

// One received SIP datagram, scanned. Addressing is copied out of the headers so control never
// parses Ethernet/IP/UDP.
struct SipItem {
  // Owns the bytes `msg` points into. Single-segment datagrams are scanned in place (msg views the
  // UDP payload inside this mbuf); multi-segment ones (reassembled fragments) were gathered once
  // into a contiguous jumbo mbuf whose data is exactly the UDP payload.
  rte_mbuf* mbuf = nullptr;
  uint16_t iface = 0;  // Interface::index it arrived on
  uint16_t vlan = 0;
  IpAddr src;
  IpAddr dst;
  uint16_t src_port = 0;  // host order
  uint16_t dst_port = 0;
  uint64_t rx_tsc = 0;
  // Complete, or Malformed with the fault (control answers 400/513 with fault_reason()). When the
  // payload was too large to gather, scan.fault is TooLarge and msg is empty.
  parser::ScanResult scan;
  uint16_t shard = 0;  // the control shard whose ring it goes to (SharedState::shard_map)
  parser::Message msg;
};

// Control shard `shard`'s end of its SIP ring (single consumer): up to out.size() scanned messages,
// which the caller owns until release_sip().
inline unsigned receive_sip(const SharedState& shared, std::span<SipItem*> out, unsigned shard = 0) noexcept {
  return rte_ring_sc_dequeue_burst(shared.sip_rings[shard], reinterpret_cast<void**>(out.data()),
                                   static_cast<unsigned>(out.size()), nullptr);
}

// Frees the item's mbuf and returns the item to its pool.
inline void release_sip(const SharedState& shared, SipItem* item) noexcept {
  rte_pktmbuf_free(item->mbuf);
  item->mbuf = nullptr;
  rte_mempool_put(shared.sip_item_pool, item);
}

}  // namespace sipedge::dataplane
