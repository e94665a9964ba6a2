// apps/config_reload.cc — control lcore. See config_reload.h.
#include "apps/config_reload.h"

#include <sstream>
#include <vector>

namespace sipedge::apps {
namespace {

std::string text(const std::optional<IpPrefix>& p) {
  return p ? p->addr.to_string() + "/" + std::to_string(p->length) : "-";
}
std::string text(const std::optional<IpAddr>& a) { return a ? a->to_string() : "-"; }
template <class T>
std::string join(const std::vector<T>& v) {
  std::ostringstream os;
  for (size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
  return os.str();
}

// Every restart-only setting as "key = value" lines, in a fixed order.
std::vector<std::pair<std::string, std::string>> restart_only(const GatewayConfig& c) {
  std::vector<std::pair<std::string, std::string>> kv;
  // First, so that adding or removing one is reported as such, not as the first key that moved.
  kv.emplace_back("interfaces", std::to_string(c.control.interfaces.size()));
  const dataplane::EalConfig& e = c.dataplane.eal;
  kv.emplace_back("eal.main_lcore", std::to_string(e.main_lcore));
  kv.emplace_back("eal.worker_lcores", join(e.worker_lcores));
  kv.emplace_back("eal.shard_lcores", join(e.shard_lcores));
  kv.emplace_back("eal.memory_mb", std::to_string(e.memory_mb));
  kv.emplace_back("eal.no_huge", e.no_huge ? std::to_string(*e.no_huge) : "auto");
  kv.emplace_back("eal.file_prefix", e.file_prefix);
  kv.emplace_back("eal.in_memory", std::to_string(e.in_memory));
  kv.emplace_back("eal.no_pci", std::to_string(e.no_pci));
  kv.emplace_back("eal.vdevs", join(e.vdevs));
  kv.emplace_back("eal.pci_allow", join(e.pci_allow));
  kv.emplace_back("eal.log_level", e.log_level);
  kv.emplace_back("eal.extra_args", join(e.extra_args));
  const dataplane::DataplaneConfig& d = c.dataplane;
  kv.emplace_back("dataplane.sip_ports", join(d.sip_ports));
  kv.emplace_back("dataplane.media_ports", std::to_string(d.media_port_min) + "-" + std::to_string(d.media_port_max));
  kv.emplace_back("dataplane.idle_backoff", std::to_string(d.idle.enabled) + "/" + std::to_string(d.idle.spin_us) + "/" +
                                               std::to_string(d.idle.pause_us) + "/" + std::to_string(d.idle.sleep_max_us));
  kv.emplace_back("dataplane.mbufs", std::to_string(d.mbufs));
  kv.emplace_back("dataplane.relay_flows", std::to_string(c.relay_flows));
  kv.emplace_back("dataplane.idle_check_s", std::to_string(c.idle_check_s));
  for (size_t i = 0; i < d.ports.size(); ++i) {
    const dataplane::PortConfig& p = d.ports[i];
    const std::string k = "interface[" + std::to_string(i) + "].";
    kv.emplace_back(k + "device", p.device);
    kv.emplace_back(k + "ipv4", text(p.ipv4));
    kv.emplace_back(k + "ipv6", text(p.ipv6));
    kv.emplace_back(k + "gateway4", text(p.gateway4));
    kv.emplace_back(k + "gateway6", text(p.gateway6));
    kv.emplace_back(k + "vlan", std::to_string(p.vlan));
    kv.emplace_back(k + "mtu", std::to_string(p.mtu));
    kv.emplace_back(k + "checksum_offload", std::to_string(p.checksum_offload));
    kv.emplace_back(k + "mac", p.mac ? std::string(reinterpret_cast<const char*>(p.mac->data()), 6) : "-");
  }
  for (const control::InterfaceConfig& i : c.control.interfaces) {
    const std::string k = "interface[" + std::to_string(i.index) + "].";
    kv.emplace_back(k + "name", i.name);
    kv.emplace_back(k + "role", i.role == control::InterfaceRole::Access ? "access" : "core");
    kv.emplace_back(k + "sip_port", std::to_string(i.sip_port));
    kv.emplace_back(k + "media_address", i.media_address.to_string());
    std::string extra;
    for (const IpAddr& a : i.extra_media_addresses) extra += a.to_string() + " ";
    kv.emplace_back(k + "media_addresses", extra);
    kv.emplace_back(k + "media_ports", std::to_string(i.media_port_min) + "-" + std::to_string(i.media_port_max));
  }
  kv.emplace_back("management.socket", c.control.management_socket);
  kv.emplace_back("management.trace_calls", std::to_string(c.control.trace_calls));
  kv.emplace_back("metrics.listen", c.control.metrics_listen);
  kv.emplace_back("hep", c.control.hep.collector.to_string() + "/" + std::to_string(c.control.hep.capture_id) + "/" +
                             c.control.hep.password);
  kv.emplace_back("cdr.path", c.control.cdr_path);
  kv.emplace_back("sip.overload_wait_ms", std::to_string(c.overload_wait_ms));
  kv.emplace_back("media.timeout_s", std::to_string(c.control.media.timeout_s));
  kv.emplace_back("media.strict_source", std::to_string(c.control.media.strict_source));
  kv.emplace_back("hw.drop_rules", std::to_string(c.nic_drop_rules) + "/" + std::to_string(c.max_drop_rules));
  kv.emplace_back("hw.offload", std::to_string(static_cast<int>(c.offload)) + "/" + std::to_string(c.max_media_rules) + "/" +
                                   std::to_string(c.rule_insert_rate));
  return kv;
}

}  // namespace

std::optional<std::string> restart_only_change(const GatewayConfig& running, const GatewayConfig& next) {
  const auto a = restart_only(running), b = restart_only(next);
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].second != b[i].second) return a[i].first + ": " + a[i].second + " -> " + b[i].second;
  }
  return std::nullopt;
}

void apply_reloadable(GatewayConfig& running, const GatewayConfig& next) {
  control::ControlConfig& r = running.control;
  const control::ControlConfig& n = next.control;
  r.domains = n.domains;
  r.realm = n.realm;
  r.auth = n.auth;
  r.users = n.users;
  r.trusted = n.trusted;
  // Routes as a whole: contexts in flight keep only their targets (addresses), never a route index
  // past what the new list holds (targets.cc checks).
  r.routes = n.routes;
  r.default_mode = n.default_mode;  // new calls; a call keeps the mode it started in
  r.default_interface = n.default_interface;
  r.timers = n.timers;
  r.registration_min_expires_s = n.registration_min_expires_s;
  r.registration_max_expires_s = n.registration_max_expires_s;
  r.registration_default_expires_s = n.registration_default_expires_s;
  r.nat_keepalive_s = n.nat_keepalive_s;
  r.timer_c_s = n.timer_c_s;
  r.forward_max_depth = n.forward_max_depth;
  r.max_redirects = n.max_redirects;
  r.session_expires_s = n.session_expires_s;
  r.min_se_s = n.min_se_s;
  r.user_agent = n.user_agent;
  // Security settings, signature rules included (the caller gives the lanes their new matchers).
  r.security.policy_rules = n.security.policy_rules;
  r.security.lockout = n.security.lockout;
  r.security.ban_s = n.security.ban_s;
  r.security.ban_max_s = n.security.ban_max_s;
  r.security.trusted_rate = n.security.trusted_rate;
  r.security.overload_drop = n.security.overload_drop;
  for (size_t i = 0; i < r.interfaces.size() && i < n.interfaces.size(); ++i) r.interfaces[i].rate_limit = n.interfaces[i].rate_limit;
  running.log_level = next.log_level;
  running.log_components = next.log_components;
  running.log_lines_per_s = next.log_lines_per_s;
}

}  // namespace sipedge::apps
