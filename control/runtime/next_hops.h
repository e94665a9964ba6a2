// control/runtime/next_hops.h — control lcore only. Where frames towards a peer go: the narrow view
// of neighbour resolution the relay backend needs (ControlIo provides it; tests fake it).
#pragma once

#include <rte_ether.h>

#include <cstdint>
#include <optional>

#include "common/net_address.h"

namespace sipedge::control {

class NextHops {
 public:
  virtual ~NextHops() = default;
  // The source MAC of frames leaving `iface`.
  virtual rte_ether_addr interface_mac(uint16_t iface) const = 0;
  // The next hop towards `remote` from `iface` (the peer itself on-link, else the gateway; `remote`
  // may be unset), or nullopt when there is none.
  virtual std::optional<IpAddr> next_hop(uint16_t iface, const IpAddr& remote) const = 0;
  // Its MAC, or nullopt while unresolved (the call starts resolution).
  virtual std::optional<rte_ether_addr> next_hop_mac(uint16_t iface, const IpAddr& remote) = 0;
};

}  // namespace sipedge::control
