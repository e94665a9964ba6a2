// control/registrar/registrar.cc — control lcore only. See registrar.h; steps follow RFC 3261 §10.3.
#include "control/registrar/registrar.h"

#include "parser/contact.h"
#include "parser/headers.h"

namespace sipedge::control {
namespace {

RegistrarReply reply(uint16_t status, std::string reason) {
  RegistrarReply r;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

// The Contact URI is compared as written; host and port tell whether it names the address the
// REGISTER came from.
bool contact_matches_source(const parser::Uri& uri, const Endpoint& source) {
  auto ip = IpAddr::parse(uri.host);
  if (!ip || !(*ip == source.ip)) return false;
  const uint16_t port = uri.has_port ? uri.port : (uri.scheme == parser::UriScheme::Sips ? 5061 : 5060);
  return port == source.port;
}

}  // namespace

RegistrarReply Registrar::challenge(uint64_t now_ms, bool stale) const {
  RegistrarReply r = reply(401, "Unauthorized");
  for (std::string& c : auth_.digest().challenges(now_ms / 1000, stale)) r.headers.emplace_back("WWW-Authenticate", std::move(c));
  return r;
}

void Registrar::list_bindings(RegistrarReply& r, const std::string& aor, uint64_t now_ms) const {
  for (const Binding* b : location_.lookup(aor)) {
    const uint64_t left = b->expires_at_ms > now_ms ? (b->expires_at_ms - now_ms + 999) / 1000 : 0;
    r.headers.emplace_back("Contact", "<" + b->contact_uri + ">;expires=" + std::to_string(left));
  }
}

RegistrarReply Registrar::handle(const Inbound& request, std::string_view domain, uint64_t now_ms) {
  const parser::Message& msg = request.msg;
  auto to = parser::to_header(msg);
  if (!to) return reply(400, std::string(parser::fault_reason(to.error())));
  if (to->uri.user.empty()) return reply(404, "Not Found");  // §10.3 step 3: no user, no AOR
  const std::string aor = make_aor(to->uri.user, domain);

  // Step 4-5: authenticate, and the authenticated user must be the AOR's owner.
  if (config_.require_auth) {
    const AuthResult a = auth_.verify(request, false, now_ms);
    if (a.outcome == AuthOutcome::NoCredentials || a.outcome == AuthOutcome::Rejected) return challenge(now_ms, false);
    if (a.outcome == AuthOutcome::Stale) return challenge(now_ms, true);
    if (a.user != to->uri.user && !(config_.may_bind && config_.may_bind(a.user, to->uri.user)))
      return reply(403, "Forbidden: credentials do not own this address-of-record");
  }

  auto call_id = parser::parse_call_id(msg.value(parser::HeaderId::CallId));
  auto cseq = parser::cseq_of(msg);
  if (!call_id) return reply(400, std::string(parser::fault_reason(call_id.error())));
  if (!cseq) return reply(400, std::string(parser::fault_reason(cseq.error())));

  std::optional<uint32_t> header_expires;
  if (const parser::HeaderField* h = msg.find(parser::HeaderId::Expires)) {
    auto e = parser::parse_expires(msg.text(h->value));
    if (!e) return reply(400, std::string(parser::fault_reason(e.error())));
    header_expires = *e;
  }

  // Step 6: gather and check every contact before changing anything, so a bad one changes nothing.
  struct Wanted {
    std::string uri;
    uint32_t expires;
    uint16_t q;
    bool nat;
  };
  std::vector<Wanted> wanted;
  bool star = false;
  unsigned contacts = 0;
  parser::ContactList list(msg);
  Result<parser::Contact, parser::Fault> c{Err{parser::Fault::BadContact}};
  while (list.next(c)) {
    ++contacts;
    if (!c) return reply(400, std::string(parser::fault_reason(c.error())));
    if (c->star) {
      star = true;
      continue;
    }
    uint32_t expires = c->expires ? *c->expires : header_expires ? *header_expires : config_.default_expires_s;
    if (expires != 0 && expires < config_.min_expires_s) {
      RegistrarReply r = reply(423, "Interval Too Brief");
      r.headers.emplace_back("Min-Expires", std::to_string(config_.min_expires_s));
      return r;
    }
    if (expires > config_.max_expires_s) expires = config_.max_expires_s;
    wanted.push_back({std::string(c->addr.uri_text), expires, c->q_milli ? *c->q_milli : uint16_t{1000},
                      !contact_matches_source(c->addr.uri, request.source)});
  }
  if (star) {
    // §10.2.2: "*" only with Expires: 0 and no other contact.
    if (contacts != 1 || !header_expires || *header_expires != 0)
      return reply(400, "Contact * requires Expires: 0 and no other Contact");
    RegistrarReply r = reply(200, "OK");
    r.bindings_removed = location_.remove_all(aor);
    return r;
  }

  RegistrarReply r = reply(200, "OK");
  for (const Wanted& w : wanted) {
    const Binding* existing = location_.find(aor, w.uri);
    // Step 7: the same Call-ID must come with a higher CSeq, or the request is out of order.
    if (existing && existing->call_id == *call_id && cseq->number <= existing->cseq)
      return reply(500, "Out of order CSeq for this binding");
    if (w.expires == 0) {
      r.bindings_removed += location_.remove(aor, w.uri) ? 1 : 0;
      continue;
    }
    Binding b;
    b.aor = aor;
    b.contact_uri = w.uri;
    b.received = request.source;
    b.iface = request.iface;
    b.behind_nat = w.nat;
    b.expires_at_ms = now_ms + uint64_t{w.expires} * 1000;
    b.call_id = std::string(*call_id);
    b.cseq = cseq->number;
    b.q_milli = w.q;
    b.user_agent = std::string(msg.value(parser::HeaderId::UserAgent));
    if (!existing) ++r.bindings_added;
    location_.upsert(std::move(b));
  }
  list_bindings(r, aor, now_ms);
  return r;
}

}  // namespace sipedge::control
