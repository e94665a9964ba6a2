// tests/support/flow_emulator.h — test support, test thread. A NIC's rte_flow as hw/ sees it
// (hw::FlowOps), with a capability set of the NIC families sipedge meets, that applies the rules it
// holds to packets the way the NIC would: match, rewrite field by field, fix the checksums
// incrementally over the bytes that changed, count, send out of a port. It is the stand-in for the
// NIC in hw/'s tests; DPDK 22.11 offers no way to build a test PMD with rte_flow ops.
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "hw/flow_ops.h"

namespace sipedge::test {

struct FlowCaps {
  std::string name;
  std::set<rte_flow_action_type> actions;  // action types the port takes
  bool transfer = false;                   // e-switch (transfer) rules
  size_t max_rules = 0;
  // Capability sets after the DPDK 22.11 feature matrices (doc/guides/nics/features/*.ini).
  static FlowCaps mlx5_like();   // SET_*, MODIFY_FIELD, DEC_TTL, VLAN push/pop/set, COUNT, AGE, PORT_ID
  static FlowCaps ntnic_like();  // MODIFY_FIELD, COUNT, AGE, PORT_ID; no SET_*, no VLAN actions
  static FlowCaps sfc_like();    // SET_*, DEC_TTL, COUNT, PORT_ID; no AGE, no MODIFY_FIELD
  static FlowCaps ice_like();    // steering, count and drop; no rewrite, no transfer
  static FlowCaps none();        // no rte_flow at all (net_ring, net_af_packet, net_tap)
};

class FlowEmulator final : public hw::FlowOps {
 public:
  explicit FlowEmulator(FlowCaps caps, size_t max_rules = 1024);
  ~FlowEmulator() override;

  int validate(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern,
               const rte_flow_action* actions, std::string& why) override;
  rte_flow* create(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern,
                   const rte_flow_action* actions, std::string& why) override;
  int destroy(uint16_t port_id, rte_flow* rule, std::string& why) override;
  int query_count(uint16_t port_id, rte_flow* rule, uint64_t& packets, uint64_t& bytes, std::string& why) override;
  // Rules with an AGE action not hit for their timeout, each once (an aged rule stays aged, as a
  // NIC's does until the rule is replaced), by the clock set_time_s() sets.
  int aged_flows(uint16_t port_id, void** contexts, uint32_t n, std::string& why) override;
  // The NIC's clock, in seconds, for AGE (starts at 0); rules remember when they were last hit.
  void set_time_s(uint64_t s) noexcept { now_s_ = s; }

  // The first installed rule of `port_id` matching the frame in `m` acts on it in place. The egress
  // port it sends to, or nullopt when no rule matched (the packet goes to the software path).
  std::optional<uint16_t> apply(uint16_t port_id, rte_mbuf* m);
  size_t rules() const noexcept;
  // Packets a DROP rule took (apply() returned nullopt for them, as for no match).
  size_t dropped() const noexcept { return dropped_; }
  // A port reset: every rule of `port_id` is gone, as the NIC forgets them.
  void reset_port(uint16_t port_id);

 private:
  struct Rule;
  FlowCaps caps_;
  size_t max_rules_;
  std::vector<Rule*> rules_;
  size_t dropped_ = 0;
  uint64_t now_s_ = 0;
};

}  // namespace sipedge::test
