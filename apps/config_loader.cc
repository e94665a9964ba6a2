// apps/config_loader.cc — startup (main thread). See config_loader.h. The schema is the set of
// keys each table accepts; values are checked as they are read so the error points at them.
#include "apps/config_loader.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "common/shard.h"
#include "control/api/logging.h"
#include "dataplane/interface.h"
#include "control/proxy/b2bua_policy.h"
#include "parser/header_id.h"
#include "parser/uri.h"

namespace sipedge::apps {
namespace {

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const toml::node* node, const std::string& what) const {
    std::ostringstream os;
    os << source_;
    if (node) os << ":" << node->source().begin.line << ":" << node->source().begin.column;
    os << ": " << what;
    throw ConfigError(os.str());
  }

  void only_keys(const toml::table& t, std::string_view table, std::initializer_list<std::string_view> keys) const {
    for (const auto& [k, v] : t) {
      bool known = false;
      for (std::string_view allowed : keys) known |= k.str() == allowed;
      if (!known) {
        std::string list;
        for (std::string_view allowed : keys) list += (list.empty() ? "" : ", ") + std::string(allowed);
        fail(&v, "unknown key '" + std::string(k.str()) + "' in [" + std::string(table) + "] (expected one of: " + list + ")");
      }
    }
  }

  const toml::table* table(const toml::table& parent, std::string_view key, std::string_view path) const {
    const toml::node* n = parent.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(n, "expected [" + std::string(path) + "] to be a table");
    return n->as_table();
  }

  std::string str(const toml::table& t, std::string_view key, std::string_view path, std::string dflt = {},
                  bool required = false) const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) fail(&t, "missing required key '" + std::string(key) + "' in " + std::string(path));
      return dflt;
    }
    if (!n->is_string()) fail(n, std::string(path) + "." + std::string(key) + ": expected a string");
    return std::string(n->as_string()->get());
  }

  int64_t integer(const toml::table& t, std::string_view key, std::string_view path, int64_t dflt, int64_t lo,
                  int64_t hi) const {
    const toml::node* n = t.get(key);
    if (!n) return dflt;
    if (!n->is_integer()) fail(n, std::string(path) + "." + std::string(key) + ": expected an integer");
    const int64_t v = n->as_integer()->get();
    if (v < lo || v > hi)
      fail(n, std::string(path) + "." + std::string(key) + ": expected an integer in [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + "], got " + std::to_string(v));
    return v;
  }

  bool boolean(const toml::table& t, std::string_view key, std::string_view path, bool dflt) const {
    const toml::node* n = t.get(key);
    if (!n) return dflt;
    if (!n->is_boolean()) fail(n, std::string(path) + "." + std::string(key) + ": expected true or false");
    return n->as_boolean()->get();
  }

  std::vector<std::string> strings(const toml::table& t, std::string_view key, std::string_view path) const {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    if (!n->is_array()) fail(n, std::string(path) + "." + std::string(key) + ": expected an array of strings");
    for (const toml::node& e : *n->as_array()) {
      if (!e.is_string()) fail(&e, std::string(path) + "." + std::string(key) + ": expected an array of strings");
      out.emplace_back(e.as_string()->get());
    }
    return out;
  }

  std::vector<int64_t> integers(const toml::table& t, std::string_view key, std::string_view path) const {
    std::vector<int64_t> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    if (!n->is_array()) fail(n, std::string(path) + "." + std::string(key) + ": expected an array of integers");
    for (const toml::node& e : *n->as_array()) {
      if (!e.is_integer()) fail(&e, std::string(path) + "." + std::string(key) + ": expected an array of integers");
      out.push_back(e.as_integer()->get());
    }
    return out;
  }

  const toml::node* node(const toml::table& t, std::string_view key) const { return t.get(key); }

 private:
  std::string source_;
};

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  // "10.0.0.1:5060", "[2001:db8::1]:5060", or an address alone (port 5060).
  std::string_view host = text;
  uint16_t port = 5060;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return std::nullopt;
      std::string_view p = text.substr(close + 2);
      auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
      if (ec != std::errc() || ptr != p.data() + p.size() || port == 0) return std::nullopt;
    }
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    std::string_view p = text.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || ptr != p.data() + p.size() || port == 0) return std::nullopt;
  }
  auto ip = IpAddr::parse(host);
  if (!ip) return std::nullopt;
  return Endpoint{*ip, port};
}

// [sip] mode and [[route]] mode: "proxy" (the default) or "b2bua".
control::SignallingMode read_mode(const Reader& r, const toml::table& t, const std::string& path) {
  const std::string mode = r.str(t, "mode", path, "proxy");
  if (mode == "proxy") return control::SignallingMode::Proxy;
  if (mode == "b2bua") return control::SignallingMode::B2bua;
  r.fail(r.node(t, "mode"), path + ": expected \"proxy\" or \"b2bua\", got \"" + mode + "\"");
}

// A route's hide_headers / pass_headers, lower-cased. Headers a B2BUA rebuilds on every leg (Via,
// Call-ID, Contact...) cannot be passed: their other-leg values are the topology it hides.
std::vector<std::string> header_names(const Reader& r, const toml::table& t, std::string_view key,
                                      const std::string& route) {
  std::vector<std::string> names = r.strings(t, key, "route '" + route + "'");
  for (std::string& n : names) {
    for (char& c : n) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (n.empty() || n.find_first_of(" :\t\r\n") != std::string::npos)
      r.fail(r.node(t, key), "route '" + route + "'." + std::string(key) + ": expected header names, got \"" + n + "\"");
    if (key == "pass_headers" && control::b2bua_rebuilt_header(parser::header_id_lookup(n)))
      r.fail(r.node(t, key), "route '" + route + "'.pass_headers: " + n +
                                 " is rebuilt on each leg in b2bua mode and never passes across");
  }
  return names;
}

bool is_lower_hex(const std::string& s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// [policy] and its [[policy.rule]] tables: the built-in scanner signatures (ids 1..4, on unless
// default_rules = false) with default_action, then the operator's rules in order. Every rule is
// checked by Hyperscan here, so a bad regex is reported at its own table.
void read_policy(const Reader& r, const toml::table& root, control::SecurityConfig& sec) {
  const toml::table* p = r.table(root, "policy", "policy");
  auto action_of = [&](const toml::table& t, std::string_view key, std::string_view path, parser::PolicyAction dflt) {
    if (!r.node(t, key)) return dflt;
    const std::string a = r.str(t, key, path);
    if (a == "drop") return parser::PolicyAction::Drop;
    if (a == "ban") return parser::PolicyAction::Ban;
    if (a == "tag") return parser::PolicyAction::Tag;
    r.fail(r.node(t, key), std::string(path) + "." + std::string(key) + ": expected \"drop\", \"ban\" or \"tag\", got \"" + a + "\"");
  };
  bool defaults = true;
  parser::PolicyAction default_action = parser::PolicyAction::Drop;
  if (p) {
    r.only_keys(*p, "policy", {"default_rules", "default_action", "rule"});
    defaults = r.boolean(*p, "default_rules", "policy", true);
    default_action = action_of(*p, "default_action", "policy", parser::PolicyAction::Drop);
  }
  std::vector<parser::PolicyRule> rules;
  if (defaults) {
    const parser::PolicyRules known = parser::PolicyRules::known_scanners();
    for (const parser::PolicyRule& k : known.rules()) {
      rules.push_back(k);
      rules.back().action = default_action;
    }
  }
  const toml::node* list = p ? p->get("rule") : nullptr;
  if (list && !list->is_array_of_tables()) r.fail(list, "expected [[policy.rule]] tables");
  static const toml::array kNoRules;
  uint16_t next_id = parser::kRuleVaxSip + 1;
  for (const toml::node& n : list ? *list->as_array() : kNoRules) {
    const toml::table& t = *n.as_table();
    r.only_keys(t, "[policy.rule]", {"name", "header", "pattern", "action", "caseless"});
    parser::PolicyRule rule;
    rule.id = next_id++;
    rule.name = r.str(t, "name", "policy.rule", {}, true);
    for (const parser::PolicyRule& other : rules)
      if (other.name == rule.name) r.fail(r.node(t, "name"), "policy.rule.name: '" + rule.name + "' is used twice");
    rule.header = r.str(t, "header", "policy.rule");
    rule.regex = r.str(t, "pattern", "policy.rule", {}, true);
    rule.action = action_of(t, "action", "policy.rule", parser::PolicyAction::Drop);
    rule.caseless = r.boolean(t, "caseless", "policy.rule", true);
    if (rule.id > parser::kMaxPolicyRules)
      r.fail(&t, "policy.rule '" + rule.name + "': at most " + std::to_string(parser::kMaxPolicyRules) + " rules, built-in ones included");
    auto one = parser::PolicyRules::build({rule});
    if (!one) r.fail(&t, "policy.rule '" + rule.name + "': " + one.error().message);
    rules.push_back(std::move(rule));
  }
  sec.policy_rules = std::move(rules);
}

}  // namespace

GatewayConfig load_config_string(std::string_view text, std::string_view source_name) {
  const Reader r{std::string(source_name)};
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << source_name << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    throw ConfigError(os.str());
  }
  r.only_keys(root, "top level",
              {"eal", "dataplane", "interface", "sip", "timers", "registrar", "auth", "user", "route", "media", "cdr",
               "management", "policy", "hw", "metrics", "hep", "log"});
  GatewayConfig cfg;
  dataplane::DataplaneConfig& dp = cfg.dataplane;
  control::ControlConfig& cc = cfg.control;

  if (const toml::table* eal = r.table(root, "eal", "eal")) {
    r.only_keys(*eal, "eal",
                {"main_lcore", "worker_lcores", "shard_lcores", "memory_mb", "no_huge", "file_prefix", "in_memory", "no_pci", "vdevs",
                 "pci_allow", "log_level", "extra_args"});
    dp.eal.main_lcore = static_cast<unsigned>(r.integer(*eal, "main_lcore", "eal", 0, 0, 1023));
    for (int64_t l : r.integers(*eal, "worker_lcores", "eal")) {
      if (l < 0 || l > 1023) r.fail(r.node(*eal, "worker_lcores"), "eal.worker_lcores: lcore ids are 0..1023");
      dp.eal.worker_lcores.push_back(static_cast<unsigned>(l));
    }
    std::set<int64_t> taken{dp.eal.main_lcore};
    taken.insert(dp.eal.worker_lcores.begin(), dp.eal.worker_lcores.end());
    for (int64_t l : r.integers(*eal, "shard_lcores", "eal")) {
      if (l < 0 || l > 1023) r.fail(r.node(*eal, "shard_lcores"), "eal.shard_lcores: lcore ids are 0..1023");
      if (!taken.insert(l).second)
        r.fail(r.node(*eal, "shard_lcores"),
               "eal.shard_lcores: lcore " + std::to_string(l) + " is already the main lcore, a worker or another shard");
      dp.eal.shard_lcores.push_back(static_cast<unsigned>(l));
    }
    if (dp.eal.shard_lcores.size() + 1 > kMaxControlShards)
      r.fail(r.node(*eal, "shard_lcores"),
             "eal.shard_lcores: at most " + std::to_string(kMaxControlShards - 1) + " (shard 0 is main_lcore)");
    dp.eal.memory_mb = static_cast<unsigned>(r.integer(*eal, "memory_mb", "eal", 512, 64, 1 << 20));
    if (r.node(*eal, "no_huge")) dp.eal.no_huge = r.boolean(*eal, "no_huge", "eal", true);
    dp.eal.file_prefix = r.str(*eal, "file_prefix", "eal", "sipedge");
    dp.eal.in_memory = r.boolean(*eal, "in_memory", "eal", false);
    dp.eal.no_pci = r.boolean(*eal, "no_pci", "eal", false);
    dp.eal.vdevs = r.strings(*eal, "vdevs", "eal");
    dp.eal.pci_allow = r.strings(*eal, "pci_allow", "eal");
    dp.eal.log_level = r.str(*eal, "log_level", "eal");
    dp.eal.extra_args = r.strings(*eal, "extra_args", "eal");
  }
  if (const toml::table* d = r.table(root, "dataplane", "dataplane")) {
    r.only_keys(*d, "dataplane", {"idle_backoff", "mbufs", "relay_flows", "idle_check_s", "spin_us", "pause_us", "sleep_max_us"});
    dp.idle.enabled = r.boolean(*d, "idle_backoff", "dataplane", true);
    dp.idle.spin_us = static_cast<uint32_t>(r.integer(*d, "spin_us", "dataplane", 20, 0, 100000));
    dp.idle.pause_us = static_cast<uint32_t>(r.integer(*d, "pause_us", "dataplane", 50, 0, 100000));
    dp.idle.sleep_max_us = static_cast<uint32_t>(r.integer(*d, "sleep_max_us", "dataplane", 100, 1, 100000));
    dp.mbufs = static_cast<uint32_t>(r.integer(*d, "mbufs", "dataplane", 8191, 1023, 1 << 24));
    cfg.relay_flows = static_cast<uint32_t>(r.integer(*d, "relay_flows", "dataplane", 65536, 16, 16 << 20));
    cfg.idle_check_s = static_cast<uint32_t>(r.integer(*d, "idle_check_s", "dataplane", 5, 1, 3600));
  }

  const toml::node* ifs = root.get("interface");
  if (!ifs) r.fail(nullptr, "no [[interface]]: at least one interface is required");
  if (!ifs->is_array_of_tables()) r.fail(ifs, "expected [[interface]] tables");
  std::set<uint16_t> sip_ports;
  uint16_t media_min = 65535, media_max = 0;
  uint16_t index = 0;
  for (const toml::node& n : *ifs->as_array()) {
    const toml::table& t = *n.as_table();
    const std::string path = "interface[" + std::to_string(index) + "]";
    r.only_keys(t, "[interface]",
                {"name", "device", "role", "ipv4", "ipv6", "gateway4", "gateway6", "vlan", "mtu", "mac", "sip_port",
                 "media_ports", "media_address", "media_addresses", "rate_limit", "rate_burst", "checksum_offload"});
    dataplane::PortConfig port;
    control::InterfaceConfig ic;
    ic.index = index;
    ic.name = r.str(t, "name", path, {}, true);
    for (const control::InterfaceConfig& other : cc.interfaces)
      if (other.name == ic.name) r.fail(r.node(t, "name"), path + ".name: '" + ic.name + "' is used twice");
    port.device = r.str(t, "device", path, {}, true);
    const std::string role = r.str(t, "role", path, "access");
    if (role == "access") {
      port.role = dataplane::PortRole::Access;
      ic.role = control::InterfaceRole::Access;
    } else if (role == "core") {
      port.role = dataplane::PortRole::Core;
      ic.role = control::InterfaceRole::Core;
    } else {
      r.fail(r.node(t, "role"), path + ".role: expected \"access\" or \"core\", got \"" + role + "\"");
    }
    auto prefix = [&](std::string_view key, bool v6) -> std::optional<IpPrefix> {
      const std::string s = r.str(t, key, path);
      if (s.empty()) return std::nullopt;
      auto p = IpPrefix::parse(s);
      if (!p || p->addr.is_v6() != v6 || s.find('/') == std::string::npos)
        r.fail(r.node(t, key), path + "." + std::string(key) + ": expected an " + (v6 ? "IPv6" : "IPv4") +
                                   " address with prefix length, like " +
                                   (v6 ? "\"fd00:201::1/64\"" : "\"10.201.0.1/24\"") + ", got \"" + s + "\"");
      return p;
    };
    auto v4 = prefix("ipv4", false);
    auto v6 = prefix("ipv6", true);
    if (!v4 && !v6) r.fail(&t, path + ": needs ipv4 or ipv6");
    port.ipv4 = v4;
    port.ipv6 = v6;
    ic.subnet = v4 ? *v4 : *v6;
    ic.sip_address = ic.subnet.addr;
    for (std::string_view key : {"gateway4", "gateway6"}) {
      const std::string g = r.str(t, key, path);
      if (g.empty()) continue;
      auto ip = IpAddr::parse(g);
      if (!ip || ip->is_v6() != (key == "gateway6"))
        r.fail(r.node(t, key), path + "." + std::string(key) + ": expected an " + (key == "gateway6" ? "IPv6" : "IPv4") +
                                   " address, got \"" + g + "\"");
      (key == "gateway4" ? port.gateway4 : port.gateway6) = *ip;
    }
    ic.rate_limit.per_s = static_cast<uint32_t>(r.integer(t, "rate_limit", path, 0, 0, 1000000));
    ic.rate_limit.burst = static_cast<uint32_t>(r.integer(t, "rate_burst", path, 0, 0, 1000000));
    port.vlan = static_cast<uint16_t>(r.integer(t, "vlan", path, 0, 0, 4094));
    port.mtu = static_cast<uint16_t>(r.integer(t, "mtu", path, 1500, 576, 9000));
    port.checksum_offload = r.boolean(t, "checksum_offload", path, true);
    ic.sip_port = static_cast<uint16_t>(r.integer(t, "sip_port", path, 5060, 1, 65535));
    sip_ports.insert(ic.sip_port);
    const std::vector<int64_t> media = r.integers(t, "media_ports", path);
    if (!media.empty()) {
      if (media.size() != 2 || media[0] < 1024 || media[1] > 65534 || media[0] >= media[1])
        r.fail(r.node(t, "media_ports"), path + ".media_ports: expected [first, last] with 1024 <= first < last <= 65534");
      ic.media_port_min = static_cast<uint16_t>(media[0]);
      ic.media_port_max = static_cast<uint16_t>(media[1]);
    }
    media_min = std::min(media_min, ic.media_port_min);
    media_max = std::max(media_max, ic.media_port_max);
    ic.media_address = ic.sip_address;
    const std::string ma = r.str(t, "media_address", path);
    if (!ma.empty()) {
      auto ip = IpAddr::parse(ma);
      if (!ip) r.fail(r.node(t, "media_address"), path + ".media_address: expected an IP address, got \"" + ma + "\"");
      ic.media_address = *ip;
    }
    if (const toml::node* extra = r.node(t, "media_addresses")) {
      // More relay addresses: "A" or "A-B" (inclusive), IPv4, on the interface's subnet, not its
      // own address, no overlap; each adds the media_ports range again.
      const std::string where = path + ".media_addresses";
      if (!v4 || !ic.media_address.is_v4())
        r.fail(extra, where + ": needs the interface's ipv4 (and an IPv4 media_address, if one is set)");
      const std::vector<std::string> items = r.strings(t, "media_addresses", path);
      if (items.empty() || items.size() > dataplane::Ipv4Ranges::kMax)
        r.fail(extra, where + ": expected 1 to " + std::to_string(dataplane::Ipv4Ranges::kMax) +
                          " addresses or ranges like \"10.201.0.10-10.201.0.73\"");
      size_t total = 0;
      for (const std::string& item : items) {
        const size_t dash = item.find('-');
        const auto first = IpAddr::parse(item.substr(0, dash));
        const auto last = dash == std::string::npos ? first : IpAddr::parse(item.substr(dash + 1));
        if (!first || !last || !first->is_v4() || !last->is_v4())
          r.fail(extra, where + ": expected an IPv4 address or range like \"10.201.0.10-10.201.0.73\", got \"" + item + "\"");
        const uint32_t a = ntohl(first->v4_be()), b = ntohl(last->v4_be());
        if (a > b) r.fail(extra, where + ": range \"" + item + "\" ends before it starts");
        if (!v4->contains(*first) || !v4->contains(*last))
          r.fail(extra, where + ": \"" + item + "\" is not on the interface's subnet " + v4->addr.to_string() + "/" + std::to_string(v4->length));
        total += b - a + 1;
        if (total > 4096) r.fail(extra, where + ": more than 4096 addresses");
        for (uint32_t x = a; x <= b; ++x) {
          const IpAddr ip = IpAddr::from_v4_be(htonl(x));
          if (ip == ic.media_address || ip == v4->addr ||
              std::find(ic.extra_media_addresses.begin(), ic.extra_media_addresses.end(), ip) !=
                  ic.extra_media_addresses.end())
            r.fail(extra, where + ": " + ip.to_string() + " is named twice (or is the interface's own address)");
          ic.extra_media_addresses.push_back(ip);
        }
        port.extra_ipv4.emplace_back(a, b);
      }
    }
    if (const toml::node* mac = r.node(t, "mac")) {
      const std::string s = r.str(t, "mac", path);
      dataplane::MacAddr m{};
      unsigned b[6];
      if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6 ||
          s.size() != 17)
        r.fail(mac, path + ".mac: expected six hex bytes like \"02:00:00:00:00:01\", got \"" + s + "\"");
      for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(b[i]);
      port.mac = m;
    }
    dp.ports.push_back(port);
    cc.interfaces.push_back(ic);
    ++index;
  }
  dp.sip_ports.assign(sip_ports.begin(), sip_ports.end());
  dp.media_port_min = media_min;
  dp.media_port_max = media_max;

  auto iface_named = [&](const std::string& name) {
    for (const control::InterfaceConfig& i : cc.interfaces)
      if (i.name == name) return true;
    return false;
  };

  if (const toml::table* s = r.table(root, "sip", "sip")) {
    r.only_keys(*s, "sip", {"domains", "server_header", "user_agent", "default_interface", "forward_max_depth",
                            "max_redirects", "session_expires_s", "min_se_s", "overload_wait_ms", "overload_action", "mode"});
    cc.default_mode = read_mode(r, *s, "sip.mode");
    cfg.overload_wait_ms = static_cast<uint32_t>(r.integer(*s, "overload_wait_ms", "sip", 200, 0, 10000));
    if (cfg.overload_wait_ms == 0) dp.shed_backlog = 0;  // overload control off: no shedding either
    const std::string overload_action = r.str(*s, "overload_action", "sip", "reply");
    if (overload_action != "reply" && overload_action != "drop")
      r.fail(r.node(*s, "overload_action"), "sip.overload_action: expected \"reply\" (503 + Retry-After) or \"drop\", got \"" + overload_action + "\"");
    cc.security.overload_drop = overload_action == "drop";
    cc.domains = r.strings(*s, "domains", "sip");
    for (std::string& d : cc.domains)
      for (char& c : d) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    // server_header, or its older name user_agent: what sipedge's own responses say in Server ("" omits it).
    if (s->contains("server_header") && s->contains("user_agent"))
      r.fail(r.node(*s, "user_agent"), "sip.user_agent: is server_header's older name; give one of them, not both");
    cc.user_agent = s->contains("user_agent") ? r.str(*s, "user_agent", "sip", "sipedge")
                                              : r.str(*s, "server_header", "sip", "sipedge");
    cc.default_interface = r.str(*s, "default_interface", "sip");
    if (!cc.default_interface.empty() && !iface_named(cc.default_interface))
      r.fail(r.node(*s, "default_interface"), "sip.default_interface: no [[interface]] is named '" + cc.default_interface + "'");
    cc.forward_max_depth = static_cast<uint32_t>(r.integer(*s, "forward_max_depth", "sip", 5, 0, 20));
    cc.max_redirects = static_cast<uint32_t>(r.integer(*s, "max_redirects", "sip", 5, 0, 20));
    cc.min_se_s = static_cast<uint32_t>(r.integer(*s, "min_se_s", "sip", 90, 1, 86400));
    cc.session_expires_s = static_cast<uint32_t>(r.integer(*s, "session_expires_s", "sip", 0, 0, 86400));
    if (cc.session_expires_s != 0 && cc.session_expires_s < cc.min_se_s)
      r.fail(r.node(*s, "session_expires_s"), "sip.session_expires_s: expected 0 (off) or at least min_se_s (" +
                                                  std::to_string(cc.min_se_s) + ")");
  }
  if (const toml::table* t = r.table(root, "timers", "timers")) {
    r.only_keys(*t, "timers", {"t1_ms", "t2_ms", "t4_ms", "timer_c_s"});
    cc.timers.t1_ms = static_cast<uint32_t>(r.integer(*t, "t1_ms", "timers", 500, 10, 60000));
    cc.timers.t2_ms = static_cast<uint32_t>(r.integer(*t, "t2_ms", "timers", 4000, cc.timers.t1_ms, 600000));
    cc.timers.t4_ms = static_cast<uint32_t>(r.integer(*t, "t4_ms", "timers", 5000, 10, 600000));
    cc.timer_c_s = static_cast<uint32_t>(r.integer(*t, "timer_c_s", "timers", 180, 1, 86400));
    // Timer D absorbs retransmitted final responses, which stop after 64*T1: a shorter T1 (labs,
    // tests) shortens it too; at the default T1 it is RFC 3261's 32 s.
    cc.timers.timer_d_ms = std::min<uint32_t>(64 * cc.timers.t1_ms, 32000);
  }
  if (const toml::table* t = r.table(root, "registrar", "registrar")) {
    r.only_keys(*t, "registrar", {"min_expires_s", "max_expires_s", "default_expires_s", "nat_keepalive_s"});
    cc.registration_min_expires_s = static_cast<uint32_t>(r.integer(*t, "min_expires_s", "registrar", 60, 1, 86400));
    cc.registration_max_expires_s =
        static_cast<uint32_t>(r.integer(*t, "max_expires_s", "registrar", 7200, cc.registration_min_expires_s, 604800));
    cc.registration_default_expires_s = static_cast<uint32_t>(
        r.integer(*t, "default_expires_s", "registrar", 3600, cc.registration_min_expires_s, cc.registration_max_expires_s));
    cc.nat_keepalive_s = static_cast<uint32_t>(r.integer(*t, "nat_keepalive_s", "registrar", 25, 0, 3600));
  }
  cc.realm = cc.domains.empty() ? "sipedge" : cc.domains.front();
  if (const toml::table* a = r.table(root, "auth", "auth")) {
    r.only_keys(*a, "auth", {"realm", "algorithms", "nonce_ttl_s", "trusted", "lockout", "max_failures", "failure_window_s",
                             "user_max_failures", "user_throttle_s", "ban_s", "ban_max_s", "trusted_rate_limit",
                             "trusted_rate_burst"});
    control::SecurityConfig& sec = cc.security;
    sec.lockout.enabled = r.boolean(*a, "lockout", "auth", true);
    sec.lockout.max_failures = static_cast<uint32_t>(r.integer(*a, "max_failures", "auth", 10, 1, 100000));
    sec.lockout.failure_window_s = static_cast<uint32_t>(r.integer(*a, "failure_window_s", "auth", 60, 1, 86400));
    sec.lockout.user_max_failures = static_cast<uint32_t>(r.integer(*a, "user_max_failures", "auth", 30, 1, 100000));
    sec.lockout.user_throttle_s = static_cast<uint32_t>(r.integer(*a, "user_throttle_s", "auth", 300, 1, 86400));
    sec.ban_s = static_cast<uint32_t>(r.integer(*a, "ban_s", "auth", 300, 1, 30 * 86400));
    sec.ban_max_s = static_cast<uint32_t>(r.integer(*a, "ban_max_s", "auth", std::max<int64_t>(86400, sec.ban_s), sec.ban_s, 365 * 86400));
    sec.trusted_rate.per_s = static_cast<uint32_t>(r.integer(*a, "trusted_rate_limit", "auth", 0, 0, 1000000));
    sec.trusted_rate.burst = static_cast<uint32_t>(r.integer(*a, "trusted_rate_burst", "auth", 0, 0, 1000000));
    cc.realm = r.str(*a, "realm", "auth", cc.realm);
    cc.auth.nonce_ttl_s = static_cast<uint32_t>(r.integer(*a, "nonce_ttl_s", "auth", 300, 10, 86400));
    if (r.node(*a, "algorithms")) {
      cc.auth.algorithms.clear();
      for (const std::string& alg : r.strings(*a, "algorithms", "auth")) {
        if (alg == "MD5")
          cc.auth.algorithms.push_back(control::DigestAlgorithm::Md5);
        else if (alg == "SHA-256")
          cc.auth.algorithms.push_back(control::DigestAlgorithm::Sha256);
        else
          r.fail(r.node(*a, "algorithms"), "auth.algorithms: expected \"SHA-256\" and/or \"MD5\", got \"" + alg + "\"");
      }
      if (cc.auth.algorithms.empty()) r.fail(r.node(*a, "algorithms"), "auth.algorithms: expected at least one algorithm");
    }
    for (const std::string& p : r.strings(*a, "trusted", "auth")) {
      auto prefix = IpPrefix::parse(p);
      if (!prefix) r.fail(r.node(*a, "trusted"), "auth.trusted: expected addresses or prefixes like \"10.202.0.0/24\", got \"" + p + "\"");
      cc.trusted.push_back(*prefix);
    }
  }
  cc.auth.realm = cc.realm;

  if (const toml::node* users = root.get("user")) {
    if (!users->is_array_of_tables()) r.fail(users, "expected [[user]] tables");
    for (const toml::node& n : *users->as_array()) {
      const toml::table& t = *n.as_table();
      r.only_keys(t, "[user]", {"name", "password", "ha1_md5", "ha1_sha256", "forward_busy", "forward_no_answer",
                                "forward_no_answer_s", "forward_unconditional", "register_for"});
      control::UserConfig u;
      u.name = r.str(t, "name", "user", {}, true);
      const std::string password = r.str(t, "password", "user");
      const std::string md5 = r.str(t, "ha1_md5", "user");
      const std::string sha = r.str(t, "ha1_sha256", "user");
      if (!password.empty()) {
        if (!md5.empty() || !sha.empty()) r.fail(&t, "user '" + u.name + "': give password or ha1_md5/ha1_sha256, not both");
        u.credentials.ha1_md5 = control::digest_ha1(control::DigestAlgorithm::Md5, u.name, cc.realm, password);
        u.credentials.ha1_sha256 = control::digest_ha1(control::DigestAlgorithm::Sha256, u.name, cc.realm, password);
      } else {
        if (md5.empty() && sha.empty()) r.fail(&t, "user '" + u.name + "': needs password, ha1_md5 or ha1_sha256");
        if (!md5.empty() && !is_lower_hex(md5, 32))
          r.fail(r.node(t, "ha1_md5"), "user '" + u.name + "'.ha1_md5: expected 32 lower-case hex digits");
        if (!sha.empty() && !is_lower_hex(sha, 64))
          r.fail(r.node(t, "ha1_sha256"), "user '" + u.name + "'.ha1_sha256: expected 64 lower-case hex digits");
        u.credentials.ha1_md5 = md5;
        u.credentials.ha1_sha256 = sha;
      }
      auto forward_uri = [&](std::string_view key) {
        std::string uri = r.str(t, key, "user");
        if (!uri.empty() && !parser::parse_uri(uri))
          r.fail(r.node(t, key), "user '" + u.name + "'." + std::string(key) + ": expected a SIP URI like \"sip:1013@example.com\", got \"" + uri + "\"");
        return uri;
      };
      u.forward.busy = forward_uri("forward_busy");
      u.forward.no_answer = forward_uri("forward_no_answer");
      u.forward.unconditional = forward_uri("forward_unconditional");
      u.forward.no_answer_s = static_cast<uint32_t>(r.integer(t, "forward_no_answer_s", "user", 20, 1, 600));
      u.register_for = r.strings(t, "register_for", "user");
      cc.users.push_back(std::move(u));
    }
  }
  if (const toml::node* routes = root.get("route")) {
    if (!routes->is_array_of_tables()) r.fail(routes, "expected [[route]] tables");
    for (const toml::node& n : *routes->as_array()) {
      const toml::table& t = *n.as_table();
      r.only_keys(t, "[route]", {"name", "match_domain", "match_prefix", "target", "next_hops", "interface", "redirect",
                                 "history_info", "mode", "hide_headers", "pass_headers"});
      control::RouteConfig rc;
      rc.name = r.str(t, "name", "route", {}, true);
      rc.match_domain = r.str(t, "match_domain", "route");
      rc.match_prefix = r.str(t, "match_prefix", "route");
      const std::string target = r.str(t, "target", "route", "next_hop");
      if (target == "registered") {
        rc.target = control::RouteTarget::Registered;
      } else if (target == "next_hop") {
        rc.target = control::RouteTarget::NextHop;
        for (const std::string& h : r.strings(t, "next_hops", "route")) {
          auto ep = parse_endpoint(h);
          if (!ep) r.fail(r.node(t, "next_hops"), "route '" + rc.name + "'.next_hops: expected \"address:port\", got \"" + h + "\"");
          rc.next_hops.push_back(*ep);
        }
        if (rc.next_hops.empty()) r.fail(&t, "route '" + rc.name + "': target \"next_hop\" needs next_hops");
        rc.interface = r.str(t, "interface", "route", {}, true);
        if (!iface_named(rc.interface))
          r.fail(r.node(t, "interface"), "route '" + rc.name + "'.interface: no [[interface]] is named '" + rc.interface + "'");
      } else {
        r.fail(r.node(t, "target"), "route '" + rc.name + "'.target: expected \"registered\" or \"next_hop\", got \"" + target + "\"");
      }
      const std::string redirect = r.str(t, "redirect", "route", "recurse");
      if (redirect == "recurse")
        rc.redirect = control::RouteConfig::Redirect::Recurse;
      else if (redirect == "pass")
        rc.redirect = control::RouteConfig::Redirect::Pass;
      else
        r.fail(r.node(t, "redirect"), "route '" + rc.name + "'.redirect: expected \"recurse\" or \"pass\", got \"" + redirect + "\"");
      rc.history_info = r.boolean(t, "history_info", "route", false);
      if (t.contains("mode")) rc.mode = read_mode(r, t, "route '" + rc.name + "'.mode");
      rc.hide_headers = header_names(r, t, "hide_headers", rc.name);
      rc.pass_headers = header_names(r, t, "pass_headers", rc.name);
      cc.routes.push_back(std::move(rc));
    }
  }
  read_policy(r, root, cc.security);
  if (const toml::table* h = r.table(root, "hw", "hw")) {
    r.only_keys(*h, "hw", {"offload", "max_rules", "insert_rate", "drop_rules", "max_drop_rules"});
    const std::string offload = r.str(*h, "offload", "hw", "auto");
    if (offload == "auto")
      cfg.offload = hw::OffloadMode::Auto;
    else if (offload == "off")
      cfg.offload = hw::OffloadMode::Off;
    else if (offload == "required")
      cfg.offload = hw::OffloadMode::Required;
    else
      r.fail(r.node(*h, "offload"), "hw.offload: expected \"auto\", \"off\" or \"required\", got \"" + offload + "\"");
    cfg.max_media_rules = static_cast<uint32_t>(r.integer(*h, "max_rules", "hw", 65536, 0, 1 << 24));
    cfg.rule_insert_rate = static_cast<uint32_t>(r.integer(*h, "insert_rate", "hw", 8000, 1000, 10000000));
    cfg.nic_drop_rules = r.boolean(*h, "drop_rules", "hw", true);
    cfg.max_drop_rules = static_cast<uint32_t>(r.integer(*h, "max_drop_rules", "hw", 4096, 0, 1 << 20));
  }
  if (const toml::table* l = r.table(root, "log", "log")) {
    r.only_keys(*l, "log", {"level", "lines_per_s", "components"});
    auto level_of = [&r](const toml::node* n, const std::string& what) {
      const std::optional<std::string> text = n->value<std::string>();
      const spdlog::level::level_enum e = spdlog::level::from_str(text.value_or(""));
      if (!text || (e == spdlog::level::off && *text != "off"))
        r.fail(n, what + ": expected trace, debug, info, warn, error, critical or off");
      return e;
    };
    if (const toml::node* n = r.node(*l, "level")) cfg.log_level = level_of(n, "log.level");
    cfg.log_lines_per_s = static_cast<uint32_t>(r.integer(*l, "lines_per_s", "log", 200, 1, 1000000));
    if (const toml::table* c = r.table(*l, "components", "log.components")) {
      for (const auto& [key, value] : *c) {
        const std::string name(key.str());
        if (!logs::component_named(name))
          r.fail(&value, "log.components: no component '" + name + "' (main, sip, security, overload, hw, ops)");
        cfg.log_components[name] = level_of(&value, "log.components." + name);
      }
    }
  }
  if (const toml::table* m = r.table(root, "media", "media")) {
    r.only_keys(*m, "media", {"timeout_s", "strict_source"});
    cc.media.timeout_s = static_cast<uint32_t>(r.integer(*m, "timeout_s", "media", 60, 1, 86400));
    cc.media.strict_source = r.boolean(*m, "strict_source", "media", true);
  }
  if (const toml::table* c = r.table(root, "cdr", "cdr")) {
    r.only_keys(*c, "cdr", {"path"});
    cc.cdr_path = r.str(*c, "path", "cdr");
  }
  if (const toml::table* m = r.table(root, "management", "management")) {
    r.only_keys(*m, "management", {"socket", "trace_calls"});
    cc.management_socket = r.str(*m, "socket", "management");
    cc.trace_calls = static_cast<uint32_t>(r.integer(*m, "trace_calls", "management", 1000, 0, 1000000));
  }
  if (const toml::table* h = r.table(root, "hep", "hep")) {
    r.only_keys(*h, "hep", {"collector", "capture_id", "password"});
    const std::string collector = r.str(*h, "collector", "hep", {}, true);
    auto ep = parse_endpoint(collector);
    if (!ep) r.fail(r.node(*h, "collector"), "hep.collector: expected \"ADDRESS:PORT\" like \"10.0.0.5:9060\", got \"" + collector + "\"");
    cc.hep.collector = *ep;
    cc.hep.capture_id = static_cast<uint32_t>(r.integer(*h, "capture_id", "hep", 2001, 0, UINT32_MAX));
    cc.hep.password = r.str(*h, "password", "hep");
  }
  if (const toml::table* m = r.table(root, "metrics", "metrics")) {
    r.only_keys(*m, "metrics", {"listen"});
    cc.metrics_listen = r.str(*m, "listen", "metrics");
    if (!cc.metrics_listen.empty() && !parse_endpoint(cc.metrics_listen))
      r.fail(r.node(*m, "listen"), "metrics.listen: expected \"ADDRESS:PORT\" like \"127.0.0.1:9100\", got \"" + cc.metrics_listen + "\"");
  }
  if (cc.default_interface.empty())
    for (const control::InterfaceConfig& i : cc.interfaces)
      if (i.role == control::InterfaceRole::Core) {
        cc.default_interface = i.name;
        break;
      }
  return cfg;
}

GatewayConfig load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return load_config_string(text.str(), path);
}

}  // namespace sipedge::apps
