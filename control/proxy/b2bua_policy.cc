// control/proxy/b2bua_policy.cc — control lcore (pure). See b2bua_policy.h.
#include "control/proxy/b2bua_policy.h"

#include <algorithm>
#include <string>

namespace sipedge::control {
namespace {

using parser::HeaderId;

bool named(const std::vector<std::string>& lower_names, std::string_view name) noexcept {
  return std::any_of(lower_names.begin(), lower_names.end(),
                     [&](const std::string& n) { return parser::iequals(n, name); });
}

// Headers whose values name hosts, URIs or software of the far side: stripped by default.
bool topology_header(HeaderId id, bool trusted_source) noexcept {
  switch (id) {
    case HeaderId::AlertInfo:
    case HeaderId::CallInfo:
    case HeaderId::ErrorInfo:
    case HeaderId::Warning:
    case HeaderId::Server:
    case HeaderId::UserAgent:
    case HeaderId::Path:
    case HeaderId::ServiceRoute:
    case HeaderId::RemotePartyId:
      return true;
    case HeaderId::PAssertedIdentity:
    case HeaderId::PPreferredIdentity:
      return !trusted_source;
    default:
      return false;
  }
}

}  // namespace

bool b2bua_rebuilt_header(HeaderId id) noexcept {
  switch (id) {
    case HeaderId::Via:
    case HeaderId::Route:
    case HeaderId::RecordRoute:
    case HeaderId::From:
    case HeaderId::To:
    case HeaderId::CallId:
    case HeaderId::CSeq:
    case HeaderId::Contact:
    case HeaderId::MaxForwards:
    case HeaderId::ContentLength:
      return true;
    default:
      return false;
  }
}

bool b2bua_passes(const parser::Message& msg, const parser::HeaderField& h, const RouteConfig* route,
                  bool trusted_source) noexcept {
  if (b2bua_rebuilt_header(h.id)) return false;
  const std::string_view name = h.id == HeaderId::Other ? msg.text(h.name) : parser::header_canonical_name(h.id);
  if (route && named(route->hide_headers, name)) return false;
  if (topology_header(h.id, trusted_source)) return route && named(route->pass_headers, name);
  return true;
}

}  // namespace sipedge::control
