// control/security/ban_list.cc — control lcore only. See ban_list.h.
#include "control/security/ban_list.h"

#include <algorithm>

namespace sipedge::control {

bool BanList::trusted(const IpAddr& addr) const noexcept {
  for (const IpPrefix& p : never_)
    if (p.contains(addr)) return true;
  return false;
}

const BanList::Ban* BanList::ban(const IpAddr& addr, std::string reason, uint64_t now_ms) {
  if (trusted(addr)) return nullptr;
  Offences& o = offences_[addr];
  if (o.count != 0 && now_ms >= o.forget_at_ms) o.count = 0;
  ++o.count;
  uint64_t seconds = config_.ban_s;
  for (uint32_t i = 1; i < o.count && seconds < config_.ban_max_s; ++i) seconds *= 2;
  seconds = std::min<uint64_t>(seconds, config_.ban_max_s);
  const uint64_t until = now_ms + seconds * 1000;
  o.forget_at_ms = until + uint64_t{config_.ban_max_s} * 1000;
  Ban& b = bans_[addr];
  b.addr = addr;
  b.since_ms = now_ms;
  b.until_ms = std::max(b.until_ms, until);
  b.offence = o.count;
  b.reason = std::move(reason);
  ++bans_total_;
  if (sink_) sink_->banned(addr, b.until_ms, now_ms, b.reason);
  return &b;
}

bool BanList::lift(const IpAddr& addr) {
  offences_.erase(addr);
  if (bans_.erase(addr) == 0) return false;
  ++lifted_total_;
  if (sink_) sink_->lifted(addr);
  return true;
}

size_t BanList::expire(uint64_t now_ms) {
  size_t ended = 0;
  for (auto it = bans_.begin(); it != bans_.end();) {
    if (now_ms >= it->second.until_ms) {
      if (sink_) sink_->lifted(it->first);
      it = bans_.erase(it);
      ++ended;
    } else {
      ++it;
    }
  }
  std::erase_if(offences_, [&](const auto& kv) { return now_ms >= kv.second.forget_at_ms && !bans_.count(kv.first); });
  return ended;
}

std::vector<BanList::Ban> BanList::list() const {
  std::vector<Ban> out;
  out.reserve(bans_.size());
  for (const auto& [addr, b] : bans_) out.push_back(b);
  std::sort(out.begin(), out.end(), [](const Ban& a, const Ban& b) { return a.addr.to_string() < b.addr.to_string(); });
  return out;
}

}  // namespace sipedge::control
