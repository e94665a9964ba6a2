// control/proxy/proxy.h — control lcore only (not thread safe). The transaction-stateful proxy core
// (RFC 3261 §16) with sipedge's edge duties: request validation, registrar, digest challenges for
// the access side, routing (location service, static routes with serial failover), Record-Route,
// loose routing, CANCEL, best-response selection, NAT traversal (RFC 3581, Contact fixing,
// keepalives), media anchoring through MediaManager, call tracking and CDRs.
// It is the transaction user of TransactionLayer; the gateway loop feeds it messages and time.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/hash_index.h"
#include "common/clock.h"
#include "common/shard.h"
#include "common/text_arena.h"
#include "control/latency_histogram.h"
#include "control/auth/digest.h"
#include "control/config.h"
#include "control/dialog/call_table.h"
#include "control/media/media_manager.h"
#include "control/owned_message.h"
#include "control/proxy/diversion.h"
#include "control/proxy/refusal.h"
#include "control/proxy/route_token.h"
#include "control/proxy/session_timer.h"
#include "control/registrar/location.h"
#include "control/security/ban_list.h"
#include "control/security/edge_guards.h"
#include "control/security/guarded_auth.h"
#include "control/security/lockout.h"
#include "control/security/rate_limiter.h"
#include "control/registrar/registrar.h"
#include "control/sip_build.h"
#include "control/sip_io.h"
#include "control/timer_wheel.h"
#include "control/transaction/transaction_layer.h"
#include "parser/scanner.h"
#include "parser/uri.h"

namespace sipedge::control {

// X(name, description)
#define SIPEDGE_PROXY_COUNTERS(X)                                              \
  X(requests_in, "requests received")                                          \
  X(responses_in, "responses received")                                        \
  X(malformed, "requests answered 4xx/5xx by validation, or dropped")          \
  X(retransmissions, "requests absorbed or answered by a transaction")         \
  X(forwarded_requests, "requests forwarded downstream")                       \
  X(forwarded_responses, "responses forwarded upstream")                       \
  X(stateless_responses, "responses forwarded without a transaction")          \
  X(local_replies, "responses sipedge generated")                              \
  X(auth_challenges, "401/407 challenges sent")                                \
  X(auth_failures, "credentials rejected")                                     \
  X(stateless_acks, "ACKs to sipedge's stateless answers (challenges, refusals), absorbed") \
  X(loops, "482 Loop Detected")                                                \
  X(spirals, "requests that passed sipedge before, with another Request-URI")  \
  X(dialog_refused, "in-dialog requests not along sipedge's Route set (481)")  \
  X(calls_forwarded, "requests forwarded to a user's call forwarding target")  \
  X(forward_refused, "call forwardings refused: a loop or forward_max_depth")   \
  X(redirects_followed, "3xx responses recursed on")                           \
  X(redirects_refused, "3xx responses with no Contact sipedge may follow")     \
  X(ring_timeouts, "INVITE branches CANCELled for ringing too long")           \
  X(session_expiries, "calls ended by an RFC 4028 session timer")             \
  X(no_route, "requests with no route (404/480)")                              \
  X(calls_started, "initial INVITEs forwarded")                                \
  X(b2bua_calls, "calls carried in b2bua mode (a dialog per leg)")             \
  X(glare_refused, "b2bua re-INVITEs answered 491 while one was pending")      \
  X(calls_answered, "calls that got a 2xx")                                    \
  X(calls_ended, "calls ended (CDR written)")                                  \
  X(media_timeouts, "calls ended by media inactivity")                         \
  X(keepalives_sent, "NAT keepalive OPTIONS sent")                             \
  X(dropped_responses, "responses that matched nothing and were not ours")     \
  X(banned_dropped, "messages from banned sources dropped by control")         \
  X(policy_dropped, "messages a signature rule with action ban dropped")       \
  X(policy_bans, "sources banned by a signature rule")                         \
  X(rate_limited, "initial requests over their source's rate limit, dropped")  \
  X(replaces_asked, "REFERs that waited for another shard to map their Replaces") \
  X(replaces_unanswered, "waiting REFERs answered 503: the other shard did not answer in time")

struct ProxyCounters {
#define SIPEDGE_PROXY_COUNTER_FIELD(name, text) uint64_t name = 0;
  SIPEDGE_PROXY_COUNTERS(SIPEDGE_PROXY_COUNTER_FIELD)
#undef SIPEDGE_PROXY_COUNTER_FIELD
  // Requests and answers sipedge could not pass on, by cause (refusal.h).
  std::array<uint64_t, kRefusalCauseCount> refusals{};
};

// Branch prefix of the NAT keepalive OPTIONS sipedge sends; their answers are dropped.
inline constexpr std::string_view kKeepaliveBranchPrefix = "z9hG4bKsek";
// How often the NAT keepalive takes its next slice of the registered bindings.
inline constexpr uint64_t kKeepaliveStepMs = 10;

// The other leg of a b2bua call, for a REFER whose Replaces names one of its legs.
struct FarDialog {
  std::string replaces;   // the other leg's dialog as its party knows it (RFC 3891 Replaces value)
  std::string party_uri;  // that party's AOR, "" when it is no URI
};

// What one control shard asks another, which alone holds the answer: the runtime's mailboxes
// (ShardSet), a test's queues. Each question and answer is taken by its recipient between two
// messages, so a shard never reads another's state.
class ShardQueries {
 public:
  virtual ~ShardQueries() = default;
  // Shard `asker` wants to know which dialog a Replaces value (unescaped) names: shard `owner`, the
  // shard of its Call-ID, is to call Proxy::answer_far_dialog.
  virtual void ask_far_dialog(uint32_t owner, uint32_t asker, std::string replaces) = 0;
  // The answer, for Proxy::far_dialog_answered on shard `asker`.
  virtual void answer_far_dialog(uint32_t asker, std::string replaces, std::optional<FarDialog> far) = 0;
};

// Which control shard a Proxy is (issue 14 §2, common/shard.h). Every shard gets the same map, the
// same route token secret and the same nonce secret; the Call-IDs a shard mints hash to itself.
struct ShardPlace {
  ShardMap map;
  uint32_t index = 0;
  std::string nonce_secret;  // seals digest nonces; empty: a random one (only right with one shard)
  EdgeGuards* guards = nullptr;  // the shards' common bans, lockout and rate limits; none: its own
  ShardQueries* queries = nullptr;  // the way to the other shards; none with one shard
};

class Proxy final : public TransactionUser {
 public:
  // `scanner` indexes what control itself must read again (a request it sent, for a CANCEL).
  Proxy(const ControlConfig& config, SipTransport& transport, MediaManager& media, const Clock& clock,
        const parser::Scanner& scanner, RouteToken token = RouteToken(), ShardPlace shard = {});
  ~Proxy() override;

  // Every SIP message the dataplane delivered (already scanned; `fault` from the scanner).
  void on_message(const Inbound& in);
  // A message the scanner refused, with what it indexed (the scanner indexes every line it can):
  // answered 400/513 with the fault as reason when it is a request whose Via, From, To, Call-ID and
  // CSeq are there to build a response from (RFC 3261 §8.2.6.1), else dropped and counted
  // (responses and ACKs are never answered, §17.2.1).
  void on_malformed(const Inbound& in, parser::Fault fault);
  // Advances time: transaction timers, Timer C, registration expiry, nonce expiry, keepalives.
  // Returns how many timers fired (housekeeping counts as one): the loop's measure of work.
  unsigned on_tick();
  // The relay reports a silent flow direction: when the call's media is dead (MediaManager::
  // media_dead), the call ends with BYE both ways and a CDR saying so.
  void on_media_idle(FlowBackend::Handle flow);
  // Several shards, b2bua mode: a REFER whose Replaces names a dialog of another shard's waits,
  // kept, while that shard maps it to the far leg (b2bua.cc). On that shard: the question.
  void answer_far_dialog(uint32_t asker, std::string_view replaces);
  // Back on the REFER's shard: the REFERs that waited for `replaces` run now, with `far`.
  void far_dialog_answered(std::string_view replaces, const std::optional<FarDialog>& far);
  // Ends every call with BYE both ways (graceful shutdown).
  void end_all_calls(std::string_view reason);
  // Overload control: while on, a request without a To tag (one that would start a call, a
  // registration or a transaction of its own) is answered 503 + Retry-After statelessly (or dropped
  // with [sip] overload_action = "drop"), counted as proxy.refusals.Overload; calls in progress keep being served. The control loop turns it on and
  // off from how long messages waited for it (OverloadDetector).
  void set_overloaded(bool on) noexcept { overloaded_ = on; }
  // The configuration it reads by reference was reloaded (apps/config_reload.h): takes over what it
  // keeps copies of (users and digest settings, registrar expiries, lockout and ban settings,
  // transaction timers). Calls, registrations, transactions and bans in progress stay.
  void reconfigure();
  bool overloaded() const noexcept { return overloaded_; }

  // --- TransactionUser ---
  void on_response(TxnId client, const Inbound& response) override;
  void on_client_timeout(TxnId client) override;
  void on_client_transport_error(TxnId client) override;
  void on_server_ack(TxnId server, const Inbound& ack) override;
  void on_server_no_ack(TxnId server) override;
  void on_terminated(TxnId id) override;

  // --- introspection (management API, tests) ---
  const ProxyCounters& counters() const noexcept { return counters_; }
  const TransactionLayer& transactions() const noexcept { return txns_; }
  const Location& location() const noexcept { return location_; }
  // The shard's replica of the location table: the runtime connects it to the other shards'
  // (Location::set_peers) and applies their changes to it (Location::apply).
  Location& location() noexcept { return location_; }
  // Edge security state: bans (the operator lifts them through the management API), lockout.
  // With several shards these are common to all of them: read them while the others are paused.
  BanList& bans() noexcept { return guards_.bans; }
  const BanList& bans() const noexcept { return guards_.bans; }
  const Lockout& lockout() const noexcept { return guards_.lockout; }
  const GuardedAuth& guarded_auth() const noexcept { return guarded_auth_; }
  const RateLimiter& rate_limiter() const noexcept { return guards_.rate_limiter; }
  // Call setup: from forwarding an initial INVITE to relaying its first 18x, and to its 2xx.
  const LatencyHistogram& setup_ringing() const noexcept { return setup_ringing_; }
  const LatencyHistogram& setup_answer() const noexcept { return setup_answer_; }
  const CallTable& calls() const noexcept { return calls_; }
  size_t context_count() const noexcept { return contexts_.size(); }
  // REFERs waiting for another shard to map their Replaces.
  size_t waiting_refers() const noexcept;
  const TransportCounters& transport_counters() const noexcept { return transport_.counters(); }
  // Where CDR lines go: the gateway hands them to its CdrWriter (cdr_path), tests keep them.
  void set_cdr_sink(std::function<void(const std::string&)> sink) { cdr_sink_ = std::move(sink); }

 private:
  struct Target {
    Target() = default;
    Target(const Endpoint& d, uint16_t i, std::string ruri = {}) : dest(d), iface(i), request_uri(std::move(ruri)) {}
    Endpoint dest;
    uint16_t iface = 0;
    std::string request_uri;  // new Request-URI; empty keeps the received one
    // Strict-route interop (RFC 3261 §16.4, §16.6 step 6):
    bool strict_next = false;      // next hop is a strict router: its Route leaves, the old R-URI is appended
    bool drop_last_route = false;  // a strict router put our URI in the R-URI: the last Route becomes it
    // How many leading Route entries are sipedge's own, when the caller walked them already (an
    // in-dialog request's next hop is the first entry that is not); -1: build_forward reads them.
    int own_routes = -1;
    // Where the target came from, for what sipedge does when it fails or redirects:
    std::string user;     // the served user it rings (their call forwarding applies), "" otherwise
    int route = -1;       // index of the route that gave it, -1 for none
    // Call forwarding's traces to add when it is tried: Diversion entries (most recent first) and
    // History-Info entries; "" for none.
    std::string diversion;
    std::string history_info;
  };
  // Where a request for one URI goes: the targets, or the status and reason when there are none.
  struct Resolution {
    std::vector<Target> targets;
    uint16_t status = 404;
    std::string reason = "Not Found";
  };
  struct Context;
  enum class DialogSide : uint8_t { None, Caller, Callee };

  // proxy.cc — requests
  void handle_request(const Inbound& in);
  void reply(TxnId server, const Inbound& in, uint16_t status, std::string_view reason,
             std::vector<std::pair<std::string, std::string>> headers = {}, std::string_view body = {});
  void reply_stateless(const Inbound& in, uint16_t status, std::string_view reason, uint32_t retry_after_s = 0);
  // An answer with no server transaction (RFC 3261 §8.2.7): its To tag starts with
  // stateless_tag_prefix_, by which the ACK to it is recognised and absorbed.
  void send_stateless(const Inbound& in, uint16_t status, std::string_view reason, std::span<const HeaderLine> headers);
  // A response sipedge itself generates for server transaction `server` (Server header, To tag).
  std::string local_response(TxnId server, const Inbound& in, uint16_t status, std::string_view reason,
                             std::span<const HeaderLine> headers, std::string_view body = {});
  // The top Via with received/rport (RFC 3581), written into `arena` when it changes.
  std::string_view received_via(const Inbound& in, TextArena& arena) const;
  bool is_local_host(std::string_view host, uint16_t port, bool has_port) const;
  bool is_own_route(const parser::Message& msg, const Target& t, int index, std::string_view item,
                    std::string_view first_item) const;
  bool is_local_domain(std::string_view host) const;
  std::optional<uint16_t> interface_for(const IpAddr& dest) const;
  // `serve` makes the server transaction, for every answer but the (stateless) 401.
  void handle_register(const std::function<TxnId()>& serve, const Inbound& in);
  void handle_options_to_us(TxnId server, const Inbound& in);
  void handle_cancel(const Inbound& in);
  enum class Authorization : uint8_t { Allowed, Challenged, Forbidden };
  // Challenged: the 407 has been sent, statelessly. Forbidden: the caller answers 403.
  Authorization authorize(const Inbound& in);
  // Edge security before anything else: false (dropped, counted) when the source is banned or the
  // message hit a signature rule whose action is ban (which bans the source).
  bool admit(const Inbound& in);
  // The per-source token bucket for a request that starts something; false: drop it.
  bool within_rate(const Inbound& in);
  // [[user]] register_for: whether the credentials of `auth_user` may bind `aor_user`'s AOR.
  bool may_bind(std::string_view auth_user, std::string_view aor_user) const;
  // Whether `user` has a binding registered from `source` (lockout: its own phone is never throttled).
  bool registered_from(std::string_view user, const IpAddr& source) const;
  // DESIGN §3 Trust: the call ref in the token of `uri`, the Route entry on top of an in-dialog
  // request (or the Request-URI a strict router put it in), already found to name sipedge, for the
  // request's Call-ID; nullopt when `uri` carries no token sipedge made.
  std::optional<CallRef> own_route_token(const parser::Uri& uri, std::string_view call_id) const;
  // The same for the token text itself.
  std::optional<CallRef> own_route_token(std::string_view token, std::string_view call_id) const;
  // The token of a Route or Record-Route entry spelt exactly as build_forward writes sipedge's
  // own: `<sip:` an interface's SIP endpoint `;lr;sek=` token `>`, the token in make()'s alphabet.
  // nullopt for any other spelling, which the caller then reads in full (it may still be ours).
  // sipedge's entries come back on every in-dialog request and answer; this spares their parse.
  std::optional<std::string_view> written_route_token(std::string_view entry) const noexcept;
  // Which party of `call` sent an in-dialog request, by its tags and the interface it came in on.
  DialogSide dialog_side(const Call& call, const Inbound& in) const;

  // targets.cc — where requests go: location service, routes, call forwarding, 3xx recursion
  // The targets of an initial request's Request-URI, from interface `in_iface`.
  Resolution resolve_request(const Inbound& in);
  // `uri_text` as a target of `request`: a served user's devices (or where their unconditional
  // forwarding goes), a route's next hops, or (when `any_address`) an IP address. `retarget`: the
  // targets carry the URI (or the device's contact) as their new Request-URI. `diversions`: how
  // many the call went through so far; `visited`: users forwarded from on the way (loops are
  // refused).
  Resolution resolve_uri(const parser::Message& request, std::string_view uri_text, bool any_address, bool retarget,
                         uint32_t diversions, std::vector<std::string>& visited);
  // The current branch failed with `status` (or rang unanswered): when it rang a served user whose
  // forwarding covers that, the forwarding targets take the place of that user's remaining ones.
  // True when it forwarded.
  bool forward_on_failure(Context& ctx, uint16_t status, bool ring_timeout);
  // A 3xx from the current branch: its Contacts become the next targets (q order) when the route
  // recurses, the request has redirects left and a Contact passes the caller's policy. True when it did.
  bool recurse_on_redirect(Context& ctx, const Inbound& response);
  // History-Info for the targets that forwarding produced, on routes that ask for it.
  void add_history_info(std::vector<Target>& targets, const parser::Message& request, std::string_view from_uri,
                        DiversionReason reason) const;

  // forward.cc — forwarding
  void forward_initial(TxnId server, const Inbound& in, std::vector<Target> targets);
  void forward_in_dialog(TxnId server, const Inbound& in);
  bool try_next_target(Context& ctx);
  // The context of an in-dialog request whose forwarded `bytes` (with `sent_call_id`) go to `t` (a
  // client transaction with `branch`), registered under both transactions.
  Context& start_in_dialog(TxnId server, const Inbound& in, Call* call, int media_from, const Target& t,
                           const std::string& branch, std::string bytes, std::string_view sent_call_id);
  // `rr_token`: Record-Route with this token (route_token.h); empty for no Record-Route. The
  // forwarded bytes, or why they cannot be built (counted).
  Result<std::string, Refusal> build_forward(const Inbound& in, const Target& t, std::string_view rr_token,
                                             bool initial, std::string& branch, MediaSessionId media, int media_from);
  // Counts `r` and returns it.
  Refusal refused(Refusal r);
  // Answers `in` with the refusal's status, reason and Retry-After.
  void reply_refusal(TxnId server, const Inbound& in, const Refusal& r);

  // response.cc — responses
  void handle_response(const Inbound& in);
  // `ctx` null: a response forwarded without a transaction; its SDP, if any, is replaced by
  // `resent_sdp` (what sipedge wrote the first time) or the response is refused.
  Result<std::string, Refusal> build_upstream_response(const Inbound& in, const Context* ctx,
                                                       const std::string* resent_sdp);
  void send_best_upstream(Context& ctx);
  // The final answer went upstream: the request copy and the branch choices are no longer needed.
  void release_request(Context& ctx);
  // The current branch ended without a 2xx (`status`, or a ring timeout): call forwarding, else
  // the next target, else the best response upstream.
  void branch_failed(Context& ctx, uint16_t status, bool ring_timeout);
  // INVITE branches that rang past Timer C or their no-answer time: CANCELled, then dropped.
  void ring_timeouts(uint64_t now);
  // Puts the context in ring_due_ for its earliest ring deadline (none when it has no branch
  // ringing); a deadline that moved later is found when the earlier entry comes up.
  void watch_ring(Context& ctx);
  // When the context's current INVITE branch times out next (0: no branch ringing).
  static uint64_t ring_deadline(const Context& ctx) noexcept;
  // session_timer.cc glue: calls whose session expired unrefreshed end with BYE both ways.
  void session_expiries(uint64_t now);
  // RFC 4028 §8.1 for an INVITE or UPDATE about to be forwarded: false when it was answered 422.
  bool check_session_interval(TxnId server, const Inbound& in);
  SessionTimerPolicy session_policy() const noexcept { return {config_.session_expires_s, config_.min_se_s}; }

  // b2bua.cc — B2BUA mode (DESIGN §3): sipedge ends the caller's dialog and runs its own towards the
  // callee; each leg has its own Call-ID, tags, CSeq space, Via and Contact.
  // The mode for a call whose first target is `t`: its route's, else [sip] mode.
  SignallingMode mode_of(const Target& t) const;
  const RouteConfig* route_config(int route) const;
  // The call's own ends of both legs, before its first INVITE leaves: the callee leg's Call-ID,
  // tags and identities (From/To of `in`, with hosts that are IP addresses replaced by sipedge's).
  void b2bua_begin(Call& call, const Inbound& in);
  // sipedge's Contact on interface `iface` for leg Call-ID `call_id` of call `ref`: its address and
  // a route token, so that the far end's in-dialog requests prove they belong to the dialog.
  std::string b2bua_contact(uint16_t iface, std::string_view call_id, CallRef ref) const;
  // A From/To value as sipedge writes it on the leg leaving `out`: display name and URI (an IP
  // host replaced by sipedge's address), no header parameter but `tag` when given.
  static std::string b2bua_party(std::string_view value, const InterfaceConfig& out, std::string_view tag);
  // `in` as a request on leg `to` (to target `t`, with CSeq `cseq`): written from scratch with
  // that leg's identity, sipedge's Via and Contact, no Route but the leg's route set, and the
  // headers the route's policy lets across; SDP anchored as in proxy mode.
  Result<std::string, Refusal> build_b2bua_request(const Inbound& in, const Target& t, const CallLeg& to, uint32_t cseq,
                                                   int route, bool in_dialog, std::string& branch, MediaSessionId media,
                                                   int media_from);
  // A response from the leg ctx's request went out on, as the answer to ctx's own request.
  Result<std::string, Refusal> build_b2bua_response(const Inbound& in, const Context& ctx);
  // The lines every b2bua answer to ctx's request starts with (Via .. CSeq), from the request while
  // the context has it, else as kept when it went.
  std::string b2bua_answer_head(const Context& ctx) const;
  // An in-dialog request (ACK included) of a b2bua call, from `side`, bridged to the other leg.
  void forward_b2bua_in_dialog(TxnId server, const Inbound& in, Call& call, DialogSide side);
  // Which leg of a b2bua call sent `in`: its Call-ID and tags against each leg's.
  DialogSide b2bua_side(const Call& call, const Inbound& in) const;
  // A 2xx retransmission for an INVITE sipedge already ACKed on that leg: the ACK again. True
  // when `response` was one (and needs nothing else).
  bool b2bua_resend_ack(const Call& call, const Inbound& response);
  // A REFER's Refer-To as it crosses to the other leg: an address host hidden, and a Replaces that
  // names one leg of a b2bua call rewritten to name its other leg (and to reach that leg's party).
  std::string b2bua_refer_to(std::string_view value, const InterfaceConfig& out) const;
  // The other leg of the b2bua call one of whose legs the Replaces value (unescaped) names: this
  // shard's calls, or the answer another shard gave for it (far_dialog_answered).
  std::optional<FarDialog> b2bua_far_dialog(std::string_view replaces) const;
  // A REFER in a b2bua call of this shard whose Replaces names a dialog of another: kept and the
  // other shard asked (true), unless its answer is the one being used.
  bool wait_for_far_dialog(const Inbound& in);
  // REFERs that waited kFarDialogWaitMs without an answer are answered 503 and forgotten: a shard
  // whose loop stopped must not hold them, and their senders, until shutdown.
  void expire_waiting_refers(uint64_t now);
  // The leg a b2bua context's request went out on: the call's callee leg, or its own.
  CallLeg* b2bua_out_leg(Context& ctx);

  // calls
  // The Record-Route entries of `msg` that are not sipedge's, nearest first: those above its own
  // (`above`: the downstream proxies, in a response) or all of them (a request as it arrived:
  // the upstream proxies).
  std::vector<std::string> foreign_record_routes(const parser::Message& msg, bool above) const;
  // Whether `msg` came straight from the UA that wrote its Contact (so NAT fixing applies): a
  // request with one Via, a response with no Record-Route above sipedge's own. A proxy in between
  // adds its Via, or Record-Routes, and its UA is reached through it.
  bool from_its_ua(const parser::Message& msg) const;
  void end_call(CallRef ref, std::string_view reason, bool send_byes);
  void send_bye(Call& call, bool to_caller, std::string_view reason);
  // NAT keepalives due by `now`: every NATed binding gets an OPTIONS once per nat_keepalive_s,
  // the location table's buckets taken in turn in slices every few milliseconds.
  void keepalive(uint64_t now);
  // How long after sipedge last saw a final answer the far end may still retransmit it: 64*T1
  // of a peer whose T1 is twice ours (RFC 3261 §13.3.1.4, §17.1.1.2).
  uint64_t retransmit_window_ms() const noexcept { return 2 * 64ull * config_.timers.t1_ms; }
  // Frees what only a retransmitted answer could still need (SDP texts, b2bua ACKs) once due.
  void release_retransmit_state(uint64_t now);
  // RFC 3261 §9.1: CANCELs the context's current branch (what its client transaction sent).
  void cancel_branch(Context& ctx);
  // A new random Call-ID for a dialog sipedge starts (a b2bua leg) that hashes to this shard, so
  // that every message of the dialog reaches the shard that holds it. Random, never derived from
  // the call's other Call-ID: the far side must not be able to link the legs.
  std::string own_call_id() const;
  // The lock over the edge guards when they are the shards' common ones (nothing otherwise).
  std::unique_lock<std::mutex> lock_guards() const;

  const ControlConfig& config_;
  SipTransport& transport_;
  const parser::Scanner& scanner_;
  MediaManager& media_;
  const Clock& clock_;
  const ShardPlace shard_;
  TimerWheel wheel_;
  TransactionLayer txns_;
  DigestAuth auth_;
  Location location_;
  std::unique_ptr<EdgeGuards> own_guards_;  // none when the shards share theirs
  EdgeGuards& guards_;
  GuardedAuth guarded_auth_;
  Registrar registrar_;
  CallTable calls_;
  RouteToken route_token_;
  // "<sip:" ENDPOINT ";lr;sek=" of each of config_.interfaces, in its order: the start of the
  // Record-Route entries build_forward writes, and what written_route_token knows them by.
  // Interfaces change only with a restart.
  std::vector<std::string> own_route_heads_;
  ProxyCounters counters_;
  LatencyHistogram setup_ringing_, setup_answer_;
  bool overloaded_ = false;
  uint64_t next_context_ = 1;
  IdMap<std::unique_ptr<Context>> contexts_;  // by id, numbered in order like transactions
  IdMap<uint64_t> by_server_;  // transaction -> context
  IdMap<uint64_t> by_client_;
  std::unordered_set<TxnId> internal_clients_;  // BYEs and CANCELs sipedge sent itself
  // REFERs waiting for another shard's answer (wait_for_far_dialog), by the Replaces value they
  // wait on, at most kMaxWaitingRefers in all; and that answer while they run again.
  struct WaitingRefer {
    std::unique_ptr<OwnedMessage> refer;
    Endpoint source, local;
    uint16_t iface = 0;
    uint64_t since_ms = 0;  // when it began to wait
  };
  static constexpr size_t kMaxWaitingRefers = 64;
  // A shard takes its mail every loop iteration (microseconds apart), a reload pauses it for
  // milliseconds: seconds without an answer mean its loop stopped.
  static constexpr uint64_t kFarDialogWaitMs = 2000;
  std::unordered_map<std::string, std::vector<WaitingRefer>> waiting_refers_;
  struct FarAnswer {
    std::string_view replaces;
    const std::optional<FarDialog>* far;
  };
  std::optional<FarAnswer> far_answer_;
  // Random per proxy, so no UA's own To tag starts with it by chance.
  const std::string stateless_tag_prefix_ = new_tag() + ".";
  uint64_t last_keepalive_ms_ = 0;
  size_t keepalive_cursor_ = 0;   // the next location bucket to visit
  uint64_t keepalive_owed_ = 0;   // buckets x ms not yet visited (a bucket is due per period_ms)
  uint64_t last_housekeeping_ms_ = 0;
  // Session-timer deadlines (due ms, call), earliest first: one entry per refresh; an entry whose
  // call has moved on (ended, refreshed to a later due) is dropped when it comes up, so the
  // once-a-second check costs the calls due, not a walk over every call.
  std::priority_queue<std::pair<uint64_t, CallRef>, std::vector<std::pair<uint64_t, CallRef>>, std::greater<>>
      session_due_;
  // Ring deadlines (due ms, context id), earliest first, at most two entries per context: the
  // once-a-second check looks at the contexts due, not at every context (about cps x 64*T1 of them).
  std::priority_queue<std::pair<uint64_t, uint64_t>, std::vector<std::pair<uint64_t, uint64_t>>, std::greater<>>
      ring_due_;
  // When each ended context lets go of its media session's SDP texts (due ms, session), earliest
  // first (MediaManager::keep_sdp_texts).
  std::priority_queue<std::pair<uint64_t, MediaSessionId>, std::vector<std::pair<uint64_t, MediaSessionId>>,
                      std::greater<>>
      sdp_release_due_;
  // When a b2bua call's kept ACK may go (due ms, call): an entry whose ACK was replaced since is
  // passed over (LocalEnd::ack_sent_ms).
  std::priority_queue<std::pair<uint64_t, CallRef>, std::vector<std::pair<uint64_t, CallRef>>, std::greater<>>
      ack_release_due_;
  std::function<void(const std::string&)> cdr_sink_;
};

}  // namespace sipedge::control
