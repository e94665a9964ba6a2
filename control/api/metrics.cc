// control/api/metrics.cc — control lcore. See metrics.h.
#include "control/api/metrics.h"

#include <cstdio>

namespace sipedge::control {

std::string label(std::string_view name, std::string_view value) {
  std::string s(name);
  s += "=\"";
  for (char c : value) {
    if (c == '\\' || c == '"') s += '\\';
    if (c == '\n') {
      s += "\\n";
      continue;
    }
    s += c;
  }
  s += '"';
  return s;
}

void PromText::family(std::string_view name, std::string_view type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PromText::head(std::string_view name, std::string_view labels) {
  out_.append(name);
  if (!labels.empty()) out_.append("{").append(labels).append("}");
  out_ += ' ';
}

void PromText::sample(std::string_view name, std::string_view labels, uint64_t value) {
  head(name, labels);
  out_.append(std::to_string(value)).append("\n");
}

void PromText::sample(std::string_view name, std::string_view labels, double value) {
  head(name, labels);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  out_.append(buf).append("\n");
}

void PromText::histogram(std::string_view name, std::string_view labels, const LatencyHistogram& h) {
  const std::string sep = labels.empty() ? "" : std::string(labels) + ",";
  const std::string bucket = std::string(name) + "_bucket";
  const std::span<const uint64_t> bounds = h.bounds_us();
  for (size_t i = 0; i < bounds.size(); ++i) {
    char le[32];
    std::snprintf(le, sizeof le, "%g", static_cast<double>(bounds[i]) / 1e6);
    sample(bucket, sep + label("le", le), h.cumulative(i));
  }
  sample(bucket, sep + label("le", "+Inf"), h.count());
  sample(std::string(name) + "_sum", labels, static_cast<double>(h.sum_ns()) / 1e9);
  sample(std::string(name) + "_count", labels, h.count());
}

void control_metrics(PromText& out, const Proxy& proxy, const MediaManager& media, uint64_t now_ms) {
  const Proxy* proxies[] = {&proxy};
  const MediaManager* managers[] = {&media};
  control_metrics(out, proxies, managers, now_ms);
}

void control_metrics(PromText& out, std::span<const Proxy* const> proxies, std::span<const MediaManager* const> media,
                     uint64_t now_ms) {
  ProxyCounters c;
  TransportCounters t;
  uint64_t calls = 0, transactions = 0, sessions = 0, flows = 0;
  bool overloaded = false;
  LatencyHistogram ringing, answered;
  for (const Proxy* p : proxies) {
    const ProxyCounters& pc = p->counters();
#define SIPEDGE_SUM_PROXY_COUNTER(name, text) c.name += pc.name;
    SIPEDGE_PROXY_COUNTERS(SIPEDGE_SUM_PROXY_COUNTER)
#undef SIPEDGE_SUM_PROXY_COUNTER
    for (size_t i = 0; i < kRefusalCauseCount; ++i) c.refusals[i] += pc.refusals[i];
    t.sent += p->transport_counters().sent;
    t.failed += p->transport_counters().failed;
    calls += p->calls().size();
    transactions += p->transactions().size();
    overloaded |= p->overloaded();
    ringing.add(p->setup_ringing());
    answered.add(p->setup_answer());
  }
  // Bans and the lockout are common to every shard (EdgeGuards): the first one's are everyone's.
  const Proxy& first = *proxies.front();
  const uint64_t bans = first.bans().size(), bans_total = first.bans().bans_total(),
                 failures = first.lockout().failures_total(), lockouts = first.lockout().lockouts_total(),
                 throttled = first.lockout().throttled_users(now_ms);
  for (const MediaManager* m : media) {
    sessions += m->session_count();
    flows += m->flow_count();
  }
  out.family("sipedge_calls_total", "counter", "Calls started: initial INVITEs forwarded.");
  out.sample("sipedge_calls_total", "", c.calls_started);
  out.family("sipedge_calls_answered_total", "counter", "Calls that got a 2xx.");
  out.sample("sipedge_calls_answered_total", "", c.calls_answered);
  out.family("sipedge_calls_ended_total", "counter", "Calls ended (one CDR each).");
  out.sample("sipedge_calls_ended_total", "", c.calls_ended);
#define SIPEDGE_PROM_PROXY_COUNTER(name, text)                     \
  out.family("sipedge_proxy_" #name "_total", "counter", text "."); \
  out.sample("sipedge_proxy_" #name "_total", "", c.name);
  SIPEDGE_PROXY_COUNTERS(SIPEDGE_PROM_PROXY_COUNTER)
#undef SIPEDGE_PROM_PROXY_COUNTER
  out.family("sipedge_proxy_refusals_total", "counter", "Requests and answers sipedge could not pass on, by cause.");
  for (size_t i = 0; i < kRefusalCauseCount; ++i)
    out.sample("sipedge_proxy_refusals_total", label("cause", refusal_name(static_cast<RefusalCause>(i))), c.refusals[i]);

  out.family("sipedge_calls", "gauge", "Calls in progress.");
  out.sample("sipedge_calls", "", calls);
  out.family("sipedge_transactions", "gauge", "SIP transactions alive.");
  out.sample("sipedge_transactions", "", transactions);
  out.family("sipedge_registrations", "gauge", "Registered contacts.");
  out.sample("sipedge_registrations", "", static_cast<uint64_t>(proxies.front()->location().size()));
  out.family("sipedge_media_sessions", "gauge", "Media sessions anchored.");
  out.sample("sipedge_media_sessions", "", sessions);
  out.family("sipedge_media_flows", "gauge", "Relay flows installed.");
  out.sample("sipedge_media_flows", "", flows);
  out.family("sipedge_overloaded", "gauge", "1 while overload control refuses new requests.");
  out.sample("sipedge_overloaded", "", uint64_t{overloaded ? 1u : 0u});

  out.family("sipedge_bans", "gauge", "Source addresses banned now.");
  out.sample("sipedge_bans", "", bans);
  out.family("sipedge_bans_total", "counter", "Bans imposed (brute force, signature rules).");
  out.sample("sipedge_bans_total", "", bans_total);
  out.family("sipedge_auth_failures_total", "counter", "Digest responses that failed verification.");
  out.sample("sipedge_auth_failures_total", "", failures);
  out.family("sipedge_auth_lockouts_total", "counter", "Sources banned for too many failed digest responses.");
  out.sample("sipedge_auth_lockouts_total", "", lockouts);
  out.family("sipedge_auth_throttled_users", "gauge", "Users whose credentials are refused from unregistered addresses now.");
  out.sample("sipedge_auth_throttled_users", "", throttled);

  out.family("sipedge_sip_sent_total", "counter", "SIP datagrams queued for the wire.");
  out.sample("sipedge_sip_sent_total", "", t.sent);
  out.family("sipedge_sip_send_failed_total", "counter", "SIP datagrams dropped for a passing shortage.");
  out.sample("sipedge_sip_send_failed_total", "", t.failed);

  out.family("sipedge_call_setup_seconds", "histogram",
             "Initial INVITE forwarded to its first 18x (stage ringing) or its 2xx (stage answer) relayed.");
  out.histogram("sipedge_call_setup_seconds", label("stage", "ringing"), ringing);
  out.histogram("sipedge_call_setup_seconds", label("stage", "answer"), answered);
}

}  // namespace sipedge::control
