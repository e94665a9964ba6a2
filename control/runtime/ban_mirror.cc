// control/runtime/ban_mirror.cc — control lcore. See ban_mirror.h.
#include "control/runtime/ban_mirror.h"

#include <rte_cycles.h>

namespace sipedge::control {

void BanMirror::banned(const IpAddr& addr, uint64_t until_ms, uint64_t now_ms) {
  const uint64_t now_tsc = rte_rdtsc();
  const uint64_t left_ms = until_ms > now_ms ? until_ms - now_ms : 0;
  if (!table_.insert(addr, now_tsc + left_ms * (tsc_hz_ / 1000), now_tsc)) ++table_full_;
  if (nic_) nic_->add(addr);
}

void BanMirror::lifted(const IpAddr& addr) {
  table_.erase(addr);
  if (nic_) nic_->remove(addr);
}

}  // namespace sipedge::control
