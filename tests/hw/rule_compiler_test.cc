// tests/hw/rule_compiler_test.cc — pins hw/rule_compiler: the exact rte_flow items and actions for
// IPv4, IPv6, VLAN retagging and each port variant, read back field by field against literal
// network-order bytes (not against the compiler's own helpers), and which flows are not offloadable.
#include "hw/rule_compiler.h"

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace sipedge::hw {
namespace rule_compiler_test {

const rte_ether_addr kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const rte_ether_addr kGatewayMac{{0x02, 0, 0, 0, 0, 0xfe}};

// A call as the media manager installs it: side 0 faces the access phone, side 1 the core trunk.
relay::FlowSpec v4_call() {
  relay::FlowSpec s;
  s.side[0].port_id = 0;
  s.side[0].local_addr = IpAddr::v4(10, 201, 0, 1);
  s.side[0].local_port = 20000;
  s.side[1].port_id = 1;
  s.side[1].local_addr = IpAddr::v4(10, 202, 0, 1);
  s.side[1].local_port = 30000;
  s.side[1].local_mac = kOurMac;
  s.side[1].next_hop_mac = kGatewayMac;
  return s;
}

const Endpoint kPhone{IpAddr::v4(10, 201, 0, 2), 40000};
const Endpoint kTrunk{IpAddr::v4(10, 202, 0, 2), 6000};

std::vector<rte_flow_item_type> item_types(const CompiledRule& r) {
  std::vector<rte_flow_item_type> t;
  for (const rte_flow_item& i : r.pattern()) t.push_back(i.type);
  return t;
}
std::vector<rte_flow_action_type> action_types(const CompiledRule& r) {
  std::vector<rte_flow_action_type> t;
  for (const rte_flow_action& a : r.actions()) t.push_back(a.type);
  return t;
}
template <class T>
const T& conf(const CompiledRule& r, size_t i) {
  return *static_cast<const T*>(r.actions()[i].conf);
}
std::vector<uint8_t> bytes(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  return {b, b + n};
}

TEST(RuleCompiler, Ipv4WithSetActionsMatchesTheLatchedPeerAndRewritesLikeTheRelay) {
  auto rule = direction_rule(v4_call(), 0, kPhone, kTrunk, 0, 0, 7, 30);
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->in_port, 0);
  EXPECT_EQ(rule->out_port, 1);
  CompiledRule r;
  compile(*rule, RuleVariant{}, r);

  EXPECT_EQ(r.attr().transfer, 1u);
  EXPECT_EQ(r.attr().ingress, 0u);
  using I = std::vector<rte_flow_item_type>;
  EXPECT_EQ(item_types(r), (I{RTE_FLOW_ITEM_TYPE_ETH, RTE_FLOW_ITEM_TYPE_IPV4, RTE_FLOW_ITEM_TYPE_UDP, RTE_FLOW_ITEM_TYPE_END}));
  const auto& ip = *static_cast<const rte_flow_item_ipv4*>(r.pattern()[1].spec);
  const auto& ip_mask = *static_cast<const rte_flow_item_ipv4*>(r.pattern()[1].mask);
  EXPECT_EQ(bytes(&ip.hdr.src_addr, 4), (std::vector<uint8_t>{10, 201, 0, 2}));
  EXPECT_EQ(bytes(&ip.hdr.dst_addr, 4), (std::vector<uint8_t>{10, 201, 0, 1}));
  EXPECT_EQ(ip.hdr.next_proto_id, 17);
  EXPECT_EQ(ip_mask.hdr.src_addr, 0xffffffffu);
  EXPECT_EQ(ip_mask.hdr.dst_addr, 0xffffffffu);
  EXPECT_EQ(ip_mask.hdr.next_proto_id, 0xff);
  EXPECT_EQ(ip_mask.hdr.time_to_live, 0) << "TTL is not matched";
  const auto& udp = *static_cast<const rte_flow_item_udp*>(r.pattern()[2].spec);
  EXPECT_EQ(bytes(&udp.hdr.src_port, 2), (std::vector<uint8_t>{0x9c, 0x40}));  // 40000
  EXPECT_EQ(bytes(&udp.hdr.dst_port, 2), (std::vector<uint8_t>{0x4e, 0x20}));  // 20000

  using A = std::vector<rte_flow_action_type>;
  EXPECT_EQ(action_types(r), (A{RTE_FLOW_ACTION_TYPE_SET_MAC_SRC, RTE_FLOW_ACTION_TYPE_SET_MAC_DST,
                                RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC, RTE_FLOW_ACTION_TYPE_SET_IPV4_DST,
                                RTE_FLOW_ACTION_TYPE_SET_TP_SRC, RTE_FLOW_ACTION_TYPE_SET_TP_DST,
                                RTE_FLOW_ACTION_TYPE_DEC_TTL, RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_AGE,
                                RTE_FLOW_ACTION_TYPE_PORT_ID, RTE_FLOW_ACTION_TYPE_END}));
  EXPECT_EQ(bytes(conf<rte_flow_action_set_mac>(r, 0).mac_addr, 6), (std::vector<uint8_t>{2, 0, 0, 0, 0, 1}));
  EXPECT_EQ(bytes(conf<rte_flow_action_set_mac>(r, 1).mac_addr, 6), (std::vector<uint8_t>{2, 0, 0, 0, 0, 0xfe}));
  EXPECT_EQ(bytes(&conf<rte_flow_action_set_ipv4>(r, 2).ipv4_addr, 4), (std::vector<uint8_t>{10, 202, 0, 1}));
  EXPECT_EQ(bytes(&conf<rte_flow_action_set_ipv4>(r, 3).ipv4_addr, 4), (std::vector<uint8_t>{10, 202, 0, 2}));
  EXPECT_EQ(bytes(&conf<rte_flow_action_set_tp>(r, 4).port, 2), (std::vector<uint8_t>{0x75, 0x30}));  // 30000
  EXPECT_EQ(bytes(&conf<rte_flow_action_set_tp>(r, 5).port, 2), (std::vector<uint8_t>{0x17, 0x70}));  // 6000
  EXPECT_EQ(conf<rte_flow_action_count>(r, 7).id, 7u);
  EXPECT_EQ(conf<rte_flow_action_age>(r, 8).timeout, 30u);
  EXPECT_EQ(conf<rte_flow_action_port_id>(r, 9).id, 1u);
}

TEST(RuleCompiler, TheOtherDirectionOfTheSameFlowIsItsMirror) {
  relay::FlowSpec s = v4_call();
  s.side[0].local_mac = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x02}};
  s.side[0].next_hop_mac = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x22}};
  auto rule = direction_rule(s, 1, kTrunk, kPhone, 0, 0, 8, 30);
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->in_port, 1);
  EXPECT_EQ(rule->out_port, 0);
  EXPECT_EQ(rule->from, kTrunk);
  EXPECT_EQ(rule->to, (Endpoint{IpAddr::v4(10, 202, 0, 1), 30000}));
  EXPECT_EQ(rule->new_src, (Endpoint{IpAddr::v4(10, 201, 0, 1), 20000}));
  EXPECT_EQ(rule->new_dst, kPhone);
  EXPECT_EQ(bytes(rule->src_mac.addr_bytes, 6), (std::vector<uint8_t>{2, 0, 0, 0, 0, 2}));
  EXPECT_EQ(bytes(rule->dst_mac.addr_bytes, 6), (std::vector<uint8_t>{2, 0, 0, 0, 0, 0x22}));
}

TEST(RuleCompiler, Ipv6WithModifyFieldSubtractsOneHopAndPollsTheCounter) {
  relay::FlowSpec s;
  s.side[0].local_addr = *IpAddr::parse("2001:db8:a::1");
  s.side[0].local_port = 20000;
  s.side[1].port_id = 1;
  s.side[1].local_addr = *IpAddr::parse("2001:db8:c::1");
  s.side[1].local_port = 30002;
  s.side[1].local_mac = kOurMac;
  s.side[1].next_hop_mac = kGatewayMac;
  const Endpoint phone{*IpAddr::parse("2001:db8:a::2"), 40000};
  const Endpoint trunk{*IpAddr::parse("2001:db8:c::2"), 6002};
  auto rule = direction_rule(s, 0, phone, trunk, 0, 0, 3, 30);
  ASSERT_TRUE(rule);
  CompiledRule r;
  compile(*rule, RuleVariant{RewriteKind::ModifyField, AgingKind::CountPoll, EgressKind::RepresentedPort, 0}, r);

  using I = std::vector<rte_flow_item_type>;
  EXPECT_EQ(item_types(r), (I{RTE_FLOW_ITEM_TYPE_ETH, RTE_FLOW_ITEM_TYPE_IPV6, RTE_FLOW_ITEM_TYPE_UDP, RTE_FLOW_ITEM_TYPE_END}));
  const auto& ip = *static_cast<const rte_flow_item_ipv6*>(r.pattern()[1].spec);
  const std::vector<uint8_t> phone_bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  EXPECT_EQ(bytes(ip.hdr.src_addr, 16), phone_bytes);
  EXPECT_EQ(ip.hdr.proto, 17);

  using A = std::vector<rte_flow_action_type>;
  const auto M = RTE_FLOW_ACTION_TYPE_MODIFY_FIELD;
  EXPECT_EQ(action_types(r), (A{M, M, M, M, M, M, M, RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT,
                                RTE_FLOW_ACTION_TYPE_END}))
      << "no AGE: control polls the counter";
  const rte_flow_field_id want_fields[] = {RTE_FLOW_FIELD_MAC_SRC,      RTE_FLOW_FIELD_MAC_DST,
                                           RTE_FLOW_FIELD_IPV6_SRC,     RTE_FLOW_FIELD_IPV6_DST,
                                           RTE_FLOW_FIELD_UDP_PORT_SRC, RTE_FLOW_FIELD_UDP_PORT_DST,
                                           RTE_FLOW_FIELD_IPV6_HOPLIMIT};
  const uint32_t want_width[] = {48, 48, 128, 128, 16, 16, 8};
  for (size_t i = 0; i < 7; ++i) {
    const auto& m = conf<rte_flow_action_modify_field>(r, i);
    EXPECT_EQ(m.dst.field, want_fields[i]) << i;
    EXPECT_EQ(m.src.field, RTE_FLOW_FIELD_VALUE) << i;
    EXPECT_EQ(m.width, want_width[i]) << i;
    EXPECT_EQ(m.operation, i == 6 ? RTE_FLOW_MODIFY_SUB : RTE_FLOW_MODIFY_SET) << i;
  }
  const std::vector<uint8_t> trunk_bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  EXPECT_EQ(bytes(conf<rte_flow_action_modify_field>(r, 3).src.value, 16), trunk_bytes);
  EXPECT_EQ(bytes(conf<rte_flow_action_modify_field>(r, 4).src.value, 2), (std::vector<uint8_t>{0x75, 0x32}));  // 30002
  EXPECT_EQ(conf<rte_flow_action_modify_field>(r, 6).src.value[0], 1);
  EXPECT_EQ(conf<rte_flow_action_ethdev>(r, 8).port_id, 1);
}

TEST(RuleCompiler, Ipv4ModifyFieldWritesNetworkOrderValues) {
  auto rule = direction_rule(v4_call(), 0, kPhone, kTrunk, 0, 0, 1, 30);
  ASSERT_TRUE(rule);
  CompiledRule r;
  compile(*rule, RuleVariant{RewriteKind::ModifyField, AgingKind::Age, EgressKind::PortId, 0}, r);
  EXPECT_EQ(conf<rte_flow_action_modify_field>(r, 2).dst.field, RTE_FLOW_FIELD_IPV4_SRC);
  EXPECT_EQ(bytes(conf<rte_flow_action_modify_field>(r, 2).src.value, 4), (std::vector<uint8_t>{10, 202, 0, 1}));
  EXPECT_EQ(bytes(conf<rte_flow_action_modify_field>(r, 3).src.value, 4), (std::vector<uint8_t>{10, 202, 0, 2}));
  EXPECT_EQ(conf<rte_flow_action_modify_field>(r, 6).dst.field, RTE_FLOW_FIELD_IPV4_TTL);
}

TEST(RuleCompiler, VlanTagsAreMatchedAndRetaggedForTheEgressInterface) {
  auto compiled_actions = [](uint16_t in_vlan, uint16_t out_vlan, CompiledRule& r) {
    auto rule = direction_rule(v4_call(), 0, kPhone, kTrunk, in_vlan, out_vlan, 1, 30);
    EXPECT_TRUE(rule);
    compile(*rule, RuleVariant{}, r);
    return action_types(r);
  };
  {  // tagged in, untagged out: matched on its VID, popped
    CompiledRule r;
    const auto actions = compiled_actions(100, 0, r);
    using I = std::vector<rte_flow_item_type>;
    EXPECT_EQ(item_types(r), (I{RTE_FLOW_ITEM_TYPE_ETH, RTE_FLOW_ITEM_TYPE_VLAN, RTE_FLOW_ITEM_TYPE_IPV4,
                                RTE_FLOW_ITEM_TYPE_UDP, RTE_FLOW_ITEM_TYPE_END}));
    const auto& vlan = *static_cast<const rte_flow_item_vlan*>(r.pattern()[1].spec);
    const auto& mask = *static_cast<const rte_flow_item_vlan*>(r.pattern()[1].mask);
    EXPECT_EQ(bytes(&vlan.hdr.vlan_tci, 2), (std::vector<uint8_t>{0x00, 0x64}));
    EXPECT_EQ(bytes(&mask.hdr.vlan_tci, 2), (std::vector<uint8_t>{0x0f, 0xff})) << "priority bits not matched";
    EXPECT_EQ(actions.front(), RTE_FLOW_ACTION_TYPE_OF_POP_VLAN);
  }
  {  // untagged in, tagged out: pushed with its VID
    CompiledRule r;
    const auto actions = compiled_actions(0, 200, r);
    ASSERT_GE(actions.size(), 2u);
    EXPECT_EQ(actions[0], RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN);
    EXPECT_EQ(bytes(&conf<rte_flow_action_of_push_vlan>(r, 0).ethertype, 2), (std::vector<uint8_t>{0x81, 0x00}));
    EXPECT_EQ(actions[1], RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID);
    EXPECT_EQ(bytes(&conf<rte_flow_action_of_set_vlan_vid>(r, 1).vlan_vid, 2), (std::vector<uint8_t>{0x00, 0xc8}));
  }
  {  // another VID: rewritten in place
    CompiledRule r;
    const auto actions = compiled_actions(100, 200, r);
    EXPECT_EQ(actions[0], RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID);
    EXPECT_EQ(actions[1], RTE_FLOW_ACTION_TYPE_SET_MAC_SRC);
  }
  {  // the same VID both ways: the tag stays as it is
    CompiledRule r;
    const auto actions = compiled_actions(100, 100, r);
    EXPECT_EQ(actions[0], RTE_FLOW_ACTION_TYPE_SET_MAC_SRC);
  }
}

TEST(RuleCompiler, HairpinEgressIsAnIngressRuleToThePeeredQueue) {
  auto rule = direction_rule(v4_call(), 0, kPhone, kTrunk, 0, 0, 1, 30);
  ASSERT_TRUE(rule);
  CompiledRule r;
  compile(*rule, RuleVariant{RewriteKind::SetField, AgingKind::Age, EgressKind::HairpinQueue, 5}, r);
  EXPECT_EQ(r.attr().ingress, 1u);
  EXPECT_EQ(r.attr().transfer, 0u);
  const auto actions = action_types(r);
  ASSERT_GE(actions.size(), 2u);
  EXPECT_EQ(actions[actions.size() - 2], RTE_FLOW_ACTION_TYPE_QUEUE);
  EXPECT_EQ(conf<rte_flow_action_queue>(r, actions.size() - 2).index, 5);
}

TEST(RuleCompiler, ARuleCompiledAgainReplacesWhatTheObjectHeld) {
  auto tagged = direction_rule(v4_call(), 0, kPhone, kTrunk, 100, 200, 1, 30);
  auto plain = direction_rule(v4_call(), 0, kPhone, kTrunk, 0, 0, 1, 30);
  ASSERT_TRUE(tagged && plain);
  CompiledRule a, b;
  compile(*tagged, RuleVariant{RewriteKind::ModifyField}, a);
  compile(*plain, RuleVariant{}, a);
  compile(*plain, RuleVariant{}, b);
  EXPECT_EQ(item_types(a), item_types(b));
  EXPECT_EQ(action_types(a), action_types(b));
}

TEST(RuleCompiler, UnknownPeersAndMixedFamiliesStayInSoftware) {
  const relay::FlowSpec s = v4_call();
  EXPECT_EQ(direction_rule(s, 0, Endpoint{}, kTrunk, 0, 0, 1, 30).error(), NotOffloadable::PeerUnknown);
  EXPECT_EQ(direction_rule(s, 0, kPhone, Endpoint{IpAddr::v4(10, 202, 0, 2), 0}, 0, 0, 1, 30).error(),
            NotOffloadable::PeerUnknown);
  EXPECT_EQ(direction_rule(s, 0, Endpoint{IpAddr::v4(0, 0, 0, 0), 40000}, kTrunk, 0, 0, 1, 30).error(),
            NotOffloadable::PeerUnknown);
  const Endpoint v6_trunk{*IpAddr::parse("2001:db8:c::2"), 6000};
  EXPECT_EQ(direction_rule(s, 0, kPhone, v6_trunk, 0, 0, 1, 30).error(), NotOffloadable::FamilyMismatch);
}

}  // namespace rule_compiler_test
}  // namespace sipedge::hw
