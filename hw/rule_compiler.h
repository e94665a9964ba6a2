// hw/rule_compiler.h — control lcore; pure code (no port, no EAL): what one direction of a media
// flow becomes as an rte_flow rule (DESIGN §5). The input is the flow the software relay executes
// (rtp_relay/flow.h) once its ingress peer latched; the output is the pattern and action lists in
// the variant a port accepted when probed, so the NIC does to a packet what relay_burst would:
// match the exact 5-tuple (strict source), rewrite MACs, addresses and ports, decrement TTL / hop
// limit, retag for the egress VLAN, count, age, send out of the other side's port.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include <rte_ether.h>
#include <rte_flow.h>

#include "common/net_address.h"
#include "common/result.h"
#include "rtp_relay/flow.h"

namespace sipedge::hw {

// How a port rewrites header fields: the fixed SET_* actions (sfc, older mlx5) or MODIFY_FIELD
// (mlx5 HWS, ntnic), which also subtracts from the TTL where DEC_TTL is missing.
enum class RewriteKind : uint8_t { SetField, ModifyField };
// How a direction's silence is seen: an AGE action (the port reports aged rules), or COUNT polled
// by control (ntnic's coarse ageing, ports without AGE).
enum class AgingKind : uint8_t { Age, CountPoll };
// How a rewritten packet reaches the egress port: a transfer rule to the port (PORT_ID in DPDK
// 22.11's mlx5 e-switch, REPRESENTED_PORT on newer PMDs), or a hairpin queue of the ingress port
// bound to the egress port.
enum class EgressKind : uint8_t { PortId, RepresentedPort, HairpinQueue };

// The variant a port takes, as hw/'s probe found it with rte_flow_validate.
struct RuleVariant {
  RewriteKind rewrite = RewriteKind::SetField;
  AgingKind aging = AgingKind::Age;
  EgressKind egress = EgressKind::PortId;
  uint16_t hairpin_queue = 0;  // HairpinQueue: the ingress port's queue peered with the egress port
};

// One direction of a media flow, with every address resolved. Ports in host order.
struct DirectionRule {
  uint16_t in_port = 0;   // DPDK port the packets arrive on (the ingress side's interface)
  uint16_t out_port = 0;  // DPDK port they leave from (the egress side's interface)
  uint16_t in_vlan = 0;   // 802.1Q VID of each interface, 0 = untagged
  uint16_t out_vlan = 0;
  Endpoint from;          // the ingress side's latched peer: the only source the rule accepts
  Endpoint to;            // the ingress side's relay socket
  Endpoint new_src;       // the egress side's relay socket
  Endpoint new_dst;       // the egress side's peer (latched, else from its SDP)
  rte_ether_addr src_mac{};  // our MAC on the egress port
  rte_ether_addr dst_mac{};  // the next hop towards the egress side's peer
  uint32_t counter_id = 0;   // COUNT id (the flow's index and side, for queries)
  uint32_t idle_s = 30;      // AGE timeout: media silence that ends the offload
};

// Why a direction cannot become a rule; the software relay keeps it.
enum class NotOffloadable : uint8_t {
  FamilyMismatch,  // the two sides or a peer have different IP versions
  PeerUnknown,     // a peer address or port is not known yet (unlatched, no SDP address)
};

// The rule for packets received on side `d` of `spec`: its peer latched at `ingress_peer`, the other
// side's peer at `egress_peer`, with each interface's VLAN and the AGE timeout.
Result<DirectionRule, NotOffloadable> direction_rule(const relay::FlowSpec& spec, int d, const Endpoint& ingress_peer,
                                                     const Endpoint& egress_peer, uint16_t in_vlan, uint16_t out_vlan,
                                                     uint32_t counter_id, uint32_t idle_s);

// The rte_flow attribute, pattern and actions of one rule. Items and actions point into the object
// itself, so it is neither copied nor moved: fill one in place with compile() and hand its spans to
// rte_flow_validate/create.
class CompiledRule {
 public:
  CompiledRule() = default;
  CompiledRule(const CompiledRule&) = delete;
  CompiledRule& operator=(const CompiledRule&) = delete;

  const rte_flow_attr& attr() const noexcept { return attr_; }
  // Both end with their END entry.
  std::span<const rte_flow_item> pattern() const noexcept { return {items_.data(), n_items_}; }
  std::span<const rte_flow_action> actions() const noexcept { return {actions_.data(), n_actions_}; }

 private:
  friend void compile(const DirectionRule&, const RuleVariant&, CompiledRule&);
  void add_item(rte_flow_item_type type, const void* spec, const void* mask) noexcept;
  void add_action(rte_flow_action_type type, const void* conf) noexcept;
  rte_flow_action_modify_field& next_modify() noexcept { return modify_[n_modify_++]; }

  rte_flow_attr attr_{};
  rte_flow_item_vlan vlan_spec_{}, vlan_mask_{};
  rte_flow_item_ipv4 ip4_spec_{}, ip4_mask_{};
  rte_flow_item_ipv6 ip6_spec_{}, ip6_mask_{};
  rte_flow_item_udp udp_spec_{}, udp_mask_{};
  std::array<rte_flow_item, 6> items_{};
  size_t n_items_ = 0;

  rte_flow_action_of_push_vlan push_vlan_{};
  rte_flow_action_of_set_vlan_vid set_vid_{};
  rte_flow_action_set_mac mac_src_{}, mac_dst_{};
  rte_flow_action_set_ipv4 ip4_src_{}, ip4_dst_{};
  rte_flow_action_set_ipv6 ip6_src_{}, ip6_dst_{};
  rte_flow_action_set_tp tp_src_{}, tp_dst_{};
  std::array<rte_flow_action_modify_field, 7> modify_{};
  size_t n_modify_ = 0;
  rte_flow_action_count count_{};
  rte_flow_action_age age_{};
  rte_flow_action_port_id port_id_{};
  rte_flow_action_ethdev ethdev_{};
  rte_flow_action_queue queue_{};
  std::array<rte_flow_action, 20> actions_{};
  size_t n_actions_ = 0;
};

// How many bytes of conf an action type sipedge uses carries (0: none, or a type it never uses).
size_t action_conf_size(rte_flow_action_type type) noexcept;

// Fills `out` (whatever it held before) with the rule for `rule` in `variant`.
void compile(const DirectionRule& rule, const RuleVariant& variant, CompiledRule& out);

}  // namespace sipedge::hw
