// apps/gateway/dataplane_transport.cc — control lcore. See dataplane_transport.h.
#include "apps/gateway/dataplane_transport.h"

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <cstring>

namespace sipedge::apps {

bool DataplaneTransport::transmit(uint16_t iface, const Endpoint& dest, std::string_view bytes) {
  // A chain of mbufs, each filled to its tailroom: SIP messages above one mbuf (large INVITEs)
  // become multi-segment payloads that ControlIo fragments at the MTU.
  rte_mbuf* head = nullptr;
  size_t at = 0;
  while (at < bytes.size() || head == nullptr) {
    rte_mbuf* m = io_.alloc_payload();
    if (!m) {
      if (head) rte_pktmbuf_free(head);
      return false;
    }
    const size_t room = rte_pktmbuf_tailroom(m);
    const size_t n = std::min(room, bytes.size() - at);
    char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(n));
    if (n) std::memcpy(p, bytes.data() + at, n);
    at += n;
    if (!head) {
      head = m;
    } else if (rte_pktmbuf_chain(head, m) != 0) {
      rte_pktmbuf_free(m);
      rte_pktmbuf_free(head);
      return false;
    }
    if (bytes.empty()) break;
  }
  dataplane::OutgoingDatagram d;
  d.payload = head;
  d.dst = dest.ip;
  d.dst_port = dest.port;
  d.src_port = iface < sip_ports_.size() ? sip_ports_[iface] : 5060;
  d.iface = iface;
  const dataplane::SendResult r = io_.send_udp(d, rte_rdtsc());
  return r != dataplane::SendResult::Dropped;
}

}  // namespace sipedge::apps
