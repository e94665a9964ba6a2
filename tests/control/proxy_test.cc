// Pins control/proxy: the call flows of the seed articles through the proxy core, message by
// message, with exact headers where the RFC fixes them and no state left afterwards.
#include "control/proxy/proxy.h"

#include "tests/control/proxy_fixture.h"

namespace sipedge::control {
namespace {

using namespace sipedge::control::testing;

// Bob hangs up the basic call of place_call() (dialog a1 / b1) along `route`, sipedge's
// Record-Route entry, and Alice's 200 to the BYE sipedge forwarded to her.
std::string bye_from_bob(const std::string& route) {
  return "BYE sip:1006@10.201.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.3:5060;branch=z9hG4bKbye1;rport\r\n"
         "Route: " + route + "\r\nMax-Forwards: 70\r\nFrom: <sip:1012@sipedge.test>;tag=b1\r\n"
         "To: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\nCall-ID: call-1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
}
std::string alices_ok_to(const std::string& forwarded_bye) {
  return "SIP/2.0 200 OK\r\nVia: " + header(forwarded_bye, parser::HeaderId::Via) +
         "\r\nVia: SIP/2.0/UDP 10.201.0.3:5060;branch=z9hG4bKbye1;received=10.201.0.3;rport=5060\r\n"
         "From: <sip:1012@sipedge.test>;tag=b1\r\nTo: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\n"
         "Call-ID: call-1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
}

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
  EXPECT_EQ(m.value(parser::HeaderId::RecordRoute), our_rr("10.201.0.1"));
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
  EXPECT_EQ(call_of("call-1")->state, CallState::Early);

  deliver(response_from_bob(fwd.bytes, 200, "OK", kAnswer), kBob);
  const Sent ok = wire.pop();
  EXPECT_EQ(first_line(ok.bytes), "SIP/2.0 200 OK");
  const std::string answer = body_of(ok.bytes);
  EXPECT_NE(answer.find("c=IN IP4 10.201.0.1\r\n"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("10.201.0.3"), std::string::npos) << "the caller sees only sipedge: " << answer;
  EXPECT_EQ(relay.size(), 2u) << "the RTP flow and the RTCP flow on port+1";
  EXPECT_EQ(call_of("call-1")->state, CallState::Confirmed);

  // End-to-end ACK and BYE follow the Record-Route.
  const std::string alices_ack =
      "ACK sip:1012@10.201.0.3:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKack2;rport\r\n"
      "Route: " + our_rr("10.201.0.1") + "\r\nMax-Forwards: 70\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\n"
      "To: <sip:1012@sipedge.test>;tag=b1\r\nCall-ID: call-1\r\nCSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n";
  deliver(alices_ack, kAlice);
  const Sent ack = wire.pop();
  EXPECT_EQ(first_line(ack.bytes), "ACK sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(ack.dest, kBob);
  EXPECT_EQ(header(ack.bytes, parser::HeaderId::Route), "") << "our Route entry is consumed";
  // Bob's 200 again, Alice's ACK again: Bob gets the same ACK again (RFC 3261 §16.11), not a second one.
  deliver(response_from_bob(fwd.bytes, 200, "OK", kAnswer), kBob);
  EXPECT_EQ(wire.pop().bytes, ok.bytes);
  deliver(alices_ack, kAlice);
  const Sent ack_again = wire.pop();
  EXPECT_EQ(ack_again.dest, kBob);
  EXPECT_EQ(ack_again.bytes, ack.bytes);

  relay.relay_everything(57, 43);  // what the relay counted on each of the two flows
  deliver(bye_from_bob(our_rr("10.201.0.1")), kBob);
  const Sent bye = wire.pop();
  EXPECT_EQ(first_line(bye.bytes), "BYE sip:1006@10.201.0.2:5060 SIP/2.0");
  EXPECT_EQ(bye.dest, kAlice);
  deliver(alices_ok_to(bye.bytes), kAlice);
  const Sent bye_ok = wire.pop();
  EXPECT_EQ(first_line(bye_ok.bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(bye_ok.dest, kBob);
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_NE(cdrs[0].find("\"end_reason\":\"bye from callee\""), std::string::npos) << cdrs[0];
  EXPECT_NE(cdrs[0].find("\"packets_caller_to_callee\":114,"), std::string::npos) << cdrs[0];
  EXPECT_NE(cdrs[0].find("\"packets_callee_to_caller\":86,"), std::string::npos) << cdrs[0];
  EXPECT_NE(cdrs[0].find("\"bytes_caller_to_callee\":11400,"), std::string::npos) << cdrs[0];
  expect_no_state();
}

// RFC 3261 §16.4: an RFC 2543 strict router ahead of sipedge sends an in-dialog request to our
// Record-Route URI as its Request-URI, the remote target moved to the last Route. sipedge takes the
// token from the Request-URI, puts the last Route back as the Request-URI and forwards it there.
TEST_F(ProxyTest, AnInDialogRequestFromAStrictRouterGetsItsRequestUriBack) {
  const Sent fwd = place_call();
  deliver(response_from_bob(fwd.bytes, 200, "OK", kAnswer), kBob);
  wire.pop();
  const std::string rr = our_rr("10.201.0.1");
  const std::string rr_uri = rr.substr(1, rr.size() - 2);
  // Bob's request through a strict router: our Record-Route URI as its Request-URI.
  auto from_bob = [&](const std::string& method, const std::string& branch, const std::string& route, int cseq) {
    deliver(method + " " + rr_uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.3:5060;branch=" + branch +
                ";rport\r\nRoute: " + route + "\r\nMax-Forwards: 70\r\nFrom: <sip:1012@sipedge.test>;tag=b1\r\n"
                "To: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\nCall-ID: call-1\r\nCSeq: " + std::to_string(cseq) +
                " " + method + "\r\nContent-Length: 0\r\n\r\n",
            kBob);
  };
  // Our entry on top as well and the last one in the same header: both leave it, so it goes.
  from_bob("INFO", "z9hG4bKinfo1", rr + ",<sip:1006@10.201.0.2:5060>", 2);
  const Sent info = wire.pop();
  EXPECT_EQ(first_line(info.bytes), "INFO sip:1006@10.201.0.2:5060 SIP/2.0");
  EXPECT_EQ(info.dest, kAlice);
  EXPECT_EQ(header(info.bytes, parser::HeaderId::Route), "");
  EXPECT_EQ(info.bytes.find("Route:"), std::string::npos) << info.bytes;
  deliver("SIP/2.0 200 OK\r\nVia: " + header(info.bytes, parser::HeaderId::Via) +
              "\r\nVia: SIP/2.0/UDP 10.201.0.3:5060;branch=z9hG4bKinfo1;received=10.201.0.3;rport=5060\r\n"
              "From: <sip:1012@sipedge.test>;tag=b1\r\nTo: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\n"
              "Call-ID: call-1\r\nCSeq: 2 INFO\r\nContent-Length: 0\r\n\r\n",
          kAlice);
  const Sent info_ok = wire.pop();
  EXPECT_EQ(first_line(info_ok.bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(info_ok.dest, kBob);
  // Only the remote target as the last Route, in a header of its own.
  from_bob("BYE", "z9hG4bKbye1", "<sip:1006@10.201.0.2:5060>", 1);
  const Sent bye = wire.pop();
  EXPECT_EQ(first_line(bye.bytes), "BYE sip:1006@10.201.0.2:5060 SIP/2.0");
  EXPECT_EQ(bye.dest, kAlice);
  EXPECT_EQ(header(bye.bytes, parser::HeaderId::Route), "") << "the last Route became the Request-URI";
  deliver(alices_ok_to(bye.bytes), kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 200 OK");
  ASSERT_EQ(cdrs.size(), 1u);
  expect_no_state();
}

// A BYE's context goes once its 200 went upstream and its client transaction ended (Timer K, 5 s),
// not 64*T1 later with its server transaction: that one answers a retransmitted BYE on its own,
// with the same 200, and forwards nothing. The INVITE's context stays for its client transaction
// (Timer M: a 2xx retransmission is still forwarded upstream).
TEST_F(ProxyTest, AByesContextGoesWithItsBranchAndItsServerTransactionStillAnswers) {
  const Sent fwd = place_call();
  deliver(response_from_bob(fwd.bytes, 200, "OK", kAnswer), kBob);
  ASSERT_EQ(first_line(wire.pop().bytes), "SIP/2.0 200 OK");
  deliver(bye_from_bob(our_rr("10.201.0.1")), kBob);
  const Sent bye = wire.pop();
  ASSERT_EQ(first_line(bye.bytes), "BYE sip:1006@10.201.0.2:5060 SIP/2.0");
  deliver(alices_ok_to(bye.bytes), kAlice);
  const Sent bye_ok = wire.pop();
  ASSERT_EQ(first_line(bye_ok.bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(proxy.context_count(), 2u) << "the INVITE's and the BYE's";
  const size_t txns = proxy.transactions().size();
  advance(5'000);  // Timer K ends the BYE's client transaction
  EXPECT_EQ(proxy.context_count(), 1u) << "the BYE's context went with its branch";
  EXPECT_EQ(proxy.transactions().size(), txns - 1);
  deliver(bye_from_bob(our_rr("10.201.0.1")), kBob);
  ASSERT_EQ(wire.sent.size(), 1u) << "answered, nothing forwarded";
  EXPECT_EQ(wire.pop().bytes, bye_ok.bytes);
  EXPECT_EQ(proxy.counters().retransmissions, 1u);
  expect_no_state();
}

// DESIGN §3 Trust / open relay: a request with a To tag is forwarded only along a Route set sipedge
// Record-Routed, and within a tracked call only inside that call's dialog and to its other party.
class InDialogTrustTest : public ProxyTest {
 protected:
  const Endpoint kEve{IpAddr::v4(10, 201, 0, 66), 5060};  // never registered, never authenticated

  // Alice calls Bob and Bob answers: call ref 1, dialog tags a1 / b1, Bob at 10.201.0.3.
  void confirmed_call() {
    const Sent fwd = place_call();
    deliver(response_from_bob(fwd.bytes, 200, "OK", kAnswer), kBob);
    ASSERT_EQ(first_line(wire.pop().bytes), "SIP/2.0 200 OK");
    ASSERT_EQ(call_of("call-1")->state, CallState::Confirmed);
  }

  static std::string request(const std::string& method, const std::string& ruri, const std::string& route,
                             const std::string& from_tag, const std::string& to_tag, const std::string& call_id) {
    static int n = 0;
    return method + " " + ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.66:5060;branch=z9hG4bKeve" +
           std::to_string(++n) + ";rport\r\n" + (route.empty() ? "" : "Route: " + route + "\r\n") +
           "Max-Forwards: 70\r\nFrom: <sip:1006@sipedge.test>;tag=" + from_tag + "\r\nTo: <sip:9001@sipedge.test>;tag=" +
           to_tag + "\r\nCall-ID: " + call_id + "\r\nCSeq: 7 " + method +
           "\r\nContact: <sip:eve@10.201.0.66>\r\nContent-Length: 0\r\n\r\n";
  }

  // Delivers a forged request from `from`; nothing may leave but a 481/403 back to the sender.
  void expect_refused(const std::string& bytes, const Endpoint& from, const std::string& method, uint16_t status,
                      const std::string& why) {
    const uint64_t refused = proxy.counters().dialog_refused;
    deliver(bytes, from);
    EXPECT_EQ(proxy.counters().dialog_refused, refused + 1) << why;
    if (method == "ACK") {
      EXPECT_TRUE(wire.sent.empty()) << why << ": an ACK is absorbed";
    } else {
      ASSERT_FALSE(wire.sent.empty()) << why;
      if (method == "INVITE") {
        EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 100 Trying") << why;
      }
      const Sent answer = wire.pop();
      EXPECT_EQ(answer.dest, from) << why;
      EXPECT_EQ(first_line(answer.bytes).substr(0, 11), "SIP/2.0 " + std::to_string(status)) << why;
    }
    while (!wire.sent.empty()) {
      const Sent leaked = wire.pop();
      ADD_FAILURE() << why << ": sent to " << leaked.dest.to_string() << ": " << first_line(leaked.bytes);
    }
  }
};

TEST_F(InDialogTrustTest, ForgedInDialogRequestsNeverReachAnyoneButTheSender) {
  confirmed_call();
  ASSERT_NE(call_of("call-1")->route_mac, RouteToken::Mac{}) << "the MAC its Record-Route token was made with";
  const std::string core_target = "sip:9001@10.202.0.2:5060";
  for (const std::string method : {"INVITE", "BYE", "ACK", "MESSAGE", "REFER", "OPTIONS"}) {
    expect_refused(request(method, core_target, "", "x1", "x2", "eve-1"), kEve, method, 481,
                   method + " without any Route");
    expect_refused(request(method, core_target, "<sip:10.201.0.1:5060;lr>", "x1", "x2", "eve-2"), kEve, method, 481,
                   method + " with a Route naming sipedge but no token");
    expect_refused(request(method, core_target, "<sip:10.201.0.1:5060;lr;sek=1.00000000000000000000>", "x1", "x2",
                           "call-1"),
                   kEve, method, 481, method + " with a forged token");
    // The call keeps its token's MAC and compares instead of computing the HMAC: one digit off
    // in the MAC, or another call's ref, must still fail.
    std::string near_miss = our_rr("10.201.0.1");
    char& last_digit = near_miss[near_miss.size() - 2];
    last_digit = last_digit == '0' ? '1' : '0';
    expect_refused(request(method, core_target, near_miss, "a1", "b1", "call-1"), kAlice, method, 481,
                   method + " with call-1's token, one MAC digit changed");
    expect_refused(request(method, core_target, our_rr("10.201.0.1", 2, "call-1"), "a1", "b1", "call-1"), kAlice, method,
                   481, method + " with a token for call-1's Call-ID but another ref");
    expect_refused(request(method, core_target, our_rr("10.201.0.1", 1, "call-1"), "x1", "x2", "eve-3"), kEve, method,
                   481, method + " with call-1's token under another Call-ID");
    expect_refused(request(method, core_target, our_rr("10.201.0.1"), "x1", "x2", "call-1"), kEve, method, 481,
                   method + " with call-1's token but tags of no dialog");
    expect_refused(request(method, core_target, "<sip:10.202.0.2;lr>, " + our_rr("10.201.0.1"), "a1", "b1", "call-1"),
                   kAlice, method, 481, method + " with our Route second, not on top");
    expect_refused(request(method, core_target, our_rr("10.201.0.1"), "a1", "b1", "call-1"), kAlice, method, 403,
                   method + " inside call-1's dialog but to a third party");
  }
  EXPECT_EQ(proxy.counters().forwarded_requests, 1u) << "only the INVITE of call-1 itself";
}

TEST_F(InDialogTrustTest, RequestsInsideTheDialogStillFlowBothWays) {
  confirmed_call();
  for (const std::string method : {"MESSAGE", "OPTIONS", "INFO", "REFER"}) {
    deliver(request(method, "sip:1012@10.201.0.3:5060", our_rr("10.201.0.1"), "a1", "b1", "call-1"), kAlice);
    const Sent to_bob = wire.pop();
    EXPECT_EQ(first_line(to_bob.bytes), method + " sip:1012@10.201.0.3:5060 SIP/2.0");
    EXPECT_EQ(to_bob.dest, kBob) << method;
    std::string back = request(method, "sip:1006@10.201.0.2:5060", our_rr("10.201.0.1"), "b1", "a1", "call-1");
    deliver(back, kBob);
    const Sent to_alice = wire.pop();
    EXPECT_EQ(first_line(to_alice.bytes), method + " sip:1006@10.201.0.2:5060 SIP/2.0");
    EXPECT_EQ(to_alice.dest, kAlice) << method;
  }
  EXPECT_EQ(proxy.counters().dialog_refused, 0u);
}

// RFC 3261 §16.3: inside a dialog the proxy uses From and To for their tags alone, so a URI there it
// cannot read goes on as written; outside one the same From is a 400 naming it.
TEST_F(InDialogTrustTest, AnUnreadableFromUriInsideTheDialogGoesOnUnchanged) {
  confirmed_call();
  std::string info = request("INFO", "sip:1012@10.201.0.3:5060", our_rr("10.201.0.1"), "a1", "b1", "call-1");
  const std::string bad_from = "From: <sip:1006@[::1>;tag=a1\r\n";
  info.replace(info.find("From: "), info.find("\r\n", info.find("From: ")) + 2 - info.find("From: "), bad_from);
  deliver(info, kAlice);
  const Sent to_bob = wire.pop();
  EXPECT_EQ(first_line(to_bob.bytes), "INFO sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(to_bob.dest, kBob);
  EXPECT_NE(to_bob.bytes.find(bad_from), std::string::npos) << to_bob.bytes;
  EXPECT_TRUE(wire.sent.empty());

  std::string outside = request("MESSAGE", "sip:1012@sipedge.test", "", "m1", "", "call-9");
  outside.replace(outside.find(";tag=\r\n"), 5, "");  // no To tag: outside any dialog
  outside.replace(outside.find("From: "), outside.find("\r\n", outside.find("From: ")) + 2 - outside.find("From: "),
                  "From: <sip:1006@[::1>;tag=m1\r\n");
  const uint64_t malformed = proxy.counters().malformed;
  deliver(outside, kAlice);
  const Sent answer = wire.pop();
  EXPECT_EQ(answer.dest, kAlice);
  EXPECT_EQ(first_line(answer.bytes), "SIP/2.0 400 Bad From header");
  EXPECT_EQ(proxy.counters().malformed, malformed + 1);
}

// Loose routing (RFC 3261 §16.4): the leading Route entries that are sipedge's own (both of a
// call that crossed interfaces) are consumed and the first foreign one is the next hop and stays,
// whether the entries share one Route header or not. The in-dialog path hands build_forward the
// count it found while looking for the next hop; the bytes out must be the same either way.
TEST_F(InDialogTrustTest, OurLeadingRouteEntriesArePoppedAndTheFirstForeignOneStays) {
  confirmed_call();
  const std::string foreign = "<sip:10.201.0.3:5060;lr;x=1>";
  const std::string ours = our_rr("10.201.0.1") + ", " + our_rr("10.202.0.1");
  const std::string spellings[] = {
      ours + ", " + foreign,
      our_rr("10.201.0.1") + "\r\nRoute: " + our_rr("10.202.0.1") + "\r\nRoute: " + foreign,
      ours + "\r\nRoute: " + foreign + ", <sip:10.9.9.9;lr>",
      // An entry of ours without angle brackets (not a name-addr, so the next-hop search stops
      // there and the Request-URI decides): it is still ours, and still popped.
      our_rr("10.201.0.1") + ", sip:10.202.0.1:5060;lr, " + foreign,
  };
  const std::string kept[] = {foreign, foreign, foreign + ", <sip:10.9.9.9;lr>", foreign};
  for (size_t i = 0; i < std::size(spellings); ++i) {
    for (const std::string method : {"INFO", "ACK"}) {
      deliver(request(method, "sip:1012@10.201.0.3:5060", spellings[i], "a1", "b1", "call-1"), kAlice);
      const Sent out = wire.pop();
      EXPECT_EQ(first_line(out.bytes), method + " sip:1012@10.201.0.3:5060 SIP/2.0") << i;
      EXPECT_EQ(out.dest, kBob) << method << " " << i;
      parser::Message m;
      ASSERT_EQ(parser::HandScanner().scan(out.bytes, parser::Framing::Datagram, m).status,
                parser::ScanStatus::Complete);
      std::string routes;
      for (const parser::HeaderField* h = m.find(parser::HeaderId::Route); h; h = m.next_same(h))
        routes += (routes.empty() ? "" : " | ") + std::string(m.text(h->value));
      EXPECT_EQ(routes, kept[i]) << method << " " << i;
      if (method == "INFO") {
        deliver(response_from_bob(out.bytes, 200, "OK"), kBob);
        EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 200 OK");
      }
    }
  }
  EXPECT_EQ(proxy.counters().dialog_refused, 0u);
}

// sipedge knows its own Route entries by their bytes when they come back exactly as it wrote them,
// and reads any other spelling in full. Both readings must agree: an entry of ours spelt another
// way (RFC 3261 §19.1.4 compares URIs so) still carries its call, and bytes that only start like
// ours are read as what they are.
TEST_F(InDialogTrustTest, OurEntriesMeanTheSameHoweverTheyAreSpelt) {
  confirmed_call();
  const std::string mac = token.make("call-1", 1);
  std::string upper_mac = mac;
  for (char& c : upper_mac) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(upper_mac, mac);
  const std::string carried[] = {
      our_rr("10.201.0.1"),
      our_rr("10.202.0.1"),
      "<SIP:10.201.0.1:5060;lr;sek=" + mac + ">",
      "<sip:10.201.0.1:5060;sek=" + mac + ";lr>",
      "<sip:10.201.0.1:5060;LR;sek=" + mac + ">",
      "<sip:10.201.0.1:5060;lr;sek=" + mac + ">;x=1",
      "\"sipedge\" <sip:10.201.0.1:5060;lr;sek=" + mac + ">",
      "<sip:10.201.0.1:5060;lr;sek=" + mac + ";x=1>",
      "<sip:10.201.0.1:5060;lr;sek=" + mac + ">, <sip:10.201.0.3:5060;lr>",
  };
  for (const std::string& route : carried) {
    deliver(request("INFO", "sip:1012@10.201.0.3:5060", route, "a1", "b1", "call-1"), kAlice);
    ASSERT_FALSE(wire.sent.empty()) << route;
    const Sent out = wire.pop();
    EXPECT_EQ(first_line(out.bytes), "INFO sip:1012@10.201.0.3:5060 SIP/2.0") << route;
    EXPECT_EQ(out.dest, kBob) << route;
    const bool foreign_kept = route.find("10.201.0.3") != std::string::npos;
    EXPECT_EQ(out.bytes.find("Route: <sip:10.201.0.3:5060;lr>\r\n") != std::string::npos, foreign_kept) << out.bytes;
    EXPECT_EQ(out.bytes.find("sek="), std::string::npos) << route << ": our entry is popped\n" << out.bytes;
    deliver(response_from_bob(out.bytes, 200, "OK"), kBob);
    EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 200 OK") << route;
  }
  const std::string refused[] = {
      "<sip:10.201.0.1:5060;lr;sek=" + mac + ">x>",
      "<sip:10.201.0.1:5060;lr;sek=" + mac.substr(0, mac.size() - 1) + ">",
      "<sip:10.201.0.1:5060;lr;sek=>",
      "<sip:10.201.0.1:50600;lr;sek=" + mac + ">",
      "<sip:10.201.0.10:5060;lr;sek=" + mac + ">",
      "<sip:10.201.0.1:5060;lr;sek=" + upper_mac + ">",
      "<sip:10.201.0.1:5060;lr;sek=%31" + mac.substr(1) + ">",
  };
  for (const std::string& route : refused)
    expect_refused(request("INFO", "sip:1012@10.201.0.3:5060", route, "a1", "b1", "call-1"), kAlice, "INFO", 481, route);
}

TEST_F(InDialogTrustTest, ATokenOfAnEndedCallOpensNothing) {
  confirmed_call();
  deliver(request("BYE", "sip:1012@10.201.0.3:5060", our_rr("10.201.0.1"), "a1", "b1", "call-1"), kAlice);
  const Sent bye = wire.pop();
  deliver(response_from_bob(bye.bytes, 200, "OK"), kBob);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 200 OK");
  ASSERT_EQ(proxy.calls().size(), 0u);
  expect_refused(request("INVITE", "sip:1012@10.201.0.3:5060", our_rr("10.201.0.1"), "a1", "b1", "call-1"), kAlice,
                 "INVITE", 481, "re-INVITE after the call ended");
}

// A dialog sipedge Record-Routes but does not track (SUBSCRIBE): the token alone carries NOTIFY;
// methods of INVITE dialogs are refused there.
TEST_F(InDialogTrustTest, UntrackedDialogsPassOnTheirTokenButNeverCarryAnInvite) {
  register_user("1012", kBob);
  const std::string untracked = "<sip:10.202.0.1:5060;lr;sek=" + token.make("sub-1", 0) + ">";
  deliver(request("NOTIFY", "sip:1012@10.201.0.3:5060", untracked, "n1", "s1", "sub-1"), kTrunk, 1);
  const Sent notify = wire.pop();
  EXPECT_EQ(first_line(notify.bytes), "NOTIFY sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(notify.dest, kBob);
  for (const std::string method : {"INVITE", "BYE", "UPDATE", "PRACK"})
    expect_refused(request(method, "sip:1012@10.201.0.3:5060", untracked, "n1", "s1", "sub-1"), kTrunk, method, 481,
                   method + " in a dialog that is not a call");
}

// Flows as the fake relay holds them, "a.remote:port <> b.remote:port" per flow.
std::vector<std::string> peers(const FakeRelay& relay) {
  std::vector<std::string> out;
  for (const auto& [h, ends] : relay.flows)
    out.push_back(ends.first.remote.to_string() + ":" + std::to_string(ends.first.remote_port) + " <> " +
                  ends.second.remote.to_string() + ":" + std::to_string(ends.second.remote_port));
  return out;
}

// RFC 3264: a re-INVITE's offer is committed only by its answer. One that fails (here 491) leaves
// the call's media exactly as it was; the next one that succeeds moves it.
TEST_F(InDialogTrustTest, FailedReinviteLeavesTheMediaAsItWasAndAnAnsweredOneMovesIt) {
  confirmed_call();
  const std::vector<std::string> before = peers(relay);
  ASSERT_EQ(before, (std::vector<std::string>{"10.201.0.2:6000 <> 10.201.0.3:7000", "10.201.0.2:6001 <> 10.201.0.3:7001"}));
  const size_t ports = media.ports_in_use(0);
  std::string moved = kOffer;
  moved.replace(moved.find("m=audio 6000"), 12, "m=audio 6010");
  moved += "m=video 6020 RTP/AVP 31\r\n";
  auto reinvite = [&](const std::string& branch, int cseq) {
    return "INVITE sip:1012@10.201.0.3:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=" + branch +
           ";rport\r\nRoute: " + our_rr("10.201.0.1") + "\r\nMax-Forwards: 70\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\n"
           "To: <sip:1012@sipedge.test>;tag=b1\r\nCall-ID: call-1\r\nCSeq: " + std::to_string(cseq) +
           " INVITE\r\nContact: <sip:1006@10.201.0.2:5060>\r\nContent-Type: application/sdp\r\nContent-Length: " +
           std::to_string(moved.size()) + "\r\n\r\n" + moved;
  };
  deliver(reinvite("z9hG4bKre1", 3), kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 100 Trying");
  const Sent fwd = wire.pop();
  ASSERT_EQ(first_line(fwd.bytes), "INVITE sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(peers(relay), before) << "nothing moves before the answer";
  EXPECT_EQ(media.ports_in_use(0), ports + 4) << "the offer's video stream holds a port pair per side";
  deliver(response_from_bob(fwd.bytes, 491, "Request Pending"), kBob);
  EXPECT_EQ(first_line(wire.pop().bytes), "ACK sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 491 Request Pending");
  EXPECT_EQ(peers(relay), before);
  EXPECT_EQ(media.ports_in_use(0), ports) << "the failed offer's ports are back";
  ASSERT_EQ(proxy.calls().size(), 1u);

  deliver(reinvite("z9hG4bKre2", 4), kAlice);
  wire.pop();
  const Sent again = wire.pop();
  const std::string video_answer = kAnswer + "m=video 7020 RTP/AVP 31\r\n";
  deliver(response_from_bob(again.bytes, 200, "OK", video_answer), kBob);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(peers(relay), (std::vector<std::string>{"10.201.0.2:6010 <> 10.201.0.3:7000", "10.201.0.2:6011 <> 10.201.0.3:7001",
                                                    "10.201.0.2:6020 <> 10.201.0.3:7020", "10.201.0.2:6021 <> 10.201.0.3:7021"}));
}

// Two initial INVITEs with one Call-ID (a spiral, or a UA reusing it) are two calls, each with its own
// media session; neither overwrites or leaks the other's.
TEST_F(ProxyTest, SecondInitialInviteWithTheSameCallIdIsItsOwnCall) {
  const Sent first = place_call();
  deliver(invite("", 3, "z9hG4bKinv3"), kAlice);
  const Sent challenge = wire.pop();
  ASSERT_EQ(first_line(challenge.bytes), "SIP/2.0 407 Proxy Authentication Required");
  deliver(invite(credentials(header(challenge.bytes, parser::HeaderId::ProxyAuthenticate), "1006", "INVITE",
                             "sip:1012@sipedge.test"),
                 4, "z9hG4bKinv4"),
          kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 100 Trying");
  const Sent second = wire.pop();
  ASSERT_EQ(first_line(second.bytes), "INVITE sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(proxy.calls().size(), 2u);
  EXPECT_EQ(media.session_count(), 2u);
  EXPECT_EQ(header(second.bytes, parser::HeaderId::RecordRoute), our_rr("10.201.0.1", 2));
  deliver(response_from_bob(first.bytes, 486, "Busy Here"), kBob);
  deliver(response_from_bob(second.bytes, 486, "Busy Here"), kBob);
  while (!wire.sent.empty()) wire.pop();
  EXPECT_EQ(cdrs.size(), 2u);
  expect_no_state();
  EXPECT_EQ(media.ports_in_use(0), 0u);
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
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 407 Proxy Authentication Required");
  EXPECT_EQ(proxy.counters().auth_failures, 1u);
}

// RFC 3261 §8.2.7: the challenge is stateless. No 100, no transaction, no timers: a retransmitted
// INVITE is challenged again with a fresh nonce, the ACK to either 407 is recognised by its To tag
// and absorbed, and a flood of unauthenticated INVITEs leaves nothing behind.
TEST_F(ProxyTest, TheChallengeHoldsNoStateAndItsAckIsAbsorbed) {
  register_user("1006", kAlice);
  register_user("1012", kBob);
  const size_t registered_txns = proxy.transactions().size();
  const uint64_t challenges = proxy.counters().auth_challenges;
  deliver(invite(""), kAlice);
  const Sent first = wire.pop();
  EXPECT_EQ(first_line(first.bytes), "SIP/2.0 407 Proxy Authentication Required");
  EXPECT_EQ(first.dest, kAlice);
  EXPECT_TRUE(wire.sent.empty()) << "no 100 Trying before a stateless challenge";
  EXPECT_EQ(proxy.transactions().size(), registered_txns);
  deliver(invite(""), kAlice);
  const Sent again = wire.pop();
  EXPECT_EQ(first_line(again.bytes), "SIP/2.0 407 Proxy Authentication Required");
  EXPECT_NE(header(again.bytes, parser::HeaderId::ProxyAuthenticate), header(first.bytes, parser::HeaderId::ProxyAuthenticate))
      << "a retransmission gets a challenge of its own";
  EXPECT_EQ(proxy.counters().retransmissions, 0u);
  EXPECT_EQ(proxy.counters().auth_challenges, challenges + 2);
  const std::string to = header(first.bytes, parser::HeaderId::To);
  ASSERT_NE(to.find(";tag="), std::string::npos) << to;
  auto ack = [](const std::string& to_header) {
    return "ACK sip:1012@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKinv1;rport\r\n"
           "Max-Forwards: 70\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\nTo: " + to_header +
           "\r\nCall-ID: call-1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
  };
  deliver(ack(to), kAlice);
  deliver(ack(header(again.bytes, parser::HeaderId::To)), kAlice);
  EXPECT_TRUE(wire.sent.empty());
  EXPECT_EQ(proxy.counters().stateless_acks, 2u);
  EXPECT_EQ(proxy.counters().dialog_refused, 0u);
  // An ACK to some other answer (the tag's first character changed) is not absorbed as ours.
  std::string other = to;
  other[other.find(";tag=") + 5] = other[other.find(";tag=") + 5] == 'f' ? '0' : 'f';
  deliver(ack(other), kAlice);
  EXPECT_TRUE(wire.sent.empty());
  EXPECT_EQ(proxy.counters().stateless_acks, 2u);
  EXPECT_EQ(proxy.counters().dialog_refused, 1u);
  // Such an ACK ends before validation, garbled or not: nothing answers it either way.
  const uint64_t malformed = proxy.counters().malformed;
  std::string garbled = ack(to);
  garbled.replace(garbled.find("CSeq: 1 ACK"), 11, "CSeq: 1 BYE");
  deliver(garbled, kAlice);
  EXPECT_TRUE(wire.sent.empty());
  EXPECT_EQ(proxy.counters().stateless_acks, 3u);
  EXPECT_EQ(proxy.counters().malformed, malformed);
  garbled = ack(other);
  garbled.replace(garbled.find("CSeq: 1 ACK"), 11, "CSeq: 1 BYE");
  deliver(garbled, kAlice);
  EXPECT_TRUE(wire.sent.empty());
  EXPECT_EQ(proxy.counters().malformed, malformed + 1) << "any other ACK is validated first";

  for (int i = 0; i < 1000; ++i) {
    std::string flood = invite("", 1, "z9hG4bKflood" + std::to_string(i));
    flood.replace(flood.find("call-1"), 6, "flood-" + std::to_string(i));
    deliver(flood, kAlice);
  }
  EXPECT_EQ(wire.sent.size(), 1000u);
  EXPECT_EQ(proxy.transactions().size(), registered_txns);
  EXPECT_EQ(proxy.context_count(), 0u);
  EXPECT_EQ(proxy.calls().size(), 0u);
}

// The registrar's 401 is stateless too: a registration storm's challenges hold no transactions;
// the authenticated REGISTER is served by one, which absorbs its retransmission.
TEST_F(ProxyTest, TheRegistrarsChallengeHoldsNoState) {
  deliver(register_request("1006", kAlice, 1, ""), kAlice);
  const Sent first = wire.pop();
  EXPECT_EQ(first_line(first.bytes), "SIP/2.0 401 Unauthorized");
  deliver(register_request("1006", kAlice, 1, ""), kAlice);
  const Sent again = wire.pop();
  EXPECT_EQ(first_line(again.bytes), "SIP/2.0 401 Unauthorized");
  EXPECT_NE(header(again.bytes, parser::HeaderId::WwwAuthenticate), header(first.bytes, parser::HeaderId::WwwAuthenticate));
  EXPECT_EQ(proxy.transactions().size(), 0u);
  const std::string authed = register_request(
      "1006", kAlice, 2, credentials(header(first.bytes, parser::HeaderId::WwwAuthenticate), "1006", "REGISTER", "sip:sipedge.test"));
  deliver(authed, kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(proxy.transactions().size(), 1u);
  deliver(authed, kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 200 OK") << "the transaction answers the retransmission";
  EXPECT_EQ(proxy.counters().retransmissions, 1u);
  EXPECT_TRUE(wire.sent.empty());
}

TEST_F(ProxyTest, UnregisteredUserGets480AndUnknownUser404) {
  register_user("1006", kAlice);
  deliver(invite(""), kAlice);
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
  EXPECT_EQ(m.text(rr->value), our_rr("10.202.0.1")) << "the top entry faces the callee";
  EXPECT_EQ(m.text(m.next_same(rr)->value), our_rr("10.201.0.1"));
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

// A Refer-To (or a 3xx) may name the target's Contact instead of its user: the public address
// sipedge wrote for a NATed UA, or the Contact as the UA registered it. Both reach that UA, at the
// address it registered from; an address no UA registered from is still no route at all.
TEST_F(ProxyTest, AContactOfARegisteredUaReachesItWhicheverAddressItNames) {
  const Endpoint nat{IpAddr::v4(10, 201, 0, 9), 40123};
  register_user("1012", nat, "192.168.1.50:5060");
  register_user("1006", kAlice);
  int n = 0;
  auto dial = [&](const std::string& ruri) {
    ++n;
    auto to = [&](const std::string& auth, int cseq) {
      std::string m = invite(auth, cseq, "z9hG4bKct" + std::to_string(n) + "x" + std::to_string(cseq));
      m.replace(0, m.find(" SIP/2.0"), "INVITE " + ruri);
      m.replace(m.find("call-1"), 6, "call-ct" + std::to_string(n));
      return m;
    };
    deliver(to("", 1), kAlice);
    const std::string pa = header(wire.pop().bytes, parser::HeaderId::ProxyAuthenticate);
    deliver(to(credentials(pa, "1006", "INVITE", ruri), 2), kAlice);
    wire.pop();
    return wire.pop();
  };
  for (const std::string ruri : {"sip:1012@10.201.0.9:40123", "sip:1012@192.168.1.50"}) {
    const Sent fwd = dial(ruri);
    EXPECT_EQ(fwd.dest, nat) << ruri;
    EXPECT_EQ(first_line(fwd.bytes), "INVITE sip:1012@192.168.1.50:5060 SIP/2.0") << ruri;
  }
  EXPECT_EQ(first_line(dial("sip:1012@10.201.0.77:5060").bytes), "SIP/2.0 404 No route to destination");
}

// Overload control: new requests are refused with 503 + Retry-After before any state is made
// (no transaction, no challenge, nothing forwarded); the call in progress still gets its responses,
// its retransmissions absorbed, its CANCEL; off again, a new INVITE is served.
TEST_F(ProxyTest, OverloadRefusesNewRequestsStatelesslyAndKeepsCallsInProgressGoing) {
  register_user("1012", kBob);
  const Sent fwd = dial("1012");
  ASSERT_EQ(first_line(fwd.bytes).rfind("INVITE ", 0), 0u);
  const size_t txns = proxy.transactions().size();
  proxy.set_overloaded(true);

  std::string other = invite("", 1, "z9hG4bKnew1");
  other.replace(other.find("call-1"), 6, "call-new");
  deliver(other, kAlice);
  const Sent refused = wire.pop();
  EXPECT_EQ(first_line(refused.bytes), "SIP/2.0 503 Service Unavailable: Overloaded");
  EXPECT_EQ(header(refused.bytes, parser::HeaderId::RetryAfter), "5");
  EXPECT_TRUE(wire.sent.empty()) << "no 100 Trying, nothing forwarded";
  deliver(register_request("1006", kAlice, 9, "", ""), kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 503 Service Unavailable: Overloaded");
  EXPECT_EQ(proxy.transactions().size(), txns) << "refused without state";
  EXPECT_EQ(proxy.counters().refusals[static_cast<size_t>(RefusalCause::Overload)], 2u);

  // The call already in progress: Bob's 180 reaches Alice, and her CANCEL is served.
  deliver(response_from_bob(fwd.bytes, 180, "Ringing"), kBob);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 180 Ringing");
  std::string cancel = invite("", 2, "z9hG4bKinv2");
  cancel.replace(0, cancel.find(" sip:"), "CANCEL");
  cancel.replace(cancel.find("CSeq: 2 INVITE"), 14, "CSeq: 2 CANCEL");
  cancel = cancel.substr(0, cancel.find("Content-Type:")) + "Content-Length: 0\r\n\r\n";
  deliver(cancel, kAlice);
  std::vector<std::string> lines;
  while (!wire.sent.empty()) lines.push_back(first_line(wire.pop().bytes));
  EXPECT_NE(std::find(lines.begin(), lines.end(), "SIP/2.0 200 OK"), lines.end()) << "CANCEL answered";
  EXPECT_NE(std::find(lines.begin(), lines.end(), "CANCEL sip:1012@10.201.0.3:5060 SIP/2.0"), lines.end())
      << "and passed on to Bob";

  proxy.set_overloaded(false);
  other.replace(other.find("z9hG4bKnew1"), 11, "z9hG4bKnew2");
  deliver(other, kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 407 Proxy Authentication Required");
}

// [sip] overload_action = "drop": the same refusals, counted, with nothing sent back.
TEST_F(ProxyTest, OverloadCanDropInsteadOfAnswering) {
  config.security.overload_drop = true;
  proxy.set_overloaded(true);
  deliver(invite(""), kAlice);
  deliver(register_request("1006", kAlice, 9, "", ""), kAlice);
  EXPECT_TRUE(wire.sent.empty());
  EXPECT_EQ(proxy.counters().refusals[static_cast<size_t>(RefusalCause::Overload)], 2u);
  EXPECT_EQ(proxy.transactions().size(), 0u);
  proxy.set_overloaded(false);
  deliver(invite(""), kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 407 Proxy Authentication Required");
}

// [sip] server_header = "": sipedge's own responses (stateful, stateless, challenges, refusals)
// name no implementation; by default they say Server: sipedge.
TEST_F(ProxyTest, AnEmptyServerHeaderSettingHidesTheImplementation) {
  auto options_to_us = [](const std::string& branch) {
    return "OPTIONS sip:10.201.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=" + branch +
           "\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:10.201.0.1>\r\nCall-ID: " + branch + "\r\nCSeq: 1 OPTIONS\r\n\r\n";
  };
  deliver(invite(""), kAlice);
  EXPECT_EQ(header(wire.pop().bytes, parser::HeaderId::Server), "sipedge") << "the challenge";
  deliver(options_to_us("z9hG4bKsh1"), kAlice);
  const Sent ok = wire.pop();
  EXPECT_EQ(first_line(ok.bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(header(ok.bytes, parser::HeaderId::Server), "sipedge") << "a stateful answer";
  config.user_agent = "";
  std::string second = invite("", 1, "z9hG4bKsh2");
  second.replace(second.find("call-1"), 6, "call-sh2");
  deliver(second, kAlice);
  const Sent challenge = wire.pop();
  EXPECT_EQ(first_line(challenge.bytes), "SIP/2.0 407 Proxy Authentication Required");
  deliver(options_to_us("z9hG4bKsh4"), kAlice);
  const Sent ok_again = wire.pop();
  EXPECT_EQ(first_line(ok_again.bytes), "SIP/2.0 200 OK");
  for (const Sent& s : {challenge, ok_again}) EXPECT_EQ(s.bytes.find("\r\nServer:"), std::string::npos) << s.bytes;
  deliver("OPTIONS sip:x@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKsh3\r\n"
          "From: <sip:a@b>;tag=1\r\nTo: <sip:x@sipedge.test>\r\nCall-ID: sh3\r\nCSeq: 1 INVITE\r\n\r\n",
          kAlice);
  const Sent bad = wire.pop();
  EXPECT_EQ(first_line(bad.bytes), "SIP/2.0 400 CSeq method does not match Request-Line method");
  EXPECT_EQ(bad.bytes.find("\r\nServer:"), std::string::npos) << "stateless answers too";
}

// RFC 3581 §4 / RFC 3261 §18.2.1 on the top Via of what sipedge answers: received= and rport=
// replace any the UA wrote, the other params keep their order and bytes; with LWS inside the
// params, each is rewritten ";name=value". kAlice sends from 10.201.0.2:5060.
TEST_F(ProxyTest, TheAnswersViaGetsReceivedAndRportWhateverTheParamsLookLike) {
  const std::pair<std::string, std::string> cases[] = {
      {"SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKv1", "SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKv1"},
      {"SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKv2;rport",
       "SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKv2;received=10.201.0.2;rport=5060"},
      {"SIP/2.0/UDP 192.0.2.9:5070;rport;branch=z9hG4bKv3;x=\"a;b\";received=1.2.3.4;ttl=3",
       "SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKv3;x=\"a;b\";ttl=3;received=10.201.0.2;rport=5060"},
      {"SIP/2.0/UDP 192.0.2.9;received=1.2.3.4;branch=z9hG4bKv4;RPORT=7",
       "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKv4;received=10.201.0.2;rport=5060"},
      {"SIP/2.0/UDP ua.example.net;branch=z9hG4bKv5;lr", "SIP/2.0/UDP ua.example.net;branch=z9hG4bKv5;lr;received=10.201.0.2"},
      {"SIP/2.0/UDP 192.0.2.9 ; branch = z9hG4bKv6 ; rport",
       "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKv6;received=10.201.0.2;rport=5060"},
  };
  int n = 0;
  for (const auto& [via, want] : cases) {
    const std::string id = "rv" + std::to_string(++n);
    deliver("OPTIONS sip:10.201.0.1:5060 SIP/2.0\r\nVia: " + via + "\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:10.201.0.1>\r\n"
            "Call-ID: " + id + "\r\nCSeq: 1 OPTIONS\r\n\r\n",
            kAlice);
    const Sent ok = wire.pop();
    EXPECT_EQ(first_line(ok.bytes), "SIP/2.0 200 OK") << via;
    EXPECT_EQ(header(ok.bytes, parser::HeaderId::Via), want) << via;
  }
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
  deliver_scanned("INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2;branch=z9hG4bK9\r\nFrom: <sip:a@b>;tag=1\r\n"
                  "To: <sip:x@y>\r\nCall-ID: z\r\nCSeq: 1 INVITE\r\nContent-Length: 99\r\n\r\nshort",
                  kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 400 Content-Length larger than the message body");
}

// Issue: refused without a word. A request sipedge cannot process but can answer gets a 400 that
// names its fault, wherever the fault sits among the headers; a NUL escaped in a quoted-string is
// no fault at all (RFC 3261 §25.1).
TEST_F(ProxyTest, MalformedRequestsAreAnsweredWithTheirFaultWhereverItSits) {
  const std::string head = "OPTIONS sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKnul";
  const std::string tail = "From: <sip:a@b>;tag=1\r\nTo: <sip:sipedge.test>\r\nCall-ID: nul\r\nCSeq: 1 OPTIONS\r\n"
                           "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  std::string quoted = head + "1\r\nSubject: \"x\\?y\"\r\n" + tail;
  quoted[quoted.find('?')] = '\0';
  deliver_scanned(quoted, kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 200 OK") << "a quoted-pair may escape NUL";

  std::string bare = head + "2\r\nUser-Agent: x?y\r\n" + tail;
  bare[bare.find('?')] = '\0';
  deliver_scanned(bare, kAlice);
  const Sent nul = wire.pop();
  EXPECT_EQ(first_line(nul.bytes), "SIP/2.0 400 NUL byte in message headers");
  EXPECT_EQ(nul.dest, kAlice);
  EXPECT_EQ(header(nul.bytes, parser::HeaderId::CallId), "nul");

  deliver_scanned(head + "3\r\nBad Header: x\r\n" + tail, kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes).substr(0, 12), "SIP/2.0 400 ");
  EXPECT_TRUE(wire.sent.empty());

  // Nothing to address a response with: counted, and silence.
  deliver_scanned("OPTIONS sip:sipedge.test SIP/2.0\r\nBad Header: x\r\nCSeq: 1 OPTIONS\r\n\r\n", kAlice);
  EXPECT_TRUE(wire.sent.empty());
  EXPECT_EQ(proxy.counters().malformed, 3u);
}

// Issue: send failures must be visible. What the wire refuses is counted beside what it took.
TEST_F(ProxyTest, MessagesTheWireRefusesAreCounted) {
  wire.refuse = true;
  deliver("OPTIONS sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKw1\r\n"
          "From: <sip:a@b>;tag=1\r\nTo: <sip:sipedge.test>\r\nCall-ID: w1\r\nCSeq: 1 OPTIONS\r\n\r\n",
          kAlice);
  EXPECT_EQ(proxy.transport_counters().failed, 1u);
  EXPECT_EQ(proxy.transport_counters().sent, 0u);
  wire.refuse = false;
  deliver("OPTIONS sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKw2\r\n"
          "From: <sip:a@b>;tag=1\r\nTo: <sip:sipedge.test>\r\nCall-ID: w2\r\nCSeq: 1 OPTIONS\r\n\r\n",
          kAlice);
  EXPECT_EQ(proxy.transport_counters().sent, 1u);
  EXPECT_EQ(proxy.transport_counters().failed, 1u);
}

// RFC 3261 §16.3 step 4: a request that comes back with our Via is a loop only when it is the same
// request (same loop key in our branch); with a new Request-URI it is a spiral and goes on.
TEST_F(ProxyTest, LoopIsRefusedWith482ButASpiralWithANewRequestUriPasses) {
  const std::string options =
      "OPTIONS sip:+8613800000000@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.202.0.2:5060;branch=z9hG4bKsp1\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:core@10.202.0.2>;tag=1\r\nTo: <sip:+8613800000000@sipedge.test>\r\n"
      "Call-ID: sp1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  deliver(options, kTrunk, 1);
  const Sent first = wire.pop();
  ASSERT_EQ(first_line(first.bytes), "OPTIONS sip:+8613800000000@sipedge.test SIP/2.0");
  ASSERT_EQ(first.dest, kTrunk);

  // The trunk sends it straight back: the same request, under one more Via (ours).
  deliver(first.bytes, kTrunk, 1);
  const Sent loop = wire.pop();
  EXPECT_EQ(first_line(loop.bytes), "SIP/2.0 482 Loop Detected");
  EXPECT_EQ(loop.dest, kTrunk);
  EXPECT_EQ(proxy.counters().loops, 1u);

  // An application server in the core retargets it and sends it back through sipedge: a spiral.
  std::string retargeted = first.bytes;
  retargeted.replace(0, retargeted.find("\r\n") + 2,
                     "OPTIONS sip:+8613900000000@sipedge.test SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 10.202.0.2:5060;branch=z9hG4bKas1\r\n");
  deliver(retargeted, kTrunk, 1);
  const Sent spiral = wire.pop();
  EXPECT_EQ(first_line(spiral.bytes), "OPTIONS sip:+8613900000000@sipedge.test SIP/2.0");
  EXPECT_EQ(spiral.dest, kTrunk);
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(spiral.bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  EXPECT_EQ(m.count(parser::HeaderId::Via), 4u) << "ours (second pass), the AS's, ours (first pass), the core's";
  EXPECT_EQ(proxy.counters().spirals, 1u);
  EXPECT_EQ(proxy.counters().loops, 1u);
}

TEST_F(ProxyTest, LateOfferIn200AndAnswerInAckAreBothAnchored) {
  register_user("1006", kAlice);
  register_user("1012", kBob);
  std::string no_sdp = invite("");
  no_sdp.replace(no_sdp.find("Content-Type: application/sdp\r\n"), 31, "");
  no_sdp.replace(no_sdp.find("Content-Length: "), std::string::npos, "Content-Length: 0\r\n\r\n");
  deliver(no_sdp, kAlice);
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
                    "Route: " + our_rr("10.201.0.1") + "\r\nMax-Forwards: 70\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\n"
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
  // One direction silent is not dead media (a listen-only leg); the sweep's report is ignored.
  relay.silence(60'000, 5'000);
  proxy.on_media_idle(relay.flows.begin()->first);
  EXPECT_TRUE(wire.sent.empty());
  EXPECT_EQ(proxy.calls().size(), 1u);
  relay.silence(60'000, 60'000);
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

TEST_F(ProxyTest, SdpThatDoesNotParseIsRefusedWith488NamingTheFault) {
  const Sent refused = place_call("this is not SDP\r\n");
  EXPECT_EQ(refused.dest, kAlice);
  EXPECT_EQ(first_line(refused.bytes), "SIP/2.0 488 Not Acceptable Here: Bad SDP");
  EXPECT_EQ(header(refused.bytes, parser::HeaderId::RetryAfter), "");
  EXPECT_TRUE(wire.sent.empty()) << "nothing reached Bob";
  EXPECT_EQ(proxy.counters().refusals[static_cast<size_t>(RefusalCause::BadSdp)], 1u);
  expect_no_state();
}

TEST_F(ProxyTest, AFullRelayAtAnswerTimeIs503WithRetryAfterAndNoMediaBypass) {
  const Sent fwd = place_call();
  relay.refuse = MediaError::RelayFull;
  deliver(response_from_bob(fwd.bytes, 200, "OK", kAnswer), kBob);
  const Sent upstream = wire.pop();
  EXPECT_EQ(upstream.dest, kAlice);
  EXPECT_EQ(first_line(upstream.bytes), "SIP/2.0 503 Service Unavailable: Media Relay Full");
  EXPECT_EQ(header(upstream.bytes, parser::HeaderId::RetryAfter), "5");
  EXPECT_EQ(body_of(upstream.bytes), "") << "Bob's SDP never reaches Alice unanchored";
  EXPECT_EQ(proxy.counters().refusals[static_cast<size_t>(RefusalCause::RelayFull)], 1u);
  EXPECT_EQ(proxy.calls().size(), 0u);
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_NE(cdrs[0].find("\"final_status\":503"), std::string::npos) << cdrs[0];
}

TEST(Refusal, EveryMediaErrorReachesTheWireAsItsOwnAnswer) {
  EXPECT_EQ(refusal(MediaError::BadSdp).status, 488);
  EXPECT_EQ(refusal(MediaError::TooManyStreams).status, 488);
  EXPECT_EQ(refusal(MediaError::AddressFamily).status, 488);
  EXPECT_EQ(refusal(MediaError::NoPorts).status, 503);
  EXPECT_EQ(refusal(MediaError::NoPorts).retry_after_s, 5u);
  EXPECT_EQ(refusal(MediaError::RelayFull).status, 503);
  EXPECT_EQ(refusal(MediaError::RelayRefused).status, 500);
  EXPECT_EQ(refusal(MediaError::RelayRefused).retry_after_s, 0u);
  EXPECT_EQ(refusal(MediaError::NoPorts).reason, "Service Unavailable: No Media Ports Available");
  EXPECT_EQ(refusal_name(RefusalCause::NoPorts), "NoPorts");
}

// With control shards (issue 14 §2) every shard holds every binding, and the shard that took the
// REGISTER keeps its NAT pinhole open: a replica gets no OPTIONS from this one.
TEST_F(ProxyTest, NatKeepalivesAreSentOnlyForBindingsThisShardWrote) {
  config.nat_keepalive_s = 25;
  BindingChange from_another_shard;
  Binding& b = from_another_shard.binding;
  b.aor = "1012@sipedge.test";
  b.contact_uri = "sip:1012@192.168.1.50:5062";
  b.received = kBob;
  b.behind_nat = true;
  b.expires_at_ms = clock.monotonic_ms() + 3'600'000;
  b.replica = true;
  b.stamp = 1;
  proxy.location().apply(from_another_shard);
  register_user("1013", Endpoint{IpAddr::v4(10, 201, 0, 4), 41000}, "192.168.1.51:5060");
  for (int t = 0; t < 250; ++t) {
    clock.advance(100);
    proxy.on_tick();
  }
  ASSERT_EQ(wire.sent.size(), 1u);
  EXPECT_EQ(first_line(wire.pop().bytes), "OPTIONS sip:1013@192.168.1.51:5060 SIP/2.0");
  EXPECT_EQ(proxy.location().size(), 2u);
}

// on_tick tells the control loop whether it did anything (its busy time and idle backoff count on
// it): nothing when no timer is due, the timers fired and the once-a-second housekeeping otherwise.
TEST_F(ProxyTest, ATickSaysHowManyTimersFired) {
  register_user("1012", kBob);  // a server transaction lingers for Timer J (64*T1 = 32 s)
  ASSERT_EQ(proxy.transactions().size(), 1u);
  advance(1000);
  clock.advance(1);
  EXPECT_EQ(proxy.on_tick(), 0u);
  clock.advance(40'000);
  EXPECT_EQ(proxy.on_tick(), 2u) << "Timer J and the housekeeping";
  EXPECT_EQ(proxy.transactions().size(), 0u);
  EXPECT_EQ(proxy.on_tick(), 0u);
}

TEST_F(ProxyTest, NatKeepalivesReachEachNatedBindingOncePerIntervalAndTheirAnswersAreDropped) {
  config.nat_keepalive_s = 25;
  register_user("1006", kAlice);                        // Contact where it sends from: no keepalive
  register_user("1012", kBob, "192.168.1.50:5062");     // behind NAT
  register_user("1013", Endpoint{IpAddr::v4(10, 201, 0, 4), 41000}, "192.168.1.51:5060");
  ASSERT_TRUE(wire.sent.empty());
  auto keepalives = [&](uint64_t ms) {
    std::map<std::string, std::vector<Sent>> to;
    for (uint64_t t = 0; t < ms; t += 100) {
      clock.advance(100);
      proxy.on_tick();
      while (!wire.sent.empty()) {
        const Sent s = wire.pop();
        to[s.dest.to_string()].push_back(s);
      }
    }
    return to;
  };
  for (int round = 0; round < 2; ++round) {
    const auto to = keepalives(25'000);
    ASSERT_EQ(to.size(), 2u) << "round " << round;
    ASSERT_EQ(to.at("10.201.0.3:5060").size(), 1u);
    ASSERT_EQ(to.at("10.201.0.4:41000").size(), 1u);
    const std::string& bytes = to.at("10.201.0.3:5060")[0].bytes;
    EXPECT_EQ(first_line(bytes), "OPTIONS sip:1012@192.168.1.50:5062 SIP/2.0");
    EXPECT_TRUE(header(bytes, parser::HeaderId::Via).starts_with("SIP/2.0/UDP 10.201.0.1:5060;branch=z9hG4bKsek"))
        << bytes;
    EXPECT_EQ(header(bytes, parser::HeaderId::To), "<sip:1012@192.168.1.50:5062>");
    EXPECT_EQ(header(bytes, parser::HeaderId::CSeq), "1 OPTIONS");
    EXPECT_EQ(first_line(to.at("10.201.0.4:41000")[0].bytes), "OPTIONS sip:1013@192.168.1.51:5060 SIP/2.0");
  }
  EXPECT_EQ(proxy.counters().keepalives_sent, 4u);
  // The NATed phone answers: the answer ends there (no transaction, nothing sent, nothing counted
  // as forwarded).
  // A loop that stalled a whole interval sends one round at once, not several.
  clock.advance(60'000);
  proxy.on_tick();
  ASSERT_EQ(wire.sent.size(), 2u);
  const Sent options = wire.pop();
  wire.pop();
  const std::string via = header(options.bytes, parser::HeaderId::Via);
  const uint64_t forwarded = proxy.counters().forwarded_responses;
  deliver("SIP/2.0 200 OK\r\nVia: " + via + "\r\nFrom: " + header(options.bytes, parser::HeaderId::From) +
              ";tag=x\r\nTo: " + header(options.bytes, parser::HeaderId::To) + ";tag=k\r\nCall-ID: " +
              header(options.bytes, parser::HeaderId::CallId) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
          options.dest);
  EXPECT_TRUE(wire.sent.empty());
  EXPECT_EQ(proxy.counters().forwarded_responses, forwarded);
}

TEST_F(ProxyTest, ByesSipedgeSendsFollowEachPartysRouteSet) {
  register_user("1012", kBob);
  // Alice's INVITE passed a proxy before sipedge; Bob's answer passed one after it.
  const Sent fwd = dial("1012", "Record-Route: <sip:10.201.0.50;lr>\r\n");
  std::string ok = response_from_bob(fwd.bytes, 200, "OK", kAnswer);
  ok.insert(ok.find("Record-Route:"), "Record-Route: <sip:core.bob.test;lr>\r\nRecord-Route: <sip:edge.bob.test;lr;ftag=x>\r\n");
  deliver(ok, kBob);
  wire.pop();
  proxy.end_all_calls("shutdown");
  const Sent bye_bob = wire.pop();
  const Sent bye_alice = wire.pop();
  EXPECT_EQ(first_line(bye_bob.bytes), "BYE sip:1012@10.201.0.3:5060 SIP/2.0");
  // Nearest first: the hop Bob's answer came through, then the one beyond it.
  EXPECT_NE(bye_bob.bytes.find("\r\nRoute: <sip:edge.bob.test;lr;ftag=x>\r\nRoute: <sip:core.bob.test;lr>\r\nMax-Forwards:"),
            std::string::npos)
      << bye_bob.bytes;
  EXPECT_EQ(bye_bob.dest, kBob) << "to the hop the answer came from";
  EXPECT_EQ(header(bye_alice.bytes, parser::HeaderId::Route), "<sip:10.201.0.50;lr>");
  EXPECT_EQ(bye_alice.dest, kAlice);
}

TEST_F(ProxyTest, A503FromDownstreamReachesTheCallerAs500) {
  const Sent fwd = place_call();
  deliver(response_from_bob(fwd.bytes, 503, "Service Unavailable"), kBob);
  EXPECT_EQ(first_line(wire.pop().bytes), "ACK sip:1012@10.201.0.3:5060 SIP/2.0");
  const Sent answer = wire.pop();
  EXPECT_EQ(answer.dest, kAlice);
  EXPECT_EQ(first_line(answer.bytes), "SIP/2.0 500 Server Internal Error");
  expect_no_state();
}

TEST_F(ProxyTest, A2xxRetransmittedAfterItsTransactionCarriesTheSdpSipedgeWroteNotTheCallees) {
  const Sent fwd = place_call();
  const std::string ok = response_from_bob(fwd.bytes, 200, "OK", kAnswer);
  deliver(ok, kBob);
  const Sent first = wire.pop();
  ASSERT_EQ(first_line(first.bytes), "SIP/2.0 200 OK");
  // Long after the client transaction is gone (RFC 6026 Timer M), Bob resends it.
  advance(40'000);
  deliver(ok, kBob);
  const Sent again = wire.pop();
  EXPECT_EQ(again.dest, kAlice);
  EXPECT_EQ(first_line(again.bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(body_of(again.bytes), body_of(first.bytes));
  EXPECT_EQ(body_of(again.bytes).find("10.201.0.3"), std::string::npos);
  EXPECT_EQ(proxy.counters().stateless_responses, 1u);
  // 64*T1 after its context ended, sipedge lets go of the SDP it wrote: even a peer with twice
  // our T1 has stopped by then. What still comes is dropped, not passed on with Bob's addresses.
  advance(40'000);
  const uint64_t dropped_late = proxy.counters().dropped_responses;
  deliver(ok, kBob);
  EXPECT_TRUE(wire.sent.empty());
  EXPECT_EQ(proxy.counters().dropped_responses, dropped_late + 1);
  // With no call to take the SDP from, such a response is dropped, not passed on as it is.
  std::string stray = ok;
  stray.replace(stray.find("Call-ID: call-1"), 15, "Call-ID: call-9");
  const uint64_t dropped = proxy.counters().dropped_responses;
  deliver(stray, kBob);
  EXPECT_TRUE(wire.sent.empty());
  EXPECT_EQ(proxy.counters().dropped_responses, dropped + 1);
}

TEST_F(ProxyTest, OnlyAContactStraightFromItsUaIsNatFixed) {
  register_user("1012", kBob);
  config.trusted = {*IpPrefix::parse("10.201.0.50/32")};
  const Endpoint upstream{IpAddr::v4(10, 201, 0, 50), 5060};
  auto request = [&](const std::string& vias, const std::string& call_id) {
    return "INVITE sip:1012@sipedge.test SIP/2.0\r\n" + vias + "Max-Forwards: 70\r\n"
           "From: <sip:1006@sipedge.test>;tag=a1\r\nTo: <sip:1012@sipedge.test>\r\nCall-ID: " + call_id +
           "\r\nCSeq: 1 INVITE\r\nContact: <sip:1006@10.201.0.2:5060>\r\nContent-Type: application/sdp\r\n"
           "Content-Length: " + std::to_string(kOffer.size()) + "\r\n\r\n" + kOffer;
  };
  // Through an upstream proxy (two Vias): the Contact is reached through it, and stays as written.
  deliver(request("Via: SIP/2.0/UDP 10.201.0.50;branch=z9hG4bKp1\r\nVia: SIP/2.0/UDP 10.201.0.2;branch=z9hG4bKa1\r\n",
                  "via-proxy"),
          upstream);
  wire.pop();
  EXPECT_EQ(header(wire.pop().bytes, parser::HeaderId::Contact), "<sip:1006@10.201.0.2:5060>");
  // Straight from a UA behind NAT (one Via): the Contact names where its packets come from.
  deliver(request("Via: SIP/2.0/UDP 10.201.0.2;branch=z9hG4bKa2\r\n", "direct"), upstream);
  wire.pop();
  EXPECT_EQ(header(wire.pop().bytes, parser::HeaderId::Contact), "<sip:1006@10.201.0.50:5060>");
}

}  // namespace
}  // namespace sipedge::control
