// common/checksum.cc — any thread, pure. RFC 1071 sum over bytes in network order.
#include "common/checksum.h"

#include <cstring>

namespace sipedge {

uint32_t csum_partial(const void* data, size_t len, uint32_t initial) noexcept {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t sum = initial;
  while (len >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    // Sum 16-bit big-endian words: byte-swap-free trick, fold the 64-bit host word in halves.
    sum += (w & 0xffffffffULL) + (w >> 32);
    p += 8;
    len -= 8;
  }
  while (len >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    sum += w;
    p += 2;
    len -= 2;
  }
  if (len) {
    uint16_t w = 0;
    std::memcpy(&w, p, 1);
    sum += w;
  }
  while (sum >> 32) sum = (sum & 0xffffffffULL) + (sum >> 32);
  // `sum` holds host-order 16-bit lanes of network-order data; the fold is byte-order independent
  // (RFC 1071 §2(B)) so the caller stores the result as-is.
  uint32_t s = static_cast<uint32_t>(sum & 0xffff) + static_cast<uint32_t>((sum >> 16) & 0xffff) +
               static_cast<uint32_t>(sum >> 32);
  return s;
}

}  // namespace sipedge
