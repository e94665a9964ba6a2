// control/runtime/offload_view.h — control lcore (management requests). The "hw" view of the
// management API: what the start-up probe found each interface's port takes (hw/probe.h).
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "control/config.h"
#include "hw/probe.h"

namespace sipedge::control {

// {"interfaces":[{"name","port","steering","drop","media":null|{"rewrite","aging","egress"},
// "summary","refusal"}...]}, `offload[i]` being interface i's port.
nlohmann::json offload_view(const std::vector<InterfaceConfig>& interfaces, const std::vector<hw::PortOffload>& offload);

}  // namespace sipedge::control
