// hw/probe.h — control lcore, at start-up (after the ports started, before traffic): which rule
// kinds a port takes, found with rte_flow_validate on sample rules, never from a table of NIC
// names (DESIGN §5). Ports without rte_flow (net_ring, net_af_packet, net_tap) take none, and
// everything stays on the software path.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "hw/flow_ops.h"
#include "hw/rule_compiler.h"

namespace sipedge::hw {

struct PortOffload {
  uint16_t port_id = 0;
  // SIP (UDP to the SIP port) steered to the queue control's worker reads.
  bool steering = false;
  // Drop rules for blocked source prefixes.
  bool drop = false;
  // Per-flow media offload: the first variant (MODIFY_FIELD before SET_*, AGE before COUNT
  // polling, PORT_ID before REPRESENTED_PORT) the port validated; none when it validated none.
  std::optional<RuleVariant> media;
  // Why the last refused kind was refused, as the PMD said it ("" when all were taken).
  std::string refusal;
  // > 0: media rules go through the template/async API (the port's flow engine configured for a
  // queue of this many operations); 0: through rte_flow_create.
  uint32_t async_ops = 0;
};

// Probes `port_id` through `ops`; media rules are tried towards `egress_port` (the port of the
// other interface), SIP steering for UDP to `sip_port` into queue `sip_queue`. A port with the
// async API has its flow engine configured for `max_rules` rules and a queue of at most
// kAsyncQueueOps, and its media variant found by building a template table of the sample rule.
constexpr uint32_t kAsyncQueueOps = 1024;
PortOffload probe_port(FlowOps& ops, uint16_t port_id, uint16_t egress_port, uint16_t sip_port, uint16_t sip_queue,
                       uint32_t max_rules = 65536);

// One line for the start-up log and `sipedgectl hw`: "port 0: steering no, drop no, media no (...)".
std::string describe(const PortOffload& p);

}  // namespace sipedge::hw
