// hw/drop_rules.cc — control lcore. See drop_rules.h.
#include "hw/drop_rules.h"

#include <cstring>

namespace sipedge::hw {

DropRules::DropRules(FlowOps& ops, std::vector<uint16_t> ports, size_t max_rules)
    : ops_(ops), ports_(std::move(ports)), max_rules_(max_rules) {}

DropRules::~DropRules() {
  std::string why;
  for (auto& [addr, rules] : rules_)
    for (size_t i = 0; i < rules.size(); ++i)
      if (rules[i]) ops_.destroy(ports_[i], rules[i], why);
}

rte_flow* DropRules::install(uint16_t port_id, const IpAddr& addr) {
  rte_flow_attr attr{};
  attr.ingress = 1;
  rte_flow_item_ipv4 v4{}, v4_mask{};
  rte_flow_item_ipv6 v6{}, v6_mask{};
  rte_flow_item pattern[3] = {};
  pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
  if (addr.is_v4()) {
    v4.hdr.src_addr = addr.v4_be();
    v4_mask.hdr.src_addr = 0xffffffff;
    pattern[1] = {RTE_FLOW_ITEM_TYPE_IPV4, &v4, nullptr, &v4_mask};
  } else {
    std::memcpy(v6.hdr.src_addr, addr.bytes.data(), 16);
    std::memset(v6_mask.hdr.src_addr, 0xff, 16);
    pattern[1] = {RTE_FLOW_ITEM_TYPE_IPV6, &v6, nullptr, &v6_mask};
  }
  pattern[2].type = RTE_FLOW_ITEM_TYPE_END;
  const rte_flow_action actions[] = {{RTE_FLOW_ACTION_TYPE_DROP, nullptr}, {RTE_FLOW_ACTION_TYPE_END, nullptr}};
  std::string why;
  rte_flow* rule = ops_.create(port_id, attr, pattern, actions, why);
  if (rule == nullptr) {
    ++refused_;
    last_refusal_ = "port " + std::to_string(port_id) + ": " + why;
  }
  return rule;
}

bool DropRules::add(const IpAddr& addr) {
  if (ports_.empty() || addr.family == IpAddr::Family::None) return false;
  if (auto it = rules_.find(addr); it != rules_.end()) {
    for (rte_flow* r : it->second)
      if (r) return true;
    return false;
  }
  if (rules_.size() >= max_rules_) {
    ++over_budget_;
    return false;
  }
  std::vector<rte_flow*> per_port;
  bool any = false;
  for (uint16_t p : ports_) {
    per_port.push_back(install(p, addr));
    any |= per_port.back() != nullptr;
  }
  rules_.emplace(addr, std::move(per_port));
  return any;
}

bool DropRules::remove(const IpAddr& addr) {
  auto it = rules_.find(addr);
  if (it == rules_.end()) return false;
  std::string why;
  for (size_t i = 0; i < it->second.size(); ++i)
    if (it->second[i]) ops_.destroy(ports_[i], it->second[i], why);
  rules_.erase(it);
  return true;
}

void DropRules::reinstall(uint16_t port_id) {
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i] != port_id) continue;
    for (auto& [addr, rules] : rules_) rules[i] = install(port_id, addr);
  }
}

}  // namespace sipedge::hw
