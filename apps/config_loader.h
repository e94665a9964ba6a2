// apps/config_loader.h — startup (main thread). Reads sipedge's TOML configuration (toml++) into the
// dataplane's and the control plane's settings. Every problem is reported as
// "FILE:LINE:COL: what was expected"; unknown keys are errors, so a typo never silently falls back
// to a default. Throws ConfigError (exceptions only at this edge).
#pragma once

#include <spdlog/common.h>

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include "control/config.h"
#include "dataplane/config.h"
#include "hw/offload_manager.h"

namespace sipedge::apps {

struct GatewayConfig {
  dataplane::DataplaneConfig dataplane;
  control::ControlConfig control;
  uint32_t relay_flows = 65536;  // per IP version
  uint32_t idle_check_s = 5;     // how often the relay sweeps for silent flows
  uint32_t overload_wait_ms = 200;  // [sip] overload_wait_ms: ring wait that turns overload control on (0: off)
  bool nic_drop_rules = true;       // [hw] drop_rules: banned sources dropped by the NIC where ports take it
  uint32_t max_drop_rules = 4096;   // [hw] max_drop_rules: banned addresses given NIC rules at most
  hw::OffloadMode offload = hw::OffloadMode::Auto;  // [hw] offload: media rules on the NIC
  uint32_t max_media_rules = 65536;  // [hw] max_rules: media directions given NIC rules at most
  uint32_t rule_insert_rate = 8000;  // [hw] insert_rate: media rules inserted per second at most
  // [log]: every component's level, then the ones named in `components`; lines a second at most.
  spdlog::level::level_enum log_level = spdlog::level::info;
  std::map<std::string, spdlog::level::level_enum> log_components;
  uint32_t log_lines_per_s = 200;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `source_name` names the text in error messages (the file path).
GatewayConfig load_config_string(std::string_view toml_text, std::string_view source_name);
GatewayConfig load_config_file(const std::string& path);

}  // namespace sipedge::apps
