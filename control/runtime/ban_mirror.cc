// control/runtime/ban_mirror.cc — control lcore. See ban_mirror.h.
#include "control/runtime/ban_mirror.h"

#include <rte_cycles.h>

#include "control/api/logging.h"

namespace sipedge::control {

void BanMirror::banned(const IpAddr& addr, uint64_t until_ms, uint64_t now_ms, std::string_view reason) {
  const uint64_t now_tsc = rte_rdtsc();
  const uint64_t left_ms = until_ms > now_ms ? until_ms - now_ms : 0;
  if (!table_.insert(addr, now_tsc + left_ms * (tsc_hz_ / 1000), now_tsc)) ++table_full_;
  const bool on_nic = nic_ && nic_->add(addr);
  logs::of(logs::Component::Security).warn("sipedge: banned {} for {} s ({}){}", addr.to_string(), left_ms / 1000, reason,
               on_nic ? ", dropped by the NIC" : "");
}

void BanMirror::lifted(const IpAddr& addr) {
  table_.erase(addr);
  logs::of(logs::Component::Security).info("sipedge: ban on {} ended", addr.to_string());
  if (nic_) nic_->remove(addr);
}

}  // namespace sipedge::control
