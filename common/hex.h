// common/hex.h — any thread, pure. Lower-case hex text of bytes (digests, MACs, random tags),
// written in place: one resize, not a capacity check per character.
#pragma once

#include <cstddef>
#include <string>

namespace sipedge {

inline constexpr char kHexDigits[] = "0123456789abcdef";

inline void append_hex(std::string& out, const unsigned char* bytes, size_t n) {
  const size_t at = out.size();
  out.resize(at + 2 * n);
  char* w = out.data() + at;
  for (size_t i = 0; i < n; ++i) {
    w[2 * i] = kHexDigits[bytes[i] >> 4];
    w[2 * i + 1] = kHexDigits[bytes[i] & 15];
  }
}

}  // namespace sipedge
