// Pins control/proxy: the call flows of the seed articles through the proxy core, message by
// message, with exact headers where the RFC fixes them and no state left afterwards.
#include "control/proxy/proxy.h"

#include "tests/control/proxy_test_util.h"

namespace sipedge::control {
namespace {

using namespace sipedge::control::testing;

const std::string kOffer =
    "v=0\r\no=- 8 2 IN IP4 10.201.0.2\r\ns=-\r\nc=IN IP4 10.201.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";
const std::string kAnswer =
    "v=0\r\no=- 9 1 IN IP4 10.201.0.3\r\ns=-\r\nc=IN IP4 10.201.0.3\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

class ProxyTest : public ::testing::Test {
 protected:
  ControlConfig config = test_config();
  RecordingTransport wire;
  FakeRelay relay;
  ManualClock clock;
  MediaManager media{config, relay};
  Proxy proxy{config, wire, media, clock};
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

  void advance(uint64_t ms) {
    for (uint64_t t = 0; t < ms; t += 100) {
      clock.advance(100);
      proxy.on_tick();
    }
  }

  std::string credentials(const std::string& header_value_challenge, const std::string& user, const std::string& method,
                          const std::string& uri) {
    const size_t at = header_value_challenge.find("nonce=\"") + 7;
    const std::string nonce = header_value_challenge.substr(at, header_value_challenge.find('"', at) - at);
    char ncbuf[16];
    std::snprintf(ncbuf, sizeof ncbuf, "%08x", nc++);
    const std::string ha1 = digest_ha1(DigestAlgorithm::Md5, user, "sipedge.test", "pw" + user);
    const std::string resp = digest_response(DigestAlgorithm::Md5, ha1, nonce, ncbuf, "abc", "auth", method, uri);
    return "Digest username=\"" + user + "\",realm=\"sipedge.test\",nonce=\"" + nonce + "\",uri=\"" + uri +
           "\",response=\"" + resp + "\",algorithm=MD5,cnonce=\"abc\",qop=auth,nc=" + ncbuf;
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
                     const std::string& to_user = "1012") {
    return "INVITE sip:" + to_user + "@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=" + branch +
           ";rport\r\nMax-Forwards: 70\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\nTo: <sip:" + to_user +
           "@sipedge.test>\r\nCall-ID: call-1\r\nCSeq: " + std::to_string(cseq) +
           " INVITE\r\nContact: <sip:1006@10.201.0.2:5060>\r\n" +
           (auth.empty() ? "" : "Proxy-Authorization: " + auth + "\r\n") +
           "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(kOffer.size()) + "\r\n\r\n" + kOffer;
  }

  // Alice INVITEs Bob through the 407 challenge; returns the INVITE that reached Bob.
  Sent place_call() {
    register_user("1006", kAlice);
    register_user("1012", kBob);
    deliver(invite(""), kAlice);
    EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 100 Trying");
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
    const std::string pa = header(challenge.bytes, parser::HeaderId::ProxyAuthenticate);
    deliver(invite(credentials(pa, "1006", "INVITE", "sip:1012@sipedge.test"), 2, "z9hG4bKinv2"), kAlice);
    EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 100 Trying");
    return wire.pop();
  }

  std::string response_from_bob(const std::string& forwarded, int status, const std::string& reason,
                                 const std::string& body = "") {
    parser::Message m;
    EXPECT_EQ(parser::HandScanner().scan(forwarded, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
    std::string vias;
    for (const parser::HeaderField* h = m.find(parser::HeaderId::Via); h; h = m.next_same(h))
      vias += "Via: " + std::string(m.text(h->value)) + "\r\n";
    std::string rr;
    for (const parser::HeaderField* h = m.find(parser::HeaderId::RecordRoute); h; h = m.next_same(h))
      rr += "Record-Route: " + std::string(m.text(h->value)) + "\r\n";
    return "SIP/2.0 " + std::to_string(status) + " " + reason + "\r\n" + vias + rr + "From: " +
           std::string(m.value(parser::HeaderId::From)) + "\r\nTo: " + std::string(m.value(parser::HeaderId::To)) +
           (status > 100 ? ";tag=b1" : "") + "\r\nCall-ID: " + std::string(m.value(parser::HeaderId::CallId)) +
           "\r\nCSeq: " + std::string(m.value(parser::HeaderId::CSeq)) +
           "\r\nContact: <sip:1012@10.201.0.3:5060>\r\n" +
           (body.empty() ? "" : "Content-Type: application/sdp\r\n") + "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
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

TEST_F(ProxyTest, RegisterIsChallengedThenStoresTheBinding) {
  register_user("1006", kAlice);
  EXPECT_EQ(proxy.location().size(), 1u);
  EXPECT_FALSE(proxy.location().lookup("1006@sipedge.test").front()->behind_nat);
  expect_no_state();
}

TEST_F(ProxyTest, BasicCallIsForwardedWithViaRecordRouteAndAnchoredMedia) {
  const Sent fwd = place_call();
  EXPECT_EQ(fwd.iface, 0);
  EXPECT_EQ(fwd.dest, kBob);
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(fwd.bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  EXPECT_EQ(m.request_uri(), "sip:1012@10.201.0.3:5060");
  const parser::HeaderField* via = m.find(parser::HeaderId::Via);
  EXPECT_TRUE(m.text(via->value).starts_with("SIP/2.0/UDP 10.201.0.1:5060;branch=z9hG4bK"));
  EXPECT_EQ(m.text(m.next_same(via)->value),
            "SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKinv2;received=10.201.0.2;rport=5060");
  EXPECT_EQ(m.value(parser::HeaderId::RecordRoute), "<sip:10.201.0.1:5060;lr>");
  EXPECT_EQ(m.count(parser::HeaderId::RecordRoute), 1u) << "same interface in and out: one entry";
  EXPECT_EQ(m.value(parser::HeaderId::MaxForwards), "69");
  EXPECT_EQ(m.find(parser::HeaderId::ProxyAuthorization), nullptr) << "our realm's credentials stop here";
  const std::string sdp(m.body());
  EXPECT_NE(sdp.find("c=IN IP4 10.201.0.1\r\n"), std::string::npos) << sdp;
  EXPECT_EQ(sdp.find("10.201.0.2"), std::string::npos) << "the callee sees only sipedge: " << sdp;

  deliver(response_from_bob(fwd.bytes, 180, "Ringing"), kBob);
  const Sent ringing = wire.pop();
  EXPECT_EQ(first_line(ringing.bytes), "SIP/2.0 180 Ringing");
  EXPECT_EQ(ringing.dest, kAlice);
  EXPECT_EQ(header(ringing.bytes, parser::HeaderId::Via),
            "SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKinv2;received=10.201.0.2;rport=5060");
  EXPECT_EQ(proxy.calls().find("call-1")->state, CallState::Early);

  deliver(response_from_bob(fwd.bytes, 200, "OK", kAnswer), kBob);
  const Sent ok = wire.pop();
  EXPECT_EQ(first_line(ok.bytes), "SIP/2.0 200 OK");
  const std::string answer = body_of(ok.bytes);
  EXPECT_NE(answer.find("c=IN IP4 10.201.0.1\r\n"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("10.201.0.3"), std::string::npos) << "the caller sees only sipedge: " << answer;
  EXPECT_EQ(relay.size(), 2u) << "the RTP flow and the RTCP flow on port+1";
  EXPECT_EQ(proxy.calls().find("call-1")->state, CallState::Confirmed);

  // End-to-end ACK and BYE follow the Record-Route.
  deliver("ACK sip:1012@10.201.0.3:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKack2;rport\r\n"
          "Route: <sip:10.201.0.1:5060;lr>\r\nMax-Forwards: 70\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\n"
          "To: <sip:1012@sipedge.test>;tag=b1\r\nCall-ID: call-1\r\nCSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n",
          kAlice);
  const Sent ack = wire.pop();
  EXPECT_EQ(first_line(ack.bytes), "ACK sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(ack.dest, kBob);
  EXPECT_EQ(header(ack.bytes, parser::HeaderId::Route), "") << "our Route entry is consumed";

  deliver("BYE sip:1006@10.201.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.3:5060;branch=z9hG4bKbye1;rport\r\n"
          "Route: <sip:10.201.0.1:5060;lr>\r\nMax-Forwards: 70\r\nFrom: <sip:1012@sipedge.test>;tag=b1\r\n"
          "To: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\nCall-ID: call-1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
          kBob);
  const Sent bye = wire.pop();
  EXPECT_EQ(first_line(bye.bytes), "BYE sip:1006@10.201.0.2:5060 SIP/2.0");
  EXPECT_EQ(bye.dest, kAlice);
  deliver("SIP/2.0 200 OK\r\nVia: " + header(bye.bytes, parser::HeaderId::Via) +
              "\r\nVia: SIP/2.0/UDP 10.201.0.3:5060;branch=z9hG4bKbye1;received=10.201.0.3;rport=5060\r\n"
              "From: <sip:1012@sipedge.test>;tag=b1\r\nTo: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\n"
              "Call-ID: call-1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
          kAlice);
  const Sent bye_ok = wire.pop();
  EXPECT_EQ(first_line(bye_ok.bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(bye_ok.dest, kBob);
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_NE(cdrs[0].find("\"end_reason\":\"bye from callee\""), std::string::npos) << cdrs[0];
  EXPECT_NE(cdrs[0].find("\"packets_caller_to_callee\":100"), std::string::npos) << cdrs[0];
  expect_no_state();
}

TEST_F(ProxyTest, BusyCalleeIsAckedHopByHopAndTheCallerGets486) {
  const Sent fwd = place_call();
  deliver(response_from_bob(fwd.bytes, 486, "Busy Here"), kBob);
  const Sent ack = wire.pop();
  EXPECT_EQ(first_line(ack.bytes), "ACK sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(ack.dest, kBob);
  const Sent busy = wire.pop();
  EXPECT_EQ(first_line(busy.bytes), "SIP/2.0 486 Busy Here");
  EXPECT_EQ(busy.dest, kAlice);
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_NE(cdrs[0].find("\"end_reason\":\"rejected 486\""), std::string::npos) << cdrs[0];
  expect_no_state();
}

TEST_F(ProxyTest, CallerCancelIsAnsweredAndForwardedAnd487ComesBack) {
  const Sent fwd = place_call();
  deliver(response_from_bob(fwd.bytes, 180, "Ringing"), kBob);
  wire.pop();
  deliver("CANCEL sip:1012@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKinv2;rport\r\n"
          "Max-Forwards: 70\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\nTo: <sip:1012@sipedge.test>\r\n"
          "Call-ID: call-1\r\nCSeq: 2 CANCEL\r\nContent-Length: 0\r\n\r\n",
          kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 200 OK");
  const Sent cancel = wire.pop();
  EXPECT_EQ(first_line(cancel.bytes), "CANCEL sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(header(cancel.bytes, parser::HeaderId::Via), header(fwd.bytes, parser::HeaderId::Via))
      << "CANCEL carries the INVITE's branch";
  deliver(response_from_bob(fwd.bytes, 487, "Request Terminated"), kBob);
  EXPECT_EQ(first_line(wire.pop().bytes), "ACK sip:1012@10.201.0.3:5060 SIP/2.0");
  const Sent terminated = wire.pop();
  EXPECT_EQ(first_line(terminated.bytes), "SIP/2.0 487 Request Terminated");
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_NE(cdrs[0].find("\"end_reason\":\"cancelled\""), std::string::npos) << cdrs[0];
  expect_no_state();
}

TEST_F(ProxyTest, UnansweredInviteTimesOutWith408) {
  place_call();
  advance(32'000);  // Timer B
  Sent last;
  while (!wire.sent.empty()) last = wire.pop();  // INVITE retransmissions, then the 408
  EXPECT_EQ(first_line(last.bytes), "SIP/2.0 408 Request Timeout");
  EXPECT_EQ(last.dest, kAlice);
  expect_no_state();
}

TEST_F(ProxyTest, WrongCredentialsAreChallengedAgain) {
  register_user("1006", kAlice);
  register_user("1012", kBob);
  deliver(invite("Digest username=\"1006\",realm=\"sipedge.test\",nonce=\"00\",uri=\"sip:1012@sipedge.test\","
                 "response=\"00\",algorithm=MD5"),
          kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 100 Trying");
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 407 Proxy Authentication Required");
  EXPECT_EQ(proxy.counters().auth_failures, 1u);
}

TEST_F(ProxyTest, UnregisteredUserGets480AndUnknownUser404) {
  register_user("1006", kAlice);
  deliver(invite(""), kAlice);
  wire.pop();
  const std::string pa = header(wire.pop().bytes, parser::HeaderId::ProxyAuthenticate);
  deliver(invite(credentials(pa, "1006", "INVITE", "sip:1012@sipedge.test"), 2, "z9hG4bKx2"), kAlice);
  wire.pop();
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 480 Temporarily Unavailable");
  deliver(invite(credentials(pa, "1006", "INVITE", "sip:7777@sipedge.test"), 3, "z9hG4bKx3", "7777"), kAlice);
  wire.pop();
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 404 Not Found");
}

TEST_F(ProxyTest, TrunkRouteCrossesInterfacesWithTwoRecordRoutesAndFailsOver) {
  register_user("1006", kAlice);
  deliver(invite("", 1, "z9hG4bKt1", "+8613800000000"), kAlice);
  wire.pop();
  const std::string pa = header(wire.pop().bytes, parser::HeaderId::ProxyAuthenticate);
  deliver(invite(credentials(pa, "1006", "INVITE", "sip:+8613800000000@sipedge.test"), 2, "z9hG4bKt2",
                 "+8613800000000"),
          kAlice);
  wire.pop();
  const Sent first = wire.pop();
  EXPECT_EQ(first.iface, 1);
  EXPECT_EQ(first.dest, kTrunk);
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(first.bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  const parser::HeaderField* rr = m.find(parser::HeaderId::RecordRoute);
  ASSERT_NE(rr, nullptr);
  EXPECT_EQ(m.text(rr->value), "<sip:10.202.0.1:5060;lr>") << "the top entry faces the callee";
  EXPECT_EQ(m.text(m.next_same(rr)->value), "<sip:10.201.0.1:5060;lr>");
  EXPECT_TRUE(header(first.bytes, parser::HeaderId::Via).starts_with("SIP/2.0/UDP 10.202.0.1:5060;"));
  EXPECT_NE(std::string(m.body()).find("c=IN IP4 10.202.0.1"), std::string::npos) << "core-side media address";
  // The first trunk fails; the second one is tried (serial failover).
  deliver(response_from_bob(first.bytes, 503, "Service Unavailable"), kTrunk, 1);
  EXPECT_EQ(first_line(wire.pop().bytes).substr(0, 4), "ACK ");
  const Sent second = wire.pop();
  EXPECT_EQ(second.dest, (Endpoint{IpAddr::v4(10, 202, 0, 3), 5060}));
  EXPECT_EQ(first_line(second.bytes), "INVITE sip:+8613800000000@sipedge.test SIP/2.0");
}

TEST_F(ProxyTest, NatedUaRegistersAndIsReachedAtItsPublicAddress) {
  const Endpoint nat{IpAddr::v4(10, 201, 0, 9), 40123};  // its packets come from here
  register_user("1012", nat, "192.168.1.50:5060");        // its Contact names a private address
  const Binding* b = proxy.location().lookup("1012@sipedge.test").front();
  EXPECT_TRUE(b->behind_nat);
  EXPECT_EQ(b->received, nat);
  register_user("1006", kAlice);
  deliver(invite(""), kAlice);
  wire.pop();
  const std::string pa = header(wire.pop().bytes, parser::HeaderId::ProxyAuthenticate);
  deliver(invite(credentials(pa, "1006", "INVITE", "sip:1012@sipedge.test"), 2, "z9hG4bKn2"), kAlice);
  wire.pop();
  const Sent fwd = wire.pop();
  EXPECT_EQ(fwd.dest, nat) << "sent where the REGISTER came from";
  EXPECT_EQ(first_line(fwd.bytes), "INVITE sip:1012@192.168.1.50:5060 SIP/2.0");
  // Its 200 names the private Contact: the caller gets the public one.
  std::string ok = response_from_bob(fwd.bytes, 200, "OK", kAnswer);
  ok.replace(ok.find("<sip:1012@10.201.0.3:5060>"), 26, "<sip:1012@192.168.1.50:5060>");
  deliver(ok, nat);
  const Sent up = wire.pop();
  EXPECT_EQ(header(up.bytes, parser::HeaderId::Contact), "<sip:1012@10.201.0.9:40123>");
}

TEST_F(ProxyTest, MalformedRequestsGetPreciseFaultsAndLoopsAndHops) {
  deliver("OPTIONS sip:x@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKm1\r\n"
          "From: <sip:a@b>;tag=1\r\nTo: <sip:x@sipedge.test>\r\nCall-ID: m1\r\nCSeq: 1 INVITE\r\n\r\n",
          kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 400 CSeq method does not match Request-Line method");
  deliver("OPTIONS sip:x@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKm2\r\n"
          "From: <sip:a@b>;tag=1\r\nTo: <sip:x@sipedge.test>\r\nCall-ID: m2\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 0\r\n\r\n",
          kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 483 Too Many Hops");
  deliver("OPTIONS sip:x@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKm3\r\n"
          "Via: SIP/2.0/UDP 10.201.0.1:5060;branch=z9hG4bKours\r\n"
          "From: <sip:a@b>;tag=1\r\nTo: <sip:x@sipedge.test>\r\nCall-ID: m3\r\nCSeq: 1 OPTIONS\r\n\r\n",
          kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 482 Loop Detected");
  deliver("OPTIONS sip:x@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKm4\r\n"
          "Proxy-Require: foo, bar\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@sipedge.test>\r\nCall-ID: m4\r\n"
          "CSeq: 1 OPTIONS\r\n\r\n",
          kAlice);
  const Sent ext = wire.pop();
  EXPECT_EQ(first_line(ext.bytes), "SIP/2.0 420 Bad Extension");
  EXPECT_EQ(header(ext.bytes, parser::HeaderId::Unsupported), "foo, bar");
  deliver("OPTIONS sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKm5\r\n"
          "From: <sip:a@b>;tag=1\r\nTo: <sip:sipedge.test>\r\nCall-ID: m5\r\nCSeq: 1 OPTIONS\r\n\r\n",
          kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 200 OK");
  proxy.on_malformed("INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2;branch=z9hG4bK9\r\nFrom: <sip:a@b>;tag=1\r\n"
                     "To: <sip:x@y>\r\nCall-ID: z\r\nCSeq: 1 INVITE\r\nContent-Length: 99\r\n\r\nshort",
                     parser::Fault::ContentLengthTooLarge, kAlice, 0);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 400 Content-Length larger than the message body");
}

TEST_F(ProxyTest, LateOfferIn200AndAnswerInAckAreBothAnchored) {
  register_user("1006", kAlice);
  register_user("1012", kBob);
  std::string no_sdp = invite("");
  no_sdp.replace(no_sdp.find("Content-Type: application/sdp\r\n"), 31, "");
  no_sdp.replace(no_sdp.find("Content-Length: "), std::string::npos, "Content-Length: 0\r\n\r\n");
  deliver(no_sdp, kAlice);
  wire.pop();
  const std::string pa = header(wire.pop().bytes, parser::HeaderId::ProxyAuthenticate);
  std::string authed = invite(credentials(pa, "1006", "INVITE", "sip:1012@sipedge.test"), 2, "z9hG4bKlate");
  authed.replace(authed.find("Content-Type: application/sdp\r\n"), 31, "");
  authed.replace(authed.find("Content-Length: "), std::string::npos, "Content-Length: 0\r\n\r\n");
  deliver(authed, kAlice);
  wire.pop();
  const Sent fwd = wire.pop();
  EXPECT_EQ(body_of(fwd.bytes), "");
  deliver(response_from_bob(fwd.bytes, 200, "OK", kAnswer), kBob);  // Bob's offer
  const std::string offer = body_of(wire.pop().bytes);
  EXPECT_NE(offer.find("c=IN IP4 10.201.0.1\r\n"), std::string::npos) << offer;
  EXPECT_EQ(relay.size(), 0u) << "only one side has described the stream";
  std::string ack = "ACK sip:1012@10.201.0.3:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKlack;rport\r\n"
                    "Route: <sip:10.201.0.1:5060;lr>\r\nMax-Forwards: 70\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\n"
                    "To: <sip:1012@sipedge.test>;tag=b1\r\nCall-ID: call-1\r\nCSeq: 2 ACK\r\n"
                    "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(kOffer.size()) + "\r\n\r\n" + kOffer;
  deliver(ack, kAlice);
  const std::string answer = body_of(wire.pop().bytes);
  EXPECT_NE(answer.find("c=IN IP4 10.201.0.1\r\n"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("10.201.0.2"), std::string::npos) << answer;
  EXPECT_EQ(relay.size(), 2u) << "offer in the 200 + answer in the ACK install RTP and RTCP flows";
}

TEST_F(ProxyTest, MediaTimeoutEndsTheCallWithByeBothWays) {
  const Sent fwd = place_call();
  deliver(response_from_bob(fwd.bytes, 200, "OK", kAnswer), kBob);
  wire.pop();
  ASSERT_EQ(relay.size(), 2u);
  proxy.on_media_idle(relay.flows.begin()->first);
  const Sent bye_bob = wire.pop();
  const Sent bye_alice = wire.pop();
  EXPECT_EQ(first_line(bye_bob.bytes), "BYE sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(bye_bob.dest, kBob);
  EXPECT_EQ(header(bye_bob.bytes, parser::HeaderId::From), "\"1006\" <sip:1006@sipedge.test>;tag=a1");
  EXPECT_EQ(header(bye_bob.bytes, parser::HeaderId::To), "<sip:1012@sipedge.test>;tag=b1");
  EXPECT_EQ(header(bye_bob.bytes, parser::HeaderId::CSeq), "3 BYE");
  EXPECT_EQ(first_line(bye_alice.bytes), "BYE sip:1006@10.201.0.2:5060 SIP/2.0");
  EXPECT_EQ(bye_alice.dest, kAlice);
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_NE(cdrs[0].find("\"end_reason\":\"media timeout\""), std::string::npos);
  EXPECT_EQ(relay.size(), 0u);
}

}  // namespace
}  // namespace sipedge::control
