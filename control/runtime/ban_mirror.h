// control/runtime/ban_mirror.h — control lcore. Keeps the dataplane's BanTable in step with the
// control plane's BanList, so the lanes drop a banned source's SIP before parsing it. Converts the
// list's monotonic milliseconds to the lanes' TSC. A ban the table cannot hold (its bucket full) is
// still enforced by the control plane, and counted here.
#pragma once

#include <cstdint>

#include "control/security/ban_list.h"
#include "dataplane/ban_table.h"
#include "hw/drop_rules.h"

namespace sipedge::control {

class BanMirror final : public BanSink {
 public:
  // `nic`: drop rules on the ports that take them, or nullptr.
  BanMirror(dataplane::BanTable& table, uint64_t tsc_hz, hw::DropRules* nic = nullptr)
      : table_(table), tsc_hz_(tsc_hz), nic_(nic) {}

  // Also logs the ban (one line per ban: a banned source sends nothing more that reaches control).
  void banned(const IpAddr& addr, uint64_t until_ms, uint64_t now_ms, std::string_view reason) override;
  void lifted(const IpAddr& addr) override;

  uint64_t table_full() const noexcept { return table_full_; }

 private:
  dataplane::BanTable& table_;
  uint64_t tsc_hz_;
  hw::DropRules* nic_;
  uint64_t table_full_ = 0;
};

}  // namespace sipedge::control
