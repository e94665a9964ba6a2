// control/proxy/b2bua_policy.h — control lcore (pure). Which headers cross from one leg of a B2BUA
// call to the other (DESIGN §3, topology hiding): those sipedge rebuilds per leg never do; those
// that carry the far side's topology pass only when the route says so; the rest pass unless the
// route hides them.
#pragma once

#include <string_view>

#include "control/config.h"
#include "parser/message.h"

namespace sipedge::control {

// Headers sipedge writes itself on each leg of a B2BUA call (Via, Route, Record-Route, From, To,
// Call-ID, CSeq, Contact, Max-Forwards, Content-Length): the other leg's are never copied.
bool b2bua_rebuilt_header(parser::HeaderId id) noexcept;

// Whether header `h` of `msg` is copied to the other leg. `route`: the call's route (its
// hide_headers and pass_headers), nullptr for none; `trusted_source`: the message came from a
// trusted peer (its P-Asserted-Identity may pass, RFC 3325 §5).
bool b2bua_passes(const parser::Message& msg, const parser::HeaderField& h, const RouteConfig* route,
                  bool trusted_source) noexcept;

}  // namespace sipedge::control
