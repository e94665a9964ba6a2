// control/config.h — startup (main thread), pure data. Everything the control plane is configured
// with: interfaces as SIP sees them, domains, users, trusted peers, routes, timers, media and
// management settings. Filled once by the config loader (apps/config_loader.h) from the same TOML
// file as the dataplane's settings, then read-only (Envoy: config vs instance).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/net_address.h"
#include "control/auth/digest.h"
#include "control/security/lockout.h"
#include "control/security/rate_limiter.h"
#include "parser/policy.h"
#include "control/transaction/transaction_layer.h"

namespace sipedge::control {

enum class InterfaceRole : uint8_t { Access, Core };

struct InterfaceConfig {
  std::string name;            // operator's name ("access", "core")
  uint16_t index = 0;          // dataplane interface index (position in the config file)
  InterfaceRole role = InterfaceRole::Access;
  IpAddr sip_address;          // where sipedge listens for and sends SIP on this interface
  IpPrefix subnet;             // on-link prefix: destinations inside it leave through this interface
  uint16_t sip_port = 5060;
  // The sent-by of sipedge's Vias and the host:port of its Record-Route and Contact URIs.
  Endpoint sip_endpoint() const { return {sip_address, sip_port}; }
  IpAddr media_address;        // what SDP sent out of this interface names (usually sip_address)
  // More IPv4 addresses of this interface for relay sockets ([interface] media_addresses): each
  // adds the port range again, for more concurrent calls than one address's ports allow.
  std::vector<IpAddr> extra_media_addresses;
  uint16_t media_port_min = 20000;  // inclusive; relay ports are allocated as even/odd pairs
  uint16_t media_port_max = 29999;  // inclusive
  // Initial requests (INVITE, REGISTER, OPTIONS, SUBSCRIBE, MESSAGE) per untrusted source address.
  RateLimit rate_limit;
};

// Where sipedge's SIP leaves interface `index` from: its SIP address and port (none when unknown).
inline Endpoint sip_endpoint(const std::vector<InterfaceConfig>& interfaces, uint16_t index) {
  for (const InterfaceConfig& i : interfaces)
    if (i.index == index) return i.sip_endpoint();
  return {};
}

// Call forwarding of one user (RFC 5806 Diversion, RFC 7044 History-Info): SIP URIs, empty = off.
struct ForwardingConfig {
  std::string busy;           // on 486 Busy Here / 600 Busy Everywhere from the user's device
  std::string no_answer;      // after no_answer_s of ringing, or 408/480 from the device
  uint32_t no_answer_s = 20;  // ring time before forwarding on no answer
  std::string unconditional;  // always, without ringing the user
};

struct UserConfig {
  std::string name;
  UserCredentials credentials;  // HA1s, from a password or given directly
  ForwardingConfig forward;
  std::vector<std::string> register_for;  // other users whose AORs these credentials may bind
};

// How sipedge carries a call (DESIGN §3): Proxy forwards the caller's dialog end to end (RFC 3261
// §16); B2bua ends it and runs a dialog of its own towards the callee, so neither side sees the
// other's Call-ID, tags, CSeq, Via, Contact, Record-Route or addresses.
enum class SignallingMode : uint8_t { Proxy, B2bua };

enum class RouteTarget : uint8_t {
  Registered,  // the location service: users registered to sipedge
  NextHop,     // static next hops (trunks), tried in order on failure
};

struct RouteConfig {
  std::string name;
  // Match on the Request-URI: host (domain) equality, and/or user-part prefix. Empty = any.
  std::string match_domain;
  std::string match_prefix;
  RouteTarget target = RouteTarget::Registered;
  std::vector<Endpoint> next_hops;  // NextHop: tried in order (serial failover)
  std::string interface;            // NextHop: interface name to send from
  // A 3xx from a target of this route: Recurse tries its Contacts (RFC 3261 §16.7 step 4, q order),
  // Pass relays it upstream like any final response.
  enum class Redirect : uint8_t { Recurse, Pass } redirect = Redirect::Recurse;
  bool history_info = false;  // forwarded requests on this route carry History-Info (RFC 7044)
  std::optional<SignallingMode> mode;  // unset: [sip] mode
  // B2BUA header policy (lower-case names). Headers that carry topology and are not rebuilt per leg
  // (Alert-Info, Call-Info, Error-Info, Warning, Server, User-Agent, Path, and P-Asserted-Identity
  // from an untrusted source) are stripped unless named in pass_headers; any other header passes
  // unless named in hide_headers.
  std::vector<std::string> hide_headers;
  std::vector<std::string> pass_headers;
};

struct MediaConfig {
  uint32_t timeout_s = 60;          // no RTP either way for this long ends the call (BYE both ways)
  bool strict_source = true;        // after latching, drop packets from other sources (RTP bleed)
};

// Edge security (DESIGN §3): brute-force lockout and bans, signature rules, per-source rate limits.
struct SecurityConfig {
  LockoutConfig lockout;
  uint32_t ban_s = 300;        // first ban; doubles on each repeat offence
  uint32_t ban_max_s = 86400;  // cap of the doubling
  RateLimit trusted_rate;      // initial requests per trusted source (ControlConfig::trusted)
  // Overload control: new requests are answered 503 + Retry-After (false), or dropped silently
  // (true: nothing to send back, the cheapest answer to a flood).
  bool overload_drop = false;
  // Signature rules (ids 1..N): the dataplane drops on Drop, control bans on Ban, Tag only counts.
  std::vector<parser::PolicyRule> policy_rules;
};

// HEPv3 export of every SIP message to a Homer/heplify collector (control/api/hep.h).
struct HepConfig {
  Endpoint collector;  // port 0 = off
  uint32_t capture_id = 2001;
  std::string password;
};

struct ControlConfig {
  std::vector<InterfaceConfig> interfaces;
  std::vector<std::string> domains;  // served SIP domains; the interfaces' addresses count as ours too
  std::string realm;                 // digest realm (defaults to the first domain)
  DigestAuth::Config auth;           // realm, nonce lifetime, algorithms
  std::vector<UserConfig> users;
  std::vector<IpPrefix> trusted;     // sources never challenged (core peers)
  std::vector<RouteConfig> routes;   // first match wins
  // [sip] mode: how calls are carried unless the route that gave their target has a mode of its own.
  SignallingMode default_mode = SignallingMode::Proxy;
  std::string default_interface;     // where requests to addresses no interface is on-link for go
  TimerConfig timers;
  uint32_t registration_min_expires_s = 60;
  uint32_t registration_max_expires_s = 7200;
  uint32_t registration_default_expires_s = 3600;
  uint32_t nat_keepalive_s = 25;     // OPTIONS to registered contacts behind NAT; 0 = off
  uint32_t timer_c_s = 180;          // RFC 3261 §16.6 step 11: INVITE without a final answer
  uint32_t forward_max_depth = 5;    // diversions a call may have been through (Diversion counters)
  uint32_t max_redirects = 5;        // 3xx recursions per request
  // RFC 4028 session timers: inserted into INVITEs that have none (0 = off); requests asking for
  // less than min_se_s are answered 422. RFC 4028 wants min_se_s >= 90; labs may go lower.
  uint32_t session_expires_s = 0;
  uint32_t min_se_s = 90;
  MediaConfig media;
  SecurityConfig security;
  std::string user_agent = "sipedge";  // Server header of sipedge's own responses; "" omits it
  std::string cdr_path;              // JSON lines (the gateway's CdrWriter); empty = no CDR file
  std::string management_socket;     // Unix socket path of the JSON management API
  uint32_t trace_calls = 1000;       // Call-IDs whose message ladder is kept (sipedgectl ladder); 0 = none
  std::string metrics_listen;        // "ADDRESS:PORT" of the Prometheus endpoint; empty = none
  HepConfig hep;

  // The interface with this dataplane index / this name, or nullptr.
  const InterfaceConfig* interface(uint16_t index) const noexcept {
    for (const InterfaceConfig& i : interfaces)
      if (i.index == index) return &i;
    return nullptr;
  }
  const InterfaceConfig* interface_named(std::string_view name) const noexcept {
    for (const InterfaceConfig& i : interfaces)
      if (i.name == name) return &i;
    return nullptr;
  }
  const UserConfig* user(std::string_view name) const noexcept {
    for (const UserConfig& u : users)
      if (u.name == name) return &u;
    return nullptr;
  }
};

}  // namespace sipedge::control
