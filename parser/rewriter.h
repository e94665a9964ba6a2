// parser/rewriter.h — control lcore (any thread, pure). Builds an outgoing SIP message from a scanned
// one plus an edit list, in one pass into a new buffer, recomputing Content-Length (DESIGN §4,
// RFC 3261 §7.3, §18.3, §20.14). Never allocates, never throws; the input bytes are never modified.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/result.h"
#include "parser/message.h"

namespace sipedge::parser {

// Why an edit list could not be applied. Every value is a caller bug or an undersized buffer, never
// a property of the peer's message alone, so control counts them as bugs and drops the send.
#define SIPEDGE_REWRITE_ERRORS(X)                                                                 \
  X(None, "no error")                                                                             \
  X(TooManyEdits, "edit list full")                                                               \
  X(BadHeaderText, "inserted header name is not a token or its value holds CR/LF")                \
  X(BadMessage, "message view is inconsistent (not a complete scan)")                             \
  X(BadSpan, "span outside the message, across the header/body boundary, or cuts a line end")     \
  X(BadText, "replacement text in the start line or headers holds CR/LF")                         \
  X(BadHeader, "header field is not a line of this message's header block")                       \
  X(Overlap, "two edits touch the same bytes (or an edit touches the Content-Length value)")      \
  X(TooLarge, "rewritten message, or one edit's text, larger than kMaxRewriteBytes")              \
  X(OutputTooSmall, "output buffer smaller than the rewritten message")

enum class RewriteError : uint8_t {
#define SIPEDGE_REWRITE_ERROR_ENUM(name, text) name,
  SIPEDGE_REWRITE_ERRORS(SIPEDGE_REWRITE_ERROR_ENUM)
#undef SIPEDGE_REWRITE_ERROR_ENUM
      kCount
};

// Stable identifier (the enum name) for bug counters and logs.
std::string_view rewrite_error_name(RewriteError e) noexcept;
// One-line explanation.
std::string_view rewrite_error_text(RewriteError e) noexcept;

enum class EditKind : uint8_t {
  Replace,       // bytes [span) of the original -> text (Request-URI, a Contact URI, one SDP line...)
  InsertBefore,  // a whole header line "name: value" CRLF before a header's line
  InsertAfter,   // ... after a header's line (and its folded continuation lines)
  DeleteHeader,  // a header's whole line: name, value, terminator, continuation lines
  ReplaceBody,   // the whole body -> text
  AppendHeader,  // a header line at the end of the header block
  PrependHeader, // a header line at the start of the header block (a new top Via)
};

// The largest message apply() produces (a UDP datagram's payload limit; TCP senders use the same
// bound so one mbuf chain always fits).
inline constexpr uint32_t kMaxRewriteBytes = 65535;

// A list of edits against one scanned Message. Fixed capacity, never allocates. The string_views
// given to it are not copied: their bytes must stay alive until apply() returns. Edits may be added
// in any order; apply() sorts them by position. Several insertions at the same position come out
// in the order they were added. Each add returns false when it was refused; the first refusal is
// remembered and apply() reports it, so a caller may add a batch and check once.
//
// Not shared between threads: each caller builds its own list. apply() only reads it.
//
// Header lines are written as `name ": " value CRLF` (`name ":" CRLF` for an empty value) whatever the input's line ends were: RFC 3261
// §7 mandates CRLF, and a scanner that accepts bare LF accepts mixed line ends too.
class EditList {
 public:
  static constexpr unsigned kCapacity = 32;

  struct Edit {
    EditKind kind = EditKind::Replace;
    Span span;   // Replace: the bytes replaced. Header edits: the header's name span.
    Span value;  // Header edits: the header's value span (finds the end of its line).
    std::string_view text;   // Replace/ReplaceBody: new bytes. Inserts: header name.
    std::string_view value_text;  // Inserts: header value.
  };

  // Replace bytes [original) of the message with `text`. An empty span inserts `text` at its
  // offset. In the start line and headers `text` must not hold CR or LF (checked by apply()).
  bool replace(Span original, std::string_view text) noexcept;
  bool insert_header_before(const HeaderField& h, std::string_view name, std::string_view value) noexcept;
  bool insert_header_after(const HeaderField& h, std::string_view name, std::string_view value) noexcept;
  // First line of the header block (a new top Via, RFC 3261 §16.6 step 8).
  bool prepend_header(std::string_view name, std::string_view value) noexcept;
  // Last line of the header block.
  bool append_header(std::string_view name, std::string_view value) noexcept;
  bool delete_header(const HeaderField& h) noexcept;
  // New body; Content-Length follows it.
  bool replace_body(std::string_view body) noexcept;

  void clear() noexcept {
    count_ = 0;
    error_ = RewriteError::None;
  }
  std::span<const Edit> edits() const noexcept { return {edits_.data(), count_}; }
  unsigned size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  // First refusal by an add, RewriteError::None when every add succeeded.
  RewriteError error() const noexcept { return error_; }

 private:
  bool add(const Edit& e) noexcept;
  bool add_line(EditKind kind, const HeaderField* h, std::string_view name, std::string_view value) noexcept;
  bool fail(RewriteError e) noexcept;

  std::array<Edit, kCapacity> edits_{};
  uint8_t count_ = 0;
  RewriteError error_ = RewriteError::None;
};

// Writes the rewritten message into `out` and returns the bytes written. Pure: reads `msg` and
// `edits`, writes only `out`, so any thread may call it on data it owns. The output covers the
// message from its start line through its (new) body: leading CRLF keepalives and datagram junk
// after the declared body (RFC 3261 §18.3) are not copied. With no edits the output is the input
// message byte for byte.
//
// Content-Length (RFC 3261 §20.14) is owned by the rewriter: every Content-Length header not
// deleted by an edit gets the new body length written over its value, in place and only when its
// number differs (so the compact `l:` form and the header's position are kept, and duplicates keep
// agreeing). When the message has none left (none at all, or all deleted) and the body was edited
// or a Content-Length was deleted, "Content-Length: N" is added as the last header, so the result
// can go over a stream transport. An edit touching such a value is an Overlap.
//
// Errors: any refusal remembered by the list; BadMessage, BadSpan, BadText, BadHeader, Overlap as
// described above; TooLarge; OutputTooSmall (nothing useful is in `out` then).
Result<uint32_t, RewriteError> apply(const Message& msg, const EditList& edits, std::span<char> out) noexcept;

// Same, writing into a sequence of fixed-size segments (an mbuf chain): fills each segment
// completely before the next. Returns the total bytes written; segment i holds
// min(size(i), total - sum(sizes before i)) bytes.
Result<uint32_t, RewriteError> apply_chain(const Message& msg, const EditList& edits,
                                           std::span<const std::span<char>> segments) noexcept;

// apply() into a buffer sized from the result: `room(ctx, size)` returns `size` writable bytes, or
// nullptr (then OutputTooSmall). The edits are checked and planned once, where rewritten_size()
// followed by apply() plans twice.
Result<uint32_t, RewriteError> apply_sized(const Message& msg, const EditList& edits,
                                           char* (*room)(void* ctx, uint32_t size), void* ctx) noexcept;

// Exact size apply() will write, with the same errors except OutputTooSmall: lets a caller size an
// mbuf before building into it.
Result<uint32_t, RewriteError> rewritten_size(const Message& msg, const EditList& edits) noexcept;

}  // namespace sipedge::parser
