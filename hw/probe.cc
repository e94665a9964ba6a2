// hw/probe.cc — control lcore, at start-up. See probe.h.
#include "hw/probe.h"

#include <algorithm>

#include <rte_byteorder.h>

namespace sipedge::hw {
namespace {

// Documentation addresses (RFC 5737): a sample rule validated, never created.
DirectionRule sample_media_rule(uint16_t in_port, uint16_t out_port) {
  DirectionRule r;
  r.in_port = in_port;
  r.out_port = out_port;
  r.from = Endpoint{IpAddr::v4(192, 0, 2, 2), 40000};
  r.to = Endpoint{IpAddr::v4(192, 0, 2, 1), 20000};
  r.new_src = Endpoint{IpAddr::v4(198, 51, 100, 1), 30000};
  r.new_dst = Endpoint{IpAddr::v4(198, 51, 100, 2), 6000};
  r.idle_s = 30;
  return r;
}

}  // namespace

PortOffload probe_port(FlowOps& ops, uint16_t port_id, uint16_t egress_port, uint16_t sip_port, uint16_t sip_queue,
                       uint32_t max_rules) {
  PortOffload p;
  auto validates = [&](const rte_flow_attr& attr, const rte_flow_item* pattern, const rte_flow_action* actions) {
    return ops.validate(port_id, attr, pattern, actions, p.refusal) == 0;
  };
  p.port_id = port_id;

  const rte_flow_attr ingress{.group = 0, .priority = 0, .ingress = 1, .egress = 0, .transfer = 0, .reserved = 0};
  rte_flow_item_udp udp_spec{}, udp_mask{};
  udp_spec.hdr.dst_port = rte_cpu_to_be_16(sip_port);
  udp_mask.hdr.dst_port = UINT16_MAX;
  const rte_flow_item sip_pattern[] = {{RTE_FLOW_ITEM_TYPE_ETH, nullptr, nullptr, nullptr},
                                       {RTE_FLOW_ITEM_TYPE_IPV4, nullptr, nullptr, nullptr},
                                       {RTE_FLOW_ITEM_TYPE_UDP, &udp_spec, nullptr, &udp_mask},
                                       {RTE_FLOW_ITEM_TYPE_END, nullptr, nullptr, nullptr}};
  const rte_flow_action_queue queue{sip_queue};
  const rte_flow_action to_queue[] = {{RTE_FLOW_ACTION_TYPE_QUEUE, &queue}, {RTE_FLOW_ACTION_TYPE_END, nullptr}};
  p.steering = validates(ingress, sip_pattern, to_queue);

  rte_flow_item_ipv4 src_spec{}, src_mask{};
  src_spec.hdr.src_addr = rte_cpu_to_be_32(0xc0000200);  // 192.0.2.0/24
  src_mask.hdr.src_addr = rte_cpu_to_be_32(0xffffff00);
  const rte_flow_item prefix_pattern[] = {{RTE_FLOW_ITEM_TYPE_ETH, nullptr, nullptr, nullptr},
                                          {RTE_FLOW_ITEM_TYPE_IPV4, &src_spec, nullptr, &src_mask},
                                          {RTE_FLOW_ITEM_TYPE_END, nullptr, nullptr, nullptr}};
  const rte_flow_action drop[] = {{RTE_FLOW_ACTION_TYPE_DROP, nullptr}, {RTE_FLOW_ACTION_TYPE_END, nullptr}};
  p.drop = validates(ingress, prefix_pattern, drop);

  const DirectionRule sample = sample_media_rule(port_id, egress_port);
  CompiledRule rule;
  // The template/async API first (where a port has both, it is the one made for insert rates): a
  // variant is taken when a template table of the sample rule can be built.
  uint32_t max_ops = 0;
  std::string async_refusal;
  const bool async = ops.async_queue_size(port_id, max_ops, async_refusal) == 0 && max_ops > 0 &&
                     ops.configure_async(port_id, std::min(max_ops, kAsyncQueueOps), max_rules, async_refusal) == 0;
  auto takes = [&](const RuleVariant& variant) {
    compile(sample, variant, rule);
    if (!async) return validates(rule.attr(), rule.pattern().data(), rule.actions().data());
    rte_flow_template_table* table =
        ops.create_table(port_id, rule.attr(), rule.pattern().data(), rule.actions().data(), 1, p.refusal);
    if (table == nullptr) return false;
    ops.destroy_table(port_id, table, p.refusal);
    return true;
  };
  for (RewriteKind rewrite : {RewriteKind::ModifyField, RewriteKind::SetField}) {
    for (AgingKind aging : {AgingKind::Age, AgingKind::CountPoll}) {
      for (EgressKind egress : {EgressKind::PortId, EgressKind::RepresentedPort}) {
        const RuleVariant variant{rewrite, aging, egress, 0};
        if (takes(variant)) {
          p.media = variant;
          if (async) p.async_ops = std::min(max_ops, kAsyncQueueOps);
          if (p.steering && p.drop) p.refusal.clear();
          return p;
        }
      }
    }
  }
  return p;
}

std::string describe(const PortOffload& p) {
  auto yes_no = [](bool b) { return b ? "yes" : "no"; };
  std::string s = "port " + std::to_string(p.port_id) + ": steering " + yes_no(p.steering) + ", drop " +
                  yes_no(p.drop) + ", media ";
  if (!p.media) {
    s += "no";
  } else {
    s += p.media->rewrite == RewriteKind::ModifyField ? "MODIFY_FIELD" : "SET_*";
    s += p.media->aging == AgingKind::Age ? " + AGE" : " + COUNT polling";
    s += p.media->egress == EgressKind::PortId ? " + PORT_ID" : " + REPRESENTED_PORT";
    if (p.async_ops > 0) s += " (async, queue of " + std::to_string(p.async_ops) + ")";
  }
  if (!p.refusal.empty()) s += " (" + p.refusal + ")";
  return s;
}

}  // namespace sipedge::hw
