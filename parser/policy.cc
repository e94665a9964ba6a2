// parser/policy.cc — control lcore (config load). Builds and validates the operator's signature
// rules; allocation is fine here, this never runs per packet.
#include "parser/policy.h"

#include <hs/hs.h>

#include <cassert>
#include <cstdlib>
#include <unordered_set>

#include "parser/header_id.h"

namespace sipedge::parser {
namespace {

// RFC 3261 §25.1 token characters: what a header name may be made of.
bool is_token_char(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

// A header name as a regex: token characters, every non-alphanumeric one escaped (in PCRE syntax a
// backslash before punctuation is always that literal character).
void append_literal(std::string& out, std::string_view name) {
  for (char c : name) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum) out += '\\';
    out += c;
  }
}

}  // namespace

std::string policy_expression(const PolicyRule& rule) {
  if (rule.header.empty()) return rule.regex;
  std::string e = "^(?:";
  const HeaderId id = header_id_lookup(rule.header);
  if (id != HeaderId::Other) {
    // A rule on "User-Agent" must also see the compact form, and the reverse (RFC 3261 §7.3.3).
    append_literal(e, header_canonical_name(id));
    if (const char compact = header_compact_form(id); compact != 0) {
      e += '|';
      e += compact;
    }
  } else {
    append_literal(e, rule.header);
  }
  // Name, optional SP/HT, colon (the scanners' header-line rule), then any value bytes: anything but
  // LF, or LF followed by SP/HT (a fold, RFC 3261 §7.3.1), so the rule never reaches the next header.
  e += ")[ \\t]*:(?:[^\\n]|\\n[ \\t])*?(?:";
  e += rule.regex;
  e += ')';
  return e;
}

unsigned policy_flags(const PolicyRule& rule) noexcept {
  // SINGLEMATCH: one hit per rule per message is all the policy needs, and it keeps a rule that
  // matches on every line from costing a callback per line.
  unsigned f = HS_FLAG_MULTILINE | HS_FLAG_SINGLEMATCH;
  if (rule.caseless) f |= HS_FLAG_CASELESS;
  return f;
}

std::string PolicyRules::expression(size_t i) const { return policy_expression(rules_[i]); }

unsigned PolicyRules::flags(size_t i) const noexcept { return policy_flags(rules_[i]); }

Result<PolicyRules, PolicyError> PolicyRules::build(std::vector<PolicyRule> rules) {
  std::unordered_set<uint16_t> ids;
  for (const PolicyRule& r : rules) {
    if (r.name.empty()) return Err{PolicyError{"", "rule with id " + std::to_string(r.id) + " has no name"}};
    if (!ids.insert(r.id).second)
      return Err{PolicyError{r.name, "duplicate rule id " + std::to_string(r.id)}};
    for (char c : r.header)
      if (!is_token_char(c))
        return Err{PolicyError{r.name, "header scope '" + r.header + "' is not a header name"}};
    if (r.regex.empty()) return Err{PolicyError{r.name, "empty regex"}};
    // Compile the rule alone so a syntax error is reported against its name; the scanner compiles
    // all rules together later.
    const std::string expr = policy_expression(r);
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_expression_info(expr.c_str(), policy_flags(r), &info, &err) != HS_SUCCESS) {
      PolicyError e{r.name, err != nullptr && err->message != nullptr ? err->message : "rejected by Hyperscan"};
      hs_free_compile_error(err);
      return Err{std::move(e)};
    }
    // A rule that can match nothing would hit every message (Hyperscan reports no empty matches
    // anyway, so it would silently never fire): refuse it.
    const bool matches_empty = info->min_width == 0 && r.header.empty();
    std::free(info);
    if (matches_empty) return Err{PolicyError{r.name, "regex matches the empty string"}};
  }
  return PolicyRules(std::move(rules));
}

PolicyRules PolicyRules::known_scanners() {
  // SIPVicious' svmap/svwar send "friendly-scanner" by default and "sipvicious" in newer releases;
  // sipcli and the VaxSIP SDK show up in the same toll-fraud scans.
  auto built = build({
      {kRuleFriendlyScanner, "ua-friendly-scanner", "friendly-scanner", "User-Agent", true},
      {kRuleSipVicious, "ua-sipvicious", "sipvicious", "User-Agent", true},
      {kRuleSipCli, "ua-sipcli", "sipcli", "User-Agent", true},
      {kRuleVaxSip, "ua-vaxsip", "VaxSIPUserAgent", "User-Agent", true},
  });
  assert(built.ok());
  return std::move(built).value();
}

}  // namespace sipedge::parser
