// apps/gateway/management.cc — control lcore. See management.h.
#include "apps/gateway/management.h"

#include <nlohmann/json.hpp>

#include "control/api/proxy_commands.h"
#include "dataplane/dataplane.h"
#include "dataplane/media_relay.h"
#include "rtp_relay/flow_table.h"
#include "rtp_relay/relay_counters.h"

namespace sipedge::apps {
namespace {

nlohmann::json dataplane_view(const GatewayConfig& config, const dataplane::Dataplane& dp, const dataplane::MediaRelay& relay,
                              const relay::FlowTable& table) {
  nlohmann::json out;
  nlohmann::json ifaces = nlohmann::json::array();
  for (const control::InterfaceConfig& i : config.control.interfaces) {
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

}  // namespace

Management::Management(const GatewayConfig& config, const control::Proxy& proxy, const control::MediaManager& media,
                       const dataplane::Dataplane& dataplane, const dataplane::MediaRelay& relay,
                       const relay::FlowTable& table) {
  control::CommandSet commands = control::proxy_commands(proxy, media, config.control, clock_);
  commands.names.push_back("dataplane");
  auto proxy_handler = std::move(commands.handler);
  server_.set_handler(
      [&config, &dataplane, &relay, &table, proxy_handler](const std::string& cmd, const nlohmann::json& request) {
        if (cmd == "dataplane") return dataplane_view(config, dataplane, relay, table);
        return proxy_handler(cmd, request);
      },
      commands.names);
}

}  // namespace sipedge::apps
