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

nlohmann::json media_rules_view(const hw::OffloadManager* rules, hw::OffloadMode mode, size_t max_rules, size_t waiting) {
  const char* mode_name = mode == hw::OffloadMode::Off ? "off" : mode == hw::OffloadMode::Required ? "required" : "auto";
  if (rules == nullptr) return {{"mode", mode_name}, {"active", false}};
  const hw::OffloadManager::Stats& st = rules->stats();
  nlohmann::json software = nlohmann::json::object();
  for (size_t r = 0; r < st.software.size(); ++r)
    software[hw::software_reason_name(static_cast<hw::SoftwareReason>(r))] = st.software[r];
  return {{"mode", mode_name},
          {"active", true},
          {"rules", rules->rules()},
          {"max_rules", max_rules},
          {"installed", st.installed},
          {"removed", st.removed},
          {"swaps", st.swaps},
          {"waiting", waiting},
          {"async_ops_in_flight", rules->ops_in_flight()},
          {"software", software},
          {"insert_latency_us",
           {{"p50", rules->insert_latency_ns(50) / 1000.0}, {"p99", rules->insert_latency_ns(99) / 1000.0}}},
          {"last_refusal", rules->last_refusal()}};
}

nlohmann::json relay_flows_view(const relay::FlowTable& table, const RtpRelayBackend& backend, size_t limit) {
  nlohmann::json flows = nlohmann::json::array();
  table.for_each([&](const relay::FlowInfo& f) {
    if (flows.size() >= limit) return;
    const FlowBackend::Handle h = RtpRelayBackend::handle_of(f.handle);
    nlohmann::json sides = nlohmann::json::array();
    for (int d = 0; d < 2; ++d) {
      const relay::EndpointSpec& s = f.spec.side[static_cast<size_t>(d)];
      const relay::SideStats& st = f.stats.side[static_cast<size_t>(d)];
      const RtpRelayBackend::DirectionPlacement at = backend.placement(h, d);
      const bool any = relay::any_host(s.remote_addr);
      sides.push_back({{"local", Endpoint{s.local_addr, s.local_port}.to_string()},
                       {"peer", st.latched ? Endpoint{st.latched_addr, st.latched_port}.to_string()
                                           : (any ? std::string("*") : s.remote_addr.to_string()) + ":" +
                                                 std::to_string(s.remote_port)},
                       {"latched", st.latched},
                       {"path", at.offloaded ? "nic" : at.pending ? "nic-pending" : "software"},
                       {"software_packets", st.packets},
                       {"nic_packets", at.nic_packets},
                       {"nic_bytes", at.nic_bytes},
                       {"rejected", st.rejected},
                       {"software_reason", at.software_reason ? hw::software_reason_name(*at.software_reason) : ""}});
    }
    flows.push_back({{"flow", std::to_string(f.handle.index) + "." + std::to_string(f.handle.generation)}, {"sides", sides}});
  });
  return {{"count", table.size()}, {"shown", flows.size()}, {"flows", flows}};
}

}  // namespace sipedge::control
