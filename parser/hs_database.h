// parser/hs_database.h — control lcore (startup). What HyperscanScanner and PolicyMatcher share:
// compiling a block-mode database whose errors name the operator's rule at fault, and the scratch
// space each thread scans with.
#pragma once

#include <hs/hs.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "parser/policy.h"

namespace sipedge::parser {

struct HsDatabaseFree {
  void operator()(hs_database_t* d) const noexcept { hs_free_database(d); }
};
using HsDatabase = std::unique_ptr<hs_database_t, HsDatabaseFree>;

// Compiles `exprs` (with their flags and ids) in block mode. Expression i >= first_rule is
// rules[i - first_rule]: a PolicyError for it names that rule; other failures name none.
Result<HsDatabase, PolicyError> compile_block_database(const std::vector<std::string>& exprs,
                                                       const std::vector<unsigned>& flags,
                                                       const std::vector<unsigned>& ids,
                                                       std::span<const PolicyRule> rules, size_t first_rule);

// Scratch for `db`, or a copy of `scratch` for another thread.
Result<hs_scratch_t*, PolicyError> alloc_scratch(const hs_database_t* db);
Result<hs_scratch_t*, PolicyError> clone_scratch(const hs_scratch_t* scratch);

}  // namespace sipedge::parser
