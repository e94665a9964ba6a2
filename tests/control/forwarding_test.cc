// tests/control/forwarding_test.cc — pins control/proxy/targets.cc: call forwarding on busy, no
// answer (the ring time CANCELs the branch) and unconditionally, with Diversion (RFC 5806) and
// History-Info (RFC 7044); its depth limit and loop refusal; ring timeouts that move on to the next
// target; recursion on 3xx Contacts in q order within the caller's policy, and redirect = "pass".
#include "tests/control/proxy_fixture.h"

namespace sipedge::control {
namespace {

using namespace sipedge::control::testing;

const Endpoint kCarol{IpAddr::v4(10, 201, 0, 4), 5060};  // 1013, access side
const Endpoint kTrunk2{IpAddr::v4(10, 202, 0, 3), 5060};

class ForwardingTest : public ProxyTest {
 protected:
  UserConfig& bob() { return config.users[1]; }
  UserConfig& carol() { return config.users[2]; }

  std::string response(const Sent& request, int status, const std::string& reason, const std::string& tag,
                       const std::string& contact, const std::string& body = "") {
    return response_to(request.bytes, status, reason, tag, contact, body);
  }
  // The proxy's hop-by-hop ACK for a non-2xx final answer.
  void expect_ack(const std::string& request_uri) { EXPECT_EQ(first_line(wire.pop().bytes), "ACK " + request_uri + " SIP/2.0"); }
  // `response` with its Contact header replaced by `contacts`.
  static std::string with_contacts(std::string response, const std::string& contacts) {
    const size_t at = response.find("\r\nContact: ") + 2;
    const size_t end = response.find("\r\n", at);
    return response.replace(at, end - at, "Contact: " + contacts);
  }
  void hang_up() {
    proxy.end_all_calls("test over");
    expect_no_state();
  }
};

TEST_F(ForwardingTest, BusyUserIsForwardedWithDiversionAndTheCallAnchorsOnTheNewCallee) {
  bob().forward.busy = "sip:1013@sipedge.test";
  register_user("1013", kCarol);
  const Sent to_bob = place_call();
  ASSERT_EQ(to_bob.dest, kBob);
  deliver(response(to_bob, 486, "Busy Here", "b1", "sip:1012@10.201.0.3:5060"), kBob);
  expect_ack("sip:1012@10.201.0.3:5060");
  const Sent to_carol = wire.pop();
  EXPECT_TRUE(wire.sent.empty()) << "Alice hears nothing of Bob's 486";
  EXPECT_EQ(to_carol.dest, kCarol);
  EXPECT_EQ(first_line(to_carol.bytes), "INVITE sip:1013@10.201.0.4:5060 SIP/2.0");
  EXPECT_EQ(header(to_carol.bytes, parser::HeaderId::Diversion), "<sip:1012@sipedge.test>;reason=user-busy;counter=1");
  EXPECT_EQ(header(to_carol.bytes, parser::HeaderId::CallId), "call-1");
  EXPECT_NE(header(to_carol.bytes, parser::HeaderId::Via), header(to_bob.bytes, parser::HeaderId::Via));
  EXPECT_NE(body_of(to_carol.bytes).find("c=IN IP4 10.201.0.1"), std::string::npos);

  deliver(response(to_carol, 180, "Ringing", "c1", "sip:1013@10.201.0.4:5060"), kCarol);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 180 Ringing");
  deliver(response(to_carol, 200, "OK", "c1", "sip:1013@10.201.0.4:5060", kAnswer), kCarol);
  const Sent ok = wire.pop();
  EXPECT_EQ(ok.dest, kAlice);
  EXPECT_EQ(first_line(ok.bytes), "SIP/2.0 200 OK");
  EXPECT_NE(body_of(ok.bytes).find("c=IN IP4 10.201.0.1"), std::string::npos);
  const Call* call = call_of("call-1");
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->callee.peer, kCarol);
  EXPECT_EQ(call->callee.tag(), "c1");
  EXPECT_EQ(relay.size(), 2u);
  EXPECT_EQ(proxy.counters().calls_forwarded, 1u);
  hang_up();
}

TEST_F(ForwardingTest, RingingPastTheNoAnswerTimeCancelsTheBranchAndForwards) {
  bob().forward.no_answer = "sip:1013@sipedge.test";
  bob().forward.no_answer_s = 5;
  register_user("1013", kCarol);
  const Sent to_bob = place_call();
  deliver(response(to_bob, 180, "Ringing", "b1", "sip:1012@10.201.0.3:5060"), kBob);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 180 Ringing");
  advance(4'900);
  EXPECT_TRUE(wire.sent.empty());
  advance(200);
  const Sent cancel = wire.pop();
  EXPECT_EQ(first_line(cancel.bytes), "CANCEL sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(cancel.dest, kBob);
  deliver(response(to_bob, 487, "Request Terminated", "b1", "sip:1012@10.201.0.3:5060"), kBob);
  expect_ack("sip:1012@10.201.0.3:5060");
  const Sent to_carol = wire.pop();
  EXPECT_TRUE(wire.sent.empty()) << "Alice hears no 487: she did not cancel";
  EXPECT_EQ(first_line(to_carol.bytes), "INVITE sip:1013@10.201.0.4:5060 SIP/2.0");
  EXPECT_EQ(header(to_carol.bytes, parser::HeaderId::Diversion), "<sip:1012@sipedge.test>;reason=no-answer;counter=1");
  EXPECT_EQ(proxy.counters().ring_timeouts, 1u);
  // Carol is busy and has no forwarding: Alice gets Carol's answer, not a 408 sipedge made up.
  deliver(response(to_carol, 486, "Busy Here", "c1", "sip:1013@10.201.0.4:5060"), kCarol);
  expect_ack("sip:1013@10.201.0.4:5060");
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 486 Busy Here");
  expect_no_state();
}

TEST_F(ForwardingTest, TimerCMovesToTheNextTargetAndOnlyTheLastOneEndsIn408) {
  config.timer_c_s = 10;
  const Sent first = dial("+8613800000000");
  ASSERT_EQ(first.dest, kTrunk);
  deliver(response(first, 180, "Ringing", "t1", "sip:gw@10.202.0.2:5060"), kTrunk, 1);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 180 Ringing");
  advance(10'100);
  EXPECT_EQ(first_line(wire.pop().bytes), "CANCEL sip:+8613800000000@sipedge.test SIP/2.0");
  deliver(response(first, 487, "Request Terminated", "t1", "sip:gw@10.202.0.2:5060"), kTrunk, 1);
  expect_ack("sip:+8613800000000@sipedge.test");
  const Sent second = wire.pop();
  EXPECT_EQ(second.dest, kTrunk2);
  EXPECT_EQ(first_line(second.bytes), "INVITE sip:+8613800000000@sipedge.test SIP/2.0");
  EXPECT_EQ(header(second.bytes, parser::HeaderId::Diversion), "") << "a ring timeout is not a diversion";
  // The second trunk rings too, and ignores the CANCEL: after 64*T1 it is dropped.
  deliver(response(second, 180, "Ringing", "t2", "sip:gw@10.202.0.3:5060"), kTrunk2, 1);
  wire.pop();
  advance(10'100);
  EXPECT_EQ(first_line(wire.pop().bytes), "CANCEL sip:+8613800000000@sipedge.test SIP/2.0");
  Sent last;
  advance(33'000);
  while (!wire.sent.empty()) last = wire.pop();  // CANCEL retransmissions, then the answer
  EXPECT_EQ(first_line(last.bytes), "SIP/2.0 408 Request Timeout");
  EXPECT_EQ(last.dest, kAlice);
  EXPECT_EQ(proxy.counters().ring_timeouts, 2u);
  expect_no_state();
}

TEST_F(ForwardingTest, EachProvisionalRestartsTimerC) {
  config.timer_c_s = 10;
  const Sent first = dial("+8613800000000");
  deliver(response(first, 180, "Ringing", "t1", "sip:gw@10.202.0.2:5060"), kTrunk, 1);
  wire.pop();
  advance(8'000);
  // 183 at 8 s: Timer C starts again, so nothing happens at the first deadline (10 s).
  deliver(response(first, 183, "Session Progress", "t1", "sip:gw@10.202.0.2:5060"), kTrunk, 1);
  wire.pop();
  advance(4'000);
  EXPECT_TRUE(wire.sent.empty()) << first_line(wire.pop().bytes);
  EXPECT_EQ(proxy.counters().ring_timeouts, 0u);
  advance(6'100);  // 18.1 s: 10 s after the 183
  EXPECT_EQ(first_line(wire.pop().bytes), "CANCEL sip:+8613800000000@sipedge.test SIP/2.0");
  EXPECT_EQ(proxy.counters().ring_timeouts, 1u);
}

TEST_F(ForwardingTest, UnconditionalForwardingNeverRingsTheUser) {
  bob().forward.unconditional = "sip:1013@sipedge.test";
  register_user("1013", kCarol);
  const Sent to_carol = place_call();
  EXPECT_EQ(to_carol.dest, kCarol);
  EXPECT_EQ(first_line(to_carol.bytes), "INVITE sip:1013@10.201.0.4:5060 SIP/2.0");
  EXPECT_EQ(header(to_carol.bytes, parser::HeaderId::Diversion), "<sip:1012@sipedge.test>;reason=unconditional;counter=1");
  deliver(response(to_carol, 486, "Busy Here", "c1", "sip:1013@10.201.0.4:5060"), kCarol);
  expect_ack("sip:1013@10.201.0.4:5060");
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 486 Busy Here");
  expect_no_state();
}

TEST_F(ForwardingTest, ChainsCarryEveryDiversionMostRecentFirst) {
  bob().forward.busy = "sip:1013@sipedge.test";
  carol().forward.unconditional = "sip:+4930123@sipedge.test";
  register_user("1013", kCarol);
  const Sent to_bob = place_call();
  deliver(response(to_bob, 486, "Busy Here", "b1", "sip:1012@10.201.0.3:5060"), kBob);
  expect_ack("sip:1012@10.201.0.3:5060");
  const Sent to_trunk = wire.pop();
  EXPECT_EQ(to_trunk.dest, kTrunk);
  EXPECT_EQ(first_line(to_trunk.bytes), "INVITE sip:+4930123@sipedge.test SIP/2.0");
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(to_trunk.bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  EXPECT_EQ(m.value(parser::HeaderId::Diversion),
            "<sip:1013@sipedge.test>;reason=unconditional;counter=1, <sip:1012@sipedge.test>;reason=user-busy;counter=1");
  EXPECT_EQ(diversion_count(m), 2u);
  EXPECT_NE(body_of(to_trunk.bytes).find("c=IN IP4 10.202.0.1"), std::string::npos) << "media moved to the core side";
  EXPECT_EQ(media.ports_in_use(0), 2u) << "only the caller's pair is left on the access side";
  EXPECT_EQ(proxy.counters().calls_forwarded, 2u);
  deliver(response(to_trunk, 404, "Not Found", "t1", "sip:gw@10.202.0.2:5060"), kTrunk, 1);
  expect_ack("sip:+4930123@sipedge.test");
  wire.pop();  // the second next hop of the route
}

TEST_F(ForwardingTest, ForwardingLoopsAreRefusedWith482) {
  bob().forward.unconditional = "sip:1013@sipedge.test";
  carol().forward.unconditional = "sip:1012@sipedge.test";
  const Sent answer = place_call();
  EXPECT_EQ(answer.dest, kAlice);
  EXPECT_EQ(first_line(answer.bytes), "SIP/2.0 482 Loop Detected: Call Forwarding");
  EXPECT_EQ(proxy.counters().forward_refused, 1u);
  expect_no_state();
}

TEST_F(ForwardingTest, ARequestThatWasDivertedTooOftenIsNotForwardedAgain) {
  bob().forward.busy = "sip:1013@sipedge.test";
  register_user("1013", kCarol);
  register_user("1012", kBob);
  const Sent to_bob = dial("1012", "Diversion: <sip:77@elsewhere.test>;reason=unconditional;counter=5\r\n");
  ASSERT_EQ(to_bob.dest, kBob);
  deliver(response(to_bob, 486, "Busy Here", "b1", "sip:1012@10.201.0.3:5060"), kBob);
  expect_ack("sip:1012@10.201.0.3:5060");
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 486 Busy Here");
  EXPECT_EQ(proxy.counters().forward_refused, 1u);
  EXPECT_EQ(proxy.counters().calls_forwarded, 0u);
  expect_no_state();
}

TEST_F(ForwardingTest, RoutesThatAskForItGetHistoryInfo) {
  bob().forward.busy = "sip:+4930123@sipedge.test";
  config.routes[0].history_info = true;
  const Sent to_bob = place_call();
  deliver(response(to_bob, 486, "Busy Here", "b1", "sip:1012@10.201.0.3:5060"), kBob);
  expect_ack("sip:1012@10.201.0.3:5060");
  const Sent to_trunk = wire.pop();
  EXPECT_EQ(header(to_trunk.bytes, parser::HeaderId::Diversion), "<sip:1012@sipedge.test>;reason=user-busy;counter=1");
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(to_trunk.bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  const parser::HeaderField* h = m.find_by_name("History-Info");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(m.text(h->value),
            "<sip:1012@sipedge.test?Reason=SIP%3Bcause%3D486%3Btext%3D%22Busy%20Here%22>;index=1, "
            "<sip:+4930123@sipedge.test;cause=486>;index=1.1;mp=1");
}

TEST_F(ForwardingTest, RedirectContactsAreTriedInQOrderWithinTheCallersPolicy) {
  register_user("1013", kCarol);
  const Sent first = dial("+8613800000000");
  deliver(with_contacts(response(first, 302, "Moved Temporarily", "t1", "x"),
                        "<sip:+4940@10.202.0.9>;q=0.5, <sip:1013@sipedge.test>;q=0.9, <sip:10.202.0.1:5060>"),
          kTrunk, 1);
  expect_ack("sip:+8613800000000@sipedge.test");
  const Sent to_carol = wire.pop();
  EXPECT_EQ(to_carol.dest, kCarol) << "q=0.9 first; sipedge's own address (q=1.0) is never a target";
  EXPECT_EQ(first_line(to_carol.bytes), "INVITE sip:1013@10.201.0.4:5060 SIP/2.0");
  EXPECT_TRUE(wire.sent.empty()) << "the 302 is not an answer for Alice";
  EXPECT_NE(body_of(to_carol.bytes).find("c=IN IP4 10.201.0.1"), std::string::npos) << "media moved to the access side";
  EXPECT_EQ(media.ports_in_use(1), 0u);
  deliver(response(to_carol, 486, "Busy Here", "c1", "sip:1013@10.201.0.4:5060"), kCarol);
  expect_ack("sip:1013@10.201.0.4:5060");
  const Sent to_trunk = wire.pop();
  EXPECT_EQ(to_trunk.dest, kTrunk);
  EXPECT_EQ(first_line(to_trunk.bytes), "INVITE sip:+4940@10.202.0.9 SIP/2.0");
  EXPECT_EQ(proxy.counters().redirects_followed, 1u);
}

TEST_F(ForwardingTest, ARedirectIntoAddressesTheCallerMayNotReachIsRelayedNotFollowed) {
  const Sent first = dial("+8613800000000");
  deliver(with_contacts(response(first, 302, "Moved Temporarily", "t1", "x"),
                        "<sip:10.202.0.77>, <sip:10.202.0.1:5060>, <tel:+4940>"),
          kTrunk, 1);
  expect_ack("sip:+8613800000000@sipedge.test");
  EXPECT_EQ(proxy.counters().redirects_refused, 1u);
  // Not followed: the 302 is a candidate answer, and the route's second next hop is tried.
  const Sent second = wire.pop();
  EXPECT_EQ(second.dest, kTrunk2);
  deliver(response(second, 503, "Service Unavailable", "t2", "sip:gw@10.202.0.3:5060"), kTrunk2, 1);
  expect_ack("sip:+8613800000000@sipedge.test");
  const Sent answer = wire.pop();
  EXPECT_EQ(answer.dest, kAlice);
  EXPECT_EQ(first_line(answer.bytes), "SIP/2.0 302 Moved Temporarily");
  EXPECT_EQ(header(answer.bytes, parser::HeaderId::Contact), "<sip:10.202.0.77>, <sip:10.202.0.1:5060>, <tel:+4940>");
  expect_no_state();
}

TEST_F(ForwardingTest, RoutesWithRedirectPassRelayTheirThreeHundreds) {
  register_user("1013", kCarol);
  config.routes[0].redirect = RouteConfig::Redirect::Pass;
  const Sent first = dial("+8613800000000");
  deliver(with_contacts(response(first, 302, "Moved Temporarily", "t1", "x"), "<sip:1013@sipedge.test>"), kTrunk, 1);
  expect_ack("sip:+8613800000000@sipedge.test");
  const Sent second = wire.pop();
  EXPECT_EQ(second.dest, kTrunk2) << "serial forking goes on; the Contact is not followed";
  EXPECT_EQ(proxy.counters().redirects_followed, 0u);
}

TEST_F(ForwardingTest, RedirectsStopAfterMaxRedirects) {
  config.max_redirects = 1;
  register_user("1013", kCarol);
  const Sent first = dial("+8613800000000");
  deliver(with_contacts(response(first, 302, "Moved Temporarily", "t1", "x"), "<sip:1013@sipedge.test>"), kTrunk, 1);
  expect_ack("sip:+8613800000000@sipedge.test");
  const Sent to_carol = wire.pop();
  deliver(with_contacts(response(to_carol, 302, "Moved Temporarily", "c1", "x"), "<sip:+4950@sipedge.test>"), kCarol);
  expect_ack("sip:1013@10.201.0.4:5060");
  const Sent next = wire.pop();
  EXPECT_EQ(next.dest, kTrunk2) << "no second recursion: the first 302's remaining target goes next";
}

TEST(Diversion, CountsEveryEntrysCounterAndABadEntryAsOne) {
  const std::string msg =
      "INVITE sip:a@x SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:b@x>;tag=1\r\n"
      "To: <sip:a@x>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
      "Diversion: <sip:u1@x>;reason=user-busy;counter=3, <sip:u2@x>;privacy=full\r\n"
      "Diversion: not a name-addr\r\nDiversion: <sip:u3@x>;counter=junk\r\nContent-Length: 0\r\n\r\n";
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(msg, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  EXPECT_EQ(diversion_count(m), 6u);
  EXPECT_EQ(diversion_entry("sip:1012@sipedge.test", DiversionReason::NoAnswer),
            "<sip:1012@sipedge.test>;reason=no-answer;counter=1");
}

TEST(Diversion, HistoryInfoContinuesTheIndicesARequestArrivedWith) {
  const std::string msg =
      "INVITE sip:a@x SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:b@x>;tag=1\r\n"
      "To: <sip:a@x>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
      "History-Info: <sip:a@x>;index=1, <sip:a@10.0.0.9>;index=1.2\r\nContent-Length: 0\r\n\r\n";
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(msg, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  EXPECT_EQ(history_info_entries(m, "sip:a@x", "sip:c@x", DiversionReason::UserBusy),
            "<sip:c@x;cause=486>;index=1.2.1;mp=1.2");
}

}  // namespace
}  // namespace sipedge::control
