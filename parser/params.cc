// parser/params.cc — any thread, pure. One pass over ";name=value" lists (RFC 3261 §25.1
// generic-param, §25 uri-parameter). Never allocates.
#include "parser/params.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "parser/header_id.h"
#include "parser/value_list.h"

namespace sipedge::parser {
namespace {

// Union of the token alphabet (header params) and paramchar (uri params: unreserved, escaped,
// "[]/:&+$"), so one table serves both; IPv6 references in maddr/received fit too.
constexpr std::array<bool, 256> make_param_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("-_.!~*'()%[]/:&+$`")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kParamChar = make_param_table();
constexpr ByteRun kParamRun{kParamChar};
static_assert(kParamRun.ascii_only());

inline size_t skip_param_chars(std::string_view s, size_t pos) noexcept { return kParamRun.skip(s, pos); }

// The bytes of a list written ";name[=value]" throughout: the param alphabet, ';' and '='.
constexpr ByteRun kPlainParamsRun = ByteRun::of([](unsigned char c) {
  return kParamChar[c] || c == ';' || c == '=';
});
static_assert(kPlainParamsRun.ascii_only());

}  // namespace

bool ParamIterator::next(Param& p) noexcept {
  if (malformed_) return false;
  const std::string_view s = text_;
  size_t i = skip_lws(s, pos_);
  if (i == s.size()) {
    pos_ = i;
    return false;
  }
  if (s[i] != ';') {
    malformed_ = true;
    return false;
  }
  i = skip_lws(s, i + 1);
  size_t name_end = skip_param_chars(s, i);
  if (name_end == i) {
    malformed_ = true;
    return false;
  }
  p.name = s.substr(i, name_end - i);
  p.value = {};
  p.has_value = false;
  i = skip_lws(s, name_end);
  if (i < s.size() && s[i] == '=') {
    i = skip_lws(s, i + 1);
    size_t value_end;
    if (i < s.size() && s[i] == '"') {
      value_end = skip_quoted(s, i);
      if (value_end == std::string_view::npos) {
        malformed_ = true;
        return false;
      }
    } else {
      value_end = skip_param_chars(s, i);
      if (value_end == i) {
        malformed_ = true;
        return false;
      }
    }
    p.value = s.substr(i, value_end - i);
    p.has_value = true;
    i = skip_lws(s, value_end);
  }
  if (i < s.size() && s[i] != ';') {
    malformed_ = true;
    return false;
  }
  pos_ = i;
  return true;
}

bool params_well_formed(std::string_view params) noexcept {
  ParamIterator it(params);
  Param p;
  while (it.next(p)) {
  }
  return !it.malformed();
}

std::optional<std::string_view> find_param(std::string_view params, std::string_view name) noexcept {
  ParamIterator it(params);
  Param p;
  while (it.next(p)) {
    if (iequals(p.name, name)) return p.value;
  }
  return std::nullopt;
}

char* write_params_without(std::string_view params, std::string_view drop_a, std::string_view drop_b,
                           char* out) noexcept {
  const auto dropped = [&](std::string_view name) { return iequals(name, drop_a) || iequals(name, drop_b); };
  const auto put = [&out](std::string_view text) {
    std::memcpy(out, text.data(), text.size());
    out += text.size();
  };
  if (!params.empty() && params.front() == ';' && kPlainParamsRun.skip(params, 0) == params.size()) {
    // Well formed and plain: each piece runs from its ';' to the next, "name" or "name=value".
    for (size_t at = 0; at < params.size();) {
      const size_t end = std::min(params.find(';', at + 1), params.size());
      const std::string_view piece = params.substr(at, end - at);
      if (!dropped(piece.substr(1, std::min(piece.find('='), piece.size()) - 1))) put(piece);
      at = end;
    }
    return out;
  }
  ParamIterator it(params);
  Param p;
  while (it.next(p)) {
    if (dropped(p.name)) continue;
    *out++ = ';';
    put(p.name);
    if (p.has_value) {
      *out++ = '=';
      put(p.value);
    }
  }
  return out;
}

std::string_view unquote(std::string_view quoted) noexcept {
  if (quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"') {
    return quoted.substr(1, quoted.size() - 2);
  }
  return quoted;
}

}  // namespace sipedge::parser
