// tests/control/session_timer_test.cc — pins control/proxy/session_timer.cc and its use by the
// proxy (RFC 4028): 422 below Min-SE, Session-Expires inserted or lowered and Min-SE raised on the
// way out, a 2xx completed for a UAC that supports timers when the UAS does not, and a call whose
// refresh does not come ended with BYE both ways and a CDR saying why; a refresh keeps it.
#include "control/proxy/session_timer.h"

#include <deque>

#include "tests/control/proxy_fixture.h"

namespace sipedge::control {
namespace {

using namespace sipedge::control::testing;

// Each scanned message keeps its bytes for the rest of the test program: the index points into them.
parser::Message scan(const std::string& headers) {
  static std::deque<std::string> kept;
  const std::string& bytes = kept.emplace_back("INVITE sip:a@x SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:b@x>;tag=1\r\n"
          "To: <sip:a@x>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n" +
          headers + "Content-Length: 0\r\n\r\n");
  parser::Message m;
  EXPECT_EQ(parser::HandScanner().scan(bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  return m;
}

TEST(SessionTimerPlan, ReadsTheHeadersAndDecidesWhatTheProxyWrites) {
  const parser::Message m = scan("Session-Expires: 1800;refresher=uac\r\nMin-SE: 120\r\nSupported: 100rel, timer\r\n");
  ASSERT_TRUE(session_expires(m).has_value());
  EXPECT_EQ(session_expires(m)->interval_s, 1800u);
  EXPECT_EQ(session_expires(m)->refresher, "uac");
  EXPECT_EQ(min_se(m), 120u);
  EXPECT_TRUE(supports(m, "timer"));
  EXPECT_TRUE(supports(m, "100rel"));
  EXPECT_FALSE(supports(m, "replaces"));
  EXPECT_EQ(session_expires(scan("Session-Expires: soon\r\n")), std::nullopt);

  // Within policy: passed as it is.
  RequestTimerEdit e = plan_request_timer(m, {3600, 90});
  EXPECT_FALSE(e.too_small);
  EXPECT_EQ(e.interval_s, 1800u);
  EXPECT_EQ(e.session_expires, 0u);
  EXPECT_EQ(e.min_se, 0u);
  // Longer than sipedge wants: lowered, never below the request's own Min-SE.
  e = plan_request_timer(m, {600, 90});
  EXPECT_EQ(e.session_expires, 600u);
  e = plan_request_timer(scan("Session-Expires: 1800\r\nMin-SE: 900\r\n"), {600, 90});
  EXPECT_EQ(e.session_expires, 900u);
  // Below sipedge's minimum: 422.
  EXPECT_TRUE(plan_request_timer(scan("Session-Expires: 60\r\n"), {0, 90}).too_small);
  // None asked: inserted when configured, with Min-SE.
  e = plan_request_timer(scan(""), {1800, 90});
  EXPECT_EQ(e.session_expires, 1800u);
  EXPECT_EQ(e.min_se, 90u);
  EXPECT_EQ(e.interval_s, 1800u);
  e = plan_request_timer(scan(""), {0, 90});
  EXPECT_EQ(e.interval_s, 0u);
  EXPECT_EQ(e.session_expires, 0u);
  EXPECT_EQ(e.min_se, 0u);
}

class SessionTimerTest : public ProxyTest {
 protected:
  void SetUp() override {
    ProxyTest::SetUp();
    register_user("1012", kBob);
  }
};

TEST_F(SessionTimerTest, AnIntervalBelowMinSeIsRefusedWith422) {
  const Sent answer = dial("1012", "Session-Expires: 30\r\nSupported: timer\r\n");
  EXPECT_EQ(answer.dest, kAlice);
  EXPECT_EQ(first_line(answer.bytes), "SIP/2.0 422 Session Interval Too Small");
  EXPECT_EQ(header(answer.bytes, parser::HeaderId::MinSE), "90");
  expect_no_state();
}

TEST_F(SessionTimerTest, SipedgeInsertsItsIntervalAndCompletesTheAnswerOfAUasWithoutTimers) {
  config.session_expires_s = 1800;
  const Sent fwd = dial("1012", "Supported: timer\r\n");
  EXPECT_EQ(header(fwd.bytes, parser::HeaderId::SessionExpires), "1800");
  EXPECT_EQ(header(fwd.bytes, parser::HeaderId::MinSE), "90");
  deliver(response_from_bob(fwd.bytes, 200, "OK", kAnswer), kBob);
  const Sent ok = wire.pop();
  EXPECT_EQ(header(ok.bytes, parser::HeaderId::SessionExpires), "1800;refresher=uac");
  EXPECT_EQ(header(ok.bytes, parser::HeaderId::Require), "timer");
  const Call* call = call_of("call-1");
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->session_interval_s, 1800u);
}

TEST_F(SessionTimerTest, AnUnrefreshedSessionEndsWithByeBothWays) {
  const Sent fwd = dial("1012", "Session-Expires: 120;refresher=uac\r\nSupported: timer\r\n");
  EXPECT_EQ(header(fwd.bytes, parser::HeaderId::SessionExpires), "120;refresher=uac");
  std::string ok = response_from_bob(fwd.bytes, 200, "OK", kAnswer);
  ok.insert(ok.find("Content-Type:"), "Session-Expires: 120;refresher=uac\r\nRequire: timer\r\n");
  deliver(ok, kBob);
  EXPECT_EQ(header(wire.pop().bytes, parser::HeaderId::SessionExpires), "120;refresher=uac");
  advance(119'000);
  EXPECT_TRUE(wire.sent.empty());
  EXPECT_EQ(proxy.calls().size(), 1u);
  advance(2'000);
  const Sent bye_bob = wire.pop();
  const Sent bye_alice = wire.pop();
  EXPECT_EQ(first_line(bye_bob.bytes), "BYE sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(first_line(bye_alice.bytes), "BYE sip:1006@10.201.0.2:5060 SIP/2.0");
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_NE(cdrs[0].find("\"end_reason\":\"session timer expired\""), std::string::npos) << cdrs[0];
  EXPECT_EQ(proxy.counters().session_expiries, 1u);
  expect_no_state();
}

TEST_F(SessionTimerTest, AReinviteRefreshKeepsTheSession) {
  const Sent fwd = dial("1012", "Session-Expires: 120;refresher=uac\r\nSupported: timer\r\n");
  std::string ok = response_from_bob(fwd.bytes, 200, "OK", kAnswer);
  ok.insert(ok.find("Content-Type:"), "Session-Expires: 120;refresher=uac\r\n");
  deliver(ok, kBob);
  const Sent ok_at_alice = wire.pop();
  advance(100'000);
  // Alice refreshes with a re-INVITE along the route set.
  const std::string route = header(ok_at_alice.bytes, parser::HeaderId::RecordRoute);
  const std::string reinvite =
      "INVITE sip:1012@10.201.0.3:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKrefresh;rport\r\n"
      "Max-Forwards: 70\r\nRoute: " + route + "\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\n"
      "To: <sip:1012@sipedge.test>;tag=b1\r\nCall-ID: call-1\r\nCSeq: 3 INVITE\r\nContact: <sip:1006@10.201.0.2:5060>\r\n"
      "Session-Expires: 120;refresher=uac\r\nSupported: timer\r\nContent-Type: application/sdp\r\nContent-Length: " +
      std::to_string(kOffer.size()) + "\r\n\r\n" + kOffer;
  deliver(reinvite, kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 100 Trying");
  const Sent fwd2 = wire.pop();
  ASSERT_EQ(fwd2.dest, kBob);
  std::string ok2 = response_from_bob(fwd2.bytes, 200, "OK", kAnswer);
  ok2.insert(ok2.find("Content-Type:"), "Session-Expires: 120;refresher=uac\r\n");
  deliver(ok2, kBob);
  wire.pop();
  advance(100'000);  // 200 s after the answer, 100 s after the refresh
  EXPECT_EQ(proxy.calls().size(), 1u);
  EXPECT_EQ(proxy.counters().session_expiries, 0u);
  advance(25'000);
  EXPECT_EQ(proxy.counters().session_expiries, 1u);
}

}  // namespace
}  // namespace sipedge::control
