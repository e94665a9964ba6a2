// tests/control/runtime_offload_view_test.cc — pins control/runtime/offload_view: the "hw" view
// names each interface with what its port took, exactly as the probe found it.
#include "control/runtime/offload_view.h"

#include <gtest/gtest.h>

namespace sipedge::control {
namespace {

TEST(OffloadView, EachInterfaceWithWhatItsPortTook) {
  std::vector<InterfaceConfig> ifaces(2);
  ifaces[0].name = "access";
  ifaces[1].name = "core";
  std::vector<hw::PortOffload> offload(2);
  offload[0].port_id = 0;
  offload[0].refusal = "Function not implemented";
  offload[1].port_id = 1;
  offload[1].steering = offload[1].drop = true;
  offload[1].media = hw::RuleVariant{hw::RewriteKind::ModifyField, hw::AgingKind::Age, hw::EgressKind::PortId, 0};
  EXPECT_EQ(offload_view(ifaces, offload).dump(),
            R"j({"interfaces":[)j"
            R"j({"drop":false,"media":null,"name":"access","port":0,"refusal":"Function not implemented","steering":false,)j"
            R"j("summary":"port 0: steering no, drop no, media no (Function not implemented)"},)j"
            R"j({"drop":true,"media":{"aging":"AGE","egress":"PORT_ID","rewrite":"MODIFY_FIELD"},"name":"core","port":1,)j"
            R"j("refusal":"","steering":true,"summary":"port 1: steering yes, drop yes, media MODIFY_FIELD + AGE + PORT_ID"}]})j");
}

}  // namespace
}  // namespace sipedge::control
