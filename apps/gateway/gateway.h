// apps/gateway/gateway.h — main thread: the sipedge process's wiring. Builds the relay's flow table,
// the dataplane, the control lcore's I/O, media manager, proxy and management socket from one
// configuration, hands them to the control loop (control/runtime) and tears them down in order.
// Nothing here runs per message.
#pragma once

#include <memory>

#include "apps/config_loader.h"

namespace sipedge::apps {

class Gateway {
 public:
  // EAL must be running. Throws std::runtime_error when a resource cannot be created.
  // `config_path`: where a reload rereads the configuration ("" = no reloads).
  explicit Gateway(GatewayConfig config, std::string config_path = {});
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Runs the control loop on this (main) lcore until request_stop(): every call ends with BYE both
  // ways, the BYEs leave, then it returns.
  void run();
  // Async-signal-safe.
  void request_stop() noexcept;
  // Async-signal-safe (SIGHUP): the control lcore rereads the configuration between messages.
  void request_reload() noexcept;
  // Control lcore: rereads the configuration file and applies what may change live
  // (apps/config_reload.h). "" when applied; else why nothing changed (a file:line:col error, or
  // the restart-only setting that differs).
  std::string reload();

 private:
  struct Shard;
  struct Parts;
  GatewayConfig config_;
  std::string config_path_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace sipedge::apps
