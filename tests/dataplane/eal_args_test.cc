// tests/dataplane/eal_args_test.cc — EAL command line built from EalConfig (pure).
#include <gtest/gtest.h>

#include "dataplane/eal.h"
#include "tests/support/dataplane_fixture.h"

namespace sipedge::dataplane::test {
namespace {

TEST(EalArgs, BuildsLcoresMemoryPrefixVdevsAndAllowList) {
  EalConfig cfg;
  cfg.main_lcore = 0;
  cfg.worker_lcores = {1, 3};
  cfg.shard_lcores = {5};  // a second control shard
  cfg.memory_mb = 256;
  cfg.no_huge = true;
  cfg.file_prefix = "edge1";
  cfg.vdevs = {"net_af_packet0,iface=sipacc-gw", "net_tap0,iface=exc0"};
  cfg.pci_allow = {"0000:03:00.0"};
  cfg.log_level = "error";
  std::vector<std::string> want{"sipedge", "-l", "0,1,3,5", "--main-lcore", "0", "--no-huge", "-m", "256",
                                "--file-prefix=edge1",
                                "--vdev=net_af_packet0,iface=sipacc-gw,blocksz=16384,framesz=16384,framecnt=512",
                                "--vdev=net_tap0,iface=exc0", "-a", "0000:03:00.0", "--log-level=error"};
  EXPECT_EQ(eal_args(cfg), want);
}

// The kernel reassembles fragmented datagrams for net_af_packet and cuts them at the frame size
// (eal.h): sipedge gives its af_packet ports 16 KiB frames unless the operator chose a size.
TEST(EalArgs, AfPacketPortsGetLargeFramesUnlessFrameSizeIsGiven) {
  EXPECT_EQ(with_af_packet_frames("net_af_packet1,iface=x,qpairs=2"),
            "net_af_packet1,iface=x,qpairs=2,blocksz=16384,framesz=16384,framecnt=512");
  EXPECT_EQ(with_af_packet_frames("eth_af_packet0,iface=x"), "eth_af_packet0,iface=x,blocksz=16384,framesz=16384,framecnt=512");
  EXPECT_EQ(with_af_packet_frames("net_af_packet0,iface=x,framesz=4096,blocksz=4096"),
            "net_af_packet0,iface=x,framesz=4096,blocksz=4096");
  EXPECT_EQ(with_af_packet_frames("net_tap0,iface=x"), "net_tap0,iface=x");
}

TEST(EalArgs, UsesNoShconfForInMemoryWithoutHugepages) {
  EalConfig cfg;
  cfg.no_huge = true;
  cfg.in_memory = true;
  std::vector<std::string> want{"sipedge", "-l", "0", "--main-lcore", "0", "--no-huge", "-m", "512",
                                "--no-shconf", "--file-prefix=sipedge"};
  EXPECT_EQ(eal_args(cfg), want);
}

TEST(EalArgs, OmitsNoHugeWhenHugepagesAreConfigured) {
  EalConfig cfg;
  cfg.no_huge = false;
  cfg.in_memory = true;
  cfg.no_pci = true;
  std::vector<std::string> want{"sipedge", "-l", "0", "--main-lcore", "0", "-m", "512", "--no-pci",
                                "--in-memory", "--file-prefix=sipedge"};
  EXPECT_EQ(eal_args(cfg), want);
}

TEST(IpPrefix, MatchesOnLinkAddressesOnly) {
  auto p = IpPrefix::parse("10.201.0.1/24");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->contains(*IpAddr::parse("10.201.0.200")));
  EXPECT_FALSE(p->contains(*IpAddr::parse("10.202.0.1")));
  EXPECT_FALSE(p->contains(*IpAddr::parse("fd00::1")));
  auto p6 = IpPrefix::parse("fd00:201::1/64");
  ASSERT_TRUE(p6);
  EXPECT_TRUE(p6->contains(*IpAddr::parse("fd00:201::99")));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.1/33"));
}

}  // namespace
}  // namespace sipedge::dataplane::test
