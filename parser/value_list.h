// parser/value_list.h — any thread, pure. Lexical basics of SIP header values (RFC 3261 §7.3.1,
// §25.1): LWS, tokens, quoted strings, and the top-level comma split of multi-value headers.
// Everything returns string_views into the caller's bytes; nothing here allocates or throws.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#if defined(__SSSE3__)
#include <tmmintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "parser/header_id.h"
#include "parser/message.h"

namespace sipedge::parser {

// SP, HT, and the CR/LF of a folded line (the scanner keeps folds inside value spans).
constexpr bool is_lws_char(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

namespace detail {
constexpr std::array<bool, 256> make_token_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("-.!%*_+`'~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
inline constexpr std::array<bool, 256> kTokenChar = make_token_table();
}  // namespace detail

// A set of ASCII bytes the parsers skip runs of (tokens, parameter characters), tested sixteen bytes
// a step: byte c is in it when low[c & 15] & high[c >> 4] is not zero. Each high nibble of ASCII
// owns one bit, so any set of ASCII bytes is written exactly; bytes from 0x80 are never in one.
class ByteRun {
 public:
  constexpr explicit ByteRun(const std::array<bool, 256>& members) : members_(members) {
    for (int c = 0; c < 128; ++c)
      if (members[c]) low_[c & 15] = static_cast<uint8_t>(low_[c & 15] | (1u << (c >> 4)));
    for (int h = 0; h < 8; ++h) high_[h] = static_cast<uint8_t>(1u << h);
  }
  // The bytes c for which member(c) holds.
  template <typename Member>
  static constexpr ByteRun of(Member member) {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = member(static_cast<unsigned char>(c));
    return ByteRun{t};
  }
  // Whether every member is ASCII: what the nibble form can hold.
  constexpr bool ascii_only() const {
    for (int c = 128; c < 256; ++c)
      if (members_[c]) return false;
    return true;
  }
  constexpr bool contains(char c) const noexcept { return members_[static_cast<unsigned char>(c)]; }

#if defined(__SSSE3__)
  // Bit i set when byte i of `b` is in the set.
  unsigned members16(__m128i b) const noexcept {
    const __m128i low = _mm_load_si128(reinterpret_cast<const __m128i*>(low_.data()));
    const __m128i high = _mm_load_si128(reinterpret_cast<const __m128i*>(high_.data()));
    const __m128i nibble = _mm_set1_epi8(0x0f);
    const __m128i bits = _mm_and_si128(_mm_shuffle_epi8(low, _mm_and_si128(b, nibble)),
                                       _mm_shuffle_epi8(high, _mm_and_si128(_mm_srli_epi16(b, 4), nibble)));
    return ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bits, _mm_setzero_si128()))) & 0xffffu;
  }
#endif

  // Index of the first byte at or after `pos` not in the set (s.size() when none).
  size_t skip(std::string_view s, size_t pos) const noexcept {
#if defined(__SSSE3__)
    for (; s.size() - pos >= 16; pos += 16) {
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + pos));
      if (const unsigned out = ~members16(b) & 0xffffu) return pos + static_cast<size_t>(__builtin_ctz(out));
    }
    // A tail short of sixteen bytes in text of at least sixteen: its last sixteen bytes, read again
    // where they overlap what was read, never a byte outside the text.
    if (pos < s.size() && s.size() >= 16) {
      const size_t from = s.size() - 16;
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + from));
      const unsigned out = (~members16(b) & 0xffffu) >> (pos - from);
      return out != 0 ? pos + static_cast<size_t>(__builtin_ctz(out)) : s.size();
    }
#endif
    while (pos < s.size() && members_[static_cast<unsigned char>(s[pos])]) ++pos;
    return pos;
  }

 private:
  std::array<bool, 256> members_;
  alignas(16) std::array<uint8_t, 16> low_{};
  alignas(16) std::array<uint8_t, 16> high_{};
};

namespace detail {
inline constexpr ByteRun kTokenRun{kTokenChar};
static_assert(kTokenRun.ascii_only());
}  // namespace detail

// RFC 3261 §25.1 token character.
constexpr bool is_token_char(char c) noexcept { return detail::kTokenChar[static_cast<unsigned char>(c)]; }

// `s` without leading and trailing LWS. Inline: the parsers call it a few hundred times a call.
inline std::string_view trim_lws(std::string_view s) noexcept {
  size_t b = 0, e = s.size();
  while (b < e && is_lws_char(s[b])) ++b;
  while (e > b && is_lws_char(s[e - 1])) --e;
  return {s.data() + b, e - b};
}

// Index of the first non-LWS byte at or after `pos` (s.size() when none).
inline size_t skip_lws(std::string_view s, size_t pos) noexcept {
  while (pos < s.size() && is_lws_char(s[pos])) ++pos;
  return pos;
}

// Index of the first non-token byte at or after `pos`.
inline size_t skip_token(std::string_view s, size_t pos) noexcept { return detail::kTokenRun.skip(s, pos); }

// Index of the first of the bytes `a`, `b`, `c` at or after `pos` (s.size() when none), sixteen
// bytes a step: the comma split and the rewriter's line-break check each look for three bytes.
inline size_t find_first_of3(std::string_view s, size_t pos, char a, char b, char c) noexcept {
#if defined(__SSE2__)
  const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
  const auto hits = [&](const char* at) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)), _mm_cmpeq_epi8(v, vc));
    return static_cast<unsigned>(_mm_movemask_epi8(hit));
  };
  for (; s.size() - pos >= 16; pos += 16)
    if (const unsigned mask = hits(s.data() + pos)) return pos + static_cast<size_t>(__builtin_ctz(mask));
  // The tail as ByteRun::skip reads it: the text's last sixteen bytes, overlapping.
  if (pos < s.size() && s.size() >= 16) {
    const size_t from = s.size() - 16;
    const unsigned mask = hits(s.data() + from) >> (pos - from);
    return mask != 0 ? pos + static_cast<size_t>(__builtin_ctz(mask)) : s.size();
  }
#endif
  while (pos < s.size() && s[pos] != a && s[pos] != b && s[pos] != c) ++pos;
  return pos;
}

// `s[open]` is the opening '"' of a quoted-string; returns the index just past the closing '"'
// (honouring "\" quoted-pairs), or std::string_view::npos when the string is unterminated.
size_t skip_quoted(std::string_view s, size_t open) noexcept;

// Top-level comma split of one header value (RFC 3261 §7.3.1). Commas inside "quoted strings"
// (with \-escapes) or inside <...> do not split. Items are trimmed of LWS; empty items (",,", a
// trailing comma) are skipped. An unterminated quote or '<' makes the rest of the value one item,
// which the item's own parser then refuses.
class CommaItems {
 public:
  explicit CommaItems(std::string_view value) noexcept : value_(value) {}
  // Next item; false when the value is exhausted.
  bool next(std::string_view& item) noexcept;

 private:
  std::string_view value_;
  size_t pos_ = 0;
};

// Items of every header with this id, in message order (e.g. all Via values across several Via
// headers, whether comma-joined or on separate lines, RFC 3261 §7.3.1 says both are equivalent).
class HeaderItems {
 public:
  HeaderItems(const Message& msg, HeaderId id) noexcept;
  bool next(std::string_view& item) noexcept;

 private:
  const Message* msg_;
  const HeaderField* field_;
  CommaItems items_;
};

}  // namespace sipedge::parser
