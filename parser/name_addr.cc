// parser/name_addr.cc — any thread, pure. One pass over a name-addr / addr-spec (RFC 3261 §25.1,
// §20.10). Never allocates.
#include "parser/name_addr.h"

#include "parser/header_id.h"
#include "parser/params.h"
#include "parser/value_list.h"

namespace sipedge::parser {
namespace {

Err<Fault> bad() noexcept { return Err{Fault::BadNameAddr}; }

// Unquoted display-name = *(token LWS). UTF-8 bytes are tolerated: phones send raw names.
bool valid_token_display(std::string_view s) noexcept {
  for (char c : s) {
    if (!is_token_char(c) && !is_lws_char(c) && static_cast<unsigned char>(c) < 0x80) return false;
  }
  return true;
}

// The display name and the URI's text of a trimmed value `s`, without reading the URI. Returns the
// index of the first byte after the URI (and its '>'), or npos when the framing is broken.
size_t locate_uri(std::string_view s, NameAddr& na) noexcept {
  constexpr size_t kBroken = std::string_view::npos;
  const size_t n = s.size();
  if (n == 0) return kBroken;
  size_t open = std::string_view::npos;  // index of '<' when bracketed
  if (s[0] == '"') {
    size_t close = skip_quoted(s, 0);
    if (close == std::string_view::npos) return kBroken;
    na.display_name = s.substr(1, close - 2);
    size_t i = skip_lws(s, close);
    if (i == n || s[i] != '<') return kBroken;
    open = i;
  } else {
    // Either tokens then '<', '<' right away, or a bare addr-spec. A '<' after a ';' is inside
    // an addr-spec's header param (`;+sip.instance="<urn:...>"`), never a name-addr.
    const size_t lt = find_first_of3(s, 0, '<', ';', ';');
    if (lt < n && s[lt] == '<') {
      std::string_view display = trim_lws(s.substr(0, lt));
      if (!valid_token_display(display)) return kBroken;
      na.display_name = display;
      open = lt;
    }
  }
  if (open != std::string_view::npos) {
    size_t gt = s.find('>', open + 1);
    if (gt == std::string_view::npos) return kBroken;
    na.uri_text = trim_lws(s.substr(open + 1, gt - open - 1));
    na.bracketed = true;
    return gt + 1;
  }
  size_t e = 0;
  while (e < n && s[e] != ';' && !is_lws_char(s[e])) ++e;
  na.uri_text = s.substr(0, e);
  return e;
}

// The header params after the URI (from index `after` of `s`) and the first tag among them; false
// when they are malformed.
bool read_params(std::string_view s, size_t after, NameAddr& na) noexcept {
  size_t p = skip_lws(s, after);
  std::string_view tag;
  if (p < s.size()) {
    if (s[p] != ';') return false;
    na.params = s.substr(p);
    ParamIterator it(na.params);
    Param param;
    bool tagged = false;
    while (it.next(param)) {
      if (!tagged && iequals(param.name, "tag")) {
        tag = param.value;
        tagged = true;
      }
    }
    if (it.malformed()) return false;
  }
  na.known_tag = tag;
  return true;
}

}  // namespace

std::optional<std::string_view> NameAddr::param(std::string_view name) const noexcept {
  return find_param(params, name);
}

std::string_view NameAddr::tag() const noexcept {
  if (known_tag) return *known_tag;
  return param("tag").value_or(std::string_view{});
}

Result<NameAddr, Fault> parse_name_addr(std::string_view value) noexcept {
  const std::string_view s = trim_lws(value);
  NameAddr na;
  const size_t after = locate_uri(s, na);
  if (after == std::string_view::npos) return bad();
  auto uri = parse_uri(na.uri_text);
  if (!uri) return Err{uri.error()};
  na.uri = *uri;
  if (!read_params(s, after, na)) return bad();
  return na;
}

Result<std::string_view, Fault> name_addr_tag(std::string_view value) noexcept {
  const std::string_view s = trim_lws(value);
  NameAddr na;
  const size_t after = locate_uri(s, na);
  if (after == std::string_view::npos || !read_params(s, after, na)) return bad();
  return *na.known_tag;
}

}  // namespace sipedge::parser
