// control/proxy/nat_contact.h — control lcore, pure. NAT traversal for Contact URIs (DESIGN §3): a UA
// behind NAT advertises a Contact it cannot be reached at; the address its packets come from is the
// one that works. One place for the rule, used for requests, responses and the call's stored legs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/net_address.h"
#include "parser/contact.h"
#include "parser/uri.h"

namespace sipedge::control {

// `uri` with its host:port replaced by `where`; scheme, user, password, parameters and headers kept.
std::string nat_fixed_uri(const parser::Uri& uri, const Endpoint& where);

// The URI text to put in place of `contact`'s URI when the sender is not reachable where the
// Contact says (its host is not an IP, or not the source address and port of its packets), or
// nullopt when the Contact already names `source`.
std::optional<std::string> nat_fixed_contact(const parser::Contact& contact, const Endpoint& source);

// The first Contact of `msg` as a URI its sender can be reached at: NAT-fixed when `from_its_ua`
// (the packet came straight from the UA that wrote the Contact), as written otherwise (a proxy in
// between: the Contact is reached through it, not at its address); nullopt when the message has
// no usable Contact.
std::optional<std::string> reachable_contact(const parser::Message& msg, const Endpoint& source, bool from_its_ua);

// The address and port of a SIP URI whose host is an IP address (port 5060 when absent); nullopt
// for any other URI.
std::optional<Endpoint> uri_endpoint(std::string_view uri_text);

}  // namespace sipedge::control
