// tests/control/media_manager_test.cc — pins control/media/media_manager.cc: exact SDP out for each
// offer/answer step (eyeBeam offer, FreeSWITCH answer, re-INVITE, hold, A/V, rtcp-mux, IPv6) and the
// exact flows a recording FlowBackend sees; nothing leaked after errors or destroy.
#include "control/media/media_manager.h"
#include "control/proxy/refusal.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace sipedge::control {
namespace {

std::string show(const FlowBackend::End& e) {
  return std::to_string(e.iface) + " " + e.local.to_string() + ":" + std::to_string(e.local_port) + " <> " +
         (e.remote.family == IpAddr::Family::None ? std::string("*") : e.remote.to_string()) + ":" +
         std::to_string(e.remote_port);
}

// Records every call; `capacity` makes install fail like a full relay.
class FakeBackend : public FlowBackend {
 public:
  struct Flow {
    End a, b;
    Counters counters;
  };
  Result<Handle, MediaError> install(const End& a, const End& b) override {
    ++installs;
    if (flows.size() >= capacity) return Err(MediaError::RelayFull);
    const Handle h = next_handle++;
    flows[h] = Flow{a, b, {}};
    return h;
  }
  Result<std::monostate, MediaError> update(Handle h, const End& a, const End& b) override {
    ++updates;
    auto it = flows.find(h);
    if (it == flows.end()) return Err(MediaError::RelayRefused);
    it->second.a = a;
    it->second.b = b;
    return std::monostate{};
  }
  void remove(Handle h) override {
    ++removes;
    flows.erase(h);
  }
  Counters counters(Handle h) const override { return flows.at(h).counters; }
  size_t size() const override { return flows.size(); }

  // "a || b" per flow in handle order.
  std::vector<std::string> describe() const {
    std::vector<std::string> out;
    for (const auto& [h, f] : flows) out.push_back(show(f.a) + " || " + show(f.b));
    return out;
  }

  std::map<Handle, Flow> flows;
  Handle next_handle = 100;
  size_t capacity = SIZE_MAX;
  int installs = 0, updates = 0, removes = 0;
};

InterfaceConfig iface(std::string name, uint16_t index, const char* media, uint16_t min, uint16_t max) {
  InterfaceConfig i;
  i.name = std::move(name);
  i.index = index;
  i.sip_address = *IpAddr::parse(media);
  i.media_address = *IpAddr::parse(media);
  i.media_port_min = min;
  i.media_port_max = max;
  return i;
}

ControlConfig make_config() {
  ControlConfig c;
  c.interfaces.push_back(iface("access", 0, "10.201.0.1", 20000, 20999));
  c.interfaces.push_back(iface("core", 1, "10.202.0.1", 30000, 30999));
  c.interfaces.push_back(iface("core6", 2, "2001:db8:202::1", 40000, 40999));
  c.interfaces.push_back(iface("tiny", 3, "10.203.0.1", 50000, 50003));
  // One port pair on each of three addresses.
  c.interfaces.push_back(iface("pool", 4, "10.204.0.1", 52000, 52001));
  c.interfaces.back().extra_media_addresses = {IpAddr::v4(10, 204, 0, 2), IpAddr::v4(10, 204, 0, 3)};
  return c;
}

constexpr std::string_view kEyeBeamOffer =
    "v=0\r\n"
    "o=- 8 2 IN IP4 192.168.1.131\r\n"
    "s=CounterPath eyeBeam 1.5\r\n"
    "c=IN IP4 192.168.1.131\r\n"
    "t=0 0\r\n"
    "m=audio 1572 RTP/AVP 0 8 18 101\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n";

constexpr std::string_view kEyeBeamOfferOut =
    "v=0\r\n"
    "o=- 8 2 IN IP4 10.202.0.1\r\n"
    "s=CounterPath eyeBeam 1.5\r\n"
    "c=IN IP4 10.202.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 30000 RTP/AVP 0 8 18 101\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n";

// FreeSWITCH style, bare LF line ends (kept as they are).
constexpr std::string_view kSwitchAnswer =
    "v=0\n"
    "o=FreeSWITCH 1763790000 1763790001 IN IP4 10.202.0.50\n"
    "s=FreeSWITCH\n"
    "c=IN IP4 10.202.0.50\n"
    "t=0 0\n"
    "m=audio 16384 RTP/AVP 0 101\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-16\n"
    "a=ptime:20\n"
    "a=sendrecv\n"
    "a=rtcp:16385 IN IP4 10.202.0.50\n";

constexpr std::string_view kSwitchAnswerOut =
    "v=0\n"
    "o=FreeSWITCH 1763790000 1763790001 IN IP4 10.201.0.1\n"
    "s=FreeSWITCH\n"
    "c=IN IP4 10.201.0.1\n"
    "t=0 0\n"
    "m=audio 20000 RTP/AVP 0 101\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-16\n"
    "a=ptime:20\n"
    "a=sendrecv\n"
    "a=rtcp:20001 IN IP4 10.201.0.1\n";

const std::vector<std::string> kBasicFlows = {
    "0 10.201.0.1:20000 <> 192.168.1.131:1572 || 1 10.202.0.1:30000 <> 10.202.0.50:16384",
    "0 10.201.0.1:20001 <> 192.168.1.131:1573 || 1 10.202.0.1:30001 <> 10.202.0.50:16385",
};

std::string replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string s(text);
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

class MediaManagerTest : public ::testing::Test {
 protected:
  std::string ok(MediaSessionId id, MediaSide from, std::string_view sdp, SdpRole role) {
    auto r = media.rewrite(id, from, sdp, role);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : refusal_name(refusal(r.error()).cause));
    return r.ok() ? *r : std::string();
  }
  std::string offer(MediaSessionId id, MediaSide from, std::string_view sdp) { return ok(id, from, sdp, SdpRole::Offer); }
  std::string answer(MediaSessionId id, MediaSide from, std::string_view sdp) {
    return ok(id, from, sdp, SdpRole::Answer);
  }
  // Offer from the caller (iface 0) to the callee (iface 1) and the answer back.
  MediaSessionId basic_call() {
    const MediaSessionId id = media.create(0, 1);
    EXPECT_EQ(offer(id, MediaSide::Caller, kEyeBeamOffer), kEyeBeamOfferOut);
    EXPECT_EQ(answer(id, MediaSide::Callee, kSwitchAnswer), kSwitchAnswerOut);
    return id;
  }

  ControlConfig config = make_config();
  FakeBackend backend;
  MediaManager media{config, backend};
};

TEST_F(MediaManagerTest, OfferIsAnchoredOnTheCalleeInterfaceAndNoFlowBeforeTheAnswer) {
  const MediaSessionId id = media.create(0, 1);
  EXPECT_EQ(offer(id, MediaSide::Caller, kEyeBeamOffer), kEyeBeamOfferOut);
  EXPECT_EQ(backend.size(), 0u);
  EXPECT_EQ(backend.installs, 0);
  EXPECT_EQ(media.ports_in_use(0), 2u);
  EXPECT_EQ(media.ports_in_use(1), 2u);
  EXPECT_EQ(media.session_count(), 1u);
}

TEST_F(MediaManagerTest, AnswerIsAnchoredOnTheCallerInterfaceAndInstallsRtpAndRtcpFlows) {
  const MediaSessionId id = basic_call();
  EXPECT_EQ(backend.describe(), kBasicFlows);
  EXPECT_EQ(backend.installs, 2);
  EXPECT_EQ(backend.updates, 0);
  EXPECT_EQ(media.flow_count(), 2u);
  EXPECT_EQ(media.session_of_flow(100), id);
  EXPECT_EQ(media.session_of_flow(101), id);
  EXPECT_EQ(media.session_of_flow(102), std::nullopt);
  EXPECT_FALSE(media.media_on_hold(100));
}

TEST_F(MediaManagerTest, ReinviteWithTheSameSdpKeepsVersionAndFlows) {
  const MediaSessionId id = basic_call();
  // The phone bumps its own version without changing anything: the output stays byte-identical.
  EXPECT_EQ(offer(id, MediaSide::Caller, replace(kEyeBeamOffer, "o=- 8 2 ", "o=- 8 3 ")), kEyeBeamOfferOut);
  EXPECT_EQ(answer(id, MediaSide::Callee, kSwitchAnswer), kSwitchAnswerOut);
  EXPECT_EQ(offer(id, MediaSide::Caller, kEyeBeamOffer), kEyeBeamOfferOut);
  EXPECT_EQ(backend.installs, 2);
  EXPECT_EQ(backend.updates, 0);
  EXPECT_EQ(backend.removes, 0);
  EXPECT_EQ(backend.describe(), kBasicFlows);
}

TEST_F(MediaManagerTest, TheLastSdpTextsAreKeptOnlyWhileHeldAndTheVersionFollowsChangesEitherWay) {
  const MediaSessionId id = media.create(0, 1);
  media.keep_sdp_texts(id);
  media.keep_sdp_texts(id);
  EXPECT_EQ(offer(id, MediaSide::Caller, kEyeBeamOffer), kEyeBeamOfferOut);
  EXPECT_EQ(answer(id, MediaSide::Callee, kSwitchAnswer), kSwitchAnswerOut);
  EXPECT_EQ(media.last_sdp(id, MediaSide::Callee), std::string(kEyeBeamOfferOut));
  EXPECT_EQ(media.last_sdp(id, MediaSide::Caller), std::string(kSwitchAnswerOut));
  media.release_sdp_texts(id);
  EXPECT_EQ(media.last_sdp(id, MediaSide::Caller), std::string(kSwitchAnswerOut));  // one holder left
  media.release_sdp_texts(id);
  media.release_sdp_texts(id);  // one too many: ignored
  EXPECT_EQ(media.last_sdp(id, MediaSide::Callee), std::nullopt);
  EXPECT_EQ(media.last_sdp(id, MediaSide::Caller), std::nullopt);
  // Without the texts, an unchanged SDP keeps its version and a changed one goes one up.
  EXPECT_EQ(offer(id, MediaSide::Caller, kEyeBeamOffer), kEyeBeamOfferOut);
  EXPECT_EQ(answer(id, MediaSide::Callee, kSwitchAnswer), kSwitchAnswerOut);
  EXPECT_EQ(media.last_sdp(id, MediaSide::Caller), std::nullopt);  // written while nobody held them
  EXPECT_EQ(offer(id, MediaSide::Caller, replace(kEyeBeamOffer, "a=sendrecv", "a=sendonly")),
            replace(replace(kEyeBeamOfferOut, "o=- 8 2 ", "o=- 8 3 "), "a=sendrecv", "a=sendonly"));
  media.keep_sdp_texts(id);
  EXPECT_EQ(answer(id, MediaSide::Callee, replace(kSwitchAnswer, "a=sendrecv", "a=recvonly")),
            replace(replace(kSwitchAnswerOut, "1763790001", "1763790002"), "a=sendrecv", "a=recvonly"));
  EXPECT_EQ(media.last_sdp(id, MediaSide::Caller),
            replace(replace(kSwitchAnswerOut, "1763790001", "1763790002"), "a=sendrecv", "a=recvonly"));
}

TEST_F(MediaManagerTest, EarlyMediaAnswerRepeatedIn200ChangesNothing) {
  const MediaSessionId id = basic_call();  // the answer came in a 183
  EXPECT_EQ(answer(id, MediaSide::Callee, kSwitchAnswer), kSwitchAnswerOut);  // and again in the 200
  EXPECT_EQ(backend.installs, 2);
  EXPECT_EQ(backend.updates, 0);
  EXPECT_EQ(backend.describe(), kBasicFlows);
}

TEST_F(MediaManagerTest, HoldWithSendonlyThenZeroAddressThenUnholdKeepsTheFlows) {
  const MediaSessionId id = basic_call();
  // RFC 3264 §8.4 hold: direction attribute.
  std::string hold = replace(replace(kEyeBeamOffer, "a=sendrecv", "a=sendonly"), "o=- 8 2 ", "o=- 8 3 ");
  EXPECT_EQ(offer(id, MediaSide::Caller, hold),
            replace(replace(kEyeBeamOfferOut, "a=sendrecv", "a=sendonly"), "o=- 8 2 ", "o=- 8 3 "));
  EXPECT_FALSE(media.media_on_hold(100)) << "an offer changes nothing before its answer";
  std::string held_answer = replace(kSwitchAnswer, "a=sendrecv", "a=recvonly");
  EXPECT_EQ(answer(id, MediaSide::Callee, held_answer),
            replace(replace(kSwitchAnswerOut, "a=sendrecv", "a=recvonly"), " 1763790001 ", " 1763790002 "));
  EXPECT_TRUE(media.media_on_hold(100));
  // Old-style hold: c=0.0.0.0 passes through, the flow keeps the peer it had.
  std::string zero = replace(replace(kEyeBeamOffer, "c=IN IP4 192.168.1.131", "c=IN IP4 0.0.0.0"),
                             "o=- 8 2 ", "o=- 8 4 ");
  EXPECT_EQ(offer(id, MediaSide::Caller, zero),
            replace(replace(kEyeBeamOfferOut, "c=IN IP4 10.202.0.1", "c=IN IP4 0.0.0.0"), "o=- 8 2 ", "o=- 8 4 "));
  EXPECT_TRUE(media.media_on_hold(100));
  EXPECT_EQ(answer(id, MediaSide::Callee, held_answer),
            replace(replace(kSwitchAnswerOut, "a=sendrecv", "a=recvonly"), " 1763790001 ", " 1763790002 "));
  EXPECT_EQ(backend.describe(), kBasicFlows);
  // Unhold: back to the first SDP, one version up again.
  EXPECT_EQ(offer(id, MediaSide::Caller, replace(kEyeBeamOffer, "o=- 8 2 ", "o=- 8 5 ")),
            replace(kEyeBeamOfferOut, "o=- 8 2 ", "o=- 8 5 "));
  EXPECT_EQ(answer(id, MediaSide::Callee, kSwitchAnswer), replace(kSwitchAnswerOut, " 1763790001 ", " 1763790003 "));
  EXPECT_FALSE(media.media_on_hold(100));
  EXPECT_EQ(backend.installs, 2);
  EXPECT_EQ(backend.updates, 0);
  EXPECT_EQ(backend.describe(), kBasicFlows);
}

TEST_F(MediaManagerTest, ZeroAddressBeforeAnyAddressLeavesThePeerUnknown) {
  const MediaSessionId id = media.create(0, 1);
  offer(id, MediaSide::Caller, replace(kEyeBeamOffer, "c=IN IP4 192.168.1.131", "c=IN IP4 0.0.0.0"));
  answer(id, MediaSide::Callee, kSwitchAnswer);
  EXPECT_EQ(backend.describe(), (std::vector<std::string>{
                                    "0 10.201.0.1:20000 <> *:1572 || 1 10.202.0.1:30000 <> 10.202.0.50:16384",
                                    "0 10.201.0.1:20001 <> *:1573 || 1 10.202.0.1:30001 <> 10.202.0.50:16385",
                                }));
}

TEST_F(MediaManagerTest, NewPeerAddressInReinviteUpdatesTheFlows) {
  const MediaSessionId id = basic_call();
  std::string moved = replace(replace(replace(kEyeBeamOffer, "c=IN IP4 192.168.1.131", "c=IN IP4 192.168.1.140"),
                                      "m=audio 1572", "m=audio 1600"),
                              "o=- 8 2 ", "o=- 8 3 ");
  // What the callee sees does not change: same relay address and port.
  EXPECT_EQ(offer(id, MediaSide::Caller, moved), kEyeBeamOfferOut);
  EXPECT_EQ(backend.updates, 0) << "the flows follow the offer only once it is answered";
  EXPECT_EQ(backend.describe(), kBasicFlows);
  EXPECT_EQ(answer(id, MediaSide::Callee, kSwitchAnswer), kSwitchAnswerOut);
  EXPECT_EQ(backend.installs, 2);
  EXPECT_EQ(backend.updates, 2);
  EXPECT_EQ(backend.describe(), (std::vector<std::string>{
                                    "0 10.201.0.1:20000 <> 192.168.1.140:1600 || 1 10.202.0.1:30000 <> 10.202.0.50:16384",
                                    "0 10.201.0.1:20001 <> 192.168.1.140:1601 || 1 10.202.0.1:30001 <> 10.202.0.50:16385",
                                }));
}

constexpr std::string_view kAvOffer =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.168.1.20\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.20\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "m=video 51372 RTP/AVP 31\r\n"
    "c=IN IP4 192.168.1.21\r\n"
    "a=rtpmap:31 H261/90000\r\n";

TEST_F(MediaManagerTest, AudioAndVideoThenVideoRejectedWithPortZero) {
  const MediaSessionId id = media.create(0, 1);
  EXPECT_EQ(offer(id, MediaSide::Caller, kAvOffer),
            "v=0\r\n"
            "o=alice 2890844526 2890844526 IN IP4 10.202.0.1\r\n"
            "s=-\r\n"
            "c=IN IP4 10.202.0.1\r\n"
            "t=0 0\r\n"
            "m=audio 30000 RTP/AVP 0\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "m=video 30002 RTP/AVP 31\r\n"
            "c=IN IP4 10.202.0.1\r\n"
            "a=rtpmap:31 H261/90000\r\n");
  EXPECT_EQ(media.ports_in_use(0), 4u);
  EXPECT_EQ(media.ports_in_use(1), 4u);
  EXPECT_EQ(answer(id, MediaSide::Callee,
               "v=0\r\n"
               "o=bob 2808844564 2808844564 IN IP4 10.202.0.60\r\n"
               "s=-\r\n"
               "c=IN IP4 10.202.0.60\r\n"
               "t=0 0\r\n"
               "m=audio 49174 RTP/AVP 0\r\n"
               "a=rtpmap:0 PCMU/8000\r\n"
               "m=video 0 RTP/AVP 31\r\n"),
            "v=0\r\n"
            "o=bob 2808844564 2808844564 IN IP4 10.201.0.1\r\n"
            "s=-\r\n"
            "c=IN IP4 10.201.0.1\r\n"
            "t=0 0\r\n"
            "m=audio 20000 RTP/AVP 0\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "m=video 0 RTP/AVP 31\r\n");
  EXPECT_EQ(media.ports_in_use(0), 2u);
  EXPECT_EQ(media.ports_in_use(1), 2u);
  EXPECT_EQ(backend.describe(), (std::vector<std::string>{
                                    "0 10.201.0.1:20000 <> 192.168.1.20:49170 || 1 10.202.0.1:30000 <> 10.202.0.60:49174",
                                    "0 10.201.0.1:20001 <> 192.168.1.20:49171 || 1 10.202.0.1:30001 <> 10.202.0.60:49175",
                                }));
}

TEST_F(MediaManagerTest, AudioAndVideoBothAnsweredInstallFourFlows) {
  const MediaSessionId id = media.create(0, 1);
  offer(id, MediaSide::Caller, kAvOffer);
  answer(id, MediaSide::Callee,
     "v=0\r\no=bob 1 1 IN IP4 10.202.0.60\r\ns=-\r\nc=IN IP4 10.202.0.60\r\nt=0 0\r\n"
     "m=audio 49174 RTP/AVP 0\r\nm=video 49176 RTP/AVP 31\r\n");
  EXPECT_EQ(backend.describe(), (std::vector<std::string>{
                                    "0 10.201.0.1:20000 <> 192.168.1.20:49170 || 1 10.202.0.1:30000 <> 10.202.0.60:49174",
                                    "0 10.201.0.1:20001 <> 192.168.1.20:49171 || 1 10.202.0.1:30001 <> 10.202.0.60:49175",
                                    "0 10.201.0.1:20002 <> 192.168.1.21:51372 || 1 10.202.0.1:30002 <> 10.202.0.60:49176",
                                    "0 10.201.0.1:20003 <> 192.168.1.21:51373 || 1 10.202.0.1:30003 <> 10.202.0.60:49177",
                                }));
  // Video switched off by a re-INVITE: its flows and ports go once the offer is answered.
  offer(id, MediaSide::Caller, replace(kAvOffer, "m=video 51372", "m=video 0"));
  EXPECT_EQ(backend.size(), 4u);
  answer(id, MediaSide::Callee,
         "v=0\r\no=bob 1 2 IN IP4 10.202.0.60\r\ns=-\r\nc=IN IP4 10.202.0.60\r\nt=0 0\r\n"
         "m=audio 49174 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n");
  EXPECT_EQ(backend.size(), 2u);
  EXPECT_EQ(media.ports_in_use(0), 2u);
  EXPECT_EQ(media.ports_in_use(1), 2u);
}

TEST_F(MediaManagerTest, ReenabledStreamGetsNewPortsAndWaitsForTheAnswer) {
  const MediaSessionId id = media.create(0, 1);
  offer(id, MediaSide::Caller, kAvOffer);
  const std::string av_answer =
      "v=0\r\no=bob 1 1 IN IP4 10.202.0.60\r\ns=-\r\nc=IN IP4 10.202.0.60\r\nt=0 0\r\n"
      "m=audio 49174 RTP/AVP 0\r\nm=video 49176 RTP/AVP 31\r\n";
  answer(id, MediaSide::Callee, av_answer);
  offer(id, MediaSide::Caller, replace(kAvOffer, "m=video 51372", "m=video 0"));
  answer(id, MediaSide::Callee, replace(av_answer, "m=video 49176", "m=video 0"));
  EXPECT_EQ(backend.size(), 2u);
  // The callee's old video port must not be used before it answers again.
  const std::string out = offer(id, MediaSide::Caller, kAvOffer);
  EXPECT_NE(out.find("m=video 30004 RTP/AVP 31\r\n"), std::string::npos) << out;
  EXPECT_EQ(backend.size(), 2u);
  answer(id, MediaSide::Callee, replace(av_answer, "m=video 49176", "m=video 49178"));
  EXPECT_EQ(backend.size(), 4u);
  EXPECT_EQ(backend.describe()[2],
            "0 10.201.0.1:20004 <> 192.168.1.21:51372 || 1 10.202.0.1:30004 <> 10.202.0.60:49178");
}

TEST_F(MediaManagerTest, LateOfferFromTheCalleeIsAnsweredByTheCaller) {
  const MediaSessionId id = media.create(0, 1);
  // INVITE without SDP: the offer comes in the 200, the answer in the ACK.
  EXPECT_EQ(offer(id, MediaSide::Callee, kSwitchAnswer), kSwitchAnswerOut);
  EXPECT_EQ(backend.size(), 0u);
  EXPECT_EQ(answer(id, MediaSide::Caller, kEyeBeamOffer), kEyeBeamOfferOut);
  EXPECT_EQ(backend.describe(), kBasicFlows);
}

// A re-INVITE that fails (488, 491, a timeout) leaves the media exactly as it was: flows, ports
// and what the next offer looks like.
TEST_F(MediaManagerTest, RejectedOfferLeavesTheMediaExactlyAsItWas) {
  const MediaSessionId id = basic_call();
  const std::string moved_with_video =
      replace(replace(std::string(kEyeBeamOffer), "m=audio 1572", "m=audio 1600"), "o=- 8 2 ", "o=- 8 3 ") +
      "m=video 1700 RTP/AVP 31\r\n";
  const std::string out = offer(id, MediaSide::Caller, moved_with_video);
  EXPECT_NE(out.find("m=video 30002 RTP/AVP 31"), std::string::npos) << out;
  EXPECT_EQ(media.ports_in_use(0), 4u) << "the offer's video stream holds ports";
  media.reject_offer(id, MediaSide::Caller);
  EXPECT_EQ(media.ports_in_use(0), 2u);
  EXPECT_EQ(media.ports_in_use(1), 2u);
  EXPECT_EQ(backend.describe(), kBasicFlows);
  EXPECT_EQ(backend.updates, 0);
  media.reject_offer(id, MediaSide::Caller);  // nothing pending: nothing happens
  // The answer that never matched an offer only updates its own side.
  EXPECT_EQ(answer(id, MediaSide::Callee, kSwitchAnswer), kSwitchAnswerOut);
  EXPECT_EQ(backend.describe(), kBasicFlows);
}

// Colour ringback: the 183 answers from the ringback server, the 200 from the phone on another port.
TEST_F(MediaManagerTest, AnswerIn200AfterThe183AnswerMovesTheFlowsToTheNewPort) {
  const MediaSessionId id = basic_call();  // the answer came in a 183
  const std::string phone = replace(replace(kSwitchAnswer, "m=audio 16384", "m=audio 16500"), "a=rtcp:16385", "a=rtcp:16501");
  answer(id, MediaSide::Callee, phone);
  EXPECT_EQ(backend.describe(), (std::vector<std::string>{
                                    "0 10.201.0.1:20000 <> 192.168.1.131:1572 || 1 10.202.0.1:30000 <> 10.202.0.50:16500",
                                    "0 10.201.0.1:20001 <> 192.168.1.131:1573 || 1 10.202.0.1:30001 <> 10.202.0.50:16501",
                                }));
  EXPECT_EQ(backend.installs, 2);
}

TEST_F(MediaManagerTest, PrackSdpAnswersAnOfferPendingFromTheOtherSideElseOffers) {
  const MediaSessionId id = media.create(0, 1);
  offer(id, MediaSide::Callee, kSwitchAnswer);  // INVITE without SDP: the offer in a reliable 183
  ok(id, MediaSide::Caller, kEyeBeamOffer, SdpRole::OfferOrAnswer);  // the PRACK answers it
  EXPECT_EQ(backend.describe(), kBasicFlows);
  const std::string moved = replace(replace(kEyeBeamOffer, "m=audio 1572", "m=audio 1600"), "o=- 8 2 ", "o=- 8 3 ");
  ok(id, MediaSide::Caller, moved, SdpRole::OfferOrAnswer);  // nothing pending now: a new offer
  EXPECT_EQ(backend.describe(), kBasicFlows);
  answer(id, MediaSide::Callee, kSwitchAnswer);
  EXPECT_EQ(backend.describe()[0], "0 10.201.0.1:20000 <> 192.168.1.131:1600 || 1 10.202.0.1:30000 <> 10.202.0.50:16384");
}

TEST_F(MediaManagerTest, InactiveStreamIsOnHold) {
  const MediaSessionId id = basic_call();
  answer(id, MediaSide::Callee, replace(kSwitchAnswer, "a=sendrecv", "a=inactive"));
  EXPECT_TRUE(media.media_on_hold(101));
  EXPECT_FALSE(media.media_on_hold(555));
}

constexpr std::string_view kMuxOffer =
    "v=0\r\n"
    "o=- 100 1 IN IP4 192.168.1.30\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.30\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\n"
    "a=rtcp:40000\r\n"
    "a=rtcp-mux\r\n";

TEST_F(MediaManagerTest, RtcpMuxOnBothSidesMeansOneFlowAndRtcpNamesTheRtpPort) {
  const MediaSessionId id = media.create(0, 1);
  EXPECT_EQ(offer(id, MediaSide::Caller, kMuxOffer),
            "v=0\r\n"
            "o=- 100 1 IN IP4 10.202.0.1\r\n"
            "s=-\r\n"
            "c=IN IP4 10.202.0.1\r\n"
            "t=0 0\r\n"
            "m=audio 30000 RTP/AVP 0\r\n"
            "a=rtcp:30000\r\n"
            "a=rtcp-mux\r\n");
  EXPECT_EQ(answer(id, MediaSide::Callee,
               "v=0\r\no=- 7 7 IN IP4 10.202.0.70\r\ns=-\r\nc=IN IP4 10.202.0.70\r\nt=0 0\r\n"
               "m=audio 8000 RTP/AVP 0\r\na=rtcp-mux\r\n"),
            "v=0\r\no=- 7 7 IN IP4 10.201.0.1\r\ns=-\r\nc=IN IP4 10.201.0.1\r\nt=0 0\r\n"
            "m=audio 20000 RTP/AVP 0\r\na=rtcp-mux\r\n");
  EXPECT_EQ(backend.describe(), (std::vector<std::string>{
                                    "0 10.201.0.1:20000 <> 192.168.1.30:40000 || 1 10.202.0.1:30000 <> 10.202.0.70:8000",
                                }));
}

TEST_F(MediaManagerTest, RtcpMuxDeclinedByTheAnswerKeepsTheRtcpFlow) {
  const MediaSessionId id = media.create(0, 1);
  offer(id, MediaSide::Caller, kMuxOffer);
  answer(id, MediaSide::Callee,
     "v=0\r\no=- 7 7 IN IP4 10.202.0.70\r\ns=-\r\nc=IN IP4 10.202.0.70\r\nt=0 0\r\nm=audio 8000 RTP/AVP 0\r\n");
  EXPECT_EQ(backend.describe(), (std::vector<std::string>{
                                    "0 10.201.0.1:20000 <> 192.168.1.30:40000 || 1 10.202.0.1:30000 <> 10.202.0.70:8000",
                                    "0 10.201.0.1:20001 <> 192.168.1.30:40000 || 1 10.202.0.1:30001 <> 10.202.0.70:8001",
                                }));
}

TEST_F(MediaManagerTest, Ipv6InterfaceGetsIn6Addresses) {
  const MediaSessionId id = media.create(0, 2);
  EXPECT_EQ(offer(id, MediaSide::Caller, kEyeBeamOffer),
            "v=0\r\n"
            "o=- 8 2 IN IP6 2001:db8:202::1\r\n"
            "s=CounterPath eyeBeam 1.5\r\n"
            "c=IN IP6 2001:db8:202::1\r\n"
            "t=0 0\r\n"
            "m=audio 40000 RTP/AVP 0 8 18 101\r\n"
            "a=fmtp:18 annexb=no\r\n"
            "a=fmtp:101 0-15\r\n"
            "a=rtpmap:18 G729/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=sendrecv\r\n");
  EXPECT_EQ(answer(id, MediaSide::Callee,
               "v=0\r\n"
               "o=- 9 9 IN IP6 2001:db8:202::50\r\n"
               "s=-\r\n"
               "c=IN IP6 2001:db8:202::50\r\n"
               "t=0 0\r\n"
               "m=audio 6000 RTP/AVP 0\r\n"
               "a=rtcp:6001 IN IP6 2001:db8:202::51\r\n"),
            "v=0\r\n"
            "o=- 9 9 IN IP4 10.201.0.1\r\n"
            "s=-\r\n"
            "c=IN IP4 10.201.0.1\r\n"
            "t=0 0\r\n"
            "m=audio 20000 RTP/AVP 0\r\n"
            "a=rtcp:20001 IN IP4 10.201.0.1\r\n");
  EXPECT_EQ(backend.describe(),
            (std::vector<std::string>{
                "0 10.201.0.1:20000 <> 192.168.1.131:1572 || 2 2001:db8:202::1:40000 <> 2001:db8:202::50:6000",
                "0 10.201.0.1:20001 <> 192.168.1.131:1573 || 2 2001:db8:202::1:40001 <> 2001:db8:202::51:6001",
            }));
}

TEST_F(MediaManagerTest, PeerAddressOfTheWrongFamilyIsRefusedWithoutState) {
  const MediaSessionId id = media.create(0, 2);
  offer(id, MediaSide::Caller, kEyeBeamOffer);
  auto r = media.rewrite(id, MediaSide::Callee, kSwitchAnswer, SdpRole::Answer);  // IPv4 peer on the IPv6 interface
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), MediaError::AddressFamily);
  EXPECT_EQ(backend.size(), 0u);
  EXPECT_EQ(media.ports_in_use(0), 2u);
  EXPECT_EQ(media.ports_in_use(2), 2u);
}

std::string offer_with_streams(int n) {
  std::string s = "v=0\r\no=- 1 1 IN IP4 192.168.1.5\r\ns=-\r\nc=IN IP4 192.168.1.5\r\nt=0 0\r\n";
  for (int i = 0; i < n; ++i) s += "m=audio " + std::to_string(10000 + 2 * i) + " RTP/AVP 0\r\n";
  return s;
}

TEST_F(MediaManagerTest, ExhaustedPortRangeFailsWithNoPortsAndLeaksNothing) {
  const MediaSessionId id = media.create(0, 3);  // iface 3: 50000-50003, two pairs
  auto r = media.rewrite(id, MediaSide::Caller, offer_with_streams(3), SdpRole::Offer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), MediaError::NoPorts);
  EXPECT_EQ(media.ports_in_use(0), 0u);
  EXPECT_EQ(media.ports_in_use(3), 0u);
  // Two streams fit exactly.
  const std::string out = offer(id, MediaSide::Caller, offer_with_streams(2));
  EXPECT_NE(out.find("m=audio 50000 RTP/AVP 0\r\nm=audio 50002 RTP/AVP 0\r\n"), std::string::npos) << out;
  EXPECT_EQ(media.ports_in_use(3), 4u);
  const MediaSessionId other = media.create(0, 3);
  auto full = media.rewrite(other, MediaSide::Caller, offer_with_streams(1), SdpRole::Offer);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error(), MediaError::NoPorts);
  EXPECT_EQ(media.ports_in_use(0), 4u);
  media.destroy(id);
  EXPECT_EQ(media.ports_in_use(3), 0u);
  EXPECT_NE(offer(other, MediaSide::Caller, offer_with_streams(1)).find("m=audio 50000 "), std::string::npos);
}

// The free ports are a ring: a released pair goes behind the others, so across many wraps the two
// pairs of interface 3 alternate, each reused as late as possible.
TEST_F(MediaManagerTest, ReleasedPortsAreReusedLastAcrossManyWrapsOfTheRing) {
  for (int round = 0; round < 7; ++round) {
    const MediaSessionId id = media.create(0, 3);
    const std::string expected = round % 2 == 0 ? "m=audio 50000 " : "m=audio 50002 ";
    EXPECT_NE(offer(id, MediaSide::Caller, offer_with_streams(1)).find(expected), std::string::npos) << round;
    EXPECT_EQ(media.ports_in_use(3), 2u);
    media.destroy(id);
    EXPECT_EQ(media.ports_in_use(3), 0u);
  }
}

TEST_F(MediaManagerTest, ExtraMediaAddressesEachAddThePortRangeAndAreTakenInTurn) {
  std::vector<MediaSessionId> ids;
  for (const char* address : {"10.204.0.1", "10.204.0.2", "10.204.0.3"}) {
    const MediaSessionId id = media.create(0, 4);
    const std::string out = offer(id, MediaSide::Caller, kEyeBeamOffer);
    // The whole SDP names the one address this side took, o= and c= alike.
    EXPECT_EQ(out, replace(replace(replace(kEyeBeamOfferOut, "IN IP4 10.202.0.1", std::string("IN IP4 ") + address),
                                   "IN IP4 10.202.0.1", std::string("IN IP4 ") + address),
                           "m=audio 30000", "m=audio 52000"));
    EXPECT_NE(answer(id, MediaSide::Callee, replace(kSwitchAnswer, "10.202.0.50", "10.204.0.50")), "");
    ids.push_back(id);
  }
  EXPECT_EQ(media.ports_in_use(4), 6u);
  EXPECT_EQ(backend.describe()[0], "0 10.201.0.1:20000 <> 192.168.1.131:1572 || 4 10.204.0.1:52000 <> 10.202.0.50:16384");
  EXPECT_EQ(backend.describe()[2], "0 10.201.0.1:20002 <> 192.168.1.131:1572 || 4 10.204.0.2:52000 <> 10.202.0.50:16384");
  EXPECT_EQ(backend.describe()[5], "0 10.201.0.1:20005 <> 192.168.1.131:1573 || 4 10.204.0.3:52001 <> 10.202.0.50:16385");
  // Every address is full: the next session side has nowhere to go.
  const MediaSessionId full = media.create(0, 4);
  auto r = media.rewrite(full, MediaSide::Caller, kEyeBeamOffer, SdpRole::Offer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), MediaError::NoPorts);
  media.destroy(full);
  // A pair released on the second address serves the next session that takes that address.
  media.destroy(ids[1]);
  EXPECT_EQ(media.ports_in_use(4), 4u);
  for (int i = 0; i < 2; ++i) media.destroy(media.create(0, 4));  // turns: 10.204.0.2, .3
  const MediaSessionId again = media.create(0, 4);  // 10.204.0.1 is full
  EXPECT_EQ(media.rewrite(again, MediaSide::Caller, kEyeBeamOffer, SdpRole::Offer).error(), MediaError::NoPorts);
  const MediaSessionId second = media.create(0, 4);
  EXPECT_NE(offer(second, MediaSide::Caller, kEyeBeamOffer).find("c=IN IP4 10.204.0.2\r\nt=0 0\r\nm=audio 52000 "),
            std::string::npos);
}

TEST_F(MediaManagerTest, ReleasedPortsAreReusedLast) {
  media.destroy(basic_call());
  const MediaSessionId id = media.create(0, 1);
  EXPECT_EQ(offer(id, MediaSide::Caller, kEyeBeamOffer), replace(kEyeBeamOfferOut, "m=audio 30000", "m=audio 30002"));
}

// Control shards (issue 14 §2): each shard's manager hands out its own slice of the range, every
// count-th RTP/RTCP pair, so two shards never anchor two calls on one port; each runs out alone.
TEST(MediaManagerSlices, ShardsTakeDisjointPairsOfOneRangeAndRunOutAlone) {
  ControlConfig c = make_config();
  c.interfaces[0].media_port_min = 20000;
  c.interfaces[0].media_port_max = 20011;  // six pairs: 20000, 20002, ... 20010
  FakeBackend backend;
  std::vector<std::unique_ptr<MediaManager>> shards;
  for (unsigned i = 0; i < 3; ++i)
    shards.push_back(std::make_unique<MediaManager>(c, backend, MediaPortSlice{i, 3}));
  std::vector<std::vector<std::string>> ports(3);
  for (unsigned i = 0; i < 3; ++i) {
    for (int call = 0; call < 3; ++call) {
      const MediaSessionId id = shards[i]->create(1, 0);
      auto sdp = shards[i]->rewrite(id, MediaSide::Caller, kSwitchAnswer, SdpRole::Offer);
      if (call == 2) {
        ASSERT_FALSE(sdp.ok()) << "shard " << i << " has two pairs";
        EXPECT_EQ(sdp.error(), MediaError::NoPorts);
        break;
      }
      ASSERT_TRUE(sdp.ok()) << "shard " << i;
      const size_t at = sdp->find("m=audio ") + 8;
      ports[i].push_back(sdp->substr(at, 5));
    }
  }
  EXPECT_EQ(ports[0], (std::vector<std::string>{"20000", "20006"}));
  EXPECT_EQ(ports[1], (std::vector<std::string>{"20002", "20008"}));
  EXPECT_EQ(ports[2], (std::vector<std::string>{"20004", "20010"}));
}

TEST_F(MediaManagerTest, RelayFullRollsBackFlowsAndKeepsTheVersion) {
  const MediaSessionId id = media.create(0, 1);
  offer(id, MediaSide::Caller, kEyeBeamOffer);
  backend.capacity = 1;
  auto r = media.rewrite(id, MediaSide::Callee, kSwitchAnswer, SdpRole::Answer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), MediaError::RelayFull);
  EXPECT_EQ(backend.size(), 0u);
  EXPECT_EQ(media.ports_in_use(0), 2u);
  backend.capacity = SIZE_MAX;
  EXPECT_EQ(answer(id, MediaSide::Callee, kSwitchAnswer), kSwitchAnswerOut);
  EXPECT_EQ(backend.size(), 2u);
}

TEST_F(MediaManagerTest, BadInputIsRefusedByKind) {
  const MediaSessionId id = media.create(0, 1);
  auto bad = media.rewrite(id, MediaSide::Caller, "this is not SDP", SdpRole::Offer);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), MediaError::BadSdp);
  auto many = media.rewrite(id, MediaSide::Caller, offer_with_streams(17), SdpRole::Offer);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error(), MediaError::TooManyStreams);
  auto unknown = media.rewrite(999, MediaSide::Caller, kEyeBeamOffer, SdpRole::Offer);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error(), MediaError::UnknownSession);
  EXPECT_EQ(media.ports_in_use(0), 0u);
  EXPECT_EQ(media.ports_in_use(1), 0u);
}

TEST_F(MediaManagerTest, DestroyReturnsEveryPortAndFlow) {
  const MediaSessionId id = basic_call();
  const MediaSessionId av = media.create(0, 1);
  offer(av, MediaSide::Caller, kAvOffer);
  EXPECT_EQ(media.ports_in_use(0), 6u);
  media.destroy(id);
  media.destroy(av);
  media.destroy(av);  // twice is harmless
  EXPECT_EQ(media.ports_in_use(0), 0u);
  EXPECT_EQ(media.ports_in_use(1), 0u);
  EXPECT_EQ(backend.size(), 0u);
  EXPECT_EQ(backend.removes, 2);
  EXPECT_EQ(media.session_count(), 0u);
  EXPECT_EQ(media.session_of_flow(100), std::nullopt);
}

TEST_F(MediaManagerTest, ASessionNamesItsOwnerUntilDestroyed) {
  const MediaSessionId id = media.create(0, 1, 42);
  const MediaSessionId other = media.create(0, 1);
  EXPECT_EQ(media.owner_of(id), 42u);
  EXPECT_EQ(media.owner_of(other), 0u);
  media.destroy(id);
  EXPECT_EQ(media.owner_of(id), 0u);
}

TEST_F(MediaManagerTest, StatsSumEveryFlowOfTheSession) {
  const MediaSessionId id = basic_call();
  backend.flows[100].counters = FlowBackend::Counters{{50, 40}, {8600, 6880}};
  backend.flows[101].counters = FlowBackend::Counters{{2, 1}, {160, 80}};
  const MediaManager::Stats st = media.stats(id);
  EXPECT_EQ(st.packets[0], 52u);
  EXPECT_EQ(st.packets[1], 41u);
  EXPECT_EQ(st.bytes[0], 8760u);
  EXPECT_EQ(st.bytes[1], 6960u);
  EXPECT_EQ(media.stats(999).packets[0], 0u);
}

TEST_F(MediaManagerTest, MovingACalleeToAnotherInterfaceMovesItsPortsAndDropsItsFlows) {
  // After an answer (early media from the first target): its flows go with it.
  const MediaSessionId answered = basic_call();
  ASSERT_EQ(backend.size(), 2u);
  ASSERT_TRUE(media.move_side(answered, MediaSide::Callee, 0).ok());
  EXPECT_EQ(backend.size(), 0u);
  EXPECT_EQ(media.ports_in_use(0), 4u);
  EXPECT_EQ(media.ports_in_use(1), 0u);
  EXPECT_TRUE(media.move_side(answered, MediaSide::Callee, 0).ok()) << "same interface: nothing to do";
  media.destroy(answered);
  // Before any answer: the pending offer's callee-side ports move, and the offer sent again names
  // the new interface.
  const MediaSessionId pending = media.create(0, 1);
  offer(pending, MediaSide::Caller, kEyeBeamOffer);
  ASSERT_TRUE(media.move_side(pending, MediaSide::Callee, 0).ok());
  EXPECT_EQ(media.ports_in_use(0), 4u);
  EXPECT_EQ(media.ports_in_use(1), 0u);
  const std::string again = offer(pending, MediaSide::Caller, kEyeBeamOffer);
  EXPECT_EQ(media.ports_in_use(0), 4u) << "the offer made again reuses the moved ports";
  EXPECT_NE(again.find("c=IN IP4 " + config.interfaces[0].media_address.to_string()), std::string::npos) << again;
  media.destroy(pending);
  EXPECT_EQ(media.ports_in_use(0), 0u);
  EXPECT_EQ(media.ports_in_use(1), 0u);
}

}  // namespace
}  // namespace sipedge::control
