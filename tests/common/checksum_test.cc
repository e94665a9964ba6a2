// tests/common/checksum_test.cc — pins common/checksum.{h,cc} against the RFC's own numbers and a
// byte-at-a-time reference written here (never against itself): RFC 1071 §3's worked example, a
// real IPv4 header, every length and alignment, and RFC 1624's incremental update.
#include "common/checksum.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <vector>

namespace sipedge {
namespace {

// The checksum as it lands on the wire: the two bytes the caller stores.
std::array<uint8_t, 2> stored(uint16_t value) {
  std::array<uint8_t, 2> b;
  std::memcpy(b.data(), &value, 2);
  return b;
}

// Reference: RFC 1071 §4.1's loop, one 16-bit big-endian word at a time, odd byte padded with zero.
uint16_t reference_checksum(const std::vector<uint8_t>& data) {
  uint32_t sum = 0;
  for (size_t i = 0; i < data.size(); i += 2) {
    const uint32_t hi = data[i];
    const uint32_t lo = i + 1 < data.size() ? data[i + 1] : 0;
    sum += (hi << 8) | lo;
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::array<uint8_t, 2> big_endian(uint16_t v) { return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}; }

TEST(Checksum, Rfc1071WorkedExample) {
  // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2; the checksum is its complement, 220d.
  const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(stored(csum(bytes, sizeof bytes)), (std::array<uint8_t, 2>{0x22, 0x0d}));
  EXPECT_EQ(stored(csum_fold(csum_partial(bytes, sizeof bytes))), (std::array<uint8_t, 2>{0xdd, 0xf2}));
}

TEST(Checksum, RealIpv4HeaderChecksIn) {
  // An IPv4 header (UDP, 10.201.0.2 -> 10.201.0.1) with its checksum field zeroed: the checksum
  // equals the reference's, and once stored in place the header checks in (sums to zero, §1).
  const uint8_t header[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                            0x00, 0x00, 0x0a, 0xc9, 0x00, 0x02, 0x0a, 0xc9, 0x00, 0x01};
  std::vector<uint8_t> h(header, header + sizeof header);
  const std::array<uint8_t, 2> want = big_endian(reference_checksum(h));
  EXPECT_EQ(stored(csum(header, sizeof header)), want);
  h[10] = want[0];
  h[11] = want[1];
  EXPECT_EQ(csum(h.data(), h.size()), 0);
}

TEST(Checksum, EveryLengthAndAlignmentMatchesTheReference) {
  std::mt19937 rng(1071);
  std::vector<uint8_t> buf(600);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; len + offset <= buf.size(); len += (len < 40 ? 1 : 37)) {
      const std::vector<uint8_t> slice(buf.begin() + offset, buf.begin() + offset + len);
      EXPECT_EQ(stored(csum(buf.data() + offset, len)), big_endian(reference_checksum(slice)))
          << "offset " << offset << " length " << len;
    }
  }
}

// All-ones words make every addition carry: lengths past the 32-byte vector steps, up to the
// largest UDP datagram, at an odd start.
TEST(Checksum, AllOnesCarryAtEveryLengthUpToTheLargestDatagram) {
  std::vector<uint8_t> ones(65536, 0xff);
  for (size_t len : {size_t{31}, size_t{32}, size_t{33}, size_t{63}, size_t{64}, size_t{65}, size_t{1500},
                     size_t{9001}, size_t{65535}}) {
    const std::vector<uint8_t> slice(ones.begin() + 1, ones.begin() + 1 + len);
    EXPECT_EQ(stored(csum(ones.data() + 1, len)), big_endian(reference_checksum(slice))) << "length " << len;
  }
}

TEST(Checksum, PartialSumsChainAcrossPieces) {
  std::vector<uint8_t> all(100);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i * 7 + 3);
  const uint32_t first = csum_partial(all.data(), 40);
  const uint16_t chained = static_cast<uint16_t>(~csum_fold(csum_partial(all.data() + 40, 60, first)));
  EXPECT_EQ(stored(chained), big_endian(reference_checksum(all)));
}

TEST(Checksum, Rfc1624UpdateEqualsARecomputation) {
  // Replace one 16-bit word (a TTL/protocol word, a port) and update incrementally: the result must
  // equal the checksum computed from scratch over the new bytes (RFC 1624 eqn. 3), including the
  // case RFC 1624 §4 warns about, where the new sum is all ones.
  std::mt19937 rng(1624);
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> data(20);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    const size_t at = 2 * (rng() % 10);
    uint16_t old_word, new_word;
    std::memcpy(&old_word, &data[at], 2);
    new_word = static_cast<uint16_t>(rng());
    const uint16_t check = csum(data.data(), data.size());
    std::memcpy(&data[at], &new_word, 2);
    const std::array<uint8_t, 2> want = big_endian(reference_checksum(data));
    EXPECT_EQ(stored(csum_replace2(check, old_word, new_word)), want) << "round " << round;
    EXPECT_EQ(stored(csum_apply_delta(check, csum_delta_add(0, old_word, new_word))), want) << "round " << round;
  }
}

}  // namespace
}  // namespace sipedge
