// control/runtime/rtp_relay_backend.cc — control lcore only. FlowBackend -> rtp_relay FlowSpec
// translation; never touches a packet, never blocks (deletes are RCU-deferred by the table).
#include "control/runtime/rtp_relay_backend.h"

#include <rte_cycles.h>

#include <algorithm>

#include "control/api/logging.h"

namespace sipedge::control {
namespace {

MediaError media_error(relay::FlowError e) {
  return e == relay::FlowError::TableFull ? MediaError::RelayFull : MediaError::RelayRefused;
}

std::optional<Endpoint> latched_peer(const relay::SideStats& st) {
  if (!st.latched) return std::nullopt;
  return Endpoint{st.latched_addr, st.latched_port};
}
std::optional<Endpoint> sdp_peer(const relay::EndpointSpec& s) {
  if (relay::any_host(s.remote_addr) || s.remote_port == 0) return std::nullopt;
  return Endpoint{s.remote_addr, s.remote_port};
}
// The only source a rule for packets received on side d may accept: the latched peer on a latching
// side (the rule's exact match is then the strict-source check), the SDP peer elsewhere. None while
// the side learns its peer again, when the software relay still takes the old one too.
std::optional<Endpoint> ingress_peer(const relay::FlowInfo& f, int d) {
  const relay::SideStats& st = f.stats.side[static_cast<size_t>(d)];
  const relay::EndpointSpec& s = f.spec.side[static_cast<size_t>(d)];
  if (st.relearning) return std::nullopt;
  if (s.latch == relay::LatchMode::Latch) return latched_peer(st);
  if (auto p = latched_peer(st)) return p;
  return sdp_peer(s);
}
// Where the relay sends towards side e's peer: where it latched, else its SDP address.
std::optional<Endpoint> egress_peer(const relay::FlowInfo& f, int e) {
  const relay::SideStats& st = f.stats.side[static_cast<size_t>(e)];
  if (st.relearning) return std::nullopt;
  if (auto p = latched_peer(st)) return p;
  return sdp_peer(f.spec.side[static_cast<size_t>(e)]);
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
  // To the NIC from the control loop's paced queue, never here: a burst of call setups must not
  // turn into a burst of rule inserts on the signalling path.
  if (offload_) wait_for_offload(handle);
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
  // The table has the new spec: live rules are swapped to it now (the new rule in before the old
  // one goes), or handed back to software where a peer must be learned again.
  if (offload_ && place(h, true)) wait_for_offload(h);
  return std::monostate{};
}

bool RtpRelayBackend::place(Handle h, bool swap, size_t* inserts_left) {
  const relay::FlowHandle fh = flow_handle(h);
  auto info = table_.flow_info(fh);
  if (!info) return false;
  Placement& p = placed_[h];
  bool wait = false;
  for (int d = 0; d < 2; ++d) {
    auto& software = p.software[static_cast<size_t>(d)];
    if (software && !swap) continue;
    software.reset();
    const int e = 1 - d;
    const relay::EndpointSpec& out = info->spec.side[static_cast<size_t>(e)];
    const auto from = ingress_peer(*info, d);
    const auto to = egress_peer(*info, e);
    if (!from || !to || rte_is_zero_ether_addr(&out.next_hop_mac)) {
      offload_->withdraw(fh, d);
      wait = true;
      continue;
    }
    // Paced: a direction not on the NIC yet waits for an insert to spare, and for room in an async
    // port's queue.
    const bool live = offload_->offloaded(fh, d) || offload_->pending(fh, d);
    if (!live && ((inserts_left != nullptr && *inserts_left == 0) || !offload_->can_insert(info->spec.side[static_cast<size_t>(d)].port_id))) {
      wait = true;
      continue;
    }
    const uint64_t submitted = offload_->stats().submitted;
    if (auto why = offload_->offload(fh, d, info->spec, *from, *to)) {
      software = *why;
      // Running out is an operator's concern, once; each case is there at debug.
      const bool first = (*why == hw::SoftwareReason::Refused || *why == hw::SoftwareReason::RulesExhausted) &&
                         offload_->stats().software[static_cast<size_t>(*why)] == 1;
      logs::of(logs::Component::Hw)
          .log(first ? spdlog::level::warn : spdlog::level::debug, "sipedge: media direction kept in software: {}{}{}",
               hw::software_reason_name(*why), *why == hw::SoftwareReason::Refused ? ": " : "",
               *why == hw::SoftwareReason::Refused ? offload_->last_refusal() : "");
      continue;
    }
    if (inserts_left != nullptr && offload_->stats().submitted != submitted && *inserts_left > 0) --*inserts_left;
    // Sent to the SDP address until that peer latches, maybe from elsewhere (NAT): swapped then.
    if (out.latch == relay::LatchMode::Latch && !info->stats.side[static_cast<size_t>(e)].latched) wait = true;
  }
  return wait;
}

void RtpRelayBackend::wait_for_offload(Handle h) {
  if (waiting_.insert(h).second) waiting_queue_.push_back(h);
}

unsigned RtpRelayBackend::poll_offload(uint64_t idle_after_ns, size_t budget, const IdleFn& on_idle) {
  if (!offload_) return 0;
  unsigned work = 0;
  // Inserts are paced: what is left waits for the next call, relayed by the workers meanwhile.
  size_t inserts_left = inserts_per_poll_;
  for (size_t n = std::min(budget, waiting_queue_.size()); n > 0 && inserts_left > 0; --n) {
    const Handle h = waiting_queue_.front();
    waiting_queue_.pop_front();
    if (!waiting_.contains(h)) continue;
    ++work;
    if (place(h, false, &inserts_left))
      waiting_queue_.push_back(h);
    else
      waiting_.erase(h);
  }
  work += static_cast<unsigned>(offload_->poll_activity(
      idle_after_ns, budget, [&on_idle](relay::FlowHandle fh, int) { on_idle(handle_of(fh)); }));
  return work;
}

RtpRelayBackend::DirectionPlacement RtpRelayBackend::placement(Handle h, int side) const {
  DirectionPlacement out;
  if (!offload_) return out;
  const hw::OffloadManager::Carried c = offload_->carried(flow_handle(h), side);
  out.offloaded = c.offloaded;
  out.pending = offload_->pending(flow_handle(h), side);
  out.nic_packets = c.packets;
  out.nic_bytes = c.bytes;
  if (auto it = placed_.find(h); it != placed_.end()) out.software_reason = it->second.software[static_cast<size_t>(side)];
  return out;
}

void RtpRelayBackend::remove(Handle h) {
  awaiting_.erase(h);
  if (offload_) {
    offload_->remove(flow_handle(h));
    placed_.erase(h);
    waiting_.erase(h);
  }
  // NoSuchFlow (already gone) needs nothing more.
  (void)table_.delete_flow(flow_handle(h));
}

void RtpRelayBackend::neighbour_resolved(uint16_t iface, const IpAddr& hop, bool moved) {
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
  if (!moved) return;
  const std::pair<uint16_t, IpAddr> key{iface, hop};
  if (std::find(moved_.begin(), moved_.end(), key) == moved_.end()) {
    if (moved_.size() >= kMaxMovedPending) {
      if (moves_dropped_++ == 0)
        logs::of(logs::Component::Main)
            .warn("sipedge: more than {} neighbours moved at once; flows towards the others keep their MAC",
                  kMaxMovedPending);
      return;
    }
    moved_.push_back(key);
    char mac[RTE_ETHER_ADDR_FMT_SIZE] = "?";
    if (auto now = next_hops_.next_hop_mac(iface, hop)) rte_ether_format_addr(mac, sizeof(mac), &*now);
    logs::of(logs::Component::Main).info("sipedge: neighbour {} on interface {} moved to {}", hop.to_string(), iface, mac);
  }
  // The walk goes on from where it is, over the whole table again.
  follow_left_ = table_.handle_count();
}

unsigned RtpRelayBackend::follow_moves() {
  if (follow_left_ == 0) return 0;
  // Each moved neighbour's MAC now, and the port it sits behind.
  struct Moved {
    uint16_t iface;
    uint16_t port_id;
    IpAddr hop;
    rte_ether_addr mac;
  };
  std::vector<Moved> moved;
  for (const auto& [iface, hop] : moved_) {
    if (iface >= interfaces_.size() || !interfaces_[iface].configured) continue;
    if (auto mac = next_hops_.next_hop_mac(iface, hop)) moved.push_back({iface, interfaces_[iface].port_id, hop, *mac});
  }
  // Which flows of this slice send through one of them to another MAC: a side's next hop is worked
  // out as when the flow was installed (from its SDP address, the gateway's for any host).
  const uint32_t handles = table_.handle_count();
  if (follow_cursor_ >= handles) follow_cursor_ = 0;
  const uint32_t slice = std::min({follow_slice_, follow_left_, handles - follow_cursor_});
  std::vector<std::pair<relay::FlowHandle, relay::FlowSpec>> stale;
  table_.for_each_in(follow_cursor_, slice, [&](const relay::FlowInfo& f) {
    if (awaiting_.contains(handle_of(f.handle))) return;  // patched when its own neighbour answers
    relay::FlowSpec spec = f.spec;
    bool changed = false;
    for (relay::EndpointSpec& side : spec.side) {
      for (const Moved& m : moved) {
        if (side.port_id != m.port_id || rte_is_same_ether_addr(&side.next_hop_mac, &m.mac)) continue;
        if (next_hops_.next_hop(m.iface, side.remote_addr) != m.hop) continue;
        side.next_hop_mac = m.mac;
        changed = true;
      }
    }
    if (changed) stale.emplace_back(f.handle, spec);
  });
  uint32_t visited = slice;
  for (const auto& [fh, spec] : stale) {
    auto updated = table_.update_flow(fh, spec, now_tsc_());
    if (!updated.ok() && updated.error() == relay::FlowError::TableFull) {
      // Each update is a copy: the retired copies come back once every worker has passed a
      // quiescent state. This flow and the rest of the slice wait for the next call.
      visited = fh.index - follow_cursor_;
      break;
    }
    if (!updated.ok()) continue;
    ++walk_followed_;
    ++flows_followed_;
    // Rules on the NIC carry the old MAC too: swapped like any other change of the spec.
    if (offload_ && place(handle_of(fh), true)) wait_for_offload(handle_of(fh));
  }
  follow_cursor_ += visited;
  follow_left_ -= visited;
  if (follow_left_ == 0) {
    logs::of(logs::Component::Main).info("sipedge: {} media flows followed {} moved neighbours", walk_followed_, moved_.size());
    walk_followed_ = 0;
    moved_.clear();
  }
  return visited + static_cast<unsigned>(stale.size());
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
    if (!offload_) continue;
    // What the NIC carried adds to what the workers did; the direction is as silent as the
    // quieter of the two paths.
    if (auto nic_silent = offload_->silent_ns(flow_handle(h), d)) {
      const hw::OffloadManager::Carried nic = offload_->carried(flow_handle(h), d);
      c.packets[d] += nic.packets;
      c.bytes[d] += nic.bytes;
      c.silent_ms[d] = std::min(c.silent_ms[d], *nic_silent / 1000000);
    }
  }
  return c;
}

size_t RtpRelayBackend::size() const { return table_.size(); }

}  // namespace sipedge::control
