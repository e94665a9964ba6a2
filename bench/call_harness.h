// bench/call_harness.h — benchmark threads. A call driven through a Proxy in process, for
// control_bench (an in-memory wire, a stand-in relay) and control_io_bench (ControlIo on net_ring
// ports, the relay's flow table): every message of a basic call written as the two UAs would, from
// what sipedge sent them, scanned as the dataplane would and handed to the Proxy. The caller
// (Alice, 10.201.0.2) is on the access side, trusted or, with `digest`, authenticating as 1006
// (INVITE -> 407 -> ACK -> INVITE with MD5 credentials); the callee a trunk (10.202.0.2) on the
// core side, so each call crosses interfaces with two Record-Routes and anchored media. Every
// message passes the ladder tap (CallTrace) as on a gateway.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "control/api/call_trace.h"
#include "control/auth/digest.h"
#include "control/media/media_manager.h"
#include "control/proxy/proxy.h"
#include "parser/scanner_hand.h"
#include "tests/support/counting_clock.h"
#include "tests/support/lab_config.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace sipedge::control::bench {

// A cheap timestamp for splitting a call's time between sipedge and the harness: the TSC where
// there is one (a few ns), else the steady clock. Only ratios of these are used.
inline uint64_t ticks() noexcept {
#if defined(__x86_64__)
  return __rdtsc();
#else
  return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

inline const Endpoint kAlice{IpAddr::v4(10, 201, 0, 2), 5060};
inline const Endpoint kTrunk{IpAddr::v4(10, 202, 0, 2), 5060};

inline const std::string kRealm = "sipedge.test";
inline const std::string kHa1 = digest_ha1(DigestAlgorithm::Md5, "1006", kRealm, "pw1006");

// 20 000 relay port pairs on each of 61 media addresses per interface: room for 1M open calls.
// `mode`: proxy or b2bua. `digest`: the caller is not trusted and authenticates as 1006 (MD5).
inline ControlConfig bench_config(bool digest, SignallingMode mode) {
  ControlConfig c = sipedge::testing::lab_config(59999, {kTrunk});
  c.default_mode = mode;
  if (digest) {
    c.auth.algorithms = {DigestAlgorithm::Md5};
    c.users.push_back(UserConfig{"1006", UserCredentials{kHa1, digest_ha1(DigestAlgorithm::Sha256, "1006", kRealm, "pw1006")},
                                 ForwardingConfig{}, {}});
  } else {
    c.trusted = {*IpPrefix::parse("10.201.0.0/24")};
  }
  for (InterfaceConfig& i : c.interfaces) {
    const auto net = i.sip_address.bytes;
    for (uint8_t host = 10; host < 70; ++host)
      i.extra_media_addresses.push_back(IpAddr::v4(net[0], net[1], net[2], host));
  }
  return c;
}

// What reached the UAs, in order; cleared per call (the strings keep their capacity).
struct SentMessages {
  std::vector<std::string> sent;
  size_t used = 0;
  void keep(std::string_view bytes) {
    if (used == sent.size()) sent.emplace_back();
    sent[used++].assign(bytes);
  }
  void clear() { used = 0; }
  // The last message whose first line starts with `start`.
  const std::string* last(std::string_view start) const {
    for (size_t i = used; i-- > 0;)
      if (std::string_view(sent[i]).starts_with(start)) return &sent[i];
    return nullptr;
  }
};

// The way between the Proxy and the UAs: the transport the Proxy sends through, what the control
// loop does after each message (timed as sipedge's work) and how the UAs read what sipedge sent
// (not timed: SIPp's work on a gateway).
class Wire {
 public:
  virtual ~Wire() = default;
  virtual SipTransport& transport() = 0;
  // After each message the Proxy handled, timed.
  virtual void settle() {}
  // Then, not timed: what reached the UAs into `sent`.
  virtual void collect() {}
  // With the Proxy's timers (every 64 calls), timed.
  virtual void housekeeping() {}
  SentMessages sent;
};

struct CountingRelay final : FlowBackend {
  Handle next = 1;
  size_t live = 0;
  Result<Handle, MediaError> install(const End&, const End&) override {
    ++live;
    return next++;
  }
  Result<std::monostate, MediaError> update(Handle, const End&, const End&) override { return std::monostate{}; }
  void remove(Handle) override { --live; }
  Counters counters(Handle) const override { return {}; }
  size_t size() const override { return live; }
};

// A message's header lines (CRLF excluded), split once: the harness reads several headers of each
// message sipedge sent, and scanning the whole message for each would be counted as sipedge's cost.
class HeaderLines {
 public:
  explicit HeaderLines(std::string_view msg) {
    size_t at = 0;
    while (at < msg.size()) {
      const size_t end = msg.find("\r\n", at);
      if (end == std::string_view::npos || end == at) break;
      lines_.push_back(msg.substr(at, end - at));
      at = end + 2;
    }
  }
  // Every line that starts with `name` (e.g. "Via: "), in order, CRLF included, appended to `out`.
  void append_lines(std::string& out, std::string_view name) const {
    for (std::string_view line : lines_) {
      if (line.starts_with(name)) out.append(line).append("\r\n");
    }
  }
  // The value of the first line starting with `name`; empty when there is none.
  std::string_view value(std::string_view name) const {
    for (std::string_view line : lines_) {
      if (line.starts_with(name)) return line.substr(name.size());
    }
    return {};
  }
  // The Record-Route values as the UAC's Route header value: in reverse order (RFC 3261 §12.1.2).
  std::string route_set() const {
    std::string out;
    for (auto it = lines_.rbegin(); it != lines_.rend(); ++it) {
      if (!it->starts_with(kRecordRoute)) continue;
      if (!out.empty()) out.append(", ");
      out.append(it->substr(kRecordRoute.size()));
    }
    return out;
  }

 private:
  static constexpr std::string_view kRecordRoute = "Record-Route: ";
  std::vector<std::string_view> lines_;
};

inline const std::string kOffer =
    "v=0\r\no=alice 1 1 IN IP4 10.201.0.2\r\ns=-\r\nc=IN IP4 10.201.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
inline const std::string kAnswer =
    "v=0\r\no=trunk 2 2 IN IP4 10.202.0.2\r\ns=-\r\nc=IN IP4 10.202.0.2\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 101\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

// One call's messages from the two UAs, made from what sipedge sent them.
struct CallScript {
  explicit CallScript(uint64_t n) : id(std::to_string(n)) {}
  std::string id;

  std::string ruri() const { return "sip:+4930" + id + "@sipedge.test"; }
  // Alice's INVITE: CSeq `cseq`, its branch ending in `branch`, with credentials when given.
  std::string invite(int cseq = 1, char branch = 'i', const std::string& credentials = "") const {
    return "INVITE " + ruri() + " SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bK" + branch + id +
           ";rport\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:1006@sipedge.test>;tag=a" + id +
           "\r\nTo: <" + ruri() + ">\r\nCall-ID: bench-" + id + "\r\nCSeq: " + std::to_string(cseq) +
           " INVITE\r\nContact: <sip:1006@10.201.0.2:5060>\r\nUser-Agent: bench\r\n" +
           (credentials.empty() ? "" : "Proxy-Authorization: " + credentials + "\r\n") +
           "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\nContent-Type: application/sdp\r\nContent-Length: " +
           std::to_string(kOffer.size()) + "\r\n\r\n" + kOffer;
  }
  // Alice's ACK to the 407 (same branch and CSeq number as the challenged INVITE, RFC 3261 §17.1.1.3).
  std::string ack_challenge(std::string_view challenge) const {
    const HeaderLines answer(challenge);
    return "ACK " + ruri() + " SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKi" + id +
           ";rport\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:1006@sipedge.test>;tag=a" + id +
           "\r\nTo: " + std::string(answer.value("To: ")) + "\r\nCall-ID: bench-" + id +
           "\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
  }
  // What 1006 answers the 407's challenge with (MD5, qop=auth, nc 1), as a UA computes it.
  std::string credentials(std::string_view challenge) const {
    const std::string_view header = HeaderLines(challenge).value("Proxy-Authenticate: ");
    const size_t at = header.find("nonce=\"") + 7;
    const std::string nonce(header.substr(at, header.find('"', at) - at));
    const std::string response = digest_response(DigestAlgorithm::Md5, kHa1, nonce, "00000001", "c" + id, "auth", "INVITE", ruri());
    return "Digest username=\"1006\",realm=\"" + kRealm + "\",nonce=\"" + nonce + "\",uri=\"" + ruri() +
           "\",response=\"" + response + "\",algorithm=MD5,cnonce=\"c" + id + "\",qop=auth,nc=00000001";
  }
  // The trunk's response to the request it received.
  std::string response(std::string_view request, std::string_view status, bool tag, const std::string& body) const {
    const HeaderLines req(request);
    std::string out;
    out.reserve(request.size() + body.size() + 128);
    out.append("SIP/2.0 ").append(status).append("\r\n");
    req.append_lines(out, "Via: ");
    req.append_lines(out, "Record-Route: ");
    out.append("From: ").append(req.value("From: ")).append("\r\nTo: ").append(req.value("To: "));
    if (tag) out.append(";tag=t").append(id);
    out.append("\r\nCall-ID: ").append(req.value("Call-ID: ")).append("\r\nCSeq: ").append(req.value("CSeq: "));
    out.append("\r\nContact: <sip:trunk@10.202.0.2:5060>\r\n");
    if (!body.empty()) out.append("Content-Type: application/sdp\r\n");
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n").append(body);
    return out;
  }
  // Alice's ACK or BYE, to the 200's Contact along the route set the 200 gave her (none in b2bua mode).
  std::string in_dialog(std::string_view method, int cseq, std::string_view ok) const {
    const HeaderLines answer(ok);
    const std::string_view contact = answer.value("Contact: ");
    const std::string routes = answer.route_set();
    std::string out;
    out.reserve(512);
    out.append(method).append(" ").append(contact.substr(1, contact.find('>') - 1));
    out.append(" SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bK").append(method).append(id);
    out.append(";rport\r\nMax-Forwards: 70");
    if (!routes.empty()) out.append("\r\nRoute: ").append(routes);
    out.append("\r\nFrom: \"Alice\" <sip:1006@sipedge.test>;tag=a").append(id).append("\r\nTo: ").append(answer.value("To: "));
    out.append("\r\nCall-ID: bench-").append(id).append("\r\nCSeq: ").append(std::to_string(cseq)).append(" ").append(method);
    out.append("\r\nContent-Length: 0\r\n\r\n");
    return out;
  }
};

constexpr uint64_t kMsPerCall = 1;

// The Proxy and what it needs, driving whole calls. `wire` and `relay` must outlive it.
class CallHarness {
 public:
  // `slice`: the relay ports this harness's calls take, as a control shard's (several harnesses on
  // one flow table, one per thread).
  CallHarness(Wire& wire, FlowBackend& relay, ControlConfig cfg, bool with_digest, MediaPortSlice slice = {})
      : digest(with_digest),
        config(std::move(cfg)),
        media(config, relay, slice),
        proxy(config, wire.transport(), media, now, scanner),
        wire_(wire) {
    wire.transport().set_tap(&trace);
  }
  CallHarness(const CallHarness&) = delete;
  CallHarness& operator=(const CallHarness&) = delete;

  bool digest;
  ControlConfig config;
  // Simulated time (1 ms a call), its reads counted: a gateway reads the system clock instead, at
  // tens of ns a read, which the call's time here leaves out. sipedge reads it through a
  // CachedClock refreshed per message, as the control loop does.
  test::CountingClock clock;
  CachedClock now{clock};
  MediaManager media;
  parser::HandScanner scanner;
  Proxy proxy;
  parser::Message msg;
  // The ladder (`sipedgectl ladder`), on as a gateway runs it (trace_calls = 1000): every message
  // received and sent passes it.
  CallTrace trace{1000, config.interfaces, now};
  uint64_t calls = 0;
  uint64_t broken = 0;
  // Ticks spent inside sipedge (the scan, the proxy, what the wire times), against those of the
  // whole loop: the harness writes the UAs' messages and reads sipedge's, work SIPp does in the
  // e2e figures.
  uint64_t sipedge_ticks = 0;
  // Of those, the scan's: on a gateway with worker lcores a worker scans, and the control lcore
  // gets the message indexed (DESIGN §2).
  uint64_t scan_ticks = 0;

  void deliver(const std::string& bytes, const Endpoint& from, uint16_t iface) {
    const uint64_t start = ticks();
    if (scanner.scan(bytes, parser::Framing::Datagram, msg).status != parser::ScanStatus::Complete) {
      ++broken;
      return;
    }
    scan_ticks += ticks() - start;
    now.refresh();
    const Inbound in{msg, from, {}, iface};
    trace.received(in);
    proxy.on_message(in);
    wire_.settle();
    sipedge_ticks += ticks() - start;
    wire_.collect();
  }

  // A call answered and acknowledged: the 200 as Alice got it, or empty when sipedge did not pass
  // a message on.
  std::string open(const CallScript& c) {
    SentMessages& wire = wire_.sent;
    wire.clear();
    deliver(c.invite(), kAlice, 0);
    if (digest) {
      const std::string* challenge = wire.last("SIP/2.0 407 ");
      if (challenge == nullptr) return {};
      const std::string at_alice = *challenge;
      deliver(c.ack_challenge(at_alice), kAlice, 0);
      deliver(c.invite(2, 'j', c.credentials(at_alice)), kAlice, 0);
    }
    const std::string* fwd = wire.last("INVITE ");
    if (fwd == nullptr) return {};
    const std::string invite = *fwd;
    deliver(c.response(invite, "180 Ringing", true, ""), kTrunk, 1);
    deliver(c.response(invite, "200 OK", true, kAnswer), kTrunk, 1);
    const std::string* ok = wire.last("SIP/2.0 200 ");
    if (ok == nullptr) return {};
    const std::string ok_at_alice = *ok;
    deliver(c.in_dialog("ACK", digest ? 2 : 1, ok_at_alice), kAlice, 0);
    return ok_at_alice;
  }

  // The Proxy's timers at the simulated time, as the control loop runs them.
  void tick() {
    now.refresh();
    proxy.on_tick();
  }

  // One whole call; false when sipedge did not pass a message on.
  bool call() {
    const SentMessages& wire = wire_.sent;
    const CallScript c(calls++);
    const std::string ok_at_alice = open(c);
    if (ok_at_alice.empty()) return false;
    deliver(c.in_dialog("BYE", digest ? 3 : 2, ok_at_alice), kAlice, 0);
    const std::string* bye = wire.last("BYE ");
    if (bye == nullptr) return false;
    deliver(c.response(*bye, "200 OK", false, ""), kTrunk, 1);
    // 1 ms of simulated time per call: transactions and contexts expire as they would at 1000 cps.
    clock.advance(kMsPerCall);
    if (calls % 64 == 0) {
      const uint64_t start = ticks();
      tick();
      wire_.housekeeping();
      sipedge_ticks += ticks() - start;
    }
    return wire.last("SIP/2.0 200 OK") != nullptr;
  }

 private:
  Wire& wire_;
};

}  // namespace sipedge::control::bench
