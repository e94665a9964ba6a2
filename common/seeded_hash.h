// common/seeded_hash.h — any thread. A 64-bit hash of bytes keyed with a per-process seed, for
// tables whose keys a sender chooses (Call-IDs, Via branches): without the seed, names that collide
// can be computed offline and aimed at one shard or one probe run.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace sipedge {

namespace detail {
inline uint64_t mix64(uint64_t x) noexcept {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ull;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ull;
  x ^= x >> 32;
  return x;
}
}  // namespace detail

// Multiply-xorshift over 8-byte words: a few cycles per word, every input bit reaching every
// output bit. Not a MAC: it spreads keys, it does not authenticate them.
inline uint64_t seeded_hash(uint64_t seed, std::string_view bytes) noexcept {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
  uint64_t h = seed ^ (bytes.size() * kMul);
  size_t at = 0;
  for (; at + 8 <= bytes.size(); at += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + at, 8);
    h = detail::mix64(h ^ w);
  }
  uint64_t tail = 0;
  if (at < bytes.size()) std::memcpy(&tail, bytes.data() + at, bytes.size() - at);
  return detail::mix64(h ^ tail);
}

}  // namespace sipedge
