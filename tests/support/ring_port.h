// tests/support/ring_port.h — test support, startup/test thread. An in-process ethdev over rte_rings (net_ring PMD):
// tests and benchmarks push frames into what the port receives and pull what it transmits, with no
// kernel and no root (DESIGN §6). The dataplane opens it by name like any other port.
#pragma once

#include <rte_ring.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sipedge::test {

struct RingPort {
  std::string name;  // the ethdev name, for PortConfig::device
  uint16_t port_id = 0;
  std::vector<rte_ring*> rx;  // enqueue here = the port receives (one ring per RX queue)
  std::vector<rte_ring*> tx;  // dequeue here = what the port sent (one ring per TX queue)
};

// Creates ethdev `name` with n_rx RX and n_tx TX queues. Throws std::runtime_error on failure.
RingPort create_ring_port(const std::string& name, unsigned n_rx, unsigned n_tx);

// Closes the ethdev (stop it first) and frees its rings and any mbufs left in them.
void destroy_ring_port(RingPort& port) noexcept;

}  // namespace sipedge::test
