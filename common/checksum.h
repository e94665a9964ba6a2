// common/checksum.h — any thread, pure. Internet checksum (RFC 1071) and its incremental update
// (RFC 1624), used by the relay to patch IP/UDP checksums after NAT rewriting.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sipedge {

// One's-complement sum of `len` bytes in network order, folded to 16 bits, not inverted.
// `initial` chains partial sums (pseudo-header, then payload).
uint32_t csum_partial(const void* data, size_t len, uint32_t initial = 0) noexcept;

inline uint16_t csum_fold(uint32_t sum) noexcept {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Finished checksum (inverted) over `len` bytes.
inline uint16_t csum(const void* data, size_t len) noexcept {
  return static_cast<uint16_t>(~csum_fold(csum_partial(data, len)));
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). All values in the same byte order as stored.
inline uint16_t csum_replace2(uint16_t check, uint16_t old_word, uint16_t new_word) noexcept {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  return static_cast<uint16_t>(~csum_fold(sum));
}

// Precomputed delta for a fixed set of word replacements: add ~old + new for each word once at
// setup; per packet the update is csum_apply_delta (VPP nat_6t_flow_t style).
inline uint32_t csum_delta_add(uint32_t delta, uint16_t old_word, uint16_t new_word) noexcept {
  return delta + static_cast<uint16_t>(~old_word) + new_word;
}

inline uint16_t csum_apply_delta(uint16_t check, uint32_t delta) noexcept {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += delta;
  return static_cast<uint16_t>(~csum_fold(sum));
}

}  // namespace sipedge
