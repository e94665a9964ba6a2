// tests/support/lab_config.h — control-plane tests and benchmarks (no thread of their own): the
// devnet's two-interface layout as a ControlConfig, so the proxy tests and control_bench run the
// same addresses. Access 10.201.0.1/24, core 10.202.0.1/24, domain and realm sipedge.test, a
// "pstn" route for "+" numbers to `trunk_hops` on the core side, no NAT keepalives.
#pragma once
#include <cstdint>
#include <vector>

#include "control/config.h"

namespace sipedge::testing {

inline control::ControlConfig lab_config(uint16_t media_port_max, std::vector<Endpoint> trunk_hops) {
  using namespace sipedge::control;
  ControlConfig c;
  InterfaceConfig access;
  access.name = "access";
  access.index = 0;
  access.role = InterfaceRole::Access;
  access.sip_address = IpAddr::v4(10, 201, 0, 1);
  access.subnet = *IpPrefix::parse("10.201.0.0/24");
  access.media_address = access.sip_address;
  access.media_port_min = 20000;
  access.media_port_max = media_port_max;
  InterfaceConfig core = access;
  core.name = "core";
  core.index = 1;
  core.role = InterfaceRole::Core;
  core.sip_address = IpAddr::v4(10, 202, 0, 1);
  core.subnet = *IpPrefix::parse("10.202.0.0/24");
  core.media_address = core.sip_address;
  c.interfaces = {access, core};
  c.domains = {"sipedge.test"};
  c.realm = "sipedge.test";
  c.auth.realm = "sipedge.test";
  RouteConfig trunk;
  trunk.name = "pstn";
  trunk.match_prefix = "+";
  trunk.target = RouteTarget::NextHop;
  trunk.next_hops = std::move(trunk_hops);
  trunk.interface = "core";
  c.routes = {trunk};
  c.default_interface = "core";
  c.nat_keepalive_s = 0;
  return c;
}

}  // namespace sipedge::testing
