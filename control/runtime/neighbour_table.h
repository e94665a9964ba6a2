// control/runtime/neighbour_table.h — control lcore only (single owner, no locks). Next-hop resolution
// for what control transmits: ARP (RFC 826) and IPv6 ND (RFC 4861 §7.3) entries with timeouts, and a
// bounded queue per unresolved neighbour for packets held while resolving (RFC 1122 §2.3.2.2 says
// keep at least one; overflow is dropped and counted). Workers never read it: relayed media carries
// MACs that control precomputed into the flow.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "common/hash_index.h"
#include "common/net_address.h"

namespace sipedge::control {

class NeighbourTable {
 public:
  struct Config {
    uint64_t reachable_tsc = 0;  // how long an answer stays valid
    uint64_t retrans_tsc = 0;    // between solicitations
    uint32_t max_probes = 3;
    uint32_t hold_limit = 16;
  };
  enum class State : uint8_t {
    Incomplete,  // solicited, no answer yet; packets held
    Reachable,   // answered within reachable_tsc
    Stale,       // old answer: still used, re-solicited on use, erased when it stays silent
  };
  struct Entry {
    uint16_t iface = 0;
    IpAddr ip;
    State state = State::Incomplete;
    rte_ether_addr mac{};
    uint64_t deadline = 0;  // Incomplete: next retransmit; Reachable: becomes Stale; Stale: erase
    uint32_t probes = 0;
    std::vector<rte_mbuf*> held;
  };
  struct Lookup {
    const rte_ether_addr* mac = nullptr;  // usable now, or nullptr (hold the packet)
    bool solicit = false;                 // send a solicitation now
  };

  explicit NeighbourTable(const Config& cfg) : cfg_(cfg) {}
  ~NeighbourTable();
  NeighbourTable(const NeighbourTable&) = delete;
  NeighbourTable& operator=(const NeighbourTable&) = delete;

  // Where to send for `ip` on `iface`. Creates an Incomplete entry (solicit = true) for a new
  // neighbour; a Stale entry is used and re-solicited once per retransmit interval.
  Lookup resolve(uint16_t iface, const IpAddr& ip, uint64_t now);
  // Queues a frame (Ethernet header written, destination MAC to be filled) for an Incomplete
  // neighbour. False when the queue is full or the entry is gone: the caller drops and counts.
  bool hold(uint16_t iface, const IpAddr& ip, rte_mbuf* m);
  // An ARP reply or announcement, or an NA, arrived. Only neighbours we asked about or know are
  // updated (no unsolicited entries: an attacker cannot fill the table). Held frames move to
  // `released` in arrival order. An answer that may not `override` (an NA without its O flag,
  // RFC 4861 §7.2.5) gives a known neighbour no other MAC: a Reachable one only becomes Stale, so
  // that it is asked again.
  enum class Answer : uint8_t {
    Unchanged,  // not in the table, or another MAC that may not override the one it has
    Resolved,   // now Reachable, with the MAC it had (or its first)
    Moved,      // now Reachable at another MAC than the one it had: what was sent there goes astray
  };
  Answer update(uint16_t iface, const IpAddr& ip, const rte_ether_addr& mac, uint64_t now,
                std::vector<rte_mbuf*>& released, bool override = true);
  // Timers. `solicit(iface, ip)` is called for each retransmission; `failed(iface, frames)` gets
  // the held frames of a neighbour that never answered (the caller frees and counts them).
  template <class S, class F>
  void expire(uint64_t now, S&& solicit, F&& failed);

  // How many more frames hold() would accept for this neighbour (0 when not Incomplete).
  size_t hold_room(uint16_t iface, const IpAddr& ip) const;
  const Entry* find(uint16_t iface, const IpAddr& ip) const;
  size_t size() const noexcept { return entries_.size(); }

 private:
  // Hashed from the caller's address in place: a key built on the stack and read back as words
  // stalled every lookup on store forwarding, and std::unordered_map's prime modulus is a division.
  static uint64_t key_hash(uint16_t iface, const IpAddr& ip) noexcept {
    return IpAddrHash{}(ip) ^ iface * 0x9e3779b97f4a7c15ull;
  }
  static auto is(uint16_t iface, const IpAddr& ip) {
    return [iface, &ip](const std::unique_ptr<Entry>& e) { return e->iface == iface && e->ip == ip; };
  }
  Entry* lookup(uint16_t iface, const IpAddr& ip) const {
    const std::unique_ptr<Entry>* e = entries_.find(key_hash(iface, ip), is(iface, ip));
    return e ? e->get() : nullptr;
  }

  Config cfg_;
  HashIndex<std::unique_ptr<Entry>> entries_;
  std::vector<const Entry*> expired_;  // expire()'s erasures, kept for its next run
};

template <class S, class F>
void NeighbourTable::expire(uint64_t now, S&& solicit, F&& failed) {
  expired_.clear();
  entries_.for_each([&](const std::unique_ptr<Entry>& entry) {
    Entry& e = *entry;
    if (now < e.deadline) return;
    if (e.state == State::Reachable) {
      e.state = State::Stale;
      e.probes = 0;
      e.deadline = now + cfg_.reachable_tsc;
    } else if (e.state == State::Incomplete && e.probes < cfg_.max_probes) {
      ++e.probes;
      e.deadline = now + cfg_.retrans_tsc;
      solicit(e.iface, e.ip);
    } else {
      if (!e.held.empty()) failed(e.iface, e.held);
      expired_.push_back(&e);
    }
  });
  for (const Entry* e : expired_)
    entries_.erase(key_hash(e->iface, e->ip), [e](const std::unique_ptr<Entry>& x) { return x.get() == e; });
}

}  // namespace sipedge::control
