// control/runtime/neighbour_table.cc — control lcore only. Neighbour entries, held packets and their
// timers (RFC 826, RFC 4861 §7.3.2 states reduced to Incomplete/Reachable/Stale).
#include "control/runtime/neighbour_table.h"

namespace sipedge::control {

NeighbourTable::~NeighbourTable() {
  entries_.for_each([](const std::unique_ptr<Entry>& e) {
    for (rte_mbuf* m : e->held) rte_pktmbuf_free(m);
  });
}

NeighbourTable::Lookup NeighbourTable::resolve(uint16_t iface, const IpAddr& ip, uint64_t now) {
  const uint64_t hash = key_hash(iface, ip);
  const std::unique_ptr<Entry>* found = entries_.find(hash, is(iface, ip));
  if (found == nullptr) {
    auto e = std::make_unique<Entry>();
    e->iface = iface;
    e->ip = ip;
    e->state = State::Incomplete;
    e->probes = 1;
    e->deadline = now + cfg_.retrans_tsc;
    e->held.reserve(cfg_.hold_limit);
    entries_.insert(hash, std::move(e));
    return {nullptr, true};
  }
  Entry& e = **found;
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
  Entry* e = lookup(iface, ip);
  if (e == nullptr || e->state != State::Incomplete || e->held.size() >= cfg_.hold_limit) {
    return false;
  }
  e->held.push_back(m);
  return true;
}

NeighbourTable::Answer NeighbourTable::update(uint16_t iface, const IpAddr& ip, const rte_ether_addr& mac,
                                              uint64_t now, std::vector<rte_mbuf*>& released, bool override) {
  Entry* found = lookup(iface, ip);
  if (found == nullptr) {
    return Answer::Unchanged;
  }
  Entry& e = *found;
  const bool moved = e.state != State::Incomplete && !rte_is_same_ether_addr(&e.mac, &mac);
  if (moved && !override) {
    if (e.state == State::Reachable) {
      e.state = State::Stale;
      e.probes = 0;
      e.deadline = now + cfg_.reachable_tsc;
    }
    return Answer::Unchanged;
  }
  e.state = State::Reachable;
  e.mac = mac;
  e.probes = 0;
  e.deadline = now + cfg_.reachable_tsc;
  released.insert(released.end(), e.held.begin(), e.held.end());
  e.held.clear();
  return moved ? Answer::Moved : Answer::Resolved;
}

size_t NeighbourTable::hold_room(uint16_t iface, const IpAddr& ip) const {
  const Entry* e = find(iface, ip);
  if (e == nullptr || e->state != State::Incomplete || e->held.size() >= cfg_.hold_limit) {
    return 0;
  }
  return cfg_.hold_limit - e->held.size();
}

const NeighbourTable::Entry* NeighbourTable::find(uint16_t iface, const IpAddr& ip) const {
  return lookup(iface, ip);
}

}  // namespace sipedge::control
