// control/api/views.cc — control lcore only. See views.h. Read-only: a view never changes the state
// it shows (no expiry, no cleanup), so asking the gateway twice gives the same answer.
#include "control/api/views.h"

#include <algorithm>
#include <string>

namespace sipedge::control {
namespace {

using nlohmann::json;

// A b2bua leg also shows its own Call-ID (its dialog's, not the call's).
json leg_view(const CallLeg& leg) {
  json j{{"peer", leg.peer.to_string()}, {"iface", leg.iface}};
  if (leg.local) j["call_id"] = leg.local->call_id;
  return j;
}

}  // namespace

json calls_view(const CallTable& calls, const MediaManager& media) {
  std::vector<const Call*> sorted;
  sorted.reserve(calls.size());
  calls.for_each([&](const Call& c) { sorted.push_back(&c); });
  std::sort(sorted.begin(), sorted.end(), [](const Call* a, const Call* b) {
    return a->start_ms != b->start_ms ? a->start_ms < b->start_ms : a->call_id < b->call_id;
  });
  json list = json::array();
  for (const Call* c : sorted) {
    const MediaManager::Stats st = media.stats(c->media);
    list.push_back(json{
        {"call_id", c->call_id},
        {"state", call_state_name(c->state)},
        {"mode", c->b2bua ? "b2bua" : "proxy"},
        {"from", c->caller.uri()},
        {"to", c->callee.uri()},
        {"caller", leg_view(c->caller)},
        {"callee", leg_view(c->callee)},
        {"start_ms", c->start_ms},
        {"answer_ms", c->answer_ms},
        {"media",
         json{{"session", c->media},
              {"packets_caller_to_callee", st.packets[0]},
              {"packets_callee_to_caller", st.packets[1]},
              {"bytes_caller_to_callee", st.bytes[0]},
              {"bytes_callee_to_caller", st.bytes[1]}}},
    });
  }
  return json{{"count", sorted.size()}, {"calls", std::move(list)}};
}

json registrations_view(const Location& location, uint64_t now_ms) {
  std::vector<const Binding*> sorted;
  sorted.reserve(location.size());
  location.for_each([&](const Binding& b) { sorted.push_back(&b); });
  std::sort(sorted.begin(), sorted.end(), [](const Binding* a, const Binding* b) {
    return a->aor != b->aor ? a->aor < b->aor : a->contact_uri < b->contact_uri;
  });
  json list = json::array();
  for (const Binding* b : sorted) {
    const uint64_t left = b->expires_at_ms > now_ms ? (b->expires_at_ms - now_ms + 999) / 1000 : 0;
    list.push_back(json{
        {"aor", b->aor},
        {"contact", b->contact_uri},
        {"received", b->received.to_string()},
        {"iface", b->iface},
        {"behind_nat", b->behind_nat},
        {"expires_in_s", left},
        {"user_agent", b->user_agent},
    });
  }
  return json{{"count", sorted.size()}, {"registrations", std::move(list)}};
}

json transactions_view(const TransactionLayer& transactions) {
  std::vector<TransactionInfo> sorted;
  sorted.reserve(transactions.size());
  transactions.for_each([&](const TransactionInfo& t) { sorted.push_back(t); });
  std::sort(sorted.begin(), sorted.end(), [](const TransactionInfo& a, const TransactionInfo& b) { return a.id < b.id; });
  json list = json::array();
  for (const TransactionInfo& t : sorted) {
    list.push_back(json{
        {"id", t.id},
        {"kind", txn::kind_name(t.kind)},
        {"state", txn::state_name(t.state)},
        {"method", t.method},
        {"branch", t.branch},
    });
  }
  return json{{"count", transactions.size()},
              {"servers", transactions.server_count()},
              {"clients", transactions.client_count()},
              {"transactions", std::move(list)}};
}

json proxy_stats_view(const ProxyCounters& counters) {
  json j = json::object();
#define SIPEDGE_PROXY_COUNTER_JSON(name, text) j[#name] = counters.name;
  SIPEDGE_PROXY_COUNTERS(SIPEDGE_PROXY_COUNTER_JSON)
#undef SIPEDGE_PROXY_COUNTER_JSON
  json refusals = json::object();
  for (size_t c = 0; c < kRefusalCauseCount; ++c)
    refusals[std::string(refusal_name(static_cast<RefusalCause>(c)))] = counters.refusals[c];
  j["refusals"] = std::move(refusals);
  return j;
}

json flows_view(const MediaManager& media) {
  return json{{"sessions", media.session_count()}, {"flows", media.flow_count()}};
}

json flows_view(const MediaManager& media, const std::vector<InterfaceConfig>& interfaces) {
  json j = flows_view(media);
  json ports = json::object();
  for (const InterfaceConfig& i : interfaces) ports[i.name] = media.ports_in_use(i.index);
  j["ports_in_use"] = std::move(ports);
  return j;
}

nlohmann::json bans_view(const Proxy& proxy, uint64_t now_ms) {
  nlohmann::json list = nlohmann::json::array();
  for (const BanList::Ban& b : proxy.bans().list()) {
    list.push_back({{"addr", b.addr.to_string()},
                    {"reason", b.reason},
                    {"offence", b.offence},
                    {"banned_for_s", (b.until_ms - b.since_ms) / 1000},
                    {"expires_in_s", b.until_ms > now_ms ? (b.until_ms - now_ms + 999) / 1000 : 0}});
  }
  const Lockout& l = proxy.lockout();
  return {{"count", list.size()},
          {"bans", list},
          {"bans_total", proxy.bans().bans_total()},
          {"lifted_total", proxy.bans().lifted_total()},
          {"lockout",
           {{"enabled", l.config().enabled},
            {"failures_total", l.failures_total()},
            {"lockouts_total", l.lockouts_total()},
            {"throttles_total", l.throttles_total()},
            {"throttled_users", l.throttled_users(now_ms)},
            {"throttled_refusals", proxy.guarded_auth().throttled_refusals()},
            {"tracked_sources", l.tracked_sources()}}},
          {"rate_limited_sources", proxy.rate_limiter().size()}};
}

}  // namespace sipedge::control
