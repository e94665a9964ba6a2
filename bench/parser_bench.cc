// bench/parser_bench.cc — benchmark thread only, never linked into the gateway. ns per SIP message for
// sipedge's scanners (HandScanner, HyperscanScanner), typed accessors and rewriter against oSIP2 and
// sofia-sip doing the same work in the same run (DESIGN §7); prints a ratio table at the end.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "parser/contact.h"
#include "parser/headers.h"
#include "parser/rewriter.h"
#include "parser/scanner_hand.h"
#include "parser/scanner_hyperscan.h"
#include "parser/sdp.h"
#include "parser/via.h"

extern "C" {
#include <osipparser2/osip_parser.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sdp.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>
}
// oSIP2 and sofia-sip both declare sdp_media_t, sdp_connection_t... at global scope; oSIP2's SDP
// types live in a namespace here (its functions keep C linkage, so they still link).
namespace osip_sdp {
extern "C" {
#include <osipparser2/sdp_message.h>
}
}  // namespace osip_sdp

namespace {

using namespace sipedge::parser;

// ---------------------------------------------------------------------------------------------
// Messages. The INVITE and 200 OK are real captures from the seed call flows (tests/data/seeds);
// the REGISTER and the 30-Via request are written here because no seed has them.

// Used only when tests/data/seeds/000_01_invite.sip is missing: the same capture.
constexpr char kFallbackInvite[] =
    "INVITE sip:1012@192.168.0.201 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.168.1.131:56980;branch=z9hG4bK-d87543-bd00a80d61174148-1--d87543-;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:1006@192.168.1.131:56980>\r\n"
    "To: \"1012\"<sip:1012@192.168.0.201>\r\n"
    "From: \"1006\"<sip:1006@192.168.0.201>;tag=11703172\r\n"
    "Call-ID: NDI2ODA4NmE4OTNlYjlhN2NlYzIxYzcxMzc0MTEzZTY.\r\n"
    "CSeq: 1 INVITE\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n"
    "Content-Type: application/sdp\r\n"
    "User-Agent: eyeBeam release 1011d stamp 40820\r\n"
    "Content-Length: 436\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 8 2 IN IP4 192.168.1.131\r\n"
    "s=CounterPath eyeBeam 1.5\r\n"
    "c=IN IP4 192.168.1.131\r\n"
    "t=0 0\r\n"
    "m=audio 1572 RTP/AVP 0 8 18 101\r\n"
    "a=alt:1 3 : YqBcv0hx k0Ir1UAh 192.168.1.131 1572\r\n"
    "a=alt:2 2 : x3fHBmJC A3UcAV4D 192.168.197.1 1572\r\n"
    "a=alt:3 1 : mxpdOrEC wrgtrc0h 192.168.44.1 1572\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n"
    "a=x-rtp-session-id:747024EE416C401C864D1F625FC7E145\r\n";

constexpr char kFallback200[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 192.168.0.201;rport=5060;received=192.168.0.201;branch=z9hG4bK6XZZ1QaaZjr3p\r\n"
    "Call-ID: 2ffaf428-2148-123b-649f-000c29e7aea9\r\n"
    "From: \"1006\" <sip:1006@192.168.0.201>;tag=SrUQ72vvXSHFK\r\n"
    "To: <sip:1012@192.168.0.24>;tag=3fVxEhXmI66Iss8a6YjNDWRhpIFlIEP1\r\n"
    "CSeq: 49245689 INVITE\r\n"
    "Allow: PRACK, INVITE, ACK, BYE, CANCEL, UPDATE, INFO, SUBSCRIBE, NOTIFY, REFER, MESSAGE, OPTIONS\r\n"
    "User-Agent: VoIP\r\n"
    "Contact: \"1012\" <sip:1012@192.168.0.24:5060>\r\n"
    "Supported: replaces, 100rel\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length:   227\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 3856587767 3856587769 IN IP4 192.168.0.24\r\n"
    "s=SDP\r\n"
    "c=IN IP4 192.168.0.24\r\n"
    "t=0 0\r\n"
    "m=audio 10004 RTP/AVP 0 101\r\n"
    "c=IN IP4 192.168.0.24\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=sendrecv\r\n";

constexpr char kRegister[] =
    "REGISTER sip:192.168.0.201 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.168.1.131:56980;branch=z9hG4bK-d87543-4e1b8c3ea1a7d6f2-1--d87543-;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:1006@192.168.1.131:56980;rinstance=4f7a3cdd81c1c2a1>;expires=3600\r\n"
    "To: \"1006\"<sip:1006@192.168.0.201>\r\n"
    "From: \"1006\"<sip:1006@192.168.0.201>;tag=5a0b1b8c\r\n"
    "Call-ID: ZTM2MDEzNWNkOGY3NDJjNGJhYTQ2NTI1NTI4YjJmMjQ.\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Expires: 3600\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n"
    "User-Agent: eyeBeam release 1011d stamp 40820\r\n"
    "Authorization: Digest username=\"1006\",realm=\"sipedge.example\",nonce=\"7c1f3e2a9b8d4c6e\","
    "uri=\"sip:192.168.0.201\",response=\"6629fae49393a05397450978507c4ef1\",algorithm=MD5,"
    "cnonce=\"0a4f113b\",qop=auth,nc=00000001\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string seed_or(const char* file, const char* fallback) {
  const std::filesystem::path p = std::filesystem::path(SIPEDGE_TEST_DATA_DIR) / "seeds" / file;
  if (std::filesystem::exists(p)) return read_file(p);
  std::fprintf(stderr, "note: %s missing, using the embedded copy\n", p.c_str());
  return fallback;
}

// The INVITE with its one Via replaced by 30 (a request that crossed many proxies).
std::string thirty_vias(const std::string& invite) {
  const size_t via = invite.find("\r\nVia: ") + 2;
  const size_t via_end = invite.find("\r\n", via) + 2;
  std::string vias;
  for (int i = 0; i < 30; ++i)
    vias += "Via: SIP/2.0/UDP 10.0." + std::to_string(i) + ".1:5060;branch=z9hG4bK-hop" + std::to_string(i) +
            "-5f2a9c;received=10.0." + std::to_string(i) + ".1;rport=5060\r\n";
  return invite.substr(0, via) + vias + invite.substr(via_end);
}

struct BenchMessage {
  std::string name;
  std::string bytes;
};

const std::vector<BenchMessage>& messages() {
  static const std::vector<BenchMessage> m = [] {
    const std::string invite = seed_or("000_01_invite.sip", kFallbackInvite);
    return std::vector<BenchMessage>{
        {"invite_sdp", invite},
        {"200ok_sdp", seed_or("000_07_200_ok.sip", kFallback200)},
        {"register_auth", kRegister},
        {"invite_30via", thirty_vias(invite)},
    };
  }();
  return m;
}

// ---------------------------------------------------------------------------------------------
// sipedge

const HandScanner& hand_scanner() {
  static const HandScanner s;
  return s;
}

const HyperscanScanner& hyperscan_scanner() {
  static const HyperscanScanner s = [] {
    // The operator's scanner signatures are compiled in, as in production.
    auto r = HyperscanScanner::create(PolicyRules::known_scanners());
    if (!r.ok()) {
      std::fprintf(stderr, "Hyperscan: %s: %s\n", r.error().rule.c_str(), r.error().message.c_str());
      std::abort();
    }
    return std::move(r).value();
  }();
  return s;
}

// The fields a proxy reads from every request/response, plus the SDP body. True when all parsed.
bool typed_access(const Message& m, Sdp& sdp) {
  bool ok = true;
  const auto via = top_via(m);
  ok &= via.ok();
  benchmark::DoNotOptimize(via);
  const auto from = from_header(m);
  ok &= from.ok();
  benchmark::DoNotOptimize(from);
  const auto to = to_header(m);
  ok &= to.ok();
  benchmark::DoNotOptimize(to);
  const auto call_id = parse_call_id(m.value(HeaderId::CallId));
  ok &= call_id.ok();
  benchmark::DoNotOptimize(call_id);
  const auto cseq = parse_cseq(m.value(HeaderId::CSeq));
  ok &= cseq.ok();
  benchmark::DoNotOptimize(cseq);
  ContactList contacts(m);
  sipedge::Result<Contact, Fault> contact{sipedge::Err(Fault::BadContact)};  // overwritten by next()
  ok &= contacts.next(contact) && contact.ok();
  benchmark::DoNotOptimize(contact);
  if (!m.body().empty()) {
    ok &= parse_sdp_into(m.body(), sdp).fault == Fault::None;
    benchmark::DoNotOptimize(sdp);
  }
  return ok;
}

constexpr std::string_view kRelayIp = "203.0.113.1";
constexpr std::string_view kRelayPort = "40000";
constexpr char kNewVia[] = "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-sipedge-7f3a9c21";
constexpr char kRecordRoute[] = "<sip:203.0.113.1;lr>";
constexpr std::string_view kNewContactUri = "sip:1006@203.0.113.1:5060";

// What the proxy core does to a message crossing it: its Via on top, a Record-Route, the Contact
// URI pointed at the gateway (NAT), SDP c=/m= anchored on the relay. Returns the bytes written.
uint32_t rewrite(const Message& m, Sdp& sdp, EditList& edits, std::span<char> out) {
  edits.clear();
  edits.prepend_header("Via", kNewVia);
  edits.append_header("Record-Route", kRecordRoute);
  ContactList contacts(m);
  sipedge::Result<Contact, Fault> contact{sipedge::Err(Fault::BadContact)};  // overwritten by next()
  if (contacts.next(contact) && contact.ok()) {
    const std::string_view uri = contact->addr.uri_text;
    edits.replace(Span{static_cast<uint32_t>(uri.data() - m.bytes().data()), static_cast<uint32_t>(uri.size())},
                  kNewContactUri);
  }
  if (!m.body().empty() && parse_sdp_into(m.body(), sdp).fault == Fault::None) {
    const uint32_t body_off = m.body_span().off;
    if (sdp.connection.present) edits.replace(rebase(sdp.connection.address_span, body_off), kRelayIp);
    for (const SdpMedia& media : sdp.media()) {
      edits.replace(rebase(media.port_span, body_off), kRelayPort);
      if (media.connection.present) edits.replace(rebase(media.connection.address_span, body_off), kRelayIp);
    }
  }
  const auto n = apply(m, edits, out);
  return n.ok() ? *n : 0;
}

// Per-benchmark-thread state: a Message and an Sdp are large fixed-capacity views.
struct SipedgeState {
  Message msg;
  Sdp sdp;
  EditList edits;
  std::array<char, 8192> out;
};

enum class Work { Index, Typed, Rewrite };

void bm_sipedge(benchmark::State& state, const Scanner* scanner, const std::string* bytes, Work work) {
  auto st = std::make_unique<SipedgeState>();
  // Check once that the message takes the full path (no silent early-out being measured).
  if (scanner->scan(*bytes, Framing::Datagram, st->msg).status != ScanStatus::Complete) {
    state.SkipWithError("scan failed");
    return;
  }
  if (work != Work::Index && !typed_access(st->msg, st->sdp)) {
    state.SkipWithError("typed access failed");
    return;
  }
  if (work == Work::Rewrite && rewrite(st->msg, st->sdp, st->edits, st->out) == 0) {
    state.SkipWithError("rewrite failed");
    return;
  }
  for (auto _ : state) {
    const ScanResult r = scanner->scan(*bytes, Framing::Datagram, st->msg);
    benchmark::DoNotOptimize(r);
    if (work == Work::Typed) benchmark::DoNotOptimize(typed_access(st->msg, st->sdp));
    if (work == Work::Rewrite) benchmark::DoNotOptimize(rewrite(st->msg, st->sdp, st->edits, st->out));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes->size()));
}

// ---------------------------------------------------------------------------------------------
// oSIP2: osip_message_parse builds the whole header structure (Via, From, To, CSeq, Call-ID and
// Contact are parsed eagerly); SDP is a separate sdp_message_parse of the body.

using osip_sdp::sdp_message_t;

bool osip_typed(osip_message_t* sip) {
  bool ok = true;
  osip_via_t* via = nullptr;
  ok &= osip_message_get_via(sip, 0, &via) >= 0 && via != nullptr && via_get_host(via) != nullptr;
  benchmark::DoNotOptimize(via);
  osip_from_t* from = osip_message_get_from(sip);
  ok &= from != nullptr && osip_from_get_url(from) != nullptr;
  osip_to_t* to = osip_message_get_to(sip);
  ok &= to != nullptr && osip_to_get_url(to) != nullptr;
  osip_call_id_t* call_id = osip_message_get_call_id(sip);
  ok &= call_id != nullptr && osip_call_id_get_number(call_id) != nullptr;
  osip_cseq_t* cseq = osip_message_get_cseq(sip);
  ok &= cseq != nullptr && osip_cseq_get_number(cseq) != nullptr;
  benchmark::DoNotOptimize(std::atoi(osip_cseq_get_number(cseq)));
  osip_contact_t* contact = nullptr;
  ok &= osip_message_get_contact(sip, 0, &contact) >= 0 && contact != nullptr && contact->url != nullptr;
  benchmark::DoNotOptimize(contact);
  osip_body_t* body = nullptr;
  if (osip_message_get_body(sip, 0, &body) >= 0 && body != nullptr) {
    sdp_message_t* sdp = nullptr;
    osip_sdp::sdp_message_init(&sdp);
    ok &= osip_sdp::sdp_message_parse(sdp, body->body) == 0;
    benchmark::DoNotOptimize(sdp);
    osip_sdp::sdp_message_free(sdp);
  }
  return ok;
}

void set_str(char*& field, std::string_view v) {
  osip_free(field);
  field = static_cast<char*>(osip_malloc(v.size() + 1));
  std::memcpy(field, v.data(), v.size());
  field[v.size()] = '\0';
}

// Same edits as rewrite(); returns the serialized length.
size_t osip_rewrite(osip_message_t* sip, std::string* dump = nullptr) {
  osip_via_t* via = nullptr;
  osip_via_init(&via);
  osip_via_parse(via, kNewVia);
  osip_list_add(&sip->vias, via, 0);
  osip_message_set_record_route(sip, kRecordRoute);
  osip_contact_t* contact = nullptr;
  if (osip_message_get_contact(sip, 0, &contact) >= 0 && contact != nullptr && contact->url != nullptr) {
    set_str(contact->url->host, kRelayIp);
    set_str(contact->url->port, "5060");
  }
  osip_body_t* body = nullptr;
  if (osip_message_get_body(sip, 0, &body) >= 0 && body != nullptr) {
    sdp_message_t* sdp = nullptr;
    osip_sdp::sdp_message_init(&sdp);
    if (osip_sdp::sdp_message_parse(sdp, body->body) == 0) {
      if (sdp->c_connection != nullptr) set_str(sdp->c_connection->c_addr, kRelayIp);
      for (int i = 0; i < osip_list_size(&sdp->m_medias); ++i) {
        auto* media = static_cast<osip_sdp::sdp_media_t*>(osip_list_get(&sdp->m_medias, i));
        set_str(media->m_port, kRelayPort);
        for (int k = 0; k < osip_list_size(&media->c_connections); ++k)
          set_str(static_cast<osip_sdp::sdp_connection_t*>(osip_list_get(&media->c_connections, k))->c_addr, kRelayIp);
      }
      char* text = nullptr;
      if (osip_sdp::sdp_message_to_str(sdp, &text) == 0) {
        osip_list_special_free(&sip->bodies, reinterpret_cast<void (*)(void*)>(&osip_body_free));
        osip_message_set_body(sip, text, std::strlen(text));
        osip_free(text);
      }
    }
    osip_sdp::sdp_message_free(sdp);
  }
  char* out = nullptr;
  size_t len = 0;
  if (osip_message_to_str(sip, &out, &len) != 0) return 0;
  if (dump != nullptr) dump->assign(out, len);
  osip_free(out);
  return len;
}

void bm_osip2(benchmark::State& state, const std::string* bytes, Work work) {
  {
    osip_message_t* sip = nullptr;
    osip_message_init(&sip);
    const bool parsed = osip_message_parse(sip, bytes->data(), bytes->size()) == 0;
    const bool typed = parsed && (work == Work::Index || osip_typed(sip));
    const bool rewritten = typed && (work != Work::Rewrite || osip_rewrite(sip) > 0);
    osip_message_free(sip);
    if (!rewritten) {
      state.SkipWithError("oSIP2 could not process the message");
      return;
    }
  }
  for (auto _ : state) {
    osip_message_t* sip = nullptr;
    osip_message_init(&sip);
    benchmark::DoNotOptimize(osip_message_parse(sip, bytes->data(), bytes->size()));
    if (work == Work::Typed) benchmark::DoNotOptimize(osip_typed(sip));
    if (work == Work::Rewrite) benchmark::DoNotOptimize(osip_rewrite(sip));
    osip_message_free(sip);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes->size()));
}

// ---------------------------------------------------------------------------------------------
// sofia-sip: msg_make parses the message and every known header into sip_t; SDP through sdp_parse.

bool sofia_typed(msg_t* msg) {
  sip_t* sip = sip_object(msg);
  if (sip == nullptr) return false;
  bool ok = sip->sip_via != nullptr && sip->sip_via->v_host != nullptr;
  ok &= sip->sip_from != nullptr && sip->sip_from->a_url->url_host != nullptr;
  ok &= sip->sip_to != nullptr && sip->sip_to->a_url->url_host != nullptr;
  ok &= sip->sip_call_id != nullptr && sip->sip_call_id->i_id != nullptr;
  ok &= sip->sip_cseq != nullptr;
  ok &= sip->sip_contact != nullptr && sip->sip_contact->m_url->url_host != nullptr;
  benchmark::DoNotOptimize(sip->sip_cseq->cs_seq);
  if (sip->sip_payload != nullptr && sip->sip_payload->pl_len > 0) {
    sdp_parser_t* p = sdp_parse(msg_home(msg), sip->sip_payload->pl_data, sip->sip_payload->pl_len, 0);
    ok &= sdp_session(p) != nullptr;
    benchmark::DoNotOptimize(sdp_session(p));
    sdp_parser_free(p);
  }
  return ok;
}

size_t sofia_rewrite(msg_t* msg, std::string* dump = nullptr) {
  sip_t* sip = sip_object(msg);
  su_home_t* home = msg_home(msg);
  msg_header_insert(msg, reinterpret_cast<msg_pub_t*>(sip), reinterpret_cast<msg_header_t*>(sip_via_make(home, kNewVia)));
  msg_header_insert(msg, reinterpret_cast<msg_pub_t*>(sip),
                    reinterpret_cast<msg_header_t*>(sip_record_route_make(home, kRecordRoute)));
  if (sip->sip_contact != nullptr) {
    sip->sip_contact->m_url->url_host = "203.0.113.1";
    sip->sip_contact->m_url->url_port = "5060";
    sip_fragment_clear(sip->sip_contact->m_common);
  }
  if (sip->sip_payload != nullptr && sip->sip_payload->pl_len > 0) {
    sdp_parser_t* p = sdp_parse(home, sip->sip_payload->pl_data, sip->sip_payload->pl_len, 0);
    if (sdp_session_t* s = sdp_session(p)) {
      if (s->sdp_connection != nullptr) s->sdp_connection->c_address = "203.0.113.1";
      for (sdp_media_t* m = s->sdp_media; m != nullptr; m = m->m_next) {
        m->m_port = 40000;
        for (sdp_connection_t* c = m->m_connections; c != nullptr; c = c->c_next) c->c_address = "203.0.113.1";
      }
      sdp_printer_t* pr = sdp_print(home, s, nullptr, 0, 0);
      const auto size = static_cast<isize_t>(sdp_message_size(pr));
      sip_payload_t* pl = sip_payload_create(home, sdp_message(pr), size);
      msg_header_replace(msg, reinterpret_cast<msg_pub_t*>(sip), reinterpret_cast<msg_header_t*>(sip->sip_payload),
                         reinterpret_cast<msg_header_t*>(pl));
      msg_header_replace(msg, reinterpret_cast<msg_pub_t*>(sip),
                         reinterpret_cast<msg_header_t*>(sip->sip_content_length),
                         reinterpret_cast<msg_header_t*>(sip_content_length_create(home, static_cast<uint32_t>(size))));
      sdp_printer_free(pr);
    }
    sdp_parser_free(p);
  }
  if (msg_serialize(msg, reinterpret_cast<msg_pub_t*>(sip)) < 0) return 0;
  size_t len = 0;
  char* out = msg_as_string(home, msg, nullptr, 0, &len);
  if (out != nullptr && dump != nullptr) dump->assign(out, len);
  return out != nullptr ? len : 0;
}

void bm_sofia(benchmark::State& state, const std::string* bytes, Work work) {
  {
    msg_t* msg = msg_make(sip_default_mclass(), 0, bytes->data(), static_cast<ssize_t>(bytes->size()));
    const bool parsed = msg != nullptr && sip_object(msg) != nullptr && !msg_has_error(msg);
    const bool typed = parsed && (work == Work::Index || sofia_typed(msg));
    const bool rewritten = typed && (work != Work::Rewrite || sofia_rewrite(msg) > 0);
    if (msg != nullptr) msg_destroy(msg);
    if (!rewritten) {
      state.SkipWithError("sofia-sip could not process the message");
      return;
    }
  }
  for (auto _ : state) {
    msg_t* msg = msg_make(sip_default_mclass(), 0, bytes->data(), static_cast<ssize_t>(bytes->size()));
    benchmark::DoNotOptimize(msg);
    if (work == Work::Typed) benchmark::DoNotOptimize(sofia_typed(msg));
    if (work == Work::Rewrite) benchmark::DoNotOptimize(sofia_rewrite(msg));
    msg_destroy(msg);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes->size()));
}

// ---------------------------------------------------------------------------------------------
// Registration and the ratio table.

constexpr const char* kWorkName[] = {"index", "typed", "rewrite"};
constexpr const char* kImpls[] = {"sipedge_hand", "sipedge_hyperscan", "osip2", "sofia"};

std::string bench_name(Work w, const std::string& msg, const char* impl) {
  return std::string(kWorkName[static_cast<int>(w)]) + "/" + msg + "/" + impl;
}

void register_all() {
  for (const BenchMessage& m : messages()) {
    for (Work w : {Work::Index, Work::Typed, Work::Rewrite}) {
      benchmark::RegisterBenchmark(bench_name(w, m.name, kImpls[0]).c_str(), bm_sipedge, &hand_scanner(), &m.bytes, w)
          ->Unit(benchmark::kNanosecond);
      benchmark::RegisterBenchmark(bench_name(w, m.name, kImpls[1]).c_str(), bm_sipedge, &hyperscan_scanner(),
                                   &m.bytes, w)
          ->Unit(benchmark::kNanosecond);
      benchmark::RegisterBenchmark(bench_name(w, m.name, kImpls[2]).c_str(), bm_osip2, &m.bytes, w)
          ->Unit(benchmark::kNanosecond);
      benchmark::RegisterBenchmark(bench_name(w, m.name, kImpls[3]).c_str(), bm_sofia, &m.bytes, w)
          ->Unit(benchmark::kNanosecond);
    }
  }
}

// Console output as usual, and each benchmark's median CPU ns/message kept for the table (the mean
// of one run when there are no repetitions).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      const std::string name = r.run_name.str();
      if (r.run_type == Run::RT_Aggregate) {
        if (r.aggregate_name == "median") median_[name] = r.GetAdjustedCPUTime();
      } else if (!median_.count(name)) {
        single_[name] = r.GetAdjustedCPUTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  double ns(const std::string& name) const {
    if (auto it = median_.find(name); it != median_.end()) return it->second;
    if (auto it = single_.find(name); it != single_.end()) return it->second;
    return 0;
  }

 private:
  std::map<std::string, double> median_, single_;
};

void print_table(const RatioReporter& rep) {
  std::printf("\nns/message (median CPU time) and how many times faster sipedge is\n");
  std::printf("%-8s %-14s %8s %10s %8s %8s %11s %11s %11s\n", "work", "message", "hand", "hyperscan", "osip2",
              "sofia", "osip2/hand", "sofia/hand", "hs/hand");
  for (Work w : {Work::Index, Work::Typed, Work::Rewrite}) {
    for (const BenchMessage& m : messages()) {
      const double hand = rep.ns(bench_name(w, m.name, kImpls[0]));
      const double hs = rep.ns(bench_name(w, m.name, kImpls[1]));
      const double osip = rep.ns(bench_name(w, m.name, kImpls[2]));
      const double sofia = rep.ns(bench_name(w, m.name, kImpls[3]));
      if (hand == 0) continue;  // filtered out of this run
      auto ratio = [hand](double x) { return x > 0 ? x / hand : 0.0; };
      std::printf("%-8s %-14s %8.0f %10.0f %8.0f %8.0f %10.1fx %10.1fx %10.2fx\n", kWorkName[static_cast<int>(w)],
                  m.name.c_str(), hand, hs, osip, sofia, ratio(osip), ratio(sofia), ratio(hs));
    }
  }
}

}  // namespace

// SIPEDGE_BENCH_DUMP=1: print what each implementation's rewrite of the INVITE produces, to check
// by eye that all three do the same edits.
void dump_rewrites() {
  const std::string& bytes = messages().front().bytes;
  auto st = std::make_unique<SipedgeState>();
  (void)hand_scanner().scan(bytes, Framing::Datagram, st->msg);
  const uint32_t n = rewrite(st->msg, st->sdp, st->edits, st->out);
  std::printf("--- sipedge (%u bytes)\n%.*s\n", n, static_cast<int>(n), st->out.data());
  osip_message_t* sip = nullptr;
  osip_message_init(&sip);
  std::string text;
  if (osip_message_parse(sip, bytes.data(), bytes.size()) == 0) osip_rewrite(sip, &text);
  osip_message_free(sip);
  std::printf("--- oSIP2 (%zu bytes)\n%s\n", text.size(), text.c_str());
  msg_t* msg = msg_make(sip_default_mclass(), 0, bytes.data(), static_cast<ssize_t>(bytes.size()));
  text.clear();
  if (msg != nullptr) sofia_rewrite(msg, &text);
  msg_destroy(msg);
  std::printf("--- sofia-sip (%zu bytes)\n%s\n", text.size(), text.c_str());
}

int main(int argc, char** argv) {
  parser_init();  // oSIP2's global tables, once
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::printf("message sizes:");
  for (const BenchMessage& m : messages()) std::printf(" %s=%zu", m.name.c_str(), m.bytes.size());
  std::printf(" bytes\n");
  if (const char* d = std::getenv("SIPEDGE_BENCH_DUMP"); d != nullptr && d[0] == '1') dump_rewrites();
  register_all();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_table(reporter);
  benchmark::Shutdown();
  return 0;
}
