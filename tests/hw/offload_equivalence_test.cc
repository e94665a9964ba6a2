// tests/hw/offload_equivalence_test.cc — the offloaded rule does to a packet exactly what the
// software path does: for thousands of random flows and packets (IPv4, IPv6, untagged and 802.1Q on
// either side, RTP and RTCP sizes, checksums present, absent or damaged), the frame an emulated NIC
// produces with the compiled rule is byte-identical to relay_burst's plus the dataplane's egress
// tag (dataplane::fit_vlan), and leaves on the same port. Each rule variant a port may take is run.
#include <random>

#include <gtest/gtest.h>

#include "dataplane/media_relay.h"
#include "hw/rule_compiler.h"
#include "tests/rtp_relay/relay_test_util.h"
#include "tests/support/flow_emulator.h"

namespace sipedge::hw {
namespace {

using relay::test::bytes_of;
using relay::test::mbuf_from;

IpAddr random_addr(std::mt19937& rng, bool v6) {
  IpAddr a;
  a.family = v6 ? IpAddr::Family::V6 : IpAddr::Family::V4;
  for (size_t i = 0; i < (v6 ? 16u : 4u); ++i) a.bytes[i] = static_cast<uint8_t>(rng());
  a.bytes[0] = v6 ? 0x20 : static_cast<uint8_t>(1 + rng() % 223);  // unicast, never 0.0.0.0
  return a;
}
uint16_t random_port(std::mt19937& rng) { return static_cast<uint16_t>(1024 + rng() % 64000); }

// A flow between two random peers through two random relay sockets, side s on DPDK port s, both
// peers known from SDP (strict source), random MACs.
relay::FlowSpec random_spec(std::mt19937& rng, bool v6) {
  relay::FlowSpec spec;
  for (int s = 0; s < 2; ++s) {
    relay::EndpointSpec& e = spec.side[static_cast<size_t>(s)];
    e.port_id = static_cast<uint16_t>(s);
    e.local_addr = random_addr(rng, v6);
    e.local_port = random_port(rng);
    e.remote_addr = random_addr(rng, v6);
    e.remote_port = random_port(rng);
    e.latch = relay::LatchMode::Strict;
    for (uint8_t& b : e.local_mac.addr_bytes) b = static_cast<uint8_t>(rng());
    for (uint8_t& b : e.next_hop_mac.addr_bytes) b = static_cast<uint8_t>(rng());
  }
  return spec;
}

// `bytes` with an 802.1Q tag of `vid` and random priority bits inserted after the MAC addresses.
std::vector<uint8_t> tagged(std::vector<uint8_t> bytes, uint16_t vid, std::mt19937& rng) {
  const uint16_t tci = static_cast<uint16_t>(((rng() % 8) << 13) | vid);
  const uint8_t tag[4] = {0x81, 0x00, static_cast<uint8_t>(tci >> 8), static_cast<uint8_t>(tci)};
  bytes.insert(bytes.begin() + 12, tag, tag + 4);
  return bytes;
}

void run_variant(const RuleVariant& variant, unsigned cases, uint32_t seed) {
  std::mt19937 rng(seed);
  relay::FlowTableConfig cfg;
  cfg.name = relay::test::unique_name("eq");
  cfg.ipv4_flows = cases;
  cfg.ipv6_flows = cases;
  auto table = relay::FlowTable::create(cfg);
  ASSERT_TRUE(table.ok());
  test::FlowEmulator nic(test::FlowCaps::mlx5_like(), cases + 1);
  relay::RelayCounters counters;
  const uint16_t vlans[] = {0, 0, 100, 200};

  for (unsigned n = 0; n < cases; ++n) {
    SCOPED_TRACE("case " + std::to_string(n));
    const bool v6 = rng() % 2;
    const relay::FlowSpec spec = random_spec(rng, v6);
    const uint16_t vlan[2] = {vlans[rng() % 4], vlans[rng() % 4]};
    auto handle = (*table)->add_flow(spec, 1);
    ASSERT_TRUE(handle.ok());
    const int d = static_cast<int>(rng() % 2), e = 1 - d;
    const Endpoint from{spec.side[d].remote_addr, spec.side[d].remote_port};
    const Endpoint to{spec.side[e].remote_addr, spec.side[e].remote_port};
    auto rule = direction_rule(spec, d, from, to, vlan[d], vlan[e], n, 30);
    ASSERT_TRUE(rule.ok());
    CompiledRule compiled;
    compile(*rule, variant, compiled);
    std::string why;
    ASSERT_NE(nic.create(static_cast<uint16_t>(d), compiled.attr(), compiled.pattern().data(), compiled.actions().data(), why),
              nullptr)
        << why;

    relay::test::Udp u;
    u.src = from.ip;
    u.dst = spec.side[d].local_addr;
    u.sport = from.port;
    u.dport = spec.side[d].local_port;
    u.ttl = static_cast<uint8_t>(2 + rng() % 254);
    u.udp_checksum = v6 || rng() % 4 != 0;
    u.payload.resize(rng() % 2 ? 12 + rng() % 160 : 8 + 4 * (rng() % 16));  // RTP or RTCP sizes
    for (uint8_t& b : u.payload) b = static_cast<uint8_t>(rng());
    std::vector<uint8_t> frame = relay::test::frame(u);
    if (rng() % 8 == 0) frame.back() ^= 0x5a;  // a damaged UDP checksum must stay damaged, not be repaired
    if (vlan[d] != 0) frame = tagged(std::move(frame), vlan[d], rng);

    rte_mbuf* sw = mbuf_from(frame, static_cast<uint16_t>(d));
    rte_mbuf* hw = mbuf_from(frame, static_cast<uint16_t>(d));
    ASSERT_TRUE(sw && hw);
    relay::test::Egress out;
    ASSERT_EQ(relay::test::relay_into((*table)->view(), {sw}, out, counters, 2), 1) << "the software path relays it";
    ASSERT_TRUE(dataplane::fit_vlan(sw, vlan[e]));
    const std::optional<uint16_t> egress = nic.apply(static_cast<uint16_t>(d), hw);
    ASSERT_TRUE(egress.has_value()) << "the rule matches the packet it was compiled for";
    EXPECT_EQ(*egress, e);
    EXPECT_EQ(out.count(static_cast<uint16_t>(e)), 1);
    EXPECT_EQ(bytes_of(hw), bytes_of(sw));
    rte_pktmbuf_free(hw);
    out.free_all();
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_EQ(nic.rules(), cases);
}

TEST(OffloadEquivalence, SetActionsAgeAndPortIdMatchTheSoftwareRelayByteForByte) {
  run_variant(RuleVariant{RewriteKind::SetField, AgingKind::Age, EgressKind::PortId, 0}, 2000, 1);
}

TEST(OffloadEquivalence, ModifyFieldCountPollingAndRepresentedPortMatchTheSoftwareRelayByteForByte) {
  run_variant(RuleVariant{RewriteKind::ModifyField, AgingKind::CountPoll, EgressKind::RepresentedPort, 0}, 2000, 2);
}

// A rule matches only its own latched source: another source or port to the same relay socket is
// left to the software path (which refuses it as StrictSource), and the rule's counter sees only
// what it carried.
TEST(OffloadEquivalence, OnlyTheLatchedSourceIsCarriedAndCounted) {
  std::mt19937 rng(3);
  const relay::FlowSpec spec = random_spec(rng, false);
  const Endpoint from{spec.side[0].remote_addr, spec.side[0].remote_port};
  auto rule = direction_rule(spec, 0, from, Endpoint{spec.side[1].remote_addr, spec.side[1].remote_port}, 0, 0, 9, 30);
  ASSERT_TRUE(rule.ok());
  CompiledRule compiled;
  compile(*rule, RuleVariant{}, compiled);
  test::FlowEmulator nic(test::FlowCaps::mlx5_like());
  std::string why;
  rte_flow* installed = nic.create(0, compiled.attr(), compiled.pattern().data(), compiled.actions().data(), why);
  ASSERT_NE(installed, nullptr) << why;

  relay::test::Udp u;
  u.src = from.ip;
  u.dst = spec.side[0].local_addr;
  u.sport = from.port;
  u.dport = spec.side[0].local_port;
  relay::test::Udp other_port = u, other_host = u;
  other_port.sport = static_cast<uint16_t>(u.sport + 1);
  other_host.src.bytes[3] ^= 1;
  for (const relay::test::Udp& p : {u, other_port, other_host, u}) {
    rte_mbuf* m = mbuf_from(relay::test::frame(p), 0);
    const bool carried = nic.apply(0, m).has_value();
    EXPECT_EQ(carried, &p == &u || (p.sport == u.sport && p.src == u.src));
    rte_pktmbuf_free(m);
  }
  uint64_t packets = 0, bytes = 0;
  ASSERT_EQ(nic.query_count(0, installed, packets, bytes, why), 0) << why;
  EXPECT_EQ(packets, 2u);
  EXPECT_EQ(bytes, 2 * relay::test::frame(u).size());
  ASSERT_EQ(nic.destroy(0, installed, why), 0);
  EXPECT_EQ(nic.rules(), 0u);
}

}  // namespace
}  // namespace sipedge::hw
