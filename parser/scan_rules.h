// parser/scan_rules.h — any thread, pure. The line-level rules every scanner applies once it knows
// where lines end: start line, header lines with folding, Content-Length framing (RFC 3261 §7, §18.3,
// §20.14). Scanners differ only in how they find line ends; sharing these keeps their indexes equal.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "parser/scanner.h"
#include "parser/value_list.h"

#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

namespace sipedge::parser::scan_rules {

// RFC 3261 §25.1 token characters: the one table in value_list.h, under the name rewriter.cc uses.
using parser::is_token_char;

namespace detail {
// The token table as two 16-entry nibble tables for a PSHUFB lookup: byte b is a token byte when
// kTokenLo[b & 15] & kTokenHi[b >> 4] != 0 (bit h of kTokenLo[l] says whether byte (h << 4) | l is one;
// no token byte is >= 0x80, so high nibbles 8-15 map to 0).
constexpr std::array<uint8_t, 16> token_nibbles(bool low) {
  std::array<uint8_t, 16> t{};
  for (unsigned n = 0; n < 16; ++n) {
    if (!low) {
      t[n] = n < 8 ? static_cast<uint8_t>(1u << n) : 0;
      continue;
    }
    for (unsigned h = 0; h < 8; ++h)
      if (is_token_char(static_cast<char>((h << 4) | n))) t[n] |= static_cast<uint8_t>(1u << h);
  }
  return t;
}
inline constexpr std::array<uint8_t, 16> kTokenLo = token_nibbles(true);
inline constexpr std::array<uint8_t, 16> kTokenHi = token_nibbles(false);
}  // namespace detail

// First offset in [i, end) whose byte is not a token character, or end. 16 bytes per step, never
// reading outside [i, end).
inline uint32_t token_end(const char* base, uint32_t i, uint32_t end) noexcept {
#if defined(__SSSE3__)
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(detail::kTokenLo.data()));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(detail::kTokenHi.data()));
  const __m128i nibble = _mm_set1_epi8(0x0f);
  while (end - i >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + i));
    const __m128i cls = _mm_and_si128(_mm_shuffle_epi8(lo, _mm_and_si128(v, nibble)),
                                      _mm_shuffle_epi8(hi, _mm_and_si128(_mm_srli_epi16(v, 4), nibble)));
    const auto non_token = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(cls, _mm_setzero_si128())));
    if (non_token != 0) return i + static_cast<uint32_t>(__builtin_ctz(non_token));
    i += 16;
  }
#endif
  while (i < end && is_token_char(base[i])) ++i;
  return i;
}

// SP or HT: the whitespace of a header line (RFC 3261 §7.3.1).
inline bool is_sp_ht(char c) noexcept { return c == ' ' || c == '\t'; }

// Offset of the first byte that is not CR or LF.
uint32_t skip_leading_crlf(const char* base, uint32_t n) noexcept;

// RFC 3261 §25.1: quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F) inside a quoted-string or a
// comment is the only place a header may carry a NUL. True when the NUL at offset `nul` of the line
// starting at `line_begin` is the escaped octet of one (tracked within this physical line).
bool nul_is_quoted_pair(const char* base, uint32_t line_begin, uint32_t nul) noexcept;

// End of a line's content: `lf` minus a preceding CR that belongs to the line.
inline uint32_t line_content_end(const char* base, uint32_t begin, uint32_t lf) noexcept {
  return (lf > begin && base[lf - 1] == '\r') ? lf - 1 : lf;
}

// Parses [begin, content_end) as Request-Line or Status-Line into `out`.
Fault parse_start_line(const char* base, uint32_t begin, uint32_t content_end, Message& out) noexcept;

// Accumulates header lines (a header is committed when the next non-folded line or the end of the
// block arrives, so folded continuations extend its value) and tracks Content-Length.
class HeaderBuilder {
 public:
  explicit HeaderBuilder(Message& out) noexcept : out_(out) {}
  // One line [begin, content_end) of the header block (never the empty line); the name's id is
  // looked up in the dictionary.
  Fault line(const char* base, uint32_t begin, uint32_t content_end) noexcept;
  // The same when the scanner already knows the name's id (HyperscanScanner's dictionary match on
  // this line, HeaderId::Other when none): it must be what header_id_lookup(name) would return.
  Fault line(const char* base, uint32_t begin, uint32_t content_end, HeaderId known) noexcept;
  // The empty line was reached: commit the pending header.
  Fault finish() noexcept { return commit(); }
  int64_t content_length() const noexcept { return content_length_; }

 private:
  template <bool kKnown>
  Fault add_line(const char* base, uint32_t begin, uint32_t content_end, HeaderId known) noexcept;
  // A line starting with SP/HT: extends the pending header's value.
  Fault continuation(const char* base, uint32_t begin, uint32_t content_end) noexcept;
  Fault commit() noexcept;
  // The pending header is a Content-Length: parse and check its value.
  Fault take_content_length() noexcept;

  Message& out_;
  const char* base_ = nullptr;
  bool pending_ = false;
  HeaderId pending_id_ = HeaderId::Other;
  Span name_;
  uint32_t value_begin_ = 0, value_end_ = 0;
  int64_t content_length_ = -1;
};

// Inline: HandScanner calls these once per header line, the hottest code of the scan.

inline Fault HeaderBuilder::line(const char* base, uint32_t begin, uint32_t content_end) noexcept {
  return add_line<false>(base, begin, content_end, HeaderId::Other);
}

inline Fault HeaderBuilder::line(const char* base, uint32_t begin, uint32_t content_end, HeaderId known) noexcept {
  return add_line<true>(base, begin, content_end, known);
}

template <bool kKnown>
inline Fault HeaderBuilder::add_line(const char* base, uint32_t begin, uint32_t end, HeaderId known) noexcept {
  base_ = base;
  if (is_sp_ht(base[begin])) [[unlikely]]
    return continuation(base, begin, end);
  if (const Fault f = commit(); f != Fault::None) return f;
  uint32_t i = token_end(base, begin, end);
  if (i == begin) return Fault::BadHeaderName;
  name_ = Span{begin, i - begin};
  if (i < end && base[i] == ':') [[likely]] {
    ++i;
  } else {
    while (i < end && is_sp_ht(base[i])) ++i;
    if (i == end) return Fault::BadHeaderLine;
    if (base[i] != ':') return Fault::BadHeaderName;
    ++i;
  }
  // Values mostly follow ": " and end without trailing whitespace; a byte above SP is neither.
  if (i < end && base[i] == ' ') [[likely]]
    ++i;
  if (i < end && static_cast<uint8_t>(base[i]) <= ' ') [[unlikely]]
    while (i < end && is_sp_ht(base[i])) ++i;
  uint32_t e = end;
  if (e > i && static_cast<uint8_t>(base[e - 1]) <= ' ') [[unlikely]]
    while (e > i && is_sp_ht(base[e - 1])) --e;
  value_begin_ = i;
  value_end_ = e;
  pending_id_ = kKnown ? known : header_id_lookup(std::string_view(base + begin, name_.len));
  pending_ = true;
  return Fault::None;
}

inline Fault HeaderBuilder::commit() noexcept {
  if (!pending_) return Fault::None;
  pending_ = false;
  if (pending_id_ == HeaderId::ContentLength) [[unlikely]] {
    if (const Fault f = take_content_length(); f != Fault::None) return f;
  }
  if (!out_.add_header(pending_id_, name_, Span{value_begin_, value_end_ - value_begin_})) [[unlikely]]
    return Fault::TooManyHeaders;
  return Fault::None;
}

// Frames the body that starts at `body_begin` and finishes `out`.
ScanResult frame_body(std::string_view bytes, uint32_t body_begin, Framing framing,
                      int64_t content_length, Message& out) noexcept;

}  // namespace sipedge::parser::scan_rules
