// apps/gateway/dataplane_transport.h — control lcore. The control plane's SipTransport over the
// dataplane: each datagram is copied once into an mbuf chain and handed to ControlIo, which adds
// Ethernet/IP/UDP, resolves the next hop, fragments and queues it on the control TX queue.
#pragma once

#include <cstdint>
#include <vector>

#include "common/net_address.h"
#include "control/sip_io.h"
#include "dataplane/control_io.h"

namespace sipedge::apps {

class DataplaneTransport final : public control::SipTransport {
 public:
  // `sip_ports[i]`: the source port for datagrams sent from interface i.
  DataplaneTransport(dataplane::ControlIo& io, std::vector<uint16_t> sip_ports) : io_(io), sip_ports_(std::move(sip_ports)) {}


 private:
  bool transmit(uint16_t iface, const Endpoint& dest, std::string_view bytes) override;

  dataplane::ControlIo& io_;
  std::vector<uint16_t> sip_ports_;
};

}  // namespace sipedge::apps
