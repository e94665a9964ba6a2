// parser/hs_database.cc — control lcore (startup). See hs_database.h.
#include "parser/hs_database.h"

namespace sipedge::parser {

Result<HsDatabase, PolicyError> compile_block_database(const std::vector<std::string>& exprs,
                                                       const std::vector<unsigned>& flags,
                                                       const std::vector<unsigned>& ids,
                                                       std::span<const PolicyRule> rules, size_t first_rule) {
  std::vector<const char*> cexprs;
  cexprs.reserve(exprs.size());
  for (const std::string& e : exprs) cexprs.push_back(e.c_str());
  hs_database_t* raw = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(cexprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                       nullptr, &raw, &err) != HS_SUCCESS) {
    PolicyError e;
    if (err != nullptr && err->expression >= 0 && static_cast<size_t>(err->expression) >= first_rule &&
        static_cast<size_t>(err->expression) - first_rule < rules.size())
      e.rule = rules[static_cast<size_t>(err->expression) - first_rule].name;
    e.message = err != nullptr && err->message != nullptr ? err->message : "Hyperscan compile failed";
    hs_free_compile_error(err);
    return Err(std::move(e));
  }
  return HsDatabase(raw);
}

Result<hs_scratch_t*, PolicyError> alloc_scratch(const hs_database_t* db) {
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) return Err(PolicyError{"", "cannot allocate Hyperscan scratch"});
  return scratch;
}

Result<hs_scratch_t*, PolicyError> clone_scratch(const hs_scratch_t* scratch) {
  hs_scratch_t* copy = nullptr;
  if (hs_clone_scratch(scratch, &copy) != HS_SUCCESS) return Err(PolicyError{"", "cannot allocate Hyperscan scratch"});
  return copy;
}

}  // namespace sipedge::parser
