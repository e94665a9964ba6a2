// apps/sipedge.cc — the gateway executable: `sipedge --config FILE`. Loads the configuration
// (errors name file:line:col), starts EAL, runs the gateway until SIGINT/SIGTERM, then ends every
// call with BYE and exits cleanly. SIGHUP rereads the configuration (what may change live).
#include <rte_eal.h>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>

#include "apps/config_loader.h"
#include "apps/gateway/gateway.h"
#include "dataplane/eal.h"

namespace {

sipedge::apps::Gateway* g_gateway = nullptr;

void on_signal(int) {
  if (g_gateway) g_gateway->request_stop();
}

void on_hangup(int) {
  if (g_gateway) g_gateway->request_reload();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sipedge: SIP edge gateway (session border controller)"};
  std::string config_path;
  bool check_only = false;
  app.add_option("-c,--config", config_path, "TOML configuration file")->required();
  app.add_flag("--check", check_only, "validate the configuration and exit");
  CLI11_PARSE(app, argc, argv);

  sipedge::apps::GatewayConfig config;
  try {
    config = sipedge::apps::load_config_file(config_path);
  } catch (const sipedge::apps::ConfigError& e) {
    std::fprintf(stderr, "sipedge: configuration error: %s\n", e.what());
    return 2;
  }
  if (check_only) {
    std::printf("%s: OK (%zu interfaces, %zu users, %zu routes)\n", config_path.c_str(),
                config.control.interfaces.size(), config.control.users.size(), config.control.routes.size());
    return 0;
  }
  try {
    sipedge::dataplane::eal_init(config.dataplane.eal);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sipedge: cannot start DPDK: %s\n", e.what());
    return 3;
  }
  int status = 0;
  try {
    sipedge::apps::Gateway gateway(std::move(config), config_path);
    g_gateway = &gateway;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGHUP, on_hangup);
    gateway.run();
    g_gateway = nullptr;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sipedge: %s\n", e.what());
    status = 4;
  }
  rte_eal_cleanup();
  return status;
}
