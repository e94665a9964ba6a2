// control/runtime/offload_view.h — control lcore (management requests). The "hw" view of the
// management API: what the start-up probe found each interface's port takes (hw/probe.h), and what
// the media rules on them did; and the relay's flows, each direction on the NIC or in software.
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "control/config.h"
#include "control/runtime/rtp_relay_backend.h"
#include "hw/offload_manager.h"
#include "hw/probe.h"
#include "rtp_relay/flow_table.h"

namespace sipedge::control {

// {"interfaces":[{"name","port","steering","drop","media":null|{"rewrite","aging","egress"},
// "summary","refusal"}...]}, `offload[i]` being interface i's port.
nlohmann::json offload_view(const std::vector<InterfaceConfig>& interfaces, const std::vector<hw::PortOffload>& offload);

// {"mode","rules","max_rules","installed","removed","swaps","waiting","software":{reason: n},
// "insert_latency_us":{"p50","p99"},"last_refusal"}; {"mode":"off"} without an OffloadManager.
nlohmann::json media_rules_view(const hw::OffloadManager* rules, hw::OffloadMode mode, size_t max_rules, size_t waiting);

// {"count","shown","flows":[{"flow","sides":[{"local","peer","latched","path":"nic"|"software",
// "software_packets","nic_packets","nic_bytes","rejected","software_reason"}...]}...]}, the first
// `limit` flows in handle order.
nlohmann::json relay_flows_view(const relay::FlowTable& table, const RtpRelayBackend& backend, size_t limit);

}  // namespace sipedge::control
