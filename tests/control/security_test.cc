// tests/control/security_test.cc — test thread. Pins control/security: ban durations doubling up to
// the cap and forgiven after a clean spell, trusted prefixes never banned, lifting, the sink kept in
// step; lockout windows per source and per user; token buckets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/security/ban_list.h"
#include "control/security/lockout.h"
#include "control/security/rate_limiter.h"

namespace sipedge::control {
namespace {

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

struct RecordingSink : BanSink {
  std::vector<std::string> events;
  void banned(const IpAddr& a, uint64_t until_ms, uint64_t now_ms, std::string_view) override {
    events.push_back("ban " + a.to_string() + " " + std::to_string(until_ms - now_ms));
  }
  void lifted(const IpAddr& a) override { events.push_back("lift " + a.to_string()); }
};

BanConfig ban_config() { return BanConfig{60, 300}; }
const std::vector<IpPrefix> kTrusted{*IpPrefix::parse("10.202.0.0/24")};

TEST(BanList, RepeatOffencesDoubleUpToTheCap) {
  BanList bans(ban_config(), kTrusted);
  RecordingSink sink;
  bans.set_sink(&sink);
  const IpAddr a = ip("203.0.113.9");
  uint64_t now = 1000;
  std::vector<uint64_t> lengths;
  for (int i = 0; i < 5; ++i) {
    const BanList::Ban* b = bans.ban(a, "auth-failures", now);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->offence, static_cast<uint32_t>(i + 1));
    lengths.push_back((b->until_ms - now) / 1000);
    EXPECT_TRUE(bans.banned(a, b->until_ms - 1));
    EXPECT_FALSE(bans.banned(a, b->until_ms));
    now = b->until_ms;
    EXPECT_EQ(bans.expire(now), 1u);
  }
  EXPECT_EQ(lengths, (std::vector<uint64_t>{60, 120, 240, 300, 300}));
  EXPECT_EQ(sink.events.front(), "ban 203.0.113.9 60000");
  EXPECT_EQ(sink.events[1], "lift 203.0.113.9");
  EXPECT_EQ(bans.size(), 0u);
}

TEST(BanList, CleanSpellForgivesOffences) {
  BanList bans(ban_config(), kTrusted);
  const IpAddr a = ip("2001:db8::7");
  const BanList::Ban* b = bans.ban(a, "x", 0);
  const uint64_t end = b->until_ms;
  bans.expire(end);
  // Back within ban_max_s of the ban's end: second offence.
  EXPECT_EQ(bans.ban(a, "x", end + 1000)->offence, 2u);
  const uint64_t end2 = bans.list().front().until_ms;
  bans.expire(end2);
  bans.expire(end2 + 300 * 1000);
  EXPECT_EQ(bans.ban(a, "x", end2 + 300 * 1000 + 1)->offence, 1u);
}

TEST(BanList, TrustedNeverBannedAndLiftForgets) {
  BanList bans(ban_config(), kTrusted);
  RecordingSink sink;
  bans.set_sink(&sink);
  EXPECT_EQ(bans.ban(ip("10.202.0.2"), "x", 0), nullptr);
  EXPECT_FALSE(bans.banned(ip("10.202.0.2"), 1));
  bans.ban(ip("198.51.100.1"), "x", 0);
  bans.ban(ip("198.51.100.1"), "x", 10);  // second offence while banned
  EXPECT_TRUE(bans.lift(ip("198.51.100.1")));
  EXPECT_FALSE(bans.lift(ip("198.51.100.1")));
  EXPECT_FALSE(bans.banned(ip("198.51.100.1"), 20));
  EXPECT_EQ(bans.ban(ip("198.51.100.1"), "x", 30)->offence, 1u) << "lifting forgets the offence";
  EXPECT_EQ(sink.events, (std::vector<std::string>{"ban 198.51.100.1 60000", "ban 198.51.100.1 120000",
                                                   "lift 198.51.100.1", "ban 198.51.100.1 60000"}));
}

LockoutConfig lockout_config() {
  LockoutConfig c;
  c.max_failures = 3;
  c.failure_window_s = 10;
  c.user_max_failures = 5;
  c.user_throttle_s = 30;
  return c;
}

TEST(Lockout, SourceBannedAtMaxFailuresWithinTheWindowOnly) {
  BanList bans(ban_config(), kTrusted);
  Lockout lock(lockout_config(), bans);
  const IpAddr a = ip("203.0.113.5");
  // Failures spread wider than the window never add up.
  EXPECT_FALSE(lock.failed(a, "1006", 0));
  EXPECT_FALSE(lock.failed(a, "1006", 6000));
  EXPECT_FALSE(lock.failed(a, "1006", 12000));  // the one at 0 left the window
  EXPECT_FALSE(bans.banned(a, 12000));
  EXPECT_TRUE(lock.failed(a, "1006", 13000));   // 6000, 12000, 13000
  EXPECT_TRUE(bans.banned(a, 13000));
  EXPECT_EQ(bans.list().front().reason, "auth-failures");
  EXPECT_EQ(lock.lockouts_total(), 1u);
}

TEST(Lockout, TrustedSourceCountsForTheUserButIsNeverBanned) {
  BanList bans(ban_config(), kTrusted);
  Lockout lock(lockout_config(), bans);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(lock.failed(ip("10.202.0.2"), "1012", 100 * i));
  EXPECT_EQ(bans.size(), 0u);
  EXPECT_TRUE(lock.throttled("1012", 1000));
}

TEST(Lockout, UserThrottledByManySourcesThenReleased) {
  BanList bans(ban_config(), kTrusted);
  Lockout lock(lockout_config(), bans);
  // Five sources, one guess each: no source reaches its limit, the user does.
  for (int i = 1; i <= 4; ++i) lock.failed(ip(("198.51.100." + std::to_string(i)).c_str()), "1006", 100);
  EXPECT_FALSE(lock.throttled("1006", 100));
  lock.failed(ip("198.51.100.5"), "1006", 200);
  EXPECT_TRUE(lock.throttled("1006", 200));
  EXPECT_FALSE(lock.throttled("1012", 200));
  EXPECT_EQ(bans.size(), 0u);
  EXPECT_EQ(lock.throttled_users(200), 1u);
  EXPECT_TRUE(lock.throttled("1006", 200 + 30000 - 1));
  EXPECT_FALSE(lock.throttled("1006", 200 + 30000));
  lock.expire(200 + 30000);
  EXPECT_EQ(lock.tracked_users(), 0u);
  EXPECT_EQ(lock.tracked_sources(), 0u);
}

// A copy of a request whose (stateless) challenge was lost carries the same credentials: it counts
// once, for the source and for the user. Another guess, or the same one from another source, counts.
TEST(Lockout, TheSameCredentialsFromOneSourceCountOnce) {
  BanList bans(ban_config(), kTrusted);
  Lockout lock(lockout_config(), bans);
  const IpAddr a = ip("203.0.113.5");
  EXPECT_FALSE(lock.failed(a, "1006", 0, 42));
  for (int copy = 1; copy <= 5; ++copy) EXPECT_FALSE(lock.failed(a, "1006", 100 * copy, 42));
  EXPECT_EQ(lock.failures_total(), 1u);
  EXPECT_FALSE(lock.throttled("1006", 600));
  EXPECT_FALSE(lock.failed(a, "1006", 700, 43));
  EXPECT_FALSE(lock.failed(ip("203.0.113.6"), "1006", 800, 43));
  EXPECT_EQ(lock.failures_total(), 3u);
  EXPECT_TRUE(lock.failed(a, "1006", 900, 42)) << "42 again after 43: a guess repeated later, counted";
  EXPECT_TRUE(bans.banned(a, 900));
  // A trusted source is never banned; its copies still count once for the user, also after the
  // housekeeping (its window holds no failure, only the fingerprint).
  const IpAddr core = ip("10.202.0.2");
  EXPECT_FALSE(lock.failed(core, "1012", 1000, 7));
  lock.expire(2000);
  EXPECT_FALSE(lock.failed(core, "1012", 2500, 7));
  EXPECT_EQ(lock.failures_total(), 5u);
  lock.expire(2500 + 10000);
  EXPECT_EQ(lock.tracked_sources(), 0u) << "and is forgotten a window after its last attempt";
}

// Failures stamped by shards a millisecond apart, out of order: a failure stamped earlier than the
// last is still inside the window (an unsigned difference made the window forget them all), and
// the source is banned at its third.
TEST(Lockout, FailuresStampedOutOfOrderByTwoShardsStillAddUp) {
  BanList bans(ban_config(), kTrusted);
  Lockout lock(lockout_config(), bans);
  const IpAddr a = ip("203.0.113.5");
  EXPECT_FALSE(lock.failed(a, "1006", 5001));
  EXPECT_FALSE(lock.failed(a, "1006", 5000));
  EXPECT_TRUE(lock.failed(a, "1006", 5001));
  EXPECT_TRUE(bans.banned(a, 5001));
  lock.expire(5000);
  EXPECT_EQ(lock.tracked_users(), 1u) << "an earlier housekeeping time forgets nothing";
}

TEST(Lockout, DisabledCountsNothing) {
  BanList bans(ban_config(), kTrusted);
  LockoutConfig c = lockout_config();
  c.enabled = false;
  Lockout lock(c, bans);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(lock.failed(ip("203.0.113.5"), "1006", i));
  EXPECT_FALSE(lock.throttled("1006", 60));
  EXPECT_EQ(bans.size(), 0u);
}

TEST(RateLimiter, BurstThenSteadyRate) {
  RateLimiter rl;
  const RateLimit limit{10, 5};
  const IpAddr a = ip("203.0.113.1"), b = ip("203.0.113.2");
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += rl.allow(a, limit, 1000);
  EXPECT_EQ(allowed, 5) << "the burst";
  EXPECT_TRUE(rl.allow(b, limit, 1000)) << "buckets are per source";
  EXPECT_FALSE(rl.allow(a, limit, 1099));
  EXPECT_TRUE(rl.allow(a, limit, 1100)) << "one token per 100 ms";
  EXPECT_FALSE(rl.allow(a, limit, 1100));
  // Over one second at 10/s: 10 more.
  allowed = 0;
  for (uint64_t t = 1101; t <= 2100; ++t) allowed += rl.allow(a, limit, t);
  EXPECT_EQ(allowed, 10);
  EXPECT_TRUE(rl.allow(a, RateLimit{}, 2100)) << "no limit";
}

// Control shards stamp the one shared bucket from their own cached clocks, which may read an
// instant a millisecond apart: a request stamped a little earlier than the last refills nothing
// (an unsigned difference refilled the bucket whole: 7 of 20 passed a 5/s burst-5 limit on two
// shards), and a later one refills from the latest stamp.
TEST(RateLimiter, AnEarlierStampFromAnotherShardRefillsNothing) {
  RateLimiter rl;
  const RateLimit limit{5, 5};
  const IpAddr a = ip("203.0.113.1");
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += rl.allow(a, limit, i % 2 == 0 ? 1001 : 1000);
  EXPECT_EQ(allowed, 5);
  EXPECT_FALSE(rl.allow(a, limit, 999));
  EXPECT_FALSE(rl.allow(a, limit, 1200)) << "one token takes 200 ms from 1001";
  EXPECT_TRUE(rl.allow(a, limit, 1201));
}

TEST(RateLimiter, IdleBucketsForgottenAndTableBounded) {
  RateLimiter rl(2);
  const RateLimit limit{10, 0};  // burst 20
  EXPECT_TRUE(rl.allow(ip("203.0.113.1"), limit, 0));
  EXPECT_TRUE(rl.allow(ip("203.0.113.2"), limit, 0));
  EXPECT_EQ(rl.size(), 2u);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(rl.allow(ip("203.0.113.3"), limit, 0)) << "beyond max_sources: let through";
  rl.expire(50);
  EXPECT_EQ(rl.size(), 2u);
  rl.expire(101);
  EXPECT_EQ(rl.size(), 0u);
}

}  // namespace
}  // namespace sipedge::control
