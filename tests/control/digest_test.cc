// Pins control/auth/digest.cc: RFC test vectors, stateless nonces, stale, replay, no enumeration.
#include "control/auth/digest.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "parser/scanner_hand.h"

namespace sipedge::control {
namespace {

TEST(Digest, Rfc2617Md5Vector) {
  const std::string ha1 = digest_ha1(DigestAlgorithm::Md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_EQ(ha1, "939e7578ed9e3c518a452acee763bce9");
  EXPECT_EQ(digest_response(DigestAlgorithm::Md5, ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
                            "auth", "GET", "/dir/index.html"),
            "6629fae49393a05397450978507c4ef1");
}

TEST(Digest, Rfc7616Sha256Vector) {
  const std::string ha1 = digest_ha1(DigestAlgorithm::Sha256, "Mufasa", "http-auth@example.org", "Circle of Life");
  EXPECT_EQ(digest_response(DigestAlgorithm::Sha256, ha1, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
                            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth", "GET", "/dir/index.html"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

// Parts past the hash's stack buffer (a long Request-URI, a long password) hash as the whole text
// would: OpenSSL's one-shot digest of the joined string is the oracle.
TEST(Digest, LongPartsHashAsTheJoinedText) {
  auto md5_hex = [](const std::string& text) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), md, &len, EVP_md5(), nullptr);
    std::string hex;
    for (unsigned i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
    return hex;
  };
  for (size_t uri_len : {100u, 490u, 511u, 512u, 513u, 2000u}) {
    const std::string uri = "sip:" + std::string(uri_len, 'u') + "@sipedge.test";
    const std::string password(uri_len, 'p');
    const std::string ha1 = digest_ha1(DigestAlgorithm::Md5, "1006", "sipedge.test", password);
    EXPECT_EQ(ha1, md5_hex("1006:sipedge.test:" + password)) << uri_len;
    const std::string ha2 = md5_hex("INVITE:" + uri);
    EXPECT_EQ(digest_response(DigestAlgorithm::Md5, ha1, "n0nce", "00000001", "c", "auth", "INVITE", uri),
              md5_hex(ha1 + ":n0nce:00000001:c:auth:" + ha2))
        << uri_len;
  }
}

class DigestAuthTest : public ::testing::Test {
 protected:
  DigestAuth auth{DigestAuth::Config{"sipedge.test", 300, {DigestAlgorithm::Sha256, DigestAlgorithm::Md5}}, "secret"};
  void SetUp() override { auth.set_user_password("1006", "pw1006"); }

  std::string nonce_from(const std::string& challenge) {
    const size_t at = challenge.find("nonce=\"") + 7;
    return challenge.substr(at, challenge.find('"', at) - at);
  }

  AuthResult register_with(DigestAlgorithm a, std::string user, std::string password, std::string nonce,
                           std::string nc, uint64_t now, bool proxy = false) {
    const std::string ha1 = digest_ha1(a, user, "sipedge.test", password);
    const std::string uri = "sip:sipedge.test";
    const std::string method = proxy ? "INVITE" : "REGISTER";
    const std::string resp = digest_response(a, ha1, nonce, nc, "c0ffee", "auth", method, uri);
    const std::string value = "Digest username=\"" + user + "\",realm=\"sipedge.test\",nonce=\"" + nonce +
                              "\",uri=\"" + uri + "\",response=\"" + resp + "\",algorithm=" +
                              std::string(digest_algorithm_name(a)) + ",cnonce=\"c0ffee\",qop=auth,nc=" + nc;
    bytes_ = method + " " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n" +
             (proxy ? "Proxy-Authorization: " : "Authorization: ") + value + "\r\nCSeq: 2 " + method + "\r\n\r\n";
    parser::Message m;
    EXPECT_EQ(parser::HandScanner().scan(bytes_, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
    return auth.verify(m, proxy, now);
  }
  std::string bytes_;
};

TEST_F(DigestAuthTest, ChallengeOffersEachAlgorithmWithQopAuth) {
  const auto c = auth.challenges(1000, false);
  ASSERT_EQ(c.size(), 2u);
  const std::string nonce = nonce_from(c[0]);
  EXPECT_EQ(c[0], "Digest realm=\"sipedge.test\", nonce=\"" + nonce + "\", qop=\"auth\", algorithm=SHA-256");
  EXPECT_EQ(c[1], "Digest realm=\"sipedge.test\", nonce=\"" + nonce + "\", qop=\"auth\", algorithm=MD5");
  EXPECT_NE(auth.challenges(1000, true)[0].find(", stale=true"), std::string::npos);
}

TEST_F(DigestAuthTest, AcceptsMd5AndSha256AndRefusesReplayedNonceCount) {
  const std::string nonce = auth.make_nonce(1000);
  EXPECT_EQ(register_with(DigestAlgorithm::Md5, "1006", "pw1006", nonce, "00000001", 1001).outcome, AuthOutcome::Ok);
  EXPECT_EQ(register_with(DigestAlgorithm::Md5, "1006", "pw1006", nonce, "00000001", 1002).outcome,
            AuthOutcome::Rejected);
  EXPECT_EQ(register_with(DigestAlgorithm::Md5, "1006", "pw1006", nonce, "00000002", 1003).outcome, AuthOutcome::Ok);
  const AuthResult r = register_with(DigestAlgorithm::Sha256, "1006", "pw1006", auth.make_nonce(1000), "00000001", 1004);
  EXPECT_EQ(r.outcome, AuthOutcome::Ok);
  EXPECT_EQ(r.user, "1006");
  EXPECT_EQ(register_with(DigestAlgorithm::Md5, "1006", "pw1006", auth.make_nonce(1000), "00000001", 1004, true).outcome,
            AuthOutcome::Ok);
}

TEST_F(DigestAuthTest, UnknownUserAndWrongPasswordLookTheSame) {
  const std::string nonce = auth.make_nonce(1000);
  const AuthResult wrong = register_with(DigestAlgorithm::Md5, "1006", "nope", nonce, "00000001", 1001);
  const AuthResult unknown = register_with(DigestAlgorithm::Md5, "9999", "pw", nonce, "00000001", 1001);
  EXPECT_EQ(wrong.outcome, AuthOutcome::Rejected);
  EXPECT_EQ(unknown.outcome, AuthOutcome::Rejected);
  EXPECT_EQ(wrong.reason, unknown.reason);
}

TEST_F(DigestAuthTest, ExpiredNonceIsStaleAndForgedNonceIsRejected) {
  const std::string nonce = auth.make_nonce(1000);
  EXPECT_EQ(register_with(DigestAlgorithm::Md5, "1006", "pw1006", nonce, "00000001", 1301).outcome, AuthOutcome::Stale);
  std::string forged = nonce;
  forged[20] = forged[20] == 'a' ? 'b' : 'a';
  EXPECT_EQ(register_with(DigestAlgorithm::Md5, "1006", "pw1006", forged, "00000001", 1001).outcome,
            AuthOutcome::Rejected);
  DigestAuth other(DigestAuth::Config{"sipedge.test"}, "another-secret");
  EXPECT_EQ(other.check_nonce(nonce, 1001), -1);
}

// Control shards share the secret; each accepts only the nonces it issued, so the nonce-count it
// tracks sees every use of them. Another shard's nonce with the right password is stale, not wrong.
TEST_F(DigestAuthTest, ANonceIsAcceptedOnlyByTheShardThatIssuedIt) {
  DigestAuth shard1{DigestAuth::Config{"sipedge.test", 300, {DigestAlgorithm::Sha256, DigestAlgorithm::Md5}}, "secret", 1};
  const std::string nonce1 = shard1.make_nonce(1000);
  EXPECT_EQ(shard1.check_nonce(nonce1, 1001), 0);
  EXPECT_EQ(auth.check_nonce(nonce1, 1001), 2);
  EXPECT_EQ(shard1.check_nonce(auth.make_nonce(1000), 1001), 2);
  const AuthResult r = register_with(DigestAlgorithm::Md5, "1006", "pw1006", nonce1, "00000001", 1001);
  EXPECT_EQ(r.outcome, AuthOutcome::Stale);
  EXPECT_EQ(r.reason, "nonce of another shard");
  EXPECT_EQ(auth.tracked_nonces(), 0u);
  EXPECT_EQ(register_with(DigestAlgorithm::Md5, "1006", "wrong", nonce1, "00000001", 1001).outcome, AuthOutcome::Rejected);
  // The issuer is sealed: a nonce whose issuer byte was changed is forged.
  std::string moved = nonce1;
  moved[17] = '0';
  EXPECT_EQ(moved.substr(16, 2), "00");
  EXPECT_EQ(auth.check_nonce(moved, 1001), -1);
}

TEST_F(DigestAuthTest, MissingCredentialsAskForAChallengeAndExpiryForgetsNonces) {
  const std::string req = "INVITE sip:x SIP/2.0\r\nAuthorization: Digest realm=\"elsewhere\",username=\"a\",nonce=\"n\","
                          "uri=\"sip:x\",response=\"r\"\r\n\r\n";
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(req, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  EXPECT_EQ(auth.verify(m, false, 1000).outcome, AuthOutcome::NoCredentials);
  EXPECT_EQ(auth.verify(m, true, 1000).outcome, AuthOutcome::NoCredentials);
  register_with(DigestAlgorithm::Md5, "1006", "pw1006", auth.make_nonce(1000), "00000001", 1001);
  EXPECT_EQ(auth.tracked_nonces(), 1u);
  auth.expire(1001 + 601);
  EXPECT_EQ(auth.tracked_nonces(), 0u);
}

// Nonces are forgotten oldest first, each 2 x its lifetime after its first use, whatever the order
// they were issued in; one still in use keeps its nonce-count.
TEST_F(DigestAuthTest, ExpiryForgetsEachNonceTwiceItsLifetimeAfterItsFirstUse) {
  const std::string late_issued = auth.make_nonce(1100);
  const std::string early_issued = auth.make_nonce(1000);
  ASSERT_EQ(register_with(DigestAlgorithm::Md5, "1006", "pw1006", late_issued, "00000001", 1100).outcome, AuthOutcome::Ok);
  ASSERT_EQ(register_with(DigestAlgorithm::Md5, "1006", "pw1006", early_issued, "00000001", 1200).outcome, AuthOutcome::Ok);
  ASSERT_EQ(register_with(DigestAlgorithm::Md5, "1006", "pw1006", auth.make_nonce(1250), "00000001", 1250).outcome,
            AuthOutcome::Ok);
  EXPECT_EQ(auth.tracked_nonces(), 3u);
  auth.expire(1100 + 600);
  EXPECT_EQ(auth.tracked_nonces(), 3u) << "600 s after its first use is not past twice the lifetime";
  auth.expire(1100 + 601);
  EXPECT_EQ(auth.tracked_nonces(), 2u);
  auth.expire(1200 + 601);
  EXPECT_EQ(auth.tracked_nonces(), 1u);
  auth.expire(1250 + 601);
  EXPECT_EQ(auth.tracked_nonces(), 0u);
  auth.expire(5000);
  EXPECT_EQ(auth.tracked_nonces(), 0u);
}

// Many nonces expiring in one pass (the pass reads the index slots it erases ahead): the ones
// still tracked keep their nonce-counts, found among the slots the erasures shifted.
TEST_F(DigestAuthTest, ABatchOfExpiriesLeavesTheRestTracked) {
  std::vector<std::string> young;
  for (uint64_t t = 1000; t < 1025; ++t)
    ASSERT_EQ(register_with(DigestAlgorithm::Md5, "1006", "pw1006", auth.make_nonce(t), "00000001", t).outcome, AuthOutcome::Ok);
  for (uint64_t t = 1400; t < 1425; ++t) {
    young.push_back(auth.make_nonce(t));
    ASSERT_EQ(register_with(DigestAlgorithm::Md5, "1006", "pw1006", young.back(), "00000001", t).outcome, AuthOutcome::Ok);
  }
  auth.expire(1024 + 601);  // the first 25, first used at 1000..1024, go at once
  EXPECT_EQ(auth.tracked_nonces(), 25u);
  for (const std::string& nonce : young) {
    const AuthResult replay = register_with(DigestAlgorithm::Md5, "1006", "pw1006", nonce, "00000001", 1625);
    EXPECT_EQ(replay.outcome, AuthOutcome::Rejected);
    EXPECT_EQ(replay.reason, "nonce-count replay");
    EXPECT_EQ(register_with(DigestAlgorithm::Md5, "1006", "pw1006", nonce, "00000002", 1625).outcome, AuthOutcome::Ok);
  }
  EXPECT_EQ(auth.tracked_nonces(), 25u);
}

}  // namespace
}  // namespace sipedge::control
