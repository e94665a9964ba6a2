// apps/gateway/management.h — control lcore. The gateway's management socket: the proxy's commands
// (control/api/proxy_commands.h) plus "dataplane" (per-interface packet events and drops, relay
// totals), all answered from inside the control loop without locks.
#pragma once

#include <memory>
#include <string>

#include "apps/config_loader.h"
#include "common/clock.h"
#include "control/api/management_server.h"

namespace sipedge::control {
class Proxy;
class MediaManager;
}  // namespace sipedge::control
namespace sipedge::dataplane {
class Dataplane;
class MediaRelay;
}  // namespace sipedge::dataplane
namespace sipedge::relay {
class FlowTable;
}

namespace sipedge::apps {

class Management {
 public:
  Management(const GatewayConfig& config, const control::Proxy& proxy, const control::MediaManager& media,
             const dataplane::Dataplane& dataplane, const dataplane::MediaRelay& relay, const relay::FlowTable& table);
  bool open(const std::string& path) { return server_.open(path); }
  unsigned poll() { return server_.is_open() ? server_.poll() : 0; }

 private:
  SystemClock clock_;
  control::ManagementServer server_{clock_};
};

}  // namespace sipedge::apps
