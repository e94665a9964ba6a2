// control/runtime/control_io.h — control lcores, one at a time (not thread safe: with several control
// shards each takes ShardSet's lock, see shard_set.h; receive_sip, release and
// frame_datagram need none). The control plane's side of the dataplane: scanned SIP messages off the SIP
// ring and back to their pool, and every datagram control sends (SipTransport): copied once into an
// mbuf chain, Ethernet/[802.1Q]/IP/UDP prepended, next hop resolved by ARP/ND with packets held
// meanwhile, fragmented above the MTU (RFC 791 §3.2, RFC 8200 §4.5), queued for each port's control
// TX queue until poll().
// It owns the neighbour table, answers its timers, and resolves next hops for the relay's flows.
// Never blocks: a full queue or table is a counted drop.
#pragma once

#include <rte_mbuf.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "control/runtime/neighbour_table.h"
#include "control/runtime/next_hops.h"
#include "control/sip_io.h"
#include "dataplane/counters.h"
#include "dataplane/rings.h"
#include "dataplane/shared_state.h"
#include "dataplane/tx_buffer.h"

namespace sipedge::control {

// Sees the frames of every SIP message control sends, as they go to the port (or into the hold
// queue, destination MAC still zero, while the next hop resolves), with the message they carry.
class SipFrameTap {
 public:
  virtual ~SipFrameTap() = default;
  virtual void frames_out(uint16_t iface, rte_mbuf* const* frames, unsigned n, std::string_view message) = 0;
  // Whether frames_out would keep anything now. Any shard may ask, with no lock (a ShardLane sends
  // past the tap while it says no).
  virtual bool active() const noexcept { return true; }
};

class ControlIo final : public SipTransport, public NextHops {
 public:
  // 64 KB datagram / 1280-byte minimum IPv6 MTU, rounded up.
  static constexpr unsigned kMaxFragments = 64;
  // IP Identifications (IPv4) and fragment IDs (IPv6) of one sender. With several control shards
  // each numbers its own, so two never give one ID to different datagrams: shard s uses s + N,
  // s + 2N, ... (N shards; one shard: 1, 2, 3, ...).
  struct FrameIds {
    uint16_t ip_id = 0;
    uint32_t ip6_frag_id = 0;
    uint16_t stride = 1;
  };
  // One datagram's frames, headers written up to the source MAC, and the neighbour they go to.
  struct Frames {
    std::array<rte_mbuf*, kMaxFragments> m;
    unsigned n = 0;
    IpAddr hop;
  };

  // `counters`: the control lcore's dataplane counters. `sip_ports[i]`: the source port of what
  // interface i sends. `clock_tsc` reads the TSC (tests pass their own).
  ControlIo(const dataplane::SharedState& shared, dataplane::LcoreCounters& counters,
            const NeighbourTable::Config& neighbours, std::vector<uint16_t> sip_ports,
            std::function<uint64_t()> clock_tsc = {});
  ~ControlIo() override;
  ControlIo(const ControlIo&) = delete;
  ControlIo& operator=(const ControlIo&) = delete;

  // Up to out.size() scanned messages from the workers for control shard `shard`; the caller owns
  // them until release(). Each shard reads its own ring: these three need no lock.
  unsigned receive_sip(unsigned shard, std::span<dataplane::SipItem*> out) noexcept;
  // SIP messages waiting in a shard's ring now, and how many each ring holds at most.
  uint32_t sip_backlog(unsigned shard) const noexcept;
  uint32_t sip_ring_capacity() const noexcept;
  // Frees the item's mbuf and returns the item to its pool.
  void release(dataplane::SipItem* item) noexcept;

  // Neighbour answers from the workers, neighbour timers, then the TX flush: what was sent since
  // the last poll leaves in one burst per port (the loop polls at the end of each iteration).
  // Returns work done (0 = idle).
  unsigned poll(uint64_t now_tsc) noexcept;

  // NextHops, for the relay's flows. next_hop_mac: the gateway's MAC when `remote` is off-link or
  // unset (a peer not known yet); a zero MAC when there is no next hop at all (the frame follows the
  // peer's first packet); nullopt while unresolved: resolution starts and `on_resolved` hears when
  // it completes.
  rte_ether_addr interface_mac(uint16_t iface) const override { return shared_.ifaces[iface].mac; }
  std::optional<IpAddr> next_hop(uint16_t iface, const IpAddr& remote) const override;
  std::optional<rte_ether_addr> next_hop_mac(uint16_t iface, const IpAddr& remote) override;
  // Called when a neighbour answers or announces itself: (interface, next-hop address, whether its
  // MAC changed).
  using ResolvedFn = std::function<void(uint16_t, const IpAddr&, bool)>;
  void set_on_resolved(ResolvedFn fn) { on_resolved_ = std::move(fn); }

  const NeighbourTable& neighbours() const noexcept { return neighbours_; }
  // Bumped at every neighbour answer (a MAC may have changed), for the copies shards keep
  // (ShardLane): read with no lock.
  uint64_t neighbour_changes() const noexcept { return neighbour_changes_.load(std::memory_order_acquire); }

  // The pieces of a send, for a control shard with a TX queue of its own (ShardLane):
  // - frame_datagram reads only what no lcore writes while loops run (pools, ports), so any shard
  //   may call it at once;
  // - dispatch sends through this ControlIo: the caller holds the shards' lock.
  // `bytes` copied into mbufs, UDP/IP headers around them, fragmented at the MTU, Ethernet
  // prepended with the destination MAC still zero. Returns Sent when the frames are ready for
  // dispatch; otherwise nothing is left allocated and the failure is counted on `counters`.
  SendResult frame_datagram(std::string_view bytes, uint16_t iface, const Endpoint& dest, FrameIds& ids,
                            dataplane::LcoreCounters& counters, Frames& out) const noexcept;
  // Frames (L2 written, destination MAC pending) for one next hop: sent now or held.
  SendResult dispatch(const dataplane::Interface& ifc, const IpAddr& next_hop, rte_mbuf** frames, unsigned n,
                      uint64_t now, std::string_view message) noexcept;
  uint64_t now_tsc() const { return clock_tsc_(); }
  const dataplane::SharedState& shared() const noexcept { return shared_; }
  SipFrameTap* frame_tap() const noexcept { return frame_tap_; }
  // pcap capture of what control sends (sipedgectl capture); none: nothing is copied.
  void set_frame_tap(SipFrameTap* tap) noexcept { frame_tap_ = tap; }

 private:
  // SipTransport: one UDP datagram from the interface's SIP port.
  SendResult transmit(uint16_t iface, const Endpoint& dest, std::string_view bytes) override;
  // The payload as an mbuf chain (each segment filled to its tailroom), or nullptr.
  rte_mbuf* copy_payload(std::string_view bytes) const noexcept;
  // frame_datagram's second half: takes ownership of `payload`.
  SendResult frame_udp(rte_mbuf* payload, uint16_t iface, const Endpoint& dest, FrameIds& ids,
                       dataplane::LcoreCounters& counters, Frames& out) const noexcept;
  void send_solicit(uint16_t iface, const IpAddr& target) noexcept;
  void handle_neighbour_frame(rte_mbuf* m, uint64_t now) noexcept;
  void release_held(const dataplane::Interface& ifc, const rte_ether_addr& mac, std::vector<rte_mbuf*>& frames) noexcept;
  // Prepends Ethernet (and the VLAN tag) in front of the IP packet at m's data start.
  static bool prepend_l2(const dataplane::Interface& ifc, rte_mbuf* m, bool v6) noexcept;

  // Read on every send of every shard (a ShardLane's too), written seldom.
  const dataplane::SharedState& shared_;
  dataplane::LcoreCounters& counters_;
  std::vector<uint16_t> sip_ports_;
  std::function<uint64_t()> clock_tsc_;
  SipFrameTap* frame_tap_ = nullptr;
  ResolvedFn on_resolved_;
  std::atomic<uint64_t> neighbour_changes_{0};
  // Written by the sends through this ControlIo, from a cache line of their own on: a lane reading
  // the fields above would otherwise lose its copy of them at each of them (false sharing).
  alignas(RTE_CACHE_LINE_SIZE) dataplane::TxBuffer tx_;
  NeighbourTable neighbours_;
  FrameIds ids_;
  std::vector<rte_mbuf*> scratch_;  // released / failed frames (reused)
  // Neighbour timers run once a millisecond, not on every loop iteration: they walk the whole table,
  // and their deadlines are retransmit intervals of a second.
  uint64_t next_neighbour_expiry_tsc_ = 0;
};

}  // namespace sipedge::control
