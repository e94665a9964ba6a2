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

}  // namespace sipedge::control
