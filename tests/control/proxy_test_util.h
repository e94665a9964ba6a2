// Shared fixture for the proxy tests: two interfaces (access 10.201.0.1, core 10.202.0.1), users
// 1006/1012, a recording transport, a fake relay, a hand-moved clock.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "control/auth/digest.h"
#include "control/proxy/proxy.h"
#include "parser/headers.h"
#include "parser/scanner_hand.h"

namespace sipedge::control::testing {

struct Sent {
  uint16_t iface;
  Endpoint dest;
  std::string bytes;
};

struct RecordingTransport : SipTransport {
  std::deque<Sent> sent;
  bool refuse = false;  // the wire takes nothing (a full TX queue, no buffers)
  bool transmit(uint16_t iface, const Endpoint& dest, std::string_view bytes) override {
    if (refuse) return false;
    sent.push_back({iface, dest, std::string(bytes)});
    return true;
  }
  Sent pop() {
    EXPECT_FALSE(sent.empty()) << "nothing was sent";
    if (sent.empty()) return {};
    Sent s = sent.front();
    sent.pop_front();
    return s;
  }
};

struct FakeRelay : FlowBackend {
  std::map<Handle, std::pair<End, End>> flows;
  Handle next = 1;
  std::optional<Handle> install(const End& a, const End& b) override {
    flows[next] = {a, b};
    return next++;
  }
  bool update(Handle h, const End& a, const End& b) override {
    flows[h] = {a, b};
    return true;
  }
  void remove(Handle h) override { flows.erase(h); }
  Counters counters(Handle) const override {
    Counters c;
    c.packets[0] = 50;
    c.packets[1] = 40;
    return c;
  }
  size_t size() const override { return flows.size(); }
};

inline const Endpoint kAlice{IpAddr::v4(10, 201, 0, 2), 5060};  // 1006, access side
inline const Endpoint kBob{IpAddr::v4(10, 201, 0, 3), 5060};    // 1012, access side
inline const Endpoint kTrunk{IpAddr::v4(10, 202, 0, 2), 5060};  // core side

inline ControlConfig test_config() {
  ControlConfig c;
  InterfaceConfig access;
  access.name = "access";
  access.index = 0;
  access.role = InterfaceRole::Access;
  access.sip_address = IpAddr::v4(10, 201, 0, 1);
  access.subnet = *IpPrefix::parse("10.201.0.0/24");
  access.media_address = access.sip_address;
  access.media_port_min = 20000;
  access.media_port_max = 20099;
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
  c.auth.algorithms = {DigestAlgorithm::Md5};
  for (const char* u : {"1006", "1012"}) {
    const std::string pw = std::string("pw") + u;
    c.users.push_back(UserConfig{u, UserCredentials{digest_ha1(DigestAlgorithm::Md5, u, "sipedge.test", pw),
                                                    digest_ha1(DigestAlgorithm::Sha256, u, "sipedge.test", pw)}});
  }
  RouteConfig trunk;
  trunk.name = "pstn";
  trunk.match_prefix = "+";
  trunk.target = RouteTarget::NextHop;
  trunk.next_hops = {kTrunk, Endpoint{IpAddr::v4(10, 202, 0, 3), 5060}};
  trunk.interface = "core";
  c.routes = {trunk};
  c.default_interface = "core";
  c.nat_keepalive_s = 0;
  return c;
}

// Value of the first header `name` in a message, "" when absent.
inline std::string header(const std::string& bytes, parser::HeaderId id) {
  parser::Message m;
  if (parser::HandScanner().scan(bytes, parser::Framing::Datagram, m).status != parser::ScanStatus::Complete) return "<unscannable>";
  return std::string(m.value(id));
}

inline std::string first_line(const std::string& bytes) { return bytes.substr(0, bytes.find("\r\n")); }

inline std::string body_of(const std::string& bytes) {
  const size_t at = bytes.find("\r\n\r\n");
  return at == std::string::npos ? "" : bytes.substr(at + 4);
}

}  // namespace sipedge::control::testing
