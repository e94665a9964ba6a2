// tests/control/token_mac_test.cc — test thread. TokenMac against oracles outside it: OpenSSL's
// SipHash checked first against the reference vectors of the SipHash paper's code (key 00..0f,
// 128-bit tags), then TokenMac's tags against one-shot MACs (EVP_Q_mac) keyed as token_mac.h says,
// SHA-256(secret) itself taken from RFC 6234's test vector. Also: the parts are one message, each
// tag starts from the key again, and HMAC-SHA-256 (the FIPS-only fallback) matches RFC 4231 when
// keyed with the same SHA-256.
#include "control/auth/token_mac.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

namespace sipedge::control {
namespace {

std::string token_hex(const unsigned char* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

std::string tag_of(const TokenMac& key, std::initializer_list<std::string_view> parts) {
  unsigned char tag[TokenMac::kSize];
  key.mac(parts, tag);
  return token_hex(tag, sizeof tag);
}

// OpenSSL's one-shot MAC: its own context, keyed with `key`.
std::string one_shot(const char* name, const char* digest, const std::vector<unsigned char>& key, std::string_view msg,
                     size_t tag_bytes) {
  unsigned char out[64];
  size_t n = 0;
  size_t siphash_size = 16;
  OSSL_PARAM params[] = {OSSL_PARAM_END, OSSL_PARAM_END};
  if (std::string_view(name) == "SIPHASH")
    params[0] = OSSL_PARAM_construct_size_t("size", &siphash_size);
  else
    params[0] = OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>(digest), 0);
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, name, nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EXPECT_TRUE(EVP_MAC_init(ctx, key.data(), key.size(), params));
  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  EVP_MAC_final(ctx, out, &n, sizeof out);
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return token_hex(out, std::min(n, tag_bytes));
}

std::vector<unsigned char> bytes_of_hex(std::string_view hex) {
  std::vector<unsigned char> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<unsigned char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

bool siphash_offered() { return TokenMac::preferred() == TokenMac::Algorithm::SipHash24; }

TEST(TokenMacTest, OpenSslSipHashIsTheReferenceSipHash24With128BitTags) {
  if (!siphash_offered()) GTEST_SKIP() << "this OpenSSL offers no SipHash (FIPS-only configuration)";
  std::vector<unsigned char> key;
  for (unsigned char i = 0; i < 16; ++i) key.push_back(i);
  // vectors_sip128[0..3]: messages of 0 to 3 bytes 00, 01, 02.
  const char* const expected[] = {"a3817f04ba25a8e66df67214c7550293", "da87c1d86b99af44347659119b22fc45",
                                  "8177228da4a45dc7fca38bdef60affe4", "9c70b60c5267a94e5f33b6b02985ed51"};
  std::string message;
  for (const char* tag : expected) {
    EXPECT_EQ(one_shot("SIPHASH", nullptr, key, message, 16), tag) << message.size() << " bytes";
    message.push_back(static_cast<char>(message.size()));
  }
}

// SHA-256("abc") (RFC 6234 §8.5): TokenMac("abc")'s key.
constexpr std::string_view kAbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(TokenMacTest, TagsAreSipHashKeyedWithTheSecretsSha256) {
  if (!siphash_offered()) GTEST_SKIP() << "this OpenSSL offers no SipHash (FIPS-only configuration)";
  const TokenMac key("abc");
  EXPECT_EQ(key.algorithm(), TokenMac::Algorithm::SipHash24);
  const std::vector<unsigned char> derived = bytes_of_hex(kAbcSha256.substr(0, 32));
  EXPECT_EQ(tag_of(key, {"call-id@host|1f"}), one_shot("SIPHASH", nullptr, derived, "call-id@host|1f", 16));
  EXPECT_EQ(tag_of(key, {""}), one_shot("SIPHASH", nullptr, derived, "", 16));
}

TEST(TokenMacTest, HmacFallbackIsHmacSha256KeyedWithTheSecretsSha256CutTo16Bytes) {
  const TokenMac key("abc", TokenMac::Algorithm::HmacSha256);
  const std::vector<unsigned char> derived = bytes_of_hex(kAbcSha256);
  EXPECT_EQ(tag_of(key, {"call-id@host|1f"}), one_shot("HMAC", "SHA2-256", derived, "call-id@host|1f", 16));
  // RFC 4231 test case 2's message under this key, from the one-shot: the oracle itself is checked
  // against RFC 4231 with its own key.
  EXPECT_EQ(one_shot("HMAC", "SHA2-256", {'J', 'e', 'f', 'e'}, "what do ya want for nothing?", 32),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// The parts are one message; each tag starts from the keyed state again, whatever came before; a
// copy shares the key.
TEST(TokenMacTest, PartsAreOneMessageAndTagsAreIndependent) {
  for (TokenMac::Algorithm a : {TokenMac::Algorithm::SipHash24, TokenMac::Algorithm::HmacSha256}) {
    if (a == TokenMac::Algorithm::SipHash24 && !siphash_offered()) continue;
    const TokenMac key("a secret of any length, longer than a block of sixty-four bytes for good measure", a);
    const std::string whole = tag_of(key, {"what do ya want for nothing?"});
    EXPECT_EQ(tag_of(key, {"what do ya ", "", "want for nothing?"}), whole);
    EXPECT_NE(tag_of(key, {"what do ya want for nothing!"}), whole);
    EXPECT_EQ(tag_of(key, {"what do ya want for nothing?"}), whole);
    const TokenMac copy = key;
    EXPECT_EQ(tag_of(copy, {"what do ya want for nothing?"}), whole);
    EXPECT_NE(tag_of(TokenMac("another secret", a), {"what do ya want for nothing?"}), whole);
  }
}

TEST(TokenMacTest, RandomSecretsAre32BytesAndDiffer) {
  const std::string a = TokenMac::random_secret(), b = TokenMac::random_secret();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace sipedge::control
