// Pins apps/config_loader.cc: the shipped dev config loads, and every mistake names file:line:col
// and what was expected.
#include "apps/config_loader.h"

#include <gtest/gtest.h>

namespace sipedge::apps {
namespace {

std::string error_of(const std::string& toml) {
  try {
    load_config_string(toml, "test.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kMinimal =
    "[[interface]]\nname = \"access\"\ndevice = \"net_ring0\"\nrole = \"access\"\nipv4 = \"10.201.0.1/24\"\n";

TEST(ConfigLoader, BareMetalExampleLoadsWithOffloadRequired) {
  const GatewayConfig c = load_config_file(std::string(SIPEDGE_TEST_DATA_DIR) + "/../../config/baremetal.toml");
  ASSERT_EQ(c.dataplane.ports.size(), 2u);
  EXPECT_EQ(c.dataplane.ports[0].device, "0000:3b:00.0");
  EXPECT_EQ(c.dataplane.eal.no_huge, false);
  EXPECT_EQ(c.dataplane.eal.worker_lcores.size(), 3u);
  EXPECT_EQ(c.dataplane.eal.shard_lcores, std::vector<unsigned>{8});
  EXPECT_EQ(c.offload, hw::OffloadMode::Required);
  EXPECT_EQ(c.max_media_rules, 524288u);
  EXPECT_EQ(c.rule_insert_rate, 20000u);
  EXPECT_EQ(c.control.default_mode, control::SignallingMode::Proxy);
  ASSERT_EQ(c.control.routes.size(), 1u);
  EXPECT_EQ(c.control.routes[0].mode, control::SignallingMode::B2bua);
}

TEST(ConfigLoader, DevConfigLoadsBothPlanes) {
  const GatewayConfig c = load_config_file(std::string(SIPEDGE_TEST_DATA_DIR) + "/../../config/dev.toml");
  ASSERT_EQ(c.dataplane.ports.size(), 2u);
  EXPECT_EQ(c.dataplane.ports[0].device, "net_af_packet0");
  EXPECT_TRUE(c.dataplane.eal.worker_lcores.empty());
  EXPECT_EQ(c.dataplane.eal.no_huge, true);
  ASSERT_EQ(c.control.interfaces.size(), 2u);
  EXPECT_EQ(c.control.interfaces[1].name, "core");
  EXPECT_EQ(c.control.interfaces[1].role, control::InterfaceRole::Core);
  EXPECT_EQ(c.control.interfaces[1].sip_address, IpAddr::v4(10, 202, 0, 1));
  EXPECT_EQ(c.control.interfaces[0].media_port_min, 20000);
  EXPECT_EQ(c.dataplane.media_port_min, 20000);
  EXPECT_EQ(c.dataplane.media_port_max, 30999);
  EXPECT_EQ(c.control.domains, std::vector<std::string>{"sipedge.test"});
  ASSERT_EQ(c.control.users.size(), 2u);
  EXPECT_EQ(c.control.users[0].credentials.ha1_md5,
            control::digest_ha1(control::DigestAlgorithm::Md5, "1006", "sipedge.test", "sipedge-1006"));
  ASSERT_EQ(c.control.routes.size(), 1u);
  EXPECT_EQ(c.control.routes[0].next_hops[0], (Endpoint{IpAddr::v4(10, 202, 0, 2), 5060}));
  EXPECT_EQ(c.control.auth.algorithms, std::vector<control::DigestAlgorithm>{control::DigestAlgorithm::Md5});
  EXPECT_TRUE(c.control.trusted[0].contains(IpAddr::v4(10, 202, 0, 77)));
}

// Control shards (README "Control shards"): each on an lcore of its own.
TEST(ConfigLoader, ShardLcoresAreNeitherTheMainLcoreNorAWorkersNorRepeated) {
  EXPECT_EQ(error_of("[eal]\nmain_lcore = 0\nworker_lcores = [1, 2]\nshard_lcores = [3, 2]\n" + kMinimal),
            "test.toml:4:16: eal.shard_lcores: lcore 2 is already the main lcore, a worker or another shard");
  EXPECT_EQ(error_of("[eal]\nshard_lcores = [0]\n" + kMinimal),
            "test.toml:2:16: eal.shard_lcores: lcore 0 is already the main lcore, a worker or another shard");
  EXPECT_EQ(error_of("[eal]\nshard_lcores = [4, 4]\n" + kMinimal),
            "test.toml:2:16: eal.shard_lcores: lcore 4 is already the main lcore, a worker or another shard");
  const GatewayConfig c = load_config_string("[eal]\nworker_lcores = [1]\nshard_lcores = [2, 3]\n" + kMinimal, "test.toml");
  EXPECT_EQ(c.dataplane.eal.shard_lcores, (std::vector<unsigned>{2, 3}));
}

TEST(ConfigLoader, UnknownKeysAreErrorsWithTheirPosition) {
  EXPECT_EQ(error_of(kMinimal + "[sip]\ndomain = [\"x\"]\n"),
            "test.toml:7:10: unknown key 'domain' in [sip] (expected one of: domains, server_header, user_agent, "
            "default_interface, forward_max_depth, max_redirects, session_expires_s, min_se_s, overload_wait_ms, "
            "overload_action, mode)");
  EXPECT_EQ(error_of("[eal]\nmain_lcore = 0\nhugepages = 3\n" + kMinimal).substr(0, 33), "test.toml:3:13: unknown key 'huge");
}

TEST(ConfigLoader, BadValuesSayWhatWasExpected) {
  EXPECT_EQ(error_of("[[interface]]\nname = \"a\"\ndevice = \"d\"\nrole = \"edge\"\nipv4 = \"10.0.0.1/24\"\n"),
            "test.toml:4:8: interface[0].role: expected \"access\" or \"core\", got \"edge\"");
  EXPECT_EQ(error_of("[[interface]]\nname = \"a\"\ndevice = \"d\"\nipv4 = \"10.0.0.1\"\n"),
            "test.toml:4:8: interface[0].ipv4: expected an IPv4 address with prefix length, like \"10.201.0.1/24\", got "
            "\"10.0.0.1\"");
  EXPECT_EQ(error_of(kMinimal + "[timers]\nt1_ms = \"fast\"\n"), "test.toml:7:9: timers.t1_ms: expected an integer");
  EXPECT_EQ(error_of(kMinimal + "[timers]\nt1_ms = 5\n"),
            "test.toml:7:9: timers.t1_ms: expected an integer in [10, 60000], got 5");
  EXPECT_EQ(error_of(kMinimal + "[[route]]\nname = \"r\"\ntarget = \"next_hop\"\nnext_hops = [\"10.0.0.1:99999\"]\n"
                                "interface = \"access\"\n"),
            "test.toml:9:13: route 'r'.next_hops: expected \"address:port\", got \"10.0.0.1:99999\"");
  EXPECT_EQ(error_of(kMinimal + "[[user]]\nname = \"u\"\n"), "test.toml:6:1: user 'u': needs password, ha1_md5 or ha1_sha256");
  EXPECT_EQ(error_of("[sip]\n"), "test.toml: no [[interface]]: at least one interface is required");
  EXPECT_EQ(error_of(kMinimal + "[auth]\nalgorithms = [\"SHA-1\"]\n"),
            "test.toml:7:14: auth.algorithms: expected \"SHA-256\" and/or \"MD5\", got \"SHA-1\"");
}

TEST(ConfigLoader, MediaAddressesAddRelayAddressesOnTheSubnet) {
  const GatewayConfig c =
      load_config_string(kMinimal + "media_addresses = [\"10.201.0.10-10.201.0.12\", \"10.201.0.200\"]\n", "test.toml");
  EXPECT_EQ(c.control.interfaces[0].media_address, IpAddr::v4(10, 201, 0, 1));
  EXPECT_EQ(c.control.interfaces[0].extra_media_addresses,
            (std::vector<IpAddr>{IpAddr::v4(10, 201, 0, 10), IpAddr::v4(10, 201, 0, 11), IpAddr::v4(10, 201, 0, 12),
                                 IpAddr::v4(10, 201, 0, 200)}));
  EXPECT_EQ(c.dataplane.ports[0].extra_ipv4,
            (std::vector<std::pair<uint32_t, uint32_t>>{{0x0ac9000a, 0x0ac9000c}, {0x0ac900c8, 0x0ac900c8}}));

  EXPECT_EQ(error_of(kMinimal + "media_addresses = [\"10.202.0.10\"]\n"),
            "test.toml:6:19: interface[0].media_addresses: \"10.202.0.10\" is not on the interface's subnet 10.201.0.1/24");
  EXPECT_EQ(error_of(kMinimal + "media_addresses = [\"10.201.0.12-10.201.0.10\"]\n"),
            "test.toml:6:19: interface[0].media_addresses: range \"10.201.0.12-10.201.0.10\" ends before it starts");
  EXPECT_EQ(error_of(kMinimal + "media_addresses = [\"10.201.0.10-10.201.0.12\", \"10.201.0.11\"]\n"),
            "test.toml:6:19: interface[0].media_addresses: 10.201.0.11 is named twice (or is the interface's own address)");
  EXPECT_EQ(error_of(kMinimal + "media_addresses = [\"10.201.0.1\"]\n"),
            "test.toml:6:19: interface[0].media_addresses: 10.201.0.1 is named twice (or is the interface's own address)");
  EXPECT_EQ(error_of(kMinimal + "media_addresses = [\"fd00::5\"]\n"),
            "test.toml:6:19: interface[0].media_addresses: expected an IPv4 address or range like "
            "\"10.201.0.10-10.201.0.73\", got \"fd00::5\"");
  EXPECT_EQ(error_of(kMinimal + "media_addresses = [\"10.201.0.0-10.201.0.255\", \"10.201.0.2\"]\n").substr(0, 62),
            "test.toml:6:19: interface[0].media_addresses: 10.201.0.1 is na");
}

TEST(ConfigLoader, ForwardingRedirectAndSessionTimerSettings) {
  const GatewayConfig c = load_config_string(
      kMinimal + "[sip]\nsession_expires_s = 1800\nmin_se_s = 120\nforward_max_depth = 3\n"
                 "[[user]]\nname = \"1012\"\npassword = \"p\"\nforward_busy = \"sip:1013@sipedge.test\"\n"
                 "forward_no_answer = \"sip:+4930123@sipedge.test\"\nforward_no_answer_s = 15\n"
                 "[[route]]\nname = \"pstn\"\ntarget = \"next_hop\"\nnext_hops = [\"10.201.0.9:5060\"]\n"
                 "interface = \"access\"\nredirect = \"pass\"\nhistory_info = true\n",
      "test.toml");
  EXPECT_EQ(c.control.session_expires_s, 1800u);
  EXPECT_EQ(c.control.min_se_s, 120u);
  EXPECT_EQ(c.control.forward_max_depth, 3u);
  ASSERT_EQ(c.control.users.size(), 1u);
  EXPECT_EQ(c.control.users[0].forward.busy, "sip:1013@sipedge.test");
  EXPECT_EQ(c.control.users[0].forward.no_answer, "sip:+4930123@sipedge.test");
  EXPECT_EQ(c.control.users[0].forward.no_answer_s, 15u);
  EXPECT_EQ(c.control.users[0].forward.unconditional, "");
  ASSERT_EQ(c.control.routes.size(), 1u);
  EXPECT_EQ(c.control.routes[0].redirect, control::RouteConfig::Redirect::Pass);
  EXPECT_TRUE(c.control.routes[0].history_info);

  EXPECT_EQ(error_of(kMinimal + "[[user]]\nname = \"1012\"\npassword = \"p\"\nforward_busy = \"1013\"\n"),
            "test.toml:9:16: user '1012'.forward_busy: expected a SIP URI like \"sip:1013@example.com\", got \"1013\"");
  EXPECT_EQ(error_of(kMinimal + "[sip]\nsession_expires_s = 60\n"),
            "test.toml:7:21: sip.session_expires_s: expected 0 (off) or at least min_se_s (90)");
  EXPECT_EQ(error_of(kMinimal + "[[route]]\nname = \"r\"\ntarget = \"registered\"\nredirect = \"follow\"\n"),
            "test.toml:9:12: route 'r'.redirect: expected \"recurse\" or \"pass\", got \"follow\"");
}

TEST(ConfigLoader, SignallingModeAndTheB2buaHeaderPolicy) {
  const GatewayConfig dflt = load_config_string(kMinimal, "test.toml");
  EXPECT_EQ(dflt.control.default_mode, control::SignallingMode::Proxy);
  const GatewayConfig c = load_config_string(
      kMinimal + "[sip]\nmode = \"b2bua\"\n[[route]]\nname = \"peering\"\ntarget = \"registered\"\nmode = \"proxy\"\n"
                 "[[route]]\nname = \"ic\"\ntarget = \"registered\"\nmode = \"b2bua\"\n"
                 "hide_headers = [\"X-Internal\"]\npass_headers = [\"P-Asserted-Identity\", \"Alert-Info\"]\n",
      "test.toml");
  EXPECT_EQ(c.control.default_mode, control::SignallingMode::B2bua);
  ASSERT_EQ(c.control.routes.size(), 2u);
  EXPECT_EQ(dflt.control.routes.size(), 0u);
  EXPECT_EQ(c.control.routes[0].mode, control::SignallingMode::Proxy);
  EXPECT_EQ(c.control.routes[1].mode, control::SignallingMode::B2bua);
  EXPECT_EQ(c.control.routes[1].hide_headers, std::vector<std::string>{"x-internal"});
  EXPECT_EQ(c.control.routes[1].pass_headers, (std::vector<std::string>{"p-asserted-identity", "alert-info"}));

  EXPECT_EQ(error_of(kMinimal + "[sip]\nmode = \"sbc\"\n"), "test.toml:7:8: sip.mode: expected \"proxy\" or \"b2bua\", got \"sbc\"");
  EXPECT_EQ(error_of(kMinimal + "[[route]]\nname = \"r\"\ntarget = \"registered\"\npass_headers = [\"Via\"]\n"),
            "test.toml:9:16: route 'r'.pass_headers: via is rebuilt on each leg in b2bua mode and never passes across");
  EXPECT_EQ(error_of(kMinimal + "[[route]]\nname = \"r\"\ntarget = \"registered\"\nhide_headers = [\"X Bad\"]\n"),
            "test.toml:9:16: route 'r'.hide_headers: expected header names, got \"x bad\"");
}

TEST(ConfigLoader, OverloadWaitIsOnByDefaultAndCanBeTurnedOff) {
  EXPECT_EQ(load_config_string(kMinimal, "test.toml").overload_wait_ms, 200u);
  EXPECT_EQ(load_config_string(kMinimal + "[sip]\noverload_wait_ms = 0\n", "test.toml").overload_wait_ms, 0u);
  EXPECT_EQ(error_of(kMinimal + "[sip]\noverload_wait_ms = -1\n"),
            "test.toml:7:20: sip.overload_wait_ms: expected an integer in [0, 10000], got -1");
}

TEST(ConfigLoader, IdleBackoffPhasesAreMicroseconds) {
  const dataplane::IdleBackoffConfig defaults = load_config_string(kMinimal, "test.toml").dataplane.idle;
  EXPECT_TRUE(defaults.enabled);
  EXPECT_EQ(defaults.spin_us, 20u);
  EXPECT_EQ(defaults.pause_us, 50u);
  EXPECT_EQ(defaults.sleep_max_us, 100u);
  const dataplane::IdleBackoffConfig set =
      load_config_string(kMinimal + "[dataplane]\nspin_us = 0\npause_us = 500\nsleep_max_us = 1000\n", "test.toml").dataplane.idle;
  EXPECT_EQ(set.spin_us, 0u);
  EXPECT_EQ(set.pause_us, 500u);
  EXPECT_EQ(set.sleep_max_us, 1000u);
  EXPECT_EQ(error_of(kMinimal + "[dataplane]\npause_us = 200000\n"),
            "test.toml:7:12: dataplane.pause_us: expected an integer in [0, 100000], got 200000");
}

TEST(ConfigLoader, ChecksumOffloadIsOnUnlessAnInterfaceSaysNo) {
  EXPECT_TRUE(load_config_string(kMinimal, "test.toml").dataplane.ports[0].checksum_offload);
  EXPECT_FALSE(load_config_string(kMinimal + "checksum_offload = false\n", "test.toml").dataplane.ports[0].checksum_offload);
  EXPECT_EQ(error_of(kMinimal + "checksum_offload = \"no\"\n"),
            "test.toml:6:20: interface[0].checksum_offload: expected true or false");
}

TEST(ConfigLoader, ServerHeaderCanBeHiddenAndKeepsItsOlderName) {
  EXPECT_EQ(load_config_string(kMinimal, "test.toml").control.user_agent, "sipedge");
  EXPECT_EQ(load_config_string(kMinimal + "[sip]\nserver_header = \"\"\n", "test.toml").control.user_agent, "");
  EXPECT_EQ(load_config_string(kMinimal + "[sip]\nuser_agent = \"edge\"\n", "test.toml").control.user_agent, "edge");
  EXPECT_EQ(error_of(kMinimal + "[sip]\nserver_header = \"\"\nuser_agent = \"x\"\n"),
            "test.toml:8:14: sip.user_agent: is server_header's older name; give one of them, not both");
}

TEST(ConfigLoader, EdgeSecurityDefaultsAreOnAndEverySettingIsRead) {
  const GatewayConfig d = load_config_string(kMinimal, "test.toml");
  const control::SecurityConfig& sec = d.control.security;
  EXPECT_TRUE(sec.lockout.enabled);
  EXPECT_EQ(sec.lockout.max_failures, 10u);
  EXPECT_EQ(sec.lockout.failure_window_s, 60u);
  EXPECT_EQ(sec.ban_s, 300u);
  EXPECT_EQ(sec.ban_max_s, 86400u);
  EXPECT_EQ(d.control.interfaces[0].rate_limit.per_s, 0u);
  ASSERT_EQ(sec.policy_rules.size(), 4u) << "the scanner signatures are on by default";
  EXPECT_EQ(sec.policy_rules[0].name, "ua-friendly-scanner");
  EXPECT_EQ(sec.policy_rules[0].action, parser::PolicyAction::Drop);

  const GatewayConfig c = load_config_string(
      "[[interface]]\nname = \"access\"\ndevice = \"net_ring0\"\nrole = \"access\"\nipv4 = \"10.201.0.1/24\"\n"
      "rate_limit = 20\nrate_burst = 40\n"
      "[auth]\nmax_failures = 5\nfailure_window_s = 30\nuser_max_failures = 3\nuser_throttle_s = 90\nban_s = 60\n"
      "ban_max_s = 3600\ntrusted_rate_limit = 500\n"
      "[policy]\ndefault_action = \"ban\"\n"
      "[[policy.rule]]\nname = \"no-pbx-probes\"\nheader = \"To\"\npattern = \"sip:100@\"\naction = \"tag\"\n"
      "[[policy.rule]]\nname = \"start-line\"\npattern = \"^OPTIONS sip:[0-9]+@\"\ncaseless = false\n",
      "test.toml");
  EXPECT_EQ(c.control.interfaces[0].rate_limit.per_s, 20u);
  EXPECT_EQ(c.control.interfaces[0].rate_limit.burst, 40u);
  EXPECT_EQ(c.control.security.lockout.max_failures, 5u);
  EXPECT_EQ(c.control.security.lockout.failure_window_s, 30u);
  EXPECT_EQ(c.control.security.lockout.user_max_failures, 3u);
  EXPECT_EQ(c.control.security.lockout.user_throttle_s, 90u);
  EXPECT_EQ(c.control.security.ban_s, 60u);
  EXPECT_EQ(c.control.security.ban_max_s, 3600u);
  EXPECT_EQ(c.control.security.trusted_rate.per_s, 500u);
  const auto& rules = c.control.security.policy_rules;
  ASSERT_EQ(rules.size(), 6u);
  EXPECT_EQ(rules[3].action, parser::PolicyAction::Ban);
  EXPECT_EQ(rules[4].id, 5u);
  EXPECT_EQ(rules[4].name, "no-pbx-probes");
  EXPECT_EQ(rules[4].header, "To");
  EXPECT_EQ(rules[4].action, parser::PolicyAction::Tag);
  EXPECT_EQ(rules[5].id, 6u);
  EXPECT_EQ(rules[5].action, parser::PolicyAction::Drop);
  EXPECT_FALSE(rules[5].caseless);

  EXPECT_EQ(load_config_string(kMinimal + "[policy]\ndefault_rules = false\n", "test.toml").control.security.policy_rules.size(), 0u);
  EXPECT_FALSE(load_config_string(kMinimal + "[auth]\nlockout = false\n", "test.toml").control.security.lockout.enabled);
  EXPECT_FALSE(sec.overload_drop);
  EXPECT_TRUE(load_config_string(kMinimal + "[sip]\noverload_action = \"drop\"\n", "test.toml").control.security.overload_drop);
  EXPECT_EQ(error_of(kMinimal + "[sip]\noverload_action = \"ignore\"\n"),
            "test.toml:7:19: sip.overload_action: expected \"reply\" (503 + Retry-After) or \"drop\", got \"ignore\"");
  const GatewayConfig h = load_config_string(kMinimal + "[hw]\ndrop_rules = false\nmax_drop_rules = 10\n", "test.toml");
  EXPECT_FALSE(h.nic_drop_rules);
  EXPECT_EQ(h.max_drop_rules, 10u);
  EXPECT_TRUE(d.nic_drop_rules);
}

TEST(ConfigLoader, MediaOffloadModeAndRuleLimit) {
  const GatewayConfig d = load_config_string(kMinimal, "test.toml");
  EXPECT_EQ(d.offload, hw::OffloadMode::Auto);
  EXPECT_EQ(d.max_media_rules, 65536u);
  const GatewayConfig r = load_config_string(kMinimal + "[hw]\noffload = \"required\"\nmax_rules = 2000\n", "test.toml");
  EXPECT_EQ(r.offload, hw::OffloadMode::Required);
  EXPECT_EQ(r.max_media_rules, 2000u);
  EXPECT_EQ(r.rule_insert_rate, 8000u);
  EXPECT_EQ(load_config_string(kMinimal + "[hw]\ninsert_rate = 50000\n", "test.toml").rule_insert_rate, 50000u);
  EXPECT_EQ(load_config_string(kMinimal + "[hw]\noffload = \"off\"\n", "test.toml").offload, hw::OffloadMode::Off);
  EXPECT_EQ(error_of(kMinimal + "[hw]\noffload = \"always\"\n"),
            "test.toml:7:11: hw.offload: expected \"auto\", \"off\" or \"required\", got \"always\"");
}

TEST(ConfigLoader, LogLevelsPerComponentAndRate) {
  const GatewayConfig d = load_config_string(kMinimal, "test.toml");
  EXPECT_EQ(d.log_level, spdlog::level::info);
  EXPECT_EQ(d.log_lines_per_s, 200u);
  const GatewayConfig c = load_config_string(
      kMinimal + "[log]\nlevel = \"warn\"\nlines_per_s = 50\ncomponents = { security = \"debug\", hw = \"error\" }\n", "test.toml");
  EXPECT_EQ(c.log_level, spdlog::level::warn);
  EXPECT_EQ(c.log_lines_per_s, 50u);
  EXPECT_EQ(c.log_components.at("security"), spdlog::level::debug);
  EXPECT_EQ(c.log_components.at("hw"), spdlog::level::err);
  EXPECT_EQ(error_of(kMinimal + "[log]\nlevel = \"loud\"\n"),
            "test.toml:7:9: log.level: expected trace, debug, info, warn, error, critical or off");
  EXPECT_EQ(error_of(kMinimal + "[log]\ncomponents = { media = \"debug\" }\n"),
            "test.toml:7:24: log.components: no component 'media' (main, sip, security, overload, hw, ops)");
}

TEST(ConfigLoader, UserMayBeGrantedOtherAors) {
  const GatewayConfig c = load_config_string(kMinimal + "[[user]]\nname = \"1006\"\npassword = \"p\"\nregister_for = [\"1020\", \"1021\"]\n", "test.toml");
  EXPECT_EQ(c.control.users[0].register_for, (std::vector<std::string>{"1020", "1021"}));
}

TEST(ConfigLoader, BadPolicyRulesAreReportedAtTheirTable) {
  EXPECT_EQ(error_of(kMinimal + "[[policy.rule]]\nname = \"broken\"\npattern = \"(unclosed\"\n"),
            "test.toml:6:1: policy.rule 'broken': Missing close parenthesis for group started at index 0.");
  EXPECT_EQ(error_of(kMinimal + "[[policy.rule]]\nname = \"r\"\npattern = \"x\"\naction = \"block\"\n"),
            "test.toml:9:10: policy.rule.action: expected \"drop\", \"ban\" or \"tag\", got \"block\"");
  EXPECT_EQ(error_of(kMinimal + "[[policy.rule]]\nname = \"ua-sipcli\"\npattern = \"x\"\n"),
            "test.toml:7:8: policy.rule.name: 'ua-sipcli' is used twice");
  EXPECT_EQ(error_of(kMinimal + "[[policy.rule]]\nname = \"r\"\n"), "test.toml:6:1: missing required key 'pattern' in policy.rule");
  EXPECT_EQ(error_of(kMinimal + "[auth]\nban_s = 600\nban_max_s = 60\n"),
            "test.toml:8:13: auth.ban_max_s: expected an integer in [600, 31536000], got 60");
}

TEST(ConfigLoader, SyntaxErrorsKeepTomlsWords) {
  const std::string e = error_of("[eal\n");
  EXPECT_EQ(e.rfind("test.toml:1:", 0), 0u) << e;
}

TEST(ConfigLoader, MissingFileIsReported) {
  try {
    load_config_file("/nonexistent/sipedge.toml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/sipedge.toml: cannot read the file");
  }
}

}  // namespace
}  // namespace sipedge::apps
