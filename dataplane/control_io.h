// dataplane/control_io.h — control lcore only. The control plane's side of the dataplane: take
// scanned SIP messages off the ring, give them back, and transmit datagrams (headers, next-hop
// resolution with held packets, IP fragmentation) on each port's control TX queue. Also owns the
// neighbour table and answers its timers. Not thread-safe: exactly one control lcore calls it.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/counters.h"
#include "dataplane/neighbour_table.h"
#include "dataplane/rings.h"
#include "dataplane/shared_state.h"
#include "dataplane/tx_buffer.h"

namespace sipedge::dataplane {

// A datagram control wants on the wire. `payload` holds the UDP payload only (data starts at the
// first payload byte; may be multi-segment). Its headroom is used for headers when there is room,
// otherwise a header mbuf is chained in front. The source address is the interface's address of
// the destination's family.
struct OutgoingDatagram {
  rte_mbuf* payload = nullptr;
  IpAddr dst;
  uint16_t dst_port = 0;  // host order
  uint16_t src_port = 0;
  uint16_t iface = 0;     // Interface::index to send from
};

enum class SendResult : uint8_t {
  Sent,     // on the control TX queue (or dropped by a full queue: Drop::TxFull)
  Held,     // waiting for ARP/ND; sent when the neighbour answers
  Dropped,  // counted under a Drop reason; the payload was freed
};

class ControlIo {
 public:
  ControlIo(const SharedState& shared, LcoreCounters& counters, const NeighbourTable::Config& neighbours);
  ~ControlIo();
  ControlIo(const ControlIo&) = delete;
  ControlIo& operator=(const ControlIo&) = delete;

  // Up to out.size() scanned messages from the workers; the caller owns them until release().
  unsigned receive_sip(std::span<SipItem*> out) noexcept;
  // Frees the item's mbuf and returns the item to its pool.
  void release(SipItem* item) noexcept;

  // Builds Ether/[802.1Q]/IP/UDP, resolves the next hop, fragments above the interface MTU
  // (RFC 791 §3.2, RFC 8200 §4.5) and queues the result. Takes ownership of d.payload always.
  SendResult send_udp(const OutgoingDatagram& d, uint64_t now_tsc) noexcept;

  // Neighbour answers from the workers, neighbour timers, TX flush. Returns work done (0 = idle).
  unsigned poll(uint64_t now_tsc) noexcept;

  // An mbuf for building a payload, with headroom for all headers.
  rte_mbuf* alloc_payload() noexcept { return rte_pktmbuf_alloc(shared_.mbuf_pool); }

  const NeighbourTable& neighbours() const noexcept { return neighbours_; }
  LcoreCounters& counters() noexcept { return counters_; }

 private:
  // Frames (L2 written, destination MAC pending) for one next hop: send now or hold.
  SendResult dispatch(const Interface& ifc, const IpAddr& next_hop, rte_mbuf** frames, unsigned n,
                      uint64_t now) noexcept;
  void send_solicit(uint16_t iface, const IpAddr& target) noexcept;
  void handle_neighbour_frame(rte_mbuf* m, uint64_t now) noexcept;
  void release_held(const Interface& ifc, const rte_ether_addr& mac, std::vector<rte_mbuf*>& frames) noexcept;
  // Prepends Ethernet (and the VLAN tag) in front of the IP packet at m's data start.
  bool prepend_l2(const Interface& ifc, rte_mbuf* m, bool v6) noexcept;

  const SharedState& shared_;
  LcoreCounters& counters_;
  TxBuffer tx_;
  NeighbourTable neighbours_;
  uint16_t ip_id_ = 0;
  uint32_t ip6_frag_id_ = 0;
  std::vector<rte_mbuf*> scratch_;  // released / failed frames (control lcore, reused)
};

}  // namespace sipedge::dataplane
