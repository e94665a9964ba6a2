// hw/offload_manager.cc — control lcore. See offload_manager.h.
#include "hw/offload_manager.h"

#include <algorithm>
#include <cmath>

namespace sipedge::hw {
namespace {

constexpr size_t kLatencyWindow = 4096;
// Aged rules fetched per port per poll.
constexpr uint32_t kAgedBurst = 64;

bool same_rule(const DirectionRule& a, const DirectionRule& b) noexcept {
  return a.in_port == b.in_port && a.out_port == b.out_port && a.in_vlan == b.in_vlan && a.out_vlan == b.out_vlan &&
         a.from == b.from && a.to == b.to && a.new_src == b.new_src && a.new_dst == b.new_dst &&
         rte_is_same_ether_addr(&a.src_mac, &b.src_mac) && rte_is_same_ether_addr(&a.dst_mac, &b.dst_mac) &&
         a.counter_id == b.counter_id && a.idle_s == b.idle_s;
}

}  // namespace

std::optional<std::string> required_offload_missing(OffloadMode mode, const std::vector<PortOffload>& probed) {
  if (mode != OffloadMode::Required) return std::nullopt;
  std::string why;
  for (const PortOffload& p : probed) {
    if (p.media) return std::nullopt;
    why += (why.empty() ? "" : "; ") + describe(p);
  }
  return "[hw] offload = \"required\", but no port takes media rules: " + (why.empty() ? std::string("no port") : why);
}

const char* software_reason_name(SoftwareReason r) noexcept {
  switch (r) {
    case SoftwareReason::Disabled: return "disabled";
    case SoftwareReason::PortCannot: return "port_cannot";
    case SoftwareReason::NotOffloadable: return "not_offloadable";
    case SoftwareReason::RulesExhausted: return "rules_exhausted";
    case SoftwareReason::Refused: return "refused";
    case SoftwareReason::kCount: break;
  }
  return "?";
}

OffloadManager::OffloadManager(FlowOps& ops, Config config, std::vector<Port> ports, std::function<uint64_t()> now_ns)
    : ops_(ops), config_(config), ports_(std::move(ports)), now_ns_(std::move(now_ns)) {
  latency_ns_.reserve(kLatencyWindow);
}

OffloadManager::~OffloadManager() {
  std::string why;
  for (auto& [key, e] : entries_)
    if (e.rule != nullptr) ops_.destroy(e.direction.in_port, e.rule, why);
}

const OffloadManager::Port* OffloadManager::port(uint16_t port_id) const {
  for (const Port& p : ports_)
    if (p.port_id == port_id) return &p;
  return nullptr;
}

std::optional<SoftwareReason> OffloadManager::software(SoftwareReason r) {
  ++stats_.software[static_cast<size_t>(r)];
  return r;
}

rte_flow* OffloadManager::install(const DirectionRule& r, const RuleVariant& v) {
  CompiledRule compiled;
  compile(r, v, compiled);
  const uint64_t start = now_ns_();
  rte_flow* rule = ops_.create(r.in_port, compiled.attr(), compiled.pattern().data(), compiled.actions().data(), last_refusal_);
  const uint64_t took = now_ns_() - start;
  if (rule == nullptr) return nullptr;
  if (latency_ns_.size() < kLatencyWindow)
    latency_ns_.push_back(took);
  else
    latency_ns_[latency_next_] = took;
  latency_next_ = (latency_next_ + 1) % kLatencyWindow;
  ++stats_.installed;
  return rule;
}

void OffloadManager::retire(Entry& e) {
  uint64_t packets = 0, bytes = 0;
  std::string why;
  if (ops_.query_count(e.direction.in_port, e.rule, packets, bytes, why) == 0) {
    e.base_packets += packets;
    e.base_bytes += bytes;
  }
  ops_.destroy(e.direction.in_port, e.rule, why);
  by_rule_.erase(e.rule);
  e.rule = nullptr;
  --active_;
  ++stats_.removed;
}

std::optional<SoftwareReason> OffloadManager::offload(relay::FlowHandle handle, int side, const relay::FlowSpec& spec,
                                                      const Endpoint& ingress_peer, const Endpoint& egress_peer) {
  const Key key{handle.index, handle.generation, side};
  auto existing = entries_.find(key);
  const bool live = existing != entries_.end() && existing->second.rule != nullptr;
  // Back to software: the old rule goes, what it carried stays counted.
  auto to_software = [&](SoftwareReason r) {
    if (live) retire(existing->second);
    return software(r);
  };
  if (config_.mode == OffloadMode::Off) return to_software(SoftwareReason::Disabled);
  const relay::EndpointSpec& in = spec.side[static_cast<size_t>(side)];
  const relay::EndpointSpec& out = spec.side[static_cast<size_t>(1 - side)];
  const Port* in_port = port(in.port_id);
  const Port* out_port = port(out.port_id);
  if (!in_port || !in_port->media) return to_software(SoftwareReason::PortCannot);
  auto direction = direction_rule(spec, side, ingress_peer, egress_peer, in_port->vlan, out_port ? out_port->vlan : 0,
                                  handle.index * 2 + static_cast<uint32_t>(side), config_.idle_s);
  if (!direction) return to_software(SoftwareReason::NotOffloadable);
  // A re-INVITE that changed nothing this rule depends on (codecs, direction attributes) keeps it.
  if (live && same_rule(existing->second.direction, *direction)) return std::nullopt;
  if (!live && active_ >= config_.max_rules) return software(SoftwareReason::RulesExhausted);

  rte_flow* rule = install(*direction, *in_port->media);
  if (rule == nullptr) return to_software(SoftwareReason::Refused);
  ++active_;
  if (live) {
    // Make before break: the new rule is in before the old one goes.
    retire(existing->second);
    ++stats_.swaps;
  }
  Entry& e = existing != entries_.end() ? existing->second : entries_[key];
  e.direction = *direction;
  track(key, e, rule, *in_port->media);
  return std::nullopt;
}

void OffloadManager::track(const Key& key, Entry& e, rte_flow* rule, const RuleVariant& v) {
  e.rule = rule;
  by_rule_[rule] = key;
  // Offloaded right after the peer latched on a packet: the direction is active now, and its new
  // rule has counted nothing yet.
  e.seen_packets = e.base_packets;
  e.active_ns = now_ns_();
  e.idle_reported = false;
  e.age_events = v.aging == AgingKind::Age;
}

void OffloadManager::withdraw(relay::FlowHandle handle, int side) {
  auto it = entries_.find(Key{handle.index, handle.generation, side});
  if (it != entries_.end() && it->second.rule != nullptr) retire(it->second);
}

bool OffloadManager::offloaded(relay::FlowHandle handle, int side) const {
  auto it = entries_.find(Key{handle.index, handle.generation, side});
  return it != entries_.end() && it->second.rule != nullptr;
}

size_t OffloadManager::poll_activity(uint64_t idle_after_ns, size_t budget, const IdleFn& on_idle) {
  if (entries_.empty() || budget == 0) return 0;
  const uint64_t now = now_ns_();
  size_t work = 0;
  for (const Port& p : ports_) {
    if (!p.media || p.media->aging != AgingKind::Age) continue;
    void* aged[kAgedBurst];
    std::string why;
    const int n = ops_.aged_flows(p.port_id, aged, kAgedBurst, why);
    for (int i = 0; i < n; ++i) {
      // Looked up one by one: an earlier callback may have removed this rule's flow.
      auto r = by_rule_.find(static_cast<rte_flow*>(aged[i]));
      if (r == by_rule_.end()) continue;
      const Key key = r->second;
      Entry& e = entries_.at(key);
      ++work;
      if (!e.age_events || e.idle_reported) continue;
      // The NIC saw nothing for the AGE timeout (the media timeout). Its count now, so that a
      // packet after this shows the direction came back.
      uint64_t packets = 0, bytes = 0;
      if (ops_.query_count(e.direction.in_port, e.rule, packets, bytes, why) == 0) e.seen_packets = e.base_packets + packets;
      e.idle_reported = true;
      e.active_ns = now >= idle_after_ns ? now - idle_after_ns : 0;
      on_idle(relay::FlowHandle{std::get<0>(key), std::get<1>(key)}, std::get<2>(key));
    }
  }
  size_t polled = 0;
  size_t visited = 0;
  auto it = entries_.upper_bound(poll_cursor_);
  // Visit each entry about once per call, even when fewer than `budget` exist (when a callback
  // removed some, the walk may wrap onto one it saw: it only queries it again).
  const size_t entries = entries_.size();
  while (polled < budget && visited < entries && !entries_.empty()) {
    if (it == entries_.end()) it = entries_.begin();
    Entry& e = it->second;
    const Key key = it->first;
    poll_cursor_ = key;
    ++it;
    ++visited;
    // A rule whose port reports its ageing needs no polling until it aged.
    if (e.rule == nullptr || (e.age_events && !e.idle_reported)) continue;
    ++polled;
    uint64_t packets = 0, bytes = 0;
    std::string why;
    if (ops_.query_count(e.direction.in_port, e.rule, packets, bytes, why) != 0) continue;
    if (e.base_packets + packets != e.seen_packets) {
      e.seen_packets = e.base_packets + packets;
      e.active_ns = now;
      e.idle_reported = false;
      e.age_events = false;  // the NIC reported this rule aged once and will not again
    } else if (!e.idle_reported && now - e.active_ns >= idle_after_ns) {
      e.idle_reported = true;
      // The callback may remove this very flow: look the cursor up again afterwards.
      on_idle(relay::FlowHandle{std::get<0>(key), std::get<1>(key)}, std::get<2>(key));
      it = entries_.upper_bound(key);
    }
  }
  return work + polled;
}

std::optional<uint64_t> OffloadManager::silent_ns(relay::FlowHandle handle, int side) const {
  auto it = entries_.find(Key{handle.index, handle.generation, side});
  if (it == entries_.end()) return std::nullopt;
  // Not aged yet, by the port's own account.
  if (it->second.rule != nullptr && it->second.age_events && !it->second.idle_reported) return 0;
  const uint64_t now = now_ns_();
  return now > it->second.active_ns ? now - it->second.active_ns : 0;
}

std::array<OffloadManager::Carried, 2> OffloadManager::remove(relay::FlowHandle handle) {
  std::array<Carried, 2> out{};
  for (int side = 0; side < 2; ++side) {
    auto it = entries_.find(Key{handle.index, handle.generation, side});
    if (it == entries_.end()) continue;
    out[static_cast<size_t>(side)] = carried(handle, side);
    if (it->second.rule != nullptr) retire(it->second);
    entries_.erase(it);
  }
  return out;
}

size_t OffloadManager::reinstall(uint16_t port_id) {
  size_t back = 0;
  for (auto& [key, e] : entries_) {
    const Port* p = port(e.direction.in_port);
    if (e.rule == nullptr || e.direction.in_port != port_id || !p || !p->media) continue;
    // The reset took the rule and its counter with it: what that rule carried since its last query is lost.
    --active_;
    by_rule_.erase(e.rule);
    e.rule = install(e.direction, *p->media);
    if (e.rule != nullptr) {
      track(key, e, e.rule, *p->media);
      ++active_;
      ++back;
    } else {
      software(SoftwareReason::Refused);
    }
  }
  return back;
}

OffloadManager::Carried OffloadManager::carried(relay::FlowHandle handle, int side) const {
  auto it = entries_.find(Key{handle.index, handle.generation, side});
  if (it == entries_.end()) return {};
  Carried c{it->second.rule != nullptr, it->second.base_packets, it->second.base_bytes};
  uint64_t packets = 0, bytes = 0;
  std::string why;
  if (c.offloaded && ops_.query_count(it->second.direction.in_port, it->second.rule, packets, bytes, why) == 0) {
    c.packets += packets;
    c.bytes += bytes;
  }
  return c;
}

uint64_t OffloadManager::insert_latency_ns(double percentile) const {
  if (latency_ns_.empty()) return 0;
  std::vector<uint64_t> sorted = latency_ns_;
  const size_t at = std::min(sorted.size() - 1, static_cast<size_t>(std::ceil(percentile / 100.0 * sorted.size())) - 1);
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(at), sorted.end());
  return sorted[at];
}

}  // namespace sipedge::hw
