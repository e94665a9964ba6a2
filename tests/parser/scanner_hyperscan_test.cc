// tests/parser/scanner_hyperscan_test.cc — test thread. Pins parser/scanner_hyperscan.cc and
// parser/policy.cc: dictionary ids, operator signature hits scoped to a header, rule errors, clones.
// Index equality with HandScanner lives in scanner_equivalence_test.cc.
#include "parser/scanner_hyperscan.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sipedge::parser {
namespace {

std::string request(const std::string& extra_headers, const std::string& body = "") {
  return "OPTIONS sip:100@198.51.100.7 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bK-1\r\n"
         "From: \"sipvicious\"<sip:100@1.1.1.1>;tag=6337\r\n"
         "To: \"sipvicious\"<sip:100@1.1.1.1>\r\n"
         "Call-ID: 8167123\r\n"
         "CSeq: 1 OPTIONS\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

HyperscanScanner scanner(const PolicyRules& rules = PolicyRules::known_scanners()) {
  auto s = HyperscanScanner::create(rules);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().rule + ": " + s.error().message);
  return std::move(s).value();
}

std::vector<uint16_t> hits(const Message& m) { return {m.policy_hits().begin(), m.policy_hits().end()}; }

TEST(HyperscanScanner, IndexesHeadersWithDictionaryIds) {
  const std::string s =
      "INVITE sip:1012@192.168.0.201 SIP/2.0\r\n"
      "v: SIP/2.0/UDP 192.168.1.131:56980;branch=z9hG4bK-1\r\n"
      "Max-Forwards : 70\r\n"
      "X-Custom:  yes \r\n"
      "i: abc@h\r\n"
      "l: 4\r\n"
      "\r\n"
      "v=0\r\njunk";
  Message m;
  const ScanResult r = scanner().scan(s, Framing::Datagram, m);
  ASSERT_EQ(r.status, ScanStatus::Complete);
  EXPECT_EQ(r.consumed, s.size() - 5);  // "\njunk" lies after the declared body
  EXPECT_EQ(m.method(), Method::Invite);
  ASSERT_EQ(m.headers().size(), 5u);
  EXPECT_EQ(m.headers()[0].id, HeaderId::Via);
  EXPECT_EQ(m.text(m.headers()[0].name), "v");
  EXPECT_EQ(m.headers()[1].id, HeaderId::MaxForwards);
  EXPECT_EQ(m.text(m.headers()[1].name), "Max-Forwards");
  EXPECT_EQ(m.text(m.headers()[1].value), "70");
  EXPECT_EQ(m.headers()[2].id, HeaderId::Other);
  EXPECT_EQ(m.text(m.headers()[2].value), "yes");
  EXPECT_EQ(m.value(HeaderId::CallId), "abc@h");
  EXPECT_EQ(m.content_length(), 4);
  EXPECT_EQ(m.body(), "v=0\r");
  EXPECT_TRUE(m.policy_hits().empty());
}

TEST(HyperscanScanner, ReportsScannerUserAgent) {
  Message m;
  const std::string s = request("User-Agent: friendly-scanner\r\n");
  ASSERT_EQ(scanner().scan(s, Framing::Datagram, m).status, ScanStatus::Complete);
  EXPECT_EQ(hits(m), std::vector<uint16_t>{kRuleFriendlyScanner});
  EXPECT_EQ(m.value(HeaderId::UserAgent), "friendly-scanner");
}

TEST(HyperscanScanner, SignatureIsCaseInsensitiveAndFindsEachToolOnce) {
  Message m;
  const std::string s = request("user-agent: VAXSIPUSERAGENT/3.1 (SIPCLI)\r\nUser-Agent: vaxsipuseragent\r\n");
  ASSERT_EQ(scanner().scan(s, Framing::Datagram, m).status, ScanStatus::Complete);
  // In match order: the VaxSIP signature ends before "SIPCLI" does; the second VaxSIP line adds nothing.
  EXPECT_EQ(hits(m), (std::vector<uint16_t>{kRuleVaxSip, kRuleSipCli}));
}

TEST(HyperscanScanner, SignatureInAnotherHeaderIsNoHit) {
  // From/To carry "sipvicious" as a display name; Subject names the tool: none is a User-Agent.
  Message m;
  const std::string s = request("Subject: friendly-scanner sipcli\r\nUser-Agent: Linphone/5.2\r\n");
  ASSERT_EQ(scanner().scan(s, Framing::Datagram, m).status, ScanStatus::Complete);
  EXPECT_TRUE(m.policy_hits().empty());
}

TEST(HyperscanScanner, SignatureDoesNotReachIntoTheNextHeader) {
  Message m;
  const std::string s = request("User-Agent: Linphone/5.2\r\nX-Note: friendly-scanner\r\n");
  ASSERT_EQ(scanner().scan(s, Framing::Datagram, m).status, ScanStatus::Complete);
  EXPECT_TRUE(m.policy_hits().empty());
}

TEST(HyperscanScanner, SignatureOnFoldedUserAgentLine) {
  Message m;
  const std::string s = request("User-Agent: scanner-kit\r\n  sipvicious/0.3\r\n");
  ASSERT_EQ(scanner().scan(s, Framing::Datagram, m).status, ScanStatus::Complete);
  EXPECT_EQ(hits(m), std::vector<uint16_t>{kRuleSipVicious});
}

TEST(HyperscanScanner, RulesNeverSeeTheBody) {
  auto rules = PolicyRules::build({{7, "body-word", "friendly-scanner", "", true}});
  ASSERT_TRUE(rules.ok());
  Message m;
  const std::string s = request("", "friendly-scanner");
  ASSERT_EQ(scanner(*rules).scan(s, Framing::Datagram, m).status, ScanStatus::Complete);
  EXPECT_TRUE(m.policy_hits().empty());
}

TEST(HyperscanScanner, UnscopedRuleMatchesStartLine) {
  auto rules = PolicyRules::build({{42, "options-probe", "^OPTIONS sip:100@", "", false}});
  ASSERT_TRUE(rules.ok());
  Message m;
  ASSERT_EQ(scanner(*rules).scan(request(""), Framing::Datagram, m).status, ScanStatus::Complete);
  EXPECT_EQ(hits(m), std::vector<uint16_t>{42});
}

TEST(HyperscanScanner, ScopedRuleSeesCompactForm) {
  auto rules = PolicyRules::build({{9, "subject-spam", "cheap calls", "Subject", true}});
  ASSERT_TRUE(rules.ok());
  Message m;
  ASSERT_EQ(scanner(*rules).scan(request("s: Cheap Calls now\r\n"), Framing::Datagram, m).status,
            ScanStatus::Complete);
  EXPECT_EQ(hits(m), std::vector<uint16_t>{9});
}

TEST(HyperscanScanner, HitsAreReportedEvenWhenTheMessageIsMalformed) {
  // Operators block scanners that send garbage too; the index stops at the fault.
  Message m;
  const std::string s = "OPTIONS sip:a SIP/2.0\r\nUser-Agent: friendly-scanner\r\nbad line\r\n\r\n";
  const ScanResult r = scanner().scan(s, Framing::Datagram, m);
  EXPECT_EQ(r.status, ScanStatus::Malformed);
  EXPECT_EQ(r.fault, Fault::BadHeaderName);
  EXPECT_EQ(hits(m), std::vector<uint16_t>{kRuleFriendlyScanner});
}

TEST(PolicyRules, BadRegexIsReportedWithTheRuleName) {
  auto rules = PolicyRules::build({{1, "ok-rule", "sipcli", "User-Agent", true},
                                   {2, "broken-rule", "friendly(scanner", "User-Agent", true}});
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.error().rule, "broken-rule");
  EXPECT_NE(rules.error().message.find("parenthes"), std::string::npos) << rules.error().message;
}

TEST(PolicyRules, RegexMatchingEmptyIsRefused) {
  auto rules = PolicyRules::build({{1, "matches-nothing-useful", "x*", "", true}});
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.error().rule, "matches-nothing-useful");
  EXPECT_FALSE(rules.error().message.empty());
}

TEST(PolicyRules, DuplicateIdAndBadScopeAreRefused) {
  auto dup = PolicyRules::build({{1, "a", "x", "", true}, {1, "b", "y", "", true}});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().rule, "b");
  auto scope = PolicyRules::build({{1, "a", "x", "User Agent", true}});
  ASSERT_FALSE(scope.ok());
  EXPECT_EQ(scope.error().rule, "a");
}

TEST(PolicyRules, ScopedExpressionIsLineAnchoredOnBothNames) {
  const PolicyRule r{5, "r", "abc", "call-id", true};
  EXPECT_EQ(policy_expression(r), "^(?:Call\\-ID|i)[ \\t]*:(?:[^\\n]|\\n[ \\t])*?(?:abc)");
  EXPECT_EQ(policy_expression(PolicyRule{5, "r", "abc", "", true}), "abc");
}

TEST(HyperscanScanner, CloneSharesRulesWithItsOwnScratch) {
  HyperscanScanner a = scanner();
  auto b = a.clone();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->rule_count(), 4u);
  Message ma, mb;
  const std::string s = request("User-Agent: sipcli/v1.8\r\n");
  ASSERT_EQ(a.scan(s, Framing::Datagram, ma).status, ScanStatus::Complete);
  ASSERT_EQ(b->scan(s, Framing::Datagram, mb).status, ScanStatus::Complete);
  EXPECT_EQ(hits(ma), std::vector<uint16_t>{kRuleSipCli});
  EXPECT_EQ(hits(mb), std::vector<uint16_t>{kRuleSipCli});
}

TEST(HyperscanScanner, ClonesScanConcurrentlyOnTheirOwnThreads) {
  HyperscanScanner first = scanner();
  std::vector<HyperscanScanner> clones;
  for (int i = 0; i < 2; ++i) {
    auto c = first.clone();
    ASSERT_TRUE(c.ok());
    clones.push_back(std::move(c).value());
  }
  const std::string s = request("User-Agent: friendly-scanner\r\n");
  std::vector<int> good(clones.size(), 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < clones.size(); ++t)
    threads.emplace_back([&, t] {
      auto m = std::make_unique<Message>();
      for (int i = 0; i < 2000; ++i) {
        const ScanResult r = clones[t].scan(s, Framing::Datagram, *m);
        if (r.status == ScanStatus::Complete && r.consumed == s.size() && hits(*m) == std::vector<uint16_t>{1})
          ++good[t];
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good, (std::vector<int>{2000, 2000}));
}

TEST(HyperscanScanner, WithoutRulesReportsNoHits) {
  HyperscanScanner plain = scanner(PolicyRules{});
  EXPECT_EQ(plain.rule_count(), 0u);
  Message m;
  const std::string bytes = request("User-Agent: friendly-scanner\r\n");  // must outlive m's views
  ASSERT_EQ(plain.scan(bytes, Framing::Datagram, m).status, ScanStatus::Complete);
  EXPECT_TRUE(m.policy_hits().empty());
  EXPECT_EQ(m.value(HeaderId::UserAgent), "friendly-scanner");
}

TEST(HyperscanScanner, RespectsLimits) {
  Message m;
  const std::string big(kMaxMessageBytes + 1, 'a');
  EXPECT_EQ(scanner().scan(big, Framing::Datagram, m).fault, Fault::TooLarge);
  std::string many = "OPTIONS sip:a SIP/2.0\r\n";
  for (unsigned i = 0; i <= kMaxHeaders; ++i) many += "X-H: " + std::to_string(i) + "\r\n";
  many += "\r\n";
  const ScanResult r = scanner().scan(many, Framing::Datagram, m);
  EXPECT_EQ(r.status, ScanStatus::Malformed);
  EXPECT_EQ(r.fault, Fault::TooManyHeaders);
  EXPECT_EQ(m.headers().size(), kMaxHeaders);
}

TEST(HyperscanScanner, NulInHeadersIsRefused) {
  Message m;
  const char raw[] = "OPTIONS sip:a SIP/2.0\r\nVia: a\0b\r\n\r\n";
  const std::string s(raw, sizeof raw - 1);
  const ScanResult r = scanner().scan(s, Framing::Datagram, m);
  EXPECT_EQ(r.status, ScanStatus::Malformed);
  EXPECT_EQ(r.fault, Fault::NulByte);
}

}  // namespace
}  // namespace sipedge::parser
