// control/proxy/response.cc — control lcore only. Responses (RFC 3261 §16.7): our Via comes off,
// Contact is NAT-fixed, SDP answers are anchored, provisionals and 2xx go upstream at once, the best
// final non-2xx goes upstream when no target is left (serial forking), and calls end with CDRs.
#include <algorithm>

#include <spdlog/fmt/fmt.h>

#include "control/proxy/context.h"
#include "control/proxy/nat_contact.h"
#include "control/proxy/proxy.h"
#include "control/sip_build.h"
#include "parser/auth.h"
#include "parser/contact.h"
#include "parser/headers.h"
#include "parser/rewriter.h"
#include "parser/value_list.h"
#include "parser/via.h"

namespace sipedge::control {
namespace {

// §16.7 step 6: 6xx beats everything; then 401/407 (credentials can fix them) ... we keep the
// lowest class otherwise, preferring the first seen within a class.
int response_rank(uint16_t status) {
  if (status >= 600) return 0;
  if (status == 401 || status == 407) return 1;
  if (status == 415 || status == 420 || status == 484) return 2;
  if (status == 503) return 9;  // §16.7: 503 is converted/least preferred
  return 3 + (status / 100 - 3);
}

std::string_view reason_for(uint16_t status) {
  switch (status) {
    case 408: return "Request Timeout";
    case 480: return "Temporarily Unavailable";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 500: return "Server Internal Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

}  // namespace

Result<std::string, Refusal> Proxy::build_upstream_response(const Inbound& in, const Context* ctx,
                                                            const std::string* resent_sdp) {
  if (ctx && ctx->b2bua) return build_b2bua_response(in, *ctx);
  const parser::Message& msg = in.msg;
  parser::EditList edits;
  TextArena texts;  // the edits' new texts, alive until the message is written

  // Our Via is the first via-parm; remove it (or just it, when the header holds several).
  const parser::HeaderField* top = msg.find(parser::HeaderId::Via);
  if (!top) return Err(refused(refusal(RefusalCause::RewriteFailed)));  // handle_response checked it
  {
    parser::CommaItems items(msg.text(top->value));
    std::string_view first, item;
    items.next(first);
    std::string rest;
    while (items.next(item)) {
      if (!rest.empty()) rest += ", ";
      rest += std::string(item);
    }
    if (rest.empty())
      edits.delete_header(*top);
    else
      edits.replace(top->value, texts.copy(rest));
  }

  // The responder's Contact, when it is behind NAT (answers from the access side).
  const InterfaceConfig* in_if = config_.interface(in.iface);
  const bool from_access = in_if && in_if->role == InterfaceRole::Access;
  if (from_access && from_its_ua(msg)) {
    if (const parser::HeaderField* h = msg.find(parser::HeaderId::Contact)) {
      auto c = parser::parse_contact(msg.text(h->value));
      if (c) {
        if (auto fixed = nat_fixed_contact(*c, in.source))
          edits.replace(parser::Span{static_cast<uint32_t>(c->addr.uri_text.data() - msg.bytes().data()),
                                     static_cast<uint32_t>(c->addr.uri_text.size())},
                        texts.copy(*fixed));
      }
    }
  }

  if (!ctx && has_sdp_body(msg)) {
    if (!resent_sdp) return Err(refused(refusal(RefusalCause::RewriteFailed)));
    edits.replace_body(*resent_sdp);
  } else if (ctx && ctx->media && ctx->media_from >= 0 && has_sdp_body(msg)) {
    // The answer to the request's offer, or, when the request had none, the offer itself.
    const auto side = static_cast<MediaSide>(1 - ctx->media_from);
    auto body = media_.rewrite(ctx->media, side, msg.body(), ctx->offer_in_request ? SdpRole::Answer : SdpRole::Offer);
    if (!body) return Err(refused(refusal(body.error())));
    edits.replace_body(texts.copy(*body));
  }
  // RFC 4028 §8.2: a UAS without session timers answered a request that asked for an interval and
  // whose sender supports them: the UAC becomes the refresher.
  const uint16_t status = msg.status_code();
  if (ctx && status >= 200 && status < 300 && (ctx->invite || ctx->method == "UPDATE")) {
    std::string insert;
    plan_response_timer(msg, ctx->timer_asked_s, ctx->uac_supports_timer, insert);
    if (!insert.empty()) {
      edits.append_header("Session-Expires", texts.copy(insert));
      edits.append_header("Require", "timer");
    }
  }
  auto out = apply_edits(msg, edits);
  if (!out) return Err(refused(refusal(RefusalCause::RewriteFailed)));
  return std::move(*out);
}

void Proxy::handle_response(const Inbound& in) {
  ++counters_.responses_in;
  auto via = parser::top_via(in.msg);
  if (!via) {
    ++counters_.dropped_responses;
    return;
  }
  if (via->branch.starts_with(kKeepaliveBranchPrefix)) return;  // a NAT keepalive answered
  if (txns_.on_response(in)) return;
  // No transaction (§16.7 / §16.11): a response to a request we forwarded statelessly, or a 2xx
  // retransmission after our transaction ended. Forward it if the top Via is ours.
  if (!is_local_host(via->host, via->port, via->has_port)) {
    ++counters_.dropped_responses;
    return;
  }
  // A b2bua leg's 2xx retransmitted after its transaction ended: the ACK again. sipedge's Via is
  // the only one such a response has, so there is nowhere further to send it.
  for (const Call* call : calls_.find_by_call_id(in.msg.value(parser::HeaderId::CallId))) {
    if (!call->b2bua) continue;
    if (in.msg.status_code() < 200 || in.msg.status_code() >= 300 || !b2bua_resend_ack(*call, in))
      ++counters_.dropped_responses;
    return;
  }
  parser::ViaList vias(in.msg);
  Result<parser::Via, parser::Fault> v{Err{parser::Fault::BadVia}};
  vias.next(v);
  if (!vias.next(v) || !v) {
    ++counters_.dropped_responses;
    return;
  }
  auto ip = IpAddr::parse(v->received.empty() ? v->host : v->received);
  if (!ip) {
    ++counters_.dropped_responses;
    return;
  }
  const Endpoint dest{*ip, v->rport_has_value ? v->rport : (v->has_port ? v->port : uint16_t{5060})};
  // A NATed caller's public address is on no interface's subnet: find it among the call's legs.
  std::optional<uint16_t> iface;
  const Call* to_call = nullptr;
  MediaSide to_side = MediaSide::Caller;
  for (const Call* call : calls_.find_by_call_id(in.msg.value(parser::HeaderId::CallId))) {
    if (call->caller.peer == dest) {
      iface = call->caller.iface;
      to_call = call;
      to_side = MediaSide::Caller;
    }
    if (call->callee.peer == dest) {
      iface = call->callee.iface;
      to_call = call;
      to_side = MediaSide::Callee;
    }
  }
  if (!iface) iface = interface_for(dest.ip).value_or(in.iface);
  // A retransmitted response with SDP (a 2xx after its transaction ended) carries again what
  // sipedge wrote the first time; without that it is dropped rather than let the sender's own
  // addresses through.
  std::optional<std::string> sdp;
  if (has_sdp_body(in.msg) && to_call && to_call->media) sdp = media_.last_sdp(to_call->media, to_side);
  auto bytes = build_upstream_response(in, nullptr, sdp ? &*sdp : nullptr);
  if (!bytes) {
    ++counters_.dropped_responses;
    return;
  }

  transport_.send(*iface, dest, *bytes, in.msg.value(parser::HeaderId::CallId));
  ++counters_.stateless_responses;
}

void Proxy::on_response(TxnId client, const Inbound& in) {
  const uint16_t status = in.msg.status_code();
  auto internal = internal_clients_.find(client);
  if (internal != internal_clients_.end()) return;  // answers to our own BYE/CANCEL
  const uint64_t* ctx_id = by_client_.find(client);
  if (ctx_id == nullptr) return;
  Context& ctx = **contexts_.find(*ctx_id);
  if (status == 100) return;  // hop by hop (§16.7 step 5)

  Call* call = ctx.call ? calls_.find(ctx.call) : nullptr;
  if (call && call->b2bua && ctx.invite && status >= 200 && status < 300 && b2bua_resend_ack(*call, in)) return;
  if (call && ctx.b2bua && ctx.invite && !ctx.initial && status >= 200) call->reinvite_pending = false;
  auto to_tag = parser::to_tag(in.msg);
  if (call && ctx.initial && to_tag && status < 300) {
    call->callee.peer = in.source;
    const std::string routes = CallLeg::route_lines(foreign_record_routes(in.msg, true));
    // No Record-Route above sipedge's: from_its_ua(), without parsing the list twice.
    const auto contact = reachable_contact(in.msg, in.source, routes.empty());
    // A provisional without Contact leaves the one an earlier response gave.
    const std::string_view kept = call->callee.contact();
    call->callee.set({{CallLeg::kTag, *to_tag},
                      {CallLeg::kNameAddr, in.msg.value(parser::HeaderId::To)},
                      {CallLeg::kRouteSet, routes},
                      {CallLeg::kContact, contact ? std::string_view(*contact) : kept}});
  } else if (call && !ctx.initial && status >= 200 && status < 300 && (ctx.invite || ctx.method == "UPDATE")) {
    // A target refresh answered (RFC 3261 §12.2.1.2): the answerer's new Contact.
    CallLeg& answerer = ctx.media_from == static_cast<int>(MediaSide::Caller) ? call->callee : call->caller;
    if (auto c = reachable_contact(in.msg, in.source, from_its_ua(in.msg))) answerer.set_contact(*c);
  }

  auto bytes = build_upstream_response(in, &ctx, nullptr);
  // A B2BUA answers with the Call-ID of the request's own leg, a proxy passes the response's.
  const std::string_view sent_call_id = ctx.b2bua ? std::string_view(ctx.call_id) : in.msg.value(parser::HeaderId::CallId);
  if (!bytes) {
    // The answer's SDP could not be anchored: the caller gets the cause instead of media that
    // bypasses the relay (the callee, never ACKed, ends its side by RFC 3261 §13.3.1.4).
    if (status >= 200 && status < 300) {
      ctx.best_status = bytes.error().status;
      ctx.refusal = bytes.error();
      ctx.best_response.clear();
      send_best_upstream(ctx);
    }
    return;
  }
  if (status < 200) {
    if (call && ctx.initial && call->state == CallState::Trying && to_tag && !to_tag->empty()) call->state = CallState::Early;
    if (ctx.setup_start_us && !ctx.ringing_measured && status > 100) {
      ctx.ringing_measured = true;
      setup_ringing_.observe_us(clock_.monotonic_us() - ctx.setup_start_us);
    }
    // §16.7 step 2: a provisional restarts Timer C (the no-answer time keeps running).
    if (client == ctx.client && ctx.invite) ctx.timer_c_due_ms = clock_.monotonic_ms() + uint64_t{config_.timer_c_s} * 1000;
    txns_.respond(ctx.server, status, std::move(*bytes), sent_call_id);
    ++counters_.forwarded_responses;
    return;
  }
  if (status < 300) {
    const bool first_final = !ctx.final_sent;
    ctx.final_sent = true;
    txns_.respond(ctx.server, status, std::move(*bytes), sent_call_id);
    ++counters_.forwarded_responses;
    release_request(ctx);
    if (call && ctx.initial && first_final) {
      call->state = CallState::Confirmed;
      call->answer_ms = clock_.wall_ms();
      call->final_status = status;
      ++counters_.calls_answered;
      if (ctx.setup_start_us) setup_answer_.observe_us(clock_.monotonic_us() - ctx.setup_start_us);
    }
    if (call && (ctx.invite || ctx.method == "UPDATE")) {
      // A session refresh (or the first answer): the interval starts again (RFC 4028 §10).
      std::string unused;
      call->session_interval_s = plan_response_timer(in.msg, ctx.timer_asked_s, ctx.uac_supports_timer, unused);
      call->session_due_ms =
          call->session_interval_s ? clock_.monotonic_ms() + uint64_t{call->session_interval_s} * 1000 : 0;
      if (call->session_due_ms) session_due_.emplace(call->session_due_ms, call->ref);
    }
    if (ctx.method == "BYE" && ctx.call) {
      const Call* c = calls_.find(ctx.call);
      end_call(ctx.call, c && ctx.source == c->caller.peer ? "bye from caller" : "bye from callee", false);
    }
    return;
  }
  if (ctx.final_sent) return;
  const bool current = client == ctx.client;
  if (current && ctx.branch_timed_out) {
    // The 487 of a branch sipedge cancelled for ringing too long: to the caller, no answer.
    branch_failed(ctx, 408, true);
    return;
  }
  // §16.7 step 4: a 3xx sipedge recurses on is not a candidate answer; its Contacts are targets.
  if (current && status >= 300 && status < 400 && recurse_on_redirect(ctx, in)) {
    ctx.client = 0;
    if (!try_next_target(ctx)) send_best_upstream(ctx);
    return;
  }
  // A status sipedge stood in with (a ring timeout's 408) gives way to a real answer of its rank.
  const bool stand_in = ctx.best_response.empty();
  if (ctx.best_status == 0 || response_rank(status) < response_rank(ctx.best_status) ||
      (stand_in && response_rank(status) == response_rank(ctx.best_status))) {
    ctx.best_status = status;
    ctx.best_response = std::move(*bytes);
  }
  if (current) branch_failed(ctx, status, false);
}

void Proxy::branch_failed(Context& ctx, uint16_t status, bool ring_timeout) {
  ctx.client = 0;
  if (ctx.best_status == 0 && (ring_timeout || status == 408)) ctx.best_status = 408;
  if (!ctx.cancelled) {
    // Serial forking: the next target gets its chance, unless this was a global failure (§16.7
    // step 5) that the user's call forwarding does not cover.
    const bool forwarded = forward_on_failure(ctx, status, ring_timeout);
    if ((forwarded || status < 600) && try_next_target(ctx)) return;
  }
  send_best_upstream(ctx);
}

void Proxy::send_best_upstream(Context& ctx) {
  if (ctx.final_sent) return;
  ctx.final_sent = true;
  uint16_t status = ctx.best_status ? ctx.best_status : (ctx.cancelled ? 487 : 408);
  std::string bytes = std::exchange(ctx.best_response, {});
  // §16.7 step 6: a 503 from downstream would say sipedge itself is unavailable; it becomes a 500.
  if (status == 503 && !bytes.empty()) {
    status = 500;
    bytes.clear();
  }
  if (bytes.empty()) {
    const Inbound in{ctx.request->msg, ctx.source, ctx.local, ctx.in_iface};
    // Our own refusal is the best answer: say why, and when a retry may pass.
    const bool refused_here = ctx.refusal && ctx.refusal->status == status;
    const std::string retry = refused_here ? std::to_string(ctx.refusal->retry_after_s) : "";
    const HeaderLine retry_after{"Retry-After", retry};
    const size_t extra = refused_here && ctx.refusal->retry_after_s ? 1 : 0;
    bytes = local_response(ctx.server, in, status, refused_here ? ctx.refusal->reason : reason_for(status),
                           {&retry_after, extra});
  } else {
    ++counters_.forwarded_responses;
  }
  if (ctx.server) txns_.respond(ctx.server, status, std::move(bytes));
  if (ctx.b2bua && ctx.invite && !ctx.initial)
    if (Call* call = calls_.find(ctx.call)) call->reinvite_pending = false;
  // A re-INVITE or UPDATE that failed (488, 491, a timeout) leaves the call's media as it was.
  if (!ctx.initial && ctx.offer_in_request && ctx.media && ctx.media_from >= 0)
    media_.reject_offer(ctx.media, static_cast<MediaSide>(ctx.media_from));
  if (ctx.invite && ctx.initial) {
    if (Call* call = calls_.find(ctx.call)) {
      call->final_status = status;
      end_call(ctx.call, ctx.cancelled ? "cancelled" : "rejected " + std::to_string(status), false);
    }
  } else if (ctx.method == "BYE" && ctx.call) {
    end_call(ctx.call, "bye (" + std::to_string(status) + ")", false);
  } else if (ctx.b2bua && ctx.call && (status == 408 || status == 481)) {
    // B2BUA: a leg that no longer answers in its dialog (408: timed out or unreachable, 481: the
    // far end forgot it) is gone (RFC 5057 §5.2); the other leg must not stay up alone.
    end_call(ctx.call, "leg lost (" + std::to_string(status) + " to " + ctx.method + ")", true);
  }
  release_request(ctx);
}

void Proxy::release_request(Context& ctx) {
  // B2BUA mode answers every later response (a 2xx retransmitted, another fork's) with the
  // request's Vias, From, To, Call-ID and CSeq: those lines stay, the rest goes.
  if (ctx.b2bua && ctx.request) ctx.b2bua_answer_head = b2bua_answer_head(ctx);
  ctx.request.reset();
  // With the final answer sent no branch is tried, forwarded or cancelled any more: what chose and
  // reached the branches goes too (a context lives on 64*T1 for its transactions' sake).
  std::vector<Target>().swap(ctx.targets);
  ctx.next_target = 0;
  std::vector<std::string>().swap(ctx.forwarded_from);
  std::string().swap(ctx.client_branch);
}

void Proxy::on_client_timeout(TxnId client) {
  if (internal_clients_.count(client)) return;
  const uint64_t* ctx_id = by_client_.find(client);
  if (ctx_id == nullptr) return;
  Context& ctx = **contexts_.find(*ctx_id);
  if (ctx.final_sent || client != ctx.client) return;
  branch_failed(ctx, 408, false);
}

// RFC 3261 §8.1.3.1 / §16.7: no way to the next hop counts as a 503 from it; the next target gets
// its chance.
void Proxy::on_client_transport_error(TxnId client) {
  const uint64_t* ctx_id = by_client_.find(client);
  if (ctx_id == nullptr) return;
  Context& ctx = **contexts_.find(*ctx_id);
  if (ctx.final_sent || client != ctx.client) return;
  if (ctx.best_status == 0) ctx.best_status = 503;
  branch_failed(ctx, 503, false);
}

void Proxy::on_server_ack(TxnId, const Inbound& ack) { forward_in_dialog(0, ack); }

void Proxy::on_server_no_ack(TxnId) {}

void Proxy::on_terminated(TxnId id) {
  if (!internal_clients_.empty()) internal_clients_.erase(id);  // mostly empty: no hash, no bucket read
  uint64_t ctx_id = 0;
  if (const uint64_t* s = by_server_.find(id)) {
    ctx_id = *s;
    by_server_.erase(id);
    if (std::unique_ptr<Context>* c = contexts_.find(ctx_id)) (*c)->server = 0;
  } else if (const uint64_t* c_id = by_client_.find(id)) {
    ctx_id = *c_id;
    by_client_.erase(id);
    if (std::unique_ptr<Context>* c = contexts_.find(ctx_id)) {
      --(*c)->live_clients;
      if ((*c)->client == id) (*c)->client = 0;
    }
  } else {
    return;
  }
  std::unique_ptr<Context>* c = contexts_.find(ctx_id);
  if (c == nullptr) return;
  Context& ctx = **c;
  // A context lives while any of its transactions does; a non-INVITE one only until its answer
  // went upstream and its branches ended (Timer K, 5 s): its server transaction answers
  // retransmissions for 64*T1 on its own (Timer J) and tells the TU nothing more.
  const bool answered = !ctx.invite && ctx.final_sent;
  if (ctx.live_clients == 0 && (ctx.server == 0 || answered)) {
    if (ctx.server != 0) by_server_.erase(ctx.server);
    // It lived 64*T1 past its final answer; a peer whose T1 is longer than ours may retransmit
    // that answer for longer still: the SDP written stays until retransmit_window_ms() past it.
    if (ctx.media) sdp_release_due_.emplace(clock_.monotonic_ms() + retransmit_window_ms() / 2, ctx.media);
    contexts_.erase(ctx_id);
  }
}

void Proxy::end_call(CallRef ref, std::string_view reason, bool send_byes) {
  Call* call = calls_.find(ref);
  if (!call) return;
  if (send_byes && call->state == CallState::Confirmed) {
    send_bye(*call, false, reason);
    send_bye(*call, true, reason);
  }
  const MediaManager::Stats stats = call->media ? media_.stats(call->media) : MediaManager::Stats{};
  if (call->media) media_.destroy(call->media);
  call->end_ms = clock_.wall_ms();
  const std::string line = cdr_json(*call, reason, stats);
  if (cdr_sink_) cdr_sink_(line);
  calls_.erase(ref);
  ++counters_.calls_ended;
}

std::vector<std::string> Proxy::foreign_record_routes(const parser::Message& msg, bool above) const {
  std::vector<std::string> out;
  parser::RouteList rr(msg, parser::HeaderId::RecordRoute);
  std::string_view entry;
  while (rr.next_text(entry)) {
    if (!written_route_token(entry)) {
      const Result<parser::NameAddr, parser::Fault> r = rr.read(entry);
      if (!r) break;
      if (!is_local_host(r->uri.host, r->uri.port, r->uri.has_port)) {
        out.emplace_back(r->uri_text);
        continue;
      }
    }
    if (above) break;
  }
  // Above ours the list runs from the far end towards sipedge: the nearest proxy is the last.
  if (above) std::reverse(out.begin(), out.end());
  return out;
}

// Runs on every message from the access side, so it reads no more than it must: a request's Via
// lines (items parsed only when its one line has a comma), a response's top Record-Route.
bool Proxy::from_its_ua(const parser::Message& msg) const {
  if (msg.is_request()) {
    const parser::HeaderField* via = msg.find(parser::HeaderId::Via);
    if (!via || msg.next_same(via)) return false;
    if (msg.text(via->value).find(',') == std::string_view::npos) return true;
    parser::HeaderItems vias(msg, parser::HeaderId::Via);
    std::string_view v;
    size_t n = 0;
    while (n < 2 && vias.next(v)) ++n;
    return n == 1;
  }
  parser::RouteList rr(msg, parser::HeaderId::RecordRoute);
  std::string_view entry;
  if (!rr.next_text(entry) || written_route_token(entry)) return true;
  const Result<parser::NameAddr, parser::Fault> top = rr.read(entry);
  return !top || is_local_host(top->uri.host, top->uri.port, top->uri.has_port);
}

void Proxy::send_bye(Call& call, bool to_caller, std::string_view reason) {
  CallLeg& leg = to_caller ? call.caller : call.callee;
  const CallLeg& other = to_caller ? call.callee : call.caller;
  const InterfaceConfig* iface = config_.interface(leg.iface);
  if (!iface || leg.contact().empty()) return;
  const std::string branch = new_branch();
  std::string route;
  leg.for_each_route([&](std::string_view r) { route += fmt::format("Route: <{}>\r\n", r); });
  // Proxy mode: as if from the other party, within its CSeq space. B2BUA mode: from sipedge's own
  // end of this leg.
  const std::string_view from = call.b2bua ? leg.local->name_addr() : other.name_addr();
  const std::string_view call_id = call.b2bua ? leg.local->call_id.view() : call.call_id.view();
  const uint32_t cseq = call.b2bua ? ++leg.local->cseq : other.last_cseq + 1;
  const std::string bytes = fmt::format(
      "BYE {} SIP/2.0\r\nVia: SIP/2.0/UDP {}:{};branch={};rport\r\n{}Max-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\n"
      "Call-ID: {}\r\nCSeq: {} BYE\r\nReason: SIP;cause=200;text=\"{}\"\r\nContent-Length: 0\r\n\r\n",
      leg.contact(), iface->sip_address.to_uri_host(), iface->sip_port, branch, route, from, leg.name_addr(),
      call_id, cseq, reason);
  const TxnId id = txns_.send_request(bytes, "BYE", branch, leg.iface, leg.peer, call_id);
  internal_clients_.insert(id);
}

void Proxy::on_media_idle(FlowBackend::Handle flow) {
  auto session = media_.session_of_flow(flow);
  if (!session || !media_.media_dead(flow)) return;
  const Call* call = calls_.find(media_.owner_of(*session));
  if (!call) return;
  ++counters_.media_timeouts;
  end_call(call->ref, "media timeout", true);
}

void Proxy::end_all_calls(std::string_view reason) {
  for (CallRef ref : calls_.refs()) end_call(ref, reason, true);
}

}  // namespace sipedge::control
