// control/runtime/rtp_relay_backend.h — control lcore only (the flow table's single writer).
// MediaManager's FlowBackend over rtp_relay::FlowTable: maps control interfaces to DPDK ports, picks
// the latching policy per interface and puts the MACs into each flow. DESIGN §3 Media.
//
// MACs come from NextHops (ControlIo in the gateway): the interface's own, and the next hop's
// towards the peer (the gateway's for off-link peers). A next hop not resolved yet does not fail
// the call: the flow is installed at once (frames towards that peer carry a zero destination MAC
// and go nowhere), resolution runs, and neighbour_resolved() patches the flow when the answer
// comes. Errors reach MediaManager as values: RelayFull when the table has no room, RelayRefused
// for anything else it refuses.
#pragma once

#include <rte_ether.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "control/config.h"
#include "control/media/media_manager.h"
#include "control/runtime/next_hops.h"
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

  // FlowBackend.
  Result<Handle, MediaError> install(const End& a, const End& b) override;
  Result<std::monostate, MediaError> update(Handle h, const End& a, const End& b) override;
  void remove(Handle h) override;
  Counters counters(Handle h) const override;
  size_t size() const override;

  // A neighbour answered: flows that waited for it get its MAC (their latch state is kept).
  void neighbour_resolved(uint16_t iface, const IpAddr& hop);
  // Flows installed with a side whose next hop is still unresolved.
  size_t awaiting_neighbours() const noexcept { return awaiting_.size(); }

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

  relay::FlowTable& table_;
  std::vector<Interface> interfaces_;
  NextHops& next_hops_;
  ClockFn now_tsc_;
  // Flows with an unresolved next hop, and the ends to rebuild their spec from.
  std::unordered_map<Handle, std::pair<End, End>> awaiting_;
};

}  // namespace sipedge::control
