// tests/support/flow_emulator.h — test support, test thread. A NIC's rte_flow as hw/ sees it
// (hw::FlowOps), with a capability set of the NIC families sipedge meets, that applies the rules it
// holds to packets the way the NIC would: match, rewrite field by field, fix the checksums
// incrementally over the bytes that changed, count, send out of a port. It is the stand-in for the
// NIC in hw/'s tests; DPDK 22.11 offers no way to build a test PMD with rte_flow ops.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "hw/flow_ops.h"

namespace sipedge::test {

struct FlowCaps {
  std::string name;
  std::set<rte_flow_action_type> actions;  // action types the port takes
  bool transfer = false;                   // e-switch (transfer) rules
  size_t max_rules = 0;
  bool sync = true;          // rte_flow_validate/create (mlx5 in HW steering mode has only the async API)
  uint32_t async_queue = 0;  // operations the async flow queue holds; 0 = no template/async API
  // Capability sets after the DPDK 22.11 feature matrices (doc/guides/nics/features/*.ini).
  static FlowCaps mlx5_like();   // SET_*, MODIFY_FIELD, DEC_TTL, VLAN push/pop/set, COUNT, AGE, PORT_ID
  // mlx5 in HW steering mode (dv_flow_en=2): the same actions through templates and an async queue
  // of 64 operations only; rte_flow_validate/create are refused.
  static FlowCaps mlx5_hws_like();
  static FlowCaps ntnic_like();  // MODIFY_FIELD, COUNT, AGE, PORT_ID; no SET_*, no VLAN actions
  static FlowCaps sfc_like();    // SET_*, DEC_TTL, COUNT, PORT_ID; no AGE, no MODIFY_FIELD
  static FlowCaps ice_like();    // steering, count and drop; no rewrite, no transfer
  static FlowCaps none();        // no rte_flow at all (net_ring, net_af_packet, net_tap)
};

class FlowEmulator final : public hw::FlowOps {
 public:
  explicit FlowEmulator(FlowCaps caps, size_t max_rules = 1024);
  ~FlowEmulator() override;

  int validate(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern,
               const rte_flow_action* actions, std::string& why) override;
  rte_flow* create(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern,
                   const rte_flow_action* actions, std::string& why) override;
  int destroy(uint16_t port_id, rte_flow* rule, std::string& why) override;
  int query_count(uint16_t port_id, rte_flow* rule, uint64_t& packets, uint64_t& bytes, std::string& why) override;
  // Rules with an AGE action not hit for their timeout, each once (an aged rule stays aged, as a
  // NIC's does until the rule is replaced), by the clock set_time_s() sets.
  int aged_flows(uint16_t port_id, void** contexts, uint32_t n, std::string& why) override;
  // The async API: operations wait in the port's queue (at most caps.async_queue, counting those
  // not pulled yet) until push(); pull() completes pushed ones in order. A create that finds its
  // table or the NIC full completes with RTE_FLOW_OP_ERROR. A rule matches packets once its create
  // completed, and until its destroy did.
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
  // Operations queued on `port_id`, pushed or not, whose results were not pulled yet.
  size_t ops_in_flight(uint16_t port_id) const;
  size_t tables() const noexcept { return tables_.size(); }
  // How long the NIC takes to put a rule in or take it out (0 by default): a synchronous create or
  // destroy spins that long, as a PMD waiting for its firmware's answer does; an async operation
  // completes once that long has passed since its push, costing the caller nothing meanwhile.
  void set_op_latency_ns(uint64_t ns) noexcept { op_latency_ns_ = ns; }
  // The NIC's clock, in seconds, for AGE (starts at 0); rules remember when they were last hit.
  void set_time_s(uint64_t s) noexcept { now_s_ = s; }

  // The first installed rule of `port_id` matching the frame in `m` acts on it in place. The egress
  // port it sends to, or nullopt when no rule matched (the packet goes to the software path).
  std::optional<uint16_t> apply(uint16_t port_id, rte_mbuf* m);
  // Rules in force (their create completed).
  size_t rules() const noexcept;
  // Packets a DROP rule took (apply() returned nullopt for them, as for no match).
  size_t dropped() const noexcept { return dropped_; }
  // A port reset: every rule, table and queued operation of `port_id` is gone, and its flow engine
  // must be configured again, as the NIC forgets them.
  void reset_port(uint16_t port_id);

 private:
  struct Rule;
  struct Table;
  struct Op {
    bool create;
    Rule* rule;
    void* user_data;
    bool pushed;
    uint64_t pushed_ns;
  };
  // The capability check both APIs make (validate, and a template table's shape).
  int check(const rte_flow_attr& attr, const rte_flow_item* pattern, const rte_flow_action* actions, std::string& why) const;
  Rule* build(uint16_t port_id, const rte_flow_item* pattern, const rte_flow_action* actions) const;
  std::vector<Rule*>::iterator find(uint16_t port_id, rte_flow* rule);
  size_t active() const noexcept;

  FlowCaps caps_;
  size_t max_rules_;
  std::vector<Rule*> rules_;
  std::vector<Table*> tables_;
  std::map<uint16_t, uint32_t> configured_;    // port -> its async queue's size
  std::map<uint16_t, std::deque<Op>> queues_;  // port -> operations not pulled yet
  size_t dropped_ = 0;
  uint64_t now_s_ = 0;
  uint64_t op_latency_ns_ = 0;
};

}  // namespace sipedge::test
