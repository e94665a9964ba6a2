// control/proxy/targets.cc — control lcore only. Where requests go (RFC 3261 §16.5): the location
// service, static routes and, for the trusted side, IP addresses; then what sipedge does when a
// target fails: call forwarding of served users (busy, no answer, unconditional; RFC 5806
// Diversion, RFC 7044 History-Info) and recursion on 3xx Contacts (§16.7 step 4), each bounded
// (forward_max_depth, max_redirects) and refusing loops.
#include <algorithm>

#include "control/proxy/context.h"
#include "control/proxy/diversion.h"
#include "control/proxy/proxy.h"
#include "parser/contact.h"
#include "parser/headers.h"
#include "parser/uri.h"

namespace sipedge::control {
namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Adds older Diversion entries below a target's own (the most recent stays on top, RFC 5806 §4).
void append_diversion(std::string& entries, std::string_view older) {
  if (older.empty()) return;
  if (!entries.empty()) entries += ", ";
  entries += older;
}

}  // namespace

Proxy::Resolution Proxy::resolve_request(const Inbound& in) {
  // Only the trusted side may use sipedge as a plain next hop to an IP address; the access side
  // must not turn it into an open relay.
  const InterfaceConfig* ifc = config_.interface(in.iface);
  const bool any_address = ifc && ifc->role == InterfaceRole::Core;
  std::vector<std::string> visited;
  return resolve_uri(in.msg, in.msg.request_uri(), any_address, false, diversion_count(in.msg), visited);
}

Proxy::Resolution Proxy::resolve_uri(const parser::Message& request, std::string_view uri_text, bool any_address,
                                     bool retarget, uint32_t diversions, std::vector<std::string>& visited) {
  Resolution res;
  // The Request-URI was parsed when the request was validated; other URIs (forwarding, 3xx) here.
  const bool is_request_uri = uri_text.data() == request.request_uri().data() && uri_text.size() == request.request_uri().size();
  auto uri = is_request_uri ? parser::parsed_request_uri(request) : parser::parse_uri(uri_text);
  if (!uri) {
    res.status = 416;
    res.reason = "Unsupported URI Scheme";
    return res;
  }
  const std::string_view host = uri->host;
  const bool local = is_local_domain(host) || is_local_host(host, uri->port, uri->has_port);
  const std::string new_ruri = retarget ? std::string(uri_text) : std::string();
  // A served user: where their unconditional forwarding goes, else their registered devices.
  // True when forwarding decided the outcome (targets or a refusal).
  auto registered = [&](std::string_view domain, int route) -> bool {
    const UserConfig* user = config_.user(uri->user);
    if (user && !user->forward.unconditional.empty()) {
      if (contains(visited, user->name) || diversions >= config_.forward_max_depth) {
        ++counters_.forward_refused;
        res.status = 482;
        res.reason = "Loop Detected: Call Forwarding";
        return true;
      }
      visited.push_back(user->name);
      Resolution next = resolve_uri(request, user->forward.unconditional, true, true, diversions + 1, visited);
      const std::string from = "sip:" + user->name + "@" + std::string(domain);
      add_history_info(next.targets, request, from, DiversionReason::Unconditional);
      for (Target& t : next.targets) append_diversion(t.diversion, diversion_entry(from, DiversionReason::Unconditional));
      if (!next.targets.empty()) ++counters_.calls_forwarded;
      res = std::move(next);
      return true;
    }
    for (const Binding* b : location_.lookup(make_aor(uri->user, domain))) {
      Target t{b->received, b->iface, b->contact_uri};
      if (user) t.user = user->name;
      t.route = route;
      res.targets.push_back(std::move(t));
    }
    return false;
  };
  const std::string default_domain = config_.domains.empty() ? std::string(host) : config_.domains.front();
  if (local) {
    // A served user's route, if one names them (its mode and policy apply to the call).
    int route = -1;
    for (size_t i = 0; i < config_.routes.size() && route < 0; ++i) {
      const RouteConfig& r = config_.routes[i];
      if (r.target == RouteTarget::Registered && (r.match_domain.empty() || parser::iequals(r.match_domain, host)) &&
          uri->user.starts_with(r.match_prefix))
        route = static_cast<int>(i);
    }
    if (registered(is_local_domain(host) ? std::string(host) : default_domain, route) || !res.targets.empty()) return res;
  }
  auto ip = IpAddr::parse(host);
  // A Contact of a registered UA, as sipedge handed it out (a NATed UA's public address) or as the
  // UA wrote it: a Refer-To or a 3xx naming a device rather than its user. Only ever a UA that
  // registered with sipedge, so no caller reaches further than by dialling that user.
  if (ip) {
    if (const Binding* b = location_.find_by_address(Endpoint{*ip, uri->has_port ? uri->port : uint16_t{5060}}, uri->user)) {
      Target t{b->received, b->iface, b->contact_uri};
      const std::string_view aor_user = std::string_view(b->aor).substr(0, b->aor.find('@'));
      if (const UserConfig* user = config_.user(aor_user)) t.user = user->name;
      res.targets.push_back(std::move(t));
      return res;
    }
  }
  for (size_t i = 0; i < config_.routes.size(); ++i) {
    const RouteConfig& r = config_.routes[i];
    if (!r.match_domain.empty() && !parser::iequals(r.match_domain, host)) continue;
    if (!r.match_prefix.empty() && !uri->user.starts_with(r.match_prefix)) continue;
    if (r.target == RouteTarget::Registered) {
      if (registered(r.match_domain.empty() ? default_domain : r.match_domain, static_cast<int>(i))) return res;
    } else {
      const InterfaceConfig* route_if = config_.interface_named(r.interface);
      for (const Endpoint& hop : r.next_hops) {
        Target t{hop, route_if ? route_if->index : uint16_t{0}, new_ruri};
        t.route = static_cast<int>(i);
        res.targets.push_back(std::move(t));
      }
    }
    if (!res.targets.empty()) return res;
  }
  if (local) {
    // A known user who is not registered is temporarily unavailable; anyone else does not exist.
    if (auth_.has_user(uri->user)) {
      res.status = 480;
      res.reason = "Temporarily Unavailable";
    }
    return res;
  }
  if (ip && any_address) {
    if (auto egress = interface_for(*ip))
      res.targets.push_back(Target{Endpoint{*ip, uri->has_port ? uri->port : uint16_t{5060}}, *egress, new_ruri});
    return res;
  }
  res.status = 404;
  res.reason = "No route to destination";
  return res;
}

void Proxy::add_history_info(std::vector<Target>& targets, const parser::Message& request, std::string_view from_uri,
                             DiversionReason reason) const {
  for (Target& t : targets) {
    if (t.route < 0 || static_cast<size_t>(t.route) >= config_.routes.size() ||
        !config_.routes[static_cast<size_t>(t.route)].history_info || !t.history_info.empty())
      continue;
    t.history_info =
        history_info_entries(request, from_uri, t.request_uri.empty() ? request.request_uri() : t.request_uri, reason);
  }
}

bool Proxy::forward_on_failure(Context& ctx, uint16_t status, bool ring_timeout) {
  if (ctx.cancelled || ctx.next_target == 0) return false;
  const Target failed = ctx.targets[ctx.next_target - 1];
  const UserConfig* user = failed.user.empty() ? nullptr : config_.user(failed.user);
  if (!user) return false;
  DiversionReason reason;
  std::string_view to;
  if (status == 486 || status == 600) {
    reason = DiversionReason::UserBusy;
    to = user->forward.busy;
  } else if (ring_timeout || status == 408 || status == 480) {
    reason = DiversionReason::NoAnswer;
    to = user->forward.no_answer;
  } else {
    return false;
  }
  if (to.empty()) return false;
  if (contains(ctx.forwarded_from, user->name) ||
      ctx.diversions_in + ctx.forwarded_from.size() >= config_.forward_max_depth) {
    ++counters_.forward_refused;
    return false;
  }
  std::vector<std::string> visited = ctx.forwarded_from;
  visited.push_back(user->name);
  const parser::Message& request = ctx.request->msg;
  Resolution next =
      resolve_uri(request, to, true, true, ctx.diversions_in + static_cast<uint32_t>(visited.size()), visited);
  if (next.targets.empty()) return false;
  const std::string from = "sip:" + user->name + "@" + (config_.domains.empty() ? std::string("localhost") : config_.domains.front());
  add_history_info(next.targets, request, from, reason);
  for (Target& t : next.targets) {
    append_diversion(t.diversion, diversion_entry(from, reason));
    append_diversion(t.diversion, failed.diversion);
  }
  ctx.forwarded_from = std::move(visited);
  // The forwarding user's other devices are not rung any more: the forward takes their place.
  auto rest = ctx.targets.begin() + static_cast<std::ptrdiff_t>(ctx.next_target);
  rest = ctx.targets.erase(std::remove_if(rest, ctx.targets.end(), [&](const Target& t) { return t.user == user->name; }),
                           ctx.targets.end());
  ctx.targets.insert(ctx.targets.begin() + static_cast<std::ptrdiff_t>(ctx.next_target), next.targets.begin(),
                     next.targets.end());
  ++counters_.calls_forwarded;
  return true;
}

bool Proxy::recurse_on_redirect(Context& ctx, const Inbound& response) {
  if (ctx.cancelled || ctx.next_target == 0 || ctx.redirects >= config_.max_redirects) return false;
  const Target failed = ctx.targets[ctx.next_target - 1];
  // A reload may have shortened the route list since the target was chosen.
  if (failed.route >= 0 && static_cast<size_t>(failed.route) < config_.routes.size() &&
      config_.routes[static_cast<size_t>(failed.route)].redirect == RouteConfig::Redirect::Pass)
    return false;
  // Contacts in q order, highest first; equal q keep the response's order (RFC 3261 §16.7 step 4).
  std::vector<std::pair<uint16_t, std::string_view>> contacts;
  parser::ContactList list(response.msg);
  Result<parser::Contact, parser::Fault> c{Err{parser::Fault::BadContact}};
  while (list.next(c)) {
    if (c && !c->star) contacts.emplace_back(c->q_milli.value_or(1000), c->addr.uri_text);
  }
  std::stable_sort(contacts.begin(), contacts.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  // A Contact gets no further than the caller could have gone by dialling it: routes and served
  // users, IP addresses only for a caller on the trusted side, and never sipedge itself.
  const InterfaceConfig* caller_if = config_.interface(ctx.in_iface);
  const bool any_address = caller_if && caller_if->role == InterfaceRole::Core;
  std::vector<Target> found;
  for (const auto& [q, uri_text] : contacts) {
    auto uri = parser::parse_uri(uri_text);
    if (!uri || (uri->scheme != parser::UriScheme::Sip && uri->scheme != parser::UriScheme::Sips)) continue;
    if (uri->user.empty() && is_local_host(uri->host, uri->port, uri->has_port)) continue;
    std::vector<std::string> visited = ctx.forwarded_from;
    Resolution r = resolve_uri(ctx.request->msg, uri_text, any_address, true,
                               ctx.diversions_in + static_cast<uint32_t>(visited.size()), visited);
    for (Target& t : r.targets) {
      append_diversion(t.diversion, failed.diversion);
      found.push_back(std::move(t));
    }
  }
  if (found.empty()) {
    ++counters_.redirects_refused;
    return false;
  }
  ++ctx.redirects;
  ++counters_.redirects_followed;
  ctx.targets.insert(ctx.targets.begin() + static_cast<std::ptrdiff_t>(ctx.next_target), found.begin(), found.end());
  return true;
}

}  // namespace sipedge::control
