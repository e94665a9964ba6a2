// control/runtime/offload_view.cc — control lcore. See offload_view.h.
#include "control/runtime/offload_view.h"

namespace sipedge::control {

nlohmann::json offload_view(const std::vector<InterfaceConfig>& interfaces, const std::vector<hw::PortOffload>& offload) {
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < interfaces.size() && i < offload.size(); ++i) {
    const hw::PortOffload& p = offload[i];
    nlohmann::json media = nullptr;
    if (p.media) {
      media = {{"rewrite", p.media->rewrite == hw::RewriteKind::ModifyField ? "MODIFY_FIELD" : "SET"},
               {"aging", p.media->aging == hw::AgingKind::Age ? "AGE" : "COUNT"},
               {"egress", p.media->egress == hw::EgressKind::PortId ? "PORT_ID" : "REPRESENTED_PORT"}};
    }
    list.push_back({{"name", interfaces[i].name},
                    {"port", p.port_id},
                    {"steering", p.steering},
                    {"drop", p.drop},
                    {"media", media},
                    {"summary", hw::describe(p)},
                    {"refusal", p.refusal}});
  }
  return {{"interfaces", list}};
}

}  // namespace sipedge::control
