// tests/support/inet_checksum.h — test thread. The Internet checksum written the slow, obvious way
// (RFC 1071 §4.1: add 16-bit big-endian words one at a time, fold the carries, complement), so tests
// that build or check packets have an oracle that is not common/checksum.h, the code under test.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sipedge::test {

// Sum of the big-endian 16-bit words of `n` bytes (an odd last byte padded with zero) added to
// `sum`; chain it across pieces of even length (pseudo-header, then the datagram).
inline uint32_t inet_sum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i < n; i += 2) sum += (uint32_t{p[i]} << 8) | (i + 1 < n ? p[i + 1] : 0u);
  return sum;
}

inline uint16_t inet_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The checksum field's value (to be written big-endian) over `n` bytes after the partial `initial`.
inline uint16_t inet_checksum(const uint8_t* p, size_t n, uint32_t initial = 0) {
  return static_cast<uint16_t>(~inet_fold(inet_sum(p, n, initial)));
}

}  // namespace sipedge::test
