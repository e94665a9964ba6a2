// control/proxy/b2bua.cc — control lcore only. B2BUA mode (DESIGN §3; RFC 3261 §6, RFC 7092): sipedge
// is the UAS of the caller's dialog and the UAC of a dialog of its own towards the callee. Both legs
// run through the proxy's transactions, contexts, media anchoring and call table; only what a
// message says about its dialog changes. A request crossing legs is written from scratch with the
// other leg's Call-ID, tags, CSeq, route set, sipedge's Via and Contact, and the headers the route's
// policy lets across; a response is written from the request it answers. Nothing of one leg's
// Via, Contact, Record-Route, Call-ID, tags, branches or IP addresses reaches the other.
#include <cctype>
#include <cinttypes>
#include <cstring>
#include <span>

#include <spdlog/fmt/fmt.h>

#include "control/proxy/b2bua_policy.h"
#include "control/proxy/context.h"
#include "control/proxy/nat_contact.h"
#include "control/proxy/proxy.h"
#include "control/sip_build.h"
#include "parser/auth.h"
#include "parser/headers.h"
#include "parser/name_addr.h"
#include "parser/uri.h"
#include "parser/value_list.h"

namespace sipedge::control {
namespace {

void add_line(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// `uri` with an IP-address host (and its port) replaced by sipedge's address on `out`: the URI
// then names nothing of the side it came from. Names and other schemes stay as they are; URI
// headers are dropped with an IP host (the caller writes those it keeps).
std::string hide_uri_host(const parser::Uri& uri, std::string_view uri_text, const InterfaceConfig& out) {
  if (uri.host.empty() || !IpAddr::parse(uri.host)) return std::string(uri_text);
  std::string s(uri.scheme_text);
  s.push_back(':');
  if (!uri.user.empty()) s.append(uri.user).push_back('@');
  s.append(out.sip_address.to_uri_host());
  s.append(uri.params);
  return s;
}

// %-escapes what a URI header value may not hold as is (RFC 3261 §25.1 hnv-unreserved).
std::string escape_uri_header(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || (c != '\0' && std::strchr("-_.!~*'()[]/?:+$", c))) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

// The Replaces value (RFC 3891 §6) of a URI header "Replaces=...", unescaped into `raw`; "" for
// another header or a bad escape.
std::string_view replaces_value(std::string_view uri_header, std::span<char> raw) {
  if (uri_header.size() <= 9 || !parser::iequals(uri_header.substr(0, 9), "Replaces=")) return {};
  const int n = parser::unescape(uri_header.substr(9), raw);
  return n > 0 ? std::string_view(raw.data(), static_cast<size_t>(n)) : std::string_view();
}

// The next URI header of `rest` (what follows '?' in a URI, '&'-separated), taken off it.
std::string_view next_uri_header(std::string_view& rest) {
  const size_t amp = std::min(rest.find('&'), rest.size());
  const std::string_view header = rest.substr(0, amp);
  rest = amp < rest.size() ? rest.substr(amp + 1) : std::string_view();
  return header;
}

}  // namespace

std::string Proxy::b2bua_party(std::string_view value, const InterfaceConfig& out, std::string_view tag) {
  auto na = parser::parse_name_addr(value);
  std::string s;
  if (na) {
    if (!na->display_name.empty()) s.append("\"").append(na->display_name).append("\" ");
    s.append("<").append(hide_uri_host(na->uri, na->uri_text, out)).append(">");
  } else {
    s = "<sip:anonymous@" + out.sip_address.to_uri_host() + ">";
  }
  if (!tag.empty()) s.append(";tag=").append(tag);
  return s;
}

namespace {

// RAck (RFC 3262 §7.2) "rseq cseq method" with the CSeq number of the INVITE on the other leg.
std::string rack_for_leg(std::string_view rack, uint32_t invite_cseq) {
  std::string_view words[3];
  size_t n = 0, at = 0;
  while (n < 3) {
    at = rack.find_first_not_of(" \t", at);
    if (at == std::string_view::npos) break;
    const size_t end = std::min(rack.find_first_of(" \t", at), rack.size());
    words[n++] = rack.substr(at, end - at);
    at = end;
  }
  if (n < 3) return std::string(rack);
  return std::string(words[0]) + " " + std::to_string(invite_cseq) + " " + std::string(words[2]);
}

}  // namespace

const RouteConfig* Proxy::route_config(int route) const {
  return route >= 0 && static_cast<size_t>(route) < config_.routes.size() ? &config_.routes[route] : nullptr;
}

SignallingMode Proxy::mode_of(const Target& t) const {
  const RouteConfig* r = route_config(t.route);
  return r && r->mode ? *r->mode : config_.default_mode;
}

std::string Proxy::b2bua_contact(uint16_t iface, std::string_view call_id, CallRef ref) const {
  const InterfaceConfig* i = config_.interface(iface);
  if (!i) return {};
  return "<sip:" + i->sip_endpoint().to_string() + ";" + std::string(kRouteTokenParam) + "=" + route_token_.make(call_id, ref) + ">";
}

std::string Proxy::b2bua_refer_to(std::string_view value, const InterfaceConfig& out) const {
  auto na = parser::parse_name_addr(value);
  if (!na) return std::string(value);
  const parser::Uri& uri = na->uri;
  std::string target = hide_uri_host(uri, na->uri_text.substr(0, na->uri_text.find('?')), out);
  std::string headers;
  // The URI's headers (RFC 3261 §19.1.1), Replaces (RFC 3891 §6) among them, %-escaped.
  std::string_view rest = uri.headers;
  while (!rest.empty()) {
    const std::string_view header = next_uri_header(rest);
    std::string mapped;
    char raw[512];
    if (const std::string_view replaces = replaces_value(header, raw); !replaces.empty()) {
      if (auto far = b2bua_far_dialog(replaces)) {
        // The dialog the referrer named is one leg of a b2bua call: the referee's INVITE must
        // name the other leg, the only one its recipient knows, and reach that leg's party.
        mapped = "Replaces=" + escape_uri_header(far->replaces);
        if (!far->party_uri.empty()) target = hide_uri_host(*parser::parse_uri(far->party_uri), far->party_uri, out);
      }
    }
    headers.append(headers.empty() ? "?" : "&").append(mapped.empty() ? std::string(header) : mapped);
  }
  return "<" + target + headers + ">" + std::string(na->params);
}

std::optional<FarDialog> Proxy::b2bua_far_dialog(std::string_view replaces) const {
  if (far_answer_ && far_answer_->replaces == replaces) return *far_answer_->far;
  const auto named = parser::parse_replaces(replaces);
  if (!named) return std::nullopt;
  for (const Call* call : calls_.find_by_call_id(named->call_id)) {
    if (!call->b2bua) continue;
    for (const bool caller_leg : {true, false}) {
      const CallLeg& leg = caller_leg ? call->caller : call->callee;
      const CallLeg& far = caller_leg ? call->callee : call->caller;
      // As its party sees the dialog: the remote tag (sipedge's) as to-tag, its own as from-tag.
      if (leg.local->call_id != named->call_id || leg.local->tag() != named->to_tag || leg.tag() != named->from_tag)
        continue;
      const std::string party = parser::parse_uri(far.uri()) ? std::string(far.uri()) : std::string();
      return FarDialog{fmt::format("{};to-tag={};from-tag={}", far.local->call_id.view(), far.tag(), far.local->tag()), party};
    }
  }
  return std::nullopt;
}

bool Proxy::wait_for_far_dialog(const Inbound& in) {
  const parser::Message& msg = in.msg;
  if (msg.method() != parser::Method::Refer) return false;
  const parser::HeaderField* refer_to = msg.find(parser::HeaderId::ReferTo);
  if (!refer_to) return false;
  auto na = parser::parse_name_addr(msg.text(refer_to->value));
  if (!na) return false;
  char raw[512];
  std::string_view replaces;
  for (std::string_view rest = na->uri.headers; !rest.empty() && replaces.empty();)
    replaces = replaces_value(next_uri_header(rest), raw);
  const auto named = parser::parse_replaces(replaces);
  if (!named) return false;  // names no dialog: goes on as it came
  const uint32_t owner = shard_.map.of(named->call_id);
  if (owner == shard_.index || (far_answer_ && far_answer_->replaces == replaces)) return false;
  // Only a REFER within a leg of a b2bua call has its Replaces mapped; any other goes on as it came
  // (and is refused there when it is in no dialog).
  bool in_leg = false;
  for (const Call* call : calls_.find_by_call_id(msg.value(parser::HeaderId::CallId)))
    in_leg = in_leg || (call->b2bua && b2bua_side(*call, in) != DialogSide::None);
  if (!in_leg) return false;
  if (waiting_refers() >= kMaxWaitingRefers) {
    reply_stateless(in, 503, "Replaces Lookup Busy", 1);
    return true;
  }
  auto [waiting, first] = waiting_refers_.try_emplace(std::string(replaces));
  waiting->second.push_back(
      WaitingRefer{std::make_unique<OwnedMessage>(msg), in.source, in.local, in.iface, clock_.monotonic_ms()});
  if (first) {
    ++counters_.replaces_asked;
    shard_.queries->ask_far_dialog(owner, shard_.index, std::string(replaces));
  }
  return true;
}

void Proxy::answer_far_dialog(uint32_t asker, std::string_view replaces) {
  if (shard_.queries) shard_.queries->answer_far_dialog(asker, std::string(replaces), b2bua_far_dialog(replaces));
}

void Proxy::far_dialog_answered(std::string_view replaces, const std::optional<FarDialog>& far) {
  auto waiting = waiting_refers_.find(std::string(replaces));
  if (waiting == waiting_refers_.end()) return;
  const std::vector<WaitingRefer> refers = std::move(waiting->second);
  waiting_refers_.erase(waiting);
  far_answer_ = FarAnswer{replaces, &far};
  for (const WaitingRefer& r : refers) on_message(Inbound{r.refer->msg, r.source, r.local, r.iface});
  far_answer_.reset();
}

size_t Proxy::waiting_refers() const noexcept {
  size_t n = 0;
  for (const auto& [replaces, refers] : waiting_refers_) n += refers.size();  // at most 64
  return n;
}

void Proxy::expire_waiting_refers(uint64_t now) {
  for (auto it = waiting_refers_.begin(); it != waiting_refers_.end();) {
    // The first REFER under a question is the oldest: the question is as old as it.
    if (now - it->second.front().since_ms < kFarDialogWaitMs) {
      ++it;
      continue;
    }
    for (const WaitingRefer& r : it->second) {
      reply_stateless(Inbound{r.refer->msg, r.source, r.local, r.iface}, 503, "Replaces Lookup Timed Out", 1);
      ++counters_.replaces_unanswered;
    }
    it = waiting_refers_.erase(it);
  }
}

std::string Proxy::own_call_id() const {
  // Expected tries: the shard count.
  for (;;) {
    std::string id = new_tag() + new_tag() + "@sipedge";
    if (shard_.map.of(id) == shard_.index) return id;
  }
}

void Proxy::b2bua_begin(Call& call, const Inbound& in) {
  call.b2bua = true;
  call.caller.local = std::make_unique<LocalEnd>();
  call.caller.local->call_id = call.call_id;
  call.caller.local->set_tag(new_tag());
  call.caller.local->set_name_addr(std::string(in.msg.value(parser::HeaderId::To)) + ";tag=" +
                                   std::string(call.caller.local->tag()));
  call.caller.local->set_contact(b2bua_contact(in.iface, call.call_id, call.ref));
  calls_.add_call_id(call, own_call_id());
  call.callee.local->set_tag(new_tag());
  // o= of sipedge's own per leg (RFC 4566 §5.2: a session id of its choosing).
  auto session_id = [] { return std::stoull(new_tag().substr(0, 12), nullptr, 16); };
  if (call.media) media_.set_own_origin(call.media, session_id(), session_id());
  ++counters_.b2bua_calls;
}

CallLeg* Proxy::b2bua_out_leg(Context& ctx) {
  if (ctx.call) {
    Call* call = calls_.find(ctx.call);
    return call ? &call->callee : nullptr;
  }
  return &ctx.b2bua_leg;
}

Proxy::DialogSide Proxy::b2bua_side(const Call& call, const Inbound& in) const {
  auto from_tag = parser::from_tag(in.msg);
  auto to_tag = parser::to_tag(in.msg);
  if (!from_tag || !to_tag) return DialogSide::None;
  const std::string_view call_id = in.msg.value(parser::HeaderId::CallId);
  if (call_id == call.caller.local->call_id && *from_tag == call.caller.tag() && *to_tag == call.caller.local->tag() &&
      in.iface == call.caller.iface)
    return DialogSide::Caller;
  if (call_id == call.callee.local->call_id && !call.callee.tag().empty() && *from_tag == call.callee.tag() &&
      *to_tag == call.callee.local->tag() && in.iface == call.callee.iface)
    return DialogSide::Callee;
  return DialogSide::None;
}

Result<std::string, Refusal> Proxy::build_b2bua_request(const Inbound& in, const Target& t, const CallLeg& to,
                                                        uint32_t cseq, int route, bool in_dialog, std::string& branch,
                                                        MediaSessionId media, int media_from) {
  const parser::Message& msg = in.msg;
  const InterfaceConfig* out_if = config_.interface(t.iface);
  if (!out_if) return Err(refused(refusal(RefusalCause::NoInterface)));
  const std::string ruri =
      in_dialog ? std::string(to.contact()) : (t.request_uri.empty() ? std::string(msg.request_uri()) : t.request_uri);
  if (ruri.empty()) return Err(refused(refusal(RefusalCause::RewriteFailed)));
  const std::string_view method = msg.method_token();
  std::string out;
  out.reserve(msg.bytes().size() + 256);
  out.append(method).append(" ").append(ruri).append(" SIP/2.0\r\n");
  branch = forward_branch(msg);
  add_line(out, "Via", "SIP/2.0/UDP " + out_if->sip_endpoint().to_string() + ";branch=" + branch + ";rport");
  if (in_dialog)
    to.for_each_route([&](std::string_view r) { add_line(out, "Route", "<" + std::string(r) + ">"); });
  uint32_t max_forwards = 70;
  if (const parser::HeaderField* h = msg.find(parser::HeaderId::MaxForwards)) {
    auto mf = parser::parse_max_forwards(msg.text(h->value));
    max_forwards = mf && *mf > 0 ? *mf - 1 : 0;
  }
  add_line(out, "Max-Forwards", std::to_string(max_forwards));
  add_line(out, "From", to.local->name_addr());
  add_line(out, "To", to.name_addr());
  add_line(out, "Call-ID", to.local->call_id);
  add_line(out, "CSeq", std::to_string(cseq) + " " + std::string(method));
  if (!to.local->contact().empty() && (is_dialog_forming(msg.method()) || msg.method() == parser::Method::Update ||
                                    msg.find(parser::HeaderId::Contact)))
    add_line(out, "Contact", to.local->contact());
  // Call forwarding's Diversion entries go above those the request came with (RFC 5806 §4).
  if (!t.diversion.empty()) add_line(out, "Diversion", t.diversion);

  RequestTimerEdit st;
  const bool timed = msg.method() == parser::Method::Invite || msg.method() == parser::Method::Update;
  if (timed) st = plan_request_timer(msg, session_policy());
  const RouteConfig* rc = route_config(route);
  const bool trusted = guards_.bans.trusted(in.source.ip);
  for (const parser::HeaderField& h : msg.headers()) {
    if (!b2bua_passes(msg, h, rc, trusted)) continue;
    const std::string_view name = msg.text(h.name);
    const std::string_view value = msg.text(h.value);
    switch (h.id) {
      case parser::HeaderId::ProxyAuthorization: {
        // Credentials for our realm stop here (RFC 3261 §22.3).
        auto realm = parser::find_auth_param(value, "realm");
        if (realm && *realm == auth_.realm()) continue;
        break;
      }
      case parser::HeaderId::SessionExpires:
        if (timed && st.session_expires) {
          const size_t params = std::min(value.find(';'), value.size());
          add_line(out, name, std::to_string(st.session_expires) + std::string(value.substr(params)));
          st.session_expires = 0;
          continue;
        }
        break;
      case parser::HeaderId::MinSE:
        if (timed && st.min_se) {
          add_line(out, name, std::to_string(st.min_se));
          st.min_se = 0;
          continue;
        }
        break;
      case parser::HeaderId::RAck:
        add_line(out, name, rack_for_leg(value, to.local->invite_cseq));
        continue;
      case parser::HeaderId::ReferTo:
        add_line(out, name, b2bua_refer_to(value, *out_if));
        continue;
      default: break;
    }
    add_line(out, name, value);
  }
  if (st.session_expires) add_line(out, "Session-Expires", std::to_string(st.session_expires));
  if (st.min_se) add_line(out, "Min-SE", std::to_string(st.min_se));
  if (!t.history_info.empty()) add_line(out, "History-Info", t.history_info);
  if (!config_.user_agent.empty()) add_line(out, "User-Agent", config_.user_agent);

  std::string rewritten;
  std::string_view body = msg.body();
  if (auto role = request_sdp_role(msg.method()); role && media && media_from >= 0 && has_sdp_body(msg)) {
    auto sdp = media_.rewrite(media, static_cast<MediaSide>(media_from), body, *role);
    if (!sdp) return Err(refused(refusal(sdp.error())));
    rewritten = std::move(*sdp);
    body = rewritten;
  }
  add_line(out, "Content-Length", std::to_string(body.size()));
  out.append("\r\n").append(body);
  return out;
}

std::string Proxy::b2bua_answer_head(const Context& ctx) const {
  if (!ctx.request) return ctx.b2bua_answer_head;
  const parser::Message& req = ctx.request->msg;
  const Call* call = ctx.call ? calls_.find(ctx.call) : nullptr;
  std::string out;
  out.reserve(req.bytes().size() / 2);
  {
    // The answered request's Vias, its sender's with received/rport (RFC 3581).
    parser::HeaderItems vias(req, parser::HeaderId::Via);
    std::string_view item;
    bool top = true;
    TextArena texts;
    while (vias.next(item)) {
      add_line(out, "Via", top ? received_via(Inbound{req, ctx.source, ctx.local, ctx.in_iface}, texts) : item);
      top = false;
    }
  }
  add_line(out, "From", req.value(parser::HeaderId::From));
  std::string to(req.value(parser::HeaderId::To));
  if (auto t = parser::to_tag(req); t && t->empty()) {
    char tag[24];
    std::snprintf(tag, sizeof tag, "se%" PRIx64, ctx.server);
    to.append(";tag=").append(call ? call->caller.local->tag() : std::string_view(tag));
  }
  add_line(out, "To", to);
  add_line(out, "Call-ID", req.value(parser::HeaderId::CallId));
  add_line(out, "CSeq", req.value(parser::HeaderId::CSeq));
  return out;
}

Result<std::string, Refusal> Proxy::build_b2bua_response(const Inbound& in, const Context& ctx) {
  const parser::Message& msg = in.msg;
  const uint16_t status = msg.status_code();
  const Call* call = ctx.call ? calls_.find(ctx.call) : nullptr;
  std::string out;
  out.reserve(msg.bytes().size() + 256);
  out.append("SIP/2.0 ").append(std::to_string(status)).append(" ").append(msg.reason_phrase()).append("\r\n");
  out.append(b2bua_answer_head(ctx));
  // sipedge's Contact on the leg the request came from. A 3xx's Contacts name the hidden side:
  // they never cross (a route that recurses follows them; one that passes 3xx sends none).
  if (status < 300 && msg.find(parser::HeaderId::Contact) && call) {
    const CallLeg& from_leg = ctx.b2bua_from_callee ? call->callee : call->caller;
    if (!from_leg.local->contact().empty()) add_line(out, "Contact", from_leg.local->contact());
  }
  const RouteConfig* rc = route_config(ctx.route);
  const bool trusted = guards_.bans.trusted(in.source.ip);
  for (const parser::HeaderField& h : msg.headers()) {
    if (!b2bua_passes(msg, h, rc, trusted)) continue;
    add_line(out, msg.text(h.name), msg.text(h.value));
  }
  if (status >= 200 && status < 300 && (ctx.invite || ctx.method == "UPDATE")) {
    // RFC 4028 §8.2, as in proxy mode.
    std::string insert;
    plan_response_timer(msg, ctx.timer_asked_s, ctx.uac_supports_timer, insert);
    if (!insert.empty()) {
      add_line(out, "Session-Expires", insert);
      add_line(out, "Require", "timer");
    }
  }
  if (!config_.user_agent.empty()) add_line(out, "Server", config_.user_agent);
  std::string rewritten;
  std::string_view body = msg.body();
  if (ctx.media && ctx.media_from >= 0 && has_sdp_body(msg)) {
    const auto side = static_cast<MediaSide>(1 - ctx.media_from);
    auto sdp = media_.rewrite(ctx.media, side, body, ctx.offer_in_request ? SdpRole::Answer : SdpRole::Offer);
    if (!sdp) return Err(refused(refusal(sdp.error())));
    rewritten = std::move(*sdp);
    body = rewritten;
  } else if (has_sdp_body(msg)) {
    return Err(refused(refusal(RefusalCause::RewriteFailed)));  // SDP sipedge cannot anchor never crosses
  }
  add_line(out, "Content-Length", std::to_string(body.size()));
  out.append("\r\n").append(body);
  return out;
}

void Proxy::forward_b2bua_in_dialog(TxnId server, const Inbound& in, Call& call, DialogSide side) {
  const parser::Message& msg = in.msg;
  const bool ack = msg.method() == parser::Method::Ack;
  const bool from_caller = side == DialogSide::Caller;
  CallLeg& own = from_caller ? call.caller : call.callee;
  CallLeg& other = from_caller ? call.callee : call.caller;
  if (auto cseq = parser::cseq_of(msg); cseq && !ack && cseq->number > own.last_cseq)
    own.last_cseq = cseq->number;
  // A target refresh (RFC 3261 §12.2.2): the sender's new Contact is where its leg reaches it.
  if (msg.method() == parser::Method::Invite || msg.method() == parser::Method::Update) {
    if (auto c = reachable_contact(msg, in.source, from_its_ua(msg))) own.set_contact(*c);
  }
  if (msg.method() == parser::Method::Invite && call.reinvite_pending) {
    // Glare across the legs: sipedge is the UAS here and has an INVITE of its own outstanding on
    // this dialog's other end (RFC 3261 §14.2); the sender retries after its §14.1 timer.
    ++counters_.glare_refused;
    reply(server, in, 491, "Request Pending");
    return;
  }
  if (!ack && !check_session_interval(server, in)) return;
  if (other.contact().empty()) {
    if (!ack) reply(server, in, 481, "Call/Transaction Does Not Exist");
    return;
  }
  const int media_from = static_cast<int>(from_caller ? MediaSide::Caller : MediaSide::Callee);
  const Target t{other.peer, other.iface, std::string(other.contact())};
  const uint32_t cseq = ack ? other.local->invite_cseq : other.local->cseq + 1;
  std::string branch;
  auto bytes = build_b2bua_request(in, t, other, cseq, call.route, true, branch, call.media, call.media ? media_from : -1);
  if (!bytes) {
    if (!ack) reply_refusal(server, in, bytes.error());
    return;
  }
  if (ack) {
    other.local->ack = *bytes;
    other.local->ack_sent_ms = clock_.monotonic_ms();
    ack_release_due_.emplace(other.local->ack_sent_ms + retransmit_window_ms(), call.ref);
    transport_.send(t.iface, t.dest, *bytes, other.local->call_id.view());
    ++counters_.forwarded_requests;
    return;
  }
  other.local->cseq = cseq;
  if (msg.method() == parser::Method::Invite) {
    other.local->invite_cseq = cseq;
    other.local->ack.clear();  // the last INVITE's ACK; this one's comes with its 2xx
    call.reinvite_pending = true;
  }
  if (msg.method() == parser::Method::Bye) call.state = CallState::Ending;
  Context& ctx = start_in_dialog(server, in, &call, call.media ? media_from : -1, t, branch, std::move(*bytes),
                                 other.local->call_id.view());
  ctx.b2bua = true;
  ctx.b2bua_from_callee = !from_caller;
  ctx.route = call.route;
}

bool Proxy::b2bua_resend_ack(const Call& call, const Inbound& response) {
  const std::string_view call_id = response.msg.value(parser::HeaderId::CallId);
  const CallLeg& leg = call_id == call.callee.local->call_id ? call.callee : call.caller;
  auto cseq = parser::cseq_of(response.msg);
  if (leg.local->ack.empty() || !cseq || cseq->number != leg.local->invite_cseq || cseq->method != parser::Method::Invite)
    return false;
  transport_.send(leg.iface, leg.peer, leg.local->ack, leg.local->call_id.view());
  return true;
}

}  // namespace sipedge::control
