// control/api/proxy_commands.cc — control lcore only. See proxy_commands.h.
#include "control/api/proxy_commands.h"

#include "control/api/views.h"

namespace sipedge::control {

CommandSet proxy_commands(Proxy& proxy, const MediaManager& media, const ControlConfig& config,
                          const Clock& clock) {
  CommandSet set;
  set.names = {"ping", "calls", "registrations", "transactions", "flows", "stats", "bans", "unban"};
  set.handler = [&proxy, &media, &config, &clock](const std::string& cmd, const nlohmann::json& request) -> nlohmann::json {
    if (cmd == "ping") return {{"pong", true}};
    if (cmd == "bans") return bans_view(proxy, clock.monotonic_ms());
    if (cmd == "unban") {
      const auto a = request.find("addr");
      const std::optional<IpAddr> addr =
          a != request.end() && a->is_string() ? IpAddr::parse(a->get<std::string>()) : std::nullopt;
      if (!addr) return {{"error", "unban needs {\"addr\": an IPv4 or IPv6 address}"}};
      return {{"addr", addr->to_string()}, {"lifted", proxy.bans().lift(*addr)}};
    }
    if (cmd == "calls") return calls_view(proxy.calls(), media);
    if (cmd == "registrations") return registrations_view(proxy.location(), clock.monotonic_ms());
    if (cmd == "transactions") return transactions_view(proxy.transactions());
    if (cmd == "flows") return flows_view(media, config.interfaces);
    if (cmd == "stats") {
      const TransportCounters& tx = proxy.transport_counters();
      return {{"proxy", proxy_stats_view(proxy.counters())},
              {"transport", {{"sent", tx.sent}, {"failed", tx.failed}}},
              {"state",
               {{"calls", proxy.calls().size()},
                {"transactions", proxy.transactions().size()},
                {"registrations", proxy.location().size()},
                {"media_sessions", media.session_count()},
                {"flows", media.flow_count()},
                {"proxy_contexts", proxy.context_count()}}}};
    }
    return {{"error", "unknown command '" + cmd + "'"}};
  };
  return set;
}

}  // namespace sipedge::control
