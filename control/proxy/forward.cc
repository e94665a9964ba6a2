// control/proxy/forward.cc — control lcore only. Where requests go (location service, static
// routes, Route headers) and how they are rewritten on the way (RFC 3261 §16.5–16.6): Request-URI,
// Max-Forwards, received/rport, our Via, Record-Route, Route popping and strict-route interop,
// Contact fixing for UAs behind NAT, SDP anchoring.

#include "control/proxy/context.h"
#include "control/proxy/nat_contact.h"
#include "control/proxy/proxy.h"
#include "control/sip_build.h"
#include "parser/auth.h"
#include "parser/contact.h"
#include "parser/headers.h"
#include "parser/rewriter.h"
#include "parser/uri.h"
#include "parser/value_list.h"
#include "parser/via.h"

namespace sipedge::control {
namespace {

parser::Span span_of(const parser::Message& msg, std::string_view view) {
  return parser::Span{static_cast<uint32_t>(view.data() - msg.bytes().data()), static_cast<uint32_t>(view.size())};
}

}  // namespace

// Whether Route entry `index` (`item`) is one of sipedge's own: as the caller found it when it
// walked the entries already, else read here. The first entry's parse is kept on the message
// (the route token and the next hop read it before).
bool Proxy::is_own_route(const parser::Message& msg, const Target& t, int index, std::string_view item,
                         std::string_view first_item) const {
  if (t.own_routes >= 0) return index < t.own_routes;
  const bool top = item.data() == first_item.data() && item.size() == first_item.size();
  auto na = top ? parser::name_addr_cached(msg, msg.top_route_index(), item, parser::Fault::BadRoute)
                : parser::parse_name_addr(item);
  return na && is_local_host(na->uri.host, na->uri.port, na->uri.has_port);
}

Result<std::string, Refusal> Proxy::build_forward(const Inbound& in, const Target& t, std::string_view rr_token,
                                                  bool initial, std::string& branch, MediaSessionId media,
                                                  int media_from) {
  const parser::Message& msg = in.msg;
  const InterfaceConfig* out_if = config_.interface(t.iface);
  const InterfaceConfig* in_if = config_.interface(in.iface);
  if (!out_if || !in_if) return Err(refused(refusal(RefusalCause::NoInterface)));
  parser::EditList edits;
  TextArena texts;  // the edits' new texts, alive until the message is written

  if (!t.request_uri.empty()) edits.replace(msg.request_uri_span(), t.request_uri);

  if (const parser::HeaderField* h = msg.find(parser::HeaderId::MaxForwards)) {
    auto mf = parser::parse_max_forwards(msg.text(h->value));
    edits.replace(h->value, texts.number(mf && *mf > 0 ? *mf - 1 : 0));
  } else {
    edits.append_header("Max-Forwards", "70");
  }

  // received/rport on the Via we got (RFC 3581), then our own Via on top.
  {
    parser::HeaderItems vias(msg, parser::HeaderId::Via);
    std::string_view first;
    if (vias.next(first)) {
      const std::string_view fixed = received_via(in, texts);
      if (fixed.data() != first.data()) edits.replace(span_of(msg, first), fixed);
    }
  }
  branch = forward_branch(msg);
  const AddrText out_host = out_if->sip_endpoint().text();
  edits.prepend_header("Via", texts.cat({"SIP/2.0/UDP ", out_host.view(), ";branch=", branch, ";rport"}));

  // Record-Route (§16.6 step 4): crossing interfaces needs two entries so each side's route set
  // names the address it can reach (the top one faces the callee).
  // Both carry the token that later proves an in-dialog request follows our Route set.
  if (!rr_token.empty()) {
    const auto head = [&](const InterfaceConfig* i) -> std::string_view {
      return own_route_heads_[static_cast<size_t>(i - config_.interfaces.data())];
    };
    edits.prepend_header("Record-Route", texts.cat({head(out_if), rr_token, ">"}));
    if (out_if->index != in_if->index) edits.prepend_header("Record-Route", texts.cat({head(in_if), rr_token, ">"}));
  }

  // Loose routing (§16.4): our own Route entries are consumed. With a strict router next, its
  // Route entry leaves the list and the old Request-URI becomes the last Route (§16.6 step 6).
  // With a strict router before us, the last Route entry is the Request-URI again (§16.4): it leaves
  // the list, whichever header it shares.
  const parser::HeaderField* last_route = nullptr;
  for (const parser::HeaderField* h = msg.find(parser::HeaderId::Route); h; h = msg.next_same(h)) last_route = h;
  std::string_view first_route_item, last_route_item;
  {
    parser::HeaderItems routes(msg, parser::HeaderId::Route);
    routes.next(first_route_item);
    if (t.drop_last_route && last_route) {
      parser::CommaItems items(msg.text(last_route->value));
      for (std::string_view item; items.next(item);) last_route_item = item;
    }
  }
  bool popping = true;
  int route_index = 0;
  for (const parser::HeaderField* h = msg.find(parser::HeaderId::Route); h; h = msg.next_same(h)) {
    const bool holds_dropped = !last_route_item.empty() && h == last_route;
    if (!popping && !holds_dropped) continue;
    parser::CommaItems items(msg.text(h->value));
    std::string_view item;
    std::string rest;
    bool removed = false, first_foreign = true;
    while (items.next(item)) {
      const int index = route_index++;
      if ((holds_dropped && item.data() == last_route_item.data()) ||
          (popping && is_own_route(msg, t, index, item, first_route_item))) {
        removed = true;
        continue;
      }
      if (popping && first_foreign && t.strict_next) {
        first_foreign = false;
        popping = false;
        continue;
      }
      popping = false;
      if (!rest.empty()) rest += ", ";
      rest += std::string(item);
    }
    if (rest.empty())
      edits.delete_header(*h);
    else if (removed || t.strict_next)
      edits.replace(h->value, texts.copy(rest));
  }
  // The Request-URI the request came with goes last, or the one the last Route gave back.
  if (t.strict_next)
    edits.append_header("Route", last_route_item.empty() ? texts.cat({"<", msg.request_uri(), ">"}) : last_route_item);

  // Call forwarding's traces: our Diversion entries above those the request came with (RFC 5806
  // §4), History-Info entries after its own (RFC 7044).
  if (!t.diversion.empty()) {
    if (const parser::HeaderField* h = msg.find(parser::HeaderId::Diversion))
      edits.insert_header_before(*h, "Diversion", t.diversion);
    else
      edits.append_header("Diversion", t.diversion);
  }
  if (!t.history_info.empty()) edits.append_header("History-Info", t.history_info);

  // RFC 4028 §8.1: the session interval sipedge wants, within the minimum anyone asked for.
  if (msg.method() == parser::Method::Invite || msg.method() == parser::Method::Update) {
    const RequestTimerEdit st = plan_request_timer(msg, session_policy());
    if (st.session_expires) {
      const std::string_view se = texts.number(st.session_expires);
      if (const parser::HeaderField* h = msg.find(parser::HeaderId::SessionExpires)) {
        const std::string_view old = msg.text(h->value);
        const size_t params = std::min(old.find(';'), old.size());
        edits.replace(h->value, texts.cat({se, old.substr(params)}));
      } else {
        edits.append_header("Session-Expires", se);
      }
    }
    if (st.min_se) {
      const std::string_view min_se = texts.number(st.min_se);
      if (const parser::HeaderField* h = msg.find(parser::HeaderId::MinSE))
        edits.replace(h->value, min_se);
      else
        edits.append_header("Min-SE", min_se);
    }
  }

  // Credentials for our realm stop here (RFC 3261 §22.3). Only their realm is read: the
  // verifier parsed them whole, and a value garbled past its realm goes no further either.
  for (const parser::HeaderField* h = msg.find(parser::HeaderId::ProxyAuthorization); h; h = msg.next_same(h)) {
    auto realm = parser::find_auth_param(msg.text(h->value), "realm");
    if (realm && *realm == auth_.realm()) edits.delete_header(*h);
  }

  // A UA behind NAT advertises a Contact it cannot be reached at: name the address its packets
  // come from instead, so in-dialog requests find it (DESIGN §3, NAT traversal).
  if (in_if->role == InterfaceRole::Access && from_its_ua(msg) &&
      (initial || msg.method() == parser::Method::Invite || msg.method() == parser::Method::Update)) {
    if (const parser::HeaderField* h = msg.find(parser::HeaderId::Contact)) {
      auto c = parser::parse_contact(msg.text(h->value));
      if (c) {
        if (auto fixed = nat_fixed_contact(*c, in.source)) edits.replace(span_of(msg, c->addr.uri_text), texts.copy(*fixed));
      }
    }
  }

  if (auto role = request_sdp_role(msg.method()); role && media && media_from >= 0 && has_sdp_body(msg)) {
    auto body = media_.rewrite(media, static_cast<MediaSide>(media_from), msg.body(), *role);
    if (!body) return Err(refused(refusal(body.error())));
    edits.replace_body(texts.copy(*body));
  }

  auto out = apply_edits(msg, edits);
  if (!out) return Err(refused(refusal(RefusalCause::RewriteFailed)));
  return std::move(*out);
}

void Proxy::forward_initial(TxnId server, const Inbound& in, std::vector<Target> targets) {
  auto ctx = std::make_unique<Context>();
  ctx->id = next_context_++;
  ctx->server = server;
  ctx->request = std::make_unique<OwnedMessage>(in.msg);
  ctx->source = in.source;
  ctx->local = in.local;
  ctx->in_iface = in.iface;
  ctx->method = std::string(in.msg.method_token());
  ctx->invite = in.msg.method() == parser::Method::Invite;
  ctx->initial = true;
  ctx->offer_in_request = has_sdp_body(in.msg) && request_sdp_role(in.msg.method()) == SdpRole::Offer;
  ctx->targets = std::move(targets);
  ctx->call_id = std::string(in.msg.value(parser::HeaderId::CallId));
  ctx->diversions_in = diversion_count(in.msg);
  ctx->route = ctx->targets.front().route;
  ctx->b2bua = mode_of(ctx->targets.front()) == SignallingMode::B2bua;
  if (ctx->b2bua && !ctx->invite && is_dialog_forming(in.msg.method())) {
    // Only INVITE dialogs are bridged; a subscription or out-of-dialog REFER would need its own.
    reply(server, in, 501, "Not Implemented: " + ctx->method + " dialogs are not bridged in b2bua mode");
    return;
  }
  if (ctx->b2bua && !ctx->invite) {
    ctx->b2bua_leg.local = std::make_unique<LocalEnd>();
    ctx->b2bua_leg.local->call_id = own_call_id();
    ctx->b2bua_leg.local->set_tag(new_tag());
  }
  if (ctx->invite) {
    Call& call = calls_.create(ctx->call_id);
    ctx->call = call.ref;
    call.start_ms = clock_.wall_ms();
    call.caller.iface = in.iface;
    call.caller.peer = in.source;
    std::string_view tag, uri;
    if (auto from = parser::from_header(in.msg)) {
      tag = from->tag();
      uri = from->uri_text;
    }
    if (auto cseq = parser::cseq_of(in.msg)) call.caller.last_cseq = cseq->number;
    const auto contact = reachable_contact(in.msg, in.source, from_its_ua(in.msg));
    const std::string routes = CallLeg::route_lines(foreign_record_routes(in.msg, false));
    call.caller.set({{CallLeg::kNameAddr, in.msg.value(parser::HeaderId::From)},
                     {CallLeg::kTag, tag},
                     {CallLeg::kUri, uri},
                     {CallLeg::kContact, contact ? std::string_view(*contact) : std::string_view()},
                     {CallLeg::kRouteSet, routes}});
    if (auto to = parser::to_header(in.msg)) call.callee.set_uri(to->uri_text);
    call.callee.iface = ctx->targets.front().iface;
    call.callee.peer = ctx->targets.front().dest;
    // Always a media session, even without SDP: with a late offer the offer comes in the 2xx and
    // the answer in the ACK, and both must be anchored.
    call.media = media_.create(in.iface, ctx->targets.front().iface, call.ref);
    ctx->media = call.media;
    ctx->media_from = static_cast<int>(MediaSide::Caller);
    ctx->setup_start_us = clock_.monotonic_us();
    call.route = ctx->route;
    if (ctx->b2bua) b2bua_begin(call, in);
    ++counters_.calls_started;
  }
  Context& ref = *ctx;
  by_server_.set(server, ref.id);
  if (ref.media) media_.keep_sdp_texts(ref.media);
  contexts_.set(ref.id, std::move(ctx));
  if (!try_next_target(ref)) send_best_upstream(ref);
}

bool Proxy::try_next_target(Context& ctx) {
  if (!ctx.request) return false;  // answered already (release_request)
  const parser::Message& msg = ctx.request->msg;
  const Inbound in{msg, ctx.source, ctx.local, ctx.in_iface};
  while (ctx.next_target < ctx.targets.size()) {
    const Target t = ctx.targets[ctx.next_target++];
    std::string branch;
    std::string rr_token;
    if (ctx.initial && is_dialog_forming(msg.method())) {
      RouteToken::Mac mac;
      rr_token = route_token_.make(ctx.call_id, ctx.call, &mac);
      if (Call* call = ctx.call ? calls_.find(ctx.call) : nullptr; call && call->call_id.view() == ctx.call_id)
        call->route_mac = mac;
    }
    // A target on another interface than the last one: the callee side of the media moves there.
    if (ctx.media && ctx.invite && ctx.initial) {
      if (auto moved = media_.move_side(ctx.media, MediaSide::Callee, t.iface); !moved) {
        const Refusal r = refused(refusal(moved.error()));
        if (ctx.best_status == 0 || ctx.best_status == 408) {
          ctx.best_status = r.status;
          ctx.refusal = r;
        }
        continue;
      }
    }
    Result<std::string, Refusal> bytes{Err{refusal(RefusalCause::NoInterface)}};
    std::string_view sent_call_id = msg.value(parser::HeaderId::CallId);
    if (ctx.b2bua) {
      // sipedge's own request on the callee's leg: its identity there for this target, a CSeq
      // one up from the last target's (RFC 3261 §8.1.3.5).
      CallLeg* leg = b2bua_out_leg(ctx);
      const InterfaceConfig* out_if = config_.interface(t.iface);
      if (leg && out_if) {
        leg->local->set_name_addr(b2bua_party(msg.value(parser::HeaderId::From), *out_if, leg->local->tag()));
        leg->set_name_addr(b2bua_party(msg.value(parser::HeaderId::To), *out_if, {}));
        leg->set_tag({});
        leg->local->set_contact(b2bua_contact(t.iface, leg->local->call_id, ctx.call));
        leg->local->invite_cseq = ++leg->local->cseq;
        bytes = build_b2bua_request(in, t, *leg, leg->local->cseq, ctx.route, false, branch, ctx.media, ctx.media_from);
        sent_call_id = leg->local->call_id.view();
      } else {
        bytes = Err(refused(refusal(RefusalCause::NoInterface)));
      }
    } else {
      bytes = build_forward(in, t, rr_token, ctx.initial, branch, ctx.media, ctx.media_from);
    }
    if (!bytes) {
      // This target cannot be tried; the next may (another interface). If none answers better,
      // the caller hears why.
      if (ctx.best_status == 0 || ctx.best_status == 408) {
        ctx.best_status = bytes.error().status;
        ctx.refusal = bytes.error();
      }
      continue;
    }
    if (Call* call = calls_.find(ctx.call); call && ctx.invite && ctx.initial) {
      call->callee.iface = t.iface;
      call->callee.peer = t.dest;
    }
    ctx.client_branch = branch;
    ctx.client_dest = t.dest;
    ctx.client_iface = t.iface;
    ctx.timer_asked_s = plan_request_timer(msg, session_policy()).interval_s;
    ctx.uac_supports_timer = supports(msg, "timer");
    if (ctx.invite) {
      const uint64_t now = clock_.monotonic_ms();
      ctx.timer_c_due_ms = now + uint64_t{config_.timer_c_s} * 1000;
      const UserConfig* user = t.user.empty() ? nullptr : config_.user(t.user);
      ctx.no_answer_due_ms =
          user && !user->forward.no_answer.empty() ? now + uint64_t{user->forward.no_answer_s} * 1000 : 0;
      ctx.branch_timed_out = false;
    }
    ctx.client = txns_.send_request(std::move(*bytes), ctx.method, branch, t.iface, t.dest, sent_call_id);
    by_client_.set(ctx.client, ctx.id);
    watch_ring(ctx);
    ++ctx.live_clients;
    ++counters_.forwarded_requests;
    return true;
  }
  return false;
}

std::optional<CallRef> Proxy::own_route_token(const parser::Uri& uri, std::string_view call_id) const {
  auto token = uri.param(kRouteTokenParam);
  if (!token) return std::nullopt;
  return own_route_token(*token, call_id);
}

std::optional<CallRef> Proxy::own_route_token(std::string_view token, std::string_view call_id) const {
  // The call keeps the MAC its token was made with, for this Call-ID and ref: a compare gives the
  // answer the MAC would.
  if (const std::optional<CallRef> ref = RouteToken::ref_of(token); ref && *ref != 0)
    if (const Call* call = calls_.find(*ref); call && call->route_mac != RouteToken::Mac{} && call->call_id.view() == call_id)
      return RouteToken::carries(token, call->route_mac) ? ref : std::nullopt;
  return route_token_.verify(call_id, token);
}

std::optional<std::string_view> Proxy::written_route_token(std::string_view entry) const noexcept {
  if (entry.size() < 2 || entry.back() != '>') return std::nullopt;
  for (const std::string& head : own_route_heads_) {
    if (!entry.starts_with(head)) continue;
    const std::string_view token = entry.substr(head.size(), entry.size() - head.size() - 1);
    return RouteToken::in_alphabet(token) ? std::optional<std::string_view>(token) : std::nullopt;
  }
  return std::nullopt;
}

Proxy::DialogSide Proxy::dialog_side(const Call& call, const Inbound& in) const {
  auto from_tag = parser::from_tag(in.msg);
  auto to_tag = parser::to_tag(in.msg);
  if (!from_tag || !to_tag) return DialogSide::None;
  // Until the call is confirmed the callee's tag may still change (early dialogs of serial forks),
  // so only the caller's tag is pinned.
  const bool callee_known = call.state == CallState::Confirmed || call.state == CallState::Ending;
  if (*from_tag == call.caller.tag() && (!callee_known || *to_tag == call.callee.tag()) &&
      in.iface == call.caller.iface)
    return DialogSide::Caller;
  if (*to_tag == call.caller.tag() && (!callee_known || *from_tag == call.callee.tag()) &&
      in.iface == call.callee.iface)
    return DialogSide::Callee;
  return DialogSide::None;
}

void Proxy::forward_in_dialog(TxnId server, const Inbound& in) {
  const parser::Message& msg = in.msg;
  const bool ack = msg.method() == parser::Method::Ack;
  // DESIGN §3 Trust: a request with a To tag travels only along a Route set sipedge Record-Routed,
  // and for a call sipedge tracks only within that call's dialog. Anything else would make sipedge
  // an open relay: an unauthenticated "in-dialog" INVITE to any core address. An ACK is absorbed
  // (it is never answered, RFC 3261 §17.2.1), the rest gets 481.
  auto refuse = [&](uint16_t status, std::string_view reason) {
    ++counters_.dialog_refused;
    if (!ack) reply(server, in, status, reason);
  };
  // The Route set, read once. Loose routing: the previous hop sent the request to the top entry,
  // which must be ours and carry our token. The next hop is the first entry that is not ours, else
  // the Request-URI (§16.6 steps 6-7); our entries ahead of it are counted for build_forward to pop
  // (-1: it reads them itself, when an entry RouteList refuses, no angle brackets, cut the count
  // short).
  std::optional<parser::Uri> next;
  std::string_view next_text;  // the text of `next`, in the message
  std::string strict_ruri;
  bool strict = false;
  int own_routes = 0;
  bool routed = false;
  std::optional<CallRef> token;
  {
    parser::RouteList routes(msg, parser::HeaderId::Route);
    std::string_view entry;
    while (routes.next_text(entry)) {
      const bool top = !routed;
      routed = true;
      if (const std::optional<std::string_view> written = written_route_token(entry)) {
        if (top) token = own_route_token(*written, msg.value(parser::HeaderId::CallId));
        ++own_routes;
        continue;
      }
      const Result<parser::NameAddr, parser::Fault> r = routes.read(entry);
      if (!r) {
        own_routes = -1;
        break;
      }
      const bool ours = is_local_host(r->uri.host, r->uri.port, r->uri.has_port);
      if (top && ours) token = own_route_token(r->uri, msg.value(parser::HeaderId::CallId));
      if (ours) {
        ++own_routes;
        continue;
      }
      next = r->uri;
      next_text = r->uri_text;
      if (!r->uri.lr()) {
        strict = true;  // RFC 2543 strict router next: it expects its URI as the Request-URI
        strict_ruri = std::string(r->uri_text);
      }
      break;
    }
  }
  // RFC 2543 strict routing before us: our Record-Route URI became the Request-URI (§16.4), and
  // the Route set, if any, ends with the real one. (Our B2BUA Contact comes back the same way.)
  auto ruri = parser::parsed_request_uri(msg);
  const bool ruri_ours = ruri && ruri->user.empty() && is_local_host(ruri->host, ruri->port, ruri->has_port);
  if (!token && ruri_ours) token = own_route_token(*ruri, msg.value(parser::HeaderId::CallId));
  if (!token) return refuse(481, "Call/Transaction Does Not Exist");
  Call* call = nullptr;
  DialogSide side = DialogSide::None;
  if (*token != 0) {
    call = calls_.find(*token);
    if (call) side = call->b2bua ? b2bua_side(*call, in) : dialog_side(*call, in);
    if (!call || side == DialogSide::None) return refuse(481, "Call/Transaction Does Not Exist");
    if (call->b2bua) return forward_b2bua_in_dialog(server, in, *call, side);
  } else if (msg.method() == parser::Method::Invite || msg.method() == parser::Method::Bye ||
             msg.method() == parser::Method::Update || msg.method() == parser::Method::Prack) {
    // These belong to INVITE dialogs, which sipedge always tracks: a re-INVITE in some other
    // dialog would set up a call with no media anchored and no CDR.
    return refuse(481, "Call/Transaction Does Not Exist");
  }
  // §16.4: a strict router before us put our Record-Route URI in the Request-URI; the real
  // Request-URI is the last Route.
  bool drop_last_route = false;
  std::string restored_ruri;
  if (ruri_ours) {
    std::string_view last;
    parser::HeaderItems items(msg, parser::HeaderId::Route);
    std::string_view item;
    while (items.next(item)) last = item;
    auto na = last.empty() ? Result<parser::NameAddr, parser::Fault>{Err{parser::Fault::BadRoute}}
                           : parser::parse_name_addr(last);
    if (na && !is_local_host(na->uri.host, na->uri.port, na->uri.has_port)) {
      drop_last_route = true;
      restored_ruri = std::string(na->uri_text);
      // The first Route not ours was that last one: it is where the request goes, as its
      // Request-URI, whether or not its URI says lr.
      if (!next || next_text.data() == na->uri_text.data()) {
        next = na->uri;
        strict = false;
        strict_ruri.clear();
      }
    }
  }
  if (!next) {
    if (!ruri) {
      if (!ack) reply(server, in, 416, "Unsupported URI Scheme");
      return;
    }
    next = *ruri;
  }
  std::optional<Endpoint> dest;
  uint16_t iface = in.iface;
  if (auto ip = IpAddr::parse(next->host)) {
    if (!is_local_host(next->host, next->port, next->has_port))
      dest = Endpoint{*ip, next->has_port ? next->port : uint16_t{5060}};
  }
  if (!dest && (is_local_domain(next->host) || is_local_host(next->host, next->port, next->has_port))) {
    // Addressed to a user of ours inside a dialog (a Contact that named our domain): the binding.
    const auto bindings = location_.lookup(make_aor(next->user, config_.domains.empty() ? "" : config_.domains.front()));
    if (!bindings.empty()) {
      dest = bindings.front()->received;
      iface = bindings.front()->iface;
    }
  }
  if (!dest) {
    if (!ack) {
      ++counters_.no_route;
      reply(server, in, 404, "Not Found");
    }
    return;
  }
  if (!ack && !check_session_interval(server, in)) return;
  int media_from = -1;
  if (call) {
    const bool from_caller = side == DialogSide::Caller;
    CallLeg& own = from_caller ? call->caller : call->callee;
    const CallLeg& other = from_caller ? call->callee : call->caller;
    // Within a call the request goes to the other party (or the proxy in front of it), nowhere
    // else: a dialog's token must not carry a request to a third address.
    if (!(*dest == other.peer) && !(dest == uri_endpoint(other.contact())))
      return refuse(403, "Forbidden: not the dialog's remote target");
    media_from = static_cast<int>(from_caller ? MediaSide::Caller : MediaSide::Callee);
    iface = other.iface;
    if (auto cseq = parser::cseq_of(msg); cseq && !ack) {
      if (cseq->number > own.last_cseq) own.last_cseq = cseq->number;
    }
    // A target refresh (RFC 3261 §12.2.2): the sender's new Contact is where the dialog reaches it.
    if (msg.method() == parser::Method::Invite || msg.method() == parser::Method::Update) {
      if (auto c = reachable_contact(msg, in.source, from_its_ua(msg))) own.set_contact(*c);
    }
    if (msg.method() == parser::Method::Bye) call->state = CallState::Ending;
  } else if (auto egress = interface_for(dest->ip)) {
    iface = *egress;
  }
  Target t{*dest, iface, strict ? strict_ruri : restored_ruri};
  t.strict_next = strict;
  t.drop_last_route = drop_last_route;
  t.own_routes = own_routes;
  std::string branch;
  auto bytes = build_forward(in, t, {}, false, branch, call ? call->media : 0, call && call->media ? media_from : -1);
  if (!bytes) {
    if (!ack) reply_refusal(server, in, bytes.error());
    return;
  }
  const std::string_view call_id = in.msg.value(parser::HeaderId::CallId);
  if (ack) {
    transport_.send(t.iface, t.dest, *bytes, call_id);
    ++counters_.forwarded_requests;
    return;
  }
  start_in_dialog(server, in, call, call && call->media ? media_from : -1, t, branch, std::move(*bytes), call_id);
}

Proxy::Context& Proxy::start_in_dialog(TxnId server, const Inbound& in, Call* call, int media_from, const Target& t,
                                       const std::string& branch, std::string bytes, std::string_view sent_call_id) {
  const parser::Message& msg = in.msg;
  auto ctx = std::make_unique<Context>();
  ctx->id = next_context_++;
  ctx->server = server;
  ctx->request = std::make_unique<OwnedMessage>(msg);
  ctx->source = in.source;
  ctx->local = in.local;
  ctx->in_iface = in.iface;
  ctx->method = std::string(msg.method_token());
  ctx->invite = msg.method() == parser::Method::Invite;
  ctx->call_id = std::string(msg.value(parser::HeaderId::CallId));
  ctx->call = call ? call->ref : 0;
  ctx->offer_in_request = has_sdp_body(msg) && request_sdp_role(msg.method()) != SdpRole::Answer;
  ctx->media = call ? call->media : 0;
  ctx->media_from = media_from;
  ctx->targets.push_back(t);
  ctx->next_target = 1;
  ctx->client_branch = branch;
  ctx->client_dest = t.dest;
  ctx->client_iface = t.iface;
  ctx->timer_asked_s = plan_request_timer(msg, session_policy()).interval_s;
  ctx->uac_supports_timer = supports(msg, "timer");
  if (ctx->invite) ctx->timer_c_due_ms = clock_.monotonic_ms() + uint64_t{config_.timer_c_s} * 1000;
  ctx->client = txns_.send_request(std::move(bytes), ctx->method, branch, t.iface, t.dest, sent_call_id);
  Context& ref = *ctx;
  by_client_.set(ref.client, ref.id);
  watch_ring(ref);
  ++ref.live_clients;
  by_server_.set(server, ref.id);
  if (ref.media) media_.keep_sdp_texts(ref.media);
  contexts_.set(ref.id, std::move(ctx));
  ++counters_.forwarded_requests;
  return ref;
}

}  // namespace sipedge::control
