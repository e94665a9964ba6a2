// parser/rewriter.cc — control lcore (any thread, pure). Resolves an edit list to sorted byte-range
// operations on the original message, then copies it in one pass: one memcpy per unchanged run.
// Never allocates or throws; refuses edits that would break header framing (RFC 3261 §7.3.1).
#include "parser/rewriter.h"

#include <charconv>
#include <cstring>

#include "parser/scan_rules.h"
#include "parser/value_list.h"

namespace sipedge::parser {
namespace {

constexpr std::string_view kErrorName[] = {
#define SIPEDGE_REWRITE_ERROR_NAME(name, text) #name,
    SIPEDGE_REWRITE_ERRORS(SIPEDGE_REWRITE_ERROR_NAME)
#undef SIPEDGE_REWRITE_ERROR_NAME
};
constexpr std::string_view kErrorText[] = {
#define SIPEDGE_REWRITE_ERROR_TEXT(name, text) text,
    SIPEDGE_REWRITE_ERRORS(SIPEDGE_REWRITE_ERROR_TEXT)
#undef SIPEDGE_REWRITE_ERROR_TEXT
};

// A header name the scanner reads back as one name (same token table).
bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!scan_rules::is_token_char(c)) return false;
  return true;
}

// Bytes that would end a line (or that the scanner refuses in headers) if written into one.
// Every header value and replacement a forward writes passes here.
bool has_line_break(std::string_view s) noexcept { return find_first_of3(s, 0, '\r', '\n', '\0') != s.size(); }

bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

// One resolved edit: bytes [off, off+len) of the original become `a` (or, for a header line,
// `a ": " b CRLF`). Trivial on purpose: a Plan holds room for kMaxOps of them and must cost
// nothing to create.
struct Op {
  uint32_t off;
  uint32_t len;
  uint16_t order;  // add order, ties at one position keep it; the rewriter's own ops go last
  bool line;
  const char* a;
  const char* b;
  uint32_t a_len;
  uint32_t b_len;

  uint32_t end() const noexcept { return off + len; }
  uint32_t out_len() const noexcept {
    // "name: value" CRLF, or "name:" CRLF for an empty value (no trailing whitespace).
    if (!line) return a_len;
    return a_len + 3 + (b_len == 0 ? 0 : b_len + 1);
  }
};

// Piece lengths fit 32 bits: EditList refuses texts over kMaxRewriteBytes.
Op make_op(uint32_t off, uint32_t len, uint16_t order, bool line, std::string_view a,
           std::string_view b = {}) noexcept {
  return Op{off, len, order, line, a.data(), b.data(), static_cast<uint32_t>(a.size()),
            static_cast<uint32_t>(b.size())};
}

// The user's edits plus the Content-Length fixes: one per surviving Content-Length header whose
// number changes (duplicates must agree), or one inserted header.
constexpr unsigned kMaxOps = EditList::kCapacity + kMaxHeaders;

struct Plan {
  std::array<Op, kMaxOps> ops;  // left uninitialised: only [0, count) is ever read
  unsigned count = 0;
  uint32_t begin = 0;  // first byte of the message (its start line)
  uint32_t end = 0;    // one past its body
  uint32_t size = 0;   // bytes the output will have
  std::array<char, 16> cl_text{};  // ": " + decimal new body length
};

class Resolver {
 public:
  explicit Resolver(const Message& msg) noexcept
      : msg_(msg), b_(msg.bytes().data()), hb_(msg.headers_begin()), he_(msg.headers_end()) {}

  // The message must be a complete scan: start line, header block ending in an empty line, body.
  bool consistent() const noexcept {
    const Span body = msg_.body_span();
    const uint64_t n = msg_.bytes().size();
    const uint32_t begin = msg_.start_line().off;
    return begin < hb_ && hb_ <= he_ && he_ < body.off && uint64_t{body.off} + body.len <= n &&
           msg_.size() == body.end() && b_[hb_ - 1] == '\n' && b_[he_ - 1] == '\n' && b_[body.off - 1] == '\n';
  }

  // Checks that (name, value) describe a header line of this message's header block and returns
  // the offset one past its terminator and any folded continuation lines, or 0.
  uint32_t line_end(Span name, Span value) const noexcept {
    if (name.len == 0 || name.off < hb_ || uint64_t{name.off} + name.len > he_ || b_[name.off - 1] != '\n')
      return 0;
    uint32_t from = name.end();
    if (value.len != 0) {
      if (value.off < name.end() || uint64_t{value.off} + value.len > he_) return 0;
      from = value.end();
    }
    // he_ is preceded by '\n', so each search below finds one at the latest at he_ - 1.
    for (;;) {
      const void* nl = std::memchr(b_ + from, '\n', he_ - from);
      if (nl == nullptr) return 0;
      uint32_t next = static_cast<uint32_t>(static_cast<const char*>(nl) - b_) + 1;
      if (next >= he_ || !is_wsp(b_[next])) return next;
      from = next;  // a continuation line (RFC 3261 §7.3.1 LWS) belongs to this header
    }
  }

  // A Replace in the start line or headers must leave the line structure as it was: no new line
  // breaks, no line end removed (a fold, '\n' followed by SP/HT, may go), and no line may change
  // between header line, continuation line and empty line.
  RewriteError check_header_replace(Span s, std::string_view text, uint32_t begin) const noexcept {
    if (has_line_break(text)) return RewriteError::BadText;
    for (const char* nl = b_ + s.off; (nl = static_cast<const char*>(std::memchr(nl, '\n', b_ + s.end() - nl)));) {
      const uint32_t i = static_cast<uint32_t>(nl - b_);
      if (i + 1 >= he_ || !is_wsp(b_[i + 1])) return RewriteError::BadSpan;
      ++nl;
    }
    if (s.off == begin || b_[s.off - 1] == '\n') {
      // At a line start: a header line must keep starting with a name, a continuation line with
      // whitespace, and neither may become empty.
      const char first = text.empty() ? b_[s.end()] : text.front();
      if (first == '\r' || first == '\n' || is_wsp(first) != is_wsp(b_[s.off])) return RewriteError::BadSpan;
    }
    return RewriteError::None;
  }

 private:
  const Message& msg_;
  const char* b_;
  uint32_t hb_, he_;
};

// True when `text` is 1*DIGIT with the value n (leading zeros allowed, as the scanner allows them).
bool all_digits_equal(std::string_view text, uint64_t n) noexcept {
  if (text.empty()) return false;
  size_t i = 0;
  while (i + 1 < text.size() && text[i] == '0') ++i;
  if (text.size() - i > 19) return false;
  uint64_t v = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v == n;
}

// Sorted by position; at one position insertions come before the range that starts there, and
// ties keep the order the edits were added in.
bool op_before(const Op& x, const Op& y) noexcept {
  if (x.off != y.off) return x.off < y.off;
  if ((x.len != 0) != (y.len != 0)) return x.len == 0;
  return x.order < y.order;
}

RewriteError make_plan(const Message& msg, const EditList& edits, Plan& plan) noexcept {
  if (edits.error() != RewriteError::None) return edits.error();
  Resolver r(msg);
  if (!r.consistent()) return RewriteError::BadMessage;

  const char* b = msg.bytes().data();
  const uint32_t he = msg.headers_end();
  const Span body = msg.body_span();
  plan.begin = msg.start_line().off;
  plan.end = body.end();

  bool body_edited = false;
  bool cl_deleted = false;
  uint16_t order = 0;
  for (const EditList::Edit& e : edits.edits()) {
    const uint16_t seq = order++;
    Op op;
    switch (e.kind) {
      case EditKind::Replace: {
        const Span s = e.span;
        if (uint64_t{s.off} + s.len > plan.end) return RewriteError::BadSpan;
        if (s.off >= plan.begin && s.end() <= he && s.off < he) {
          if (RewriteError err = r.check_header_replace(s, e.text, plan.begin); err != RewriteError::None)
            return err;
        } else if (s.off >= body.off) {
          body_edited = true;
        } else {
          return RewriteError::BadSpan;
        }
        op = make_op(s.off, s.len, seq, false, e.text);
        break;
      }
      case EditKind::ReplaceBody:
        body_edited = true;
        op = make_op(body.off, body.len, seq, false, e.text);
        break;
      case EditKind::InsertBefore:
      case EditKind::InsertAfter:
      case EditKind::DeleteHeader: {
        const uint32_t end = r.line_end(e.span, e.value);
        if (end == 0) return RewriteError::BadHeader;
        if (e.kind == EditKind::DeleteHeader) {
          op = make_op(e.span.off, end - e.span.off, seq, false, {});
          if (header_id_lookup(msg.text(e.span)) == HeaderId::ContentLength) cl_deleted = true;
        } else {
          op = make_op(e.kind == EditKind::InsertAfter ? end : e.span.off, 0, seq, true, e.text, e.value_text);
        }
        break;
      }
      case EditKind::PrependHeader:
        op = make_op(msg.headers_begin(), 0, seq, true, e.text, e.value_text);
        break;
      case EditKind::AppendHeader:
        op = make_op(he, 0, seq, true, e.text, e.value_text);
        break;
    }
    plan.ops[plan.count++] = op;
  }

  // New body length: the body's bytes plus what the edits inside it add or remove.
  int64_t body_len = body.len;
  for (unsigned i = 0; i < plan.count; ++i) {
    const Op& op = plan.ops[i];
    if (!op.line && op.off >= body.off) body_len += int64_t{op.out_len()} - op.len;
  }

  // Every Content-Length header that survives the edits carries the new length: duplicates must
  // agree (RFC 3261 §20.14; the scanner refuses ConflictingContentLength).
  std::array<char, 16>& t = plan.cl_text;
  t[0] = ':';
  t[1] = ' ';
  char* digits_end = std::to_chars(t.data() + 2, t.data() + t.size(), body_len).ptr;
  const std::string_view with_colon(t.data(), static_cast<size_t>(digits_end - t.data()));
  const std::string_view digits = with_colon.substr(2);
  const unsigned user_ops = plan.count;
  bool cl_survives = false;
  for (const HeaderField* cl = msg.find(HeaderId::ContentLength); cl != nullptr; cl = msg.next_same(cl)) {
    bool deleted = false;
    for (const EditList::Edit& e : edits.edits())
      if (e.kind == EditKind::DeleteHeader && e.span.off == cl->name.off) deleted = true;
    if (deleted) continue;
    cl_survives = true;
    if (r.line_end(cl->name, cl->value) == 0) return RewriteError::BadHeader;
    // The bytes the rewriter owns: the value, or for an empty value everything from the end of the
    // name to the line end (whitespace and colon), written as ": N".
    Span own = cl->value;
    std::string_view text = digits;
    if (own.len == 0) {
      uint32_t eol = cl->name.end();
      while (b[eol] != '\r' && b[eol] != '\n') ++eol;
      own = Span{cl->name.end(), eol - cl->name.end()};
      text = with_colon;
    }
    for (unsigned i = 0; i < user_ops; ++i) {
      const Op& op = plan.ops[i];
      if (op.off <= own.end() && op.end() >= own.off && !op.line) return RewriteError::Overlap;
    }
    if (cl->value.len != 0 && all_digits_equal(msg.text(cl->value), static_cast<uint64_t>(body_len))) continue;
    // At most one fix per header: count stays within kMaxOps.
    plan.ops[plan.count++] = make_op(own.off, own.len, order, false, text);
  }
  if (!cl_survives && (body_edited || cl_deleted))
    plan.ops[plan.count++] = make_op(he, 0, order, true, header_canonical_name(HeaderId::ContentLength), digits);

  // At most kMaxOps: insertion sort, no allocation, stable.
  for (unsigned i = 1; i < plan.count; ++i) {
    Op op = plan.ops[i];
    unsigned j = i;
    for (; j > 0 && op_before(op, plan.ops[j - 1]); --j) plan.ops[j] = plan.ops[j - 1];
    plan.ops[j] = op;
  }

  uint64_t size = plan.end - plan.begin;
  for (unsigned i = 0; i < plan.count; ++i) {
    const Op& op = plan.ops[i];
    if (i > 0 && plan.ops[i - 1].end() > op.off) return RewriteError::Overlap;
    size += uint64_t{op.out_len()} - op.len;
  }
  if (size > kMaxRewriteBytes) return RewriteError::TooLarge;
  plan.size = static_cast<uint32_t>(size);
  return RewriteError::None;
}

// The unchanged runs and the new pieces, in output order, handed to a sink.
template <class Sink>
void emit(const Plan& plan, const char* b, Sink& sink) noexcept {
  uint32_t cursor = plan.begin;
  for (unsigned i = 0; i < plan.count; ++i) {
    const Op& op = plan.ops[i];
    sink.put(b + cursor, op.off - cursor);
    sink.put(op.a, op.a_len);
    if (op.line) {
      if (op.b_len == 0) {
        sink.put(":", 1);
      } else {
        sink.put(": ", 2);
        sink.put(op.b, op.b_len);
      }
      sink.put("\r\n", 2);
    }
    cursor = op.end();
  }
  sink.put(b + cursor, plan.end - cursor);
}

struct FlatSink {
  char* p;
  void put(const char* src, size_t n) noexcept {
    if (n == 0) return;
    std::memcpy(p, src, n);
    p += n;
  }
};

struct ChainSink {
  std::span<const std::span<char>> segs;
  size_t seg = 0;
  size_t pos = 0;
  void put(const char* src, size_t n) noexcept {
    while (n != 0) {
      size_t room = segs[seg].size() - pos;
      if (room == 0) {
        ++seg;
        pos = 0;
        continue;
      }
      size_t k = n < room ? n : room;
      std::memcpy(segs[seg].data() + pos, src, k);
      pos += k;
      src += k;
      n -= k;
    }
  }
};

}  // namespace

std::string_view rewrite_error_name(RewriteError e) noexcept {
  return e < RewriteError::kCount ? kErrorName[static_cast<uint8_t>(e)] : std::string_view{};
}

std::string_view rewrite_error_text(RewriteError e) noexcept {
  return e < RewriteError::kCount ? kErrorText[static_cast<uint8_t>(e)] : std::string_view{};
}

bool EditList::fail(RewriteError e) noexcept {
  if (error_ == RewriteError::None) error_ = e;
  return false;
}

bool EditList::add(const Edit& e) noexcept {
  if (count_ >= kCapacity) return fail(RewriteError::TooManyEdits);
  // Bounds every piece so sizes fit in 32 bits and the output-size check cannot wrap.
  if (e.text.size() > kMaxRewriteBytes || e.value_text.size() > kMaxRewriteBytes)
    return fail(RewriteError::TooLarge);
  edits_[count_++] = e;
  return true;
}

bool EditList::add_line(EditKind kind, const HeaderField* h, std::string_view name,
                        std::string_view value) noexcept {
  if (!is_token(name) || has_line_break(value)) return fail(RewriteError::BadHeaderText);
  Edit e;
  e.kind = kind;
  if (h != nullptr) {
    e.span = h->name;
    e.value = h->value;
  }
  e.text = name;
  e.value_text = value;
  return add(e);
}

bool EditList::replace(Span original, std::string_view text) noexcept {
  Edit e;
  e.kind = EditKind::Replace;
  e.span = original;
  e.text = text;
  return add(e);
}

bool EditList::insert_header_before(const HeaderField& h, std::string_view name, std::string_view value) noexcept {
  return add_line(EditKind::InsertBefore, &h, name, value);
}

bool EditList::insert_header_after(const HeaderField& h, std::string_view name, std::string_view value) noexcept {
  return add_line(EditKind::InsertAfter, &h, name, value);
}

bool EditList::prepend_header(std::string_view name, std::string_view value) noexcept {
  return add_line(EditKind::PrependHeader, nullptr, name, value);
}

bool EditList::append_header(std::string_view name, std::string_view value) noexcept {
  return add_line(EditKind::AppendHeader, nullptr, name, value);
}

bool EditList::delete_header(const HeaderField& h) noexcept {
  Edit e;
  e.kind = EditKind::DeleteHeader;
  e.span = h.name;
  e.value = h.value;
  return add(e);
}

bool EditList::replace_body(std::string_view body) noexcept {
  Edit e;
  e.kind = EditKind::ReplaceBody;
  e.text = body;
  return add(e);
}

Result<uint32_t, RewriteError> rewritten_size(const Message& msg, const EditList& edits) noexcept {
  Plan plan;
  if (RewriteError err = make_plan(msg, edits, plan); err != RewriteError::None) return Err{err};
  return plan.size;
}

Result<uint32_t, RewriteError> apply(const Message& msg, const EditList& edits, std::span<char> out) noexcept {
  Plan plan;
  if (RewriteError err = make_plan(msg, edits, plan); err != RewriteError::None) return Err{err};
  if (plan.size > out.size()) return Err{RewriteError::OutputTooSmall};
  FlatSink sink{out.data()};
  emit(plan, msg.bytes().data(), sink);
  return plan.size;
}

Result<uint32_t, RewriteError> apply_sized(const Message& msg, const EditList& edits,
                                           char* (*room)(void* ctx, uint32_t size), void* ctx) noexcept {
  Plan plan;
  if (RewriteError err = make_plan(msg, edits, plan); err != RewriteError::None) return Err{err};
  char* out = room(ctx, plan.size);
  if (out == nullptr) return Err{RewriteError::OutputTooSmall};
  FlatSink sink{out};
  emit(plan, msg.bytes().data(), sink);
  return plan.size;
}

Result<uint32_t, RewriteError> apply_chain(const Message& msg, const EditList& edits,
                                           std::span<const std::span<char>> segments) noexcept {
  Plan plan;
  if (RewriteError err = make_plan(msg, edits, plan); err != RewriteError::None) return Err{err};
  uint64_t room = 0;
  for (std::span<char> s : segments) room += s.size();
  if (plan.size > room) return Err{RewriteError::OutputTooSmall};
  ChainSink sink{segments};
  emit(plan, msg.bytes().data(), sink);
  return plan.size;
}

}  // namespace sipedge::parser
