// tests/common/compact_string_test.cc — PackedStrings and CompactString: each string reads back
// exactly as set, whatever the others do, including a value that views the block it replaces and
// one kept as a view inside the first string.
#include "common/compact_string.h"

#include <gtest/gtest.h>

#include <string>

namespace sipedge {
namespace {

TEST(PackedStrings, EachStringReadsBackAsSetWhateverTheOthersDo) {
  PackedStrings<4> s;
  EXPECT_TRUE(s.empty());
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(s.get(i), "");
  s.set(2, "sip:1012@10.201.0.2:5062");
  s.set(0, "a1");
  EXPECT_EQ(s.get(0), "a1");
  EXPECT_EQ(s.get(1), "");
  EXPECT_EQ(s.get(2), "sip:1012@10.201.0.2:5062");
  EXPECT_EQ(s.get(3), "");
  s.set(0, "a-much-longer-tag-than-before");
  s.set(3, "\"Alice\" <sip:1006@sipedge.test>;tag=a-much-longer-tag-than-before");
  EXPECT_EQ(s.get(0), "a-much-longer-tag-than-before");
  EXPECT_EQ(s.get(2), "sip:1012@10.201.0.2:5062");
  EXPECT_EQ(s.get(3), "\"Alice\" <sip:1006@sipedge.test>;tag=a-much-longer-tag-than-before");
  s.set(2, "");
  EXPECT_EQ(s.get(2), "");
  EXPECT_EQ(s.get(3), "\"Alice\" <sip:1006@sipedge.test>;tag=a-much-longer-tag-than-before");
  s.set(0, "");
  s.set(3, "");
  EXPECT_TRUE(s.empty());
}

TEST(PackedStrings, AValueViewingTheBlockItReplacesIsCopiedBeforeTheBlockGoes) {
  PackedStrings<2> s;
  s.set(0, "sip:1006@sipedge.test");
  s.set(1, "tail");
  s.set(1, s.get(0).substr(4));
  EXPECT_EQ(s.get(0), "sip:1006@sipedge.test");
  EXPECT_EQ(s.get(1), "1006@sipedge.test");
  s.set(0, s.get(0));
  EXPECT_EQ(s.get(0), "sip:1006@sipedge.test");
}

// Several at once read back as one by one would, values viewing the old block included; a set that
// changes nothing keeps the block (no copy, no allocation: its bytes stay where they were).
TEST(PackedStrings, SeveralSetAtOnceReadBackAsSetOneByOneAndAnUnchangedSetKeepsTheBlock) {
  PackedStrings<4> one, many;
  one.set(0, "\"Bob\" <sip:+4930100@sipedge.test>;tag=t1");
  one.set(1, "t1");
  one.set(2, "sip:+4930100@sipedge.test");
  one.set(3, "sip:trunk@10.202.0.2:5060");
  many.set({{0, "\"Bob\" <sip:+4930100@sipedge.test>;tag=t1"},
            {1, "t1"},
            {2, "sip:+4930100@sipedge.test"},
            {3, "sip:trunk@10.202.0.2:5060"}});
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(many.get(i), one.get(i)) << i;
  const char* before = many.get(0).data();
  many.set({{1, "t1"}, {3, many.get(3)}});
  EXPECT_EQ(many.get(0).data(), before) << "nothing changed: the block stays";
  many.set({{3, many.get(2)}, {1, ""}});
  EXPECT_NE(many.get(0).data(), before);
  EXPECT_EQ(many.get(0), "\"Bob\" <sip:+4930100@sipedge.test>;tag=t1");
  EXPECT_EQ(many.get(1), "");
  EXPECT_EQ(many.get(2), "sip:+4930100@sipedge.test");
  EXPECT_EQ(many.get(3), "sip:+4930100@sipedge.test");
}

TEST(PackedStrings, HoldsTheLongestValueOneDatagramCarries) {
  PackedStrings<2> s;
  const std::string big(65535, 'x');
  s.set(1, big);
  s.set(0, "t");
  EXPECT_EQ(s.get(1), big);
  EXPECT_EQ(s.get(0), "t");
}

TEST(PackedStrings, AStringInsideTheFirstIsNotStoredAgainAndSurvivesTheFirstChanging) {
  PackedStrings<3> s;
  s.set(1, "sip:1006@sipedge.test");
  s.set(2, "a1b2");
  s.set(0, "\"Alice\" <sip:1006@sipedge.test>;tag=a1b2");
  EXPECT_EQ(s.get(0), "\"Alice\" <sip:1006@sipedge.test>;tag=a1b2");
  EXPECT_EQ(s.get(1), "sip:1006@sipedge.test");
  EXPECT_EQ(s.get(2), "a1b2");
  // Views into the first string: the block holds it once.
  EXPECT_EQ(s.get(1).data(), s.get(0).data() + 9);
  EXPECT_EQ(s.get(2).data(), s.get(0).data() + s.get(0).size() - 4);
  // The first changes: what it no longer holds is stored on its own, what it holds stays a view.
  s.set(0, "<sip:1006@sipedge.test>;tag=zz");
  EXPECT_EQ(s.get(0), "<sip:1006@sipedge.test>;tag=zz");
  EXPECT_EQ(s.get(1), "sip:1006@sipedge.test");
  EXPECT_EQ(s.get(2), "a1b2");
  EXPECT_EQ(s.get(1).data(), s.get(0).data() + 1);
  EXPECT_EQ(s.get(2).data(), s.get(0).data() + s.get(0).size());
  s.set(0, "");
  EXPECT_EQ(s.get(1), "sip:1006@sipedge.test");
  EXPECT_EQ(s.get(2), "a1b2");
}

TEST(CompactString, IsOnePointerAndComparesAsItsText) {
  static_assert(sizeof(CompactString) == sizeof(void*));
  CompactString a("bench-1@host.example.net");
  CompactString b = a;
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, "bench-1@host.example.net");
  b = std::string_view("bench-2@host.example.net");
  EXPECT_LT(a, b);
  b = b.view().substr(6);
  EXPECT_EQ(b.str(), "2@host.example.net");
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size(), 0u);
}

}  // namespace
}  // namespace sipedge
