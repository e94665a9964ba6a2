// parser/scanner_hand.cc — any thread, pure. Hand-written SIP framing + header index (RFC 3261 §7).
// Hot path of every signalling packet: never allocates, never throws, touches each byte once.
#include "parser/scanner_hand.h"

#include <array>
#include <cstring>

#include "parser/scan_rules.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sipedge::parser {
namespace {

// First '\n' or NUL in [p, end), or end.
inline const char* find_lf_or_nul(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i nul = _mm_setzero_si128();
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, nul)));
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && *p != '\n' && *p != '\0') ++p;
  return p;
}

ScanResult fail(Fault f) noexcept { return {ScanStatus::Malformed, f, 0}; }
ScanResult need_more() noexcept { return {ScanStatus::NeedMore, Fault::None, 0}; }

}  // namespace

ScanResult HandScanner::scan(std::string_view bytes, Framing framing, Message& out) const noexcept {
  out.reset(bytes);
  const bool stream = framing == Framing::Stream;
  if (!stream && bytes.size() > kMaxMessageBytes) return fail(Fault::TooLarge);
  // Stream buffers may hold several messages; only this one must fit the limit.
  const auto n = static_cast<uint32_t>(bytes.size() < kMaxMessageBytes + 4u ? bytes.size() : kMaxMessageBytes + 4u);
  const char* const base = bytes.data();
  const char* const end = base + n;

  uint32_t pos = scan_rules::skip_leading_crlf(base, n);
  if (pos == n) return stream ? need_more() : fail(Fault::Empty);

  // Start line.
  const char* lf = find_lf_or_nul(base + pos, end);
  if (lf == end) {
    if (stream) return n > kMaxMessageBytes ? fail(Fault::TooLarge) : need_more();
    return fail(Fault::BadStartLine);
  }
  if (*lf == '\0') return fail(Fault::NulByte);
  const uint32_t lf_off = static_cast<uint32_t>(lf - base);
  const Fault start_fault = scan_rules::parse_start_line(base, pos, scan_rules::line_content_end(base, pos, lf_off), out);
  if (start_fault != Fault::None) return fail(start_fault);
  pos = lf_off + 1;
  const uint32_t headers_begin = pos;

  // A bad header line does not stop the index: the lines after it are indexed too, so a request
  // refused as malformed can still be answered with a 400 naming its fault (RFC 3261 §8.2.6.1
  // needs Via, From, To, Call-ID and CSeq, wherever they are). The first fault is the one reported.
  scan_rules::HeaderBuilder builder(out);
  Fault fault = Fault::None;
  auto note = [&fault](Fault f) noexcept {
    if (fault == Fault::None) fault = f;
  };
  for (;;) {
    if (pos >= n) {
      if (stream) return n > kMaxMessageBytes ? fail(Fault::TooLarge) : need_more();
      return fail(fault != Fault::None ? fault : Fault::NoHeaderEnd);
    }
    const char c = base[pos];
    // Header lines start with a token byte or SP, all above CR: one compare for them (a folded line
    // starting with HT takes the full check).
    if (static_cast<uint8_t>(c) <= '\r' && (c == '\n' || (c == '\r' && pos + 1 < n && base[pos + 1] == '\n'))) {
      note(builder.finish());
      out.set_header_block(headers_begin, pos);
      pos += (c == '\n') ? 1 : 2;
      break;
    }
    lf = find_lf_or_nul(base + pos, end);
    bool bad_nul = false;
    while (lf != end && *lf == '\0') {
      if (!scan_rules::nul_is_quoted_pair(base, pos, static_cast<uint32_t>(lf - base))) {
        bad_nul = true;
        lf = static_cast<const char*>(std::memchr(lf, '\n', static_cast<size_t>(end - lf)));
        if (lf == nullptr) lf = end;
        break;
      }
      lf = find_lf_or_nul(lf + 1, end);
    }
    if (lf == end) {
      if (stream) return n > kMaxMessageBytes ? fail(Fault::TooLarge) : need_more();
      return fail(fault != Fault::None ? fault : bad_nul ? Fault::NulByte : Fault::NoHeaderEnd);
    }
    const uint32_t line_end = static_cast<uint32_t>(lf - base);
    if (bad_nul)
      note(Fault::NulByte);
    else
      note(builder.line(base, pos, scan_rules::line_content_end(base, pos, line_end)));
    pos = line_end + 1;
  }
  if (fault != Fault::None) return fail(fault);
  return scan_rules::frame_body(bytes, pos, framing, builder.content_length(), out);
}

}  // namespace sipedge::parser
