// tests/dataplane/vlan_test.cc — an access port on 802.1Q VLAN 100: tagged frames are answered with
// the tag kept, untagged ones are dropped as WrongVlan. (Control's tagged frames:
// tests/control/runtime_control_io_test.cc.)
#include "tests/support/dataplane_fixture.h"

namespace sipedge::dataplane::test {
namespace {

class Vlan : public DataplaneTest {
 protected:
  void customise(DataplaneConfig& cfg) override { cfg.ports[kAccess].vlan = 100; }
  static Bytes tagged(const Mac& dst, const Mac& src, uint16_t type) {
    return cat(ether(dst, src, 0x8100), Bytes{0x00, 0x64, static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type)});
  }
};

TEST_F(Vlan, AnswersTaggedArpWithTheTagAndDropsUntaggedFrames) {
  Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  Bytes req = arp(1, kPeerMac, ip4("10.201.0.7"), Mac{}, ip4("10.201.0.1"));
  receive(kAccess, cat(tagged(bcast, kPeerMac, 0x0806), req));
  std::vector<Bytes> out = sent(kAccess, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], cat(tagged(kPeerMac, our_mac(kAccess), 0x0806),
                        arp(2, our_mac(kAccess), ip4("10.201.0.1"), kPeerMac, ip4("10.201.0.7"))));
  receive(kAccess, cat(ether(bcast, kPeerMac, 0x0806), req));
  EXPECT_TRUE(sent(kAccess, 0).empty());
  EXPECT_EQ(dp_->total(kAccess, Drop::WrongVlan), 1u);
}

}  // namespace
}  // namespace sipedge::dataplane::test
