// parser/value_list.cc — any thread, pure. Comma split and LWS handling for header values
// (RFC 3261 §7.3.1, §25.1). One forward pass per value; never allocates.
#include "parser/value_list.h"

#include <cstring>

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

bool CommaItems::next(std::string_view& item) noexcept {
  const size_t n = value_.size();
  const char* v = value_.data();
  while (pos_ <= n) {
    size_t i = pos_;
    for (; i < n; ++i) {
      i = find_first_of3(value_, i, ',', '"', '<');  // what the split must look at
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
