// Pins the dispatch rule of sharded signalling (issue 14 §2, common/shard.h): control shards as the
// runtime runs them, in one test thread. Each shard is a Proxy with its own wire, relay, media
// manager and timers; all share the route-token and nonce secrets, and replicate the location
// table. A router hands every message a UA sends to the shard its Call-ID hashes to, as the
// workers do. The oracle is the router's record, not the proxy's: for every Call-ID, the shards it
// reached and the shards that sent it must be one and the same, in proxy and in b2bua mode (where
// sipedge mints the callee leg's Call-ID), across thousands of calls that ring, answer, retransmit,
// CANCEL and get busy; every call must end as its UAs expect; and no shard may keep anything. The
// shards share their edge guards as the runtime's do: a guesser's failures add up over them. A
// REFER whose Replaces names a dialog of another shard is mapped by that shard's answer.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/shard.h"
#include "control/proxy/proxy.h"
#include "tests/control/proxy_test_util.h"

namespace sipedge::control::testing {
namespace {

const std::string kOffer =
    "v=0\r\no=- 8 2 IN IP4 10.201.0.2\r\ns=-\r\nc=IN IP4 10.201.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n";
const std::string kAnswer =
    "v=0\r\no=- 9 1 IN IP4 10.202.0.2\r\ns=-\r\nc=IN IP4 10.202.0.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n";

std::string call_id_of(const std::string& bytes) { return header(bytes, parser::HeaderId::CallId); }

struct Shard;

// Location changes, questions and answers travel between shards as they would through the
// runtime's mailboxes: queued by the writer, taken by each reader between two messages.
struct Mailboxes final : LocationPeers, ShardQueries {
  std::vector<Shard*>* shards = nullptr;
  uint32_t self = 0;
  void publish(const BindingChange& change) override;
  void ask_far_dialog(uint32_t owner, uint32_t asker, std::string replaces) override;
  void answer_far_dialog(uint32_t asker, std::string replaces, std::optional<FarDialog> far) override;
};

struct Shard {
  Shard(const ControlConfig& config, ManualClock& clock, ShardMap map, uint32_t index, EdgeGuards& guards)
      : media(config, relay, MediaPortSlice{index, 3}),
        proxy(config, wire, media, clock, scanner, RouteToken("shard-secret"),
              ShardPlace{map, index, "nonce-secret", &guards, &peers}) {}
  RecordingTransport wire;
  FakeRelay relay;
  MediaManager media;
  parser::HandScanner scanner;
  Proxy proxy;
  Mailboxes peers;
  std::vector<BindingChange> inbox;
  std::vector<std::pair<uint32_t, std::string>> questions;
  std::vector<std::pair<std::string, std::optional<FarDialog>>> answers;
  bool has_mail() const { return !inbox.empty() || !questions.empty() || !answers.empty(); }
};

void Mailboxes::publish(const BindingChange& change) {
  for (uint32_t i = 0; i < shards->size(); ++i)
    if (i != self) (*shards)[i]->inbox.push_back(change);
}
void Mailboxes::ask_far_dialog(uint32_t owner, uint32_t asker, std::string replaces) {
  (*shards)[owner]->questions.emplace_back(asker, std::move(replaces));
}
void Mailboxes::answer_far_dialog(uint32_t asker, std::string replaces, std::optional<FarDialog> far) {
  (*shards)[asker]->answers.emplace_back(std::move(replaces), std::move(far));
}

class ShardRouting : public ::testing::TestWithParam<SignallingMode> {
 protected:
  static constexpr uint32_t kShards = 3;
  ControlConfig config = [] {
    ControlConfig c = test_config();
    c.default_mode = GetParam();
    c.routes.front().next_hops = {kTrunk};  // a busy trunk is the answer, not a reason to fail over
    return c;
  }();
  ManualClock clock;
  ShardMap map{kShards, 0x5eed};
  EdgeGuards guards{config};
  std::vector<std::unique_ptr<Shard>> owned;
  std::vector<Shard*> shards;
  // The router's record, per Call-ID: the shards that received a message with it, and those that sent one.
  std::map<std::string, std::set<uint32_t>> received_by, sent_by;
  std::map<std::string, std::string> callee_leg;  // the Call-ID of the INVITE that reached the callee, by call
  // What the shards sent, in order, with the sender.
  struct Out {
    uint32_t shard;
    Sent sent;
  };
  std::deque<Out> out;
  uint32_t nc = 1;
  int register_cseq = 1;

  void SetUp() override {
    for (uint32_t i = 0; i < kShards; ++i) {
      owned.push_back(std::make_unique<Shard>(config, clock, map, i, guards));
      shards.push_back(owned.back().get());
    }
    for (uint32_t i = 0; i < kShards; ++i) {
      shards[i]->peers.shards = &shards;
      shards[i]->peers.self = i;
      shards[i]->proxy.location().set_peers(&shards[i]->peers, static_cast<uint8_t>(i), clock);
    }
  }

  // A UA's message, to the shard of its Call-ID; what every shard sent is collected. With `settle`,
  // every shard then takes its mail until none is left, as their loops would.
  void deliver(const std::string& bytes, const Endpoint& from, uint16_t iface, bool settle = true) {
    parser::Message m;
    ASSERT_EQ(parser::HandScanner().scan(bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete) << bytes;
    const uint32_t s = map.of(m.value(parser::HeaderId::CallId));
    received_by[std::string(m.value(parser::HeaderId::CallId))].insert(s);
    read_mail(*shards[s]);
    shards[s]->proxy.on_message(Inbound{m, from, {}, iface});
    if (settle) settle_mail();
    collect();
  }
  static void read_mail(Shard& s) {
    const std::vector<BindingChange> changes = std::move(s.inbox);
    const auto questions = std::move(s.questions);
    const auto answers = std::move(s.answers);
    s.inbox.clear();
    s.questions.clear();
    s.answers.clear();
    for (const BindingChange& c : changes) s.proxy.location().apply(c);
    for (const auto& [asker, replaces] : questions) s.proxy.answer_far_dialog(asker, replaces);
    for (const auto& [replaces, far] : answers) s.proxy.far_dialog_answered(replaces, far);
  }
  void settle_mail() {
    for (bool any = true; any;) {
      any = false;
      for (Shard* s : shards) {
        if (!s->has_mail()) continue;
        read_mail(*s);
        any = true;
      }
    }
  }
  void collect() {
    for (uint32_t i = 0; i < kShards; ++i) {
      for (Sent& x : shards[i]->wire.sent) {
        sent_by[call_id_of(x.bytes)].insert(i);
        out.push_back({i, std::move(x)});
      }
      shards[i]->wire.sent.clear();
    }
  }
  // The first message sent to `dest` whose first line starts with `start` (and whose CSeq is `cseq`,
  // when given), taken out.
  std::string take(const Endpoint& dest, const std::string& start, const std::string& cseq = "") {
    for (auto it = out.begin(); it != out.end(); ++it) {
      if (!(it->sent.dest == dest) || first_line(it->sent.bytes).rfind(start, 0) != 0) continue;
      if (!cseq.empty() && header(it->sent.bytes, parser::HeaderId::CSeq) != cseq) continue;
      std::string bytes = std::move(it->sent.bytes);
      out.erase(it);
      return bytes;
    }
    ADD_FAILURE() << "nothing starting with '" << start << "' was sent to " << dest.to_string();
    return {};
  }
  void advance(uint64_t ms) {
    for (uint64_t t = 0; t < ms; t += 100) {
      clock.advance(100);
      for (Shard* s : shards) {
        read_mail(*s);
        s->proxy.on_tick();
      }
      collect();
    }
  }

  std::string credentials(const std::string& challenge, const std::string& user, const std::string& method,
                          const std::string& uri) {
    return digest_credentials(challenge, user, method, uri, nc++);
  }

  std::string register_request(int cseq, const std::string& auth, uint32_t expires) {
    return "REGISTER sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.3:5060;branch=z9hG4bKreg" +
           std::to_string(cseq) + ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:1012@sipedge.test>;tag=r1\r\n"
           "To: <sip:1012@sipedge.test>\r\nCall-ID: reg-1012\r\nCSeq: " + std::to_string(cseq) +
           " REGISTER\r\nContact: <sip:1012@10.201.0.3:5060>\r\nExpires: " + std::to_string(expires) + "\r\n" +
           (auth.empty() ? "" : "Authorization: " + auth + "\r\n") + "Content-Length: 0\r\n\r\n";
  }
  // Bob (1012) registers, or with `expires` 0 deregisters, through the 401.
  void register_bob(uint32_t expires) {
    deliver(register_request(register_cseq++, "", expires), kBob, 0);
    const std::string challenge = take(kBob, "SIP/2.0 401");
    const std::string auth =
        credentials(header(challenge, parser::HeaderId::WwwAuthenticate), "1012", "REGISTER", "sip:sipedge.test");
    deliver(register_request(register_cseq++, auth, expires), kBob, 0);
    EXPECT_EQ(first_line(take(kBob, "SIP/2.0 200")), "SIP/2.0 200 OK");
  }

  struct Call {
    std::string id, to_uri, branch;
    Endpoint callee;
    uint16_t callee_iface;
  };
  std::string invite(const Call& c, int cseq, const std::string& auth) const {
    return "INVITE " + c.to_uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=" + c.branch +
           std::to_string(cseq) + ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:1006@sipedge.test>;tag=a" + c.id +
           "\r\nTo: <" + c.to_uri + ">\r\nCall-ID: " + c.id + "\r\nCSeq: " + std::to_string(cseq) +
           " INVITE\r\nContact: <sip:1006@10.201.0.2:5060>\r\n" +
           (auth.empty() ? "" : "Proxy-Authorization: " + auth + "\r\n") +
           "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(kOffer.size()) + "\r\n\r\n" + kOffer;
  }
  // Alice's ACK or CANCEL within the INVITE transaction `cseq` (same branch, RFC 3261 §9.1, §17.1.1.3).
  std::string same_transaction(const Call& c, const std::string& method, int cseq, const std::string& to) const {
    return method + " " + c.to_uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=" + c.branch +
           std::to_string(cseq) + ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:1006@sipedge.test>;tag=a" + c.id +
           "\r\nTo: " + to + "\r\nCall-ID: " + c.id + "\r\nCSeq: " + std::to_string(cseq) + " " + method +
           "\r\nContent-Length: 0\r\n\r\n";
  }
  // Alice's ACK (for the 2xx), BYE or REFER (with `extra` headers): to the 200's Contact, along the
  // route set it gave her.
  std::string in_dialog(const Call& c, const std::string& method, int cseq, const std::string& ok,
                        const std::string& extra = "") const {
    parser::Message m;
    EXPECT_EQ(parser::HandScanner().scan(ok, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
    std::vector<std::string> rr;
    for (const parser::HeaderField* h = m.find(parser::HeaderId::RecordRoute); h; h = m.next_same(h))
      rr.insert(rr.begin(), std::string(m.text(h->value)));
    std::string routes;
    for (const std::string& r : rr) routes += (routes.empty() ? "" : ", ") + r;
    const std::string contact(m.value(parser::HeaderId::Contact));
    return method + " " + contact.substr(1, contact.find('>') - 1) + " SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bK" +
           method + c.id + "c" + std::to_string(cseq) + ";rport\r\nMax-Forwards: 70\r\n" +
           (routes.empty() ? "" : "Route: " + routes + "\r\n") + "From: <sip:1006@sipedge.test>;tag=a" + c.id +
           "\r\nTo: " + std::string(m.value(parser::HeaderId::To)) + "\r\nCall-ID: " + c.id + "\r\nCSeq: " +
           std::to_string(cseq) + " " + method + "\r\n" + extra + "Content-Length: 0\r\n\r\n";
  }

  // Alice INVITEs through the 407 (and retransmits the authorised INVITE); the INVITE that reached
  // the callee.
  std::string start(const Call& c) {
    out.clear();  // what the UAs ignored of the call before (100 Trying, retransmitted answers)
    deliver(invite(c, 1, ""), kAlice, 0);
    const std::string challenge = take(kAlice, "SIP/2.0 407");
    deliver(same_transaction(c, "ACK", 1, header(challenge, parser::HeaderId::To)), kAlice, 0);
    const std::string authorised =
        invite(c, 2, credentials(header(challenge, parser::HeaderId::ProxyAuthenticate), "1006", "INVITE", c.to_uri));
    deliver(authorised, kAlice, 0);
    deliver(authorised, kAlice, 0);
    std::string fwd = take(c.callee, "INVITE ");
    callee_leg[c.id] = call_id_of(fwd);
    return fwd;
  }
  void answered(const Call& c) {
    const std::string fwd = start(c);
    deliver(response_to(fwd, 180, "Ringing", "b" + c.id, "sip:callee@" + c.callee.to_string()), c.callee, c.callee_iface);
    take(kAlice, "SIP/2.0 180");
    const std::string ok = response_to(fwd, 200, "OK", "b" + c.id, "sip:callee@" + c.callee.to_string(), kAnswer);
    deliver(ok, c.callee, c.callee_iface);
    deliver(ok, c.callee, c.callee_iface);  // the callee did not see the ACK yet
    const std::string ok_at_alice = take(kAlice, "SIP/2.0 200");
    if (ok_at_alice.empty()) return;
    deliver(in_dialog(c, "ACK", 2, ok_at_alice), kAlice, 0);
    const std::string bye = in_dialog(c, "BYE", 3, ok_at_alice);
    deliver(bye, kAlice, 0);
    const std::string bye_at_callee = take(c.callee, "BYE ");
    deliver(bye, kAlice, 0);  // Alice retransmits before the answer
    deliver(response_to(bye_at_callee, 200, "OK", "b" + c.id, "sip:callee@" + c.callee.to_string()), c.callee,
            c.callee_iface);
    EXPECT_EQ(first_line(take(kAlice, "SIP/2.0 200", "3 BYE")), "SIP/2.0 200 OK") << c.id;
  }
  // A call answered and ACKed, left up: the INVITE that reached the callee and the 200 Alice got.
  struct Up {
    std::string at_callee, ok;
  };
  Up established(const Call& c) {
    Up up;
    up.at_callee = start(c);
    deliver(response_to(up.at_callee, 200, "OK", "b" + c.id, "sip:callee@" + c.callee.to_string(), kAnswer), c.callee,
            c.callee_iface);
    up.ok = take(kAlice, "SIP/2.0 200");
    deliver(in_dialog(c, "ACK", 2, up.ok), kAlice, 0);
    take(c.callee, "ACK ");
    return up;
  }
  // A call from Alice to the trunk (+4930100), answered and acknowledged, on the shard of its
  // Call-ID; what the shards sent for it is dropped.
  struct Held {
    Call call;
    uint32_t home;
    Up up;
  };
  Held held_trunk_call(const std::string& id, const std::string& branch) {
    const Call call{id, "sip:+4930100@sipedge.test", branch, kTrunk, 1};
    Held h{call, map.of(id), established(call)};
    out.clear();
    return h;
  }
  // Alice ends an established call with BYE (CSeq `cseq`); the callee answers.
  void hang_up(const Call& c, const Up& up, int cseq) {
    deliver(in_dialog(c, "BYE", cseq, up.ok), kAlice, 0);
    const std::string bye = take(c.callee, "BYE ");
    deliver(response_to(bye, 200, "OK", "b" + c.id, "sip:callee@" + c.callee.to_string()), c.callee, c.callee_iface);
    EXPECT_EQ(first_line(take(kAlice, "SIP/2.0 200", std::to_string(cseq) + " BYE")), "SIP/2.0 200 OK") << c.id;
  }
  void cancelled(const Call& c) {
    const std::string fwd = start(c);
    deliver(response_to(fwd, 180, "Ringing", "b" + c.id, "sip:callee@" + c.callee.to_string()), c.callee, c.callee_iface);
    const std::string ringing = take(kAlice, "SIP/2.0 180");
    deliver(same_transaction(c, "CANCEL", 2, "<" + c.to_uri + ">"), kAlice, 0);
    EXPECT_EQ(first_line(take(kAlice, "SIP/2.0 200", "2 CANCEL")), "SIP/2.0 200 OK") << c.id;
    const std::string cancel = take(c.callee, "CANCEL ");
    deliver(response_to(cancel, 200, "OK", "b" + c.id, "sip:callee@" + c.callee.to_string()), c.callee, c.callee_iface);
    deliver(response_to(fwd, 487, "Request Terminated", "b" + c.id, "sip:callee@" + c.callee.to_string()), c.callee,
            c.callee_iface);
    take(c.callee, "ACK ");
    const std::string terminated = take(kAlice, "SIP/2.0 487");
    deliver(same_transaction(c, "ACK", 2, header(terminated, parser::HeaderId::To)), kAlice, 0);
  }
  void busy(const Call& c) {
    const std::string fwd = start(c);
    deliver(response_to(fwd, 486, "Busy Here", "b" + c.id, "sip:callee@" + c.callee.to_string()), c.callee, c.callee_iface);
    take(c.callee, "ACK ");
    const std::string busy_here = take(kAlice, "SIP/2.0 486");
    deliver(same_transaction(c, "ACK", 2, header(busy_here, parser::HeaderId::To)), kAlice, 0);
  }
};

TEST_P(ShardRouting, EveryMessageOfACallReachesTheShardThatHoldsIt) {
  register_bob(3600);
  constexpr int kCalls = 1500;
  std::map<uint32_t, int> calls_per_shard;
  for (int i = 0; i < kCalls; ++i) {
    // Calls to a trunk number (a static route, core side) and to Bob, whose registration is held by
    // one shard and replicated to the others.
    Call c;
    c.id = "shard-" + std::to_string(i);
    c.branch = "z9hG4bKs" + std::to_string(i) + "x";
    const bool to_bob = i % 2 == 1;
    c.to_uri = to_bob ? "sip:1012@sipedge.test" : "sip:+4930" + std::to_string(i) + "@sipedge.test";
    c.callee = to_bob ? kBob : kTrunk;
    c.callee_iface = to_bob ? 0 : 1;
    switch (i % 3) {
      case 0: answered(c); break;
      case 1: cancelled(c); break;
      default: busy(c); break;
    }
    ++calls_per_shard[map.of(c.id)];
    if (::testing::Test::HasFailure()) break;
  }
  register_bob(0);
  advance(40'000);

  for (const auto& [call_id, receivers] : received_by) {
    EXPECT_EQ(receivers.size(), 1u) << call_id;
    EXPECT_EQ(sent_by[call_id], receivers) << call_id << ": answered or forwarded by another shard than received it";
  }
  // The callee leg on the caller leg's shard: in b2bua mode sipedge minted its Call-ID to hash there.
  ASSERT_EQ(callee_leg.size(), static_cast<size_t>(kCalls));
  size_t minted = 0;
  for (const auto& [caller, callee] : callee_leg) {
    minted += caller != callee ? 1 : 0;
    EXPECT_EQ(sent_by[callee], std::set<uint32_t>{map.of(caller)}) << caller << " / " << callee;
    EXPECT_EQ(received_by[callee], std::set<uint32_t>{map.of(caller)}) << caller << " / " << callee;
  }
  EXPECT_EQ(minted, GetParam() == SignallingMode::B2bua ? static_cast<size_t>(kCalls) : 0u);
  for (uint32_t s = 0; s < kShards; ++s) {
    EXPECT_GT(calls_per_shard[s], kCalls / kShards / 2) << "shard " << s;
    const ProxyCounters& n = shards[s]->proxy.counters();
    EXPECT_EQ(n.dropped_responses, 0u) << "shard " << s;
    EXPECT_EQ(n.stateless_responses, 0u) << "shard " << s;
    EXPECT_EQ(n.dialog_refused, 0u) << "shard " << s;
    EXPECT_EQ(n.no_route, 0u) << "shard " << s;
    EXPECT_EQ(n.auth_failures, 0u) << "shard " << s;
    EXPECT_EQ(n.calls_ended, static_cast<uint64_t>(calls_per_shard[s])) << "shard " << s;
    EXPECT_EQ(shards[s]->proxy.transactions().size(), 0u) << "shard " << s;
    EXPECT_EQ(shards[s]->proxy.context_count(), 0u) << "shard " << s;
    EXPECT_EQ(shards[s]->proxy.calls().size(), 0u) << "shard " << s;
    EXPECT_EQ(shards[s]->relay.size(), 0u) << "shard " << s;
    EXPECT_EQ(shards[s]->media.session_count(), 0u) << "shard " << s;
    EXPECT_EQ(shards[s]->proxy.location().size(), 0u) << "shard " << s << " still holds Bob after he deregistered";
  }
}

// A password guesser spreads its attempts over the shards (a new Call-ID each): its failures count
// in the one lockout the shards share, and the ban that follows holds on every shard.
TEST_P(ShardRouting, AGuessersFailuresAddUpOverTheShards) {
  const Endpoint guesser{IpAddr::v4(10, 201, 0, 66), 5060};
  Call first;
  first.id = "guess-0";
  first.branch = "z9hG4bKg";
  first.to_uri = "sip:+493011@sipedge.test";
  deliver(invite(first, 1, ""), guesser, 0);
  const std::string challenge = take(guesser, "SIP/2.0 407");
  const std::string pa = header(challenge, parser::HeaderId::ProxyAuthenticate);
  const size_t at = pa.find("nonce=\"") + 7;
  const std::string nonce = pa.substr(at, pa.find('"', at) - at);
  std::set<uint32_t> spread;
  int answered = 0;
  constexpr int kAttempts = 14;
  for (int i = 1; i <= kAttempts; ++i) {
    Call c = first;
    c.id = "guess-" + std::to_string(i);
    c.branch = "z9hG4bKg" + std::to_string(i) + "x";
    spread.insert(map.of(c.id));
    const std::string ha1 = digest_ha1(DigestAlgorithm::Md5, "1006", "sipedge.test", "wrong" + std::to_string(i));
    const std::string auth = "Digest username=\"1006\",realm=\"sipedge.test\",nonce=\"" + nonce + "\",uri=\"" +
                             c.to_uri + "\",response=\"" +
                             digest_response(DigestAlgorithm::Md5, ha1, nonce, "00000001", "c1", "auth", "INVITE", c.to_uri) +
                             "\",algorithm=MD5,cnonce=\"c1\",qop=auth,nc=00000001";
    out.clear();
    deliver(invite(c, 2, auth), guesser, 0);
    for (const Out& o : out)
      if (o.sent.dest == guesser && first_line(o.sent.bytes) == "SIP/2.0 407 Proxy Authentication Required") ++answered;
  }
  ASSERT_GE(spread.size(), 2u) << "the attempts must cross shards for this to mean anything";
  EXPECT_EQ(answered, static_cast<int>(config.security.lockout.max_failures));
  uint64_t failures = 0, dropped = 0;
  for (Shard* s : shards) {
    failures += s->proxy.counters().auth_failures;
    dropped += s->proxy.counters().banned_dropped;
    EXPECT_TRUE(s->proxy.bans().banned(guesser.ip, clock.monotonic_ms())) << "every shard sees the ban";
  }
  EXPECT_EQ(failures, config.security.lockout.max_failures);
  EXPECT_EQ(dropped, static_cast<uint64_t>(kAttempts) - config.security.lockout.max_failures);
}

// Attended transfer (seed 001) with its two calls on two shards: Alice talks to one trunk number
// (held) and consults another (consult), then REFERs held's far end to consult's with Replaces
// naming her consultation dialog. In b2bua mode that dialog is a leg of a call the REFER's shard
// cannot read: it keeps the REFER, asks the consultation's shard, and sends the REFER on with the
// Replaces that shard mapped to the other leg (the Call-ID sipedge minted, the callee's tag and
// sipedge's), the only dialog the trunk knows. A retransmission while the REFER waits asks
// nothing more and goes out once; a Replaces naming no dialog passes as it came. In proxy mode no
// shard is asked and the Refer-To passes untouched.
TEST_P(ShardRouting, AReferWithReplacesIsMappedByTheShardHoldingTheDialogItNames) {
  const bool b2bua = GetParam() == SignallingMode::B2bua;
  auto trunk_call = [](const std::string& id, const std::string& number) {
    Call c;
    c.id = id;
    c.branch = "z9hG4bK" + id + "x";
    c.to_uri = "sip:" + number + "@sipedge.test";
    c.callee = kTrunk;
    c.callee_iface = 1;
    return c;
  };
  // Call-IDs picked through the map: the consultation and the unknown dialog on other shards.
  const Call held = trunk_call("xfer-held", "+4930100");
  const uint32_t home = map.of(held.id);
  auto elsewhere = [&](const std::string& stem) {
    for (int i = 0;; ++i)
      if (map.of(stem + std::to_string(i)) != home) return stem + std::to_string(i);
  };
  const Call consult = trunk_call(elsewhere("xfer-consult-"), "+4930200");
  const std::string unknown = elsewhere("nothing-");

  const Up held_up = established(held);
  const Up consult_up = established(consult);
  const std::string to_tag = header(consult_up.ok, parser::HeaderId::To).substr(
      header(consult_up.ok, parser::HeaderId::To).find(";tag=") + 5);
  const std::string refer_to =
      "<sip:+4930200@sipedge.test?Replaces=" + consult.id + "%3Bto-tag%3D" + to_tag + "%3Bfrom-tag%3Da" + consult.id + ">";
  const std::string refer =
      in_dialog(held, "REFER", 3, held_up.ok, "Contact: <sip:1006@10.201.0.2:5060>\r\nRefer-To: " + refer_to + "\r\n");
  out.clear();
  const uint64_t absorbed = shards[home]->proxy.counters().retransmissions;
  deliver(refer, kAlice, 0, false);
  deliver(refer, kAlice, 0, false);  // Alice's retransmission, before the answer came
  if (b2bua) {
    EXPECT_TRUE(out.empty()) << "a b2bua REFER waits for the consultation's shard";
  }
  settle_mail();
  collect();
  const std::string at_trunk = take(kTrunk, "REFER ");
  std::string expected = refer_to;
  if (b2bua) {
    // The consultation's callee leg as the trunk knows it.
    const std::string leg_from = header(consult_up.at_callee, parser::HeaderId::From);
    std::string minted;
    for (char ch : call_id_of(consult_up.at_callee)) minted += ch == '@' ? std::string("%40") : std::string(1, ch);
    expected = "<sip:+4930200@sipedge.test?Replaces=" + minted + "%3Bto-tag%3Db" + consult.id + "%3Bfrom-tag%3D" +
               leg_from.substr(leg_from.find(";tag=") + 5) + ">";
  }
  EXPECT_EQ(header(at_trunk, parser::HeaderId::ReferTo), expected);
  for (const Out& o : out) EXPECT_NE(first_line(o.sent.bytes).rfind("REFER ", 0), 0u) << "sent twice: " << o.sent.bytes;
  EXPECT_EQ(shards[home]->proxy.counters().retransmissions, absorbed + 1) << "the REFER's retransmission is absorbed";
  deliver(response_to(at_trunk, 202, "Accepted", "bxfer-held", "sip:callee@" + kTrunk.to_string()), kTrunk, 1);
  EXPECT_EQ(first_line(take(kAlice, "SIP/2.0 202")), "SIP/2.0 202 Accepted");

  const std::string stray = "<sip:+4930300@sipedge.test?Replaces=" + unknown + "%3Bto-tag%3Dx%3Bfrom-tag%3Dy>";
  deliver(in_dialog(held, "REFER", 4, held_up.ok, "Refer-To: " + stray + "\r\n"), kAlice, 0);
  const std::string stray_at_trunk = take(kTrunk, "REFER ");
  EXPECT_EQ(header(stray_at_trunk, parser::HeaderId::ReferTo), stray);
  deliver(response_to(stray_at_trunk, 202, "Accepted", "bxfer-held", "sip:callee@" + kTrunk.to_string()), kTrunk, 1);
  take(kAlice, "SIP/2.0 202");

  if (b2bua) {
    // Not a party to the dialog (a forged From tag): nothing waits, and the REFER is refused.
    std::string forged = in_dialog(held, "REFER", 6, held_up.ok, "Refer-To: " + refer_to + "\r\n");
    forged.replace(forged.find(";tag=a" + held.id), 6 + held.id.size(), ";tag=forged");
    deliver(forged, kAlice, 0, false);
    EXPECT_EQ(first_line(take(kAlice, "SIP/2.0 481")), "SIP/2.0 481 Call/Transaction Does Not Exist");
    EXPECT_EQ(shards[home]->proxy.waiting_refers(), 0u);
  }
  hang_up(held, held_up, 5);
  hang_up(consult, consult_up, 3);
  advance(40'000);
  for (uint32_t s = 0; s < kShards; ++s) {
    const ProxyCounters& n = shards[s]->proxy.counters();
    EXPECT_EQ(n.replaces_asked, b2bua && s == home ? 2u : 0u) << "shard " << s;
    EXPECT_EQ(n.dialog_refused, b2bua && s == home ? 1u : 0u) << "shard " << s << ": the forged REFER only";
    EXPECT_EQ(shards[s]->proxy.waiting_refers(), 0u) << "shard " << s;
    EXPECT_EQ(shards[s]->proxy.transactions().size(), 0u) << "shard " << s;
    EXPECT_EQ(shards[s]->proxy.context_count(), 0u) << "shard " << s;
    EXPECT_EQ(shards[s]->proxy.calls().size(), 0u) << "shard " << s;
  }
}

// REFERs waiting for other shards are bounded: past kMaxWaitingRefers (64) a REFER is answered 503
// with Retry-After, statelessly, and those waiting go out once their answers come. In proxy mode
// none waits.
TEST_P(ShardRouting, WaitingRefersAreBounded) {
  const bool b2bua = GetParam() == SignallingMode::B2bua;
  const auto [held, home, up] = held_trunk_call("bound-held", "z9hG4bKbh");
  int far = 0;
  auto refer = [&](int cseq) {
    std::string id;
    do id = "far-" + std::to_string(far++);
    while (map.of(id) == home);
    return in_dialog(held, "REFER", cseq, up.ok,
                     "Refer-To: <sip:+4930300@sipedge.test?Replaces=" + id + "%3Bto-tag%3Dx%3Bfrom-tag%3Dy>\r\n");
  };
  for (int i = 0; i < 64; ++i) deliver(refer(10 + i), kAlice, 0, false);
  EXPECT_EQ(shards[home]->proxy.waiting_refers(), b2bua ? 64u : 0u);
  deliver(refer(74), kAlice, 0, false);
  if (b2bua) {
    const std::string busy = take(kAlice, "SIP/2.0 503");
    EXPECT_EQ(first_line(busy), "SIP/2.0 503 Replaces Lookup Busy");
    EXPECT_EQ(header(busy, parser::HeaderId::RetryAfter), "1");
    EXPECT_EQ(header(busy, parser::HeaderId::CSeq), "74 REFER");
    EXPECT_TRUE(out.empty()) << "nothing else before the answers";
  }
  settle_mail();
  collect();
  EXPECT_EQ(shards[home]->proxy.waiting_refers(), 0u);
  EXPECT_EQ(shards[home]->proxy.counters().replaces_asked, b2bua ? 64u : 0u);
  std::set<std::string> forwarded;
  for (int i = 0; i < (b2bua ? 64 : 65); ++i) forwarded.insert(header(take(kTrunk, "REFER "), parser::HeaderId::CSeq));
  EXPECT_EQ(forwarded.size(), b2bua ? 64u : 65u);
  EXPECT_EQ(forwarded.count("74 REFER"), b2bua ? 0u : 1u);
  EXPECT_TRUE(out.empty());
}

// A REFER whose question is never answered (the owner's loop stopped) waits kFarDialogWaitMs, is
// answered 503 with Retry-After and forgotten, retransmissions included; the answer, arriving
// after that, sends nothing.
TEST_P(ShardRouting, WaitingRefersExpireWhenTheirAnswerNeverComes) {
  const bool b2bua = GetParam() == SignallingMode::B2bua;
  const auto [held, home, up] = held_trunk_call("expiry-held", "z9hG4bKeh");
  std::string far_id = "far-expiry";
  while (map.of(far_id) == home) far_id += "x";
  const std::string refer = in_dialog(held, "REFER", 20, up.ok,
                                      "Refer-To: <sip:+4930300@sipedge.test?Replaces=" + far_id +
                                          "%3Bto-tag%3Dx%3Bfrom-tag%3Dy>\r\n");
  if (!b2bua) {
    deliver(refer, kAlice, 0, false);
    take(kTrunk, "REFER ");
    EXPECT_EQ(shards[home]->proxy.waiting_refers(), 0u) << "nothing waits in proxy mode";
    return;
  }
  Proxy& proxy = shards[home]->proxy;
  deliver(refer, kAlice, 0, false);
  // Its owner never takes its mail: only the asking shard's clock runs.
  auto tick = [&](uint64_t ms) {
    for (uint64_t t = 0; t < ms; t += 100) {
      clock.advance(100);
      proxy.on_tick();
    }
    collect();
  };
  tick(1000);
  deliver(refer, kAlice, 0, false);  // the UA's retransmission waits with it
  EXPECT_EQ(proxy.waiting_refers(), 2u);
  EXPECT_TRUE(out.empty());
  tick(900);
  EXPECT_EQ(proxy.waiting_refers(), 2u) << "not before 2 s";
  // Housekeeping runs once a second: by 3 s it has run since the 2 s were up.
  tick(1200);
  EXPECT_EQ(proxy.waiting_refers(), 0u);
  EXPECT_EQ(proxy.counters().replaces_unanswered, 2u);
  for (int copy = 0; copy < 2; ++copy) {
    const std::string busy = take(kAlice, "SIP/2.0 503");
    EXPECT_EQ(first_line(busy), "SIP/2.0 503 Replaces Lookup Timed Out");
    EXPECT_EQ(header(busy, parser::HeaderId::RetryAfter), "1");
    EXPECT_EQ(header(busy, parser::HeaderId::CSeq), "20 REFER");
  }
  EXPECT_TRUE(out.empty()) << "nothing went to the trunk";
  settle_mail();  // the owner wakes up and answers late
  collect();
  EXPECT_TRUE(out.empty()) << "a late answer sends nothing";
  EXPECT_EQ(proxy.counters().replaces_asked, 1u);
}

INSTANTIATE_TEST_SUITE_P(Modes, ShardRouting, ::testing::Values(SignallingMode::Proxy, SignallingMode::B2bua),
                         [](const ::testing::TestParamInfo<SignallingMode>& p) {
                           return p.param == SignallingMode::Proxy ? std::string("Proxy") : std::string("B2bua");
                         });

}  // namespace
}  // namespace sipedge::control::testing
