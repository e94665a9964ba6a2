// tests/fuzz/accessor_sweep.h — test and fuzz threads. Calls every parser accessor on every header of
// a scanned message, validate(), and the SDP accessors on its body, checking that each view they
// return lies inside the bytes it was parsed from. Shared by the PROTOS test and the fuzz targets
// so hostile input meets exactly the code the gateway runs (RFC 3261 §20, RFC 8866).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "parser/auth.h"
#include "parser/contact.h"
#include "parser/headers.h"
#include "parser/name_addr.h"
#include "parser/params.h"
#include "parser/scanner.h"
#include "parser/sdp.h"
#include "parser/uri.h"
#include "parser/value_list.h"
#include "parser/via.h"

namespace sipedge::parser::testing {

// What one sweep saw. `violation` names the first broken invariant (nullptr when none); the
// fault is validate()'s verdict; `ok_values` counts accessor results that parsed, so callers can
// use it and the compiler cannot drop the calls.
struct SweepResult {
  const char* violation = nullptr;
  Fault validate_fault = Fault::None;
  bool sdp_parsed = false;
  uint64_t ok_values = 0;
};

class AccessorSweep {
 public:
  // `complete`: the scan returned Complete (a Malformed scan leaves a partial index whose header
  // block bounds are not final, so only the span checks apply to it).
  SweepResult run(const Message& msg, bool complete) noexcept {
    r_ = SweepResult{};
    msg_ = &msg;
    check_index(complete);
    r_.validate_fault = validate(msg);
    if (r_.validate_fault == Fault::None && msg.is_request() && !parse_uri(msg.request_uri()).ok())
      fail("validate accepted a request whose Request-URI does not parse");
    if (msg.is_request()) uri(parse_uri(msg.request_uri()), msg.bytes());
    for (const HeaderField& h : msg.headers()) header(h);
    lists();
    body();
    return r_;
  }

 private:
  void fail(const char* what) noexcept {
    if (r_.violation == nullptr) r_.violation = what;
  }

  // A returned view must be empty or point inside `base`.
  void inside(std::string_view v, std::string_view base, const char* what) noexcept {
    if (v.empty()) return;
    if (v.data() < base.data() || v.data() + v.size() > base.data() + base.size()) fail(what);
  }

  void check_index(bool complete) noexcept {
    const Message& m = *msg_;
    const uint64_t n = m.bytes().size();
    auto span_ok = [n](Span s) { return uint64_t{s.off} + s.len <= n; };
    if (!span_ok(m.start_line())) fail("start line span outside the message");
    if (!span_ok(m.body_span())) fail("body span outside the message");
    if (m.size() > n) fail("message size larger than its bytes");
    if (complete && (m.headers_begin() > m.headers_end() || m.headers_end() > n))
      fail("header block outside the message");
    for (const HeaderField& h : m.headers()) {
      if (!span_ok(h.name) || !span_ok(h.value)) fail("header span outside the message");
      if (complete && (h.name.off < m.headers_begin() || h.value.end() > m.headers_end()))
        fail("header outside the header block");
      if (h.next_same != 0) {
        if (h.next_same > m.headers().size()) fail("next_same beyond the index");
        else if (m.headers()[h.next_same - 1].id != h.id) fail("next_same links a different header id");
      }
    }
    for (uint8_t i = 0; i < kHeaderIdCount; ++i) {
      const auto id = static_cast<HeaderId>(i);
      unsigned chained = 0;
      for (const HeaderField* h = m.find(id); h != nullptr && chained <= kMaxHeaders; h = m.next_same(h)) {
        if (h->id != id) fail("find/next_same chain holds another id");
        ++chained;
      }
      if (id != HeaderId::Other && chained != m.count(id)) fail("count() disagrees with the chain");
    }
  }

  void uri(const Result<Uri, Fault>& u, std::string_view base) noexcept {
    if (!u.ok()) {
      if (u.error() == Fault::None) fail("an accessor failed with Fault::None");
      return;
    }
    ++r_.ok_values;
    inside(u->user, base, "uri user outside its text");
    inside(u->host, base, "uri host outside its text");
    inside(u->params, base, "uri params outside its text");
    inside(u->headers, base, "uri headers outside its text");
    inside(u->transport(), base, "uri transport outside its text");
    r_.ok_values += u->lr();
    std::array<char, 256> out;
    (void)unescape(u->user, out);
  }

  void name_addr(const Result<NameAddr, Fault>& a, std::string_view base) noexcept {
    if (!a.ok()) {
      if (a.error() == Fault::None) fail("an accessor failed with Fault::None");
      return;
    }
    ++r_.ok_values;
    inside(a->display_name, base, "display name outside the value");
    inside(a->uri_text, base, "uri text outside the value");
    inside(a->params, base, "name-addr params outside the value");
    inside(a->tag(), base, "tag outside the value");
    uri(Result<Uri, Fault>(a->uri), base);
    ParamIterator it(a->params);
    Param p;
    while (it.next(p)) inside(p.value, base, "param value outside the value");
  }

  template <class T>
  bool ok(const Result<T, Fault>& res) noexcept {
    if (res.ok()) {
      ++r_.ok_values;
      return true;
    }
    if (res.error() == Fault::None) fail("an accessor failed with Fault::None");
    return false;
  }

  void tokens(std::string_view value, bool allow) noexcept {
    std::string_view t;
    if (allow) {
      AllowList list(value);
      while (list.next(t)) inside(t, value, "Allow token outside the value");
    } else {
      OptionTags list(value);
      while (list.next(t)) inside(t, value, "option tag outside the value");
    }
  }

  void header(const HeaderField& h) noexcept {
    const std::string_view v = msg_->text(h.value);
    const std::string_view all = msg_->bytes();
    CommaItems items(v);
    std::string_view item;
    switch (h.id) {
      case HeaderId::Via:
        while (items.next(item)) {
          Result<Via, Fault> via = parse_via(item);
          if (ok(via)) {
            inside(via->host, v, "Via host outside the value");
            inside(via->branch, v, "Via branch outside the value");
            inside(via->received, v, "Via received outside the value");
          }
        }
        break;
      case HeaderId::From:
      case HeaderId::To:
      case HeaderId::PAssertedIdentity:
      case HeaderId::PPreferredIdentity:
      case HeaderId::RemotePartyId:
      case HeaderId::ReplyTo:
        name_addr(parse_name_addr(v), v);
        break;
      case HeaderId::Contact:
        while (items.next(item)) {
          Result<Contact, Fault> c = parse_contact(item);
          if (ok(c) && !c->star) name_addr(Result<NameAddr, Fault>(c->addr), v);
        }
        break;
      case HeaderId::CallId:
        if (Result<std::string_view, Fault> id = parse_call_id(v); ok(id)) inside(*id, v, "Call-ID outside the value");
        break;
      case HeaderId::CSeq:
        if (Result<CSeq, Fault> c = parse_cseq(v); ok(c)) {
          if (c->number >= kCSeqLimit) fail("CSeq number not below 2**31 accepted");
          inside(c->method_text, v, "CSeq method outside the value");
        }
        break;
      case HeaderId::MaxForwards:
        if (Result<uint32_t, Fault> mf = parse_max_forwards(v); ok(mf) && *mf > 255) fail("Max-Forwards above 255 accepted");
        break;
      case HeaderId::Expires:
        (void)ok(parse_expires(v));
        break;
      case HeaderId::MinExpires:
        (void)ok(parse_min_expires(v));
        break;
      case HeaderId::Authorization:
      case HeaderId::ProxyAuthorization:
      case HeaderId::WwwAuthenticate:
      case HeaderId::ProxyAuthenticate:
        if (Result<AuthParams, Fault> a = parse_auth(v); ok(a)) {
          inside(a->scheme, v, "auth scheme outside the value");
          inside(a->nonce, v, "auth nonce outside the value");
          inside(a->realm, v, "auth realm outside the value");
          inside(a->response, v, "auth response outside the value");
          QopList qops(a->qop);
          std::string_view q;
          while (qops.next(q)) inside(q, v, "qop option outside the value");
          r_.ok_values += qop_offers(a->qop, "auth");
        }
        break;
      case HeaderId::Require:
      case HeaderId::Supported:
      case HeaderId::ProxyRequire:
      case HeaderId::Unsupported:
        tokens(v, false);
        break;
      case HeaderId::Allow:
        tokens(v, true);
        break;
      case HeaderId::RSeq:
        (void)ok(parse_rseq(v));
        break;
      case HeaderId::RAck:
        if (Result<RAck, Fault> a = parse_rack(v); ok(a)) inside(a->method_text, v, "RAck method outside the value");
        break;
      case HeaderId::SessionExpires:
        (void)ok(parse_session_expires(v));
        break;
      case HeaderId::MinSE:
        (void)ok(parse_min_se(v));
        break;
      case HeaderId::Event:
        if (Result<Event, Fault> e = parse_event(v); ok(e)) inside(e->package, v, "Event package outside the value");
        break;
      case HeaderId::ReferTo:
        name_addr(parse_refer_to(v), v);
        break;
      case HeaderId::ReferredBy:
        name_addr(parse_referred_by(v), v);
        break;
      case HeaderId::Replaces:
        if (Result<Replaces, Fault> rp = parse_replaces(v); ok(rp)) inside(rp->call_id, v, "Replaces call-id outside the value");
        break;
      case HeaderId::Diversion:
        while (items.next(item)) {
          Result<Diversion, Fault> d = parse_diversion(item);
          if (ok(d)) name_addr(Result<NameAddr, Fault>(d->addr), v);
        }
        break;
      case HeaderId::ContentType:
        if (Result<ContentType, Fault> ct = parse_content_type(v); ok(ct)) {
          inside(ct->type, v, "media type outside the value");
          inside(ct->subtype, v, "media subtype outside the value");
        }
        break;
      default:
        while (items.next(item)) inside(item, all, "comma item outside the message");
        break;
    }
  }

  void lists() noexcept {
    const std::string_view all = msg_->bytes();
    {
      ViaList list(*msg_);
      Result<Via, Fault> v = Err{Fault::None};
      unsigned n = 0;
      while (list.next(v) && ++n <= 4 * kMaxHeaders) ok(v);
      if (n > 4 * kMaxHeaders) fail("ViaList does not end");
      Result<Via, Fault> top = top_via(*msg_);
      if (ok(top)) inside(top->host, all, "top Via host outside the message");
    }
    {
      ContactList list(*msg_);
      Result<Contact, Fault> c = Err{Fault::None};
      unsigned n = 0;
      while (list.next(c) && ++n <= 4 * kMaxHeaders) ok(c);
      if (n > 4 * kMaxHeaders) fail("ContactList does not end");
    }
    for (HeaderId id : {HeaderId::Route, HeaderId::RecordRoute}) {
      RouteList list(*msg_, id);
      Result<NameAddr, Fault> r = Err{Fault::None};
      unsigned n = 0;
      while (list.next(r) && ++n <= 4 * kMaxHeaders) name_addr(r, all);
      if (n > 4 * kMaxHeaders) fail("RouteList does not end");
    }
    name_addr(from_header(*msg_), all);
    name_addr(to_header(*msg_), all);
    r_.ok_values += message_has_option(*msg_, HeaderId::Supported, "100rel");
    r_.ok_values += message_has_option(*msg_, HeaderId::Require, "timer");
  }

  void body() noexcept {
    const std::string_view b = msg_->body();
    if (b.empty()) return;
    SdpError err = parse_sdp_into(b, sdp_);
    if (err.fault != Fault::None) {
      if (err.fault != Fault::BadSdp) fail("SDP refused with a fault other than BadSdp");
      std::array<char, 96> text;
      if (err.format(text) >= text.size()) fail("SdpError::format overflowed");
      return;
    }
    r_.sdp_parsed = true;
    inside(sdp_.origin_address, b, "o= address outside the body");
    inside(sdp_.session_name, b, "s= outside the body");
    inside(sdp_.connection.address, b, "c= address outside the body");
    for (const SdpAttribute& a : sdp_.attributes()) {
      inside(a.name, b, "attribute name outside the body");
      inside(a.value, b, "attribute value outside the body");
      inside(sdp_.text(a.line), b, "attribute line outside the body");
    }
    for (size_t m = 0; m < sdp_.media().size(); ++m) {
      const SdpMedia& media = sdp_.media()[m];
      inside(sdp_.text(media.port_span), b, "m= port span outside the body");
      inside(media.formats, b, "m= formats outside the body");
      if (media.line_off > media.end_off || media.end_off > b.size()) fail("media section outside the body");
      inside(sdp_.connection_for(m).address, b, "effective c= outside the body");
      r_.ok_values += static_cast<uint64_t>(sdp_.direction_for(m));
      if (sdp_.direction_for(m) == SdpDirection::Unspecified) fail("direction_for returned Unspecified");
      std::array<uint8_t, 64> pts;
      const size_t n = sdp_.payload_types(m, pts);
      for (size_t i = 0; i < n && i < pts.size(); ++i) {
        if (auto map = sdp_.rtpmap(m, pts[i])) inside(map->encoding, b, "rtpmap encoding outside the body");
        if (auto f = sdp_.fmtp(m, pts[i])) inside(f->params, b, "fmtp params outside the body");
      }
      std::array<SdpCandidate, 8> cands;
      const size_t nc = sdp_.candidates(m, cands);
      for (size_t i = 0; i < nc && i < cands.size(); ++i) inside(cands[i].address, b, "candidate address outside the body");
      std::array<SdpCrypto, 4> cryptos;
      r_.ok_values += sdp_.cryptos(m, cryptos);
      r_.ok_values += sdp_.media_attributes(m).size();
    }
    (void)sdp_.media_attributes(sdp_.media().size());
    (void)sdp_.connection_for(sdp_.media().size() + 1);
  }

  const Message* msg_ = nullptr;
  SweepResult r_;
  Sdp sdp_;
};

}  // namespace sipedge::parser::testing
