// tests/control/hmac_sha256_test.cc — test thread. HmacSha256 against RFC 4231's test vectors
// (an oracle independent of OpenSSL's use here): a short key, a key shorter than the block, a key
// longer than the block (hashed first), and a message fed in parts.
#include "control/auth/hmac_sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace sipedge::control {
namespace {

std::string hex(const unsigned char (&mac)[HmacSha256::kSize]) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : mac) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string mac_of(const HmacSha256& key, std::initializer_list<std::string_view> parts) {
  unsigned char mac[HmacSha256::kSize];
  key.mac(parts, mac);
  return hex(mac);
}

TEST(HmacSha256Test, MatchesRfc4231) {
  const HmacSha256 case1(std::string(20, '\x0b'));
  EXPECT_EQ(mac_of(case1, {"Hi There"}), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  const HmacSha256 case2("Jefe");
  EXPECT_EQ(mac_of(case2, {"what do ya want for nothing?"}),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const HmacSha256 case6(std::string(131, '\xaa'));
  EXPECT_EQ(mac_of(case6, {"Test Using Larger Than Block-Size Key - Hash Key First"}),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// The parts are one message; each MAC starts from the keyed state again, whatever came before.
TEST(HmacSha256Test, PartsAreOneMessageAndMacsAreIndependent) {
  const HmacSha256 key("Jefe");
  EXPECT_EQ(mac_of(key, {"what do ya ", "", "want for nothing?"}),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(mac_of(key, {"what do ya want for nothing?"}),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const HmacSha256 copy = key;
  EXPECT_EQ(mac_of(copy, {"what do ya want for nothing?"}),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace sipedge::control
