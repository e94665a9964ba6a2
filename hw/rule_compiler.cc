// hw/rule_compiler.cc — control lcore; pure code. See rule_compiler.h.
#include "hw/rule_compiler.h"

#include <cstring>

#include <rte_byteorder.h>

namespace sipedge::hw {
namespace {

constexpr uint8_t kUdp = 17;

bool same_family(const Endpoint& a, const Endpoint& b) noexcept { return a.ip.family == b.ip.family; }

bool known(const Endpoint& e) noexcept {
  return e.ip.family != IpAddr::Family::None && !e.ip.is_unspecified() && e.port != 0;
}

Endpoint local_of(const relay::EndpointSpec& s) noexcept { return Endpoint{s.local_addr, s.local_port}; }

// MODIFY_FIELD setting `field` (`width` bits) to the immediate `value`, given in network order as
// the matching rte_flow item holds it.
void set_field(rte_flow_action_modify_field& m, rte_flow_field_id field, uint32_t width, const void* value,
               size_t len) noexcept {
  m = rte_flow_action_modify_field{};
  m.operation = RTE_FLOW_MODIFY_SET;
  m.dst.field = field;
  m.src.field = RTE_FLOW_FIELD_VALUE;
  std::memcpy(m.src.value, value, len);
  m.width = width;
}

}  // namespace

Result<DirectionRule, NotOffloadable> direction_rule(const relay::FlowSpec& spec, int d, const Endpoint& ingress_peer,
                                                     const Endpoint& egress_peer, uint16_t in_vlan, uint16_t out_vlan,
                                                     uint32_t counter_id, uint32_t idle_s) {
  const relay::EndpointSpec& in = spec.side[static_cast<size_t>(d)];
  const relay::EndpointSpec& out = spec.side[static_cast<size_t>(1 - d)];
  DirectionRule r;
  r.in_port = in.port_id;
  r.out_port = out.port_id;
  r.in_vlan = in_vlan;
  r.out_vlan = out_vlan;
  r.from = ingress_peer;
  r.to = local_of(in);
  r.new_src = local_of(out);
  r.new_dst = egress_peer;
  r.src_mac = out.local_mac;
  r.dst_mac = out.next_hop_mac;
  r.counter_id = counter_id;
  r.idle_s = idle_s;
  if (!known(r.from) || !known(r.new_dst)) return Err(NotOffloadable::PeerUnknown);
  // The relay refuses IPv4<->IPv6 at install; a peer of the other family cannot be matched either.
  if (!same_family(r.from, r.to) || !same_family(r.to, r.new_src) || !same_family(r.new_src, r.new_dst))
    return Err(NotOffloadable::FamilyMismatch);
  return r;
}

void CompiledRule::add_item(rte_flow_item_type type, const void* spec, const void* mask) noexcept {
  items_[n_items_++] = rte_flow_item{type, spec, nullptr, mask};
}

void CompiledRule::add_action(rte_flow_action_type type, const void* conf) noexcept {
  actions_[n_actions_++] = rte_flow_action{type, conf};
}

void compile(const DirectionRule& rule, const RuleVariant& variant, CompiledRule& out) {
  out.attr_ = rte_flow_attr{};
  out.n_items_ = out.n_actions_ = out.n_modify_ = 0;
  const bool v6 = rule.to.ip.family == IpAddr::Family::V6;
  // A transfer rule (e-switch) sends to another port; a hairpin queue is an ingress rule's target.
  if (variant.egress == EgressKind::HairpinQueue)
    out.attr_.ingress = 1;
  else
    out.attr_.transfer = 1;

  // Pattern: [VLAN] / IP src = the latched peer, dst = our relay socket / UDP both ports. The
  // exact source is strict-source checking, as the latched software flow does it.
  out.add_item(RTE_FLOW_ITEM_TYPE_ETH, nullptr, nullptr);
  if (rule.in_vlan != 0) {
    out.vlan_spec_ = rte_flow_item_vlan{};
    out.vlan_mask_ = rte_flow_item_vlan{};
    out.vlan_spec_.hdr.vlan_tci = rte_cpu_to_be_16(rule.in_vlan & 0x0fff);
    out.vlan_mask_.hdr.vlan_tci = rte_cpu_to_be_16(0x0fff);
    out.add_item(RTE_FLOW_ITEM_TYPE_VLAN, &out.vlan_spec_, &out.vlan_mask_);
  }
  if (v6) {
    out.ip6_spec_ = rte_flow_item_ipv6{};
    out.ip6_mask_ = rte_flow_item_ipv6{};
    std::memcpy(out.ip6_spec_.hdr.src_addr, rule.from.ip.bytes.data(), 16);
    std::memcpy(out.ip6_spec_.hdr.dst_addr, rule.to.ip.bytes.data(), 16);
    out.ip6_spec_.hdr.proto = kUdp;
    std::memset(out.ip6_mask_.hdr.src_addr, 0xff, 16);
    std::memset(out.ip6_mask_.hdr.dst_addr, 0xff, 16);
    out.ip6_mask_.hdr.proto = 0xff;
    out.add_item(RTE_FLOW_ITEM_TYPE_IPV6, &out.ip6_spec_, &out.ip6_mask_);
  } else {
    out.ip4_spec_ = rte_flow_item_ipv4{};
    out.ip4_mask_ = rte_flow_item_ipv4{};
    out.ip4_spec_.hdr.src_addr = rule.from.ip.v4_be();
    out.ip4_spec_.hdr.dst_addr = rule.to.ip.v4_be();
    out.ip4_spec_.hdr.next_proto_id = kUdp;
    out.ip4_mask_.hdr.src_addr = UINT32_MAX;
    out.ip4_mask_.hdr.dst_addr = UINT32_MAX;
    out.ip4_mask_.hdr.next_proto_id = 0xff;
    out.add_item(RTE_FLOW_ITEM_TYPE_IPV4, &out.ip4_spec_, &out.ip4_mask_);
  }
  out.udp_spec_ = rte_flow_item_udp{};
  out.udp_mask_ = rte_flow_item_udp{};
  out.udp_spec_.hdr.src_port = rte_cpu_to_be_16(rule.from.port);
  out.udp_spec_.hdr.dst_port = rte_cpu_to_be_16(rule.to.port);
  out.udp_mask_.hdr.src_port = UINT16_MAX;
  out.udp_mask_.hdr.dst_port = UINT16_MAX;
  out.add_item(RTE_FLOW_ITEM_TYPE_UDP, &out.udp_spec_, &out.udp_mask_);
  out.add_item(RTE_FLOW_ITEM_TYPE_END, nullptr, nullptr);

  // The egress interface's tag: removed, added or changed (OpenFlow-style actions).
  if (rule.in_vlan != 0 && rule.out_vlan == 0) {
    out.add_action(RTE_FLOW_ACTION_TYPE_OF_POP_VLAN, nullptr);
  } else if (rule.out_vlan != 0 && rule.in_vlan != rule.out_vlan) {
    if (rule.in_vlan == 0) {
      out.push_vlan_.ethertype = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
      out.add_action(RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN, &out.push_vlan_);
    }
    out.set_vid_.vlan_vid = rte_cpu_to_be_16(rule.out_vlan & 0x0fff);
    out.add_action(RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID, &out.set_vid_);
  }

  // Rewrite: MACs, addresses and ports to the egress side's, and one hop less.
  const uint16_t src_port_be = rte_cpu_to_be_16(rule.new_src.port);
  const uint16_t dst_port_be = rte_cpu_to_be_16(rule.new_dst.port);
  if (variant.rewrite == RewriteKind::SetField) {
    std::memcpy(out.mac_src_.mac_addr, rule.src_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
    std::memcpy(out.mac_dst_.mac_addr, rule.dst_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
    out.add_action(RTE_FLOW_ACTION_TYPE_SET_MAC_SRC, &out.mac_src_);
    out.add_action(RTE_FLOW_ACTION_TYPE_SET_MAC_DST, &out.mac_dst_);
    if (v6) {
      std::memcpy(out.ip6_src_.ipv6_addr, rule.new_src.ip.bytes.data(), 16);
      std::memcpy(out.ip6_dst_.ipv6_addr, rule.new_dst.ip.bytes.data(), 16);
      out.add_action(RTE_FLOW_ACTION_TYPE_SET_IPV6_SRC, &out.ip6_src_);
      out.add_action(RTE_FLOW_ACTION_TYPE_SET_IPV6_DST, &out.ip6_dst_);
    } else {
      out.ip4_src_.ipv4_addr = rule.new_src.ip.v4_be();
      out.ip4_dst_.ipv4_addr = rule.new_dst.ip.v4_be();
      out.add_action(RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC, &out.ip4_src_);
      out.add_action(RTE_FLOW_ACTION_TYPE_SET_IPV4_DST, &out.ip4_dst_);
    }
    out.tp_src_.port = src_port_be;
    out.tp_dst_.port = dst_port_be;
    out.add_action(RTE_FLOW_ACTION_TYPE_SET_TP_SRC, &out.tp_src_);
    out.add_action(RTE_FLOW_ACTION_TYPE_SET_TP_DST, &out.tp_dst_);
    out.add_action(RTE_FLOW_ACTION_TYPE_DEC_TTL, nullptr);
  } else {
    auto modify = [&](rte_flow_field_id field, uint32_t width, const void* value, size_t len) {
      rte_flow_action_modify_field& m = out.next_modify();
      set_field(m, field, width, value, len);
      out.add_action(RTE_FLOW_ACTION_TYPE_MODIFY_FIELD, &m);
    };
    modify(RTE_FLOW_FIELD_MAC_SRC, 48, rule.src_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
    modify(RTE_FLOW_FIELD_MAC_DST, 48, rule.dst_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
    if (v6) {
      modify(RTE_FLOW_FIELD_IPV6_SRC, 128, rule.new_src.ip.bytes.data(), 16);
      modify(RTE_FLOW_FIELD_IPV6_DST, 128, rule.new_dst.ip.bytes.data(), 16);
    } else {
      const uint32_t src = rule.new_src.ip.v4_be(), dst = rule.new_dst.ip.v4_be();
      modify(RTE_FLOW_FIELD_IPV4_SRC, 32, &src, 4);
      modify(RTE_FLOW_FIELD_IPV4_DST, 32, &dst, 4);
    }
    modify(RTE_FLOW_FIELD_UDP_PORT_SRC, 16, &src_port_be, 2);
    modify(RTE_FLOW_FIELD_UDP_PORT_DST, 16, &dst_port_be, 2);
    rte_flow_action_modify_field& ttl = out.next_modify();
    const uint8_t one = 1;
    set_field(ttl, v6 ? RTE_FLOW_FIELD_IPV6_HOPLIMIT : RTE_FLOW_FIELD_IPV4_TTL, 8, &one, 1);
    ttl.operation = RTE_FLOW_MODIFY_SUB;
    out.add_action(RTE_FLOW_ACTION_TYPE_MODIFY_FIELD, &ttl);
  }

  // Counters for the CDR and `sipedgectl flows`; AGE where the port reports silence itself.
  out.count_.id = rule.counter_id;
  out.add_action(RTE_FLOW_ACTION_TYPE_COUNT, &out.count_);
  if (variant.aging == AgingKind::Age) {
    out.age_ = rte_flow_action_age{};
    out.age_.timeout = rule.idle_s & 0xffffff;
    out.add_action(RTE_FLOW_ACTION_TYPE_AGE, &out.age_);
  }

  switch (variant.egress) {
    case EgressKind::PortId:
      out.port_id_ = rte_flow_action_port_id{};
      out.port_id_.id = rule.out_port;
      out.add_action(RTE_FLOW_ACTION_TYPE_PORT_ID, &out.port_id_);
      break;
    case EgressKind::RepresentedPort:
      out.ethdev_.port_id = rule.out_port;
      out.add_action(RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT, &out.ethdev_);
      break;
    case EgressKind::HairpinQueue:
      out.queue_.index = variant.hairpin_queue;
      out.add_action(RTE_FLOW_ACTION_TYPE_QUEUE, &out.queue_);
      break;
  }
  out.add_action(RTE_FLOW_ACTION_TYPE_END, nullptr);
}

size_t action_conf_size(rte_flow_action_type type) noexcept {
  switch (type) {
    case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_MAC_DST: return sizeof(rte_flow_action_set_mac);
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_DST: return sizeof(rte_flow_action_set_ipv4);
    case RTE_FLOW_ACTION_TYPE_SET_IPV6_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_IPV6_DST: return sizeof(rte_flow_action_set_ipv6);
    case RTE_FLOW_ACTION_TYPE_SET_TP_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_TP_DST: return sizeof(rte_flow_action_set_tp);
    case RTE_FLOW_ACTION_TYPE_MODIFY_FIELD: return sizeof(rte_flow_action_modify_field);
    case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN: return sizeof(rte_flow_action_of_push_vlan);
    case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID: return sizeof(rte_flow_action_of_set_vlan_vid);
    case RTE_FLOW_ACTION_TYPE_COUNT: return sizeof(rte_flow_action_count);
    case RTE_FLOW_ACTION_TYPE_AGE: return sizeof(rte_flow_action_age);
    case RTE_FLOW_ACTION_TYPE_PORT_ID: return sizeof(rte_flow_action_port_id);
    case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT: return sizeof(rte_flow_action_ethdev);
    case RTE_FLOW_ACTION_TYPE_QUEUE: return sizeof(rte_flow_action_queue);
    default: return 0;  // DEC_TTL, OF_POP_VLAN, DROP
  }
}

}  // namespace sipedge::hw
