// hw/offload_manager.cc — control lcore. See offload_manager.h.
#include "hw/offload_manager.h"

#include <algorithm>
#include <cmath>

namespace sipedge::hw {
namespace {

constexpr size_t kLatencyWindow = 4096;
// Aged rules fetched per port per poll.
constexpr uint32_t kAgedBurst = 64;
// Completions pulled per call to pull().
constexpr uint16_t kPullBurst = 64;
// Rounds of push-and-pull the destructor waits for the queues to empty.
constexpr int kDrainRounds = 10000;

// The item and action types of a compiled rule, in order: the template table it belongs to.
std::vector<int> shape_of(const CompiledRule& c) {
  std::vector<int> shape;
  for (const rte_flow_item& i : c.pattern()) shape.push_back(i.type);
  for (const rte_flow_action& a : c.actions()) shape.push_back(a.type);
  return shape;
}

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
  // The probe configured the async ports' flow engines already.
  for (const Port& p : ports_)
    if (p.media && p.async_ops > 0) queues_[p.port_id].capacity = p.async_ops;
}

OffloadManager::~OffloadManager() {
  std::string why;
  for (auto& [key, e] : entries_) {
    if (e.rule == nullptr) continue;
    if (queues_.contains(e.direction.in_port))
      submit_destroy(e.direction.in_port, e.rule);
    else
      ops_.destroy(e.direction.in_port, e.rule, why);
  }
  // Creates still in flight find no entry when they complete, and are destroyed then.
  entries_.clear();
  auto busy = [this] {
    return !in_flight_.empty() || std::any_of(queues_.begin(), queues_.end(), [](const auto& q) {
             return !q.second.to_destroy.empty() || !q.second.retiring.empty();
           });
  };
  for (int round = 0; round < kDrainRounds && busy(); ++round) complete();
  for (auto& [port_id, q] : queues_)
    for (auto& [shape, table] : q.tables) ops_.destroy_table(port_id, table, why);
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

void OffloadManager::record_latency(uint64_t ns) {
  if (latency_ns_.size() < kLatencyWindow)
    latency_ns_.push_back(ns);
  else
    latency_ns_[latency_next_] = ns;
  latency_next_ = (latency_next_ + 1) % kLatencyWindow;
}

rte_flow* OffloadManager::install(const DirectionRule& r, const RuleVariant& v) {
  CompiledRule compiled;
  compile(r, v, compiled);
  ++stats_.submitted;
  const uint64_t start = now_ns_();
  rte_flow* rule = ops_.create(r.in_port, compiled.attr(), compiled.pattern().data(), compiled.actions().data(), last_refusal_);
  const uint64_t took = now_ns_() - start;
  if (rule == nullptr) return nullptr;
  record_latency(took);
  ++stats_.installed;
  return rule;
}

bool OffloadManager::room(uint16_t, Queue& q) {
  if (q.in_flight < q.capacity || completing_) return q.in_flight < q.capacity;
  complete();
  return q.in_flight < q.capacity;
}

rte_flow* OffloadManager::submit_create(const Key& key, const DirectionRule& r, const RuleVariant& v) {
  Queue& q = queues_.at(r.in_port);
  CompiledRule compiled;
  compile(r, v, compiled);
  std::vector<int> shape = shape_of(compiled);
  auto table = q.tables.find(shape);
  if (table == q.tables.end()) {
    // Each rule shape (address family, VLAN tags, rewrite actions) gets its table once.
    rte_flow_template_table* t = ops_.create_table(r.in_port, compiled.attr(), compiled.pattern().data(),
                                                   compiled.actions().data(), static_cast<uint32_t>(config_.max_rules), last_refusal_);
    if (t == nullptr) return nullptr;
    table = q.tables.emplace(std::move(shape), t).first;
  }
  if (!room(r.in_port, q)) {
    last_refusal_ = "flow queue full";
    return nullptr;
  }
  const uint64_t id = next_op_++;
  ++stats_.submitted;
  rte_flow* rule = ops_.async_create(r.in_port, table->second, compiled.pattern().data(), compiled.actions().data(),
                                     reinterpret_cast<void*>(id), last_refusal_);
  if (rule == nullptr) return nullptr;
  in_flight_.emplace(id, Op{key, r.in_port, rule, true, now_ns_()});
  ++q.in_flight;
  q.unpushed = true;
  return rule;
}

void OffloadManager::submit_destroy(uint16_t port_id, rte_flow* rule) {
  Queue& q = queues_.at(port_id);
  std::string why;
  const uint64_t id = next_op_;
  if (!room(port_id, q) || ops_.async_destroy(port_id, rule, reinterpret_cast<void*>(id), why) != 0) {
    q.to_destroy.push_back(rule);
    return;
  }
  ++next_op_;
  in_flight_.emplace(id, Op{Key{}, port_id, rule, false, now_ns_()});
  ++q.in_flight;
  q.unpushed = true;
}

size_t OffloadManager::complete() {
  // What completing sets off (a swap's removal) never completes in turn: it waits for the next poll.
  completing_ = true;
  size_t done = 0;
  std::string why;
  for (auto& [port_id, q] : queues_) {
    // Removals that found no room before go first; what still finds none waits again.
    std::vector<rte_flow*> retry;
    retry.swap(q.to_destroy);
    for (rte_flow* rule : retry) submit_destroy(port_id, rule);
    // Rules retired since the last poll: what they carried meanwhile, then their removal.
    std::vector<Retiring> retiring;
    retiring.swap(q.retiring);
    for (const Retiring& r : retiring) {
      uint64_t packets = 0, bytes = 0;
      auto e = entries_.find(r.key);
      if (e != entries_.end() && ops_.query_count(port_id, r.rule, packets, bytes, why) == 0 && packets >= r.packets) {
        e->second.base_packets += packets - r.packets;
        e->second.base_bytes += bytes - r.bytes;
      }
      submit_destroy(port_id, r.rule);
    }
    if (q.unpushed) {
      ops_.push(port_id, why);
      q.unpushed = false;
    }
    rte_flow_op_result results[kPullBurst];
    int n = 0;
    do {
      n = ops_.pull(port_id, results, kPullBurst, why);
      for (int i = 0; i < n; ++i) {
        auto op = in_flight_.find(reinterpret_cast<uint64_t>(results[i].user_data));
        if (op == in_flight_.end()) continue;
        const Op o = op->second;
        in_flight_.erase(op);
        --q.in_flight;
        ++done;
        if (o.create) created(o, results[i].status == RTE_FLOW_OP_SUCCESS);
      }
    } while (n == kPullBurst);
  }
  completing_ = false;
  return done;
}

void OffloadManager::created(const Op& op, bool ok) {
  auto it = entries_.find(op.key);
  const bool current = it != entries_.end() && it->second.pending == op.rule;
  if (!ok) {
    // Nothing of the rule is left on the NIC.
    --active_;
    if (!current) return;
    Entry& e = it->second;
    e.pending = nullptr;
    // A live rule still rewrites to what the SDP said before: it must not stay.
    if (e.rule != nullptr) retire(op.key, e);
    software(SoftwareReason::Refused);
    last_refusal_ = "the NIC failed an async rule create";
    return;
  }
  ++stats_.installed;
  record_latency(now_ns_() - op.submitted_ns);
  if (!current) {
    // Superseded by a later create, withdrawn or torn down while in flight.
    submit_destroy(op.port_id, op.rule);
    --active_;
    ++stats_.removed;
    return;
  }
  Entry& e = it->second;
  e.pending = nullptr;
  if (e.rule != nullptr) {
    // Make before break: the new rule is in, the old one goes.
    retire(op.key, e);
    ++stats_.swaps;
  }
  e.direction = e.pending_direction;
  track(op.key, e, op.rule, *port(op.port_id)->media);
}

void OffloadManager::retire(const Key& key, Entry& e) {
  uint64_t packets = 0, bytes = 0;
  std::string why;
  if (ops_.query_count(e.direction.in_port, e.rule, packets, bytes, why) == 0) {
    e.base_packets += packets;
    e.base_bytes += bytes;
  }
  if (auto q = queues_.find(e.direction.in_port); q != queues_.end())
    // It carries on until its removal is pushed with the next poll, counted once more then.
    q->second.retiring.push_back(Retiring{key, e.rule, packets, bytes});
  else
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
    if (live) retire(key, existing->second);
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
  const bool in_flight = existing != entries_.end() && existing->second.pending != nullptr;
  if (in_flight ? same_rule(existing->second.pending_direction, *direction)
                : live && same_rule(existing->second.direction, *direction))
    return std::nullopt;
  if (!live && !in_flight && active_ >= config_.max_rules) return software(SoftwareReason::RulesExhausted);

  if (in_port->async_ops > 0) {
    // A create still in flight is superseded: it is destroyed when it completes.
    if (in_flight) existing->second.pending = nullptr;
    rte_flow* rule = submit_create(key, *direction, *in_port->media);
    if (rule == nullptr) return to_software(SoftwareReason::Refused);
    ++active_;
    Entry& e = existing != entries_.end() ? existing->second : entries_[key];
    e.pending = rule;
    e.pending_direction = *direction;
    return std::nullopt;
  }
  rte_flow* rule = install(*direction, *in_port->media);
  if (rule == nullptr) return to_software(SoftwareReason::Refused);
  ++active_;
  if (live) {
    // Make before break: the new rule is in before the old one goes.
    retire(key, existing->second);
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
  if (it == entries_.end()) return;
  it->second.pending = nullptr;  // destroyed when it completes
  if (it->second.rule != nullptr) retire(it->first, it->second);
}

bool OffloadManager::offloaded(relay::FlowHandle handle, int side) const {
  auto it = entries_.find(Key{handle.index, handle.generation, side});
  return it != entries_.end() && it->second.rule != nullptr;
}

bool OffloadManager::pending(relay::FlowHandle handle, int side) const {
  auto it = entries_.find(Key{handle.index, handle.generation, side});
  return it != entries_.end() && it->second.pending != nullptr;
}

bool OffloadManager::can_insert(uint16_t port_id) const {
  auto it = queues_.find(port_id);
  return it == queues_.end() || it->second.in_flight < it->second.capacity - it->second.capacity / 4;
}

size_t OffloadManager::ops_in_flight() const { return in_flight_.size(); }

size_t OffloadManager::poll_activity(uint64_t idle_after_ns, size_t budget, const IdleFn& on_idle) {
  size_t work = complete();
  if (entries_.empty() || budget == 0) return work;
  const uint64_t now = now_ns_();
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
    it->second.pending = nullptr;  // destroyed when it completes
    if (it->second.rule != nullptr) retire(it->first, it->second);
    entries_.erase(it);
  }
  return out;
}

size_t OffloadManager::reinstall(uint16_t port_id) {
  const Port* p = port(port_id);
  if (!p || !p->media) return 0;
  auto q = queues_.find(port_id);
  if (q != queues_.end()) {
    // The reset took the port's flow engine set-up, its tables and every operation in flight.
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      if (it->second.port_id != port_id) {
        ++it;
        continue;
      }
      if (it->second.create) --active_;
      it = in_flight_.erase(it);
    }
    const uint32_t capacity = q->second.capacity;
    q->second = Queue{};
    q->second.capacity = capacity;
    if (ops_.configure_async(port_id, q->second.capacity, static_cast<uint32_t>(config_.max_rules), last_refusal_) != 0) {
      // Nothing can go back on it: its directions stay with the workers.
      for (auto& [key, e] : entries_) {
        if (e.rule != nullptr && e.direction.in_port == port_id) {
          by_rule_.erase(e.rule);
          e.rule = nullptr;
          --active_;
          software(SoftwareReason::Refused);
        }
        if (e.pending != nullptr && e.pending_direction.in_port == port_id) e.pending = nullptr;
      }
      return 0;
    }
  }
  size_t back = 0;
  for (auto& [key, e] : entries_) {
    // A direction's ports change only when its side moved to another interface (a redirect): its
    // live rule may then be on this port and its pending create on the other, or the reverse.
    const bool rule_here = e.rule != nullptr && e.direction.in_port == port_id;
    const bool pending_here = e.pending != nullptr && e.pending_direction.in_port == port_id;
    if (!rule_here && !pending_here) continue;
    // The reset took the rule and its counter with it: what that rule carried since its last query is lost.
    if (rule_here) {
      --active_;
      by_rule_.erase(e.rule);
      e.rule = nullptr;
    }
    // A create in flight elsewhere carries the latest SDP: it replaces the lost rule when it completes.
    if (!pending_here && e.pending != nullptr) continue;
    const DirectionRule latest = pending_here ? e.pending_direction : e.direction;
    e.pending = nullptr;
    if (q != queues_.end()) {
      e.pending = submit_create(key, latest, *p->media);
      if (e.pending != nullptr) {
        e.pending_direction = latest;
        ++active_;
        ++back;
      } else {
        software(SoftwareReason::Refused);
      }
      continue;
    }
    e.rule = install(latest, *p->media);
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
