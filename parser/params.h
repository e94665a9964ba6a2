// parser/params.h — any thread, pure. ";name[=value]" parameter lists: RFC 3261 §25.1 generic-param
// (header params) and §25 uri-parameters. Values are string_views into the caller's bytes; quoted
// values keep their quotes. Never allocates, never throws.
#pragma once

#include <optional>
#include <string_view>

namespace sipedge::parser {

struct Param {
  std::string_view name;
  std::string_view value;  // "" when the parameter has no "=value"; quoted-strings keep the quotes
  bool has_value = false;
};

// Walks ";name[=value]" parameters. Lenient where phones are sloppy: LWS may surround ';' and '='
// (RFC 3261 SEMI/EQUAL allow it anyway). Strict elsewhere: an empty name (";;", a trailing ';'),
// "name=" with no value, an unterminated quoted-string, or bytes outside the param alphabet stop
// the walk with malformed() set.
class ParamIterator {
 public:
  // `params`: text starting at the first ';' (leading LWS allowed), or empty.
  explicit ParamIterator(std::string_view params) noexcept : text_(params) {}
  // Next parameter; false at the end or on malformed input (check malformed()).
  bool next(Param& p) noexcept;
  bool malformed() const noexcept { return malformed_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  bool malformed_ = false;
};

// True when every parameter of `params` is well formed (empty text is well formed).
bool params_well_formed(std::string_view params) noexcept;

// Case-insensitive name lookup (RFC 3261 §7.3.1: parameter names are case-insensitive); the first
// match wins. nullopt when absent (or when the list is malformed before a match); value "" when
// present without "=".
std::optional<std::string_view> find_param(std::string_view params, std::string_view name) noexcept;

// Writes well-formed `params` (as ParamIterator walks them without malformed()) less those named
// `drop_a` or `drop_b` (case-insensitive), each as ";name[=value]", to `out`, which has room for
// params.size() bytes; returns the end of what it wrote. A list written that plainly already (no
// LWS, no quoted values) is copied piece by piece as it stands, without a walk.
char* write_params_without(std::string_view params, std::string_view drop_a, std::string_view drop_b,
                           char* out) noexcept;

// Strips the surrounding quotes of a quoted-string (no unescaping); other text is returned as is.
std::string_view unquote(std::string_view quoted) noexcept;

}  // namespace sipedge::parser
