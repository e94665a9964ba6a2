// tests/control/hep_test.cc — test thread. Pins control/api/hep.cc: the HEPv3 bytes of a captured
// message (checked field by field against the HEP-EEP chunk layout, with an independent decoder
// here), IPv6 addressing, and the exporter: what the proxy receives and sends reaches a UDP
// collector with the right addresses, one datagram each.
#include "control/api/hep.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>

#include "tests/control/proxy_fixture.h"

namespace sipedge::control::testing {
namespace {

// chunk type -> value, from a HEPv3 datagram; empty map when the framing is wrong.
std::map<uint16_t, std::string> decode(const std::string& d) {
  std::map<uint16_t, std::string> out;
  auto u16 = [&](size_t at) { return static_cast<uint16_t>((static_cast<uint8_t>(d[at]) << 8) | static_cast<uint8_t>(d[at + 1])); };
  if (d.size() < 6 || d.compare(0, 4, "HEP3") != 0 || u16(4) != d.size()) return {};
  for (size_t at = 6; at < d.size();) {
    if (at + 6 > d.size() || u16(at) != 0) return {};
    const uint16_t type = u16(at + 2), len = u16(at + 4);
    if (len < 6 || at + len > d.size()) return {};
    out[type] = d.substr(at + 6, len - 6);
    at += len;
  }
  return out;
}

std::string be32(uint32_t v) { return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)}; }

TEST(Hep3, EveryChunkOfAnIpv4Message) {
  const std::string sip = "OPTIONS sip:a SIP/2.0\r\nCall-ID: c1\r\n\r\n";
  const std::string d = hep3_encode(HepPacket{{IpAddr::v4(10, 201, 0, 2), 5061}, {IpAddr::v4(10, 201, 0, 1), 5060},
                                              1'700'000'000'123'456ull, 2001, "secret", "c1", sip});
  const auto c = decode(d);
  ASSERT_FALSE(c.empty()) << "framing";
  EXPECT_EQ(c.at(0x0001), std::string(1, '\x02'));
  EXPECT_EQ(c.at(0x0002), std::string(1, '\x11'));
  EXPECT_EQ(c.at(0x0003), std::string("\x0a\xc9\x00\x02", 4));
  EXPECT_EQ(c.at(0x0004), std::string("\x0a\xc9\x00\x01", 4));
  EXPECT_EQ(c.at(0x0007), std::string("\x13\xc5", 2));
  EXPECT_EQ(c.at(0x0008), std::string("\x13\xc4", 2));
  EXPECT_EQ(c.at(0x0009), be32(1'700'000'000));
  EXPECT_EQ(c.at(0x000a), be32(123'456));
  EXPECT_EQ(c.at(0x000b), std::string(1, '\x01'));
  EXPECT_EQ(c.at(0x000c), be32(2001));
  EXPECT_EQ(c.at(0x000e), "secret");
  EXPECT_EQ(c.at(0x0011), "c1");
  EXPECT_EQ(c.at(0x000f), sip);
  EXPECT_EQ(c.size(), 13u);
  EXPECT_EQ(d.size(), 6 + 13 * 6 + 1 + 1 + 4 + 4 + 2 + 2 + 4 + 4 + 1 + 4 + 6 + 2 + sip.size());
}

TEST(Hep3, Ipv6AddressesAndNoOptionalChunks) {
  const auto c = decode(hep3_encode(HepPacket{{*IpAddr::parse("fd00:201::2"), 5061}, {*IpAddr::parse("fd00:201::1"), 5060},
                                               0, 1, "", "", "x"}));
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c.at(0x0001), std::string(1, '\x0a'));
  EXPECT_EQ(c.at(0x0005).size(), 16u);
  EXPECT_EQ(c.at(0x0006), std::string(reinterpret_cast<const char*>(IpAddr::parse("fd00:201::1")->bytes.data()), 16));
  EXPECT_EQ(c.count(0x0003) + c.count(0x000e) + c.count(0x0011), 0u);
}

class HepExport : public ProxyTest {
 protected:
  void SetUp() override {
    ProxyTest::SetUp();
    collector_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(collector_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(collector_, reinterpret_cast<sockaddr*>(&a), &len);
    timeval tv{1, 0};
    ::setsockopt(collector_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    port_ = ntohs(a.sin_port);
  }
  void TearDown() override { ::close(collector_); }
  std::string next() {
    char buf[70000];
    const ssize_t n = ::recv(collector_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  int collector_ = -1;
  uint16_t port_ = 0;
};

TEST_F(HepExport, WhatTheProxyReceivesAndSendsReachesTheCollector) {
  HepExporter hep(HepConfig{{IpAddr::v4(127, 0, 0, 1), port_}, 7, ""}, config.interfaces);
  ASSERT_TRUE(hep.open()) << hep.error();
  wire.set_tap(&hep);
  const std::string reg = register_request("1006", kAlice, 1, "");
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(reg, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  const Inbound in{m, kAlice, {IpAddr::v4(10, 201, 0, 1), 5060}, 0};
  hep.received(in);
  proxy.on_message(in);
  const auto got_in = decode(next());
  const auto got_out = decode(next());
  ASSERT_FALSE(got_in.empty());
  ASSERT_FALSE(got_out.empty());
  EXPECT_EQ(got_in.at(0x000f), reg);
  EXPECT_EQ(got_in.at(0x0003), std::string("\x0a\xc9\x00\x02", 4));
  EXPECT_EQ(got_in.at(0x0011), "reg-1006");
  EXPECT_EQ(first_line(got_out.at(0x000f)), "SIP/2.0 401 Unauthorized");
  EXPECT_EQ(got_out.at(0x0003), std::string("\x0a\xc9\x00\x01", 4)) << "from the access interface's SIP address";
  EXPECT_EQ(got_out.at(0x0004), std::string("\x0a\xc9\x00\x02", 4));
  EXPECT_EQ(got_out.at(0x0008), std::string("\x13\xc4", 2));
  EXPECT_EQ(got_out.at(0x0011), "reg-1006");
  EXPECT_EQ(got_out.at(0x000c), be32(7));
  EXPECT_EQ(hep.exported(), 2u);
  EXPECT_EQ(hep.dropped(), 0u);
  wire.set_tap(nullptr);
}

// A collector that was down leaves an ICMP port unreachable on the connected socket, reported on the
// next send: that datagram still reaches the collector once it is back.
TEST_F(HepExport, ADatagramAfterTheCollectorWasDownIsNotLost) {
  HepExporter hep(HepConfig{{IpAddr::v4(127, 0, 0, 1), port_}, 7, ""}, config.interfaces);
  ASSERT_TRUE(hep.open()) << hep.error();
  ::close(collector_);
  const std::string bye = "BYE sip:a SIP/2.0\r\nCall-ID: down\r\nContent-Length: 0\r\n\r\n";
  hep.sent(0, kAlice, bye, {});  // nobody listens: refused by ICMP, after the send
  collector_ = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port_);
  ASSERT_EQ(::bind(collector_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{1, 0};
  ::setsockopt(collector_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  hep.sent(0, kAlice, bye, {});
  const auto got = decode(next());
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.at(0x0011), "down");
  EXPECT_EQ(hep.exported(), 2u);
  EXPECT_EQ(hep.dropped(), 0u);
}

}  // namespace
}  // namespace sipedge::control::testing
