// control/runtime/port_recovery.h — control lcore. Brings a NIC port back after a reset: the PMD's
// RTE_ETH_EVENT_INTR_RESET (a VF its PF reset, a NIC recovering from an error) or an operator's
// `sipedgectl reset-port`. The dataplane resets, configures and starts the port with its workers
// paused; the NIC forgot its rte_flow rules, so the media rules (hw::OffloadManager) and the drop
// rules of banned addresses (hw::DropRules) go back on it. Calls and registrations are untouched;
// media pauses while the port is down, and what the NIC's counters held since their last query is
// lost with them.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace sipedge::dataplane {
class Dataplane;
}
namespace sipedge::hw {
class DropRules;
class OffloadManager;
}

namespace sipedge::control {

class PortRecovery {
 public:
  // `media_rules` and `drops` may be null (no offload, no drop rules).
  PortRecovery(dataplane::Dataplane& dataplane, hw::OffloadManager* media_rules, hw::DropRules* drops) noexcept
      : dataplane_(dataplane), media_rules_(media_rules), drops_(drops) {}

  // Interface `iface` (dataplane index): {"port", "media_rules_back", "drop_addresses"}, or
  // {"port", "error"} when the port did not come back.
  nlohmann::json recover(uint16_t iface);
  // The same for a DPDK port id (the PMD's event names ports); ignored when it is not ours.
  void recover_port(uint16_t port_id);

  // For `sipedgectl hw`: resets done and failed, and what the last one gave.
  nlohmann::json view() const;
  uint64_t done() const noexcept { return done_; }
  uint64_t failed() const noexcept { return failed_; }

 private:
  dataplane::Dataplane& dataplane_;
  hw::OffloadManager* media_rules_;
  hw::DropRules* drops_;
  uint64_t done_ = 0;
  uint64_t failed_ = 0;
  std::string last_;
};

}  // namespace sipedge::control
