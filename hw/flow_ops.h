// hw/flow_ops.h — control lcore. The rte_flow calls hw/ makes, behind one seam: RteFlowOps asks the
// port's PMD; tests put an emulated NIC in its place (tests/support/flow_emulator.h), because DPDK
// 22.11 installs no driver headers (ethdev_driver.h) to build a test PMD with rte_flow ops.
#pragma once
#include <cstdint>
#include <map>
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

  // The template/async API (DPDK 22.11 rte_flow_info_get .. rte_flow_pull), where a port has it:
  // rules go in through one queue (0, the control lcore's) as operations that complete later, so a
  // burst of call setups costs the control lcore a submit each and never waits for the NIC.
  // How many operations the port's flow queue can hold; a negative errno where the port has no
  // async API.
  virtual int async_queue_size(uint16_t port_id, uint32_t& max_ops, std::string& why) = 0;
  // Sets the port's flow engine up for queue 0 holding `ops` operations and about `rules` rules.
  virtual int configure_async(uint16_t port_id, uint32_t ops, uint32_t rules, std::string& why) = 0;
  // A template table for rules shaped like `pattern` + `actions` (their item and action types, in
  // order; the values are each rule's own), holding up to `rules` rules.
  virtual rte_flow_template_table* create_table(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern,
                                                const rte_flow_action* actions, uint32_t rules, std::string& why) = 0;
  virtual int destroy_table(uint16_t port_id, rte_flow_template_table* table, std::string& why) = 0;
  // Queues the creation of a rule of `table` (postponed until push); its result comes back from
  // pull() with `user_data`. The rule handle, or nullptr (queue full: -EAGAIN) with the reason.
  virtual rte_flow* async_create(uint16_t port_id, rte_flow_template_table* table, const rte_flow_item* pattern,
                                 const rte_flow_action* actions, void* user_data, std::string& why) = 0;
  virtual int async_destroy(uint16_t port_id, rte_flow* rule, void* user_data, std::string& why) = 0;
  // Hands the queued operations to the NIC.
  virtual int push(uint16_t port_id, std::string& why) = 0;
  // Up to `n` completed operations into `results`: their count, or a negative errno.
  virtual int pull(uint16_t port_id, rte_flow_op_result* results, uint16_t n, std::string& why) = 0;
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
  int async_queue_size(uint16_t port_id, uint32_t& max_ops, std::string& why) override;
  int configure_async(uint16_t port_id, uint32_t ops, uint32_t rules, std::string& why) override;
  rte_flow_template_table* create_table(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern,
                                        const rte_flow_action* actions, uint32_t rules, std::string& why) override;
  int destroy_table(uint16_t port_id, rte_flow_template_table* table, std::string& why) override;
  rte_flow* async_create(uint16_t port_id, rte_flow_template_table* table, const rte_flow_item* pattern,
                         const rte_flow_action* actions, void* user_data, std::string& why) override;
  int async_destroy(uint16_t port_id, rte_flow* rule, void* user_data, std::string& why) override;
  int push(uint16_t port_id, std::string& why) override;
  int pull(uint16_t port_id, rte_flow_op_result* results, uint16_t n, std::string& why) override;

 private:
  // A table's templates, destroyed after it.
  struct Templates {
    uint16_t port_id;
    rte_flow_pattern_template* pattern;
    rte_flow_actions_template* actions;
  };
  std::map<rte_flow_template_table*, Templates> tables_;
};

}  // namespace sipedge::hw
