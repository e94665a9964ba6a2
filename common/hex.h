// common/hex.h — any thread, pure. Lower-case hex text of bytes (digests, MACs, random tags),
// written in place: one resize, not a capacity check per character.
#pragma once

#include <cstddef>
#include <string>

namespace sipedge {

inline constexpr char kHexDigits[] = "0123456789abcdef";

// The 2n digits of `bytes` at `w`.
inline void write_hex(char* w, const unsigned char* bytes, size_t n) {
  for (size_t i = 0; i < n; ++i) {
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
