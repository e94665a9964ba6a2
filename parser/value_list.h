// parser/value_list.h — any thread, pure. Lexical basics of SIP header values (RFC 3261 §7.3.1,
// §25.1): LWS, tokens, quoted strings, and the top-level comma split of multi-value headers.
// Everything returns string_views into the caller's bytes; nothing here allocates or throws.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

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
inline size_t skip_token(std::string_view s, size_t pos) noexcept {
  while (pos < s.size() && is_token_char(s[pos])) ++pos;
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
