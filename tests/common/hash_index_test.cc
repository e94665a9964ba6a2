// tests/common/hash_index_test.cc — pins common/hash_index.h: entries sharing a hash are told apart
// by the caller's predicate; erasing from the middle of a probe run (also across the array's end)
// leaves every other entry findable; and a long random sequence of inserts and erases agrees with
// std::unordered_multimap, the oracle, after every step. IdMap, on top of it, agrees with
// std::unordered_map, also as a window of live ids moves round the array (Robin Hood placement).
#include "common/hash_index.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

namespace sipedge {
namespace {

struct Entry {
  uint32_t key = 0;
  uint32_t payload = 0;
};

auto is(uint32_t key) {
  return [key](const Entry& e) { return e.key == key; };
}

TEST(HashIndex, EntriesSharingAHashAreToldApartByTheirKey) {
  HashIndex<Entry> index;
  EXPECT_EQ(index.find(42, is(1)), nullptr);
  EXPECT_FALSE(index.erase(42, is(1)));
  for (uint32_t k = 1; k <= 5; ++k) index.insert(42, Entry{k, k * 10});
  ASSERT_EQ(index.size(), 5u);
  for (uint32_t k = 1; k <= 5; ++k) {
    Entry* e = index.find(42, is(k));
    ASSERT_NE(e, nullptr) << k;
    EXPECT_EQ(e->payload, k * 10);
  }
  EXPECT_EQ(index.find(42, is(6)), nullptr);
  EXPECT_EQ(index.find(43, is(1)), nullptr) << "another hash, same key: not found";
  EXPECT_TRUE(index.erase(42, is(3)));
  EXPECT_FALSE(index.erase(42, is(3)));
  EXPECT_EQ(index.find(42, is(3)), nullptr);
  for (uint32_t k : {1u, 2u, 4u, 5u}) EXPECT_NE(index.find(42, is(k)), nullptr) << k;
  EXPECT_EQ(index.size(), 4u);
}

// A prefetch is a hint: on an empty index (no array yet) it touches nothing, on any hash it changes
// nothing a lookup finds.
TEST(HashIndex, APrefetchOnAnyHashChangesNothing) {
  HashIndex<Entry> index;
  index.prefetch(0);
  index.prefetch(~uint64_t{0});
  EXPECT_EQ(index.capacity(), 0u);
  for (uint32_t k = 1; k <= 100; ++k) index.insert(k * 0x9e3779b97f4a7c15ull, Entry{k, k});
  for (uint64_t h : {uint64_t{0}, uint64_t{1}, ~uint64_t{0}, uint64_t{42 * 0x9e3779b97f4a7c15ull}}) index.prefetch(h);
  ASSERT_EQ(index.size(), 100u);
  for (uint32_t k = 1; k <= 100; ++k) EXPECT_NE(index.find(k * 0x9e3779b97f4a7c15ull, is(k)), nullptr) << k;
}

TEST(HashIndex, ARunThatWrapsPastTheEndSurvivesErasesAtEachPosition) {
  // All hashes whose low bits pick the last of 16 slots: the run starts there and wraps to slot 0.
  auto last_slot = [](uint32_t k) { return uint64_t{15} + 16 * k; };
  for (uint32_t victim = 1; victim <= 6; ++victim) {
    HashIndex<Entry> index;
    for (uint32_t k = 1; k <= 6; ++k) index.insert(last_slot(k), Entry{k, 0});
    // An entry whose home is slot 0 sits inside the wrapped run and must stay reachable.
    index.insert(16, Entry{100, 0});
    ASSERT_EQ(index.capacity(), 16u);
    ASSERT_TRUE(index.erase(last_slot(victim), is(victim)));
    for (uint32_t k = 1; k <= 6; ++k)
      EXPECT_EQ(index.find(last_slot(k), is(k)) != nullptr, k != victim) << "victim " << victim << " key " << k;
    EXPECT_NE(index.find(16, is(100)), nullptr) << "victim " << victim;
  }
}

TEST(HashIndex, AgreesWithAMultimapThroughRandomInsertsErasesAndGrowth) {
  std::mt19937_64 rng(20261204);
  HashIndex<Entry> index;
  std::unordered_multimap<uint64_t, uint32_t> oracle;  // hash -> key
  std::vector<std::pair<uint64_t, uint32_t>> live;
  uint32_t next_key = 1;
  // Few distinct hashes (in the low bits, which pick the slot) make long shared runs.
  auto draw_hash = [&] { return (rng() % 97) | (rng() % 4) << 57; };
  for (int step = 0; step < 20000; ++step) {
    if (live.empty() || rng() % 5 < 3) {
      const uint64_t h = draw_hash();
      const uint32_t k = next_key++;
      index.insert(h, Entry{k, k ^ 0x5a5a});
      oracle.emplace(h, k);
      live.emplace_back(h, k);
    } else {
      const size_t at = rng() % live.size();
      const auto [h, k] = live[at];
      ASSERT_TRUE(index.erase(h, is(k))) << "step " << step;
      auto range = oracle.equal_range(h);
      for (auto it = range.first; it != range.second; ++it)
        if (it->second == k) {
          oracle.erase(it);
          break;
        }
      live[at] = live.back();
      live.pop_back();
    }
    ASSERT_EQ(index.size(), oracle.size());
    if (step % 500 == 0 || step > 19900) {
      for (const auto& [h, k] : live) {
        const Entry* e = index.find(h, is(k));
        ASSERT_NE(e, nullptr) << "step " << step << " key " << k;
        EXPECT_EQ(e->payload, k ^ 0x5a5a);
      }
      EXPECT_EQ(index.find(draw_hash(), is(next_key + 1)), nullptr);
    }
  }
  EXPECT_LE(index.size() * 2, index.capacity()) << "load stays at or under one half";
}

TEST(IdMap, SetOverwritesAndEraseForgetsAgainstAnUnorderedMap) {
  IdMap<uint64_t> map;
  std::unordered_map<uint64_t, uint64_t> oracle;
  std::mt19937_64 rng(99);
  for (uint64_t step = 0; step < 50000; ++step) {
    const uint64_t id = 1 + rng() % 3000;  // consecutive-ish ids, as transactions are numbered
    if (rng() % 3 == 0) {
      EXPECT_EQ(map.erase(id), oracle.erase(id) == 1) << step;
    } else {
      map.set(id, step);
      oracle[id] = step;
    }
    ASSERT_EQ(map.size(), oracle.size());
  }
  for (uint64_t id = 0; id <= 3001; ++id) {
    const uint64_t* got = map.find(id);
    auto want = oracle.find(id);
    ASSERT_EQ(got != nullptr, want != oracle.end()) << id;
    if (got) {
      EXPECT_EQ(*got, want->second) << id;
    }
  }
}

// How a proxy uses it: a window of live ids, the oldest erased as new ones arrive, wrapping round
// the array many times, with a few ids kept alive long (a ringing call's transactions). Every live
// id stays findable and no erased one comes back.
TEST(IdMap, AWindowOfLiveIdsMovingRoundTheArrayStaysFindable) {
  IdMap<uint64_t> map;
  std::unordered_map<uint64_t, uint64_t> oracle;
  uint64_t next = 1, oldest = 1;
  for (; next <= 3000; ++next) {
    map.set(next, next);
    oracle[next] = next;
  }
  for (uint64_t step = 0; step < 40000; ++step) {
    if (oldest % 97 != 0) {  // every 97th id lives on
      ASSERT_TRUE(map.erase(oldest)) << oldest;
      oracle.erase(oldest);
    }
    ++oldest;
    map.set(next, next);
    oracle[next] = next;
    ++next;
    if (step % 1000 == 0) {
      for (uint64_t id = 1; id < next; id += 7) {
        const uint64_t* got = map.find(id);
        ASSERT_EQ(got != nullptr, oracle.count(id) == 1) << "step " << step << " id " << id;
      }
    }
  }
  EXPECT_EQ(map.size(), oracle.size());
  for (const auto& [id, value] : oracle) {
    const uint64_t* got = map.find(id);
    ASSERT_NE(got, nullptr) << id;
    EXPECT_EQ(*got, value);
  }
}

// The transaction layer keeps its transactions in an IdMap of unique_ptr: an erase frees exactly
// the erased one (entries shifted back keep theirs), and for_each visits each live entry once.
TEST(IdMap, HoldsMoveOnlyValuesAndVisitsEachLiveEntryOnce) {
  IdMap<std::unique_ptr<uint64_t>> map;
  for (uint64_t id = 1; id <= 5000; ++id) map.set(id, std::make_unique<uint64_t>(id * 7));
  for (uint64_t id = 1; id <= 5000; id += 3) ASSERT_TRUE(map.erase(id));
  EXPECT_FALSE(map.contains(1));
  EXPECT_TRUE(map.contains(2));
  std::set<uint64_t> seen;
  uint64_t wrong = 0;
  const auto& view = map;
  view.for_each([&](uint64_t id, const std::unique_ptr<uint64_t>& v) {
    if (!seen.insert(id).second || *v != id * 7 || id % 3 == 1) ++wrong;
  });
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(seen.size(), map.size());
  EXPECT_EQ(map.size(), 5000u - 1667u);
  for (uint64_t id = 2; id <= 5000; ++id) {
    const std::unique_ptr<uint64_t>* v = view.find(id);
    ASSERT_EQ(v != nullptr, id % 3 != 1) << id;
    if (v) {
      EXPECT_EQ(**v, id * 7) << id;
    }
  }
}

}  // namespace
}  // namespace sipedge
