// dataplane/ban_table.h — written by the control lcore only; read by every worker lcore without
// locks. Source addresses whose SIP is dropped before any parsing (DESIGN §3 edge security): the
// control plane's ban list (control/security/ban_list.h) mirrors each ban here. A fixed table of
// buckets, each slot guarded by a sequence counter (seqlock): the single writer makes a slot's
// counter odd, rewrites it, makes it even again; a reader that sees an odd or changed counter
// treats the slot as not matching. So a reader may miss a ban only while that very slot is being
// written; the control plane enforces its own list as well, so that one message is still dropped.
// Never allocates after construction.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "common/net_address.h"

namespace sipedge::dataplane {

class BanTable {
 public:
  static constexpr unsigned kWays = 8;  // slots per bucket; an address lives only in its bucket

  // Room for at least `capacity` addresses (rounded up to a power-of-two number of buckets).
  explicit BanTable(uint32_t capacity);

  // Control lcore. Bans `addr` until TSC `until_tsc` (a ban that exists is extended or shortened).
  // false: its bucket is full of unexpired bans (the caller still enforces the ban itself).
  bool insert(const IpAddr& addr, uint64_t until_tsc, uint64_t now_tsc) noexcept;
  // Control lcore. false: not in the table.
  bool erase(const IpAddr& addr) noexcept;
  // Control lcore. Frees the slots of bans that ended by `now_tsc`; returns how many.
  unsigned expire(uint64_t now_tsc) noexcept;

  // Any lcore. Whether `addr` is banned at `now_tsc`. O(kWays), a few cache lines.
  bool banned(const IpAddr& addr, uint64_t now_tsc) const noexcept;
  // Any lcore. True when nothing is banned, so the packet path skips the lookup.
  bool empty() const noexcept { return live_.load(std::memory_order_relaxed) == 0; }
  uint32_t size() const noexcept { return live_.load(std::memory_order_relaxed); }
  uint32_t capacity() const noexcept { return (mask_ + 1) * kWays; }

 private:
  // Address words as read and written: family in `tag` with the sequence, bytes in two words.
  struct alignas(32) Slot {
    std::atomic<uint32_t> seq{0};     // even: stable; odd: being written
    std::atomic<uint32_t> family{0};  // 0: free
    std::atomic<uint64_t> lo{0}, hi{0};
    std::atomic<uint64_t> until{0};   // TSC; a slot with until <= now is no longer a ban
  };
  Slot* bucket(const IpAddr& addr) const noexcept;
  void write(Slot& s, uint32_t family, uint64_t lo, uint64_t hi, uint64_t until) noexcept;

  std::unique_ptr<Slot[]> slots_;
  uint32_t mask_ = 0;  // buckets - 1
  std::atomic<uint32_t> live_{0};
};

}  // namespace sipedge::dataplane
