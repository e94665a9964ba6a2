// tests/apps/config_reload_test.cc — pins apps/config_reload.cc: which differences a reload applies
// live, which need a restart (named with their old and new values), and that applying copies the
// reloadable settings and leaves the restart-only ones.
#include "apps/config_reload.h"

#include <gtest/gtest.h>

namespace sipedge::apps {
namespace {

const std::string kBase =
    "[[interface]]\nname = \"access\"\ndevice = \"net_ring0\"\nrole = \"access\"\nipv4 = \"10.201.0.1/24\"\n"
    "[sip]\ndomains = [\"sipedge.test\"]\n"
    "[[user]]\nname = \"1006\"\npassword = \"a\"\n";

GatewayConfig load(const std::string& extra, const std::string& base = kBase) {
  return load_config_string(base + extra, "test.toml");
}

TEST(ConfigReload, LiveSettingsNeedNoRestart) {
  const GatewayConfig running = load("");
  EXPECT_EQ(restart_only_change(running, load("")), std::nullopt);
  EXPECT_EQ(restart_only_change(running, load("[[user]]\nname = \"1020\"\npassword = \"b\"\n"
                                               "[[route]]\nname = \"r\"\ntarget = \"registered\"\n"
                                               "[auth]\ntrusted = [\"10.202.0.0/24\"]\nmax_failures = 3\n"
                                               "[timers]\nt1_ms = 250\n")),
            std::nullopt);
}

TEST(ConfigReload, RestartOnlySettingsAreNamedWithBothValues) {
  const GatewayConfig running = load("");
  std::string moved = kBase;
  moved.replace(moved.find("10.201.0.1/24"), 13, "10.201.0.9/24");
  EXPECT_EQ(restart_only_change(running, load("", moved)), "interface[0].ipv4: 10.201.0.1/24 -> 10.201.0.9/24");
  EXPECT_EQ(restart_only_change(running, load("[management]\nsocket = \"/tmp/x.sock\"\n")), "management.socket:  -> /tmp/x.sock");
  EXPECT_EQ(restart_only_change(running, load("[[policy.rule]]\nname = \"r\"\npattern = \"x\"\n")), std::nullopt)
      << "signature rules reload live";
  EXPECT_EQ(restart_only_change(running, load("[[interface]]\nname = \"core\"\ndevice = \"net_ring1\"\nrole = \"core\"\n"
                                               "ipv4 = \"10.202.0.1/24\"\n")),
            "interfaces: 1 -> 2");
}

TEST(ConfigReload, ApplyCopiesTheLiveSettingsOnly) {
  GatewayConfig running = load("");
  const GatewayConfig next = load("[[user]]\nname = \"1020\"\npassword = \"b\"\nforward_busy = \"sip:1006@sipedge.test\"\n"
                                  "[[route]]\nname = \"r\"\ntarget = \"registered\"\n"
                                  "[auth]\ntrusted = [\"10.202.0.0/24\"]\nmax_failures = 3\nban_s = 60\n"
                                  "[timers]\nt1_ms = 250\n[sip]\nserver_header = \"\"\nmode = \"b2bua\"\n",
                                  kBase.substr(0, kBase.find("[sip]")));
  apply_reloadable(running, next);
  ASSERT_EQ(running.control.users.size(), 1u);
  EXPECT_EQ(running.control.users[0].name, "1020");
  EXPECT_EQ(running.control.users[0].forward.busy, "sip:1006@sipedge.test");
  ASSERT_EQ(running.control.routes.size(), 1u);
  EXPECT_EQ(running.control.trusted.size(), 1u);
  EXPECT_EQ(running.control.security.lockout.max_failures, 3u);
  EXPECT_EQ(running.control.security.ban_s, 60u);
  EXPECT_EQ(running.control.timers.t1_ms, 250u);
  EXPECT_EQ(running.control.user_agent, "");
  EXPECT_EQ(running.control.default_mode, control::SignallingMode::B2bua);
  EXPECT_EQ(running.control.security.policy_rules.size(), next.control.security.policy_rules.size());
  EXPECT_EQ(running.control.interfaces[0].name, "access");
}

}  // namespace
}  // namespace sipedge::apps
