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

void merge_shard_answer(nlohmann::json& into, const nlohmann::json& from) {
  if (into.is_object() && from.is_object()) {
    for (auto it = from.begin(); it != from.end(); ++it) {
      auto mine = into.find(it.key());
      if (mine == into.end())
        into[it.key()] = it.value();
      else
        merge_shard_answer(*mine, it.value());
    }
  } else if (into.is_array() && from.is_array()) {
    for (const nlohmann::json& item : from) into.push_back(item);
  } else if (into.is_number_unsigned() && from.is_number_unsigned()) {
    into = into.get<uint64_t>() + from.get<uint64_t>();
  } else if (into.is_number_integer() && from.is_number_integer()) {
    into = into.get<int64_t>() + from.get<int64_t>();
  } else if (into.is_number() && from.is_number()) {
    into = into.get<double>() + from.get<double>();
  } else if (into.is_boolean() && from.is_boolean()) {
    into = into.get<bool>() || from.get<bool>();
  }
}

CommandSet sharded_commands(std::vector<CommandSet> shards) {
  CommandSet set;
  set.names = shards.front().names;
  set.handler = [shards = std::move(shards)](const std::string& cmd, const nlohmann::json& request) -> nlohmann::json {
    nlohmann::json answer = shards.front().handler(cmd, request);
    // The location table is replicated on every shard, the bans are common to all (EdgeGuards).
    if (cmd == "ping" || cmd == "registrations" || cmd == "bans" || cmd == "unban" || answer.contains("error"))
      return answer;
    const nlohmann::json registrations =
        cmd == "stats" ? answer["state"]["registrations"] : nlohmann::json();
    for (size_t s = 1; s < shards.size(); ++s) merge_shard_answer(answer, shards[s].handler(cmd, request));
    if (cmd == "stats") {
      answer["state"]["registrations"] = registrations;
      answer["shards"] = shards.size();
    }
    return answer;
  };
  return set;
}

}  // namespace sipedge::control
