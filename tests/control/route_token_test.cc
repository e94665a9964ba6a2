// tests/control/route_token_test.cc — pins control/proxy/route_token: a token is the ref in hex, a
// dot and the first 10 bytes of HMAC-SHA-256(SHA-256(secret), Call-ID "|" ref-hex), checked against
// OpenSSL's one-shot HMAC (not the precomputed-pad code under test); anything else is refused.
#include "control/proxy/route_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include <gtest/gtest.h>

namespace sipedge::control {
namespace {

std::string oracle(const std::string& secret, const std::string& call_id, const std::string& ref_hex) {
  unsigned char key[32];
  unsigned int n = 0;
  EVP_Digest(secret.data(), secret.size(), key, &n, EVP_sha256(), nullptr);
  const std::string data = call_id + "|" + ref_hex;
  unsigned char mac[32];
  HMAC(EVP_sha256(), key, sizeof key, reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &n);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = ref_hex + ".";
  for (int i = 0; i < 10; ++i) out += {kHex[mac[i] >> 4], kHex[mac[i] & 15]};
  return out;
}

TEST(RouteToken, IsTheTruncatedHmacOfCallIdAndRef) {
  const RouteToken t("cluster-secret");
  EXPECT_EQ(t.make("a84b4c76e66710@pc33.atlanta.com", 0x2a), oracle("cluster-secret", "a84b4c76e66710@pc33.atlanta.com", "2a"));
  EXPECT_EQ(t.make("x", 1), oracle("cluster-secret", "x", "1"));
  const RouteToken copy = t;  // copies share the key
  EXPECT_EQ(copy.make("x", 1), t.make("x", 1));
  EXPECT_EQ(t.verify("x", t.make("x", 1)), 1u);
}

TEST(RouteToken, RefusesOtherCallsOtherSecretsAndOtherSpellings) {
  const RouteToken t("s1");
  const std::string token = t.make("call-1", 255);
  EXPECT_EQ(t.verify("call-1", token), 255u);
  EXPECT_EQ(t.verify("call-2", token), std::nullopt);
  EXPECT_EQ(RouteToken("s2").verify("call-1", token), std::nullopt);
  EXPECT_EQ(t.verify("call-1", "0" + token), std::nullopt) << "leading zero";
  EXPECT_EQ(t.verify("call-1", "FF" + token.substr(2)), std::nullopt) << "upper case";
  EXPECT_EQ(RouteToken().verify("call-1", token), std::nullopt) << "a random secret";
}

// What a call keeps (the MAC make() hands out) answers as verify() would, by the token's spelling.
TEST(RouteToken, AKeptMacAnswersAsVerifyWould) {
  const RouteToken t("s1");
  RouteToken::Mac mac{};
  const std::string token = t.make("call-1", 0x1f, &mac);
  EXPECT_EQ(RouteToken::ref_of(token), 0x1fu);
  EXPECT_TRUE(RouteToken::carries(token, mac));
  std::string tampered = token;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(RouteToken::carries(tampered, mac));
  EXPECT_EQ(t.verify("call-1", tampered), std::nullopt);
  const std::string other = t.make("call-1", 0x20);
  EXPECT_FALSE(RouteToken::carries(other, mac)) << "another ref's MAC";
  for (const std::string bad : {"0" + token, "1F" + token.substr(2), token.substr(0, token.size() - 1), std::string("."),
                                std::string(""), "1." + std::string(19, 'a'), "1" + std::string(21, 'a')}) {
    EXPECT_EQ(RouteToken::ref_of(bad), std::nullopt) << bad;
    EXPECT_FALSE(RouteToken::carries(bad, mac)) << bad;
  }
}

}  // namespace
}  // namespace sipedge::control
