// tests/support/flow_emulator.cc — test support, test thread. See flow_emulator.h.
#include "tests/support/flow_emulator.h"

#include "hw/rule_compiler.h"

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <map>

namespace sipedge::test {
namespace {

// The action types the emulated NIC knows (their conf sizes are hw::action_conf_size's).
constexpr rte_flow_action_type kKnownActions[] = {
    RTE_FLOW_ACTION_TYPE_SET_MAC_SRC,     RTE_FLOW_ACTION_TYPE_SET_MAC_DST,  RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC,
    RTE_FLOW_ACTION_TYPE_SET_IPV4_DST,    RTE_FLOW_ACTION_TYPE_SET_IPV6_SRC, RTE_FLOW_ACTION_TYPE_SET_IPV6_DST,
    RTE_FLOW_ACTION_TYPE_SET_TP_SRC,      RTE_FLOW_ACTION_TYPE_SET_TP_DST,   RTE_FLOW_ACTION_TYPE_DEC_TTL,
    RTE_FLOW_ACTION_TYPE_MODIFY_FIELD,    RTE_FLOW_ACTION_TYPE_OF_POP_VLAN,  RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN,
    RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID, RTE_FLOW_ACTION_TYPE_COUNT,        RTE_FLOW_ACTION_TYPE_AGE,
    RTE_FLOW_ACTION_TYPE_PORT_ID,         RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT, RTE_FLOW_ACTION_TYPE_QUEUE,
    RTE_FLOW_ACTION_TYPE_DROP,
};

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
// One's-complement sum of big-endian 16-bit words (RFC 1071).
uint32_t words(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += get16(p + i);
  return s;
}
uint32_t neg_words(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint16_t>(~get16(p + i));
  return s;
}
// RFC 1624 eqn. 3: the checksum after words changed, `delta` = sum of ~old + new words.
uint16_t patched(uint16_t checksum, uint32_t delta) {
  uint32_t s = static_cast<uint16_t>(~checksum) + delta;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

bool masked_equal(const void* a, const void* b, const void* mask, size_t n) {
  const auto* x = static_cast<const uint8_t*>(a);
  const auto* y = static_cast<const uint8_t*>(b);
  const auto* m = static_cast<const uint8_t*>(mask);
  for (size_t i = 0; i < n; ++i)
    if ((x[i] ^ y[i]) & m[i]) return false;
  return true;
}

// Bytes and offset of a MODIFY_FIELD destination within the headers: {offset from the IP header
// (negative: from the frame start), width in bytes}.
struct FieldAt {
  bool from_frame;
  size_t offset;
  size_t len;
};
std::optional<FieldAt> field_at(rte_flow_field_id f) {
  switch (f) {
    case RTE_FLOW_FIELD_MAC_DST: return FieldAt{true, 0, 6};
    case RTE_FLOW_FIELD_MAC_SRC: return FieldAt{true, 6, 6};
    case RTE_FLOW_FIELD_IPV4_TTL: return FieldAt{false, 8, 1};
    case RTE_FLOW_FIELD_IPV4_SRC: return FieldAt{false, 12, 4};
    case RTE_FLOW_FIELD_IPV4_DST: return FieldAt{false, 16, 4};
    case RTE_FLOW_FIELD_IPV6_HOPLIMIT: return FieldAt{false, 7, 1};
    case RTE_FLOW_FIELD_IPV6_SRC: return FieldAt{false, 8, 16};
    case RTE_FLOW_FIELD_IPV6_DST: return FieldAt{false, 24, 16};
    default: return std::nullopt;  // the UDP ports are handled with the L4 header
  }
}

}  // namespace

struct FlowEmulator::Rule {
  uint16_t port_id = 0;
  bool has_vlan = false;
  rte_flow_item_vlan vlan_spec{}, vlan_mask{};
  int ip_version = 0;
  rte_flow_item_ipv4 ip4_spec{}, ip4_mask{};
  rte_flow_item_ipv6 ip6_spec{}, ip6_mask{};
  bool has_udp = false;
  rte_flow_item_udp udp_spec{}, udp_mask{};
  std::vector<std::pair<rte_flow_action_type, std::vector<uint8_t>>> actions;
  uint64_t packets = 0, bytes = 0;
  uint32_t age_s = 0;  // AGE timeout, 0 = no AGE action
  uint64_t last_hit_s = 0;
  bool aged = false;
  bool active = true;     // an async create completed (sync ones are at once)
  Table* table = nullptr;  // async rules: the template table they belong to
  std::vector<int> shape;  // item then action types, END-separated (a template table's key)
};

struct FlowEmulator::Table {
  uint16_t port_id = 0;
  std::vector<int> shape;
  uint32_t capacity = 0;
  uint32_t used = 0;
};

namespace {
uint64_t steady_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}
// A synchronous call that waits for the NIC's answer.
void wait_ns(uint64_t ns) {
  if (ns == 0) return;
  const uint64_t until = steady_ns() + ns;
  while (steady_ns() < until) {
  }
}
std::vector<int> shape_of(const rte_flow_item* pattern, const rte_flow_action* actions) {
  std::vector<int> shape;
  for (const rte_flow_item* i = pattern; i->type != RTE_FLOW_ITEM_TYPE_END; ++i) shape.push_back(i->type);
  shape.push_back(-1);
  for (const rte_flow_action* a = actions; a->type != RTE_FLOW_ACTION_TYPE_END; ++a) shape.push_back(a->type);
  return shape;
}
}  // namespace

FlowCaps FlowCaps::mlx5_like() {
  FlowCaps c{"mlx5-like", {}, true, 0};
  c.actions.insert(std::begin(kKnownActions), std::end(kKnownActions));
  return c;
}
FlowCaps FlowCaps::mlx5_hws_like() {
  FlowCaps c = mlx5_like();
  c.name = "mlx5-hws-like";
  c.sync = false;
  c.async_queue = 64;
  return c;
}
FlowCaps FlowCaps::ntnic_like() {
  return FlowCaps{"ntnic-like",
                  {RTE_FLOW_ACTION_TYPE_MODIFY_FIELD, RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_AGE,
                   RTE_FLOW_ACTION_TYPE_PORT_ID, RTE_FLOW_ACTION_TYPE_QUEUE, RTE_FLOW_ACTION_TYPE_DROP},
                  true, 0};
}
FlowCaps FlowCaps::sfc_like() {
  return FlowCaps{"sfc-like",
                  {RTE_FLOW_ACTION_TYPE_SET_MAC_SRC, RTE_FLOW_ACTION_TYPE_SET_MAC_DST, RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC,
                   RTE_FLOW_ACTION_TYPE_SET_IPV4_DST, RTE_FLOW_ACTION_TYPE_SET_IPV6_SRC, RTE_FLOW_ACTION_TYPE_SET_IPV6_DST,
                   RTE_FLOW_ACTION_TYPE_SET_TP_SRC, RTE_FLOW_ACTION_TYPE_SET_TP_DST, RTE_FLOW_ACTION_TYPE_DEC_TTL,
                   RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_PORT_ID, RTE_FLOW_ACTION_TYPE_QUEUE,
                   RTE_FLOW_ACTION_TYPE_DROP},
                  true, 0};
}
FlowCaps FlowCaps::ice_like() {
  return FlowCaps{"ice-like", {RTE_FLOW_ACTION_TYPE_QUEUE, RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_DROP}, false, 0};
}
FlowCaps FlowCaps::none() { return FlowCaps{"none", {}, false, 0}; }

FlowEmulator::FlowEmulator(FlowCaps caps, size_t max_rules) : caps_(std::move(caps)), max_rules_(max_rules) {}

FlowEmulator::~FlowEmulator() {
  for (Rule* r : rules_) delete r;
  for (Table* t : tables_) delete t;
}

int FlowEmulator::validate(uint16_t, const rte_flow_attr& attr, const rte_flow_item* pattern,
                           const rte_flow_action* actions, std::string& why) {
  if (!caps_.actions.empty() && !caps_.sync) {
    why = caps_.name + ": synchronous flow API not available (template mode)";
    return -ENOTSUP;
  }
  return check(attr, pattern, actions, why);
}

int FlowEmulator::check(const rte_flow_attr& attr, const rte_flow_item* pattern, const rte_flow_action* actions,
                        std::string& why) const {
  if (caps_.actions.empty()) {
    why = "Function not implemented";
    return -ENOSYS;
  }
  if (attr.transfer && !caps_.transfer) {
    why = caps_.name + ": no transfer rules";
    return -ENOTSUP;
  }
  for (const rte_flow_item* i = pattern; i->type != RTE_FLOW_ITEM_TYPE_END; ++i) {
    switch (i->type) {
      case RTE_FLOW_ITEM_TYPE_ETH:
      case RTE_FLOW_ITEM_TYPE_VLAN:
      case RTE_FLOW_ITEM_TYPE_IPV4:
      case RTE_FLOW_ITEM_TYPE_IPV6:
      case RTE_FLOW_ITEM_TYPE_UDP: break;
      default: why = caps_.name + ": item not supported"; return -ENOTSUP;
    }
  }
  for (const rte_flow_action* a = actions; a->type != RTE_FLOW_ACTION_TYPE_END; ++a) {
    if (!caps_.actions.count(a->type)) {
      why = caps_.name + ": action " + std::to_string(a->type) + " not supported";
      return -ENOTSUP;
    }
    if (a->type == RTE_FLOW_ACTION_TYPE_MODIFY_FIELD) {
      const auto* m = static_cast<const rte_flow_action_modify_field*>(a->conf);
      const bool udp_port = m->dst.field == RTE_FLOW_FIELD_UDP_PORT_SRC || m->dst.field == RTE_FLOW_FIELD_UDP_PORT_DST;
      if (m->src.field != RTE_FLOW_FIELD_VALUE || (!udp_port && !field_at(m->dst.field))) {
        why = caps_.name + ": modify_field on that field not supported";
        return -ENOTSUP;
      }
    }
  }
  return 0;
}

rte_flow* FlowEmulator::create(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern,
                               const rte_flow_action* actions, std::string& why) {
  if (validate(port_id, attr, pattern, actions, why) != 0) return nullptr;
  if (active() >= max_rules_) {
    why = caps_.name + ": no room for another rule";
    return nullptr;
  }
  wait_ns(op_latency_ns_);
  Rule* r = build(port_id, pattern, actions);
  rules_.push_back(r);
  return reinterpret_cast<rte_flow*>(r);
}

FlowEmulator::Rule* FlowEmulator::build(uint16_t port_id, const rte_flow_item* pattern, const rte_flow_action* actions) const {
  auto* r = new Rule;
  r->port_id = port_id;
  r->shape = shape_of(pattern, actions);
  for (const rte_flow_item* i = pattern; i->type != RTE_FLOW_ITEM_TYPE_END; ++i) {
    if (i->type == RTE_FLOW_ITEM_TYPE_VLAN) {
      r->has_vlan = true;
      r->vlan_spec = *static_cast<const rte_flow_item_vlan*>(i->spec);
      r->vlan_mask = *static_cast<const rte_flow_item_vlan*>(i->mask);
    } else if (i->type == RTE_FLOW_ITEM_TYPE_IPV4) {
      r->ip_version = 4;
      if (i->spec) r->ip4_spec = *static_cast<const rte_flow_item_ipv4*>(i->spec);
      if (i->mask) r->ip4_mask = *static_cast<const rte_flow_item_ipv4*>(i->mask);
    } else if (i->type == RTE_FLOW_ITEM_TYPE_IPV6) {
      r->ip_version = 6;
      if (i->spec) r->ip6_spec = *static_cast<const rte_flow_item_ipv6*>(i->spec);
      if (i->mask) r->ip6_mask = *static_cast<const rte_flow_item_ipv6*>(i->mask);
    } else if (i->type == RTE_FLOW_ITEM_TYPE_UDP) {
      r->has_udp = true;
      if (i->spec) r->udp_spec = *static_cast<const rte_flow_item_udp*>(i->spec);
      if (i->mask) r->udp_mask = *static_cast<const rte_flow_item_udp*>(i->mask);
    }
  }
  for (const rte_flow_action* a = actions; a->type != RTE_FLOW_ACTION_TYPE_END; ++a) {
    const size_t n = hw::action_conf_size(a->type);
    const auto* conf = static_cast<const uint8_t*>(a->conf);
    r->actions.emplace_back(a->type, n ? std::vector<uint8_t>(conf, conf + n) : std::vector<uint8_t>{});
    if (a->type == RTE_FLOW_ACTION_TYPE_AGE) r->age_s = static_cast<const rte_flow_action_age*>(a->conf)->timeout;
  }
  r->last_hit_s = now_s_;
  return r;
}

std::vector<FlowEmulator::Rule*>::iterator FlowEmulator::find(uint16_t port_id, rte_flow* rule) {
  auto it = std::find(rules_.begin(), rules_.end(), reinterpret_cast<Rule*>(rule));
  if (it != rules_.end() && (*it)->port_id != port_id) return rules_.end();
  return it;
}

size_t FlowEmulator::active() const noexcept {
  return static_cast<size_t>(std::count_if(rules_.begin(), rules_.end(), [](const Rule* r) { return r->active; }));
}

int FlowEmulator::destroy(uint16_t port_id, rte_flow* rule, std::string& why) {
  auto it = find(port_id, rule);
  if (it == rules_.end() || (*it)->table != nullptr) {
    why = caps_.name + ": no such rule";
    return -ENOENT;
  }
  wait_ns(op_latency_ns_);
  delete *it;
  rules_.erase(it);
  return 0;
}

int FlowEmulator::query_count(uint16_t port_id, rte_flow* rule, uint64_t& packets, uint64_t& bytes, std::string& why) {
  auto it = find(port_id, rule);
  if (it == rules_.end() || !(*it)->active) {
    why = caps_.name + ": no such rule";
    return -ENOENT;
  }
  packets = (*it)->packets;
  bytes = (*it)->bytes;
  return 0;
}

int FlowEmulator::aged_flows(uint16_t port_id, void** contexts, uint32_t n, std::string& why) {
  if (!caps_.actions.contains(RTE_FLOW_ACTION_TYPE_AGE)) {
    why = caps_.name + ": Function not implemented";
    return -ENOTSUP;
  }
  int found = 0;
  for (Rule* r : rules_) {
    if (static_cast<uint32_t>(found) == n) break;
    if (r->port_id != port_id || !r->active || r->age_s == 0 || r->aged || now_s_ - r->last_hit_s < r->age_s) continue;
    r->aged = true;
    contexts[found++] = r;
  }
  return found;
}

size_t FlowEmulator::rules() const noexcept { return active(); }

void FlowEmulator::reset_port(uint16_t port_id) {
  std::erase_if(rules_, [port_id](Rule* r) {
    if (r->port_id != port_id) return false;
    delete r;
    return true;
  });
  std::erase_if(tables_, [port_id](Table* t) {
    if (t->port_id != port_id) return false;
    delete t;
    return true;
  });
  queues_.erase(port_id);
  configured_.erase(port_id);
}

int FlowEmulator::async_queue_size(uint16_t, uint32_t& max_ops, std::string& why) {
  if (caps_.async_queue == 0) {
    why = caps_.name + ": no asynchronous flow queues";
    return -ENOTSUP;
  }
  max_ops = caps_.async_queue;
  return 0;
}

int FlowEmulator::configure_async(uint16_t port_id, uint32_t ops, uint32_t, std::string& why) {
  if (caps_.async_queue == 0 || ops == 0 || ops > caps_.async_queue) {
    why = caps_.name + ": flow queue of " + std::to_string(ops) + " operations refused";
    return -EINVAL;
  }
  configured_[port_id] = ops;
  return 0;
}

rte_flow_template_table* FlowEmulator::create_table(uint16_t port_id, const rte_flow_attr& attr,
                                                    const rte_flow_item* pattern, const rte_flow_action* actions,
                                                    uint32_t rules, std::string& why) {
  if (!configured_.contains(port_id)) {
    why = caps_.name + ": flow engine not configured";
    return nullptr;
  }
  if (check(attr, pattern, actions, why) != 0) return nullptr;
  auto* t = new Table{port_id, shape_of(pattern, actions), rules, 0};
  tables_.push_back(t);
  return reinterpret_cast<rte_flow_template_table*>(t);
}

int FlowEmulator::destroy_table(uint16_t port_id, rte_flow_template_table* table, std::string& why) {
  auto* t = reinterpret_cast<Table*>(table);
  auto it = std::find(tables_.begin(), tables_.end(), t);
  if (it == tables_.end() || t->port_id != port_id) {
    why = caps_.name + ": no such table";
    return -ENOENT;
  }
  if (std::any_of(rules_.begin(), rules_.end(), [t](const Rule* r) { return r->table == t; })) {
    why = caps_.name + ": table still holds rules";
    return -EBUSY;
  }
  delete t;
  tables_.erase(it);
  return 0;
}

rte_flow* FlowEmulator::async_create(uint16_t port_id, rte_flow_template_table* table, const rte_flow_item* pattern,
                                     const rte_flow_action* actions, void* user_data, std::string& why) {
  auto* t = reinterpret_cast<Table*>(table);
  auto size = configured_.find(port_id);
  if (size == configured_.end() || std::find(tables_.begin(), tables_.end(), t) == tables_.end() || t->port_id != port_id) {
    why = caps_.name + ": no such table";
    return nullptr;
  }
  if (queues_[port_id].size() >= size->second) {
    why = caps_.name + ": flow queue full";
    return nullptr;
  }
  if (shape_of(pattern, actions) != t->shape) {
    why = caps_.name + ": rule does not fit its table's templates";
    return nullptr;
  }
  Rule* r = build(port_id, pattern, actions);
  r->active = false;
  r->table = t;
  rules_.push_back(r);
  queues_[port_id].push_back(Op{true, r, user_data, false, 0});
  return reinterpret_cast<rte_flow*>(r);
}

int FlowEmulator::async_destroy(uint16_t port_id, rte_flow* rule, void* user_data, std::string& why) {
  auto size = configured_.find(port_id);
  auto it = find(port_id, rule);
  if (size == configured_.end() || it == rules_.end() || (*it)->table == nullptr) {
    why = caps_.name + ": no such rule";
    return -ENOENT;
  }
  if (queues_[port_id].size() >= size->second) {
    why = caps_.name + ": flow queue full";
    return -EAGAIN;
  }
  queues_[port_id].push_back(Op{false, *it, user_data, false, 0});
  return 0;
}

int FlowEmulator::push(uint16_t port_id, std::string& why) {
  if (!configured_.contains(port_id)) {
    why = caps_.name + ": flow engine not configured";
    return -EINVAL;
  }
  const uint64_t now = op_latency_ns_ ? steady_ns() : 0;
  for (Op& op : queues_[port_id]) {
    if (op.pushed) continue;
    op.pushed = true;
    op.pushed_ns = now;
  }
  return 0;
}

int FlowEmulator::pull(uint16_t port_id, rte_flow_op_result* results, uint16_t n, std::string& why) {
  if (!configured_.contains(port_id)) {
    why = caps_.name + ": flow engine not configured";
    return -EINVAL;
  }
  std::deque<Op>& q = queues_[port_id];
  uint16_t done = 0;
  const uint64_t now = op_latency_ns_ ? steady_ns() : 0;
  while (done < n && !q.empty() && q.front().pushed && now >= q.front().pushed_ns + op_latency_ns_) {
    const Op op = q.front();
    q.pop_front();
    auto it = std::find(rules_.begin(), rules_.end(), op.rule);
    bool ok = it != rules_.end();
    if (ok && op.create) {
      ok = op.rule->table->used < op.rule->table->capacity && active() < max_rules_;
      if (ok) {
        op.rule->active = true;
        op.rule->last_hit_s = now_s_;
        ++op.rule->table->used;
      }
    }
    // A failed create leaves no rule behind; a destroy takes the rule out.
    if (it != rules_.end() && (!ok || !op.create)) {
      if ((*it)->active) --(*it)->table->used;
      delete *it;
      rules_.erase(it);
    }
    results[done++] = rte_flow_op_result{ok ? RTE_FLOW_OP_SUCCESS : RTE_FLOW_OP_ERROR, op.user_data};
  }
  return done;
}

size_t FlowEmulator::ops_in_flight(uint16_t port_id) const {
  auto it = queues_.find(port_id);
  return it == queues_.end() ? 0 : it->second.size();
}

std::optional<uint16_t> FlowEmulator::apply(uint16_t port_id, rte_mbuf* m) {
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  const size_t len = rte_pktmbuf_data_len(m);
  if (len < 14) return std::nullopt;
  const bool tagged = get16(p + 12) == RTE_ETHER_TYPE_VLAN;
  size_t l3 = tagged ? 18 : 14;
  if (len < l3) return std::nullopt;
  const uint16_t type = get16(p + l3 - 2);
  int version = type == RTE_ETHER_TYPE_IPV4 ? 4 : type == RTE_ETHER_TYPE_IPV6 ? 6 : 0;
  if (version == 0) return std::nullopt;
  const size_t ip_len = version == 4 ? static_cast<size_t>(p[l3] & 0x0f) * 4 : 40;
  if (len < l3 + ip_len + 8) return std::nullopt;
  const uint8_t proto = version == 4 ? p[l3 + 9] : p[l3 + 6];

  Rule* hit = nullptr;
  for (Rule* r : rules_) {
    if (r->port_id != port_id || !r->active || r->ip_version != version || r->has_vlan != tagged) continue;
    if (r->has_vlan) {
      const uint16_t tci = get16(p + 14);
      const uint16_t want = rte_be_to_cpu_16(r->vlan_spec.hdr.vlan_tci), mask = rte_be_to_cpu_16(r->vlan_mask.hdr.vlan_tci);
      if ((tci ^ want) & mask) continue;
    }
    if (version == 4) {
      const rte_ipv4_hdr& s = r->ip4_spec.hdr;
      const rte_ipv4_hdr& k = r->ip4_mask.hdr;
      if (!masked_equal(p + l3 + 12, &s.src_addr, &k.src_addr, 4) || !masked_equal(p + l3 + 16, &s.dst_addr, &k.dst_addr, 4) ||
          ((proto ^ s.next_proto_id) & k.next_proto_id))
        continue;
    } else {
      const rte_ipv6_hdr& s = r->ip6_spec.hdr;
      const rte_ipv6_hdr& k = r->ip6_mask.hdr;
      if (!masked_equal(p + l3 + 8, s.src_addr, k.src_addr, 16) || !masked_equal(p + l3 + 24, s.dst_addr, k.dst_addr, 16) ||
          ((proto ^ s.proto) & k.proto))
        continue;
    }
    if (r->has_udp) {
      if (proto != 17) continue;
      const uint8_t* u = p + l3 + ip_len;
      if (!masked_equal(u, &r->udp_spec.hdr.src_port, &r->udp_mask.hdr.src_port, 2) ||
          !masked_equal(u + 2, &r->udp_spec.hdr.dst_port, &r->udp_mask.hdr.dst_port, 2))
        continue;
    }
    hit = r;
    break;
  }
  if (hit == nullptr) return std::nullopt;
  ++hit->packets;
  hit->bytes += m->pkt_len;
  hit->last_hit_s = now_s_;

  // The headers as they arrived, for the checksum update after the rewrite.
  uint8_t old_ip[40], old_udp[8];
  std::memcpy(old_ip, p + l3, ip_len);
  std::memcpy(old_udp, p + l3 + ip_len, 8);

  std::optional<uint16_t> egress;
  for (const auto& [type, conf] : hit->actions) {
    p = rte_pktmbuf_mtod(m, uint8_t*);
    uint8_t* ip = p + l3;
    uint8_t* udp = ip + ip_len;
    switch (type) {
      case RTE_FLOW_ACTION_TYPE_OF_POP_VLAN:
        std::memmove(p + 4, p, 12);
        rte_pktmbuf_adj(m, 4);
        l3 -= 4;
        break;
      case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN: {
        auto* q = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 4));
        if (q == nullptr) return std::nullopt;
        std::memmove(q, q + 4, 12);
        std::memcpy(q + 12, &reinterpret_cast<const rte_flow_action_of_push_vlan*>(conf.data())->ethertype, 2);
        put16(q + 14, 0);
        l3 += 4;
        break;
      }
      case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID: {
        const uint16_t vid = rte_be_to_cpu_16(reinterpret_cast<const rte_flow_action_of_set_vlan_vid*>(conf.data())->vlan_vid);
        put16(p + 14, static_cast<uint16_t>((get16(p + 14) & 0xf000) | (vid & 0x0fff)));
        break;
      }
      case RTE_FLOW_ACTION_TYPE_SET_MAC_DST: std::memcpy(p, conf.data(), 6); break;
      case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC: std::memcpy(p + 6, conf.data(), 6); break;
      case RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC: std::memcpy(ip + 12, conf.data(), 4); break;
      case RTE_FLOW_ACTION_TYPE_SET_IPV4_DST: std::memcpy(ip + 16, conf.data(), 4); break;
      case RTE_FLOW_ACTION_TYPE_SET_IPV6_SRC: std::memcpy(ip + 8, conf.data(), 16); break;
      case RTE_FLOW_ACTION_TYPE_SET_IPV6_DST: std::memcpy(ip + 24, conf.data(), 16); break;
      case RTE_FLOW_ACTION_TYPE_SET_TP_SRC: std::memcpy(udp, conf.data(), 2); break;
      case RTE_FLOW_ACTION_TYPE_SET_TP_DST: std::memcpy(udp + 2, conf.data(), 2); break;
      case RTE_FLOW_ACTION_TYPE_DEC_TTL: --ip[version == 4 ? 8 : 7]; break;
      case RTE_FLOW_ACTION_TYPE_MODIFY_FIELD: {
        const auto* mf = reinterpret_cast<const rte_flow_action_modify_field*>(conf.data());
        uint8_t* at;
        size_t n;
        if (mf->dst.field == RTE_FLOW_FIELD_UDP_PORT_SRC || mf->dst.field == RTE_FLOW_FIELD_UDP_PORT_DST) {
          at = udp + (mf->dst.field == RTE_FLOW_FIELD_UDP_PORT_SRC ? 0 : 2);
          n = 2;
        } else {
          const FieldAt f = *field_at(mf->dst.field);
          at = (f.from_frame ? p : ip) + f.offset;
          n = f.len;
        }
        if (mf->operation == RTE_FLOW_MODIFY_SUB)
          at[0] = static_cast<uint8_t>(at[0] - mf->src.value[0]);
        else
          std::memcpy(at, mf->src.value, n);
        break;
      }
      case RTE_FLOW_ACTION_TYPE_PORT_ID:
        egress = static_cast<uint16_t>(reinterpret_cast<const rte_flow_action_port_id*>(conf.data())->id);
        break;
      case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT:
        egress = reinterpret_cast<const rte_flow_action_ethdev*>(conf.data())->port_id;
        break;
      case RTE_FLOW_ACTION_TYPE_DROP:
        ++dropped_;
        return std::nullopt;
      default: break;  // COUNT, AGE: bookkeeping only; QUEUE: a hairpin this emulator does not peer
    }
  }

  // The NIC's checksum update: RFC 1624 over every header word that changed.
  p = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* ip = p + l3;
  uint8_t* udp = ip + ip_len;
  if (version == 4) {
    const uint32_t delta = neg_words(old_ip, 10, neg_words(old_ip + 12, ip_len - 12)) + words(ip, 10, words(ip + 12, ip_len - 12));
    put16(ip + 10, patched(get16(old_ip + 10), delta));
  }
  const uint16_t old_sum = get16(old_udp + 6);
  if (version == 6 || old_sum != 0) {
    const size_t addrs = version == 4 ? 12 : 8, alen = version == 4 ? 8 : 32;
    const uint32_t delta = neg_words(old_ip + addrs, alen, neg_words(old_udp, 4)) + words(ip + addrs, alen, words(udp, 4));
    const uint16_t c = patched(old_sum, delta);
    put16(udp + 6, c == 0 ? 0xffff : c);
  }
  return egress;
}

}  // namespace sipedge::test
