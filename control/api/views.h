// control/api/views.h — control lcore only (reads control-plane state that only that lcore writes).
// The JSON the management API answers with: calls, registrations, transactions, proxy counters and
// media flows. Lists are sorted so two calls over the same state give the same bytes.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/config.h"
#include "control/dialog/call_table.h"
#include "control/media/media_manager.h"
#include "control/proxy/proxy.h"
#include "control/registrar/location.h"
#include "control/transaction/transaction_layer.h"

namespace sipedge::control {

// {"count":N,"calls":[{"call_id","state","from","to","caller":{"peer","iface"},"callee":{...},
//   "start_ms","answer_ms","media":{"session","packets_caller_to_callee","packets_callee_to_caller",
//   "bytes_caller_to_callee","bytes_callee_to_caller"}}]}, ordered by start time then Call-ID.
// start_ms/answer_ms are wall-clock ms since the epoch; answer_ms 0 = not answered.
nlohmann::json calls_view(const CallTable& calls, const MediaManager& media);

// {"count":N,"registrations":[{"aor","contact","received","iface","behind_nat","expires_in_s",
//   "user_agent"}]}, ordered by AOR then contact. `now_ms` is on the clock the registrar stamps
// expiries with (monotonic); expires_in_s is rounded up, as the registrar's Contact expires is.
nlohmann::json registrations_view(const Location& location, uint64_t now_ms);

// {"count","servers","clients","transactions":[{"id","kind","state","method","branch"}]}, by id.
nlohmann::json transactions_view(const TransactionLayer& transactions);

// Every counter of SIPEDGE_PROXY_COUNTERS by name: {"requests_in":N,...}.
nlohmann::json proxy_stats_view(const ProxyCounters& counters);

// {"count":N,"bans":[{"addr","reason","offence","banned_for_s","expires_in_s"}],"bans_total","lifted_total",
//  "lockout":{"enabled","failures_total","lockouts_total","throttles_total","throttled_users",
//  "throttled_refusals","tracked_sources"},"rate_limited_sources"}, bans by address text.
nlohmann::json bans_view(const Proxy& proxy, uint64_t now_ms);

// {"sessions":N,"flows":M}: media sessions and relay flows installed.
nlohmann::json flows_view(const MediaManager& media);
// The same plus relay ports in use per interface: "ports_in_use":{"access":2,"core":2}.
nlohmann::json flows_view(const MediaManager& media, const std::vector<InterfaceConfig>& interfaces);

}  // namespace sipedge::control
