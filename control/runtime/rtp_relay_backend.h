// control/runtime/rtp_relay_backend.h — control lcore only (the flow table's single writer).
// MediaManager's FlowBackend over rtp_relay::FlowTable: maps control interfaces to DPDK ports, picks
// the latching policy per interface and puts the MACs into each flow. DESIGN §3 Media.
//
// MACs come from NextHops (ControlIo in the gateway): the interface's own, and the next hop's
// towards the peer (the gateway's for off-link peers). A next hop not resolved yet does not fail
// the call: the flow is installed at once (frames towards that peer carry a zero destination MAC
// and go nowhere), resolution runs, and neighbour_resolved() patches the flow when the answer
// comes. A next hop that later moves to another MAC takes its flows along (follow_moves). Errors
// reach MediaManager as values: RelayFull when the table has no room, RelayRefused for anything
// else it refuses.
//
// With an OffloadManager (hw/, DESIGN §5), a direction goes to the NIC once both its peers are
// known: the ingress peer latched (or fixed by SDP where the side does not latch), the egress peer
// latched or from SDP, the MACs resolved. Until then the flow waits in a queue that poll_offload()
// visits a bounded slice of per call. An SDP change swaps live rules at once (make before break)
// or, when a peer must be learned again, hands the direction back to software until it has. The
// NIC's counters are merged into counters(), so CDRs and media timeouts stay true.
#pragma once

#include <rte_ether.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "control/config.h"
#include "control/media/media_manager.h"
#include "control/runtime/next_hops.h"
#include "hw/offload_manager.h"
#include "rtp_relay/flow_table.h"

namespace sipedge::control {

class RtpRelayBackend final : public FlowBackend {
 public:
  struct Interface {
    bool configured = false;
    uint16_t port_id = 0;
    relay::LatchMode latch = relay::LatchMode::Latch;
    // Peers may sit behind NAT: an SDP address that cannot be reached from this interface (private
    // and off-link) is not where packets come from, so the relay latches on the first packet from
    // any host (then strict source). A reachable SDP address is used as given: packets are sent
    // there before latching, so media starts whichever side speaks first.
    bool latch_any_host = false;
    IpPrefix subnet;  // the interface's on-link prefix
  };
  using ClockFn = std::function<uint64_t()>;

  // The policy an interface gets from the config. Access (phones behind NAT): latch on any host,
  // strict afterwards — rtp_relay has no latch that keeps accepting other sources, so
  // strict_source = false cannot relax it there. Core (trusted, no NAT): latch on the SDP host
  // with strict_source, otherwise accept any source and send to the SDP address.
  static Interface interface_for(const InterfaceConfig& iface, const MediaConfig& media, uint16_t port_id);

  // `interfaces` is indexed by control interface index (InterfaceConfig::index). `now_tsc` starts
  // a new flow's idle clock (rte_rdtsc when empty).
  RtpRelayBackend(relay::FlowTable& table, std::vector<Interface> interfaces, NextHops& next_hops,
                  ClockFn now_tsc = {});
  // Media rules through `offload` from now on (none: everything stays in software), at most
  // `inserts_per_poll` new rules per poll_offload() call. Set before the first install.
  void set_offload(hw::OffloadManager* offload, size_t inserts_per_poll = 8) noexcept {
    offload_ = offload;
    inserts_per_poll_ = inserts_per_poll;
  }

  // FlowBackend.
  Result<Handle, MediaError> install(const End& a, const End& b) override;
  Result<std::monostate, MediaError> update(Handle h, const End& a, const End& b) override;
  void remove(Handle h) override;
  Counters counters(Handle h) const override;
  size_t size() const override;

  // A neighbour answered: flows that waited for it get its MAC (their latch state is kept). When it
  // `moved` (answered or announced another MAC than it had: a router replaced, or another one
  // taking over its address), flows already sending to its old MAC follow at follow_moves().
  void neighbour_resolved(uint16_t iface, const IpAddr& hop, bool moved = false);
  // Control loop, every millisecond: flows whose next hop moved get its new MAC, on the NIC too.
  // A walk over the whole table, `follow_slice` handles a call: a large table's flows follow over
  // seconds, but no call stalls the loop for more than a slice, however often neighbours move (or
  // someone forges their answers). A move during a walk extends it by a whole table from there.
  // Returns the work done.
  unsigned follow_moves();
  void set_follow_slice(uint32_t handles) noexcept { follow_slice_ = handles; }
  static constexpr uint32_t kFollowSlice = 256;
  // Neighbours whose flows are being re-pointed (at most kMaxMovedPending at once; more are logged,
  // counted and left to their flows' next SDP change), and flows re-pointed so far.
  size_t moves_pending() const noexcept { return moved_.size(); }
  uint64_t moves_dropped() const noexcept { return moves_dropped_; }
  uint64_t flows_followed() const noexcept { return flows_followed_; }
  static constexpr size_t kMaxMovedPending = 64;
  // Flows installed with a side whose next hop is still unresolved.
  size_t awaiting_neighbours() const noexcept { return awaiting_.size(); }

  // Control loop, often (every millisecond): offloads directions whose peers became known (up to
  // `budget` waiting flows), and polls the NIC's counters of offloaded directions (up to `budget`
  // rules); `on_idle(handle)` for each whose media the NIC saw silent for `idle_after_ns`, as the
  // table's idle sweep reports software flows. Returns the work done.
  using IdleFn = std::function<void(Handle)>;
  unsigned poll_offload(uint64_t idle_after_ns, size_t budget, const IdleFn& on_idle);
  // Flows waiting for a peer, a MAC or a latch before their directions can go to the NIC.
  size_t offload_waiting() const noexcept { return waiting_.size(); }
  // Where direction `side` (packets received on that side) of `h` runs, for `sipedgectl flows`.
  struct DirectionPlacement {
    bool offloaded = false;
    bool pending = false;      // its rule queued on an async port, not in force yet
    uint64_t nic_packets = 0;  // what the NIC carried, past rules included
    uint64_t nic_bytes = 0;
    std::optional<hw::SoftwareReason> software_reason;  // why it stays in software, once decided
  };
  DirectionPlacement placement(Handle h, int side) const;

  static Handle handle_of(relay::FlowHandle h) noexcept {
    return (static_cast<Handle>(h.generation) << 32) | h.index;
  }
  static relay::FlowHandle flow_handle(Handle h) noexcept {
    return relay::FlowHandle{static_cast<uint32_t>(h), static_cast<uint32_t>(h >> 32)};
  }

 private:
  struct Spec {
    relay::FlowSpec flow;
    bool complete = true;  // every side's next-hop MAC is known
  };
  std::optional<Spec> spec(const End& a, const End& b);
  std::optional<relay::EndpointSpec> side(const End& e, bool& complete);
  // Offloads what of `h` can be (swapping live rules when `swap`), new rules only while
  // `*inserts_left` (when given) allows, counting them off; true when it must wait longer.
  bool place(Handle h, bool swap, size_t* inserts_left = nullptr);
  void wait_for_offload(Handle h);

  relay::FlowTable& table_;
  std::vector<Interface> interfaces_;
  NextHops& next_hops_;
  ClockFn now_tsc_;
  // Flows with an unresolved next hop, and the ends to rebuild their spec from.
  std::unordered_map<Handle, std::pair<End, End>> awaiting_;
  // Neighbours that moved, (interface, address), while the walk that re-points their flows runs:
  // from follow_cursor_ on, follow_left_ more handles.
  std::vector<std::pair<uint16_t, IpAddr>> moved_;
  uint32_t follow_slice_ = kFollowSlice;
  uint32_t follow_cursor_ = 0;
  uint32_t follow_left_ = 0;
  uint64_t walk_followed_ = 0;  // flows re-pointed by the walk running
  uint64_t moves_dropped_ = 0;
  uint64_t flows_followed_ = 0;

  hw::OffloadManager* offload_ = nullptr;
  size_t inserts_per_poll_ = 8;
  // Per flow handed to the offload: why each direction stays in software, once that is final until
  // the next SDP change (nullopt: offloaded, or still waiting).
  struct Placement {
    std::array<std::optional<hw::SoftwareReason>, 2> software;
  };
  std::unordered_map<Handle, Placement> placed_;
  std::deque<Handle> waiting_queue_;      // visited round robin by poll_offload
  std::unordered_set<Handle> waiting_;    // what the queue holds; a removed flow is skipped when met
};

}  // namespace sipedge::control
