// tests/support/dataplane_config.h — test support, startup/test thread, pure. The dataplane of the
// lab the runtime tests and benchmarks open on two in-process ports: access 10.201.0.1/24 +
// fd00:201::1/64 (gateway 10.201.0.254), core 10.202.0.1/24 + fd00:202::1/64, SIP on 5060, media
// 20000..20099, small pools (a test's traffic is a handful of frames).
#pragma once

#include <string>

#include "dataplane/dataplane.h"

namespace sipedge::dataplane::test {

inline DataplaneConfig lab_dataplane_config(const std::string& acc, const std::string& core) {
  DataplaneConfig cfg;
  PortConfig a;
  a.device = acc;
  a.role = PortRole::Access;
  a.ipv4 = IpPrefix::parse("10.201.0.1/24");
  a.ipv6 = IpPrefix::parse("fd00:201::1/64");
  a.gateway4 = IpAddr::parse("10.201.0.254");
  PortConfig c;
  c.device = core;
  c.role = PortRole::Core;
  c.ipv4 = IpPrefix::parse("10.202.0.1/24");
  c.ipv6 = IpPrefix::parse("fd00:202::1/64");
  cfg.ports = {a, c};
  cfg.sip_ports = {5060};
  cfg.media_port_min = 20000;
  cfg.media_port_max = 20099;
  cfg.mbufs = 2047;
  cfg.jumbo_mbufs = 7;
  cfg.sip_items = 63;
  cfg.neighbour_hold_packets = 4;
  return cfg;
}

}  // namespace sipedge::dataplane::test
