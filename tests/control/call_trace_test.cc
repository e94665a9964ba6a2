// tests/control/call_trace_test.cc — test thread. Pins control/api/call_trace.cc and
// parser::find_header_value: the ladder of a call through the proxy lists what was received and
// sent, in order, with addresses and SDP marks; traces are bounded per call and in number of calls.
#include "control/api/call_trace.h"

#include <gtest/gtest.h>

#include <random>

#include "parser/headers.h"
#include "tests/control/proxy_fixture.h"

namespace sipedge::control::testing {
namespace {

TEST(FindHeaderValue, CaseInsensitiveCompactTrimmedAndOnlyInTheHead) {
  const std::string m = "INVITE sip:a SIP/2.0\r\ncall-id :  abc@h \r\nc: application/sdp\r\nX: 1\r\n\r\nCall-ID: body";
  EXPECT_EQ(parser::find_header_value(m, "Call-ID", 'i'), "abc@h");
  EXPECT_EQ(parser::find_header_value(m, "Content-Type", 'c'), "application/sdp");
  EXPECT_EQ(parser::find_header_value(m, "Subject", 's'), "");
  EXPECT_EQ(parser::find_header_value("SIP/2.0 200 OK\r\ni: short\r\n\r\n", "Call-ID", 'i'), "short");
  EXPECT_EQ(parser::find_header_value("OPTIONS x SIP/2.0\r\nCall-IDx: no\r\n\r\n", "Call-ID", 'i'), "");
  EXPECT_EQ(parser::find_header_value("OPTIONS x SIP/2.0\nCSeq: 1 OPTIONS\nI: bare-lf\n\n", "Call-ID", 'i'), "bare-lf");
  EXPECT_EQ(parser::find_header_value("OPTIONS x SIP/2.0", "Call-ID", 'i'), "");
}

class CallTraceTest : public ProxyTest {};

TEST_F(CallTraceTest, LadderOfACallThroughTheProxy) {
  CallTrace trace(10, config.interfaces, clock);
  wire.set_tap(&trace);
  register_user("1012", kBob);
  // The fixture's deliver() does not pass the tap; feed received messages to it the way the
  // control loop does.
  auto receive = [&](const std::string& bytes, const Endpoint& from) {
    parser::Message m;
    ASSERT_EQ(parser::HandScanner().scan(bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
    const Inbound in{m, from, {IpAddr::v4(10, 201, 0, 1), 5060}, 0};
    trace.received(in);
    proxy.on_message(in);
  };
  const std::string inv = invite("", 1, "z9hG4bKt1", "1012");
  receive(inv, kAlice);
  const nlohmann::json l = trace.ladder("call-1");
  ASSERT_TRUE(l.contains("messages")) << l.dump();
  std::vector<std::string> lines;
  for (const auto& m : l["messages"]) lines.push_back(m["from"].get<std::string>() + " -> " + m["to"].get<std::string>() + " " +
                                                      m["line"].get<std::string>() + (m["sdp"].get<bool>() ? " +SDP" : ""));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "10.201.0.2:5060 -> 10.201.0.1:5060 INVITE sip:1012@sipedge.test SIP/2.0 +SDP",
                       "10.201.0.1:5060 -> 10.201.0.2:5060 SIP/2.0 407 Proxy Authentication Required",
                   }));
  EXPECT_TRUE(trace.ladder("nope").contains("error"));
  wire.set_tap(nullptr);
}

TEST_F(CallTraceTest, BoundedPerCallAndInCalls) {
  CallTrace trace(2, config.interfaces, clock);
  auto msg = [](const std::string& call_id) {
    return "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\nCall-ID: " + call_id + "\r\nCSeq: 1 BYE\r\n\r\n";
  };
  for (size_t i = 0; i < CallTrace::kMaxMessages + 5; ++i) trace.sent(0, kAlice, msg("a"), {});
  EXPECT_EQ(trace.ladder("a")["messages"].size(), CallTrace::kMaxMessages);
  trace.sent(0, kAlice, msg("b"), {});
  trace.sent(0, kAlice, msg("c"), {});  // the third Call-ID: "a" (oldest) is forgotten
  EXPECT_EQ(trace.calls(), 2u);
  EXPECT_TRUE(trace.ladder("a").contains("error"));
  EXPECT_EQ(trace.ladder("c")["messages"].size(), 1u);  // "a"'s ladder, reused, holds only "c"'s message
  EXPECT_EQ(trace.ladder("c")["messages"][0]["line"], "SIP/2.0 200 OK");
  EXPECT_EQ(trace.ladder("b")["messages"].size(), 1u);
  // The SDP mark of a sent message: its body is a session description.
  trace.sent(0, kAlice, "SIP/2.0 200 OK\r\ni: d\r\nContent-Type: application/sdp\r\n\r\nv=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n", {});
  trace.sent(0, kAlice, "BYE sip:x SIP/2.0\nCall-ID: d\nContent-Length: 0\n\n", {});
  trace.sent(0, kAlice, "INFO sip:x SIP/2.0\r\nCall-ID: d\r\n\r\nSignal=1\r\n\r\nDuration=160\r\n", {});
  const nlohmann::json d = trace.ladder("d")["messages"];
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0]["sdp"], true);
  EXPECT_EQ(d[1]["sdp"], false);
  EXPECT_EQ(d[1]["line"], "BYE sip:x SIP/2.0");
  EXPECT_EQ(d[2]["sdp"], false);
  CallTrace off(0, config.interfaces, clock);
  off.sent(0, kAlice, msg("a"), {});
  EXPECT_EQ(off.calls(), 0u);
  // One call kept: each new Call-ID takes over the ladder the message before it went to.
  CallTrace one(1, config.interfaces, clock);
  for (const char* id : {"a", "a", "b", "a", "a", "c"}) one.sent(0, kAlice, msg(id), {});
  EXPECT_EQ(one.calls(), 1u);
  EXPECT_TRUE(one.ladder("a").contains("error"));
  EXPECT_TRUE(one.ladder("b").contains("error"));
  EXPECT_EQ(one.ladder("c")["messages"].size(), 1u);
  one.sent(0, kAlice, msg("c"), {});
  EXPECT_EQ(one.ladder("c")["messages"].size(), 2u);
}


// The SDP mark of a sent message is read off its last part, found from the end of the bytes. Held to
// a plain reading over 20 000 random messages: the body is what follows the last "\n\n" or
// "\n\r\n", and it is SDP when it starts with "v=". Lines end in CRLF or LF, bodies may hold blank
// lines of their own, and the blank line falls at every offset from the start and the end.
TEST_F(CallTraceTest, TheSdpMarkFollowsTheLastBlankLineWhereverItFalls) {
  CallTrace trace(1, config.interfaces, clock);
  std::mt19937 rng(1407);
  auto pick = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
  const std::string pieces[] = {"\r\n", "\n", "\r", "v=", "v=0", "a", "xyz:1", " ", "\r\n\r\n", "\n\n", "\n\r\n"};
  unsigned sdp_marks = 0;
  for (int round = 0; round < 20000; ++round) {
    // One in four: a few pieces alone (the Call-ID given), so short texts are read too.
    const bool bare = pick(4) == 0;
    std::string m = bare ? "" : "INFO sip:x SIP/2.0\nCall-ID: r\n";
    for (unsigned i = pick(24); i > 0; --i) m += pieces[pick(std::size(pieces))];
    const size_t lf = m.rfind("\n\n"), crlf = m.rfind("\n\r\n");
    size_t body = std::string::npos;
    if (lf != std::string::npos) body = lf + 2;
    if (crlf != std::string::npos && (body == std::string::npos || crlf + 3 > body)) body = crlf + 3;
    const bool sdp = body != std::string::npos && std::string_view(m).substr(body).starts_with("v=");
    trace.sent(0, kAlice, m, bare ? "r" : std::string_view{});
    const nlohmann::json messages = trace.ladder("r")["messages"];
    ASSERT_EQ(messages.back()["sdp"], sdp) << "round " << round << ": " << nlohmann::json(m).dump();
    sdp_marks += sdp;
    if (messages.size() == CallTrace::kMaxMessages) trace.sent(0, kAlice, "INFO sip:x SIP/2.0\nCall-ID: other\n\n", {});
  }
  EXPECT_GT(sdp_marks, 1000u);  // both answers are common
}

}  // namespace
}  // namespace sipedge::control::testing
