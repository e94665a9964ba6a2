// tests/fuzz/rewriter_fuzz.cc — fuzz thread. Scans arbitrary bytes; when they scan, rewrites them
// with no edits (must reproduce the message exactly) and with a set of edits derived from the input,
// then re-scans the output: it must frame as a whole message with the predicted header count and a
// Content-Length matching its body (parser/rewriter.cc, RFC 3261 §7.3, §20.14). abort() on mismatch.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

#include "parser/rewriter.h"
#include "parser/scanner_hand.h"

namespace {

using namespace sipedge::parser;

constexpr std::string_view kVia = "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-fz";
constexpr std::string_view kRecordRoute = "<sip:192.0.2.1;lr>";
constexpr std::string_view kUri = "sip:fz@192.0.2.9";
constexpr std::string_view kValue = "fz-value";

// splitmix64: the edits depend only on the input, so a crash reproduces from its file.
struct Rng {
  uint64_t s;
  uint64_t next() noexcept {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  bool coin() noexcept { return next() & 1; }
  uint32_t below(uint32_t n) noexcept { return n == 0 ? 0 : static_cast<uint32_t>(next() % n); }
};

uint64_t fnv1a(std::string_view s) noexcept {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

[[noreturn]] void fail(int line, const char* what) {
  std::fprintf(stderr, "rewriter_fuzz.cc:%d: check failed: %s\n", line, what);
  std::abort();
}
#define CHECK(cond) ((cond) ? void() : fail(__LINE__, #cond))

// Large buffers live outside the stack: a Message indexes up to 200 headers.
Message g_msg;
Message g_again;
std::array<char, 2 * kMaxRewriteBytes> g_out;
std::array<char, 2 * kMaxRewriteBytes> g_chain_out;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const HandScanner scanner;
  if (scanner.scan(in, Framing::Datagram, g_msg).status != ScanStatus::Complete) return 0;
  const Message& m = g_msg;
  const uint32_t begin = m.start_line().off;

  // No edits: the message itself, from its start line through its body.
  auto same = apply(m, EditList{}, g_out);
  CHECK(same.ok() && std::string_view(g_out.data(), *same) == in.substr(begin, m.size() - begin));

  Rng rng{fnv1a(in)};
  const auto headers = m.headers();
  const auto count = static_cast<uint32_t>(headers.size());
  EditList e;
  int delta = 0;
  size_t added_bytes = 0;
  bool cl_deleted = false;
  uint32_t deleted = count;  // index of the deleted header, count when none

  if (count > 0 && rng.coin()) {
    deleted = rng.below(count);
    CHECK(e.delete_header(headers[deleted]));
    cl_deleted = headers[deleted].id == HeaderId::ContentLength;
    --delta;
  }
  const bool prepended = rng.coin();
  if (prepended) {
    CHECK(e.prepend_header("Via", kVia));
    ++delta;
  }
  if (rng.coin()) {
    CHECK(e.append_header("Record-Route", kRecordRoute));
    ++delta;
  }
  if (count > 0 && rng.coin()) {
    CHECK(e.insert_header_before(headers[rng.below(count)], "X-Fz-B", "b"));
    ++delta;
  }
  if (count > 0 && rng.coin()) {
    CHECK(e.insert_header_after(headers[rng.below(count)], "X-Fz-A", ""));
    ++delta;
  }
  bool expect_bad_text = false;
  bool expect_bad_span = false;
  if (count > 0 && rng.coin()) {
    // A value rewrite (Contact, Call-ID, ...) anywhere but the deleted header and Content-Length,
    // which the rewriter owns: the whole value, or any part of it (folds included) replaced by
    // bytes of the input, which the rewriter must refuse if they hold a line break.
    uint32_t r = rng.below(count);
    const Span v = headers[r].value;
    if (r != deleted && headers[r].id != HeaderId::ContentLength) {
      if (rng.coin()) {
        CHECK(e.replace(v, kValue));
      } else {
        const uint32_t off = v.off + rng.below(v.len + 1);
        const uint32_t len = rng.below(v.end() - off + 1);
        const uint32_t from = rng.below(static_cast<uint32_t>(size));
        const std::string_view text = in.substr(from, rng.below(17));
        CHECK(e.replace(Span{off, len}, text));
        for (char c : text) expect_bad_text |= c == '\r' || c == '\n' || c == '\0';
        // At the start of a continuation line the fold must stay a fold (leading whitespace).
        const char first = text.empty() ? in[off + len] : text.front();
        expect_bad_span = in[off - 1] == '\n' &&
                          (first == '\r' || first == '\n' || (first != ' ' && first != '\t'));
      }
    }
  }
  const bool new_uri = m.is_request() && rng.coin();
  if (new_uri) CHECK(e.replace(m.request_uri_span(), kUri));

  const Span body = m.body_span();
  std::string_view new_body;
  bool whole_body = false;
  bool body_edited = true;
  switch (rng.below(4)) {
    case 0:
      body_edited = false;
      break;
    case 1: {  // a whole new body cut from the input: any bytes at all
      uint32_t off = rng.below(static_cast<uint32_t>(size) + 1);
      new_body = in.substr(off, rng.below(static_cast<uint32_t>(size - off) + 1));
      CHECK(e.replace_body(new_body));
      whole_body = true;
      break;
    }
    case 2: {  // one field inside the body, as an SDP c=/m= rewrite does
      uint32_t off = body.off + rng.below(body.len + 1);
      uint32_t len = rng.below(body.end() - off + 1);
      CHECK(e.replace(Span{off, len}, "203.0.113.5"));
      break;
    }
    default:
      CHECK(e.replace(Span{body.end(), 0}, "a=fz\r\n"));
      break;
  }
  for (const EditList::Edit& ed : e.edits()) added_bytes += ed.text.size() + ed.value_text.size() + 4;

  unsigned cl_left = m.count(HeaderId::ContentLength) - (cl_deleted ? 1 : 0);
  if (cl_left == 0 && (body_edited || cl_deleted)) ++delta;

  auto n = apply(m, e, g_out);
  if (expect_bad_text || expect_bad_span) {
    CHECK(!n.ok() && n.error() == (expect_bad_text ? RewriteError::BadText : RewriteError::BadSpan));
    return 0;
  }
  if (!n.ok()) {
    // Only a message near the size limit may be refused.
    CHECK(n.error() == RewriteError::TooLarge && m.size() - begin + added_bytes + 24 > kMaxRewriteBytes);
    return 0;
  }
  auto size_only = rewritten_size(m, e);
  CHECK(size_only.ok() && *size_only == *n);

  // The same bytes through a chain of small segments.
  const uint32_t seg = 1 + rng.below(61);
  std::array<std::span<char>, 64> chain_storage;
  std::span<char> rest(g_chain_out.data(), g_chain_out.size());
  unsigned segs = 0;
  for (; segs + 1 < chain_storage.size(); ++segs) {
    chain_storage[segs] = rest.first(seg);
    rest = rest.subspan(seg);
  }
  chain_storage[segs++] = rest;
  auto c = apply_chain(m, e, std::span<const std::span<char>>(chain_storage.data(), segs));
  CHECK(c.ok() && *c == *n && std::memcmp(g_chain_out.data(), g_out.data(), *n) == 0);

  const std::string_view out(g_out.data(), *n);
  const ScanResult again = scanner.scan(out, Framing::Datagram, g_again);
  const long expected = static_cast<long>(count) + delta;
  if (again.status == ScanStatus::Malformed && again.fault == Fault::TooManyHeaders) {
    CHECK(expected > static_cast<long>(kMaxHeaders));
    return 0;
  }
  CHECK(again.status == ScanStatus::Complete && again.consumed == out.size());
  CHECK(static_cast<long>(g_again.headers().size()) == expected);
  if (g_again.content_length() >= 0) CHECK(g_again.content_length() == static_cast<int64_t>(g_again.body().size()));
  if (whole_body) CHECK(g_again.body() == new_body);
  if (!body_edited) CHECK(g_again.body() == m.body());
  if (new_uri) CHECK(g_again.request_uri() == kUri);
  if (prepended) CHECK(g_again.headers()[0].id == HeaderId::Via && g_again.value(HeaderId::Via) == kVia);
  return 0;
}
