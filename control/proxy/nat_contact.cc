// control/proxy/nat_contact.cc — control lcore, pure. See nat_contact.h.
#include "control/proxy/nat_contact.h"

namespace sipedge::control {

std::string nat_fixed_uri(const parser::Uri& uri, const Endpoint& where) {
  std::string out(uri.scheme_text);
  out.push_back(':');
  if (!uri.user.empty()) {
    out.append(uri.user);
    if (uri.has_password) out.append(":").append(uri.password);
    out.push_back('@');
  }
  out.append(where.to_string());
  out.append(uri.params);
  if (!uri.headers.empty()) out.append("?").append(uri.headers);
  return out;
}

std::optional<std::string> nat_fixed_contact(const parser::Contact& contact, const Endpoint& source) {
  if (contact.star) return std::nullopt;
  const parser::Uri& u = contact.addr.uri;
  auto ip = IpAddr::parse(u.host);
  const uint16_t port = u.has_port ? u.port : 5060;
  if (ip && *ip == source.ip && port == source.port) return std::nullopt;
  return nat_fixed_uri(u, source);
}

std::optional<std::string> reachable_contact(const parser::Message& msg, const Endpoint& source, bool from_its_ua) {
  parser::ContactList contacts(msg);
  Result<parser::Contact, parser::Fault> c{Err{parser::Fault::BadContact}};
  if (!contacts.next(c) || !c || c->star) return std::nullopt;
  if (!from_its_ua) return std::string(c->addr.uri_text);
  if (auto fixed = nat_fixed_contact(*c, source)) return fixed;
  return std::string(c->addr.uri_text);
}

std::optional<Endpoint> uri_endpoint(std::string_view uri_text) {
  auto uri = parser::parse_uri(uri_text);
  if (!uri) return std::nullopt;
  auto ip = IpAddr::parse(uri->host);
  if (!ip) return std::nullopt;
  return Endpoint{*ip, uri->has_port ? uri->port : uint16_t{5060}};
}

}  // namespace sipedge::control
