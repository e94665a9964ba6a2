// tests/control/joined_parts_test.cc — pins control/auth/joined_parts.h: the chunks update_joined
// hands on concatenate to the parts in order, whatever their sizes, in few calls.
#include "control/auth/joined_parts.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sipedge::control {
namespace {

TEST(UpdateJoined, ChunksConcatenateToThePartsAroundTheStackBuffersEdge) {
  for (size_t first : {0u, 1u, 300u, 511u, 512u, 513u, 1500u})
    for (size_t second : {0u, 1u, 211u, 212u, 213u, 700u}) {
      const std::string a(first, 'a'), b(second, 'b');
      std::string seen;
      std::vector<size_t> chunks;
      update_joined({a, ":", std::string_view{}, b, "|end"}, [&](const char* data, size_t size) {
        seen.append(data, size);
        chunks.push_back(size);
      });
      EXPECT_EQ(seen, a + ":" + b + "|end") << first << "/" << second;
      for (size_t c : chunks) {
        EXPECT_GT(c, 0u) << "no empty update";
      }
      // Everything that fits in 512 bytes is one update; a part past it costs at most two more.
      if (first + second + 5 <= 512) {
        EXPECT_EQ(chunks.size(), 1u) << first << "/" << second;
      }
      EXPECT_LE(chunks.size(), 4u);
    }
  size_t calls = 0;
  update_joined({"", std::string_view{}}, [&](const char*, size_t) { ++calls; });
  EXPECT_EQ(calls, 0u) << "nothing to hash: no update";
}

}  // namespace
}  // namespace sipedge::control
