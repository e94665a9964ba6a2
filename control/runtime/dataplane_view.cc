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

void dataplane_metrics(PromText& out, const std::vector<InterfaceConfig>& interfaces, dataplane::Dataplane& dp,
                       const dataplane::MediaRelay& relay, const relay::FlowTable& table,
                       const std::vector<parser::PolicyRule>& rules) {
  out.family("sipedge_dataplane_events_total", "counter", "Packet events per interface, summed over every lcore.");
  for (const InterfaceConfig& i : interfaces)
    for (unsigned e = 0; e < dataplane::kEventCount; ++e) {
      const auto ev = static_cast<dataplane::Event>(e);
      out.sample("sipedge_dataplane_events_total", label("interface", i.name) + "," + label("event", dataplane::event_name(ev)),
                 dp.total(i.index, ev));
    }
  out.family("sipedge_dataplane_drops_total", "counter", "Packets dropped per interface and reason, summed over every lcore.");
  for (const InterfaceConfig& i : interfaces)
    for (unsigned d = 0; d < dataplane::kDropCount; ++d) {
      const auto dr = static_cast<dataplane::Drop>(d);
      out.sample("sipedge_dataplane_drops_total", label("interface", i.name) + "," + label("reason", dataplane::drop_name(dr)),
                 dp.total(i.index, dr));
    }
  const relay::RelayTotals t = relay.totals();
  out.family("sipedge_relay_rx_packets_total", "counter", "Media packets the relay received.");
  out.sample("sipedge_relay_rx_packets_total", "", t.rx_packets);
  out.family("sipedge_relay_forwarded_packets_total", "counter", "Media packets the relay forwarded.");
  out.sample("sipedge_relay_forwarded_packets_total", "", t.forwarded_packets);
  out.family("sipedge_relay_forwarded_bytes_total", "counter", "Media bytes the relay forwarded.");
  out.sample("sipedge_relay_forwarded_bytes_total", "", t.forwarded_bytes);
  out.family("sipedge_relay_drops_total", "counter", "Media packets the relay dropped, by reason.");
  for (size_t d = 0; d < relay::kRelayDropCount; ++d)
    out.sample("sipedge_relay_drops_total", label("reason", relay::relay_drop_name(static_cast<relay::RelayDrop>(d))), t.drops[d]);
  out.family("sipedge_relay_table_flows", "gauge", "Flow directions in the relay's table.");
  out.sample("sipedge_relay_table_flows", "", static_cast<uint64_t>(table.size()));
  out.family("sipedge_policy_hits_total", "counter", "Messages each signature rule matched.");
  for (const parser::PolicyRule& r : rules) {
    uint64_t hits = 0;
    for (unsigned l = 0; l <= dp.worker_count(); ++l) hits += dp.lcore_counters(l).policy_hits[r.id].get();
    out.sample("sipedge_policy_hits_total", label("rule", r.name), hits);
  }
  out.family("sipedge_ban_table_entries", "gauge", "Banned addresses in the lanes' table.");
  out.sample("sipedge_ban_table_entries", "", static_cast<uint64_t>(dp.bans().size()));
}

}  // namespace sipedge::control
