// Pins control/registrar: RFC 3261 §10.3 answers and the bindings they leave behind.
#include "control/registrar/registrar.h"

#include <gtest/gtest.h>

#include <map>

#include "parser/scanner_hand.h"

namespace sipedge::control {
namespace {

const Endpoint kNatSource{IpAddr::v4(203, 0, 113, 7), 40000};

class RegistrarTest : public ::testing::Test {
 protected:
  Location location;
  DigestAuth auth{DigestAuth::Config{"sipedge.test", 300, {DigestAlgorithm::Md5}}, "k"};
  std::vector<IpPrefix> trusted;
  BanList bans{BanConfig{}, trusted};
  Lockout lockout{LockoutConfig{false}, bans};
  GuardedAuth guarded{auth, lockout, [](std::string_view, const IpAddr&) { return false; }};
  Registrar registrar{location, guarded, RegistrarConfig{3600, 60, 7200, true, {}}};
  uint32_t cseq = 1;
  uint32_t nc = 1;
  std::string nonce;

  void SetUp() override {
    auth.set_user_password("1006", "pw");
    nonce = auth.make_nonce(1000);
  }

  RegistrarReply send(std::string contacts, std::string expires_header = "", std::string user = "1006",
                      std::string password = "pw", Endpoint source = kNatSource, std::string call_id = "reg-1") {
    char ncbuf[16];
    std::snprintf(ncbuf, sizeof ncbuf, "%08x", nc++);
    const std::string ha1 = digest_ha1(DigestAlgorithm::Md5, user, "sipedge.test", password);
    const std::string resp = digest_response(DigestAlgorithm::Md5, ha1, nonce, ncbuf, "cn", "auth", "REGISTER",
                                             "sip:sipedge.test");
    const uint32_t this_cseq = cseq++;
    std::string bytes = "REGISTER sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.131:5060;branch=z9hG4bK" +
                        std::to_string(this_cseq) + "\r\nFrom: <sip:1006@sipedge.test>;tag=a\r\nTo: <sip:1006@sipedge.test>\r\n"
                        "Call-ID: " + call_id + "\r\nCSeq: " + std::to_string(this_cseq) + " REGISTER\r\n" + contacts +
                        expires_header + "Authorization: Digest username=\"" + user +
                        "\",realm=\"sipedge.test\",nonce=\"" + nonce +
                        "\",uri=\"sip:sipedge.test\",response=\"" + resp + "\",algorithm=MD5,cnonce=\"cn\",qop=auth,nc=" +
                        ncbuf + "\r\nContent-Length: 0\r\n\r\n";
    parser::Message m;
    EXPECT_EQ(parser::HandScanner().scan(bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
    return registrar.handle(Inbound{m, source, {}, 0}, "sipedge.test", 1'000'000);
  }
};

TEST_F(RegistrarTest, ChallengesWithoutCredentials) {
  const std::string bytes = "REGISTER sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                            "From: <sip:1006@sipedge.test>;tag=a\r\nTo: <sip:1006@sipedge.test>\r\nCall-ID: x\r\n"
                            "CSeq: 1 REGISTER\r\nContact: <sip:1006@192.168.1.131>\r\n\r\n";
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  const RegistrarReply r = registrar.handle(Inbound{m, kNatSource, {}, 0}, "sipedge.test", 1'000'000);
  EXPECT_EQ(r.status, 401);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(r.headers[0].second.rfind("Digest realm=\"sipedge.test\", nonce=\"", 0), 0u);
  EXPECT_EQ(location.size(), 0u);
}

TEST_F(RegistrarTest, RegistersBehindNatAndListsBindings) {
  const RegistrarReply r = send("Contact: <sip:1006@192.168.1.131:5060>\r\n", "Expires: 600\r\n");
  ASSERT_EQ(r.status, 200) << r.reason;
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].second, "<sip:1006@192.168.1.131:5060>;expires=600");
  const Binding* b = location.find("1006@sipedge.test", "sip:1006@192.168.1.131:5060");
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->behind_nat);
  EXPECT_EQ(b->received, kNatSource);
  EXPECT_EQ(b->expires_at_ms, 1'000'000u + 600'000u);
}

TEST_F(RegistrarTest, ContactAtTheSourceAddressIsNotNat) {
  ASSERT_EQ(send("Contact: <sip:1006@203.0.113.7:40000>\r\n").status, 200);
  EXPECT_FALSE(location.find("1006@sipedge.test", "sip:1006@203.0.113.7:40000")->behind_nat);
}

TEST_F(RegistrarTest, SeveralContactsThenOneRemovedThenStar) {
  const RegistrarReply two =
      send("Contact: <sip:1006@10.0.0.1>;expires=100, <sip:1006@10.0.0.2>;q=0.5\r\n", "Expires: 300\r\n");
  ASSERT_EQ(two.status, 200);
  ASSERT_EQ(two.headers.size(), 2u);
  EXPECT_EQ(two.headers[0].second, "<sip:1006@10.0.0.1>;expires=100");
  EXPECT_EQ(two.headers[1].second, "<sip:1006@10.0.0.2>;expires=300");
  const RegistrarReply one = send("Contact: <sip:1006@10.0.0.1>;expires=0\r\n");
  EXPECT_EQ(one.bindings_removed, 1u);
  EXPECT_EQ(location.size(), 1u);
  EXPECT_EQ(send("Contact: *\r\n").status, 400) << "star without Expires: 0";
  const RegistrarReply all = send("Contact: *\r\n", "Expires: 0\r\n");
  EXPECT_EQ(all.status, 200);
  EXPECT_EQ(all.bindings_removed, 1u);
  EXPECT_EQ(location.size(), 0u);
}

TEST_F(RegistrarTest, TooBriefIntervalGets423WithMinExpires) {
  const RegistrarReply r = send("Contact: <sip:1006@10.0.0.1>\r\n", "Expires: 30\r\n");
  EXPECT_EQ(r.status, 423);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Min-Expires", "60"}));
  EXPECT_EQ(location.size(), 0u);
}

TEST_F(RegistrarTest, LongIntervalIsClampedAndQueryListsWithoutChanging) {
  ASSERT_EQ(send("Contact: <sip:1006@10.0.0.1>\r\n", "Expires: 99999\r\n").headers[0].second,
            "<sip:1006@10.0.0.1>;expires=7200");
  const RegistrarReply q = send("");
  EXPECT_EQ(q.status, 200);
  EXPECT_EQ(q.headers.size(), 1u);
}

TEST_F(RegistrarTest, WrongPasswordIsChallengedAgainAndOtherUsersAor403) {
  EXPECT_EQ(send("Contact: <sip:1006@10.0.0.1>\r\n", "", "1006", "bad").status, 401);
  auth.set_user_password("1012", "pw12");
  EXPECT_EQ(send("Contact: <sip:1006@10.0.0.1>\r\n", "", "1012", "pw12").status, 403);
  EXPECT_EQ(location.size(), 0u);
}

TEST_F(RegistrarTest, OutOfOrderCSeqOnTheSameCallIdIsRefused) {
  ASSERT_EQ(send("Contact: <sip:1006@10.0.0.1>\r\n").status, 200);
  cseq -= 2;
  EXPECT_EQ(send("Contact: <sip:1006@10.0.0.1>\r\n").status, 500);
}

TEST_F(RegistrarTest, BindingsExpire) {
  ASSERT_EQ(send("Contact: <sip:1006@10.0.0.1>\r\n", "Expires: 60\r\n").status, 200);
  EXPECT_EQ(location.expire(1'000'000 + 59'999), 0u);
  EXPECT_EQ(location.expire(1'000'000 + 60'000), 1u);
  EXPECT_EQ(location.size(), 0u);
  EXPECT_EQ(location.aor_count(), 0u);
}

TEST(LocationTest, FindsABindingByTheAddressItRegisteredFromOrItsContactNames) {
  Location location;
  auto binding = [](std::string aor, std::string contact, Endpoint received, uint64_t expires) {
    Binding b;
    b.aor = std::move(aor);
    b.contact_uri = std::move(contact);
    b.received = received;
    b.expires_at_ms = expires;
    return b;
  };
  const Endpoint pbx{IpAddr::v4(203, 0, 113, 9), 5060};
  location.upsert(binding("1012@sipedge.test", "sip:1012@192.168.1.50:5062", kNatSource, 5000));
  location.upsert(binding("2001@sipedge.test", "sip:2001@203.0.113.9", pbx, 9000));
  location.upsert(binding("2002@sipedge.test", "sip:2002@203.0.113.9", pbx, 9000));

  const Binding* b = location.find_by_address(kNatSource, "");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->aor, "1012@sipedge.test");
  EXPECT_EQ(location.find_by_address(Endpoint{IpAddr::v4(192, 168, 1, 50), 5062}, "1012"), b);
  EXPECT_EQ(location.find_by_address(Endpoint{IpAddr::v4(192, 168, 1, 50), 5060}, "1012"), nullptr);
  // Several AORs behind one address: the Request-URI's user picks, any other user gets one of them.
  EXPECT_EQ(location.find_by_address(pbx, "2002")->aor, "2002@sipedge.test");
  EXPECT_EQ(location.find_by_address(pbx, "2001")->aor, "2001@sipedge.test");
  EXPECT_NE(location.find_by_address(pbx, "9999"), nullptr);

  // Re-registered from elsewhere, removed, expired: the old addresses lead nowhere.
  location.upsert(binding("1012@sipedge.test", "sip:1012@192.168.1.50:5062", Endpoint{IpAddr::v4(203, 0, 113, 8), 41000}, 5000));
  EXPECT_EQ(location.find_by_address(kNatSource, ""), nullptr);
  EXPECT_NE(location.find_by_address(Endpoint{IpAddr::v4(203, 0, 113, 8), 41000}, ""), nullptr);
  EXPECT_TRUE(location.remove("2002@sipedge.test", "sip:2002@203.0.113.9"));
  EXPECT_EQ(location.find_by_address(pbx, "2002")->aor, "2001@sipedge.test");
  EXPECT_EQ(location.expire(9000), 2u);
  EXPECT_EQ(location.find_by_address(pbx, ""), nullptr);
  EXPECT_EQ(location.find_by_address(Endpoint{IpAddr::v4(192, 168, 1, 50), 5062}, ""), nullptr);
}

// Replication across control shards (issue 14 §2): what one shard's table publishes and how
// another's applies it.
struct Published final : LocationPeers {
  std::vector<BindingChange> changes;
  void publish(const BindingChange& c) override { changes.push_back(c); }
};

Binding replicated_binding(std::string contact, uint64_t expires) {
  Binding b;
  b.aor = "1012@sipedge.test";
  b.contact_uri = std::move(contact);
  b.received = kNatSource;
  b.behind_nat = true;
  b.expires_at_ms = expires;
  return b;
}

// A shard's table (`own`, shard 2) publishing to another's (`other`), at 5 s.
class LocationReplication : public ::testing::Test {
 protected:
  void SetUp() override { own.set_peers(&to_others, 2, clock); }
  ManualClock clock{5000};
  Published to_others;
  Location own, other;
};

TEST_F(LocationReplication, ChangesArePublishedStampedAndAppliedAsReplicas) {
  own.upsert(replicated_binding("sip:1012@192.168.1.50:5062", 65'000));
  ASSERT_EQ(to_others.changes.size(), 1u);
  const BindingChange& up = to_others.changes[0];
  EXPECT_FALSE(up.removed);
  EXPECT_EQ(up.binding.stamp, (5000u << 8) | 2u);
  EXPECT_TRUE(up.binding.replica);
  EXPECT_FALSE(own.find("1012@sipedge.test", "sip:1012@192.168.1.50:5062")->replica);
  other.apply(up);
  const Binding* copy = other.find("1012@sipedge.test", "sip:1012@192.168.1.50:5062");
  ASSERT_NE(copy, nullptr);
  EXPECT_TRUE(copy->replica) << "its NAT keepalives are the writer's";
  EXPECT_EQ(copy->received, kNatSource);
  EXPECT_EQ(other.find_by_address(kNatSource, "1012"), copy);

  clock.advance(10);
  own.upsert(replicated_binding("sip:1012@192.168.1.50:5070", 65'000));
  EXPECT_EQ(own.remove_all("1012@sipedge.test"), 2u);
  ASSERT_EQ(to_others.changes.size(), 4u);
  EXPECT_TRUE(to_others.changes[2].removed);
  EXPECT_TRUE(to_others.changes[3].removed);
  for (size_t i = 1; i < 4; ++i) other.apply(to_others.changes[i]);
  EXPECT_EQ(other.size(), 0u);
  EXPECT_EQ(other.find_by_address(kNatSource, ""), nullptr);
  EXPECT_FALSE(own.remove("1012@sipedge.test", "sip:1012@192.168.1.50:5062"));
  EXPECT_EQ(to_others.changes.size(), 4u) << "nothing removed, nothing published";
}

TEST_F(LocationReplication, ExpiryIsEachReplicasOwnAndNotPublished) {
  own.upsert(replicated_binding("sip:1012@192.168.1.50:5062", 65'000));
  other.apply(to_others.changes.at(0));
  EXPECT_EQ(own.expire(65'000), 1u);
  EXPECT_EQ(other.expire(65'000), 1u);
  EXPECT_EQ(to_others.changes.size(), 1u);
}

// Two shards write one binding at once (two REGISTERs with different Call-IDs): each applies the
// other's change after its own, and both keep the one with the later stamp (the higher shard on a
// tie), so the replicas agree.
TEST(LocationReplicationPair, ConcurrentWritesConvergeOnTheLaterStamp) {
  ManualClock clock(5000);
  Published from_a, from_b;
  Location a, b;
  a.set_peers(&from_a, 0, clock);
  b.set_peers(&from_b, 1, clock);
  Binding via_a = replicated_binding("sip:1012@192.168.1.50:5062", 65'000);
  Binding via_b = via_a;
  via_b.received = Endpoint{IpAddr::v4(203, 0, 113, 8), 41000};
  a.upsert(via_a);
  b.upsert(via_b);
  a.apply(from_b.changes.at(0));
  b.apply(from_a.changes.at(0));
  EXPECT_EQ(a.find("1012@sipedge.test", "sip:1012@192.168.1.50:5062")->received, via_b.received);
  EXPECT_EQ(b.find("1012@sipedge.test", "sip:1012@192.168.1.50:5062")->received, via_b.received);
  EXPECT_FALSE(b.find("1012@sipedge.test", "sip:1012@192.168.1.50:5062")->replica);

  // A removal older than what a replica holds does not take the newer binding away.
  clock.advance(1);
  b.upsert(via_b);
  BindingChange stale_removal{true, via_a};
  stale_removal.binding.stamp = (5000u << 8) | 0u;
  b.apply(stale_removal);
  EXPECT_EQ(b.size(), 1u);
  a.apply(from_b.changes.at(1));
  stale_removal.binding.stamp = (5001u << 8) | 1u;
  a.apply(stale_removal);
  EXPECT_EQ(a.size(), 0u) << "a removal as new as the binding wins";
}

TEST(LocationTest, BucketSlicesVisitEveryBindingOnceARoundWhateverTheSliceSize) {
  Location location;
  for (int i = 0; i < 1000; ++i) {
    Binding b;
    b.aor = std::to_string(2000 + i) + "@sipedge.test";
    b.contact_uri = "sip:" + std::to_string(2000 + i) + "@192.168.1.50";
    b.expires_at_ms = 1000;
    location.upsert(b);
    if (i % 10 == 0) {  // a second contact of the same AOR
      b.contact_uri += ":5070";
      location.upsert(std::move(b));
    }
  }
  ASSERT_EQ(location.size(), 1100u);
  const size_t buckets = location.buckets();
  ASSERT_GE(buckets, 1000u);
  for (size_t slice : {size_t{1}, size_t{7}, buckets / 25 + 1, buckets}) {
    std::map<std::string, int> seen;
    size_t first = 3;  // any start: the round wraps
    for (size_t visited = 0; visited < buckets; visited += slice) {
      const size_t n = std::min(slice, buckets - visited);
      location.for_each_in_buckets(first, n, [&](const Binding& b) { ++seen[b.contact_uri]; });
      first = (first + n) % buckets;
    }
    EXPECT_EQ(seen.size(), 1100u) << "slice " << slice;
    for (const auto& [contact, times] : seen) EXPECT_EQ(times, 1) << contact;
  }
  // More than a round asked for: each bucket once, no more.
  size_t calls = 0;
  location.for_each_in_buckets(0, buckets * 3, [&](const Binding&) { ++calls; });
  EXPECT_EQ(calls, 1100u);
}

}  // namespace
}  // namespace sipedge::control
