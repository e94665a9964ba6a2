// control/api/proxy_commands.h — control lcore only. The management commands of a proxy-mode
// gateway (ping, calls, registrations, transactions, flows, stats, bans, unban), ready for
// ManagementServer::set_handler. sipedgectl speaks exactly these names.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "control/api/management_server.h"
#include "control/config.h"
#include "control/media/media_manager.h"
#include "control/proxy/proxy.h"

namespace sipedge::control {

struct CommandSet {
  std::vector<std::string> names;
  ManagementServer::Handler handler;
};

// The handler reads `proxy`, `media`, `config` and `clock` on every request: all must outlive it.
// "stats" answers {"proxy":{counters},"state":{"calls","transactions","registrations",
// "media_sessions","flows","proxy_contexts"}} — the "nothing left behind" check in one request.
// "unban" takes {"addr":"192.0.2.1"} and answers {"lifted":true|false}, or an error for a bad address.
CommandSet proxy_commands(Proxy& proxy, const MediaManager& media, const ControlConfig& config,
                          const Clock& clock);

// The same commands over several control shards (issue 14 §2): every shard answers and the answers
// are merged: numbers added, lists joined, flags or-ed, text from shard 0. Registrations (the
// location table is replicated on every shard) and bans (common to all, EdgeGuards) are shard 0's. The caller keeps the
// shards still while the handler runs (ShardSet::pause_others).
CommandSet sharded_commands(std::vector<CommandSet> shards);
// `from` merged into `into` as sharded_commands merges two shards' answers.
void merge_shard_answer(nlohmann::json& into, const nlohmann::json& from);

}  // namespace sipedge::control
