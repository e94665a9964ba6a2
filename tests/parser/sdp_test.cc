// tests/parser/sdp_test.cc — pins parser/sdp.cc on real SDP bodies (eyeBeam, FreeSWITCH, hold,
// audio+video, IPv6, WebRTC) and malformed ones. Asserts exact values and that every rewrite span
// points at the right bytes of the body (RFC 8866 §5, RFC 3605, RFC 4568, RFC 8839).
#include "parser/sdp.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace sipedge::parser {
namespace {

// CounterPath eyeBeam offer from seed 000 (the a=alt lines are eyeBeam's ICE precursor).
constexpr std::string_view kEyeBeam =
    "v=0\r\n"
    "o=- 8 2 IN IP4 192.168.1.131\r\n"
    "s=CounterPath eyeBeam 1.5\r\n"
    "c=IN IP4 192.168.1.131\r\n"
    "t=0 0\r\n"
    "m=audio 1572 RTP/AVP 0 8 18 101\r\n"
    "a=alt:1 3 : YqBcv0hx k0Ir1UAh 192.168.1.131 1572\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n"
    "a=x-rtp-session-id:747024EE416C401C864D1F625FC7E145\r\n";

constexpr std::string_view kFreeSwitch =
    "v=0\r\n"
    "o=FreeSWITCH 1758591498 1758591499 IN IP4 192.168.0.201\r\n"
    "s=FreeSWITCH\r\n"
    "c=IN IP4 192.168.0.201\r\n"
    "t=0 0\r\n"
    "m=audio 29798 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
    "a=rtcp:29799 IN IP4 192.168.0.201\r\n";

// Re-INVITE putting the call on hold the RFC 2543 way (0.0.0.0) and the RFC 3264 way (sendonly).
constexpr std::string_view kHold =
    "v=0\r\n"
    "o=- 3856587767 3856587770 IN IP4 192.168.0.24\r\n"
    "s=-\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "t=0 0\r\n"
    "m=audio 10004 RTP/AVP 0 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=sendonly\r\n";

// Session-level inactive, inherited by audio, overridden by video.
constexpr std::string_view kInactiveSession =
    "v=0\r\n"
    "o=alice 2890844526 2890844528 IN IP4 192.0.2.101\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.101\r\n"
    "t=0 0\r\n"
    "a=inactive\r\n"
    "m=audio 49172 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "m=video 51372 RTP/AVP 31\r\n"
    "a=rtpmap:31 H261/90000\r\n"
    "a=recvonly\r\n";

// Audio + video where the answerer disabled video (port 0), bandwidth lines, media-level c=.
constexpr std::string_view kAudioVideo =
    "v=0\r\n"
    "o=bob 2808844564 2808844565 IN IP4 203.0.113.7\r\n"
    "s=Talk\r\n"
    "c=IN IP4 203.0.113.7\r\n"
    "b=AS:512\r\n"
    "t=0 0\r\n"
    "m=audio 49170/2 RTP/AVP 0 97\r\n"
    "c=IN IP4 203.0.113.9\r\n"
    "b=AS:64\r\n"
    "b=TIAS:64000\r\n"
    "a=rtpmap:97 iLBC/8000\r\n"
    "a=fmtp:97 mode=30\r\n"
    "a=maxptime:60\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "b=AS:384\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n";

constexpr std::string_view kIpv6 =
    "v=0\r\n"
    "o=- 20518 0 IN IP6 2001:db8::1\r\n"
    "s=-\r\n"
    "c=IN IP6 2001:db8::1\r\n"
    "t=0 0\r\n"
    "m=audio 53020 RTP/AVP 8 0 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=rtcp:53021 IN IP6 2001:db8::1\r\n"
    "a=ptime:20\r\n";

constexpr std::string_view kWebRtc =
    "v=0\r\n"
    "o=mozilla...THIS_IS_SDPARTA-99.0 4867201743566455735 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=msid-semantic:WMS *\r\n"
    "m=audio 54400 UDP/TLS/RTP/SAVPF 111 0 8 126\r\n"
    "c=IN IP4 198.51.100.20\r\n"
    "a=candidate:0 1 UDP 2122252543 10.0.1.5 54400 typ host\r\n"
    "a=candidate:1 1 UDP 1686052863 198.51.100.20 54400 typ srflx raddr 10.0.1.5 rport 54400\r\n"
    "a=candidate:2 1 TCP 2105524479 10.0.1.5 9 typ host tcptype active\r\n"
    "a=candidate:broken\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32 "
    "KDR=1 UNENCRYPTED_SRTCP\r\n"
    "a=ice-ufrag:8hhY\r\n"
    "a=ice-pwd:asd88fgpdd777uzjYhagZg\r\n"
    "a=mid:0\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=maxptime:120\r\n"
    "a=sendrecv\r\n";

std::string_view at(std::string_view body, SdpSpan s) { return body.substr(s.off, s.len); }

Sdp must_parse(std::string_view body) {
  auto r = parse_sdp(body);
  EXPECT_TRUE(r.ok()) << "what=" << (r.ok() ? "" : r.error().what) << " line=" << (r.ok() ? 0 : r.error().line);
  return r.ok() ? *r : Sdp{};
}

TEST(Sdp, EyeBeamOfferExposesOriginSessionAndMedia) {
  const Sdp sdp = must_parse(kEyeBeam);
  EXPECT_EQ(sdp.origin_username, "-");
  EXPECT_EQ(sdp.origin_session_id, "8");
  EXPECT_EQ(sdp.origin_version, 2u);
  EXPECT_EQ(at(kEyeBeam, sdp.origin_version_span), "2");
  EXPECT_EQ(sdp.origin_version_span.off, kEyeBeam.find("2 IN IP4"));
  EXPECT_EQ(sdp.origin_addr_type, SdpAddrType::IP4);
  EXPECT_EQ(sdp.origin_address, "192.168.1.131");
  EXPECT_EQ(at(kEyeBeam, sdp.origin_address_span), "192.168.1.131");
  EXPECT_EQ(sdp.origin_address_span.off, kEyeBeam.find("192.168.1.131"));
  EXPECT_EQ(sdp.session_name, "CounterPath eyeBeam 1.5");
  EXPECT_FALSE(sdp.missing_session_name);

  ASSERT_TRUE(sdp.connection.present);
  EXPECT_EQ(sdp.connection.addr_type, SdpAddrType::IP4);
  EXPECT_EQ(sdp.connection.address, "192.168.1.131");
  EXPECT_EQ(sdp.connection.address_span.off, kEyeBeam.find("c=IN IP4 ") + 9);
  EXPECT_EQ(at(kEyeBeam, sdp.connection.address_span), "192.168.1.131");
  EXPECT_EQ(at(kEyeBeam, sdp.connection.line), "c=IN IP4 192.168.1.131\r\n");
  EXPECT_FALSE(sdp.connection.is_hold_zero());
  EXPECT_EQ(sdp.connection.ttl, 0);
  EXPECT_EQ(sdp.connection.count, 1);

  ASSERT_EQ(sdp.media().size(), 1u);
  const SdpMedia& m = sdp.media()[0];
  EXPECT_EQ(m.media, "audio");
  EXPECT_EQ(m.port, 1572);
  EXPECT_EQ(m.port_count, 1);
  EXPECT_EQ(at(kEyeBeam, m.port_span), "1572");
  EXPECT_EQ(m.port_span.off, kEyeBeam.find("m=audio ") + 8);
  EXPECT_EQ(m.proto, "RTP/AVP");
  EXPECT_EQ(at(kEyeBeam, m.proto_span), "RTP/AVP");
  EXPECT_EQ(m.formats, "0 8 18 101");
  EXPECT_EQ(at(kEyeBeam, m.formats_span), "0 8 18 101");
  EXPECT_TRUE(m.is_rtp());
  EXPECT_FALSE(m.connection.present);
  EXPECT_EQ(m.direction, SdpDirection::SendRecv);
  EXPECT_FALSE(m.rtcp_port.has_value());
  EXPECT_FALSE(m.rtcp_mux);
  EXPECT_FALSE(m.ptime.has_value());
  EXPECT_EQ(m.line_off, kEyeBeam.find("m=audio"));
  EXPECT_EQ(m.end_off, kEyeBeam.size());
  EXPECT_EQ(sdp.session_end_off, m.line_off);

  EXPECT_EQ(&sdp.connection_for(0), &sdp.connection);
  EXPECT_EQ(sdp.direction_for(0), SdpDirection::SendRecv);

  std::array<uint8_t, 8> pts{};
  ASSERT_EQ(sdp.payload_types(0, pts), 4u);
  EXPECT_EQ(pts[0], 0);
  EXPECT_EQ(pts[1], 8);
  EXPECT_EQ(pts[2], 18);
  EXPECT_EQ(pts[3], 101);
}

TEST(Sdp, EyeBeamAttributesAreIndexedInOrderWithLineSpans) {
  const Sdp sdp = must_parse(kEyeBeam);
  EXPECT_TRUE(sdp.session_attributes().empty());
  ASSERT_EQ(sdp.attributes().size(), 7u);
  const auto attrs = sdp.media_attributes(0);
  ASSERT_EQ(attrs.size(), 7u);
  EXPECT_EQ(attrs.data(), sdp.attributes().data());
  EXPECT_EQ(attrs[0].name, "alt");
  EXPECT_EQ(attrs[0].value, "1 3 : YqBcv0hx k0Ir1UAh 192.168.1.131 1572");
  EXPECT_EQ(at(kEyeBeam, attrs[0].value_span), attrs[0].value);
  EXPECT_EQ(attrs[5].name, "sendrecv");
  EXPECT_FALSE(attrs[5].has_value);
  EXPECT_EQ(attrs[5].value, "");
  EXPECT_EQ(at(kEyeBeam, attrs[5].line), "a=sendrecv\r\n");
  EXPECT_EQ(attrs[6].name, "x-rtp-session-id");
  EXPECT_TRUE(attrs[6].has_value);
  EXPECT_EQ(attrs[6].value, "747024EE416C401C864D1F625FC7E145");
  EXPECT_EQ(attrs[6].line.end(), kEyeBeam.size());

  const SdpAttribute* sid = sdp.media_attribute(0, "X-RTP-Session-Id");
  ASSERT_NE(sid, nullptr);
  EXPECT_EQ(sid, &attrs[6]);
  EXPECT_EQ(sdp.media_attribute(0, "ice-ufrag"), nullptr);
  EXPECT_EQ(sdp.session_attribute("alt"), nullptr);
}

TEST(Sdp, EyeBeamRtpmapAndFmtpLookups) {
  const Sdp sdp = must_parse(kEyeBeam);
  auto g729 = sdp.rtpmap(0, 18);
  ASSERT_TRUE(g729.has_value());
  EXPECT_EQ(g729->payload, 18);
  EXPECT_EQ(g729->encoding, "G729");
  EXPECT_EQ(g729->clock_rate, 8000u);
  EXPECT_EQ(g729->channels, "");
  auto te = sdp.rtpmap(0, 101);
  ASSERT_TRUE(te.has_value());
  EXPECT_EQ(te->encoding, "telephone-event");
  // Static payload types 0 and 8 are listed in m= without an rtpmap.
  EXPECT_FALSE(sdp.rtpmap(0, 0).has_value());
  EXPECT_FALSE(sdp.rtpmap(0, 8).has_value());

  auto f18 = sdp.fmtp(0, 18);
  ASSERT_TRUE(f18.has_value());
  EXPECT_EQ(f18->params, "annexb=no");
  auto f101 = sdp.fmtp(0, 101);
  ASSERT_TRUE(f101.has_value());
  EXPECT_EQ(f101->params, "0-15");
  EXPECT_FALSE(sdp.fmtp(0, 0).has_value());
}

TEST(Sdp, FreeSwitchAnswerExposesRtcpPortAddressAndPtime) {
  const Sdp sdp = must_parse(kFreeSwitch);
  EXPECT_EQ(sdp.origin_username, "FreeSWITCH");
  EXPECT_EQ(sdp.origin_session_id, "1758591498");
  EXPECT_EQ(sdp.origin_version, 1758591499u);
  EXPECT_EQ(at(kFreeSwitch, sdp.origin_version_span), "1758591499");
  EXPECT_EQ(at(kFreeSwitch, sdp.origin_address_span), "192.168.0.201");

  ASSERT_EQ(sdp.media().size(), 1u);
  const SdpMedia& m = sdp.media()[0];
  EXPECT_EQ(m.port, 29798);
  EXPECT_EQ(at(kFreeSwitch, m.port_span), "29798");
  EXPECT_EQ(m.formats, "0 8 101");
  ASSERT_TRUE(m.rtcp_port.has_value());
  EXPECT_EQ(*m.rtcp_port, 29799);
  EXPECT_EQ(at(kFreeSwitch, m.rtcp_port_span), "29799");
  EXPECT_EQ(m.rtcp_port_span.off, kFreeSwitch.find("a=rtcp:") + 7);
  EXPECT_EQ(m.rtcp_addr_type, SdpAddrType::IP4);
  EXPECT_EQ(m.rtcp_address, "192.168.0.201");
  EXPECT_EQ(at(kFreeSwitch, m.rtcp_address_span), "192.168.0.201");
  EXPECT_EQ(m.rtcp_address_span.off, kFreeSwitch.find("a=rtcp:29799 IN IP4 ") + 20);
  EXPECT_EQ(at(kFreeSwitch, m.rtcp_span), "29799 IN IP4 192.168.0.201");
  ASSERT_TRUE(m.ptime.has_value());
  EXPECT_EQ(*m.ptime, 20u);
  EXPECT_FALSE(m.maxptime.has_value());
  EXPECT_EQ(m.direction, SdpDirection::SendRecv);

  auto pcmu = sdp.rtpmap(0, 0);
  ASSERT_TRUE(pcmu.has_value());
  EXPECT_EQ(pcmu->encoding, "PCMU");
  EXPECT_EQ(pcmu->clock_rate, 8000u);
  auto pcma = sdp.rtpmap(0, 8);
  ASSERT_TRUE(pcma.has_value());
  EXPECT_EQ(pcma->encoding, "PCMA");
  EXPECT_EQ(sdp.fmtp(0, 101)->params, "0-16");
}

// Spans are what the media anchoring rewrite replaces: splicing new values in at them must give a
// well-formed SDP with exactly those fields changed.
TEST(Sdp, SpansSpliceIntoAnAnchoredBody) {
  const Sdp sdp = must_parse(kFreeSwitch);
  const SdpMedia& m = sdp.media()[0];
  struct Edit {
    SdpSpan span;
    std::string_view with;
  };
  // In body order, as the rewriter applies them.
  const Edit edits[] = {
      {sdp.origin_version_span, "1758591500"},
      {sdp.origin_address_span, "203.0.113.1"},
      {sdp.connection.address_span, "203.0.113.1"},
      {m.port_span, "40000"},
      {m.rtcp_port_span, "40001"},
      {m.rtcp_address_span, "203.0.113.1"},
  };
  std::string out;
  uint32_t pos = 0;
  for (const Edit& e : edits) {
    ASSERT_GE(e.span.off, pos);
    out.append(kFreeSwitch.substr(pos, e.span.off - pos));
    out.append(e.with);
    pos = e.span.end();
  }
  out.append(kFreeSwitch.substr(pos));
  EXPECT_EQ(out,
            "v=0\r\n"
            "o=FreeSWITCH 1758591498 1758591500 IN IP4 203.0.113.1\r\n"
            "s=FreeSWITCH\r\n"
            "c=IN IP4 203.0.113.1\r\n"
            "t=0 0\r\n"
            "m=audio 40000 RTP/AVP 0 8 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n"
            "a=rtcp:40001 IN IP4 203.0.113.1\r\n");
  const Sdp again = must_parse(out);
  EXPECT_EQ(again.origin_version, 1758591500u);
  EXPECT_EQ(again.media()[0].port, 40000);
  EXPECT_EQ(*again.media()[0].rtcp_port, 40001);
}

TEST(Sdp, RebaseShiftsSpansIntoTheSipMessage) {
  const Sdp sdp = must_parse(kEyeBeam);
  const Span s = rebase(sdp.media()[0].port_span, 400);
  EXPECT_EQ(s.off, sdp.media()[0].port_span.off + 400);
  EXPECT_EQ(s.len, 4u);
}

TEST(Sdp, HoldWithZeroAddressAndSendonly) {
  const Sdp sdp = must_parse(kHold);
  ASSERT_TRUE(sdp.connection.present);
  EXPECT_EQ(sdp.connection.address, "0.0.0.0");
  EXPECT_EQ(at(kHold, sdp.connection.address_span), "0.0.0.0");
  EXPECT_TRUE(sdp.connection.is_hold_zero());
  EXPECT_TRUE(sdp.connection_for(0).is_hold_zero());
  EXPECT_EQ(sdp.origin_version, 3856587770u);
  EXPECT_EQ(sdp.direction, SdpDirection::Unspecified);
  EXPECT_EQ(sdp.media()[0].direction, SdpDirection::SendOnly);
  EXPECT_EQ(sdp.direction_for(0), SdpDirection::SendOnly);
  EXPECT_EQ(sdp_direction_name(sdp.direction_for(0)), "sendonly");
}

TEST(Sdp, SessionDirectionIsInheritedUnlessMediaOverrides) {
  const Sdp sdp = must_parse(kInactiveSession);
  EXPECT_EQ(sdp.direction, SdpDirection::Inactive);
  ASSERT_EQ(sdp.session_attributes().size(), 1u);
  EXPECT_EQ(sdp.session_attributes()[0].name, "inactive");
  ASSERT_NE(sdp.session_attribute("inactive"), nullptr);
  ASSERT_EQ(sdp.media().size(), 2u);
  EXPECT_EQ(sdp.media()[0].direction, SdpDirection::Unspecified);
  EXPECT_EQ(sdp.direction_for(0), SdpDirection::Inactive);
  EXPECT_EQ(sdp.direction_for(1), SdpDirection::RecvOnly);
  EXPECT_EQ(sdp.media_attributes(0).size(), 1u);
  EXPECT_EQ(sdp.media_attributes(1).size(), 2u);
  EXPECT_EQ(sdp.media_attributes(1)[0].value, "31 H261/90000");
  EXPECT_EQ(sdp.rtpmap(1, 31)->clock_rate, 90000u);
  EXPECT_FALSE(sdp.rtpmap(0, 31).has_value());
}

TEST(Sdp, InactiveHoldHasNoZeroAddress) {
  const std::string body =
      "v=0\r\n"
      "o=- 8 3 IN IP4 192.168.1.131\r\n"
      "s=-\r\n"
      "c=IN IP4 192.168.1.131\r\n"
      "t=0 0\r\n"
      "m=audio 1572 RTP/AVP 0\r\n"
      "a=inactive\r\n";
  const Sdp sdp = must_parse(body);
  EXPECT_FALSE(sdp.connection_for(0).is_hold_zero());
  EXPECT_EQ(sdp.direction_for(0), SdpDirection::Inactive);
}

TEST(Sdp, DefaultDirectionIsSendRecv) {
  const Sdp sdp = must_parse(kAudioVideo);
  EXPECT_EQ(sdp.media()[0].direction, SdpDirection::Unspecified);
  EXPECT_EQ(sdp.direction_for(0), SdpDirection::SendRecv);
  EXPECT_EQ(sdp.direction_for(1), SdpDirection::SendRecv);
}

TEST(Sdp, AudioVideoWithDisabledVideoStream) {
  const Sdp sdp = must_parse(kAudioVideo);
  ASSERT_TRUE(sdp.bandwidth_as.has_value());
  EXPECT_EQ(*sdp.bandwidth_as, 512u);
  ASSERT_EQ(sdp.media().size(), 2u);

  const SdpMedia& a = sdp.media()[0];
  EXPECT_EQ(a.media, "audio");
  EXPECT_EQ(a.port, 49170);
  EXPECT_EQ(a.port_count, 2);
  EXPECT_EQ(at(kAudioVideo, a.port_span), "49170");
  EXPECT_EQ(a.formats, "0 97");
  ASSERT_TRUE(a.connection.present);
  EXPECT_EQ(a.connection.address, "203.0.113.9");
  EXPECT_EQ(at(kAudioVideo, a.connection.address_span), "203.0.113.9");
  EXPECT_EQ(&sdp.connection_for(0), &a.connection);
  EXPECT_EQ(*a.bandwidth_as, 64u);
  EXPECT_EQ(*a.bandwidth_tias, 64000u);
  EXPECT_EQ(*a.maxptime, 60u);
  EXPECT_EQ(sdp.rtpmap(0, 97)->encoding, "iLBC");
  EXPECT_EQ(sdp.fmtp(0, 97)->params, "mode=30");

  const SdpMedia& v = sdp.media()[1];
  EXPECT_EQ(v.media, "video");
  EXPECT_EQ(v.port, 0);
  EXPECT_EQ(at(kAudioVideo, v.port_span), "0");
  EXPECT_EQ(v.port_span.off, kAudioVideo.find("m=video ") + 8);
  EXPECT_FALSE(v.connection.present);
  EXPECT_EQ(sdp.connection_for(1).address, "203.0.113.7");
  EXPECT_EQ(*v.bandwidth_as, 384u);
  EXPECT_FALSE(v.bandwidth_tias.has_value());
  EXPECT_EQ(sdp.rtpmap(1, 96)->encoding, "H264");
  EXPECT_EQ(sdp.fmtp(1, 96)->params, "profile-level-id=42e01f;packetization-mode=1");
  EXPECT_FALSE(sdp.fmtp(0, 96).has_value());

  // Sections tile the body: audio ends where video starts.
  EXPECT_EQ(sdp.session_end_off, kAudioVideo.find("m=audio"));
  EXPECT_EQ(a.line_off, kAudioVideo.find("m=audio"));
  EXPECT_EQ(a.end_off, kAudioVideo.find("m=video"));
  EXPECT_EQ(v.line_off, a.end_off);
  EXPECT_EQ(v.end_off, kAudioVideo.size());
  EXPECT_EQ(a.first_attr, 0);
  EXPECT_EQ(a.attr_count, 3);
  EXPECT_EQ(v.first_attr, 3);
  EXPECT_EQ(v.attr_count, 2);
}

TEST(Sdp, Ipv6ConnectionOriginAndRtcp) {
  const Sdp sdp = must_parse(kIpv6);
  EXPECT_EQ(sdp.origin_addr_type, SdpAddrType::IP6);
  EXPECT_EQ(sdp.origin_address, "2001:db8::1");
  EXPECT_EQ(sdp.origin_version, 0u);
  EXPECT_EQ(at(kIpv6, sdp.origin_version_span), "0");
  EXPECT_EQ(sdp.connection.addr_type, SdpAddrType::IP6);
  EXPECT_EQ(sdp.connection.address, "2001:db8::1");
  EXPECT_EQ(at(kIpv6, sdp.connection.address_span), "2001:db8::1");
  EXPECT_EQ(sdp.connection.address_span.off, kIpv6.find("c=IN IP6 ") + 9);
  const SdpMedia& m = sdp.media()[0];
  EXPECT_EQ(m.port, 53020);
  EXPECT_EQ(*m.rtcp_port, 53021);
  EXPECT_EQ(m.rtcp_addr_type, SdpAddrType::IP6);
  EXPECT_EQ(m.rtcp_address, "2001:db8::1");
  EXPECT_EQ(at(kIpv6, m.rtcp_address_span), "2001:db8::1");
  EXPECT_EQ(m.rtcp_address_span.off, kIpv6.find("a=rtcp:53021 IN IP6 ") + 20);
  EXPECT_EQ(at(kIpv6, m.rtcp_span), "53021 IN IP6 2001:db8::1");
  EXPECT_EQ(*m.ptime, 20u);
}

TEST(Sdp, Ipv6UnspecifiedAddressCountsAsHold) {
  const std::string body =
      "v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 ::\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n";
  const Sdp sdp = must_parse(body);
  EXPECT_TRUE(sdp.connection.is_hold_zero());
}

TEST(Sdp, WebRtcCandidatesRtcpMuxAndCrypto) {
  const Sdp sdp = must_parse(kWebRtc);
  EXPECT_EQ(sdp.origin_username, "mozilla...THIS_IS_SDPARTA-99.0");
  EXPECT_EQ(sdp.origin_session_id, "4867201743566455735");
  EXPECT_FALSE(sdp.connection.present);
  ASSERT_EQ(sdp.session_attributes().size(), 2u);
  EXPECT_EQ(sdp.session_attribute("group")->value, "BUNDLE 0");

  const SdpMedia& m = sdp.media()[0];
  EXPECT_EQ(m.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_TRUE(m.is_rtp());
  EXPECT_TRUE(m.rtcp_mux);
  EXPECT_FALSE(m.rtcp_port.has_value());
  EXPECT_EQ(*m.maxptime, 120u);
  EXPECT_EQ(sdp.direction_for(0), SdpDirection::SendRecv);
  EXPECT_EQ(sdp.connection_for(0).address, "198.51.100.20");

  auto opus = sdp.rtpmap(0, 111);
  ASSERT_TRUE(opus.has_value());
  EXPECT_EQ(opus->encoding, "opus");
  EXPECT_EQ(opus->clock_rate, 48000u);
  EXPECT_EQ(opus->channels, "2");
  EXPECT_EQ(sdp.fmtp(0, 111)->params, "minptime=10;useinbandfec=1");

  // The malformed "a=candidate:broken" is skipped, not counted.
  EXPECT_EQ(sdp.candidates(0, {}), 3u);
  std::array<SdpCandidate, 2> cands;
  ASSERT_EQ(sdp.candidates(0, cands), 3u);
  EXPECT_EQ(cands[0].foundation, "0");
  EXPECT_EQ(cands[0].component, 1);
  EXPECT_EQ(cands[0].transport, "UDP");
  EXPECT_EQ(cands[0].priority, 2122252543u);
  EXPECT_EQ(cands[0].address, "10.0.1.5");
  EXPECT_EQ(cands[0].port, 54400);
  EXPECT_EQ(cands[0].type, "host");
  EXPECT_EQ(cands[0].rest, "");
  EXPECT_EQ(cands[0].related_address, "");
  EXPECT_FALSE(cands[0].related_port.has_value());
  EXPECT_EQ(at(kWebRtc, cands[0].address_span), "10.0.1.5");
  EXPECT_EQ(cands[0].address_span.off, kWebRtc.find("10.0.1.5 54400 typ host"));
  EXPECT_EQ(at(kWebRtc, cands[0].port_span), "54400");

  EXPECT_EQ(cands[1].type, "srflx");
  EXPECT_EQ(cands[1].address, "198.51.100.20");
  EXPECT_EQ(cands[1].related_address, "10.0.1.5");
  ASSERT_TRUE(cands[1].related_port.has_value());
  EXPECT_EQ(*cands[1].related_port, 54400);
  EXPECT_EQ(cands[1].rest, "raddr 10.0.1.5 rport 54400");
  EXPECT_EQ(at(kWebRtc, cands[1].address_span), "198.51.100.20");

  std::array<SdpCandidate, 4> all;
  ASSERT_EQ(sdp.candidates(0, all), 3u);
  EXPECT_EQ(all[2].transport, "TCP");
  EXPECT_EQ(all[2].port, 9);
  EXPECT_EQ(all[2].rest, "tcptype active");

  std::array<SdpCrypto, 4> cryptos;
  ASSERT_EQ(sdp.cryptos(0, cryptos), 2u);
  EXPECT_EQ(cryptos[0].tag, 1u);
  EXPECT_EQ(cryptos[0].suite, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(cryptos[0].key_params, "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
  EXPECT_EQ(cryptos[0].session_params, "");
  EXPECT_EQ(cryptos[1].tag, 2u);
  EXPECT_EQ(cryptos[1].suite, "AES_CM_128_HMAC_SHA1_32");
  EXPECT_EQ(cryptos[1].session_params, "KDR=1 UNENCRYPTED_SRTCP");

  std::array<uint8_t, 2> pts{};
  EXPECT_EQ(sdp.payload_types(0, pts), 4u);
  EXPECT_EQ(pts[0], 111);
  EXPECT_EQ(pts[1], 0);
}

TEST(Sdp, MulticastConnectionSplitsTtlAndCount) {
  const std::string body =
      "v=0\r\no=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\ns=SDP Seminar\r\n"
      "c=IN IP4 224.2.36.42/127/3\r\nt=2873397496 2873404696\r\nm=audio 49170 RTP/AVP 0\r\n"
      "m=video 51372 RTP/AVP 99\r\nc=IN IP6 ff15::101/3\r\na=rtpmap:99 h263-1998/90000\r\n";
  const Sdp sdp = must_parse(body);
  EXPECT_EQ(sdp.connection.address, "224.2.36.42");
  EXPECT_EQ(at(body, sdp.connection.address_span), "224.2.36.42");
  EXPECT_EQ(sdp.connection.ttl, 127);
  EXPECT_EQ(sdp.connection.count, 3);
  const SdpConnection& v6 = sdp.media()[1].connection;
  EXPECT_EQ(v6.addr_type, SdpAddrType::IP6);
  EXPECT_EQ(v6.address, "ff15::101");
  EXPECT_EQ(v6.count, 3);
  EXPECT_EQ(v6.ttl, 0);
}

TEST(Sdp, NonRtpMediaKeepsTokenFormats) {
  const std::string body =
      "v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\n"
      "m=image 33004 udptl t38\r\na=T38FaxVersion:0\r\na=T38FaxRateManagement:transferredTCF\r\n";
  const Sdp sdp = must_parse(body);
  const SdpMedia& m = sdp.media()[0];
  EXPECT_EQ(m.media, "image");
  EXPECT_EQ(m.proto, "udptl");
  EXPECT_EQ(m.formats, "t38");
  EXPECT_FALSE(m.is_rtp());
  std::array<uint8_t, 4> pts{};
  EXPECT_EQ(sdp.payload_types(0, pts), 0u);
  EXPECT_EQ(sdp.media_attribute(0, "t38faxversion")->value, "0");
}

TEST(Sdp, BareLfAndMissingFinalTerminatorAreAccepted) {
  const std::string body =
      "v=0\no=- 8 2 IN IP4 192.168.1.131\ns=-\nc=IN IP4 192.168.1.131\nt=0 0\nm=audio 1572 RTP/AVP 0\na=sendrecv";
  const Sdp sdp = must_parse(body);
  EXPECT_EQ(at(body, sdp.connection.address_span), "192.168.1.131");
  EXPECT_EQ(at(body, sdp.connection.line), "c=IN IP4 192.168.1.131\n");
  EXPECT_EQ(at(body, sdp.media()[0].port_span), "1572");
  ASSERT_EQ(sdp.attributes().size(), 1u);
  EXPECT_EQ(at(body, sdp.attributes()[0].line), "a=sendrecv");
  EXPECT_EQ(sdp.direction_for(0), SdpDirection::SendRecv);
}

TEST(Sdp, TrailingEmptyLinesAndSpacesAreTolerated) {
  const std::string body =
      "v=0\r\no=- 8 2 IN IP4 192.168.1.131 \r\ns=-\r\nc=IN IP4 192.168.1.131\r\nt=0 0\r\n"
      "m=audio 1572 RTP/AVP 0 8  \r\n\r\n\r\n";
  const Sdp sdp = must_parse(body);
  EXPECT_EQ(sdp.origin_address, "192.168.1.131");
  EXPECT_EQ(sdp.media()[0].formats, "0 8");
}

TEST(Sdp, MissingSessionNameIsAcceptedAndFlagged) {
  const std::string body =
      "v=0\r\no=- 8 2 IN IP4 192.168.1.131\r\nc=IN IP4 192.168.1.131\r\nt=0 0\r\nm=audio 1572 RTP/AVP 0\r\n";
  const Sdp sdp = must_parse(body);
  EXPECT_TRUE(sdp.missing_session_name);
  EXPECT_EQ(sdp.session_name, "");
  EXPECT_EQ(sdp.media()[0].port, 1572);
}

TEST(Sdp, SessionWithoutMediaIsValid) {
  const std::string body = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\na=recvonly\r\n";
  const Sdp sdp = must_parse(body);
  EXPECT_TRUE(sdp.media().empty());
  EXPECT_EQ(sdp.session_attributes().size(), 1u);
  EXPECT_EQ(sdp.session_end_off, body.size());
  EXPECT_EQ(sdp.direction, SdpDirection::RecvOnly);
}

TEST(Sdp, OriginAcceptsFqdnAddress) {
  const std::string body =
      "v=0\r\no=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com\r\ns=-\r\n"
      "c=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
  const Sdp sdp = must_parse(body);
  EXPECT_EQ(sdp.origin_address, "client.atlanta.example.com");
  EXPECT_EQ(sdp.origin_version, 2890844526u);
}

TEST(Sdp, ReparsingIntoTheSameObjectForgetsThePreviousBody) {
  Sdp sdp;
  ASSERT_EQ(parse_sdp_into(kInactiveSession, sdp).fault, Fault::None);
  EXPECT_EQ(sdp.media().size(), 2u);
  EXPECT_EQ(sdp.direction, SdpDirection::Inactive);
  ASSERT_EQ(parse_sdp_into(kEyeBeam, sdp).fault, Fault::None);
  EXPECT_EQ(sdp.body(), kEyeBeam);
  EXPECT_EQ(sdp.media().size(), 1u);
  EXPECT_EQ(sdp.direction, SdpDirection::Unspecified);
  EXPECT_EQ(sdp.attributes().size(), 7u);
  EXPECT_EQ(sdp.session_attributes().size(), 0u);
  EXPECT_FALSE(sdp.media()[0].connection.present);
}

TEST(Sdp, OutOfRangeMediaIndexIsSafe) {
  const Sdp sdp = must_parse(kEyeBeam);
  EXPECT_TRUE(sdp.media_attributes(1).empty());
  EXPECT_EQ(sdp.media_attribute(1, "sendrecv"), nullptr);
  EXPECT_FALSE(sdp.rtpmap(1, 18).has_value());
  EXPECT_FALSE(sdp.fmtp(7, 18).has_value());
  EXPECT_EQ(&sdp.connection_for(5), &sdp.connection);
  EXPECT_EQ(sdp.direction_for(5), SdpDirection::SendRecv);
  std::array<SdpCandidate, 1> c;
  EXPECT_EQ(sdp.candidates(3, c), 0u);
  std::array<SdpCrypto, 1> k;
  EXPECT_EQ(sdp.cryptos(3, k), 0u);
  std::array<uint8_t, 1> p{};
  EXPECT_EQ(sdp.payload_types(3, p), 0u);
}

std::string media_sections(size_t n) {
  std::string body = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
  for (size_t i = 0; i < n; ++i) body += "m=audio " + std::to_string(10000 + 2 * i) + " RTP/AVP 0\r\n";
  return body;
}

std::string attribute_lines(size_t n) {
  std::string body = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
                     "m=audio 10000 RTP/AVP 0\r\n";
  for (size_t i = 0; i < n; ++i) body += "a=x-pad:" + std::to_string(i) + "\r\n";
  return body;
}

TEST(Sdp, CapacityLimitsAreExactlyReachable) {
  const std::string sixteen = media_sections(kMaxSdpMedia);
  const Sdp sdp = must_parse(sixteen);
  ASSERT_EQ(sdp.media().size(), 16u);
  EXPECT_EQ(sdp.media()[15].port, 10030);
  EXPECT_EQ(at(sixteen, sdp.media()[15].port_span), "10030");
  const std::string attrs = attribute_lines(kMaxSdpAttributes);
  const Sdp sdp2 = must_parse(attrs);
  EXPECT_EQ(sdp2.attributes().size(), 128u);
  EXPECT_EQ(sdp2.media_attributes(0).size(), 128u);
  EXPECT_EQ(sdp2.media_attributes(0)[127].value, "127");
}

struct BadCase {
  const char* name;
  std::string body;
  std::string_view what;
  char line_type;
  uint16_t line;
};

constexpr std::string_view kHead = "v=0\r\no=- 8 2 IN IP4 192.168.1.131\r\ns=-\r\nc=IN IP4 192.168.1.131\r\nt=0 0\r\n";

std::vector<BadCase> bad_cases() {
  const std::string head(kHead);
  return {
      {"empty", "", "empty body", 0, 0},
      {"only blank lines", "\r\n\r\n", "description must start with v=0", 0, 0},
      {"missing v", "o=- 8 2 IN IP4 192.168.1.131\r\ns=-\r\nt=0 0\r\n", "description must start with v=0", 'o', 1},
      {"version 1", "v=1\r\no=- 8 2 IN IP4 192.168.1.131\r\ns=-\r\nt=0 0\r\n", "unsupported SDP version", 'v', 1},
      {"bad port 70000", head + "m=audio 70000 RTP/AVP 0\r\n", "bad port", 'm', 6},
      {"port not a number", head + "m=audio port RTP/AVP 0\r\n", "bad port", 'm', 6},
      {"zero port count", head + "m=audio 5000/0 RTP/AVP 0\r\n", "bad port count", 'm', 6},
      {"missing formats", head + "m=audio 5000 RTP/AVP\r\n", "missing formats", 'm', 6},
      {"missing proto", head + "m=audio 5000\r\n", "missing proto", 'm', 6},
      {"payload type 128", head + "m=audio 5000 RTP/AVP 0 128\r\n", "bad RTP payload type", 'm', 6},
      {"c= missing for a media",
       "v=0\r\no=- 8 2 IN IP4 192.168.1.131\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n"
       "m=video 5002 RTP/AVP 31\r\na=sendrecv\r\n",
       "no c= line for this media section", 'm', 7},
      {"garbage line", head + "this is not sdp\r\nm=audio 5000 RTP/AVP 0\r\n", "not a <type>=<value> line", 't', 6},
      {"unknown type letter", head + "x=whatever\r\nm=audio 5000 RTP/AVP 0\r\n", "unknown line type", 'x', 6},
      {"uppercase type letter", head + "M=audio 5000 RTP/AVP 0\r\n", "unknown line type", 'M', 6},
      {"truncated m= line", head + "m=audio 50", "missing proto", 'm', 6},
      {"truncated before t=", "v=0\r\no=- 8 2 IN IP4 192.168.1.131\r\ns=-\r\nc=IN IP4 192.1", "bad connection address",
       'c', 4},
      {"truncated after c=", "v=0\r\no=- 8 2 IN IP4 192.168.1.131\r\ns=-\r\nc=IN IP4 192.168.1.131\r\n",
       "missing t= line", 0, 0},
      {"missing o=", "v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n", "missing o= line", 'm',
       5},
      {"o= out of order", "v=0\r\ns=-\r\no=- 8 2 IN IP4 192.168.1.131\r\nt=0 0\r\n", "line out of RFC 8866 order", 'o',
       3},
      {"c= after t=", "v=0\r\no=- 8 2 IN IP4 192.168.1.131\r\ns=-\r\nt=0 0\r\nc=IN IP4 192.0.2.1\r\n",
       "line out of RFC 8866 order", 'c', 5},
      {"a= before c= in media", head + "m=audio 5000 RTP/AVP 0\r\na=sendrecv\r\nc=IN IP4 192.0.2.1\r\n",
       "line out of RFC 8866 order", 'c', 8},
      {"t= in media", head + "m=audio 5000 RTP/AVP 0\r\nt=0 0\r\n", "line type not allowed in a media section", 't', 7},
      {"second v=", head + "v=0\r\n", "line out of RFC 8866 order", 'v', 6},
      {"duplicate session c=", "v=0\r\no=- 8 2 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.5\r\nt=0 0\r\n",
       "duplicate line", 'c', 5},
      {"duplicate media c=", head + "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.5\r\n",
       "duplicate line", 'c', 8},
      {"r= before t=", "v=0\r\no=- 8 2 IN IP4 1.2.3.4\r\ns=-\r\nr=7d 1h 0 25h\r\nt=0 0\r\n", "r= without t=", 'r', 4},
      {"bad IPv4 octet", head + "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 300.1.1.1\r\n", "bad connection address", 'c', 7},
      {"bad IPv6", "v=0\r\no=- 8 2 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8:::zz\r\nt=0 0\r\n",
       "bad connection address", 'c', 4},
      {"c= with too few fields", "v=0\r\no=- 8 2 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4\r\nt=0 0\r\n", "c= needs 3 fields", 'c',
       4},
      {"o= with 5 fields (missing space)", "v=0\r\no=ZED3 5525 5525 IN IP4192.168.11.137\r\ns=ZED3\r\nt=0 0\r\n",
       "o= needs 6 fields", 'o', 2},
      {"o= version not a number", "v=0\r\no=- 8 v2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", "bad o= session version", 'o', 2},
      {"o= version overflows 64 bits", "v=0\r\no=- 8 18446744073709551616 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n",
       "bad o= session version", 'o', 2},
      {"bad t=", "v=0\r\no=- 8 2 IN IP4 1.2.3.4\r\ns=-\r\nt=now\r\n", "bad t= times", 't', 4},
      {"bad b=", head + "m=audio 5000 RTP/AVP 0\r\nb=AS:lots\r\n", "bad b= bandwidth", 'b', 7},
      {"b= without colon", head + "m=audio 5000 RTP/AVP 0\r\nb=64\r\n", "b= needs <bwtype>:<bandwidth>", 'b', 7},
      {"bad a=rtcp port", head + "m=audio 5000 RTP/AVP 0\r\na=rtcp:65536\r\n", "bad a=rtcp port", 'a', 7},
      {"a=rtcp with partial address", head + "m=audio 5000 RTP/AVP 0\r\na=rtcp:5001 IN IP4\r\n",
       "a=rtcp address needs 3 fields", 'a', 7},
      {"a=rtcp with bad address", head + "m=audio 5000 RTP/AVP 0\r\na=rtcp:5001 IN IP4 1.2.3\r\n",
       "bad a=rtcp address", 'a', 7},
      {"duplicate a=rtcp", head + "m=audio 5000 RTP/AVP 0\r\na=rtcp:5001\r\na=rtcp:5003\r\n", "duplicate a=rtcp", 'a', 8},
      {"bad ptime", head + "m=audio 5000 RTP/AVP 0\r\na=ptime:twenty\r\n", "bad a=ptime", 'a', 7},
      {"conflicting direction", head + "m=audio 5000 RTP/AVP 0\r\na=sendonly\r\na=inactive\r\n",
       "conflicting direction attributes", 'a', 8},
      {"bad attribute name", head + "m=audio 5000 RTP/AVP 0\r\na=:foo\r\n", "bad attribute name", 'a', 7},
      {"empty line inside", head + "\r\nm=audio 5000 RTP/AVP 0\r\n", "empty line inside the description", 'm', 7},
      {"stray CR", head + "m=audio 5000 RTP/AVP 0\ra=sendrecv\r\n", "stray CR inside a line", 'm', 6},
      {"NUL byte", head + std::string("m=audio 5000 RTP/AVP 0\0\r\n", 25), "NUL byte in body", 0, 0},
      {"too many media", media_sections(kMaxSdpMedia + 1), "too many media sections (max 16)", 'm', 22},
      {"too many attributes", attribute_lines(kMaxSdpAttributes + 1), "too many attributes (max 128)", 'a', 135},
  };
}

TEST(Sdp, MalformedBodiesAreRefusedWithReasonAndLine) {
  for (const BadCase& c : bad_cases()) {
    SCOPED_TRACE(c.name);
    auto r = parse_sdp(c.body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().fault, Fault::BadSdp);
    EXPECT_TRUE(r.error() == Fault::BadSdp);
    EXPECT_EQ(r.error().what, c.what);
    EXPECT_EQ(r.error().line_type, c.line_type);
    EXPECT_EQ(r.error().line, c.line);
  }
}

// Attribute names and media types are RFC 8866 §9 tokens, every byte checked against its ABNF:
// token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E.
TEST(Sdp, AttributeNamesAndMediaTypesAreRfc8866Tokens) {
  auto rfc_token_char = [](unsigned c) {
    return c == 0x21 || (c >= 0x23 && c <= 0x27) || (c >= 0x2A && c <= 0x2B) || (c >= 0x2D && c <= 0x2E) ||
           (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x5E && c <= 0x7E);
  };
  int accepted = 0;
  for (unsigned c = 0; c < 256; ++c) {
    if (c == '\r' || c == '\n' || c == 0 || c == ':' || c == ' ' || c == '\t') continue;  // framing bytes
    SCOPED_TRACE(c);
    // In the middle of a name longer than sixteen bytes too, where the check reads a block at a time.
    const std::string name = "x" + std::string(1, static_cast<char>(c)) + "y";
    const std::string long_name = "abcdefghijklmnopqrst" + std::string(1, static_cast<char>(c)) + "uvw";
    for (const std::string& n : {name, long_name}) {
      auto attr = parse_sdp(std::string(kHead) + "m=audio 5000 RTP/AVP 0\r\na=" + n + ":1\r\n");
      EXPECT_EQ(attr.ok(), rfc_token_char(c)) << n;
      if (!attr.ok()) {
        EXPECT_EQ(attr.error().what, std::string_view("bad attribute name"));
      }
      auto media = parse_sdp(std::string(kHead) + "m=" + n + " 5000 RTP/AVP 0\r\n");
      EXPECT_EQ(media.ok(), rfc_token_char(c)) << n;
      if (!media.ok()) {
        EXPECT_EQ(media.error().what, std::string_view("bad media type"));
      }
    }
    accepted += rfc_token_char(c);
  }
  EXPECT_EQ(accepted, 79);
}

TEST(Sdp, ErrorFormatsAReasonPhrase) {
  auto r = parse_sdp(std::string(kHead) + "m=audio 70000 RTP/AVP 0\r\n");
  ASSERT_FALSE(r.ok());
  const Fault f = r.error();
  EXPECT_EQ(f, Fault::BadSdp);
  EXPECT_EQ(fault_status(f), 400);
  EXPECT_EQ(r.error().off, kHead.size());
  std::array<char, 64> buf;
  const size_t n = r.error().format(buf);
  EXPECT_EQ(std::string_view(buf.data(), n), "SDP line 6 (m=): bad port");
  EXPECT_EQ(buf[n], '\0');

  auto r2 = parse_sdp("v=0\r\ns=-\r\nt=0 0\r\n");
  ASSERT_FALSE(r2.ok());
  const size_t n2 = r2.error().format(buf);
  EXPECT_EQ(std::string_view(buf.data(), n2), "SDP: missing o= line");

  // A control byte as the type letter never reaches the reason phrase.
  auto r3 = parse_sdp(std::string(kHead) + "\rm=audio 5000 RTP/AVP 0\r\n");
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().line_type, '\r');
  const size_t n4 = r3.error().format(buf);
  EXPECT_EQ(std::string_view(buf.data(), n4), "SDP line 6 (?=): stray CR inside a line");

  std::array<char, 8> small;
  const size_t n3 = r.error().format(small);
  EXPECT_EQ(n3, 7u);
  EXPECT_EQ(std::string_view(small.data(), n3), "SDP lin");
  EXPECT_EQ(r.error().format({}), 0u);
}

TEST(SdpAttributeParsers, RejectMalformedValues) {
  EXPECT_FALSE(parse_sdp_rtpmap("").has_value());
  EXPECT_FALSE(parse_sdp_rtpmap("18").has_value());
  EXPECT_FALSE(parse_sdp_rtpmap("18 G729").has_value());
  EXPECT_FALSE(parse_sdp_rtpmap("18 G729/").has_value());
  EXPECT_FALSE(parse_sdp_rtpmap("18 /8000").has_value());
  EXPECT_FALSE(parse_sdp_rtpmap("200 G729/8000").has_value());
  EXPECT_FALSE(parse_sdp_rtpmap("111 opus/48000/").has_value());
  EXPECT_TRUE(parse_sdp_rtpmap("111 opus/48000/2").has_value());
  EXPECT_FALSE(parse_sdp_fmtp("abc x=1").has_value());
  EXPECT_EQ(parse_sdp_fmtp("101")->params, "");
  EXPECT_FALSE(parse_sdp_crypto("1 AES_CM_128_HMAC_SHA1_80").has_value());
  EXPECT_FALSE(parse_sdp_crypto("1234567890 AES_CM_128_HMAC_SHA1_80 inline:x").has_value());
  EXPECT_FALSE(parse_sdp_candidate("1 1 UDP 1 10.0.0.1 5000 type host", 0).has_value());
  EXPECT_FALSE(parse_sdp_candidate("1 0 UDP 1 10.0.0.1 5000 typ host", 0).has_value());
  EXPECT_FALSE(parse_sdp_candidate("1 1 UDP 1 10.0.0.1 70000 typ host", 0).has_value());
  EXPECT_FALSE(parse_sdp_candidate("1 1 UDP 1 10.0.0.1 5000 typ srflx raddr", 0).has_value());
  EXPECT_FALSE(parse_sdp_candidate("1 1 UDP 1 10.0.0.1 5000 typ srflx rport x", 0).has_value());
  auto c = parse_sdp_candidate("1 1 UDP 1 10.0.0.1 5000 typ host", 100);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->address_span.off, 110u);
  EXPECT_EQ(c->port_span.off, 119u);
}

// The fuzz seed corpus doubles as a table: files named bad_* must be refused, all others accepted.
TEST(SdpCorpus, SeedFilesParseUnlessNamedBad) {
  const std::filesystem::path dir = std::filesystem::path(SIPEDGE_TEST_DATA_DIR) / ".." / "fuzz" / "corpus" / "sdp";
  size_t good = 0, bad = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    SCOPED_TRACE(e.path().filename().string());
    std::ifstream in(e.path(), std::ios::binary);
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const bool expect_bad = e.path().filename().string().rfind("bad_", 0) == 0;
    auto r = parse_sdp(body);
    EXPECT_EQ(r.ok(), !expect_bad) << (r.ok() ? "" : r.error().what);
    ++(expect_bad ? bad : good);
  }
  EXPECT_GE(good, 10u);
  EXPECT_GE(bad, 5u);
}

}  // namespace
}  // namespace sipedge::parser
