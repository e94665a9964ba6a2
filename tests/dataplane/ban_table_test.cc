// tests/dataplane/ban_table_test.cc — pins dataplane/ban_table.cc (insert, extend, erase, expiry,
// full buckets, a reader racing the writer) and the lanes' use of it and of signature rules: a banned
// source's SIP and a scanner's SIP never reach the control ring, and each is counted.
#include "dataplane/ban_table.h"

#include <atomic>
#include <thread>

#include "tests/support/dataplane_fixture.h"

namespace sipedge::dataplane::test {
namespace {

IpAddr addr(const char* s) { return *IpAddr::parse(s); }

TEST(BanTable, InsertExtendEraseExpire) {
  BanTable t(64);
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.capacity(), 64u);
  const IpAddr a = addr("203.0.113.7"), b = addr("2001:db8::7"), a6 = addr("::ffff:203.0.113.7");
  EXPECT_TRUE(t.insert(a, 1000, 0));
  EXPECT_TRUE(t.insert(b, 2000, 0));
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(t.banned(a, 999));
  EXPECT_FALSE(t.banned(a, 1000)) << "a ban ends at its time even before expire() runs";
  EXPECT_FALSE(t.banned(a6, 10)) << "families are distinct keys";
  EXPECT_FALSE(t.banned(addr("203.0.113.8"), 10));
  EXPECT_TRUE(t.insert(a, 5000, 0));  // extended in place
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(t.banned(a, 4999));
  EXPECT_EQ(t.expire(2000), 1u);  // b ended
  EXPECT_FALSE(t.banned(b, 0));
  EXPECT_TRUE(t.erase(a));
  EXPECT_FALSE(t.erase(a));
  EXPECT_TRUE(t.empty());
  EXPECT_FALSE(t.insert(IpAddr{}, 10, 0)) << "no address, no ban";
}

TEST(BanTable, FullBucketRefusesUntilABanEnds) {
  BanTable t(BanTable::kWays);  // one bucket
  for (unsigned i = 0; i < BanTable::kWays; ++i) EXPECT_TRUE(t.insert(IpAddr::v4(198, 51, 100, static_cast<uint8_t>(i)), 100 + i, 0));
  EXPECT_FALSE(t.insert(addr("198.51.100.200"), 1000, 0));
  EXPECT_TRUE(t.insert(addr("198.51.100.200"), 1000, 100)) << "the slot of a ban that ended is reused";
  EXPECT_TRUE(t.banned(addr("198.51.100.200"), 500));
  EXPECT_FALSE(t.banned(IpAddr::v4(198, 51, 100, 0), 100));
  EXPECT_EQ(t.size(), BanTable::kWays);
}

TEST(BanTable, ReaderNeverSeesAnAddressItWasNotGiven) {
  // The writer keeps rewriting one bucket's slots with two alternating sets; a concurrent reader may
  // miss a ban while its slot is rewritten, but must never report one for an address never banned.
  BanTable t(BanTable::kWays);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> false_hits{0}, reads{0};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 64; ++i) {
        if (t.banned(IpAddr::v4(192, 0, 2, static_cast<uint8_t>(200 + i % 8)), 1)) false_hits.fetch_add(1);
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    }
  });
  for (int round = 0; round < 20000; ++round) {
    for (unsigned i = 0; i < BanTable::kWays; ++i) t.insert(IpAddr::v4(192, 0, 2, static_cast<uint8_t>(i + (round % 2) * 8)), 100, 0);
    for (unsigned i = 0; i < BanTable::kWays; ++i) t.erase(IpAddr::v4(192, 0, 2, static_cast<uint8_t>(i + (round % 2) * 8)));
  }
  stop = true;
  reader.join();
  EXPECT_EQ(false_hits.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
}

class EdgeDrops : public DataplaneTest {
 protected:
  Bytes options_from(const char* src, const std::string& user_agent) {
    const std::string msg =
        "OPTIONS sip:100@10.201.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP " + std::string(src) + ":5070;branch=z9hG4bK-9\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:100@x>;tag=1\r\nTo: <sip:100@x>\r\nCall-ID: scan-1\r\nCSeq: 1 OPTIONS\r\n"
        "User-Agent: " + user_agent + "\r\nContent-Length: 0\r\n\r\n";
    return udp4_frame(our_mac(kAccess), kPeerMac, ip4(src), ip4("10.201.0.1"), 5070, 5060, text(msg));
  }
  unsigned delivered() {
    SipItem* items[8];
    const unsigned n = receive_sip(dp_->shared(), items);
    for (unsigned i = 0; i < n; ++i) release_sip(dp_->shared(), items[i]);
    return n;
  }
};

TEST_F(EdgeDrops, BannedSourceIsDroppedBeforeParsingOthersPass) {
  dp_->bans().insert(addr("10.201.0.66"), now_ + hz_, now_);
  receive(kAccess, options_from("10.201.0.66", "Linphone"));
  EXPECT_EQ(delivered(), 0u);
  EXPECT_EQ(dp_->total(kAccess, Drop::Banned), 1u);
  receive(kAccess, options_from("10.201.0.7", "Linphone"));
  EXPECT_EQ(delivered(), 1u);
  now_ += 2 * hz_;  // the ban ended
  receive(kAccess, options_from("10.201.0.66", "Linphone"));
  EXPECT_EQ(delivered(), 1u);
  EXPECT_EQ(dp_->total(kAccess, Drop::Banned), 1u);
}

TEST_F(EdgeDrops, SignatureActionsDropBanOrTag) {
  auto rules = parser::PolicyRules::build({
      {1, "ua-friendly-scanner", "friendly-scanner", "User-Agent", true, parser::PolicyAction::Drop},
      {2, "ua-sipvicious", "sipvicious", "User-Agent", true, parser::PolicyAction::Ban},
      {3, "ua-watch", "watchme", "User-Agent", true, parser::PolicyAction::Tag},
  });
  ASSERT_TRUE(rules.ok());
  auto matcher = parser::PolicyMatcher::create(*rules);
  ASSERT_TRUE(matcher.ok());
  dp_->set_policy(*rules, *matcher);
  auto hits = [&](uint16_t rule) { return dp_->lcore_counters(0).policy_hits[rule].get(); };

  receive(kAccess, options_from("10.201.0.66", "friendly-scanner"));
  EXPECT_EQ(delivered(), 0u) << "drop: never reaches control";
  EXPECT_EQ(dp_->total(kAccess, Drop::PolicyDrop), 1u);
  EXPECT_EQ(hits(1), 1u);

  // Ban and tag reach control (which bans the source, or lets the message through), with the hit.
  receive(kAccess, options_from("10.201.0.67", "sipvicious"));
  SipItem* items[2];
  ASSERT_EQ(receive_sip(dp_->shared(), items), 1u);
  EXPECT_EQ(std::vector<uint16_t>(items[0]->msg.policy_hits().begin(), items[0]->msg.policy_hits().end()),
            std::vector<uint16_t>{2});
  release_sip(dp_->shared(), items[0]);
  receive(kAccess, options_from("10.201.0.68", "watchme 1.0"));
  ASSERT_EQ(receive_sip(dp_->shared(), items), 1u);
  EXPECT_EQ(items[0]->msg.policy_hits().size(), 1u);
  release_sip(dp_->shared(), items[0]);
  receive(kAccess, options_from("10.201.0.69", "Linphone"));
  ASSERT_EQ(receive_sip(dp_->shared(), items), 1u);
  EXPECT_TRUE(items[0]->msg.policy_hits().empty());
  release_sip(dp_->shared(), items[0]);
  EXPECT_EQ(hits(2), 1u);
  EXPECT_EQ(hits(3), 1u);
  EXPECT_EQ(dp_->total(kAccess, Drop::PolicyDrop), 1u);
  EXPECT_EQ(dp_->total(kAccess, Event::SipToControl), 3u);
}

// Overload shedding: past shed_backlog waiting messages, requests that start something are dropped
// in the lane; responses, in-dialog requests, ACK and CANCEL still take the remaining slots.
class Shedding : public EdgeDrops {
 protected:
  void customise(DataplaneConfig& cfg) override { cfg.shed_backlog = 2; }
  Bytes sip_from(const std::string& msg) {
    return udp4_frame(our_mac(kAccess), kPeerMac, ip4("10.201.0.7"), ip4("10.201.0.1"), 5070, 5060, text(msg));
  }
  static std::string request(const std::string& method, const std::string& to_tag, const std::string& cseq_method = "") {
    return method + " sip:1012@10.201.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.7:5070;branch=z9hG4bK-" + method +
           to_tag + "\r\nMax-Forwards: 70\r\nFrom: <sip:1006@x>;tag=1\r\nTo: <sip:1012@x>" +
           (to_tag.empty() ? "" : ";tag=" + to_tag) + "\r\nCall-ID: shed-1\r\nCSeq: 1 " +
           (cseq_method.empty() ? method : cseq_method) + "\r\nContent-Length: 0\r\n\r\n";
  }
};

TEST_F(Shedding, NewRequestsDroppedPastTheDepthCallsInProgressStillGetIn) {
  receive(kAccess, sip_from(request("INVITE", "")));
  receive(kAccess, sip_from(request("REGISTER", "")));
  EXPECT_EQ(dp_->total(kAccess, Drop::Shed), 0u) << "below the depth nothing is shed";
  // Two wait now: new requests are shed...
  receive(kAccess, sip_from(request("INVITE", "")));
  receive(kAccess, sip_from(request("OPTIONS", "")));
  EXPECT_EQ(dp_->total(kAccess, Drop::Shed), 2u);
  // ...what belongs to something in progress is not.
  receive(kAccess, sip_from(request("BYE", "b1")));
  receive(kAccess, sip_from(request("ACK", "")));
  receive(kAccess, sip_from(request("CANCEL", "")));
  receive(kAccess, sip_from("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.201.0.1;branch=z9hG4bK-x\r\nFrom: <sip:a@x>;tag=1\r\n"
                            "To: <sip:b@x>;tag=2\r\nCall-ID: shed-2\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(dp_->total(kAccess, Drop::Shed), 2u);
  EXPECT_EQ(delivered(), 6u);
  receive(kAccess, sip_from(request("INVITE", "")));
  EXPECT_EQ(delivered(), 1u) << "the ring drained: new requests get in again";
}

TEST_F(EdgeDrops, RuleIdAboveTheCountersIsRefused) {
  auto rules = parser::PolicyRules::build({{kMaxPolicyRules + 1, "too-high", "x", "User-Agent", true}});
  ASSERT_TRUE(rules.ok());
  auto matcher = parser::PolicyMatcher::create(*rules);
  ASSERT_TRUE(matcher.ok());
  EXPECT_EQ(dp_->set_policy(*rules, *matcher), "policy rule 'too-high' has id 65; ids are 1..64");
}

// A reload's new rules reach the running lane between bursts: the old set stops matching, the new
// one starts, each rule's action with it, and the set the lane gave back is freed by control.
TEST_F(EdgeDrops, NewSignatureRulesReplaceTheRunningOnesBetweenBursts) {
  auto set = [&](const char* name, const char* pattern, parser::PolicyAction action) {
    auto rules = parser::PolicyRules::build({{1, name, pattern, "User-Agent", true, action}});
    ASSERT_TRUE(rules.ok());
    auto matcher = parser::PolicyMatcher::create(*rules);
    ASSERT_TRUE(matcher.ok());
    ASSERT_EQ(dp_->set_policy(*rules, *matcher), "");
  };
  set("ua-old", "oldscanner", parser::PolicyAction::Drop);
  receive(kAccess, options_from("10.201.0.66", "oldscanner"));
  EXPECT_EQ(dp_->total(kAccess, Drop::PolicyDrop), 1u);
  EXPECT_TRUE(dp_->reclaim_policies());

  set("ua-new", "newscanner", parser::PolicyAction::Drop);
  EXPECT_FALSE(dp_->reclaim_policies()) << "offered, not taken: the lane has not polled since";
  receive(kAccess, options_from("10.201.0.66", "oldscanner"));
  EXPECT_EQ(delivered(), 1u) << "the old rule is gone";
  receive(kAccess, options_from("10.201.0.66", "newscanner"));
  EXPECT_EQ(delivered(), 0u);
  EXPECT_EQ(dp_->total(kAccess, Drop::PolicyDrop), 2u);
  EXPECT_TRUE(dp_->reclaim_policies());

  // Same pattern, action changed to tag: it now reaches control, with the hit.
  set("ua-new", "newscanner", parser::PolicyAction::Tag);
  receive(kAccess, options_from("10.201.0.66", "newscanner"));
  EXPECT_EQ(delivered(), 1u);
  EXPECT_TRUE(dp_->reclaim_policies());
}

}  // namespace
}  // namespace sipedge::dataplane::test
