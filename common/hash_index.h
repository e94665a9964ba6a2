// common/hash_index.h — any thread, one owner (not thread safe). An index from 64-bit key hashes to
// small values (pointers, ids) in one open-addressing array: a lookup reads one or two adjacent
// 16-byte slots where a node-based map (std::unordered_map) follows a bucket, a node and, for
// string keys, the key's own allocation: three cache misses per lookup once the table outgrows
// the cache (the transaction index at tens of thousands of calls per second).
// The index stores hashes, not keys: several keys may share a hash, so find and erase take a
// predicate that confirms the value's own key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace sipedge {

template <class Value>
class HashIndex {
 public:
  // The value stored under `hash` for which `is_key(value)` holds, or nullptr. Valid until the
  // index next changes: an insert may grow it, an erase may shift entries back.
  template <class IsKey>
  const Value* find(uint64_t hash, IsKey&& is_key) const {
    if (slots_.empty()) return nullptr;
    const uint64_t tag = tag_of(hash);
    for (size_t i = home(tag);; i = next(i)) {
      const Slot& s = slots_[i];
      if (s.tag == 0) return nullptr;
      if (s.tag == tag && is_key(s.value)) return &s.value;
    }
  }
  template <class IsKey>
  Value* find(uint64_t hash, IsKey&& is_key) {
    return const_cast<Value*>(std::as_const(*this).find(hash, std::forward<IsKey>(is_key)));
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
    if (slots_.empty()) return false;
    const uint64_t tag = tag_of(hash);
    size_t i = home(tag);
    for (;; i = next(i)) {
      if (slots_[i].tag == 0) return false;
      if (slots_[i].tag == tag && is_key(slots_[i].value)) break;
    }
    // Backward shift (linear probing without tombstones): each later entry of the run moves into
    // the hole unless the hole lies before its home slot, so no probe run is ever cut short.
    for (size_t j = next(i);; j = next(j)) {
      if (slots_[j].tag == 0) break;
      const size_t h = home(slots_[j].tag);
      const bool home_in_hole_to_j = i <= j ? (h > i && h <= j) : (h > i || h <= j);
      if (home_in_hole_to_j) continue;
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

  void place(uint64_t tag, Value value) {
    size_t i = home(tag);
    while (slots_[i].tag != 0) i = next(i);
    slots_[i] = Slot{tag, std::move(value)};
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
  Value* find(uint64_t id) {
    Entry* e = index_.find(hash(id), [id](const Entry& x) { return x.id == id; });
    return e == nullptr ? nullptr : &e->value;
  }
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
