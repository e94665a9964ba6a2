// control/sip_build.cc — control lcore. See sip_build.h.
#include "control/sip_build.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "common/hex.h"
#include "common/seeded_hash.h"
#include "parser/headers.h"
#include "parser/name_addr.h"
#include "parser/via.h"
#include "parser/value_list.h"

namespace sipedge::control {
namespace {

// One resize and two copies: four appends were four calls into the library, each with its own
// capacity check and copy, thirty-odd lines a call.
void append_line(std::string& out, std::string_view name, std::string_view value) {
  const size_t at = out.size();
  out.resize(at + name.size() + value.size() + 4);
  char* w = out.data() + at;
  if (!name.empty()) std::memcpy(w, name.data(), name.size());  // an empty view's data may be null
  w += name.size();
  *w++ = ':';
  *w++ = ' ';
  if (!value.empty()) std::memcpy(w, value.data(), value.size());
  w += value.size();
  *w++ = '\r';
  *w = '\n';
}

// Appends 2 * `bytes` random hex chars (bytes <= 16).
void append_random_hex(std::string& out, size_t bytes) {
  unsigned char buf[16];
  random_bytes(buf, bytes);
  append_hex(out, buf, bytes);
}

std::string random_hex(size_t bytes) {
  std::string s;
  s.reserve(bytes * 2);
  append_random_hex(s, bytes);
  return s;
}

// The first via-parm of the first Via header: a Via header may carry several comma-separated ones.
std::string_view top_via_item(const parser::Message& msg) {
  std::string_view item;
  parser::HeaderItems items(msg, parser::HeaderId::Via);
  return items.next(item) ? item : std::string_view{};
}

// Via values after the top via-parm, in order, one per line.
void append_other_vias(std::string& out, const parser::Message& msg) {
  parser::HeaderItems items(msg, parser::HeaderId::Via);
  std::string_view item;
  bool first = true;
  while (items.next(item)) {
    if (!first) append_line(out, "Via", item);
    first = false;
  }
}

}  // namespace

// Drawn 4 KiB at a time: RAND_bytes has a fixed cost per call (DRBG locking and bookkeeping, ~6000
// instructions) that a branch or a tag per message should not pay each time.
void random_bytes(unsigned char* out, size_t n) {
  thread_local std::array<unsigned char, 4096> pool;
  thread_local size_t left = 0;
  while (n > 0) {
    if (left == 0) {
      RAND_bytes(pool.data(), static_cast<int>(pool.size()));
      left = pool.size();
    }
    const size_t take = std::min(n, left);
    std::memcpy(out, pool.data() + pool.size() - left, take);
    // Spent bytes do not stay in memory to be read back.
    OPENSSL_cleanse(pool.data() + pool.size() - left, take);
    left -= take;
    out += take;
    n -= take;
  }
}

std::string copy_header_lines(const parser::Message& msg, parser::HeaderId id) {
  std::string out;
  for (const parser::HeaderField* h = msg.find(id); h; h = msg.next_same(h))
    append_line(out, parser::header_canonical_name(id), msg.text(h->value));
  return out;
}

std::string build_response(const parser::Message& request, uint16_t status, std::string_view reason,
                           std::string_view to_tag, std::string_view top_via, std::span<const HeaderLine> extra,
                           std::string_view body) {
  std::string out;
  out.reserve(512 + body.size());
  // Numbers through to_chars: snprintf parsed its format on every response.
  char number[24];
  const char* number_end = std::to_chars(number, number + sizeof number, status).ptr;
  out.append("SIP/2.0 ");
  for (ptrdiff_t pad = 3 - (number_end - number); pad > 0; --pad) out.push_back('0');
  out.append(number, static_cast<size_t>(number_end - number)).append(" ").append(reason).append("\r\n");
  append_line(out, "Via", top_via.empty() ? top_via_item(request) : top_via);
  append_other_vias(out, request);
  append_line(out, "From", request.value(parser::HeaderId::From));
  out.append("To: ").append(request.value(parser::HeaderId::To));
  if (status > 100 && !to_tag.empty()) {
    // The request's own To, parsed once per message (parser::to_tag).
    auto tag = parser::to_tag(request);
    if (tag && tag->empty()) out.append(";tag=").append(to_tag);
  }
  out.append("\r\n");
  append_line(out, "Call-ID", request.value(parser::HeaderId::CallId));
  append_line(out, "CSeq", request.value(parser::HeaderId::CSeq));
  for (const HeaderLine& h : extra) append_line(out, h.name, h.value);
  number_end = std::to_chars(number, number + sizeof number, body.size()).ptr;
  append_line(out, "Content-Length", std::string_view(number, static_cast<size_t>(number_end - number)));
  out.append("\r\n");
  out.append(body);
  return out;
}

namespace {

// ACK for a non-2xx and CANCEL share their shape (RFC 3261 §17.1.1.3, §9.1): the INVITE's
// Request-URI, top Via, Route set, From, Call-ID and CSeq number, with their own method and To.
std::string build_hop_request(const parser::Message& invite, std::string_view method, std::string_view to) {
  std::string out;
  out.reserve(512);
  out.append(method).append(" ").append(invite.request_uri()).append(" SIP/2.0\r\n");
  append_line(out, "Via", top_via_item(invite));
  out.append(copy_header_lines(invite, parser::HeaderId::Route));
  append_line(out, "Max-Forwards", "70");
  append_line(out, "From", invite.value(parser::HeaderId::From));
  append_line(out, "To", to);
  append_line(out, "Call-ID", invite.value(parser::HeaderId::CallId));
  auto cseq = parser::cseq_of(invite);
  append_line(out, "CSeq", std::to_string(cseq ? cseq->number : 0) + " " + std::string(method));
  append_line(out, "Content-Length", "0");
  out.append("\r\n");
  return out;
}

}  // namespace

std::string build_ack_for_non2xx(const parser::Message& invite, const parser::Message& response) {
  return build_hop_request(invite, "ACK", response.value(parser::HeaderId::To));
}

std::string build_cancel(const parser::Message& invite) {
  return build_hop_request(invite, "CANCEL", invite.value(parser::HeaderId::To));
}

std::optional<std::string> apply_edits(const parser::Message& msg, const parser::EditList& edits) {
  std::string out;
  auto room = [](void* s, uint32_t size) {
    auto& text = *static_cast<std::string*>(s);
    text.resize(size);
    return text.data();
  };
  if (!parser::apply_sized(msg, edits, room, &out)) return std::nullopt;
  return out;
}

bool has_sdp_body(const parser::Message& msg) {
  auto ct = parser::parse_content_type(msg.value(parser::HeaderId::ContentType));
  return ct && ct->is("application", "sdp") && !msg.body().empty();
}

std::string new_branch() {
  std::string b;
  b.reserve(parser::kBranchMagicCookie.size() + 16);
  b.append(parser::kBranchMagicCookie);
  append_random_hex(b, 8);
  return b;
}
std::string new_tag() { return random_hex(8); }

namespace {

constexpr size_t kLoopKeyChars = 16;

// The 16 hex digits of h, most significant first.
void write_hex64(uint64_t h, char* out) {
  unsigned char bytes[8];
  for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(h >> (56 - 8 * i));
  write_hex(out, bytes, sizeof bytes);
}

}  // namespace

// The fields RFC 3261 §16.6 step 8 names, each hashed with its length (so ("ab","c") and ("a","bc")
// differ), chained through the seed. The seed is fixed: a loop key must mean the same to every
// shard and every run. A forged collision only makes the forger's own request look looped (482).
LoopKey loop_key(const parser::Message& request) {
  uint64_t h = seeded_hash(0, request.request_uri());
  h = seeded_hash(h, request.value(parser::HeaderId::CallId));
  auto from_tag = parser::from_tag(request);
  h = seeded_hash(h, from_tag ? *from_tag : std::string_view{});
  auto to_tag = parser::to_tag(request);
  h = seeded_hash(h, to_tag ? *to_tag : std::string_view{});
  auto cseq = parser::cseq_of(request);
  h = detail::mix64(h ^ (cseq ? cseq->number : 0));
  for (const parser::HeaderField* f = request.find(parser::HeaderId::ProxyRequire); f; f = request.next_same(f))
    h = seeded_hash(h, request.text(f->value));
  LoopKey out;
  static_assert(sizeof(out.hex) == kLoopKeyChars);
  write_hex64(h, out.hex.data());
  return out;
}

std::string new_branch(const LoopKey& loop_key) {
  std::string b;
  b.reserve(parser::kBranchMagicCookie.size() + kLoopKeyChars + 16);
  b.append(parser::kBranchMagicCookie).append(loop_key.view());
  append_random_hex(b, 8);
  return b;
}

std::string forward_branch(const parser::Message& request) {
  const LoopKey key = loop_key(request);
  if (request.method() != parser::Method::Ack) return new_branch(key);
  std::string b;
  b.reserve(parser::kBranchMagicCookie.size() + kLoopKeyChars + 16);
  b.append(parser::kBranchMagicCookie).append(key.view());
  b.resize(b.size() + 16);
  write_hex64(seeded_hash(0, request.value(parser::HeaderId::Via)), b.data() + b.size() - 16);
  return b;
}

std::string_view branch_loop_key(std::string_view branch) {
  const size_t cookie = parser::kBranchMagicCookie.size();
  if (branch.size() != cookie + kLoopKeyChars + 16 || !branch.starts_with(parser::kBranchMagicCookie)) return {};
  return branch.substr(cookie, kLoopKeyChars);
}

}  // namespace sipedge::control
