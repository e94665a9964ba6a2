// parser/policy_matcher.cc — create/clone on the control lcore (startup), match on a worker lcore.
#include "parser/policy_matcher.h"

#include <cassert>
#include <vector>

#include "parser/hs_database.h"
#include "parser/scanner.h"

namespace sipedge::parser {

struct PolicyMatcher::Database {
  HsDatabase db;
  std::vector<uint16_t> rule_ids;  // PolicyRule::id by pattern id
};

namespace {

struct MatchState {
  const uint16_t* rule_ids;
  Message* out;
};

int on_match(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/, unsigned int /*flags*/,
             void* ctx) noexcept {
  auto& s = *static_cast<MatchState*>(ctx);
  s.out->add_policy_hit(s.rule_ids[id]);
  return 0;
}

}  // namespace

Result<PolicyMatcher, PolicyError> PolicyMatcher::create(const PolicyRules& rules) {
  if (rules.empty()) return Err(PolicyError{"", "no rules to match"});
  std::vector<std::string> exprs;
  std::vector<unsigned> flags, ids;
  auto db = std::make_shared<Database>();
  for (size_t i = 0; i < rules.rules().size(); ++i) {
    exprs.push_back(rules.expression(i));
    flags.push_back(rules.flags(i));
    ids.push_back(static_cast<unsigned>(i));
    db->rule_ids.push_back(rules.rules()[i].id);
  }
  auto compiled = compile_block_database(exprs, flags, ids, rules.rules(), 0);
  if (!compiled) return Err(std::move(compiled).error());
  db->db = std::move(compiled).value();
  auto scratch = alloc_scratch(db->db.get());
  if (!scratch) return Err(std::move(scratch).error());
  return PolicyMatcher(std::move(db), *scratch);
}

Result<PolicyMatcher, PolicyError> PolicyMatcher::clone() const {
  auto scratch = clone_scratch(scratch_.get());
  if (!scratch) return Err(std::move(scratch).error());
  return PolicyMatcher(db_, *scratch);
}

void PolicyMatcher::match(std::string_view head, Message& out) const noexcept {
  if (head.empty()) return;
  MatchState s{db_->rule_ids.data(), &out};
  [[maybe_unused]] const hs_error_t rc =
      hs_scan(db_->db.get(), head.data(), static_cast<unsigned>(head.size()), 0, scratch_.get(), on_match, &s);
  // Only misuse fails here (HS_SCRATCH_IN_USE: one matcher shared by two threads).
  assert(rc == HS_SUCCESS);
}

std::string_view PolicyMatcher::head_of(const Message& msg, bool complete) noexcept {
  const std::string_view bytes = msg.bytes();
  if (complete && msg.headers_end() <= bytes.size()) return bytes.substr(0, msg.headers_end());
  return bytes.substr(0, bytes.size() < kMaxMessageBytes ? bytes.size() : kMaxMessageBytes);
}

}  // namespace sipedge::parser
