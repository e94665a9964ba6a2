// hw/flow_ops.h — control lcore. The rte_flow calls hw/ makes, behind one seam: RteFlowOps asks the
// port's PMD; tests put an emulated NIC in its place (tests/support/flow_emulator.h), because DPDK
// 22.11 installs no driver headers (ethdev_driver.h) to build a test PMD with rte_flow ops.
#pragma once
#include <cstdint>
#include <string>

#include <rte_flow.h>

namespace sipedge::hw {

class FlowOps {
 public:
  virtual ~FlowOps() = default;
  // 0 when `port_id` takes the rule, else a negative errno with the PMD's reason in `why`.
  virtual int validate(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern,
                       const rte_flow_action* actions, std::string& why) = 0;
  // The installed rule, or nullptr with the reason in `why`.
  virtual rte_flow* create(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern,
                           const rte_flow_action* actions, std::string& why) = 0;
  virtual int destroy(uint16_t port_id, rte_flow* rule, std::string& why) = 0;
  // The rule's COUNT action: packets and bytes it carried since it was created.
  virtual int query_count(uint16_t port_id, rte_flow* rule, uint64_t& packets, uint64_t& bytes, std::string& why) = 0;
  // Rules of `port_id` whose AGE timeout passed without a packet, each reported once: up to `n`
  // AGE contexts (the rule itself, as hw/ leaves the context null) into `contexts`. Their count,
  // or a negative errno.
  virtual int aged_flows(uint16_t port_id, void** contexts, uint32_t n, std::string& why) = 0;
};

// The real thing: rte_flow_validate / create / destroy / query on the port.
class RteFlowOps final : public FlowOps {
 public:
  int validate(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern, const rte_flow_action* actions,
               std::string& why) override;
  rte_flow* create(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern,
                   const rte_flow_action* actions, std::string& why) override;
  int destroy(uint16_t port_id, rte_flow* rule, std::string& why) override;
  int query_count(uint16_t port_id, rte_flow* rule, uint64_t& packets, uint64_t& bytes, std::string& why) override;
  int aged_flows(uint16_t port_id, void** contexts, uint32_t n, std::string& why) override;
};

}  // namespace sipedge::hw
