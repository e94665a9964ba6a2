// hw/drop_rules.h — control lcore. NIC drop rules for banned source addresses (DESIGN §3 edge
// security, §5): on every port whose probe validated drop rules, one ingress rule per banned
// address (ETH / IPv4 or IPv6 source, full mask -> DROP), so a flood from that address costs no
// CPU at all. Ports without them, a rule budget spent, or a PMD refusing a rule leave the drop to
// the lanes' ban table (dataplane/ban_table.h), counted here.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/net_address.h"
#include "hw/flow_ops.h"

namespace sipedge::hw {

class DropRules {
 public:
  // `ports`: the ports whose probe found drop rules. `max_rules`: addresses at most (per port).
  DropRules(FlowOps& ops, std::vector<uint16_t> ports, size_t max_rules);
  ~DropRules();
  DropRules(const DropRules&) = delete;
  DropRules& operator=(const DropRules&) = delete;

  // Drops `addr` on every port that takes it; true when at least one port does. An address already
  // in place is left as it is.
  bool add(const IpAddr& addr);
  // Removes the rules of `addr`; false when it had none.
  bool remove(const IpAddr& addr);
  // A port reset: the NIC forgot its rules; install them all again on `port_id`.
  void reinstall(uint16_t port_id);

  size_t addresses() const noexcept { return rules_.size(); }
  uint64_t refused() const noexcept { return refused_; }        // rules a PMD refused
  uint64_t over_budget() const noexcept { return over_budget_; }  // addresses beyond max_rules
  const std::string& last_refusal() const noexcept { return last_refusal_; }
  bool enabled() const noexcept { return !ports_.empty(); }

 private:
  rte_flow* install(uint16_t port_id, const IpAddr& addr);

  FlowOps& ops_;
  std::vector<uint16_t> ports_;
  size_t max_rules_;
  // address -> rule per port (same order as ports_; nullptr where the port refused it)
  std::unordered_map<IpAddr, std::vector<rte_flow*>, IpAddrHash> rules_;
  uint64_t refused_ = 0, over_budget_ = 0;
  std::string last_refusal_;
};

}  // namespace sipedge::hw
