// parser/policy.h — control lcore builds it (config load); workers only read the compiled result.
// The operator's signature rules (DESIGN §4): regexes over the start line and header block, optionally
// scoped to one header (e.g. User-Agent of known SIP scanners). Compiled into the HyperscanScanner
// database next to the header-name dictionary; never compiled on the packet path.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace sipedge::parser {

// What the gateway does with a message a rule matched: drop it in the worker (never reaches control),
// drop it and ban its source, or only count it and let it through (watch a rule before enforcing).
enum class PolicyAction : uint8_t { Drop, Ban, Tag };

struct PolicyRule {
  uint16_t id = 0;     // reported in Message::policy_hits(); unique within a rule set
  std::string name;    // operator-facing, used in errors, logs and counters
  std::string regex;   // Hyperscan (PCRE subset) syntax. Scoped: matched anywhere in the header's
                       // value (folds included), so `^` cannot anchor it; unscoped: `^`/`$` are
                       // line anchors (HS_FLAG_MULTILINE). Must not match the empty string.
  std::string header;  // scope: one header name (full or compact form match); "" = any line of
                       // the start line and header block
  bool caseless = true;
  PolicyAction action = PolicyAction::Drop;
  friend bool operator==(const PolicyRule&, const PolicyRule&) = default;
};

// A rule set that cannot be used: `rule` names the offending rule ("" when the fault is not one
// rule's, e.g. Hyperscan refusing the whole database), `message` says why (Hyperscan's text for
// regex errors).
struct PolicyError {
  std::string rule;
  std::string message;
};

// Rules a gateway may have, built-in ones included; rule ids are 1..kMaxPolicyRules.
inline constexpr unsigned kMaxPolicyRules = 64;

// Ids of the built-in scanner signatures (known_scanners()).
inline constexpr uint16_t kRuleFriendlyScanner = 1;
inline constexpr uint16_t kRuleSipVicious = 2;
inline constexpr uint16_t kRuleSipCli = 3;
inline constexpr uint16_t kRuleVaxSip = 4;

// An immutable, validated list of rules. Thread safety: immutable after build(), share freely.
class PolicyRules {
 public:
  PolicyRules() = default;  // no rules

  // Validates every rule: non-empty name, unique id, header scope a token, regex accepted by
  // Hyperscan on its own (so an error names the rule). Errors: PolicyError with the rule's name.
  static Result<PolicyRules, PolicyError> build(std::vector<PolicyRule> rules);

  // User-Agent signatures of common SIP scanning tools (friendly-scanner/sipvicious, sipcli,
  // VaxSIPUserAgent), case-insensitive.
  static PolicyRules known_scanners();

  std::span<const PolicyRule> rules() const noexcept { return rules_; }
  bool empty() const noexcept { return rules_.empty(); }

  // The Hyperscan expression and flags compiled for rule `i`: the header scope becomes a
  // line-anchored name prefix; the value part may run over folded lines but never past the line
  // (or fold) that ends the header.
  std::string expression(size_t i) const;
  unsigned flags(size_t i) const noexcept;

 private:
  explicit PolicyRules(std::vector<PolicyRule> rules) : rules_(std::move(rules)) {}

  std::vector<PolicyRule> rules_;
};

// Hyperscan expression for `rule` (see PolicyRules::expression).
std::string policy_expression(const PolicyRule& rule);
unsigned policy_flags(const PolicyRule& rule) noexcept;

}  // namespace sipedge::parser
