// tests/control/route_token_test.cc — pins control/proxy/route_token: a token is the ref in hex, a
// dot and the first 10 bytes of TokenMac(secret, Call-ID "|" ref-hex), which is SipHash-2-4-128
// keyed with the first 16 bytes of SHA-256(secret) (HMAC-SHA-256 keyed with all 32 where OpenSSL
// offers no SipHash), checked against OpenSSL's one-shot EVP_Q_mac (not the kept context under
// test); anything else is refused.
#include "control/proxy/route_token.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <string>

#include <gtest/gtest.h>

namespace sipedge::control {
namespace {

std::string oracle(const std::string& secret, const std::string& call_id, const std::string& ref_hex) {
  unsigned char key[32];
  unsigned int n = 0;
  EVP_Digest(secret.data(), secret.size(), key, &n, EVP_sha256(), nullptr);
  const std::string data = call_id + "|" + ref_hex;
  const bool siphash = TokenMac::preferred() == TokenMac::Algorithm::SipHash24;
  size_t tag_size = 16;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &tag_size), OSSL_PARAM_END};
  unsigned char mac[32];
  size_t len = 0;
  EVP_Q_mac(nullptr, siphash ? "SIPHASH" : "HMAC", nullptr, siphash ? nullptr : "SHA2-256", siphash ? params : nullptr,
            key, siphash ? 16 : 32, reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, sizeof mac,
            &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = ref_hex + ".";
  for (int i = 0; i < 10; ++i) out += {kHex[mac[i] >> 4], kHex[mac[i] & 15]};
  return out;
}

TEST(RouteToken, IsTheTruncatedMacOfCallIdAndRef) {
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
// in_alphabet holds for every token make() writes and for no byte it never writes.
TEST(RouteToken, EveryMadeTokenIsInTheAlphabetAndNoOtherByte) {
  const RouteToken token("secret");
  for (uint64_t ref : {uint64_t{0}, uint64_t{1}, uint64_t{0xabcdef}, ~uint64_t{0}})
    EXPECT_TRUE(RouteToken::in_alphabet(token.make("call-" + std::to_string(ref), ref))) << ref;
  EXPECT_FALSE(RouteToken::in_alphabet(""));
  for (int c = 0; c < 256; ++c) {
    const bool written = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '.';
    const std::string text = "1.ab" + std::string(1, static_cast<char>(c)) + "0123456789abcdef";
    EXPECT_EQ(RouteToken::in_alphabet(text), written) << c;
  }
}

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
  for (const std::string& bad : {"0" + token, "1F" + token.substr(2), token.substr(0, token.size() - 1), std::string("."),
                                std::string(""), "1." + std::string(19, 'a'), "1" + std::string(21, 'a')}) {
    EXPECT_EQ(RouteToken::ref_of(bad), std::nullopt) << bad;
    EXPECT_FALSE(RouteToken::carries(bad, mac)) << bad;
  }
}

}  // namespace
}  // namespace sipedge::control
