// control/api/logging.h — any thread (spdlog loggers are thread-safe). sipedge's log: one spdlog
// logger per component, each with its own level (`[log] components`, `sipedgectl log LEVEL
// [COMPONENT]`), all writing to stderr through one rate-limited sink, so a flood (a scanner, a ban
// storm, a broken peer) cannot fill a disk: lines past `lines_per_s` are dropped and counted, and
// how many were dropped is logged once the rate falls again.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sipedge::logs {

enum class Component : uint8_t {
  Main,      // start, stop, reload, what the ports offer
  Sip,       // signalling: refused and malformed requests (debug)
  Security,  // bans and their ends
  Overload,  // overload episodes
  Hw,        // NIC rules refused or running out
  Ops,       // captures, management
  kCount
};
std::string_view component_name(Component c) noexcept;
std::optional<Component> component_named(std::string_view name) noexcept;

// The component's logger (created, at level info, on first use).
spdlog::logger& of(Component c);

// At most `lines_per_s` lines a second (bursts up to that many), for every component together.
void set_rate(uint32_t lines_per_s);
// One component's level, or every component's when `component` is empty. False for a name that
// is no component.
bool set_level(std::string_view component, spdlog::level::level_enum level);
// Every component's level by name ("info", "debug", ...).
std::map<std::string, std::string> levels();
// Lines dropped by the rate limit since start.
uint64_t suppressed();

}  // namespace sipedge::logs
