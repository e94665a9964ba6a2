// apps/config_reload.h — control lcore (a reload runs between SIP messages). What a configuration
// reload may change while calls run, and what needs a restart. Reloadable: domains, realm and digest
// settings, users (passwords, forwarding), trusted prefixes, routes, signalling mode (for new
// calls), default interface, timers, registrar expiries and keepalives, forwarding and redirect
// limits, session timers, lockout and ban settings, rate limits, overload action, Server header. Restart-only: EAL, ports, interface
// addresses and SIP/media ports, management socket, metrics address, CDR path, relay size, media
// timeout, signature rules (compiled into every lane), NIC settings.
#pragma once

#include <optional>
#include <string>

#include "apps/config_loader.h"

namespace sipedge::apps {

// The first restart-only setting that differs between the running and the new configuration, as
// "KEY: OLD -> NEW"; nullopt when every difference may be applied live.
std::optional<std::string> restart_only_change(const GatewayConfig& running, const GatewayConfig& next);

// Copies every reloadable setting of `next` into `running` (the objects the control plane reads
// by reference); restart-only settings stay. The proxy then takes over what it keeps copies of
// (Proxy::reconfigure).
void apply_reloadable(GatewayConfig& running, const GatewayConfig& next);

}  // namespace sipedge::apps
