// parser/scan_rules.cc — any thread, pure. See scan_rules.h. No allocation, no exceptions.
#include "parser/scan_rules.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sipedge::parser::scan_rules {
namespace {

inline Span span(uint32_t b, uint32_t e) noexcept { return Span{b, e - b}; }

// First SP or HT in [i, end), or end; 16 bytes per step (Request-URIs run to 100+ bytes). Loads
// stay inside the line [line_begin, end): the last partial step re-reads the line's final 16 bytes
// and ignores those before i.
uint32_t find_sp_ht(const char* base, uint32_t line_begin, uint32_t i, uint32_t end) noexcept {
#if defined(__SSE2__)
  const __m128i sp = _mm_set1_epi8(' ');
  const __m128i ht = _mm_set1_epi8('\t');
  const auto sp_ht = [&](uint32_t at) noexcept {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + at));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, ht))));
  };
  while (end - i >= 16) {
    if (const unsigned mask = sp_ht(i); mask != 0) return i + static_cast<uint32_t>(__builtin_ctz(mask));
    i += 16;
  }
  if (i < end && end - line_begin >= 16) {
    const unsigned mask = sp_ht(end - 16) >> (i - (end - 16));
    return mask != 0 ? i + static_cast<uint32_t>(__builtin_ctz(mask)) : end;
  }
#endif
  while (i < end && !is_sp_ht(base[i])) ++i;
  return i;
}

bool iprefix_sip_slash(const char* p, uint32_t len) noexcept {
  return len >= 4 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p' && p[3] == '/';
}

}  // namespace

bool nul_is_quoted_pair(const char* base, uint32_t line_begin, uint32_t nul) noexcept {
  bool quoted = false, escaped = false;
  unsigned comment = 0;
  for (uint32_t i = line_begin; i < nul; ++i) {
    const char c = base[i];
    if (escaped) {
      escaped = false;
    } else if (c == '\\' && (quoted || comment > 0)) {
      escaped = true;
    } else if (c == '"' && comment == 0) {
      quoted = !quoted;
    } else if (!quoted && c == '(') {
      ++comment;
    } else if (!quoted && c == ')' && comment > 0) {
      --comment;
    }
  }
  return escaped;
}

uint32_t skip_leading_crlf(const char* base, uint32_t n) noexcept {
  uint32_t i = 0;
  while (i < n && (base[i] == '\r' || base[i] == '\n')) ++i;
  return i;
}

// Request-Line = Method SP Request-URI SP SIP-Version; Status-Line = SIP-Version SP Status-Code SP
// Reason-Phrase (RFC 3261 §7.1, §7.2). Exactly one SP between elements, as the ABNF says. The version
// text is checked later by validate() (505 rather than 400).
Fault parse_start_line(const char* base, uint32_t begin, uint32_t end, Message& out) noexcept {
  out.set_start_line(span(begin, end));
  if (iprefix_sip_slash(base + begin, end - begin)) {
    uint32_t i = begin;
    while (i < end && base[i] != ' ') ++i;
    const Span version = span(begin, i);
    if (i + 4 > end || base[i] != ' ') return Fault::BadStatusLine;
    const char d0 = base[i + 1], d1 = base[i + 2], d2 = base[i + 3];
    if (d0 < '1' || d0 > '6' || d1 < '0' || d1 > '9' || d2 < '0' || d2 > '9') return Fault::BadStatusCode;
    const auto status = static_cast<uint16_t>((d0 - '0') * 100 + (d1 - '0') * 10 + (d2 - '0'));
    uint32_t r = i + 4;
    if (r < end && base[r] != ' ') return Fault::BadStatusCode;
    if (r < end) ++r;
    out.set_response(version, status, span(r, end));
    return Fault::None;
  }
  const uint32_t i = token_end(base, begin, end);
  if (i == begin || i >= end || base[i] != ' ') return i == begin ? Fault::BadMethod : Fault::BadStartLine;
  const Span method = span(begin, i);
  const uint32_t uri_begin = i + 1;
  const uint32_t j = find_sp_ht(base, begin, uri_begin, end);
  if (j == uri_begin || j >= end || base[j] != ' ') return Fault::BadStartLine;
  const uint32_t version_begin = j + 1;
  const uint32_t k = find_sp_ht(base, begin, version_begin, end);
  if (k == version_begin || k != end) return Fault::BadStartLine;
  out.set_request(method, method_from_token(std::string_view(base + begin, i - begin)), span(uri_begin, j),
                  span(version_begin, end));
  return Fault::None;
}

Fault HeaderBuilder::continuation(const char* base, uint32_t begin, uint32_t end) noexcept {
  // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header's value.
  if (!pending_) return Fault::BadHeaderLine;
  uint32_t b = begin;
  while (b < end && is_sp_ht(base[b])) ++b;
  uint32_t e = end;
  while (e > b && is_sp_ht(base[e - 1])) --e;
  if (b < e) {
    if (value_begin_ == value_end_) value_begin_ = b;
    value_end_ = e;
  }
  return Fault::None;
}

Fault HeaderBuilder::take_content_length() noexcept {
  // RFC 3261 §20.14: 1*DIGIT. Saturate rather than overflow; framing rejects it as too large.
  if (value_begin_ == value_end_) return Fault::BadContentLength;
  int64_t v = 0;
  for (uint32_t p = value_begin_; p < value_end_; ++p) {
    const char c = base_[p];
    if (c < '0' || c > '9') return Fault::BadContentLength;
    v = v * 10 + (c - '0');
    if (v > 0xffffffffLL) v = 0x100000000LL;
  }
  if (content_length_ >= 0 && content_length_ != v) return Fault::ConflictingContentLength;
  content_length_ = v;
  return Fault::None;
}

ScanResult frame_body(std::string_view bytes, uint32_t body_begin, Framing framing, int64_t content_length,
                      Message& out) noexcept {
  const auto total = static_cast<uint64_t>(bytes.size());
  const bool stream = framing == Framing::Stream;
  uint32_t body_len;
  if (content_length >= 0) {
    const uint64_t body_end = static_cast<uint64_t>(body_begin) + static_cast<uint64_t>(content_length);
    if (body_end > kMaxMessageBytes) return {ScanStatus::Malformed, stream ? Fault::TooLarge : Fault::ContentLengthTooLarge, 0};
    if (body_end > total) {
      if (stream) return {ScanStatus::NeedMore, Fault::None, 0};
      return {ScanStatus::Malformed, Fault::ContentLengthTooLarge, 0};
    }
    body_len = static_cast<uint32_t>(content_length);
  } else {
    if (stream) return {ScanStatus::Malformed, Fault::MissingContentLength, 0};
    body_len = static_cast<uint32_t>(total - body_begin);
  }
  out.set_body(Span{body_begin, body_len}, content_length);
  return {ScanStatus::Complete, Fault::None, body_begin + body_len};
}

}  // namespace sipedge::parser::scan_rules
