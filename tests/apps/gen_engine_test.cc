// tests/apps/gen_engine_test.cc — sipedge-gen's call engine, RTP accounting and SIP text, without
// ports: a scripted sipedge answers the caller and calls the callee, and RTP is looped from one side
// to the other by hand, so every counter has an exact expected value.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "apps/sipedge-gen/call_engine.h"
#include "apps/sipedge-gen/rtp_stats.h"
#include "apps/sipedge-gen/sip_text.h"

namespace sipedge::gen {
namespace {

// RFC 2617 §3.5: the worked example (MD5, qop=auth), response 6629fae49393a05397450978507c4ef1.
TEST(GenSipText, DigestAnswersTheRfc2617Example) {
  const auto auth = digest_authorization(
      "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
      "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
      "Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b");
  ASSERT_TRUE(auth);
  EXPECT_NE(auth->find("response=\"6629fae49393a05397450978507c4ef1\""), std::string::npos) << *auth;
  EXPECT_NE(auth->find("nc=00000001, cnonce=\"0a4f113b\""), std::string::npos);
  EXPECT_NE(auth->find("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""), std::string::npos);
  EXPECT_FALSE(digest_authorization("Basic realm=\"x\"", "u", "p", "INVITE", "sip:x", "c"));
  EXPECT_FALSE(digest_authorization("Digest realm=\"x\", nonce=\"n\", algorithm=SHA-512-256", "u", "p", "INVITE", "sip:x", "c"));
}

TEST(GenSipText, HeadersParamsAndSdp) {
  const std::string msg =
      "SIP/2.0 200 OK\r\nv: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\n"
      "t: <sip:9@x>;tag=abc\r\nRecord-Route: <sip:10.0.0.1;lr>\r\nCSeq: 2 INVITE\r\n\r\n"
      "v=0\r\nc=IN IP4 10.0.0.9\r\nm=video 4000 RTP/AVP 96\r\nm=audio 30002 RTP/AVP 0\r\nc=IN IP4 10.0.0.7\r\n";
  EXPECT_EQ(status_of(msg), 200);
  EXPECT_EQ(header_values(msg, "Via", 'v').size(), 2u);
  EXPECT_EQ(param_of(header_value(msg, "To", 't'), "tag"), "abc");
  EXPECT_EQ(uri_in(header_value(msg, "Record-Route")), "sip:10.0.0.1;lr");
  const auto media = sdp_audio_target(body_of(msg));
  ASSERT_TRUE(media);
  EXPECT_EQ(ipv4_text(media->addr), "10.0.0.7");  // the audio stream's own c= wins over the session's
  EXPECT_EQ(media->port, 30002);
  EXPECT_FALSE(sdp_audio_target("v=0\r\nc=IN IP4 10.0.0.9\r\nm=audio 0 RTP/AVP 0\r\n"));
  EXPECT_EQ(param_of("Digest realm=\"r\", cnonce=\"c\", nonce=\"n\"", "nonce"), "n");
}

TEST(GenRtpStats, CountsLossReorderDuplicatesAndWrap) {
  DirectionStats d;
  StreamState s;
  // 65534, 65535, 1 (0 late), 0, 0 again, 3 (2 lost): sequence numbers wrap.
  for (uint16_t seq : {65534, 65535, 1, 0, 0, 3}) d.on_packet(s, seq, 1000, 1000 + 5000);
  d.sent = 7;  // 65534 .. 3
  EXPECT_EQ(d.received, 6u);
  EXPECT_EQ(d.duplicated, 1u);
  EXPECT_EQ(d.reordered, 1u);
  EXPECT_EQ(d.lost(), 2u);
  EXPECT_EQ(d.latency.quantile_us(0.99), 6.0);  // 5 µs falls in the bucket [5, 6)
  d.close(s);
  EXPECT_EQ(d.jitter_mean_us(), 0.0);  // constant transit time
}

TEST(GenRtpStats, LatencyQuantilesAndJitter) {
  DirectionStats d;
  StreamState s;
  for (uint16_t i = 0; i < 100; ++i) d.on_packet(s, i, uint64_t{i} * 20'000'000, uint64_t{i} * 20'000'000 + (i == 99 ? 3'000'000 : 50'000));
  EXPECT_EQ(d.latency.quantile_us(0.5), 51.0);
  EXPECT_EQ(d.latency.quantile_us(0.99), 51.0);
  EXPECT_EQ(d.latency.quantile_us(1.0), 3010.0);  // 3 ms falls in the 10 µs bucket [3000, 3010)
  EXPECT_EQ(d.latency.max_ns(), 3'000'000u);
  d.close(s);
  EXPECT_NEAR(d.jitter_mean_us(), (3000.0 - 50.0) / 16.0, 1e-6);  // one step of J += (|D| - J) / 16
}

struct Sent {
  Side side;
  uint32_t ip;
  uint16_t port, src_port;
  std::string payload;
};

constexpr uint32_t kCaller = 0x0ac90002, kProxyAccess = 0x0ac90001, kCallee = 0x0aca0002, kProxyCore = 0x0aca0001;

class GenEngineTest : public ::testing::Test {
 protected:
  GenEngineTest() {
    cfg.caller_ip = kCaller;
    cfg.callee_ip = kCallee;
    cfg.proxy_ip = kProxyAccess;
    cfg.calls = 1;
    cfg.rate = 1;
    cfg.hold_ms = 100;
    cfg.drain_ms = 50;
    cfg.user = "1006";
    cfg.password = "sipedge-1006";
  }
  CallEngine make() {
    return CallEngine(cfg, Wire{[this](Side s, uint32_t ip, uint16_t port, uint16_t sport, std::string_view p) {
                        out.push_back(Sent{s, ip, port, sport, std::string(p)});
                      }},
                      7);
  }
  std::vector<Sent> take() { return std::exchange(out, {}); }
  EngineConfig cfg;
  std::vector<Sent> out;
};

std::string response_to(const std::string& request, int status, const std::string& extra, const std::string& body = "") {
  std::string m = "SIP/2.0 " + std::to_string(status) + " X\r\n";
  for (auto l : header_lines(request, "Via", 'v')) m.append(l).append("\r\n");
  m += "From: " + std::string(header_value(request, "From")) + "\r\nTo: " + std::string(header_value(request, "To")) +
       (status > 100 ? ";tag=sipedge1" : "") + "\r\nCall-ID: " + std::string(header_value(request, "Call-ID")) +
       "\r\nCSeq: " + std::string(header_value(request, "CSeq")) + "\r\n" + extra +
       "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return m;
}

const std::string kRelayAccessSdp = "v=0\r\nc=IN IP4 10.201.0.1\r\nm=audio 20000 RTP/AVP 0\r\n";
const std::string kRelayCoreSdp = "v=0\r\nc=IN IP4 10.202.0.1\r\nm=audio 30000 RTP/AVP 0\r\n";

TEST_F(GenEngineTest, ACallAuthenticatesAnswersCarriesMediaBothWaysAndHangsUp) {
  CallEngine e = make();
  uint64_t now = 1'000'000'000;
  e.step(now);
  auto sent = take();
  ASSERT_EQ(sent.size(), 1u);
  const std::string invite1 = sent[0].payload;
  EXPECT_EQ(sent[0].ip, kProxyAccess);
  EXPECT_EQ(sent[0].port, 5060);
  EXPECT_TRUE(invite1.starts_with("INVITE sip:90@sipedge.test SIP/2.0\r\n"));
  EXPECT_EQ(header_value(invite1, "CSeq"), "1 INVITE");
  EXPECT_EQ(header_value(invite1, "Proxy-Authorization"), "");

  // 407: ACK in the INVITE's transaction, then the INVITE again with credentials.
  e.on_datagram(Side::Caller, kProxyAccess, 5060, 5060,
                response_to(invite1, 407, "Proxy-Authenticate: Digest realm=\"sipedge.test\", nonce=\"n1\", qop=\"auth\", algorithm=MD5\r\n"),
                now);
  sent = take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(sent[0].payload.starts_with("ACK sip:90@sipedge.test SIP/2.0\r\n"));
  EXPECT_EQ(param_of(header_value(sent[0].payload, "Via"), "branch"), param_of(header_value(invite1, "Via"), "branch"));
  EXPECT_EQ(header_value(sent[0].payload, "CSeq"), "1 ACK");
  EXPECT_EQ(param_of(header_value(sent[0].payload, "To"), "tag"), "sipedge1");
  const std::string invite2 = sent[1].payload;
  EXPECT_EQ(header_value(invite2, "CSeq"), "2 INVITE");
  EXPECT_NE(param_of(header_value(invite2, "Via"), "branch"), param_of(header_value(invite1, "Via"), "branch"));
  const std::string_view auth = header_value(invite2, "Proxy-Authorization");
  const std::string cnonce(param_of(auth, "cnonce"));
  // The expected response from the RFC 2617 formulas, spelt out here.
  const std::string ha1 = digest_hex(false, "1006:sipedge.test:sipedge-1006");
  const std::string ha2 = digest_hex(false, "INVITE:sip:90@sipedge.test");
  EXPECT_EQ(param_of(auth, "response"), digest_hex(false, ha1 + ":n1:00000001:" + cnonce + ":auth:" + ha2));
  EXPECT_EQ(param_of(auth, "uri"), "sip:90@sipedge.test");

  // sipedge calls the callee: 180 and 200 with SDP come back to sipedge's core address.
  const std::string to_callee = "INVITE sip:90@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.202.0.1:5060;branch=z9hG4bKp1\r\n"
                                "Via: " + std::string(header_value(invite2, "Via")) +
                                "\r\nRecord-Route: <sip:10.202.0.1;lr>\r\nFrom: " + std::string(header_value(invite2, "From")) +
                                "\r\nTo: <sip:90@sipedge.test>\r\nCall-ID: " + std::string(header_value(invite2, "Call-ID")) +
                                "\r\nCSeq: 2 INVITE\r\nContent-Length: " + std::to_string(kRelayCoreSdp.size()) +
                                "\r\n\r\n" + kRelayCoreSdp;
  e.on_datagram(Side::Callee, kProxyCore, 5060, 5060, to_callee, now);
  sent = take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(status_of(sent[0].payload), 180);
  EXPECT_EQ(status_of(sent[1].payload), 200);
  EXPECT_EQ(sent[1].side, Side::Callee);
  EXPECT_EQ(sent[1].ip, kProxyCore);
  EXPECT_EQ(header_values(sent[1].payload, "Via").size(), 2u);
  EXPECT_EQ(header_value(sent[1].payload, "Record-Route"), "<sip:10.202.0.1;lr>");
  EXPECT_EQ(header_value(sent[1].payload, "Contact"), "<sip:90@10.202.0.2:5060>");
  const auto callee_sdp = sdp_audio_target(body_of(sent[1].payload));
  ASSERT_TRUE(callee_sdp);
  EXPECT_EQ(callee_sdp->addr, kCallee);
  const uint16_t rtp = callee_sdp->port;

  // The 200 reaches the caller through sipedge: ACK to its Contact along the Record-Route, RTP starts.
  now += 1'000'000;
  e.on_datagram(Side::Caller, kProxyAccess, 5060, 5060,
                response_to(invite2, 200, "Record-Route: <sip:10.201.0.1;lr;sek=t>\r\nContact: <sip:90@10.202.0.2:5060>\r\n",
                            kRelayAccessSdp),
                now);
  sent = take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(sent[0].payload.starts_with("ACK sip:90@10.202.0.2:5060 SIP/2.0\r\n"));
  EXPECT_EQ(header_value(sent[0].payload, "Route"), "<sip:10.201.0.1;lr;sek=t>");
  EXPECT_EQ(header_value(sent[0].payload, "CSeq"), "2 ACK");
  EXPECT_EQ(sent[1].ip, 0x0ac90001u);
  EXPECT_EQ(sent[1].port, 20000);
  EXPECT_EQ(sent[1].src_port, rtp);
  std::vector<Sent> rtp_out{sent[1]};

  // sipedge's ACK reaches the callee: its RTP starts towards sipedge's core relay socket.
  e.on_datagram(Side::Callee, kProxyCore, 5060, 5060,
                "ACK sip:90@10.202.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.202.0.1:5060;branch=z9hG4bKa\r\nCall-ID: x\r\n"
                "CSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n",
                now);
  sent = take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].side, Side::Callee);
  EXPECT_EQ(sent[0].port, 30000);
  rtp_out.push_back(sent[0]);

  // 100 ms of media, each packet looped to the other side as a perfect relay would.
  while (now < 1'000'000'000 + 101'000'000) {
    for (const Sent& p : rtp_out) {
      e.on_datagram(p.side == Side::Caller ? Side::Callee : Side::Caller, p.side == Side::Caller ? kProxyCore : kProxyAccess,
                    p.port, rtp, p.payload, now + 30'000);
    }
    now += 5'000'000;
    e.step(now);
    rtp_out.clear();
    for (Sent& p : take()) {
      if (p.port == 5060) {
        ADD_FAILURE() << "unexpected SIP during media: " << p.payload;
      } else {
        rtp_out.push_back(p);
      }
    }
  }
  for (const Sent& p : rtp_out) {
    e.on_datagram(p.side == Side::Caller ? Side::Callee : Side::Caller, 0, p.port, rtp, p.payload, now);
  }
  // Media ended at 100 ms; the BYE follows the drain time.
  now += 60'000'000;
  e.step(now);
  sent = take();
  ASSERT_EQ(sent.size(), 1u);
  const std::string bye = sent[0].payload;
  EXPECT_TRUE(bye.starts_with("BYE sip:90@10.202.0.2:5060 SIP/2.0\r\n"));
  EXPECT_EQ(header_value(bye, "CSeq"), "3 BYE");
  e.on_datagram(Side::Caller, kProxyAccess, 5060, 5060, response_to(bye, 200, ""), now);
  EXPECT_TRUE(e.finished());
  EXPECT_EQ(e.calls().completed, 1u);
  EXPECT_EQ(e.calls().failed, 0u);
  EXPECT_EQ(e.calls().challenged, 1u);
  for (unsigned d = 0; d < 2; ++d) {
    EXPECT_GT(e.direction(d).sent, 3u);
    EXPECT_EQ(e.direction(d).received, e.direction(d).sent) << d;
    EXPECT_EQ(e.direction(d).lost(), 0u);
    EXPECT_EQ(e.direction(d).foreign, 0u);
    EXPECT_EQ(e.direction(d).latency.quantile_us(0.5), 31.0);
  }
}

TEST_F(GenEngineTest, AnUnansweredInviteIsRetransmittedThenFails) {
  CallEngine e = make();
  uint64_t now = 0;
  e.step(now);
  ASSERT_EQ(take().size(), 1u);
  std::vector<uint64_t> at_ms;
  for (int i = 0; i < 1000 && !e.finished(); ++i) {
    now += 100'000'000;
    e.step(now);
    for (size_t n = take().size(); n > 0; --n) at_ms.push_back(now / 1'000'000);
  }
  EXPECT_TRUE(e.finished());
  EXPECT_EQ(now, 32'000'000'000u);  // Timer B: 64*T1
  // Timer A: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s after the first send.
  EXPECT_EQ(at_ms, (std::vector<uint64_t>{500, 1500, 3500, 7500, 15500, 31500}));
  EXPECT_EQ(e.calls().failures.at("timeout (INVITE)"), 1u);
}

TEST_F(GenEngineTest, ALate407ToTheFirstInviteIsAcknowledgedAndIgnored) {
  CallEngine e = make();
  e.step(0);
  const std::string invite1 = take().at(0).payload;
  const std::string challenge =
      response_to(invite1, 407, "Proxy-Authenticate: Digest realm=\"sipedge.test\", nonce=\"n1\", qop=\"auth\"\r\n");
  e.on_datagram(Side::Caller, kProxyAccess, 5060, 5060, challenge, 1);
  ASSERT_EQ(take().size(), 2u);  // ACK, INVITE with credentials
  // sipedge answers the first INVITE's retransmission with its 407 again, after the new INVITE left.
  e.on_datagram(Side::Caller, kProxyAccess, 5060, 5060, challenge, 2);
  const auto sent = take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].payload.starts_with("ACK "));
  EXPECT_EQ(header_value(sent[0].payload, "CSeq"), "1 ACK");
  EXPECT_EQ(param_of(header_value(sent[0].payload, "Via"), "branch"), param_of(header_value(invite1, "Via"), "branch"));
  EXPECT_EQ(e.calls().failed, 0u);
  EXPECT_FALSE(e.finished());
}

TEST_F(GenEngineTest, ARefusalFailsTheCallAndForeignTrafficIsCounted) {
  CallEngine e = make();
  e.step(0);
  const std::string invite = take().at(0).payload;
  e.on_datagram(Side::Caller, kProxyAccess, 5060, 5060, response_to(invite, 486, ""), 1);
  EXPECT_TRUE(e.finished());
  EXPECT_EQ(e.calls().failures.at("486 to INVITE"), 1u);
  EXPECT_TRUE(take().at(0).payload.starts_with("ACK "));
  e.on_datagram(Side::Caller, kProxyAccess, 5060, 5060, "SIP/2.0 200 OK\r\nCall-ID: other\r\n\r\n", 2);
  EXPECT_EQ(e.calls().unexpected, 1u);
  e.on_datagram(Side::Callee, kProxyCore, 30000, 40000, std::string(40, 'x'), 3);
  EXPECT_EQ(e.direction(0).foreign, 1u);
}

}  // namespace
}  // namespace sipedge::gen
