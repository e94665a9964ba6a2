// tests/control/proxy_fixture.h — test thread. The proxy tests' fixture: a Proxy over the shared test
// config (tests/control/proxy_test_util.h), a recording wire, a fake relay and a hand-moved clock,
// with the UAs' side of the common exchanges (register with digest, INVITE through the 407, the
// callee's responses) and the check that nothing is left behind.
#pragma once

#include <cstdio>
#include <string>

#include "control/proxy/proxy.h"
#include "tests/control/proxy_test_util.h"

namespace sipedge::control::testing {

inline const std::string kOffer =
    "v=0\r\no=- 8 2 IN IP4 10.201.0.2\r\ns=-\r\nc=IN IP4 10.201.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";
inline const std::string kAnswer =
    "v=0\r\no=- 9 1 IN IP4 10.201.0.3\r\ns=-\r\nc=IN IP4 10.201.0.3\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

class ProxyTest : public ::testing::Test {
 protected:
  ControlConfig config = test_config();
  RecordingTransport wire;
  FakeRelay relay;
  ManualClock clock;
  MediaManager media{config, relay};
  RouteToken token{"test-secret"};
  parser::HandScanner scanner;
  Proxy proxy{config, wire, media, clock, scanner, token};
  std::vector<std::string> cdrs;
  uint32_t nc = 1;

  void SetUp() override {
    proxy.set_cdr_sink([&](const std::string& l) { cdrs.push_back(l); });
  }

  void deliver(const std::string& bytes, const Endpoint& from, uint16_t iface = 0) {
    parser::Message m;
    const auto r = parser::HandScanner().scan(bytes, parser::Framing::Datagram, m);
    ASSERT_EQ(r.status, parser::ScanStatus::Complete) << bytes;
    proxy.on_message(Inbound{m, from, {}, iface});
  }

  // As the gateway hands over what the dataplane scanned: complete messages to on_message, refused
  // ones (with the scanner's partial index) to on_malformed.
  void deliver_scanned(const std::string& bytes, const Endpoint& from, uint16_t iface = 0) {
    parser::Message m;
    const auto r = parser::HandScanner().scan(bytes, parser::Framing::Datagram, m);
    const Inbound in{m, from, {}, iface};
    if (r.status == parser::ScanStatus::Complete)
      proxy.on_message(in);
    else
      proxy.on_malformed(in, r.fault);
  }

  void advance(uint64_t ms) {
    for (uint64_t t = 0; t < ms; t += 100) {
      clock.advance(100);
      proxy.on_tick();
    }
  }

  std::string credentials(const std::string& header_value_challenge, const std::string& user, const std::string& method,
                          const std::string& uri) {
    return digest_credentials(header_value_challenge, user, method, uri, nc++);
  }

  std::string register_request(const std::string& user, const Endpoint& ua, int cseq, const std::string& auth,
                                const std::string& contact_host = "") {
    const std::string host = contact_host.empty() ? ua.to_string() : contact_host;
    return "REGISTER sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP " + host + ";branch=z9hG4bKreg" + user +
           std::to_string(cseq) + ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:" + user + "@sipedge.test>;tag=r" + user +
           "\r\nTo: <sip:" + user + "@sipedge.test>\r\nCall-ID: reg-" + user + "\r\nCSeq: " + std::to_string(cseq) +
           " REGISTER\r\nContact: <sip:" + user + "@" + host + ">\r\nExpires: 3600\r\n" +
           (auth.empty() ? "" : "Authorization: " + auth + "\r\n") + "Content-Length: 0\r\n\r\n";
  }

  void register_user(const std::string& user, const Endpoint& ua, const std::string& contact_host = "") {
    deliver(register_request(user, ua, 1, "", contact_host), ua);
    const Sent challenge = wire.pop();
    ASSERT_EQ(first_line(challenge.bytes), "SIP/2.0 401 Unauthorized");
    const std::string www = header(challenge.bytes, parser::HeaderId::WwwAuthenticate);
    deliver(register_request(user, ua, 2, credentials(www, user, "REGISTER", "sip:sipedge.test"), contact_host), ua);
    const Sent ok = wire.pop();
    ASSERT_EQ(first_line(ok.bytes), "SIP/2.0 200 OK");
  }

  std::string invite(const std::string& auth, int cseq = 1, const std::string& branch = "z9hG4bKinv1",
                     const std::string& to_user = "1012", const std::string& body = kOffer) {
    return "INVITE sip:" + to_user + "@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=" + branch +
           ";rport\r\nMax-Forwards: 70\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\nTo: <sip:" + to_user +
           "@sipedge.test>\r\nCall-ID: call-1\r\nCSeq: " + std::to_string(cseq) +
           " INVITE\r\nContact: <sip:1006@10.201.0.2:5060>\r\n" +
           (auth.empty() ? "" : "Proxy-Authorization: " + auth + "\r\n") +
           "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  // Alice INVITEs Bob through the 407 challenge (stateless: no 100 before it); returns the INVITE that reached Bob (or what
  // Alice got when sipedge refused it).
  Sent place_call(const std::string& body = kOffer) {
    register_user("1006", kAlice);
    register_user("1012", kBob);
    deliver(invite("", 1, "z9hG4bKinv1", "1012", body), kAlice);
    const Sent challenge = wire.pop();
    EXPECT_EQ(first_line(challenge.bytes), "SIP/2.0 407 Proxy Authentication Required");
    const std::string to_tag = parser::HandScanner{}.scan(challenge.bytes, parser::Framing::Datagram, scratch_).status ==
                                       parser::ScanStatus::Complete
                                   ? std::string(scratch_.value(parser::HeaderId::To))
                                   : "";
    deliver("ACK sip:1012@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKinv1;rport\r\n"
            "Max-Forwards: 70\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\nTo: " + to_tag +
                "\r\nCall-ID: call-1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
            kAlice);
    EXPECT_TRUE(wire.sent.empty()) << "the ACK for 407 is absorbed";
    EXPECT_EQ(proxy.counters().stateless_acks, 1u) << "as the ACK to a stateless answer";
    const std::string pa = header(challenge.bytes, parser::HeaderId::ProxyAuthenticate);
    deliver(invite(credentials(pa, "1006", "INVITE", "sip:1012@sipedge.test"), 2, "z9hG4bKinv2", "1012", body), kAlice);
    EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 100 Trying");
    return wire.pop();
  }

  // Alice (registered, authenticated) INVITEs `to_user` with `extra_headers`; returns what sipedge
  // sent on (or answered).
  Sent dial(const std::string& to_user, const std::string& extra_headers = "") {
    register_user("1006", kAlice);
    std::string first = invite("", 1, "z9hG4bKinv1", to_user);
    deliver(first, kAlice);
    const Sent challenge = wire.pop();
    const std::string pa = header(challenge.bytes, parser::HeaderId::ProxyAuthenticate);
    deliver("ACK sip:" + to_user + "@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKinv1;rport\r\n"
            "Max-Forwards: 70\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\nTo: " +
                header(challenge.bytes, parser::HeaderId::To) + "\r\nCall-ID: call-1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
            kAlice);
    std::string second =
        invite(credentials(pa, "1006", "INVITE", "sip:" + to_user + "@sipedge.test"), 2, "z9hG4bKinv2", to_user);
    if (!extra_headers.empty()) second.insert(second.find("Content-Type:"), extra_headers);
    deliver(second, kAlice);
    EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 100 Trying");
    return wire.pop();
  }
  std::string response_from_bob(const std::string& forwarded, int status, const std::string& reason,
                                 const std::string& body = "") {
    return response_to(forwarded, status, reason, "b1", "sip:1012@10.201.0.3:5060", body);
  }

  // The Record-Route URI sipedge inserts on interface `host` for call `ref` of `call_id`.
  std::string our_rr(const std::string& host, CallRef ref = 1, const std::string& call_id = "call-1") const {
    return "<sip:" + host + ":5060;lr;sek=" + token.make(call_id, ref) + ">";
  }
  const Call* call_of(const std::string& call_id) const {
    auto calls = proxy.calls().find_by_call_id(call_id);
    return calls.empty() ? nullptr : calls.front();
  }

  void expect_no_state() {
    advance(40'000);
    EXPECT_EQ(proxy.transactions().size(), 0u);
    EXPECT_EQ(proxy.context_count(), 0u);
    EXPECT_EQ(proxy.calls().size(), 0u);
    EXPECT_EQ(relay.size(), 0u);
    EXPECT_EQ(media.session_count(), 0u);
  }

  parser::Message scratch_;
};

}  // namespace sipedge::control::testing
