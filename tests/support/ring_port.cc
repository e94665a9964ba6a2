// tests/support/ring_port.cc — test support, startup/test thread. net_ring ports over rings we own,
// so both ends are reachable in-process (a --vdev=net_ring loops TX back into RX, useless for frame
// tests).
#include "tests/support/ring_port.h"

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <stdexcept>

namespace sipedge::test {

RingPort create_ring_port(const std::string& name, unsigned n_rx, unsigned n_tx) {
  RingPort p;
  p.name = name;
  auto make = [&](const char* dir, unsigned i) {
    std::string rname = name + "_" + dir + std::to_string(i);
    rte_ring* r = rte_ring_create(rname.c_str(), 1024, static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (r == nullptr) {
      throw std::runtime_error("rte_ring_create " + rname + " failed");
    }
    return r;
  };
  for (unsigned i = 0; i < n_rx; ++i) {
    p.rx.push_back(make("rx", i));
  }
  for (unsigned i = 0; i < n_tx; ++i) {
    p.tx.push_back(make("tx", i));
  }
  int id = rte_eth_from_rings(name.c_str(), p.rx.data(), n_rx, p.tx.data(), n_tx, rte_socket_id());
  if (id < 0) {
    throw std::runtime_error("rte_eth_from_rings " + name + " failed");
  }
  p.port_id = static_cast<uint16_t>(id);
  // The PMD names the ethdev itself ("net_ring_<name>"); keep that name for PortConfig::device.
  char ethdev_name[RTE_ETH_NAME_MAX_LEN] = {};
  rte_eth_dev_get_name_by_port(p.port_id, ethdev_name);
  p.name = ethdev_name;
  return p;
}

void destroy_ring_port(RingPort& port) noexcept {
  rte_eth_dev_stop(port.port_id);
  rte_eth_dev_close(port.port_id);
  auto drain = [](rte_ring* r) {
    void* obj = nullptr;
    while (rte_ring_dequeue(r, &obj) == 0) {
      rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
    }
    rte_ring_free(r);
  };
  for (rte_ring* r : port.rx) {
    drain(r);
  }
  for (rte_ring* r : port.tx) {
    drain(r);
  }
  port.rx.clear();
  port.tx.clear();
}

}  // namespace sipedge::test
