// hw/flow_ops.cc — control lcore. See flow_ops.h.
#include "hw/flow_ops.h"

#include <cstring>
#include <vector>

#include <rte_errno.h>

#include "hw/rule_compiler.h"

namespace sipedge::hw {
namespace {

// The one flow queue sipedge uses: the control lcore's. Operations wait there until push().
constexpr uint32_t kControlQueue = 0;
constexpr rte_flow_op_attr kPostponed{.postpone = 1};

// The PMD's message, else the errno's text.
std::string reason(const rte_flow_error& error, int rc) {
  if (error.message != nullptr) return error.message;
  return std::strerror(rc < 0 ? -rc : rc);
}

}  // namespace

int RteFlowOps::validate(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern,
                         const rte_flow_action* actions, std::string& why) {
  rte_flow_error error{};
  const int rc = rte_flow_validate(port_id, &attr, pattern, actions, &error);
  if (rc != 0) why = reason(error, rc);
  return rc;
}

rte_flow* RteFlowOps::create(uint16_t port_id, const rte_flow_attr& attr, const rte_flow_item* pattern,
                             const rte_flow_action* actions, std::string& why) {
  rte_flow_error error{};
  rte_flow* rule = rte_flow_create(port_id, &attr, pattern, actions, &error);
  if (rule == nullptr) why = reason(error, rte_errno);
  return rule;
}

int RteFlowOps::destroy(uint16_t port_id, rte_flow* rule, std::string& why) {
  rte_flow_error error{};
  const int rc = rte_flow_destroy(port_id, rule, &error);
  if (rc != 0) why = reason(error, rc);
  return rc;
}

int RteFlowOps::query_count(uint16_t port_id, rte_flow* rule, uint64_t& packets, uint64_t& bytes, std::string& why) {
  const rte_flow_action count[] = {{RTE_FLOW_ACTION_TYPE_COUNT, nullptr}, {RTE_FLOW_ACTION_TYPE_END, nullptr}};
  rte_flow_query_count data{};
  rte_flow_error error{};
  const int rc = rte_flow_query(port_id, rule, count, &data, &error);
  if (rc != 0) {
    why = reason(error, rc);
    return rc;
  }
  packets = data.hits_set ? data.hits : 0;
  bytes = data.bytes_set ? data.bytes : 0;
  return 0;
}

int RteFlowOps::aged_flows(uint16_t port_id, void** contexts, uint32_t n, std::string& why) {
  rte_flow_error error{};
  const int rc = rte_flow_get_aged_flows(port_id, contexts, n, &error);
  if (rc < 0) why = reason(error, rc);
  return rc;
}

int RteFlowOps::async_queue_size(uint16_t port_id, uint32_t& max_ops, std::string& why) {
  rte_flow_port_info port{};
  rte_flow_queue_info queue{};
  rte_flow_error error{};
  const int rc = rte_flow_info_get(port_id, &port, &queue, &error);
  if (rc != 0) {
    why = reason(error, rc);
    return rc;
  }
  if (port.max_nb_queues == 0) {
    why = "no asynchronous flow queues";
    return -ENOTSUP;
  }
  max_ops = queue.max_size;
  return 0;
}

int RteFlowOps::configure_async(uint16_t port_id, uint32_t ops, uint32_t rules, std::string& why) {
  rte_flow_port_attr port{};
  port.nb_counters = rules;
  port.nb_aging_objects = rules;
  const rte_flow_queue_attr queue{ops};
  const rte_flow_queue_attr* queues[] = {&queue};
  rte_flow_error error{};
  const int rc = rte_flow_configure(port_id, &port, 1, queues, &error);
  if (rc != 0) why = reason(error, rc);
  return rc;
}

rte_flow_template_table* RteFlowOps::create_table(uint16_t port_id, const rte_flow_attr& attr,
                                                  const rte_flow_item* pattern, const rte_flow_action* actions,
                                                  uint32_t rules, std::string& why) {
  rte_flow_error error{};
  // The pattern template: what is matched (each item's mask), without the values.
  std::vector<rte_flow_item> items;
  for (const rte_flow_item* i = pattern;; ++i) {
    items.push_back({i->type, nullptr, nullptr, i->mask});
    if (i->type == RTE_FLOW_ITEM_TYPE_END) break;
  }
  const rte_flow_pattern_template_attr pattern_attr{
      .relaxed_matching = 0, .ingress = attr.ingress, .egress = attr.egress, .transfer = attr.transfer};
  rte_flow_pattern_template* pt = rte_flow_pattern_template_create(port_id, &pattern_attr, items.data(), &error);
  if (pt == nullptr) {
    why = reason(error, rte_errno);
    return nullptr;
  }
  // The actions template: the types in order; every value comes with each rule (a zero mask), but
  // a MODIFY_FIELD's fields and width, which are the same for all.
  std::vector<std::vector<uint8_t>> zeros;
  std::vector<rte_flow_action> masks;
  for (const rte_flow_action* a = actions;; ++a) {
    const size_t n = action_conf_size(a->type);
    zeros.emplace_back(n, uint8_t{0});
    if (a->type == RTE_FLOW_ACTION_TYPE_MODIFY_FIELD) {
      rte_flow_action_modify_field m = *static_cast<const rte_flow_action_modify_field*>(a->conf);
      std::memset(m.src.value, 0, sizeof m.src.value);
      std::memcpy(zeros.back().data(), &m, n);
    }
    if (a->type == RTE_FLOW_ACTION_TYPE_END) break;
  }
  for (size_t k = 0; k < zeros.size(); ++k)
    masks.push_back({actions[k].type, zeros[k].empty() ? nullptr : zeros[k].data()});
  const rte_flow_actions_template_attr actions_attr{.ingress = attr.ingress, .egress = attr.egress, .transfer = attr.transfer};
  rte_flow_actions_template* at = rte_flow_actions_template_create(port_id, &actions_attr, actions, masks.data(), &error);
  if (at == nullptr) {
    why = reason(error, rte_errno);
    rte_flow_pattern_template_destroy(port_id, pt, nullptr);
    return nullptr;
  }
  const rte_flow_template_table_attr table_attr{attr, rules};
  rte_flow_template_table* table = rte_flow_template_table_create(port_id, &table_attr, &pt, 1, &at, 1, &error);
  if (table == nullptr) {
    why = reason(error, rte_errno);
    rte_flow_actions_template_destroy(port_id, at, nullptr);
    rte_flow_pattern_template_destroy(port_id, pt, nullptr);
    return nullptr;
  }
  tables_[table] = Templates{port_id, pt, at};
  return table;
}

int RteFlowOps::destroy_table(uint16_t port_id, rte_flow_template_table* table, std::string& why) {
  rte_flow_error error{};
  const int rc = rte_flow_template_table_destroy(port_id, table, &error);
  if (rc != 0) why = reason(error, rc);
  if (auto it = tables_.find(table); it != tables_.end()) {
    rte_flow_actions_template_destroy(port_id, it->second.actions, nullptr);
    rte_flow_pattern_template_destroy(port_id, it->second.pattern, nullptr);
    tables_.erase(it);
  }
  return rc;
}

rte_flow* RteFlowOps::async_create(uint16_t port_id, rte_flow_template_table* table, const rte_flow_item* pattern,
                                   const rte_flow_action* actions, void* user_data, std::string& why) {
  rte_flow_error error{};
  rte_flow* rule = rte_flow_async_create(port_id, kControlQueue, &kPostponed, table, pattern, 0, actions, 0, user_data, &error);
  if (rule == nullptr) why = reason(error, rte_errno);
  return rule;
}

int RteFlowOps::async_destroy(uint16_t port_id, rte_flow* rule, void* user_data, std::string& why) {
  rte_flow_error error{};
  const int rc = rte_flow_async_destroy(port_id, kControlQueue, &kPostponed, rule, user_data, &error);
  if (rc != 0) why = reason(error, rc);
  return rc;
}

int RteFlowOps::push(uint16_t port_id, std::string& why) {
  rte_flow_error error{};
  const int rc = rte_flow_push(port_id, kControlQueue, &error);
  if (rc != 0) why = reason(error, rc);
  return rc;
}

int RteFlowOps::pull(uint16_t port_id, rte_flow_op_result* results, uint16_t n, std::string& why) {
  rte_flow_error error{};
  const int rc = rte_flow_pull(port_id, kControlQueue, results, n, &error);
  if (rc < 0) why = reason(error, rc);
  return rc;
}

}  // namespace sipedge::hw
