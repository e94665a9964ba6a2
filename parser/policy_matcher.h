// parser/policy_matcher.h — built on the control lcore (startup); each worker lcore matches with its
// own clone. The operator's signature rules (policy.h) alone in one Hyperscan block database, run
// over a message's start line and header block after HandScanner has indexed it. RESULTS.md (parser)
// measured why: HandScanner plus a rules-only pass costs about 117 + 100 ns on the seed INVITE, where
// HyperscanScanner's combined pass costs about 600 ns. Never allocates or throws while matching.
#pragma once

#include <hs/hs.h>

#include <memory>
#include <string_view>

#include "common/result.h"
#include "parser/message.h"
#include "parser/policy.h"

namespace sipedge::parser {

// Thread safety: the database is immutable and shared by clones; the scratch space is not, so one
// PolicyMatcher must never be used by two threads at once (give each lcore its own clone()).
class PolicyMatcher {
 public:
  // Errors: PolicyError naming the rule Hyperscan refused, or rule "" (no memory, unsupported CPU).
  // `rules` must not be empty.
  static Result<PolicyMatcher, PolicyError> create(const PolicyRules& rules);
  Result<PolicyMatcher, PolicyError> clone() const;

  PolicyMatcher(PolicyMatcher&&) noexcept = default;
  PolicyMatcher& operator=(PolicyMatcher&&) noexcept = default;

  // Reports every rule that matches in `head` (a start line and header block) once, through
  // out.add_policy_hit(rule id).
  void match(std::string_view head, Message& out) const noexcept;

  // The part of a scanned datagram rules look at: start line and headers when the scan found them,
  // else the whole datagram (a scanner's garbage still carries its User-Agent).
  static std::string_view head_of(const Message& msg, bool complete) noexcept;

  struct Database;

 private:
  struct ScratchDeleter {
    void operator()(hs_scratch_t* s) const noexcept { hs_free_scratch(s); }
  };
  PolicyMatcher(std::shared_ptr<const Database> db, hs_scratch_t* scratch) noexcept : db_(std::move(db)), scratch_(scratch) {}

  std::shared_ptr<const Database> db_;
  std::unique_ptr<hs_scratch_t, ScratchDeleter> scratch_;
};

}  // namespace sipedge::parser
