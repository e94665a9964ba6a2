// tests/control/edge_security_test.cc — test thread. Pins the proxy's edge security (proxy.cc admit,
// within_rate, authorize/registrar through GuardedAuth): a password guesser is banned after
// max_failures and then gets no answer while other sources do; a user guessed at from many sources
// is throttled but still registers and calls from its own phone; a ban-action signature bans its
// source; the per-source token bucket drops what is over it; bans expire and can be lifted.
#include <gtest/gtest.h>

#include "tests/control/proxy_fixture.h"

namespace sipedge::control::testing {
namespace {

const Endpoint kGuesser{IpAddr::v4(10, 201, 0, 66), 5070};

class EdgeSecurity : public ProxyTest {
 protected:
  // REGISTER for `user` from `from` with credentials computed from `password`, answering a fresh
  // challenge; returns the status line of the answer ("" when none came).
  std::string try_password(const std::string& user, const std::string& password, const Endpoint& from, int cseq) {
    deliver(register_request(user, from, cseq, "", from.to_string()), from);
    if (wire.sent.empty()) return "";
    const Sent challenge = wire.pop();
    if (first_line(challenge.bytes) != "SIP/2.0 401 Unauthorized") return first_line(challenge.bytes);
    const std::string www = header(challenge.bytes, parser::HeaderId::WwwAuthenticate);
    const size_t at = www.find("nonce=\"") + 7;
    const std::string nonce = www.substr(at, www.find('"', at) - at);
    const std::string ha1 = digest_ha1(DigestAlgorithm::Md5, user, "sipedge.test", password);
    char ncbuf[16];
    std::snprintf(ncbuf, sizeof ncbuf, "%08x", nc++);
    const std::string resp = digest_response(DigestAlgorithm::Md5, ha1, nonce, ncbuf, "abc", "auth", "REGISTER", "sip:sipedge.test");
    deliver(register_request(user, from, cseq + 1,
                             "Digest username=\"" + user + "\",realm=\"sipedge.test\",nonce=\"" + nonce +
                                 "\",uri=\"sip:sipedge.test\",response=\"" + resp +
                                 "\",algorithm=MD5,cnonce=\"abc\",qop=auth,nc=" + ncbuf,
                             from.to_string()),
            from);
    if (wire.sent.empty()) return "";
    return first_line(wire.pop().bytes);
  }
  std::string options_from(const Endpoint& from, const std::string& extra = "") {
    const std::string n = std::to_string(nc++);
    deliver("OPTIONS sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP " + from.to_string() +
                ";branch=z9hG4bKopt" + n + "\r\nMax-Forwards: 70\r\nFrom: <sip:probe@x>;tag=p\r\n"
                "To: <sip:sipedge.test>\r\nCall-ID: opt-" + n + "\r\nCSeq: 1 OPTIONS\r\n" + extra +
                "Content-Length: 0\r\n\r\n",
            from);
    return wire.sent.empty() ? "" : first_line(wire.pop().bytes);
  }
};

// Challenges are stateless, so nothing absorbs the copies a UA sends when the answer to its
// credentials is lost: each is checked and refused again, but counts once towards the lockout.
TEST_F(EdgeSecurity, CopiesOfOneWrongGuessCountOnceTowardsTheLockout) {
  deliver(register_request("1006", kGuesser, 1, "", kGuesser.to_string()), kGuesser);
  const std::string www = header(wire.pop().bytes, parser::HeaderId::WwwAuthenticate);
  const size_t at = www.find("nonce=\"") + 7;
  const std::string nonce = www.substr(at, www.find('"', at) - at);
  auto guess = [&](const std::string& password) {
    const std::string ha1 = digest_ha1(DigestAlgorithm::Md5, "1006", "sipedge.test", password);
    const std::string resp = digest_response(DigestAlgorithm::Md5, ha1, nonce, "00000001", "abc", "auth", "REGISTER",
                                             "sip:sipedge.test");
    return register_request("1006", kGuesser, 2,
                            "Digest username=\"1006\",realm=\"sipedge.test\",nonce=\"" + nonce +
                                "\",uri=\"sip:sipedge.test\",response=\"" + resp +
                                "\",algorithm=MD5,cnonce=\"abc\",qop=auth,nc=00000001",
                            kGuesser.to_string());
  };
  const std::string wrong = guess("guess");
  for (int copy = 0; copy < 20; ++copy) {
    deliver(wrong, kGuesser);
    EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 401 Unauthorized") << "copy " << copy;
  }
  EXPECT_EQ(proxy.lockout().failures_total(), 1u);
  EXPECT_FALSE(proxy.bans().banned(kGuesser.ip, clock.monotonic_ms()));
  deliver(guess("other"), kGuesser);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 401 Unauthorized");
  EXPECT_EQ(proxy.lockout().failures_total(), 2u);
}

TEST_F(EdgeSecurity, GuesserBannedAfterMaxFailuresOthersStillAnswered) {
  const uint32_t max = config.security.lockout.max_failures;
  ASSERT_EQ(max, 10u);
  for (uint32_t i = 0; i + 1 < max; ++i)
    ASSERT_EQ(try_password("1006", "guess" + std::to_string(i), kGuesser, 10 + 2 * static_cast<int>(i)), "SIP/2.0 401 Unauthorized");
  EXPECT_FALSE(proxy.bans().banned(kGuesser.ip, clock.monotonic_ms()));
  EXPECT_EQ(try_password("1006", "guess-last", kGuesser, 100), "SIP/2.0 401 Unauthorized");
  ASSERT_TRUE(proxy.bans().banned(kGuesser.ip, clock.monotonic_ms()));
  const BanList::Ban ban = proxy.bans().list().at(0);
  EXPECT_EQ(ban.reason, "auth-failures");
  EXPECT_EQ(ban.until_ms - ban.since_ms, 300u * 1000);
  // Even the right password gets nothing now, and nothing at all is sent to the guesser.
  EXPECT_EQ(try_password("1006", "pw1006", kGuesser, 200), "");
  EXPECT_EQ(options_from(kGuesser), "");
  EXPECT_EQ(proxy.counters().banned_dropped, 2u);
  EXPECT_EQ(options_from(kAlice), "SIP/2.0 200 OK") << "a neutral probe from another address";
  EXPECT_EQ(proxy.lockout().lockouts_total(), 1u);
  // The ban ends by itself...
  advance(300 * 1000);
  EXPECT_EQ(proxy.bans().size(), 0u);
  EXPECT_EQ(options_from(kGuesser), "SIP/2.0 200 OK");
  // ...and a repeat offence doubles it; the operator can lift it.
  for (uint32_t i = 0; i < max; ++i) try_password("1006", "again" + std::to_string(i), kGuesser, 300 + 2 * static_cast<int>(i));
  ASSERT_EQ(proxy.bans().list().size(), 1u);
  EXPECT_EQ(proxy.bans().list()[0].offence, 2u);
  EXPECT_EQ(proxy.bans().list()[0].until_ms - proxy.bans().list()[0].since_ms, 600u * 1000);
  EXPECT_TRUE(proxy.bans().lift(kGuesser.ip));
  EXPECT_EQ(options_from(kGuesser), "SIP/2.0 200 OK");
}

TEST_F(EdgeSecurity, TrustedSourceIsNeverBanned) {
  config.trusted = {*IpPrefix::parse("10.201.0.66/32")};
  for (int i = 0; i < 15; ++i) try_password("1006", "guess" + std::to_string(i), kGuesser, 10 + 2 * i);
  EXPECT_EQ(proxy.bans().size(), 0u);
  EXPECT_EQ(options_from(kGuesser), "SIP/2.0 200 OK");
}

TEST_F(EdgeSecurity, UserGuessedFromManySourcesKeepsItsOwnPhone) {
  register_user("1006", kAlice);
  register_user("1012", kBob);
  // 4 sources x 8 guesses = 32 failures on 1006: over user_max_failures (30), under max_failures
  // (10) for each source.
  int cseq = 10;
  for (uint8_t s = 0; s < 4; ++s)
    for (int i = 0; i < 8; ++i)
      try_password("1006", "guess", Endpoint{IpAddr::v4(10, 201, 0, static_cast<uint8_t>(100 + s)), 5070}, cseq += 2);
  EXPECT_EQ(proxy.bans().size(), 0u);
  EXPECT_TRUE(proxy.lockout().throttled("1006", clock.monotonic_ms()));
  // A guess that happens to be right, from a fifth address, is refused like a wrong one.
  const Endpoint lucky{IpAddr::v4(10, 201, 0, 110), 5070};
  EXPECT_EQ(try_password("1006", "pw1006", lucky, 500), "SIP/2.0 401 Unauthorized");
  EXPECT_EQ(proxy.guarded_auth().throttled_refusals(), 1u);
  // The real phone re-registers and calls as usual.
  EXPECT_EQ(try_password("1006", "pw1006", kAlice, 600), "SIP/2.0 200 OK");
  wire.sent.clear();
  deliver(invite("", 1, "z9hG4bKinv1", "1012"), kAlice);
  const Sent challenge = wire.pop();
  ASSERT_EQ(first_line(challenge.bytes), "SIP/2.0 407 Proxy Authentication Required");
  const std::string pa = header(challenge.bytes, parser::HeaderId::ProxyAuthenticate);
  wire.sent.clear();
  deliver(invite(credentials(pa, "1006", "INVITE", "sip:1012@sipedge.test"), 2, "z9hG4bKinv2", "1012"), kAlice);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 100 Trying");
  const Sent forwarded = wire.pop();
  EXPECT_EQ(first_line(forwarded.bytes), "INVITE sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(forwarded.dest, kBob);
  // Other users are not affected, and the throttle ends by itself.
  EXPECT_FALSE(proxy.lockout().throttled("1012", clock.monotonic_ms()));
  advance(300 * 1000);
  wire.sent.clear();  // the unanswered call's retransmissions and timeout
  EXPECT_EQ(try_password("1006", "pw1006", lucky, 700), "SIP/2.0 200 OK");
}

TEST_F(EdgeSecurity, BanActionSignatureBansTheSourceSilently) {
  config.security.policy_rules = {{5, "ua-sipvicious", "sipvicious", "User-Agent", true, parser::PolicyAction::Ban},
                                  {6, "ua-watch", "watchme", "User-Agent", true, parser::PolicyAction::Tag}};
  parser::Message m;
  const std::string probe =
      "OPTIONS sip:100@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.66:5070;branch=z9hG4bKs1\r\nMax-Forwards: 70\r\n"
      "From: <sip:100@x>;tag=1\r\nTo: <sip:100@x>\r\nCall-ID: s1\r\nCSeq: 1 OPTIONS\r\nUser-Agent: sipvicious\r\n"
      "Content-Length: 0\r\n\r\n";
  ASSERT_EQ(parser::HandScanner().scan(probe, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  m.add_policy_hit(5);  // what the dataplane's matcher reported
  proxy.on_message(Inbound{m, kGuesser, {}, 0});
  EXPECT_TRUE(wire.sent.empty());
  ASSERT_EQ(proxy.bans().list().size(), 1u);
  EXPECT_EQ(proxy.bans().list()[0].reason, "policy ua-sipvicious");
  EXPECT_EQ(proxy.counters().policy_bans, 1u);
  EXPECT_EQ(proxy.counters().policy_dropped, 1u);
  // A tag-only hit passes through.
  parser::Message tagged;
  ASSERT_EQ(parser::HandScanner().scan(probe, parser::Framing::Datagram, tagged).status, parser::ScanStatus::Complete);
  tagged.add_policy_hit(6);
  proxy.on_message(Inbound{tagged, kAlice, {}, 0});
  EXPECT_EQ(wire.sent.size(), 1u);
  EXPECT_EQ(proxy.counters().policy_dropped, 1u);
}

TEST_F(EdgeSecurity, TokenBucketPerSourceDropsTheExcessSilently) {
  config.interfaces[0].rate_limit = RateLimit{2, 3};
  int answered = 0;
  for (int i = 0; i < 6; ++i) answered += !options_from(kAlice).empty();
  EXPECT_EQ(answered, 3) << "the burst";
  EXPECT_EQ(proxy.counters().rate_limited, 3u);
  EXPECT_EQ(options_from(kBob), "SIP/2.0 200 OK") << "another source has its own bucket";
  clock.advance(500);
  EXPECT_EQ(options_from(kAlice), "SIP/2.0 200 OK") << "2/s: one token back after 500 ms";
  EXPECT_EQ(options_from(kAlice), "");
  // Trusted peers have their own limit (none by default).
  config.trusted = {*IpPrefix::parse("10.201.0.2/32")};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(options_from(kAlice), "SIP/2.0 200 OK");
}

// Registration hijack: credentials bind their own AOR only, unless [[user]] register_for grants
// another one.
TEST_F(EdgeSecurity, RegisteringAnotherUsersAorNeedsAGrant) {
  auto register_1012_as_1006 = [&](int cseq) {
    deliver(register_request("1012", kAlice, cseq, ""), kAlice);
    const std::string www = header(wire.pop().bytes, parser::HeaderId::WwwAuthenticate);
    deliver(register_request("1012", kAlice, cseq + 1, credentials(www, "1006", "REGISTER", "sip:sipedge.test")), kAlice);
    return first_line(wire.pop().bytes);
  };
  EXPECT_EQ(register_1012_as_1006(1), "SIP/2.0 403 Forbidden: credentials do not own this address-of-record");
  EXPECT_EQ(proxy.location().size(), 0u);
  config.users[0].register_for = {"1012"};  // 1006 may bind 1012 too
  EXPECT_EQ(register_1012_as_1006(3), "SIP/2.0 200 OK");
  EXPECT_EQ(proxy.location().lookup("1012@sipedge.test").size(), 1u);
  config.users[0].register_for = {"1013"};
  EXPECT_EQ(register_1012_as_1006(5), "SIP/2.0 403 Forbidden: credentials do not own this address-of-record");
}

// A configuration reload (Proxy::reconfigure after the config it reads changed): a new user
// registers, a removed one no longer does, new lockout settings apply; registrations stay.
TEST_F(EdgeSecurity, ReconfigureTakesNewUsersAndSettings) {
  register_user("1012", kBob);
  config.users.erase(config.users.begin());  // 1006 goes
  config.users.push_back(UserConfig{"1020", UserCredentials{digest_ha1(DigestAlgorithm::Md5, "1020", "sipedge.test", "pw1020"), ""},
                                    ForwardingConfig{}, {}});
  config.security.lockout.max_failures = 2;
  proxy.reconfigure();
  EXPECT_EQ(try_password("1020", "pw1020", kAlice, 10), "SIP/2.0 200 OK");
  EXPECT_EQ(try_password("1006", "pw1006", kAlice, 20), "SIP/2.0 401 Unauthorized");
  EXPECT_EQ(proxy.location().size(), 2u) << "1012 (registered before) and 1020";
  EXPECT_FALSE(proxy.bans().banned(kGuesser.ip, clock.monotonic_ms()));
  try_password("1012", "x", kGuesser, 30);
  try_password("1012", "y", kGuesser, 40);
  EXPECT_TRUE(proxy.bans().banned(kGuesser.ip, clock.monotonic_ms())) << "two failures are now enough";
}

}  // namespace
}  // namespace sipedge::control::testing
