// control/proxy/proxy.cc — control lcore only. Request entry: validation (RFC 3261 §16.3), local
// answers (REGISTER, OPTIONS to us, CANCEL), authentication of the access side, then forward.cc.
#include "control/proxy/proxy.h"

#include <charconv>

#include "control/api/logging.h"
#include "control/proxy/context.h"
#include "control/sip_build.h"
#include "parser/contact.h"
#include "parser/headers.h"
#include "parser/params.h"
#include "parser/uri.h"
#include "parser/value_list.h"
#include "parser/via.h"

namespace sipedge::control {
namespace {

// Views of (name, value) pairs, as the response builders take them.
std::vector<HeaderLine> header_lines(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<HeaderLine> lines;
  lines.reserve(headers.size());
  for (const auto& [name, value] : headers) lines.push_back({name, value});
  return lines;
}

}  // namespace

Proxy::Proxy(const ControlConfig& config, SipTransport& transport, MediaManager& media, const Clock& clock,
             const parser::Scanner& scanner, RouteToken token, ShardPlace shard)
    : config_(config),
      transport_(transport),
      scanner_(scanner),
      media_(media),
      clock_(clock),
      shard_(std::move(shard)),
      wheel_(clock.monotonic_ms(), 10),
      txns_(wheel_, transport, *this, config.timers, scanner),
      auth_(config.auth, shard_.nonce_secret, static_cast<uint8_t>(shard_.index)),
      own_guards_(shard_.guards ? nullptr : std::make_unique<EdgeGuards>(config)),
      guards_(shard_.guards ? *shard_.guards : *own_guards_),
      guarded_auth_(auth_, guards_.lockout,
                    [this](std::string_view user, const IpAddr& source) { return registered_from(user, source); }),
      registrar_(location_, guarded_auth_,
                 RegistrarConfig{config.registration_default_expires_s, config.registration_min_expires_s,
                                 config.registration_max_expires_s, true,
                                 [this](std::string_view auth_user, std::string_view aor_user) {
                                   return may_bind(auth_user, aor_user);
                                 }}),
      route_token_(std::move(token)) {
  for (const UserConfig& u : config.users) auth_.set_user(u.name, u.credentials);
  for (const InterfaceConfig& i : config.interfaces)
    own_route_heads_.push_back(fmt::format("<sip:{};lr;{}=", i.sip_endpoint().text().view(), kRouteTokenParam));
  last_keepalive_ms_ = last_housekeeping_ms_ = clock.monotonic_ms();
}

void Proxy::reconfigure() {
  auth_.reconfigure(config_.auth);
  for (const UserConfig& u : config_.users) auth_.set_user(u.name, u.credentials);
  RegistrarConfig rc = registrar_.config();
  rc.default_expires_s = config_.registration_default_expires_s;
  rc.min_expires_s = config_.registration_min_expires_s;
  rc.max_expires_s = config_.registration_max_expires_s;
  registrar_.set_config(std::move(rc));
  guards_.lockout.set_config(config_.security.lockout);
  guards_.bans.set_config(BanConfig{config_.security.ban_s, config_.security.ban_max_s});
  txns_.set_timers(config_.timers);
}

Proxy::~Proxy() = default;

void Proxy::on_message(const Inbound& in) {
  if (!admit(in)) return;
  if (in.msg.is_request()) {
    if (shard_.queries && wait_for_far_dialog(in)) return;
    handle_request(in);
  } else {
    handle_response(in);
  }
}

void Proxy::on_malformed(const Inbound& in, parser::Fault fault) {
  if (!admit(in)) return;
  ++counters_.malformed;
  logs::of(logs::Component::Sip).debug("sipedge: malformed SIP from {}: {}", in.source.to_string(), parser::fault_reason(fault));
  const parser::Message& m = in.msg;
  if (!m.is_request() || m.method() == parser::Method::Ack || m.start_line().empty()) return;
  for (auto id : {parser::HeaderId::Via, parser::HeaderId::From, parser::HeaderId::To, parser::HeaderId::CallId,
                  parser::HeaderId::CSeq})
    if (!m.find(id)) return;
  reply_stateless(in, parser::fault_status(fault), parser::fault_reason(fault));
}

std::unique_lock<std::mutex> Proxy::lock_guards() const {
  return own_guards_ ? std::unique_lock<std::mutex>() : std::unique_lock<std::mutex>(guards_.lock);
}

bool Proxy::admit(const Inbound& in) {
  const uint64_t now = clock_.monotonic_ms();
  const auto guard = lock_guards();
  if (guards_.bans.banned(in.source.ip, now)) {
    ++counters_.banned_dropped;
    return false;
  }
  for (uint16_t id : in.msg.policy_hits()) {
    for (const parser::PolicyRule& r : config_.security.policy_rules) {
      if (r.id != id || r.action == parser::PolicyAction::Tag) continue;
      // Drop rules end in the dataplane; one that reaches here (a lane without the matcher) ends too.
      if (r.action == parser::PolicyAction::Ban && guards_.bans.ban(in.source.ip, "policy " + r.name, now))
        ++counters_.policy_bans;
      ++counters_.policy_dropped;
      return false;
    }
  }
  return true;
}

bool Proxy::within_rate(const Inbound& in) {
  using parser::Method;
  const Method m = in.msg.method();
  if (m != Method::Invite && m != Method::Register && m != Method::Options && m != Method::Subscribe &&
      m != Method::Message)
    return true;
  const RateLimit* limit = &config_.security.trusted_rate;
  if (!guards_.bans.trusted(in.source.ip)) {
    const InterfaceConfig* iface = config_.interface(in.iface);
    if (!iface) return true;
    limit = &iface->rate_limit;
  }
  if (limit->per_s == 0) return true;
  auto to_tag = parser::to_tag(in.msg);
  if (to_tag && !to_tag->empty()) return true;  // in-dialog: part of something already admitted
  const auto guard = lock_guards();
  if (guards_.rate_limiter.allow(in.source.ip, *limit, clock_.monotonic_ms())) return true;
  ++counters_.rate_limited;
  return false;
}

bool Proxy::may_bind(std::string_view auth_user, std::string_view aor_user) const {
  const UserConfig* u = config_.user(auth_user);
  if (!u) return false;
  for (const std::string& other : u->register_for)
    if (other == aor_user) return true;
  return false;
}

bool Proxy::registered_from(std::string_view user, const IpAddr& source) const {
  for (const std::string& domain : config_.domains)
    for (const Binding* b : location_.lookup(make_aor(user, domain)))
      if (b->received.ip == source) return true;
  return false;
}

// RFC 3581 §4 and RFC 3261 §18.2.1: the top Via gets received= when the source differs from
// sent-by (always, when rport was asked for) and rport=<source port> when it was asked for.
std::string_view Proxy::received_via(const Inbound& in, TextArena& arena) const {
  const std::string_view item = parser::top_via_text(in.msg);
  if (item.empty()) return {};
  auto via = parser::top_via(in.msg);
  if (!via) return item;
  const AddrText source_ip = in.source.ip.text();
  const bool host_differs = via->host != source_ip.view();
  if (!via->has_rport && !host_differs) return item;
  const size_t params_at = via->params.empty() ? item.size() : static_cast<size_t>(via->params.data() - item.data());
  std::string_view sent = item.substr(0, params_at);
  while (!sent.empty() && (sent.back() == ' ' || sent.back() == '\t')) sent.remove_suffix(1);
  // The params are copied as they were, less received and rport: at most the item's length, plus
  // ";received=" with the address and ";rport=NNNNN".
  char* const start = arena.begin(item.size() + source_ip.len + 24);
  char* at = parser::write_params_without(via->params, "received", "rport", TextArena::put(start, sent));
  at = TextArena::put(at, ";received=");
  at = TextArena::put(at, source_ip.view());
  if (via->has_rport) {
    at = TextArena::put(at, ";rport=");
    at = std::to_chars(at, at + 5, in.source.port).ptr;
  }
  return arena.commit(at);
}

bool Proxy::is_local_domain(std::string_view host) const {
  for (const std::string& d : config_.domains)
    if (parser::iequals(d, host)) return true;
  return false;
}

bool Proxy::is_local_host(std::string_view host, uint16_t port, bool has_port) const {
  if (auto ip = IpAddr::parse(host)) {
    for (const InterfaceConfig& i : config_.interfaces)
      if (i.sip_address == *ip && (!has_port || port == i.sip_port)) return true;
    return false;
  }
  if (!is_local_domain(host)) return false;
  if (!has_port) return true;
  for (const InterfaceConfig& i : config_.interfaces)
    if (port == i.sip_port) return true;
  return false;
}

std::optional<uint16_t> Proxy::interface_for(const IpAddr& dest) const {
  for (const InterfaceConfig& i : config_.interfaces)
    if (i.subnet.length > 0 && i.subnet.contains(dest)) return i.index;
  if (const InterfaceConfig* i = config_.interface_named(config_.default_interface)) return i->index;
  if (!config_.interfaces.empty()) return config_.interfaces.front().index;
  return std::nullopt;
}

std::string Proxy::local_response(TxnId server, const Inbound& in, uint16_t status, std::string_view reason,
                                  std::span<const HeaderLine> headers, std::string_view body) {
  std::vector<HeaderLine> extra;
  if (!config_.user_agent.empty()) extra.push_back({"Server", config_.user_agent});
  extra.insert(extra.end(), headers.begin(), headers.end());
  // The To tag of every response this server transaction generates (RFC 3261 §8.2.6.2).
  char tag[24] = {'s', 'e'};
  const char* tag_end = std::to_chars(tag + 2, tag + sizeof tag, server, 16).ptr;
  if (status >= 200) ++counters_.local_replies;
  TextArena arena;
  return build_response(in.msg, status, reason, std::string_view(tag, static_cast<size_t>(tag_end - tag)),
                        received_via(in, arena), extra, body);
}

void Proxy::reply(TxnId server, const Inbound& in, uint16_t status, std::string_view reason,
                  std::vector<std::pair<std::string, std::string>> headers, std::string_view body) {
  txns_.respond(server, status, local_response(server, in, status, reason, header_lines(headers), body),
                in.msg.value(parser::HeaderId::CallId));
}

Refusal Proxy::refused(Refusal r) {
  ++counters_.refusals[static_cast<size_t>(r.cause)];
  return r;
}

void Proxy::reply_refusal(TxnId server, const Inbound& in, const Refusal& r) {
  const std::string retry = std::to_string(r.retry_after_s);
  const HeaderLine retry_after{"Retry-After", retry};
  txns_.respond(server, r.status,
                local_response(server, in, r.status, r.reason, {&retry_after, r.retry_after_s ? 1u : 0u}),
                in.msg.value(parser::HeaderId::CallId));
}

void Proxy::reply_stateless(const Inbound& in, uint16_t status, std::string_view reason, uint32_t retry_after_s) {
  const std::string retry = std::to_string(retry_after_s);
  const HeaderLine retry_after{"Retry-After", retry};
  send_stateless(in, status, reason, {&retry_after, retry_after_s ? 1u : 0u});
}

void Proxy::send_stateless(const Inbound& in, uint16_t status, std::string_view reason,
                           std::span<const HeaderLine> headers) {
  std::vector<HeaderLine> extra;
  extra.reserve(headers.size() + 1);
  if (!config_.user_agent.empty()) extra.push_back({"Server", config_.user_agent});
  extra.insert(extra.end(), headers.begin(), headers.end());
  TextArena arena;
  const std::string bytes =
      build_response(in.msg, status, reason, stateless_tag_prefix_ + new_tag(), received_via(in, arena), extra);
  ++counters_.local_replies;
  transport_.send(in.iface, in.source, bytes, in.msg.value(parser::HeaderId::CallId));
}

void Proxy::handle_request(const Inbound& in) {
  ++counters_.requests_in;
  const parser::Message& msg = in.msg;
  // The ACK to a stateless answer (a challenge, a refusal: its To tag starts with
  // stateless_tag_prefix_) ends here, valid or not: it matches no transaction, goes nowhere and
  // is never answered (§17.2.1), so the full validation a forwarded request needs is skipped.
  if (msg.method() == parser::Method::Ack) {
    auto to_tag = parser::to_tag(msg);
    if (to_tag && to_tag->starts_with(stateless_tag_prefix_)) {
      ++counters_.stateless_acks;
      return;
    }
  }
  // The transaction index is read right after validation: its slot loads meanwhile.
  TransactionLayer::ServerKey key;
  txns_.prepare_server_key(in, key);
  if (const parser::Fault f = parser::validate(msg); f != parser::Fault::None) {
    ++counters_.malformed;
    // RFC 3261 §17.2.1 / §16.3: an ACK is never answered.
    if (msg.method() != parser::Method::Ack) reply_stateless(in, parser::fault_status(f), parser::fault_reason(f));
    return;
  }
  TxnId matched = 0;
  const RequestMatch match = txns_.on_request(in, &matched, &key);
  if (match != RequestMatch::New) {
    ++counters_.retransmissions;
    return;
  }
  if (msg.method() == parser::Method::Ack) {
    forward_in_dialog(0, in);
    return;
  }
  if (msg.method() == parser::Method::Cancel) {
    handle_cancel(in);
    return;
  }
  if (!within_rate(in)) return;
  // Overload: a request that would start something new is refused before any state,
  // authentication or routing is spent on it. Retransmissions (absorbed above), ACK, CANCEL,
  // in-dialog requests and responses keep the calls in progress going.
  if (overloaded_) {
    auto to_tag = parser::to_tag(msg);
    if (!to_tag || to_tag->empty()) {
      const Refusal r = refused(refusal(RefusalCause::Overload));
      if (!config_.security.overload_drop) reply_stateless(in, r.status, r.reason, r.retry_after_s);
      return;
    }
  }
  // The server transaction, made when an answer needs one: a challenge is answered without one.
  TxnId server = 0;
  auto serve = [&] {
    server = txns_.create_server(in, false, &key);
    // RFC 3261 §16.2: a stateful proxy answers INVITE with 100 at once, so the UAC stops Timer A.
    if (msg.method() == parser::Method::Invite) reply(server, in, 100, "Trying");
    return server;
  };

  // §16.3 step 3: Max-Forwards.
  if (const parser::HeaderField* h = msg.find(parser::HeaderId::MaxForwards)) {
    auto mf = parser::parse_max_forwards(msg.text(h->value));
    if (mf && *mf == 0) {
      auto ruri = parser::parsed_request_uri(msg);
      if (msg.method() == parser::Method::Options && ruri && ruri->user.empty() &&
          is_local_host(ruri->host, ruri->port, ruri->has_port)) {
        handle_options_to_us(serve(), in);
      } else {
        reply(serve(), in, 483, "Too Many Hops");
      }
      return;
    }
  }
  // §16.3 step 4: a Via of ours means the request passed here before. It looped when that Via's
  // branch carries this request's loop key (§16.6 step 8); otherwise it is spiralling (say core ->
  // application server -> back through sipedge with a new Request-URI) and goes on.
  {
    parser::ViaList vias(msg);
    Result<parser::Via, parser::Fault> v{Err{parser::Fault::BadVia}};
    std::optional<LoopKey> key;
    bool ours = false;
    while (vias.next(v)) {
      if (!v || !is_local_host(v->host, v->port, true) || !IpAddr::parse(v->host)) continue;
      ours = true;
      if (!key) key = loop_key(msg);
      if (branch_loop_key(v->branch) == key->view()) {
        ++counters_.loops;
        reply(serve(), in, 482, "Loop Detected");
        return;
      }
    }
    if (ours) ++counters_.spirals;
  }
  // §16.3 step 5: sipedge supports no proxy extensions.
  if (const parser::HeaderField* h = msg.find(parser::HeaderId::ProxyRequire)) {
    std::string unsupported;
    for (; h; h = msg.next_same(h)) {
      parser::OptionTags tags(msg.text(h->value));
      std::string_view tag;
      while (tags.next(tag)) {
        if (!unsupported.empty()) unsupported += ", ";
        unsupported += std::string(tag);
      }
    }
    reply(serve(), in, 420, "Bad Extension", {{"Unsupported", unsupported}});
    return;
  }

  auto to_tag = parser::to_tag(msg);
  const bool in_dialog = to_tag && !to_tag->empty();
  if (in_dialog) {
    forward_in_dialog(serve(), in);
    return;
  }
  auto ruri = parser::parsed_request_uri(msg);
  const bool ruri_local = ruri && (ruri->scheme == parser::UriScheme::Sip || ruri->scheme == parser::UriScheme::Sips) &&
                          (is_local_domain(ruri->host) || is_local_host(ruri->host, ruri->port, ruri->has_port));
  if (msg.method() == parser::Method::Register && ruri_local) {
    handle_register(serve, in);
    return;
  }
  if (msg.method() == parser::Method::Options && ruri_local && ruri->user.empty() && !msg.find(parser::HeaderId::Route)) {
    handle_options_to_us(serve(), in);
    return;
  }
  switch (authorize(in)) {
    case Authorization::Allowed:
      break;
    case Authorization::Challenged:
      return;
    case Authorization::Forbidden:
      reply(serve(), in, 403, "Forbidden: From does not match credentials");
      return;
  }
  serve();
  if (!check_session_interval(server, in)) return;

  Resolution where = resolve_request(in);
  if (where.targets.empty()) {
    ++counters_.no_route;
    reply(server, in, where.status, where.reason);
    return;
  }
  forward_initial(server, in, std::move(where.targets));
}

// RFC 3261 §8.2.7: the challenge is answered statelessly. A retransmitted INVITE gets another
// 407 (with another nonce, which costs nothing until used), and the challenge holds no transaction,
// no 100 and no timers for a caller who may never come back: unauthenticated floods then cost no
// state at all.
Proxy::Authorization Proxy::authorize(const Inbound& in) {
  const InterfaceConfig* iface = config_.interface(in.iface);
  if (!iface || iface->role != InterfaceRole::Access) return Authorization::Allowed;
  for (const IpPrefix& p : config_.trusted)
    if (p.contains(in.source.ip)) return Authorization::Allowed;
  const uint64_t now_s = clock_.monotonic_ms() / 1000;
  std::unique_lock<std::mutex> guard = lock_guards();
  const AuthResult a = guarded_auth_.verify(in, true, clock_.monotonic_ms());
  if (guard.owns_lock()) guard.unlock();
  if (a.outcome == AuthOutcome::Ok) {
    // The identity asserted in From must be the one that authenticated (no spoofing of callers).
    auto from = parser::from_header(in.msg);
    return from && from->uri.user == a.user ? Authorization::Allowed : Authorization::Forbidden;
  }
  if (a.outcome == AuthOutcome::Rejected) ++counters_.auth_failures;
  ++counters_.auth_challenges;
  std::vector<std::string> challenges = auth_.challenges(now_s, a.outcome == AuthOutcome::Stale);
  std::vector<HeaderLine> headers;
  headers.reserve(challenges.size());
  for (const std::string& c : challenges) headers.push_back({"Proxy-Authenticate", c});
  send_stateless(in, 407, "Proxy Authentication Required", headers);
  return Authorization::Challenged;
}

void Proxy::handle_register(const std::function<TxnId()>& serve, const Inbound& in) {
  auto ruri = parser::parsed_request_uri(in.msg);
  std::string domain = config_.domains.empty() ? std::string() : config_.domains.front();
  if (ruri && is_local_domain(ruri->host)) domain = std::string(ruri->host);
  for (char& c : domain) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  std::unique_lock<std::mutex> guard = lock_guards();
  RegistrarReply r = registrar_.handle(in, domain, clock_.monotonic_ms());
  if (guard.owns_lock()) guard.unlock();
  if (r.status == 401) {
    // Stateless, as the 407 for other requests (authorize): a registration storm's challenges hold
    // no transactions.
    ++counters_.auth_challenges;
    send_stateless(in, r.status, r.reason, header_lines(r.headers));
    return;
  }
  reply(serve(), in, r.status, r.reason, std::move(r.headers));
}

void Proxy::handle_options_to_us(TxnId server, const Inbound& in) {
  reply(server, in, 200, "OK",
        {{"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, PRACK, SUBSCRIBE, NOTIFY, REFER, MESSAGE"},
         {"Accept", "application/sdp"}});
}

void Proxy::handle_cancel(const Inbound& in) {
  const TxnId invite_server = txns_.find_invite_for_cancel(in);
  const TxnId cancel_server = txns_.create_server(in);
  const uint64_t* found = invite_server ? by_server_.find(invite_server) : nullptr;
  if (found == nullptr) {
    reply(cancel_server, in, 481, "Call/Transaction Does Not Exist");
    return;
  }
  // §16.10: answer the CANCEL, then cancel the pending branch; its 487 travels back as the final.
  const uint64_t ctx_id = *found;  // read before reply(), which may change the map
  reply(cancel_server, in, 200, "OK");
  Context& ctx = **contexts_.find(ctx_id);
  if (ctx.final_sent || ctx.cancelled) return;
  ctx.cancelled = true;
  if (ctx.client == 0) {
    send_best_upstream(ctx);
    return;
  }
  cancel_branch(ctx);
}

void Proxy::cancel_branch(Context& ctx) {
  // The CANCEL copies what the branch's INVITE carried; that request exists only as the bytes its
  // client transaction sent (and retransmits), so read them once more, on this rare path.
  const std::string* sent = txns_.request_bytes(ctx.client);
  parser::Message invite;
  if (!sent || scanner_.scan(*sent, parser::Framing::Datagram, invite).status != parser::ScanStatus::Complete) return;
  const TxnId c = txns_.send_request(build_cancel(invite), "CANCEL", ctx.client_branch, ctx.client_iface, ctx.client_dest);
  internal_clients_.insert(c);
}

unsigned Proxy::on_tick() {
  const uint64_t now = clock_.monotonic_ms();
  unsigned fired = 0;
  wheel_.advance(
      now,
      [&](uint64_t cookie) {
        ++fired;
        txns_.on_timer(cookie);
      },
      [&](uint64_t cookie, unsigned step) { txns_.prefetch_for_timer(cookie, step); });
  if (config_.nat_keepalive_s && now - last_keepalive_ms_ >= kKeepaliveStepMs) {
    keepalive(now);
    ++fired;
  }
  if (now - last_housekeeping_ms_ < 1000) return fired;
  last_housekeeping_ms_ = now;
  location_.expire(now);
  auth_.expire(now / 1000);
  {
    const auto guard = lock_guards();
    guards_.bans.expire(now);
    guards_.lockout.expire(now);
    guards_.rate_limiter.expire(now);
  }
  ring_timeouts(now);
  session_expiries(now);
  release_retransmit_state(now);
  if (!waiting_refers_.empty()) expire_waiting_refers(now);
  return fired + 1;
}

uint64_t Proxy::ring_deadline(const Context& ctx) noexcept {
  if (!ctx.invite || ctx.final_sent || !ctx.client) return 0;
  if (ctx.branch_timed_out) return ctx.cancel_due_ms;
  return ctx.no_answer_due_ms ? std::min(ctx.timer_c_due_ms, ctx.no_answer_due_ms) : ctx.timer_c_due_ms;
}

void Proxy::watch_ring(Context& ctx) {
  const uint64_t at = ring_deadline(ctx);
  if (at == 0 || (ctx.ring_check_ms != 0 && ctx.ring_check_ms <= at)) return;
  ring_due_.emplace(at, ctx.id);
  ctx.ring_check_ms = at;
}

void Proxy::ring_timeouts(uint64_t now) {
  std::vector<uint64_t> due;
  while (!ring_due_.empty() && ring_due_.top().first <= now) {
    const auto [at, id] = ring_due_.top();
    ring_due_.pop();
    const std::unique_ptr<Context>* it = contexts_.find(id);
    if (it == nullptr || (*it)->ring_check_ms != at) continue;  // gone, or superseded
    Context& ctx = **it;
    ctx.ring_check_ms = 0;
    const uint64_t deadline = ring_deadline(ctx);
    if (deadline != 0 && now >= deadline) {
      due.push_back(id);
    } else {
      watch_ring(ctx);  // Timer C restarted by a provisional since: look again then
    }
  }
  for (uint64_t id : due) {
    std::unique_ptr<Context>* it = contexts_.find(id);
    if (it == nullptr) continue;
    Context& ctx = **it;
    if (!ctx.branch_timed_out) {
      // Rang too long: CANCEL the branch (RFC 3261 §16.6 step 11); its 487 moves the request on.
      ctx.branch_timed_out = true;
      ctx.cancel_due_ms = now + 64ull * config_.timers.t1_ms;
      ++counters_.ring_timeouts;
      cancel_branch(ctx);
      watch_ring(ctx);
    } else {
      // The branch ignored the CANCEL: drop it and move on as if it had answered 408.
      const TxnId client = ctx.client;
      branch_failed(ctx, 408, true);
      txns_.terminate(client);
    }
  }
}

bool Proxy::check_session_interval(TxnId server, const Inbound& in) {
  const parser::Method m = in.msg.method();
  if (m != parser::Method::Invite && m != parser::Method::Update) return true;
  if (!plan_request_timer(in.msg, session_policy()).too_small) return true;
  reply(server, in, 422, "Session Interval Too Small", {{"Min-SE", std::to_string(config_.min_se_s)}});
  return false;
}

void Proxy::session_expiries(uint64_t now) {
  std::vector<CallRef> expired;
  while (!session_due_.empty() && session_due_.top().first <= now) {
    const auto [due, ref] = session_due_.top();
    session_due_.pop();
    const Call* c = calls_.find(ref);
    if (c && c->state == CallState::Confirmed && c->session_due_ms == due) expired.push_back(ref);
  }
  for (CallRef ref : expired) {
    ++counters_.session_expiries;
    end_call(ref, "session timer expired", true);
  }
}

void Proxy::release_retransmit_state(uint64_t now) {
  for (; !sdp_release_due_.empty() && sdp_release_due_.top().first <= now; sdp_release_due_.pop())
    media_.release_sdp_texts(sdp_release_due_.top().second);
  for (; !ack_release_due_.empty() && ack_release_due_.top().first <= now; ack_release_due_.pop()) {
    Call* call = calls_.find(ack_release_due_.top().second);
    if (!call) continue;
    for (CallLeg* leg : {&call->caller, &call->callee})
      if (leg->local && !leg->local->ack.empty() && now >= leg->local->ack_sent_ms + retransmit_window_ms())
        leg->local->ack.clear();
  }
}

void Proxy::keepalive(uint64_t now) {
  // A burst every period would be a million OPTIONS at once with a million NATed bindings: the TX
  // queue overflows and the loop stalls. Each step visits its share of the buckets instead.
  const uint64_t period_ms = uint64_t{config_.nat_keepalive_s} * 1000;
  const size_t buckets = location_.buckets();
  keepalive_owed_ += (now - last_keepalive_ms_) * buckets;
  last_keepalive_ms_ = now;
  size_t due = keepalive_owed_ / period_ms;
  keepalive_owed_ %= period_ms;
  if (due >= buckets) {
    due = buckets;  // a long pause: one round now, not several
    keepalive_owed_ = 0;
  }
  const size_t first = keepalive_cursor_;
  keepalive_cursor_ = (first + due) % buckets;
  location_.for_each_in_buckets(first, due, [&](const Binding& b) {
    if (!b.behind_nat || b.replica) return;
    const InterfaceConfig* iface = config_.interface(b.iface);
    if (!iface) return;
    // Stateless: responses carry the keepalive branch prefix and are dropped on arrival.
    const std::string bytes = "OPTIONS " + b.contact_uri + " SIP/2.0\r\nVia: SIP/2.0/UDP " +
                              iface->sip_endpoint().to_string() +
                              ";branch=" + std::string(kKeepaliveBranchPrefix) + new_tag() + ";rport\r\n" +
                              "Max-Forwards: 70\r\nFrom: <sip:keepalive@" + iface->sip_address.to_uri_host() +
                              ">;tag=" + new_tag() + "\r\nTo: <" + b.contact_uri + ">\r\nCall-ID: " + new_tag() +
                              "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    transport_.send(b.iface, b.received, bytes);
    ++counters_.keepalives_sent;
  });
}

}  // namespace sipedge::control
