// tests/common/shard_test.cc — pins common/shard.h: one shard takes everything unsharded; a
// Call-ID's shard depends on every byte of it and on the seed, never falls outside the count, and
// Call-IDs as UAs write them spread evenly.
#include "common/shard.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sipedge {
namespace {

TEST(ShardMap, OneShardTakesEverything) {
  const ShardMap one{1, 42};
  EXPECT_EQ(one.of("a84b4c76e66710@pc33.atlanta.com"), 0u);
  EXPECT_EQ(one.of(""), 0u);
  EXPECT_EQ(ShardMap{}.of("x"), 0u);
  EXPECT_EQ((ShardMap{8, 42}.of("")), 0u) << "no Call-ID: shard 0 answers or drops it";
}

TEST(ShardMap, EveryByteAndTheSeedDecide) {
  const ShardMap map{64, 7};
  const std::string id = "3848276298220188511@atlanta.example.com";
  EXPECT_EQ(map.of(id), map.of(std::string(id)));
  int moved = 0, reseeded = 0;
  for (size_t i = 0; i < id.size(); ++i) {
    std::string changed = id;
    changed[i] ^= 1;
    moved += map.of(changed) != map.of(id) ? 1 : 0;
  }
  for (uint64_t seed = 8; seed < 48; ++seed) reseeded += ShardMap{64, seed}.of(id) != map.of(id) ? 1 : 0;
  // With 64 shards an unrelated hash lands on the same shard 1 time in 64.
  EXPECT_GE(moved, static_cast<int>(id.size()) - 4);
  EXPECT_GE(reseeded, 36);
  // Case matters (Call-IDs compare byte for byte) and so does length.
  EXPECT_NE(map.hash("abc@host"), map.hash("ABC@host"));
  EXPECT_NE(map.hash("abcdefgh"), map.hash(std::string("abcdefgh\0", 9)));
}

TEST(ShardMap, CallIdsSpreadEvenlyOverTheShards) {
  for (uint32_t count : {2u, 3u, 16u}) {
    const ShardMap map{count, 0x1234};
    std::vector<int> per(count);
    constexpr int kIds = 48000;
    for (int i = 0; i < kIds; ++i) {
      const uint32_t s = map.of(std::to_string(i) + "-" + std::to_string(i * 7919) + "@10.0.0.1");
      ASSERT_LT(s, count);
      ++per[s];
    }
    for (uint32_t s = 0; s < count; ++s) {
      EXPECT_GT(per[s], kIds / static_cast<int>(count) * 9 / 10) << count << " shards, shard " << s;
      EXPECT_LT(per[s], kIds / static_cast<int>(count) * 11 / 10) << count << " shards, shard " << s;
    }
  }
}

}  // namespace
}  // namespace sipedge
