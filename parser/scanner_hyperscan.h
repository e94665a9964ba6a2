// parser/scanner_hyperscan.h — built on the control lcore, scanned on any thread that owns one. One
// Hyperscan block-mode pass over a SIP message finds line ends, known header names and the operator's
// signature hits (DESIGN §4, RFC 3261 §7). Never allocates or throws while scanning.
#pragma once

#include <hs/hs.h>

#include <memory>
#include <vector>

#include "common/result.h"
#include "parser/policy.h"
#include "parser/scanner.h"

namespace sipedge::parser {

// Same scanning rules as HandScanner (parser/scanner_hand.h), byte for byte: the two produce
// identical Message indexes and ScanResults (tests/parser/scanner_equivalence_test.cc). On top, every
// PolicyRule that matches in the start line or header block is reported once through
// Message::add_policy_hit (rules never see the body).
//
// Thread safety: the compiled database is immutable and shared by clones; the scratch space is not.
// scan() is const but writes the scanner's own Hyperscan scratch, so one HyperscanScanner must never
// be used by two threads at once: give each worker lcore its own clone().
class HyperscanScanner final : public Scanner {
 public:
  // Compiles the header-name dictionary, line terminators and `rules` into one database and
  // allocates scratch. Errors: PolicyError naming the rule Hyperscan refused (with its message),
  // or rule "" when Hyperscan fails for another reason (no memory, unsupported CPU).
  static Result<HyperscanScanner, PolicyError> create(const PolicyRules& rules = {});

  // A scanner sharing this one's database with its own scratch, for another thread. Errors:
  // PolicyError{"", ...} when Hyperscan cannot allocate scratch.
  Result<HyperscanScanner, PolicyError> clone() const;

  HyperscanScanner(HyperscanScanner&&) noexcept = default;
  HyperscanScanner& operator=(HyperscanScanner&&) noexcept = default;
  ~HyperscanScanner() override = default;

  ScanResult scan(std::string_view bytes, Framing framing, Message& out) const noexcept override;

  // Number of policy rules compiled in.
  size_t rule_count() const noexcept;

  struct Database;  // compiled patterns + rule id map, shared by clones

 private:
  struct ScratchDeleter {
    void operator()(hs_scratch_t* s) const noexcept { hs_free_scratch(s); }
  };
  HyperscanScanner(std::shared_ptr<const Database> db, hs_scratch_t* scratch) noexcept;

  std::shared_ptr<const Database> db_;
  std::unique_ptr<hs_scratch_t, ScratchDeleter> scratch_;
};

}  // namespace sipedge::parser
