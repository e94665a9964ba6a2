// common/hex.h — any thread, pure. Lower-case hex text of bytes (digests, MACs, random tags),
// written in place: one resize, not a capacity check per character.
#pragma once

#include <cstddef>
#include <string>

#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

namespace sipedge {

inline constexpr char kHexDigits[] = "0123456789abcdef";

// The 2n digits of `bytes` at `w`. Eight bytes a step where SSSE3 is there: their nibbles
// interleaved, high first, and looked up in the digits with one shuffle (nonces, branches and
// digests: a few hundred digits a call).
inline void write_hex(char* w, const unsigned char* bytes, size_t n) {
  size_t i = 0;
#if defined(__SSSE3__)
  const __m128i digits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kHexDigits));
  const __m128i nibble = _mm_set1_epi8(0x0f);
  for (; n - i >= 8; i += 8) {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes + i));
    const __m128i high = _mm_and_si128(_mm_srli_epi16(b, 4), nibble);
    const __m128i low = _mm_and_si128(b, nibble);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(w + 2 * i), _mm_shuffle_epi8(digits, _mm_unpacklo_epi8(high, low)));
  }
#endif
  for (; i < n; ++i) {
    w[2 * i] = kHexDigits[bytes[i] >> 4];
    w[2 * i + 1] = kHexDigits[bytes[i] & 15];
  }
}

inline void append_hex(std::string& out, const unsigned char* bytes, size_t n) {
  const size_t at = out.size();
  out.resize(at + 2 * n);
  write_hex(out.data() + at, bytes, n);
}

}  // namespace sipedge
