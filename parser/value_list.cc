// parser/value_list.cc — any thread, pure. Comma split and LWS handling for header values
// (RFC 3261 §7.3.1, §25.1). One forward pass per value; never allocates.
#include "parser/value_list.h"

#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sipedge::parser {

size_t skip_quoted(std::string_view s, size_t open) noexcept {
  for (size_t i = open + 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;  // quoted-pair: the next byte is literal, even '"'
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

namespace {
// Bytes that end a run of plain item text outside <...>: the ones the split must look at.
constexpr std::array<bool, 256> kItemStops = [] {
  std::array<bool, 256> t{};
  t[static_cast<unsigned char>(',')] = t[static_cast<unsigned char>('"')] = t[static_cast<unsigned char>('<')] = true;
  return t;
}();

// First ',', '"' or '<' in v[i, n), or n: sixteen bytes a step (a Via value is 60-100 bytes).
inline size_t find_item_stop(const char* v, size_t i, size_t n) noexcept {
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"'), open = _mm_set1_epi8('<');
  for (; n - i >= 16; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, comma), _mm_cmpeq_epi8(b, quote)),
                                     _mm_cmpeq_epi8(b, open));
    if (const int mask = _mm_movemask_epi8(hit)) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i < n && !kItemStops[static_cast<unsigned char>(v[i])]) ++i;
  return i;
}
}  // namespace

bool CommaItems::next(std::string_view& item) noexcept {
  const size_t n = value_.size();
  const char* v = value_.data();
  while (pos_ <= n) {
    size_t i = pos_;
    for (; i < n; ++i) {
      i = find_item_stop(v, i, n);
      if (i == n || v[i] == ',') break;
      if (v[i] == '"') {
        const size_t close = skip_quoted(value_, i);
        if (close == std::string_view::npos) {
          i = n;
          break;
        }
        i = close - 1;
      } else {
        // A URI never holds an unescaped '"', so inside <...> only '>' matters; an unclosed '<'
        // runs to the end.
        const void* gt = std::memchr(v + i + 1, '>', n - i - 1);
        if (gt == nullptr) {
          i = n;
          break;
        }
        i = static_cast<size_t>(static_cast<const char*>(gt) - v);
      }
    }
    std::string_view candidate = trim_lws(value_.substr(pos_, i - pos_));
    pos_ = i + 1;
    if (!candidate.empty()) {
      item = candidate;
      return true;
    }
  }
  return false;
}

HeaderItems::HeaderItems(const Message& msg, HeaderId id) noexcept
    : msg_(&msg), field_(msg.find(id)), items_(field_ ? msg.text(field_->value) : std::string_view{}) {}

bool HeaderItems::next(std::string_view& item) noexcept {
  while (field_ != nullptr) {
    if (items_.next(item)) return true;
    field_ = msg_->next_same(field_);
    if (field_ != nullptr) items_ = CommaItems(msg_->text(field_->value));
  }
  return false;
}

}  // namespace sipedge::parser
