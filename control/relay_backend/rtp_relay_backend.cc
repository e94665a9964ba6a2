// control/relay_backend/rtp_relay_backend.cc — control lcore only. FlowBackend -> rtp_relay FlowSpec
// translation; never touches a packet, never blocks (deletes are RCU-deferred by the table).
#include "control/relay_backend/rtp_relay_backend.h"

#include <rte_cycles.h>

namespace sipedge::control {

relay::IpAddress to_relay_address(const IpAddr& a) noexcept {
  relay::IpAddress r;
  if (a.is_v4()) {
    r.version = 4;
    for (int i = 0; i < 4; ++i) r.bytes[i] = a.bytes[i];
  } else if (a.is_v6()) {
    r.version = 6;
    r.bytes = a.bytes;
  }
  return r;
}

RtpRelayBackend::Interface RtpRelayBackend::interface_for(const InterfaceConfig& iface, const MediaConfig& media,
                                                          uint16_t port_id) {
  Interface i;
  i.configured = true;
  i.port_id = port_id;
  i.subnet = iface.subnet;
  if (iface.role == InterfaceRole::Access) {
    i.latch = relay::LatchMode::Latch;
    i.latch_any_host = true;
  } else {
    i.latch = media.strict_source ? relay::LatchMode::Latch : relay::LatchMode::Off;
  }
  return i;
}

RtpRelayBackend::RtpRelayBackend(relay::FlowTable& table, std::vector<Interface> interfaces, NeighbourFn neighbours,
                                 ClockFn now_tsc)
    : table_(table),
      interfaces_(std::move(interfaces)),
      neighbours_(std::move(neighbours)),
      now_tsc_(now_tsc ? std::move(now_tsc) : ClockFn([] { return rte_rdtsc(); })) {}

std::optional<relay::EndpointSpec> RtpRelayBackend::side(const End& e) {
  if (e.iface >= interfaces_.size() || !interfaces_[e.iface].configured) return std::nullopt;
  const Interface& i = interfaces_[e.iface];
  auto macs = neighbours_(e.iface, e.remote);
  if (!macs) return std::nullopt;
  relay::EndpointSpec s;
  s.port_id = i.port_id;
  s.local_addr = to_relay_address(e.local);
  s.local_port = e.local_port;
  const bool unreachable = e.remote.is_private() && !i.subnet.contains(e.remote);
  const bool any_host = i.latch_any_host && i.latch == relay::LatchMode::Latch && unreachable;
  s.remote_addr = any_host ? relay::IpAddress{} : to_relay_address(e.remote);
  s.remote_port = e.remote_port;
  s.latch = i.latch;
  // The table refuses Strict without a known peer; latching is the closest that it accepts.
  if (s.latch == relay::LatchMode::Strict && (s.remote_addr.is_unspecified() || s.remote_port == 0)) {
    s.latch = relay::LatchMode::Latch;
  }
  s.local_mac = macs->local;
  s.next_hop_mac = macs->next_hop;
  return s;
}

std::optional<relay::FlowSpec> RtpRelayBackend::spec(const End& a, const End& b) {
  auto sa = side(a);
  if (!sa) return std::nullopt;
  auto sb = side(b);
  if (!sb) return std::nullopt;
  relay::FlowSpec s;
  s.side[0] = *sa;
  s.side[1] = *sb;
  return s;
}

std::optional<FlowBackend::Handle> RtpRelayBackend::install(const End& a, const End& b) {
  last_error_.reset();
  auto s = spec(a, b);
  if (!s) return std::nullopt;
  auto h = table_.add_flow(*s, now_tsc_());
  if (!h.ok()) {
    last_error_ = h.error();
    return std::nullopt;
  }
  return handle_of(*h);
}

bool RtpRelayBackend::update(Handle h, const End& a, const End& b) {
  last_error_.reset();
  auto s = spec(a, b);
  if (!s) return false;
  auto r = table_.update_flow(flow_handle(h), *s, now_tsc_());
  if (!r.ok()) {
    last_error_ = r.error();
    return false;
  }
  return true;
}

void RtpRelayBackend::remove(Handle h) {
  // NoSuchFlow (already gone) needs nothing more.
  (void)table_.delete_flow(flow_handle(h));
}

FlowBackend::Counters RtpRelayBackend::counters(Handle h) const {
  Counters c;
  auto st = table_.flow_stats(flow_handle(h));
  if (!st) return c;
  for (int d = 0; d < 2; ++d) {
    c.packets[d] = st->side[d].packets;
    c.bytes[d] = st->side[d].bytes;
  }
  return c;
}

size_t RtpRelayBackend::size() const { return table_.size(); }

}  // namespace sipedge::control
