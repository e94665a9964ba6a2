// control/runtime/dataplane_view.h — control lcore (management requests). The "dataplane" view of the
// management API: per-interface packet events and drops summed over every lcore, and the relay's
// totals. Lock-free reads of counters the lcores write.
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "control/api/metrics.h"
#include "control/config.h"
#include "dataplane/dataplane.h"
#include "dataplane/media_relay.h"
#include "rtp_relay/flow_table.h"

namespace sipedge::control {

// {"interfaces":[{"name","events":{...},"drops":{...}}...],
//  "relay":{"rx_packets","forwarded_packets","forwarded_bytes","latched","drops":{...},"table_flows"}}
nlohmann::json dataplane_view(const std::vector<InterfaceConfig>& interfaces, const dataplane::Dataplane& dp,
                              const dataplane::MediaRelay& relay, const relay::FlowTable& table);

// {"rules":[{"name","id","header","pattern","action","hits"}]}: each signature rule and the messages it
// matched, summed over every lcore; plus "dropped" (Drop::PolicyDrop) and "banned_dropped"
// (Drop::Banned) over every interface, and "ban_table":{"size","capacity"}.
nlohmann::json policy_view(const std::vector<parser::PolicyRule>& rules, const std::vector<InterfaceConfig>& interfaces,
                           dataplane::Dataplane& dp);

// Prometheus samples of the dataplane: events and drops per interface, relay totals and flows,
// signature-rule hits, the lanes' ban table.
void dataplane_metrics(PromText& out, const std::vector<InterfaceConfig>& interfaces, dataplane::Dataplane& dp,
                       const dataplane::MediaRelay& relay, const relay::FlowTable& table,
                       const std::vector<parser::PolicyRule>& rules);

}  // namespace sipedge::control
