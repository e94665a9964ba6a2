// control/runtime/port_recovery.cc — control lcore. See port_recovery.h.
#include "control/runtime/port_recovery.h"

#include <spdlog/fmt/fmt.h>

#include "control/api/logging.h"
#include "dataplane/dataplane.h"
#include "hw/drop_rules.h"
#include "hw/offload_manager.h"

namespace sipedge::control {

nlohmann::json PortRecovery::recover(uint16_t iface) {
  if (iface >= dataplane_.shared().n_ifaces) return {{"error", "no interface " + std::to_string(iface)}};
  const uint16_t port_id = dataplane_.iface(iface).port_id;
  nlohmann::json out{{"port", port_id}};
  if (const std::string why = dataplane_.reset_port(iface); !why.empty()) {
    ++failed_;
    last_ = fmt::format("port {} not back: {}", port_id, why);
    logs::of(logs::Component::Hw).error("sipedge: {}", last_);
    out["error"] = why;
    return out;
  }
  const size_t media_back = media_rules_ ? media_rules_->reinstall(port_id) : 0;
  const bool drops = drops_ != nullptr && drops_->enabled();
  if (drops) drops_->reinstall(port_id);
  const size_t drop_addresses = drops ? drops_->addresses() : 0;
  ++done_;
  last_ = fmt::format("port {} back: {} media rule(s), drop rules for {} address(es)", port_id, media_back, drop_addresses);
  logs::of(logs::Component::Hw).warn("sipedge: port reset: {}", last_);
  out["media_rules_back"] = media_back;
  out["drop_addresses"] = drop_addresses;
  return out;
}

void PortRecovery::recover_port(uint16_t port_id) {
  const uint8_t iface = dataplane_.shared().iface_of_port[port_id];
  if (iface != dataplane::SharedState::kNoInterface) recover(iface);
}

nlohmann::json PortRecovery::view() const { return {{"done", done_}, {"failed", failed_}, {"last", last_}}; }

}  // namespace sipedge::control
