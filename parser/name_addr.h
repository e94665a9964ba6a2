// parser/name_addr.h — any thread, pure. name-addr / addr-spec values (RFC 3261 §25.1, §20.10) as
// used in From, To, Contact, Route, Record-Route, Refer-To, Diversion, P-Asserted-Identity.
// Views into the caller's bytes; never allocates, never throws.
#pragma once

#include <optional>
#include <string_view>

#include "common/result.h"
#include "parser/fault.h"
#include "parser/uri.h"

namespace sipedge::parser {

struct NameAddr {
  std::string_view display_name;  // without quotes, not unescaped; "" if none
  std::string_view uri_text;      // between < > (or the bare addr-spec)
  Uri uri;
  std::string_view params;  // header params after the URI, from the first ';' ("" if none)
  bool bracketed = false;
  // The first ";tag=" value, noted by parse_name_addr on its pass over the params: a proxy asks
  // for the From and To tags of every message several times. Unset in a NameAddr built by hand.
  std::optional<std::string_view> known_tag;

  // Case-insensitive header-parameter lookup (find_param on `params`).
  std::optional<std::string_view> param(std::string_view name) const noexcept;
  // ";tag=" value, "" when absent (RFC 3261 §19.3).
  std::string_view tag() const noexcept;
};

// Parses one name-addr or addr-spec with trailing header params; surrounding LWS is ignored.
// Accepted display names: a quoted-string (LWS before '<' optional, as in `"1006"<sip:...>`) or
// tokens separated by LWS (`Bob <sip:bob@x>`; UTF-8 bytes are tolerated unquoted). For the
// addr-spec form the URI ends at the first ';' or LWS and everything after belongs to the header
// (RFC 3261 §20.10), not the URI.
// Faults: BadUri when the URI itself is malformed; BadNameAddr for everything else (empty value,
// unterminated quote or '<', display name without '<', junk after '>', malformed params).
Result<NameAddr, Fault> parse_name_addr(std::string_view value) noexcept;

// The first ";tag=" value of a name-addr or addr-spec ("" when none), read as parse_name_addr reads
// it but leaving the URI unread (RFC 3261 §16.3: a proxy checks what it uses). Fault::BadNameAddr
// where parse_name_addr gives BadNameAddr; a value whose URI alone is malformed has a tag here.
Result<std::string_view, Fault> name_addr_tag(std::string_view value) noexcept;

}  // namespace sipedge::parser
