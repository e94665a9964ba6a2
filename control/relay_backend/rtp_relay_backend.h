// control/relay_backend/rtp_relay_backend.h — control lcore only (the flow table's single writer).
// MediaManager's FlowBackend over rtp_relay::FlowTable: maps control interfaces to DPDK ports, picks
// the latching policy per interface and asks the dataplane for the MACs. DESIGN §3 Media.
//
// What the dataplane must provide: for every interface, its DPDK port id, and a neighbour callback
// answering (interface, peer address) with the port's own MAC and the next hop's MAC towards that
// peer (the gateway's for off-link peers; the peer address may be unset while a peer is unknown or
// on hold, then the gateway's). A callback that cannot answer yet (neighbour unresolved) makes the
// install fail, which MediaManager reports as RelayFull. MACs are read at install and update only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <rte_ether.h>

#include "control/config.h"
#include "control/media/media_manager.h"
#include "rtp_relay/flow_table.h"

namespace sipedge::control {

struct MacPair {
  rte_ether_addr local{};     // source MAC of frames sent out of the interface
  rte_ether_addr next_hop{};  // destination MAC towards the peer
};

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
  using NeighbourFn = std::function<std::optional<MacPair>(uint16_t iface, const IpAddr& remote)>;
  using ClockFn = std::function<uint64_t()>;

  // The policy an interface gets from the config. Access (phones behind NAT): latch on any host,
  // strict afterwards — rtp_relay has no latch that keeps accepting other sources, so
  // strict_source = false cannot relax it there. Core (trusted, no NAT): latch on the SDP host
  // with strict_source, otherwise accept any source and send to the SDP address.
  static Interface interface_for(const InterfaceConfig& iface, const MediaConfig& media, uint16_t port_id);

  // `interfaces` is indexed by control interface index (InterfaceConfig::index). `now_tsc` starts
  // a new flow's idle clock (rte_rdtsc when empty).
  RtpRelayBackend(relay::FlowTable& table, std::vector<Interface> interfaces, NeighbourFn neighbours,
                  ClockFn now_tsc = {});

  // FlowBackend. install: nullopt when an interface is not configured, the neighbour callback has
  // no answer, or the table refuses (last_error() says which table error). update: false likewise.
  std::optional<Handle> install(const End& a, const End& b) override;
  bool update(Handle h, const End& a, const End& b) override;
  void remove(Handle h) override;
  Counters counters(Handle h) const override;
  size_t size() const override;

  // Why the last failed install/update failed in the table; nullopt when it never reached it.
  std::optional<relay::FlowError> last_error() const noexcept { return last_error_; }

  static Handle handle_of(relay::FlowHandle h) noexcept {
    return (static_cast<Handle>(h.generation) << 32) | h.index;
  }
  static relay::FlowHandle flow_handle(Handle h) noexcept {
    return relay::FlowHandle{static_cast<uint32_t>(h), static_cast<uint32_t>(h >> 32)};
  }

 private:
  std::optional<relay::FlowSpec> spec(const End& a, const End& b);
  std::optional<relay::EndpointSpec> side(const End& e);

  relay::FlowTable& table_;
  std::vector<Interface> interfaces_;
  NeighbourFn neighbours_;
  ClockFn now_tsc_;
  std::optional<relay::FlowError> last_error_;
};

// Control's address form to the relay's (None becomes "unset": any host).
relay::IpAddress to_relay_address(const IpAddr& a) noexcept;

}  // namespace sipedge::control
