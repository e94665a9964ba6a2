// parser/scan_rules.h — any thread, pure. The line-level rules every scanner applies once it knows
// where lines end: start line, header lines with folding, Content-Length framing (RFC 3261 §7, §18.3,
// §20.14). Scanners differ only in how they find line ends; sharing these keeps their indexes equal.
#pragma once

#include <cstdint>
#include <string_view>

#include "parser/scanner.h"
#include "parser/value_list.h"

namespace sipedge::parser::scan_rules {

// RFC 3261 §25.1 token characters: the one table in value_list.h, under the name rewriter.cc uses.
using parser::is_token_char;

// Offset of the first byte that is not CR or LF.
uint32_t skip_leading_crlf(const char* base, uint32_t n) noexcept;

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
  Fault commit() noexcept;

  Message& out_;
  const char* base_ = nullptr;
  bool pending_ = false;
  HeaderId pending_id_ = HeaderId::Other;
  Span name_;
  uint32_t value_begin_ = 0, value_end_ = 0;
  int64_t content_length_ = -1;
};

// Frames the body that starts at `body_begin` and finishes `out`.
ScanResult frame_body(std::string_view bytes, uint32_t body_begin, Framing framing,
                      int64_t content_length, Message& out) noexcept;

}  // namespace sipedge::parser::scan_rules
