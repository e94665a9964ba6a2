// control/runtime/dataplane_view.cc — control lcore. See dataplane_view.h.
#include "control/runtime/dataplane_view.h"

#include "rtp_relay/relay_counters.h"

namespace sipedge::control {

nlohmann::json dataplane_view(const std::vector<InterfaceConfig>& interfaces, const dataplane::Dataplane& dp,
                              const dataplane::MediaRelay& relay, const relay::FlowTable& table) {
  nlohmann::json out;
  nlohmann::json ifaces = nlohmann::json::array();
  for (const InterfaceConfig& i : interfaces) {
    nlohmann::json events, drops;
    for (unsigned e = 0; e < static_cast<unsigned>(dataplane::Event::kCount); ++e)
      events[std::string(dataplane::event_name(static_cast<dataplane::Event>(e)))] =
          dp.total(i.index, static_cast<dataplane::Event>(e));
    for (unsigned d = 0; d < static_cast<unsigned>(dataplane::Drop::kCount); ++d)
      drops[std::string(dataplane::drop_name(static_cast<dataplane::Drop>(d)))] =
          dp.total(i.index, static_cast<dataplane::Drop>(d));
    ifaces.push_back({{"name", i.name}, {"events", events}, {"drops", drops}});
  }
  out["interfaces"] = ifaces;
  const relay::RelayTotals t = relay.totals();
  nlohmann::json rdrops;
  for (size_t d = 0; d < relay::kRelayDropCount; ++d)
    rdrops[std::string(relay::relay_drop_name(static_cast<relay::RelayDrop>(d)))] = t.drops[d];
  out["relay"] = {{"rx_packets", t.rx_packets},
                  {"forwarded_packets", t.forwarded_packets},
                  {"forwarded_bytes", t.forwarded_bytes},
                  {"latched", t.latched},
                  {"drops", rdrops},
                  {"table_flows", table.size()}};
  return out;
}

nlohmann::json policy_view(const std::vector<parser::PolicyRule>& rules, const std::vector<InterfaceConfig>& interfaces,
                           dataplane::Dataplane& dp) {
  nlohmann::json list = nlohmann::json::array();
  for (const parser::PolicyRule& r : rules) {
    uint64_t hits = 0;
    for (unsigned l = 0; l <= dp.worker_count(); ++l) hits += dp.lcore_counters(l).policy_hits[r.id].get();
    const char* action = r.action == parser::PolicyAction::Drop ? "drop" : r.action == parser::PolicyAction::Ban ? "ban" : "tag";
    list.push_back({{"name", r.name}, {"id", r.id}, {"header", r.header}, {"pattern", r.regex}, {"action", action}, {"hits", hits}});
  }
  uint64_t dropped = 0, banned = 0;
  for (const InterfaceConfig& i : interfaces) {
    dropped += dp.total(i.index, dataplane::Drop::PolicyDrop);
    banned += dp.total(i.index, dataplane::Drop::Banned);
  }
  return {{"rules", list},
          {"dropped", dropped},
          {"banned_dropped", banned},
          {"ban_table", {{"size", dp.bans().size()}, {"capacity", dp.bans().capacity()}}}};
}

}  // namespace sipedge::control
