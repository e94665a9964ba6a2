// tests/common/hex_test.cc — pins common/hex.h: lower-case hex exactly as printf's "%02x" writes
// it, for every length around the eight-byte steps, and appended after what a string holds.
#include "common/hex.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace sipedge {
namespace {

std::string printf_hex(const std::vector<unsigned char>& bytes) {
  std::string out;
  char two[3];
  for (unsigned char b : bytes) {
    std::snprintf(two, sizeof two, "%02x", b);
    out += two;
  }
  return out;
}

TEST(Hex, WritesWhatPrintfWritesForEveryLengthAndByte) {
  std::mt19937 rng(99);
  for (size_t n = 0; n <= 41; ++n)
    for (int round = 0; round < 50; ++round) {
      std::vector<unsigned char> bytes(n);
      for (unsigned char& b : bytes) b = static_cast<unsigned char>(rng());
      std::string out = "prefix:";
      append_hex(out, bytes.data(), n);
      ASSERT_EQ(out, "prefix:" + printf_hex(bytes)) << n;
    }
  std::vector<unsigned char> all(256);
  for (size_t b = 0; b < all.size(); ++b) all[b] = static_cast<unsigned char>(b);
  std::string out;
  append_hex(out, all.data(), all.size());
  EXPECT_EQ(out, printf_hex(all));
}

TEST(Hex, WritesNoByteBeyondTwoPerInput) {
  const unsigned char bytes[9] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89};
  std::string buf(24, '#');
  write_hex(buf.data() + 2, bytes, 9);
  EXPECT_EQ(buf, "##deadbeef0123456789####");
}

}  // namespace
}  // namespace sipedge
