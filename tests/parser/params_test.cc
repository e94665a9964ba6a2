// tests/parser/params_test.cc — pins parser/params.cc: ";name[=value]" walking (RFC 3261 §25.1
// generic-param, §25 uri-parameter), lenient LWS, strict refusal of garbage, lookup and unquote.
#include "parser/params.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "parser/header_id.h"
#include "tests/support/test_random.h"

namespace sipedge::parser {
namespace {

struct Walk {
  std::vector<std::string> names;
  std::vector<std::string> values;
  std::vector<bool> has_value;
  bool malformed = false;
};

Walk walk(std::string_view params) {
  Walk w;
  ParamIterator it(params);
  Param p;
  while (it.next(p)) {
    w.names.emplace_back(p.name);
    w.values.emplace_back(p.value);
    w.has_value.push_back(p.has_value);
  }
  w.malformed = it.malformed();
  return w;
}

using V = std::vector<std::string>;
using B = std::vector<bool>;

TEST(ParamIterator, EmptyTextHasNoParamsAndIsWellFormed) {
  Walk w = walk("");
  EXPECT_TRUE(w.names.empty());
  EXPECT_FALSE(w.malformed);
  EXPECT_TRUE(params_well_formed(""));
  EXPECT_TRUE(params_well_formed("  "));
}

TEST(ParamIterator, WalksNamesAndValuesInOrder) {
  Walk w = walk(";branch=z9hG4bK-d87543-bd00a80d61174148-1--d87543-;rport");
  EXPECT_EQ(w.names, (V{"branch", "rport"}));
  EXPECT_EQ(w.values, (V{"z9hG4bK-d87543-bd00a80d61174148-1--d87543-", ""}));
  EXPECT_EQ(w.has_value, (B{true, false}));
  EXPECT_FALSE(w.malformed);
}

TEST(ParamIterator, ToleratesLwsAroundSemicolonAndEquals) {
  Walk w = walk("  ; branch = z9hG4bK776 ;\tttl=16 ; lr ");
  EXPECT_EQ(w.names, (V{"branch", "ttl", "lr"}));
  EXPECT_EQ(w.values, (V{"z9hG4bK776", "16", ""}));
  EXPECT_FALSE(w.malformed);
}

TEST(ParamIterator, QuotedValuesKeepQuotesAndMayHoldSeparators) {
  Walk w = walk(R"(;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";methods="INVITE, BYE; x")");
  EXPECT_EQ(w.names, (V{"+sip.instance", "methods"}));
  EXPECT_EQ(w.values, (V{R"("<urn:uuid:00000000-0000-1000-8000-000A95A0E128>")", R"("INVITE, BYE; x")"}));
  EXPECT_FALSE(w.malformed);
}

TEST(ParamIterator, UriParamAlphabetIsAccepted) {
  Walk w = walk(";maddr=[2001:db8::1];x-a%20b=c/d:e&f+g$h");
  EXPECT_EQ(w.names, (V{"maddr", "x-a%20b"}));
  EXPECT_EQ(w.values, (V{"[2001:db8::1]", "c/d:e&f+g$h"}));
  EXPECT_FALSE(w.malformed);
}

TEST(ParamIterator, EmptyNameIsMalformed) {
  EXPECT_TRUE(walk(";;a").malformed);
  EXPECT_TRUE(walk(";a;").malformed);
  EXPECT_TRUE(walk(";=x").malformed);
  EXPECT_FALSE(params_well_formed(";a;"));
}

TEST(ParamIterator, MissingValueAfterEqualsIsMalformed) {
  Walk w = walk(";a=1;tag=");
  EXPECT_EQ(w.names, (V{"a"}));
  EXPECT_TRUE(w.malformed);
}

TEST(ParamIterator, TextNotStartingWithSemicolonIsMalformed) {
  EXPECT_TRUE(walk("tag=1").malformed);
  EXPECT_TRUE(walk(";a=1 b").malformed);
  EXPECT_TRUE(walk(";a=1>").malformed);
  EXPECT_TRUE(walk(";a=b=c").malformed);
}

TEST(ParamIterator, UnterminatedQuotedValueIsMalformed) {
  EXPECT_TRUE(walk(R"(;a="open)").malformed);
}

TEST(ParamIterator, ForbiddenBytesAreMalformed) {
  EXPECT_TRUE(walk(";a=<x>").malformed);
  EXPECT_TRUE(walk(";a@b=1").malformed);
  EXPECT_TRUE(walk(";a=x,y").malformed);
  EXPECT_TRUE(walk(";a=x?y").malformed);
}

TEST(ParamIterator, StaysStoppedAfterMalformed) {
  ParamIterator it(";;a=1");
  Param p;
  EXPECT_FALSE(it.next(p));
  EXPECT_TRUE(it.malformed());
  EXPECT_FALSE(it.next(p));
}

TEST(ParamIterator, ValuesAreViewsIntoInput) {
  std::string_view in = ";tag=abc";
  ParamIterator it(in);
  Param p;
  ASSERT_TRUE(it.next(p));
  EXPECT_EQ(p.name.data(), in.data() + 1);
  EXPECT_EQ(p.value.data(), in.data() + 5);
}

// write_params_without copies plain lists piece by piece and rebuilds the rest from the walk.
// The oracle is the walk itself: random well-formed lists, plain or with LWS and quoted values,
// the dropped names in any case and place (repeated too, a longer name that starts like one).
TEST(WriteParamsWithout, WritesWhatTheWalkLeavesOfTheList) {
  constexpr std::string_view kNames[] = {"branch", "rport", "RPORT", "received", "Received", "rports", "lr", "x"};
  constexpr std::string_view kValues[] = {"", "z9hG4bK776asdhds", "5060", "10.0.0.1", "[2001:db8::1]", "a.b-c",
                                          "\"q;uoted=\""};
  constexpr std::string_view kSpaces[] = {"", "", "", "", " ", "\t", " \r\n "};
  ::sipedge::testing::TestRandom random(0x1b873593cc9e2d51ull);
  auto next = [&] { return random.next(); };
  for (int round = 0; round < 20000; ++round) {
    std::string params;
    const size_t count = next() % 6;
    for (size_t i = 0; i < count; ++i) {
      params += std::string(kSpaces[next() % std::size(kSpaces)]) + ";" + std::string(kSpaces[next() % std::size(kSpaces)]) +
                std::string(kNames[next() % std::size(kNames)]);
      const std::string_view value = kValues[next() % std::size(kValues)];
      if (!value.empty()) params += std::string(kSpaces[next() % std::size(kSpaces)]) + "=" + std::string(value);
    }
    ASSERT_FALSE(walk(params).malformed) << params;
    std::string want;
    ParamIterator it(params);
    for (Param p; it.next(p);) {
      if (iequals(p.name, "received") || iequals(p.name, "rport")) continue;
      want += ";" + std::string(p.name) + (p.has_value ? "=" + std::string(p.value) : "");
    }
    std::string out(params.size() + 1, '#');
    const char* end = write_params_without(params, "received", "rport", out.data());
    ASSERT_LE(static_cast<size_t>(end - out.data()), params.size()) << params;
    EXPECT_EQ(std::string_view(out.data(), static_cast<size_t>(end - out.data())), want) << params;
    EXPECT_EQ(out.back(), '#') << params;
  }
}

TEST(FindParam, IsCaseInsensitiveOnNames) {
  EXPECT_EQ(find_param(";Tag=AbC", "tag"), std::optional<std::string_view>("AbC"));
  EXPECT_EQ(find_param(";TRANSPORT=tcp;lr", "transport"), std::optional<std::string_view>("tcp"));
}

TEST(FindParam, ValuelessParamYieldsEmptyValue) {
  auto v = find_param(";lr;x=1", "lr");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, "");
}

TEST(FindParam, AbsentIsNullopt) {
  EXPECT_FALSE(find_param(";a=1;b", "c").has_value());
  EXPECT_FALSE(find_param("", "c").has_value());
  // Prefix of a longer name is not a match.
  EXPECT_FALSE(find_param(";tags=1", "tag").has_value());
}

TEST(FindParam, FirstOccurrenceWins) {
  EXPECT_EQ(find_param(";q=0.1;q=0.9", "q"), std::optional<std::string_view>("0.1"));
}

TEST(FindParam, MalformedBeforeTheMatchHidesIt) {
  EXPECT_FALSE(find_param(";;tag=1", "tag").has_value());
  EXPECT_EQ(find_param(";tag=1;;", "tag"), std::optional<std::string_view>("1"));
}

TEST(Unquote, StripsSurroundingQuotesOnly) {
  EXPECT_EQ(unquote(R"("abc")"), "abc");
  EXPECT_EQ(unquote(R"("a\"b")"), R"(a\"b)");
  EXPECT_EQ(unquote(R"("")"), "");
  EXPECT_EQ(unquote("abc"), "abc");
  EXPECT_EQ(unquote(R"(")"), R"(")");
  EXPECT_EQ(unquote(R"("abc)"), R"("abc)");
}

}  // namespace
}  // namespace sipedge::parser
