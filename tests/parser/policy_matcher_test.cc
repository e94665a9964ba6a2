// tests/parser/policy_matcher_test.cc — test thread. Pins parser/policy_matcher.cc: a rules-only pass
// after HandScanner reports the same hits as HyperscanScanner's combined pass (an independently
// compiled database), on the seed captures and on scanner traffic, and never looks at a body.
#include "parser/policy_matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <algorithm>
#include <thread>
#include <vector>

#include "parser/scanner_hand.h"
#include "parser/scanner_hyperscan.h"
#include "tests/parser/seed_corpus.h"

namespace sipedge::parser {
namespace {
using testing::seed_files;
using testing::SeedFile;

std::vector<uint16_t> hits(const Message& m) { return {m.policy_hits().begin(), m.policy_hits().end()}; }

PolicyRules wide_rules() {
  auto r = PolicyRules::build({
      {1, "ua-friendly-scanner", "friendly-scanner", "User-Agent", true},
      {2, "ua-sipvicious", "sipvicious", "User-Agent", true},
      {3, "invite-to-1012", "^INVITE sip:1012@", "", false},
      {4, "sdp-in-content-type", "application/sdp", "Content-Type", true},
      {5, "any-via-udp", "SIP/2\\.0/UDP", "Via", false},
      {6, "body-only-word", "a=rtpmap", "", true},
  });
  EXPECT_TRUE(r.ok());
  return std::move(r).value();
}

// Hits of HandScanner + PolicyMatcher on `bytes`.
std::vector<uint16_t> matcher_hits(const PolicyMatcher& pm, const std::string& bytes, ScanStatus* status = nullptr) {
  Message m;
  const ScanResult r = HandScanner().scan(bytes, Framing::Datagram, m);
  if (status) *status = r.status;
  pm.match(PolicyMatcher::head_of(m, r.status == ScanStatus::Complete), m);
  return hits(m);
}

TEST(PolicyMatcher, SameHitsAsTheCombinedPassOnEverySeedMessage) {
  const auto seeds = seed_files();
  if (seeds.empty()) GTEST_SKIP() << "seed captures not found under ../shared/seeds";
  const PolicyRules rules = wide_rules();
  auto pm = PolicyMatcher::create(rules);
  ASSERT_TRUE(pm.ok());
  auto hs = HyperscanScanner::create(rules);
  ASSERT_TRUE(hs.ok());
  size_t with_hits = 0;
  for (const SeedFile& f : seeds) {
    Message oracle;
    hs->scan(f.bytes, Framing::Datagram, oracle);
    std::vector<uint16_t> want = hits(oracle), got = matcher_hits(*pm, f.bytes);
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << f.name;
    with_hits += !got.empty();
  }
  EXPECT_GT(with_hits, seeds.size() / 2) << "the rules should hit most captures (every one has a UDP Via)";
}

TEST(PolicyMatcher, ScannerUserAgentHitsAndBodyNever) {
  auto pm = PolicyMatcher::create(PolicyRules::known_scanners());
  ASSERT_TRUE(pm.ok());
  const std::string head =
      "OPTIONS sip:100@198.51.100.7 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bK-1\r\n"
      "From: <sip:100@1.1.1.1>;tag=1\r\nTo: <sip:100@1.1.1.1>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n";
  EXPECT_EQ(matcher_hits(*pm, head + "User-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n"),
            std::vector<uint16_t>{kRuleFriendlyScanner});
  EXPECT_EQ(matcher_hits(*pm, head + "User-Agent: VaxSIPUserAgent/3.1\r\nContent-Length: 0\r\n\r\n"),
            std::vector<uint16_t>{kRuleVaxSip});
  EXPECT_TRUE(matcher_hits(*pm, head + "User-Agent: Linphone\r\nContent-Length: 16\r\n\r\nfriendly-scanner").empty());
  // A name in From is not a User-Agent.
  EXPECT_TRUE(matcher_hits(*pm, head + "Subject: sipcli\r\nContent-Length: 0\r\n\r\n").empty());
}

TEST(PolicyMatcher, GarbageStillCarriesItsUserAgent) {
  auto pm = PolicyMatcher::create(PolicyRules::known_scanners());
  ASSERT_TRUE(pm.ok());
  ScanStatus st{};
  EXPECT_EQ(matcher_hits(*pm, "OPTIONS sip:a SIP/2.0\r\nUser-Agent: sipcli/v1.8\r\nbad line\r\n\r\n", &st),
            std::vector<uint16_t>{kRuleSipCli});
  EXPECT_EQ(st, ScanStatus::Malformed);
}

TEST(PolicyMatcher, ClonesMatchOnTheirOwnThreads) {
  auto pm = PolicyMatcher::create(PolicyRules::known_scanners());
  ASSERT_TRUE(pm.ok());
  const std::string msg =
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
      "Call-ID: x\r\nCSeq: 1 OPTIONS\r\nUser-Agent: sipvicious\r\nContent-Length: 0\r\n\r\n";
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    auto c = pm->clone();
    ASSERT_TRUE(c.ok());
    threads.emplace_back([&ok, t, &msg, m = std::move(c).value()]() mutable {
      for (int i = 0; i < 2000; ++i) ok[t] += matcher_hits(m, msg) == std::vector<uint16_t>{kRuleSipVicious};
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 2000);
}

TEST(PolicyMatcher, NoRulesIsAnError) {
  auto pm = PolicyMatcher::create(PolicyRules{});
  ASSERT_FALSE(pm.ok());
}

}  // namespace
}  // namespace sipedge::parser
