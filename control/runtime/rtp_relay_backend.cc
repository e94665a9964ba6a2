// control/runtime/rtp_relay_backend.cc — control lcore only. FlowBackend -> rtp_relay FlowSpec
// translation; never touches a packet, never blocks (deletes are RCU-deferred by the table).
#include "control/runtime/rtp_relay_backend.h"

#include <rte_cycles.h>

#include <algorithm>

namespace sipedge::control {
namespace {

MediaError media_error(relay::FlowError e) {
  return e == relay::FlowError::TableFull ? MediaError::RelayFull : MediaError::RelayRefused;
}

}  // namespace

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

RtpRelayBackend::RtpRelayBackend(relay::FlowTable& table, std::vector<Interface> interfaces, NextHops& next_hops,
                                 ClockFn now_tsc)
    : table_(table),
      interfaces_(std::move(interfaces)),
      next_hops_(next_hops),
      now_tsc_(now_tsc ? std::move(now_tsc) : ClockFn([] { return rte_rdtsc(); })) {}

std::optional<relay::EndpointSpec> RtpRelayBackend::side(const End& e, bool& complete) {
  if (e.iface >= interfaces_.size() || !interfaces_[e.iface].configured) return std::nullopt;
  const Interface& i = interfaces_[e.iface];
  relay::EndpointSpec s;
  s.port_id = i.port_id;
  s.local_addr = e.local;
  s.local_port = e.local_port;
  const bool unreachable = e.remote.is_private() && !i.subnet.contains(e.remote);
  const bool any_host = i.latch_any_host && i.latch == relay::LatchMode::Latch && unreachable;
  s.remote_addr = any_host ? IpAddr{} : e.remote;
  s.remote_port = e.remote_port;
  s.latch = i.latch;
  // The table refuses Strict without a known peer; latching is the closest that it accepts.
  if (s.latch == relay::LatchMode::Strict && (relay::any_host(s.remote_addr) || s.remote_port == 0)) {
    s.latch = relay::LatchMode::Latch;
  }
  s.local_mac = next_hops_.interface_mac(e.iface);
  if (auto mac = next_hops_.next_hop_mac(e.iface, e.remote)) {
    s.next_hop_mac = *mac;
  } else {
    complete = false;  // zero MAC until the neighbour answers
  }
  return s;
}

std::optional<RtpRelayBackend::Spec> RtpRelayBackend::spec(const End& a, const End& b) {
  Spec s;
  auto sa = side(a, s.complete);
  if (!sa) return std::nullopt;
  auto sb = side(b, s.complete);
  if (!sb) return std::nullopt;
  s.flow.side[0] = *sa;
  s.flow.side[1] = *sb;
  return s;
}

Result<FlowBackend::Handle, MediaError> RtpRelayBackend::install(const End& a, const End& b) {
  auto s = spec(a, b);
  if (!s) return Err(MediaError::RelayRefused);
  auto h = table_.add_flow(s->flow, now_tsc_());
  if (!h.ok()) return Err(media_error(h.error()));
  const Handle handle = handle_of(*h);
  if (!s->complete) awaiting_[handle] = {a, b};
  return handle;
}

Result<std::monostate, MediaError> RtpRelayBackend::update(Handle h, const End& a, const End& b) {
  auto s = spec(a, b);
  if (!s) return Err(MediaError::RelayRefused);
  auto r = table_.update_flow(flow_handle(h), s->flow, now_tsc_());
  if (!r.ok()) return Err(media_error(r.error()));
  if (s->complete)
    awaiting_.erase(h);
  else
    awaiting_[h] = {a, b};
  return std::monostate{};
}

void RtpRelayBackend::remove(Handle h) {
  awaiting_.erase(h);
  // NoSuchFlow (already gone) needs nothing more.
  (void)table_.delete_flow(flow_handle(h));
}

void RtpRelayBackend::neighbour_resolved(uint16_t iface, const IpAddr& hop) {
  std::vector<Handle> ready;
  for (const auto& [h, ends] : awaiting_) {
    for (const End* e : {&ends.first, &ends.second}) {
      if (e->iface == iface && next_hops_.next_hop(iface, e->remote) == hop) ready.push_back(h);
    }
  }
  for (Handle h : ready) {
    auto it = awaiting_.find(h);
    if (it == awaiting_.end()) continue;
    const auto [a, b] = it->second;
    (void)update(h, a, b);
  }
}

FlowBackend::Counters RtpRelayBackend::counters(Handle h) const {
  Counters c;
  auto st = table_.flow_stats(flow_handle(h));
  if (!st) return c;
  const uint64_t now = now_tsc_();
  const uint64_t tsc_per_ms = std::max<uint64_t>(rte_get_tsc_hz() / 1000, 1);
  for (int d = 0; d < 2; ++d) {
    c.packets[d] = st->side[d].packets;
    c.bytes[d] = st->side[d].bytes;
    const uint64_t seen = st->side[d].last_seen_tsc;
    c.silent_ms[d] = now > seen ? (now - seen) / tsc_per_ms : 0;
  }
  return c;
}

size_t RtpRelayBackend::size() const { return table_.size(); }

}  // namespace sipedge::control
