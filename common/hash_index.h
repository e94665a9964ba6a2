// common/hash_index.h — any thread, one owner (not thread safe). An index from 64-bit key hashes to
// small values (pointers, ids) in one open-addressing array: a lookup reads one or two adjacent
// 16-byte slots where a node-based map (std::unordered_map) follows a bucket, a node and, for
// string keys, the key's own allocation: three cache misses per lookup once the table outgrows
// the cache (the transaction index at tens of thousands of calls per second).
// The index stores hashes, not keys: several keys may share a hash, so find and erase take a
// predicate that confirms the value's own key.
// Placement is Robin Hood: along a probe run, entries stay ordered by how far they sit from their
// home slot. An erase then shifts back only the entries displaced behind the hole and stops at the
// first one at home. With plain linear probing it had to walk to the end of the run: an IdMap,
// whose live ids fill one long run of home slots, paid for every live entry on each erase of an
// old one (60 000 live transactions: 100 µs an erase).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/prefetch.h"

namespace sipedge {

template <class Value>
class HashIndex {
 public:
  // The value stored under `hash` for which `is_key(value)` holds, or nullptr. Valid until the
  // index next changes: an insert may grow it, an erase may shift entries back.
  template <class IsKey>
  const Value* find(uint64_t hash, IsKey&& is_key) const {
    const size_t at = locate(tag_of(hash), is_key);
    return at == kNone ? nullptr : &slots_[at].value;
  }
  template <class IsKey>
  Value* find(uint64_t hash, IsKey&& is_key) {
    return const_cast<Value*>(std::as_const(*this).find(hash, std::forward<IsKey>(is_key)));
  }

  // Starts loading the slot a lookup of `hash` reads first, for a caller with other work to do
  // before the lookup: once the index outgrows the cache that slot is a miss.
  void prefetch(uint64_t hash) const noexcept {
    if (!slots_.empty()) sipedge::prefetch(slots_.data() + home(tag_of(hash)));
  }

  // Adds an entry; entries with equal hashes are kept side by side.
  void insert(uint64_t hash, Value value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(tag_of(hash), std::move(value));
    ++size_;
  }

  // Removes the entry under `hash` for which `is_key(value)` holds; false when there is none.
  template <class IsKey>
  bool erase(uint64_t hash, IsKey&& is_key) {
    size_t i = locate(tag_of(hash), is_key);
    if (i == kNone) return false;
    // Backward shift: the displaced entries after the hole move one slot closer to home; the
    // first empty slot or entry at its home ends the run that could have probed past the hole.
    for (size_t j = next(i); slots_[j].tag != 0 && distance(j) != 0; j = next(j)) {
      slots_[i] = std::move(slots_[j]);
      i = j;
    }
    slots_[i] = Slot{};
    --size_;
    return true;
  }

  // Calls f(value) for every entry, in slot order; f must not change the index.
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.tag != 0) f(s.value);
  }

  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  size_t capacity() const noexcept { return slots_.size(); }

 private:
  struct Slot {
    uint64_t tag = 0;  // the hash (hash 0 stored as 1); 0: empty
    Value value{};
  };

  // Hashes 0 and 1 share a tag: harmless, as the predicate confirms the key either way.
  static uint64_t tag_of(uint64_t hash) noexcept { return hash == 0 ? 1 : hash; }
  // The low bits pick the slot: a seeded hash mixes them as well as the rest, and an IdMap's
  // consecutive ids then sit in consecutive slots, each in its own.
  size_t home(uint64_t tag) const noexcept { return static_cast<size_t>(tag) & (slots_.size() - 1); }
  size_t next(size_t i) const noexcept { return (i + 1) & (slots_.size() - 1); }

  static constexpr size_t kNone = ~size_t{0};

  // How far the entry in slot i sits past its home.
  size_t distance(size_t i) const noexcept { return (i - home(slots_[i].tag)) & (slots_.size() - 1); }

  // The slot of the entry with `tag` for which is_key holds, or kNone. Robin Hood order ends the
  // search at the first entry nearer its home than the searched one would be.
  template <class IsKey>
  size_t locate(uint64_t tag, IsKey& is_key) const {
    if (slots_.empty()) return kNone;
    size_t i = home(tag);
    for (size_t d = 0;; i = next(i), ++d) {
      const Slot& s = slots_[i];
      if (s.tag == 0 || distance(i) < d) return kNone;
      if (s.tag == tag && is_key(s.value)) return i;
    }
  }

  // Robin Hood insertion: an entry further from its home takes the slot of one nearer to its own
  // and that one moves on. Among equal distances the newer goes after, so equal hashes stay in
  // insertion order, side by side.
  void place(uint64_t tag, Value value) {
    Slot carried{tag, std::move(value)};
    size_t i = home(tag);
    for (size_t d = 0;; i = next(i), ++d) {
      if (slots_[i].tag == 0) {
        slots_[i] = std::move(carried);
        return;
      }
      const size_t resident = distance(i);
      if (resident < d) {
        std::swap(slots_[i], carried);
        d = resident;
      }
    }
  }

  // Load stays at or under one half: runs stay short, and 16 bytes a slot cost 32 to 64 an entry.
  void grow() {
    const size_t capacity = slots_.empty() ? 16 : slots_.size() * 2;
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
    for (Slot& s : old)
      if (s.tag != 0) place(s.tag, std::move(s.value));
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

// Ids a process numbers itself, counting up (transactions, contexts: never a sender's choice, so
// unseeded), to values, on a HashIndex.
template <class Value>
class IdMap {
 public:
  // Valid until the map next changes (an insert may grow it, an erase may move entries).
  Value* find(uint64_t id) { return const_cast<Value*>(std::as_const(*this).find(id)); }
  const Value* find(uint64_t id) const {
    const Entry* e = index_.find(hash(id), [id](const Entry& x) { return x.id == id; });
    return e == nullptr ? nullptr : &e->value;
  }
  bool contains(uint64_t id) const { return find(id) != nullptr; }
  void set(uint64_t id, Value value) {
    if (Value* existing = find(id))
      *existing = std::move(value);
    else
      index_.insert(hash(id), Entry{id, std::move(value)});
  }
  bool erase(uint64_t id) { return index_.erase(hash(id), [id](const Entry& x) { return x.id == id; }); }
  size_t size() const noexcept { return index_.size(); }
  // Calls f(id, value) for every entry, in no particular order; f must not change the map.
  template <class F>
  void for_each(F&& f) const {
    index_.for_each([&](const Entry& e) { f(e.id, e.value); });
  }

 private:
  struct Entry {
    uint64_t id = 0;
    Value value{};
  };
  // The id itself: the ids alive at once are a window of recent ones, which then fill consecutive
  // slots without a collision, and an insert or lookup touches the cache lines its neighbours did.
  static uint64_t hash(uint64_t id) noexcept { return id; }
  HashIndex<Entry> index_;
};

}  // namespace sipedge
