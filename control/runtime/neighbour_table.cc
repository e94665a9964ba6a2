// control/runtime/neighbour_table.cc — control lcore only. Neighbour entries, held packets and their
// timers (RFC 826, RFC 4861 §7.3.2 states reduced to Incomplete/Reachable/Stale).
#include "control/runtime/neighbour_table.h"

namespace sipedge::control {

NeighbourTable::~NeighbourTable() {
  for (auto& [key, e] : entries_) {
    for (rte_mbuf* m : e.held) {
      rte_pktmbuf_free(m);
    }
  }
}

NeighbourTable::Lookup NeighbourTable::resolve(uint16_t iface, const IpAddr& ip, uint64_t now) {
  auto [it, created] = entries_.try_emplace(Key{iface, ip});
  Entry& e = it->second;
  if (created) {
    e.state = State::Incomplete;
    e.probes = 1;
    e.deadline = now + cfg_.retrans_tsc;
    e.held.reserve(cfg_.hold_limit);
    return {nullptr, true};
  }
  switch (e.state) {
    case State::Incomplete:
      return {nullptr, false};
    case State::Reachable:
      return {&e.mac, false};
    case State::Stale:
      // RFC 4861 §7.3.3: keep using the old address while re-probing once; silence erases it
      // after max_probes retransmit intervals (expire()).
      if (e.probes == 0) {
        e.probes = 1;
        e.deadline = now + cfg_.retrans_tsc * cfg_.max_probes;
        return {&e.mac, true};
      }
      return {&e.mac, false};
  }
  return {nullptr, false};
}

bool NeighbourTable::hold(uint16_t iface, const IpAddr& ip, rte_mbuf* m) {
  auto it = entries_.find(Key{iface, ip});
  if (it == entries_.end() || it->second.state != State::Incomplete || it->second.held.size() >= cfg_.hold_limit) {
    return false;
  }
  it->second.held.push_back(m);
  return true;
}

bool NeighbourTable::update(uint16_t iface, const IpAddr& ip, const rte_ether_addr& mac, uint64_t now,
                            std::vector<rte_mbuf*>& released) {
  auto it = entries_.find(Key{iface, ip});
  if (it == entries_.end()) {
    return false;
  }
  Entry& e = it->second;
  e.state = State::Reachable;
  e.mac = mac;
  e.probes = 0;
  e.deadline = now + cfg_.reachable_tsc;
  released.insert(released.end(), e.held.begin(), e.held.end());
  e.held.clear();
  return true;
}

size_t NeighbourTable::hold_room(uint16_t iface, const IpAddr& ip) const {
  const Entry* e = find(iface, ip);
  if (e == nullptr || e->state != State::Incomplete || e->held.size() >= cfg_.hold_limit) {
    return 0;
  }
  return cfg_.hold_limit - e->held.size();
}

const NeighbourTable::Entry* NeighbourTable::find(uint16_t iface, const IpAddr& ip) const {
  auto it = entries_.find(Key{iface, ip});
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace sipedge::control
