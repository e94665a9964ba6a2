// dataplane/ban_table.cc — insert/erase/expire on the control lcore, banned() on any lcore. See
// ban_table.h for the seqlock protocol.
#include "dataplane/ban_table.h"

#include <cstring>

namespace sipedge::dataplane {
namespace {

struct Key {
  uint32_t family;
  uint64_t lo, hi;
};

Key key_of(const IpAddr& a) noexcept {
  Key k{static_cast<uint32_t>(a.family), 0, 0};
  std::memcpy(&k.lo, a.bytes.data(), 8);
  std::memcpy(&k.hi, a.bytes.data() + 8, 8);
  return k;
}

uint64_t mix(uint64_t x) noexcept {  // splitmix64 finaliser: spreads prefixes over buckets
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

BanTable::BanTable(uint32_t capacity) {
  uint32_t buckets = 1;
  while (buckets * kWays < capacity) buckets <<= 1;
  mask_ = buckets - 1;
  slots_ = std::make_unique<Slot[]>(size_t{buckets} * kWays);
}

BanTable::Slot* BanTable::bucket(const IpAddr& addr) const noexcept {
  const Key k = key_of(addr);
  return &slots_[(mix(k.lo ^ mix(k.hi) ^ k.family) & mask_) * kWays];
}

void BanTable::write(Slot& s, uint32_t family, uint64_t lo, uint64_t hi, uint64_t until) noexcept {
  const uint32_t seq = s.seq.load(std::memory_order_relaxed);
  s.seq.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  s.family.store(family, std::memory_order_relaxed);
  s.lo.store(lo, std::memory_order_relaxed);
  s.hi.store(hi, std::memory_order_relaxed);
  s.until.store(until, std::memory_order_relaxed);
  s.seq.store(seq + 2, std::memory_order_release);
}

bool BanTable::insert(const IpAddr& addr, uint64_t until_tsc, uint64_t now_tsc) noexcept {
  if (addr.family == IpAddr::Family::None) return false;  // family 0 marks a free slot
  const Key k = key_of(addr);
  Slot* b = bucket(addr);
  Slot* free = nullptr;
  for (unsigned i = 0; i < kWays; ++i) {
    Slot& s = b[i];
    const uint32_t f = s.family.load(std::memory_order_relaxed);
    if (f == k.family && s.lo.load(std::memory_order_relaxed) == k.lo && s.hi.load(std::memory_order_relaxed) == k.hi) {
      s.until.store(until_tsc, std::memory_order_relaxed);  // one word: readers see old or new
      return true;
    }
    if (free == nullptr && (f == 0 || s.until.load(std::memory_order_relaxed) <= now_tsc)) free = &s;
  }
  if (free == nullptr) return false;
  if (free->family.load(std::memory_order_relaxed) == 0) live_.fetch_add(1, std::memory_order_relaxed);
  write(*free, k.family, k.lo, k.hi, until_tsc);
  return true;
}

bool BanTable::erase(const IpAddr& addr) noexcept {
  const Key k = key_of(addr);
  Slot* b = bucket(addr);
  for (unsigned i = 0; i < kWays; ++i) {
    Slot& s = b[i];
    if (s.family.load(std::memory_order_relaxed) == k.family && s.lo.load(std::memory_order_relaxed) == k.lo &&
        s.hi.load(std::memory_order_relaxed) == k.hi) {
      write(s, 0, 0, 0, 0);
      live_.fetch_sub(1, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

unsigned BanTable::expire(uint64_t now_tsc) noexcept {
  unsigned freed = 0;
  const size_t n = size_t{mask_ + 1} * kWays;
  for (size_t i = 0; i < n; ++i) {
    Slot& s = slots_[i];
    if (s.family.load(std::memory_order_relaxed) != 0 && s.until.load(std::memory_order_relaxed) <= now_tsc) {
      write(s, 0, 0, 0, 0);
      ++freed;
    }
  }
  live_.fetch_sub(freed, std::memory_order_relaxed);
  return freed;
}

bool BanTable::banned(const IpAddr& addr, uint64_t now_tsc) const noexcept {
  const Key k = key_of(addr);
  const Slot* b = bucket(addr);
  for (unsigned i = 0; i < kWays; ++i) {
    const Slot& s = b[i];
    const uint32_t seq = s.seq.load(std::memory_order_acquire);
    if (seq & 1u) continue;
    const uint32_t f = s.family.load(std::memory_order_relaxed);
    const uint64_t lo = s.lo.load(std::memory_order_relaxed);
    const uint64_t hi = s.hi.load(std::memory_order_relaxed);
    const uint64_t until = s.until.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (s.seq.load(std::memory_order_relaxed) != seq) continue;
    if (f == k.family && lo == k.lo && hi == k.hi) return now_tsc < until;
  }
  return false;
}

}  // namespace sipedge::dataplane
