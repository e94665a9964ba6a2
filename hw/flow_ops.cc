// hw/flow_ops.cc — control lcore. See flow_ops.h.
#include "hw/flow_ops.h"

#include <cstring>

#include <rte_errno.h>

namespace sipedge::hw {
namespace {

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

}  // namespace sipedge::hw
