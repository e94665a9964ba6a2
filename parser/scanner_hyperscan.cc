// parser/scanner_hyperscan.cc — compiled on the control lcore, scanned on the thread owning the
// scanner. One hs_scan pass per message: line ends, dictionary header names and policy hits arrive as
// match events in offset order and drive the RFC 3261 §7 line rules. Never allocates while scanning.
// Hazard: the line logic needs matches in end-offset order; create() refuses a dictionary pattern
// Hyperscan says may report out of order, and scanner_equivalence_test.cc checks the indexes.
#include "parser/scanner_hyperscan.h"

#include "parser/hs_database.h"

#include <cassert>
#include <cstdlib>
#include <string>

#include "parser/scan_rules.h"

namespace sipedge::parser {

// Pattern ids: header-name patterns use their HeaderId value (< 256), so a match hands the id over
// as is; terminators and policy rules sit above, policy rules at kPolicyBase + their index.
namespace {
constexpr unsigned kLfId = 1000;
constexpr unsigned kNulId = 1001;
constexpr unsigned kPolicyBase = 0x10000;
static_assert(kHeaderIdCount < kLfId, "header ids must stay below the terminator ids");
}  // namespace

struct HyperscanScanner::Database {
  HsDatabase db;
  std::vector<uint16_t> rule_ids;  // PolicyRule::id by pattern id - kPolicyBase
};

namespace {

// Regex for one header name: LF, the name (punctuation escaped), then SP, HT or ':'. Every header
// line follows an LF (the scan starts at the start line, never at a header), and a token name ends at
// the first non-token byte, so this fires exactly on lines whose name is this one; a line where SP/HT
// is not followed by ':' is refused by the line rules whatever its id. A fixed-width literal-like
// pattern keeps Hyperscan on its literal matchers: `^name[ \t]*:` with HS_FLAG_MULTILINE measured
// about three times slower on the seed INVITE.
std::string name_pattern(std::string_view name) {
  std::string p = "\\n";
  for (char c : name) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum) p += '\\';
    p += c;
  }
  p += "[ \\t:]";
  return p;
}

enum class Phase : uint8_t { StartLine, Headers, Done };

// Per-scan state, on the scanning thread's stack. The line rules are scan_rules::HeaderBuilder's;
// the header id comes from the dictionary match instead of a second lookup of the name.
struct ScanState {
  ScanState(const char* b, uint32_t off, Message& m, const uint16_t* ids) noexcept
      : base(b), data_off(off), out(&m), rule_ids(ids), line_begin(off), builder(m) {}

  const char* base;
  uint32_t data_off;  // where the scanned data starts in `base` (after leading CRLF keepalives)
  Message* out;
  const uint16_t* rule_ids;
  Phase phase = Phase::StartLine;
  Fault fault = Fault::None;  // the first fault; header-line faults do not stop the index
  bool line_bad = false;      // the current header line holds a NUL that is no quoted-pair
  uint32_t line_begin = 0;
  uint32_t headers_begin = 0;
  uint32_t body_begin = 0;
  // Dictionary hit on the current line. The pattern `\nname[ \t:]` matched on this line exactly
  // when the token before the colon is a known name, so this is what header_id_lookup(name) says.
  HeaderId line_id = HeaderId::Other;
  scan_rules::HeaderBuilder builder;

  // A line feed at `lf`: the line [line_begin, lf) is complete. Returns true to stop scanning.
  bool on_lf(uint32_t lf) noexcept {
    if (phase == Phase::StartLine) {
      const uint32_t start = line_begin;
      fault = scan_rules::parse_start_line(base, start, scan_rules::line_content_end(base, start, lf), *out);
      if (fault != Fault::None) return true;
      phase = Phase::Headers;
      headers_begin = line_begin = lf + 1;
      line_id = HeaderId::Other;
      return false;
    }
    const uint32_t b = line_begin;
    if (lf == b || (lf == b + 1 && base[b] == '\r')) {
      // The empty line: end of the header block (RFC 3261 §7).
      note(builder.finish());
      out->set_header_block(headers_begin, b);
      body_begin = lf + 1;
      phase = Phase::Done;
      return true;
    }
    // A refused line does not stop the index (as HandScanner): later lines may be what a 400 needs.
    if (!line_bad) note(builder.line(base, b, scan_rules::line_content_end(base, b, lf), line_id));
    line_bad = false;
    line_begin = lf + 1;
    line_id = HeaderId::Other;
    return false;
  }

  // A NUL at `at`. Returns true to stop scanning.
  bool on_nul(uint32_t at) noexcept {
    if (phase == Phase::StartLine) {
      fault = Fault::NulByte;
      return true;
    }
    if (phase == Phase::Headers && !line_bad && !scan_rules::nul_is_quoted_pair(base, line_begin, at)) {
      line_bad = true;
      note(Fault::NulByte);
    }
    return false;
  }

  void note(Fault f) noexcept {
    if (fault == Fault::None) fault = f;
  }
};

int on_match(unsigned int id, unsigned long long /*from*/, unsigned long long to, unsigned int /*flags*/,
             void* ctx) noexcept {
  auto& s = *static_cast<ScanState*>(ctx);
  if (id == kLfId) return s.on_lf(s.data_off + static_cast<uint32_t>(to) - 1) ? 1 : 0;
  if (id == kNulId) return s.on_nul(s.data_off + static_cast<uint32_t>(to) - 1) ? 1 : 0;
  if (id >= kPolicyBase) {
    s.out->add_policy_hit(s.rule_ids[id - kPolicyBase]);
    return 0;
  }
  if (s.phase == Phase::Headers) s.line_id = static_cast<HeaderId>(id);
  return 0;
}

ScanResult fail(Fault f) noexcept { return {ScanStatus::Malformed, f, 0}; }

}  // namespace

HyperscanScanner::HyperscanScanner(std::shared_ptr<const Database> db, hs_scratch_t* scratch) noexcept
    : db_(std::move(db)), scratch_(scratch) {}

Result<HyperscanScanner, PolicyError> HyperscanScanner::create(const PolicyRules& rules) {
  std::vector<std::string> exprs;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (unsigned id = 1; id < kHeaderIdCount; ++id) {
    const auto hid = static_cast<HeaderId>(id);
    exprs.push_back(name_pattern(header_canonical_name(hid)));
    flags.push_back(HS_FLAG_CASELESS);
    ids.push_back(id);
    if (const char compact = header_compact_form(hid); compact != 0) {
      exprs.push_back(name_pattern(std::string_view(&compact, 1)));
      flags.push_back(HS_FLAG_CASELESS);
      ids.push_back(id);
    }
  }
  exprs.push_back("\\n");
  flags.push_back(0);
  ids.push_back(kLfId);
  exprs.push_back("\\x00");
  flags.push_back(0);
  ids.push_back(kNulId);
  for (size_t i = 0; i < exprs.size(); ++i) {
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_expression_info(exprs[i].c_str(), flags[i], &info, &err) != HS_SUCCESS) {
      PolicyError e{"", "header dictionary: " + std::string(err != nullptr && err->message ? err->message : "refused")};
      hs_free_compile_error(err);
      return Err(std::move(e));
    }
    const bool unordered = info->unordered_matches != 0;
    std::free(info);
    if (unordered) return Err(PolicyError{"", "header dictionary pattern " + exprs[i] + " may match out of order"});
  }
  const size_t first_rule = exprs.size();

  auto db = std::make_shared<Database>();
  const auto policy = rules.rules();
  for (size_t i = 0; i < policy.size(); ++i) {
    exprs.push_back(rules.expression(i));
    flags.push_back(rules.flags(i));
    ids.push_back(kPolicyBase + static_cast<unsigned>(i));
    db->rule_ids.push_back(policy[i].id);
  }

  auto compiled = compile_block_database(exprs, flags, ids, policy, first_rule);
  if (!compiled) return Err(std::move(compiled).error());
  db->db = std::move(compiled).value();
  auto scratch = alloc_scratch(db->db.get());
  if (!scratch) return Err(std::move(scratch).error());
  return HyperscanScanner(std::move(db), *scratch);
}

Result<HyperscanScanner, PolicyError> HyperscanScanner::clone() const {
  auto scratch = clone_scratch(scratch_.get());
  if (!scratch) return Err(std::move(scratch).error());
  return HyperscanScanner(db_, *scratch);
}

size_t HyperscanScanner::rule_count() const noexcept { return db_->rule_ids.size(); }

ScanResult HyperscanScanner::scan(std::string_view bytes, Framing framing, Message& out) const noexcept {
  out.reset(bytes);
  const bool stream = framing == Framing::Stream;
  if (!stream && bytes.size() > kMaxMessageBytes) return fail(Fault::TooLarge);
  // Stream buffers may hold several messages; only this one must fit the limit (as HandScanner).
  const auto n = static_cast<uint32_t>(bytes.size() < kMaxMessageBytes + 4u ? bytes.size() : kMaxMessageBytes + 4u);
  const char* const base = bytes.data();

  const uint32_t pos = scan_rules::skip_leading_crlf(base, n);
  if (pos == n) return stream ? ScanResult{ScanStatus::NeedMore, Fault::None, 0} : fail(Fault::Empty);

  ScanState s(base, pos, out, db_->rule_ids.data());
  const hs_error_t rc = hs_scan(db_->db.get(), base + pos, n - pos, 0, scratch_.get(), on_match, &s);
  if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) {
    // Only misuse gets here (HS_SCRATCH_IN_USE: one scanner shared by two threads). Refuse the
    // message rather than index it half.
    assert(false && "hs_scan failed: is this scanner shared between threads?");
    return fail(Fault::BadHeaderLine);
  }
  if (s.phase == Phase::StartLine && s.fault != Fault::None) return fail(s.fault);
  if (s.phase == Phase::Done) {
    if (s.fault != Fault::None) return fail(s.fault);
    return scan_rules::frame_body(bytes, s.body_begin, framing, s.builder.content_length(), out);
  }
  // The data ended inside the start line or the header block.
  if (stream) return n > kMaxMessageBytes ? fail(Fault::TooLarge) : ScanResult{ScanStatus::NeedMore, Fault::None, 0};
  if (s.fault != Fault::None) return fail(s.fault);
  return fail(s.phase == Phase::StartLine ? Fault::BadStartLine : Fault::NoHeaderEnd);
}

}  // namespace sipedge::parser
