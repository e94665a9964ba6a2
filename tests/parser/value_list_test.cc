// tests/parser/value_list_test.cc — pins parser/value_list.cc: LWS trimming, quoted-string
// skipping, the top-level comma split (RFC 3261 §7.3.1) and items across repeated headers.
#include "parser/value_list.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parser/scanner_hand.h"
#include "tests/support/test_random.h"

namespace sipedge::parser {
namespace {

std::vector<std::string> split(std::string_view value) {
  std::vector<std::string> out;
  CommaItems items(value);
  std::string_view item;
  while (items.next(item)) out.emplace_back(item);
  return out;
}

std::vector<std::string> items_of(const Message& msg, HeaderId id) {
  std::vector<std::string> out;
  HeaderItems items(msg, id);
  std::string_view item;
  while (items.next(item)) out.emplace_back(item);
  return out;
}

using V = std::vector<std::string>;

TEST(TrimLws, StripsSpacesTabsAndFoldsAtBothEnds) {
  EXPECT_EQ(trim_lws("  abc \t"), "abc");
  EXPECT_EQ(trim_lws("\r\n abc\r\n\t"), "abc");
  EXPECT_EQ(trim_lws("a b"), "a b");
  EXPECT_EQ(trim_lws(" \t\r\n "), "");
  EXPECT_EQ(trim_lws(""), "");
}

TEST(TrimLws, ReturnsViewIntoInput) {
  std::string_view in = "  xyz  ";
  std::string_view out = trim_lws(in);
  EXPECT_EQ(out.data(), in.data() + 2);
  EXPECT_EQ(out.size(), 3u);
}

TEST(SkipQuoted, FindsClosingQuoteAndHonoursBackslashEscapes) {
  std::string_view s = R"("a\"b" rest)";
  EXPECT_EQ(skip_quoted(s, 0), 6u);
  EXPECT_EQ(skip_quoted(R"("ab\\")", 0), 6u);
  EXPECT_EQ(skip_quoted(R"("unterminated)", 0), std::string_view::npos);
  EXPECT_EQ(skip_quoted(R"("ends in escape\")", 0), std::string_view::npos);
}

TEST(SkipLwsAndToken, StopAtTheRightByte) {
  EXPECT_EQ(skip_lws("  \tx", 0), 3u);
  EXPECT_EQ(skip_lws("abc", 1), 1u);
  EXPECT_EQ(skip_token("SIP/2.0", 0), 3u);
  EXPECT_EQ(skip_token("z9hG4bK-1.a!%*_+`'~;x", 0), 19u);
  EXPECT_TRUE(is_token_char('~'));
  EXPECT_FALSE(is_token_char('/'));
  EXPECT_FALSE(is_token_char('"'));
}

TEST(CommaItems, SplitsAtTopLevelCommasAndTrims) {
  EXPECT_EQ(split("a, b ,c"), (V{"a", "b", "c"}));
  EXPECT_EQ(split("single"), (V{"single"}));
  EXPECT_EQ(split("INVITE,ACK,BYE"), (V{"INVITE", "ACK", "BYE"}));
}

TEST(CommaItems, CommaInsideQuotesDoesNotSplit) {
  EXPECT_EQ(split(R"("Doe, John" <sip:j@x>, <sip:k@y>)"), (V{R"("Doe, John" <sip:j@x>)", "<sip:k@y>"}));
}

TEST(CommaItems, EscapedQuoteInsideQuotesKeepsTheStringOpen) {
  EXPECT_EQ(split(R"("a\", b" <sip:a@x>, c)"), (V{R"("a\", b" <sip:a@x>)", "c"}));
}

TEST(CommaItems, CommaInsideAngleBracketsDoesNotSplit) {
  EXPECT_EQ(split("<sip:a@x;x=a,b>;q=1, <sip:b@y>"), (V{"<sip:a@x;x=a,b>;q=1", "<sip:b@y>"}));
}

TEST(CommaItems, QuoteInsideAngleBracketsIsIgnored) {
  EXPECT_EQ(split(R"(<sip:a"b@x>, <sip:c@y>)"), (V{R"(<sip:a"b@x>)", "<sip:c@y>"}));
}

TEST(CommaItems, SkipsEmptyItems) {
  EXPECT_EQ(split("a,,b, ,"), (V{"a", "b"}));
  EXPECT_EQ(split(""), V{});
  EXPECT_EQ(split(" , "), V{});
}

TEST(CommaItems, FoldedLinesAreLws) {
  EXPECT_EQ(split("SIP/2.0/UDP a;branch=z9hG4bK1,\r\n SIP/2.0/UDP b"),
            (V{"SIP/2.0/UDP a;branch=z9hG4bK1", "SIP/2.0/UDP b"}));
}

TEST(CommaItems, UnterminatedQuoteTakesTheRestAsOneItem) {
  EXPECT_EQ(split(R"(a, "b, c)"), (V{"a", R"("b, c)"}));
}

TEST(CommaItems, UnterminatedAngleTakesTheRestAsOneItem) {
  EXPECT_EQ(split("a, <sip:b, c"), (V{"a", "<sip:b, c"}));
  EXPECT_EQ(split("a, <"), (V{"a", "<"}));
}

// A byte-at-a-time reading of RFC 3261 §7.3.1 as an oracle for the split, which looks at sixteen
// bytes a step: random values over the bytes that matter, at every length across those steps.
std::vector<std::string> split_by_hand(std::string_view v) {
  std::vector<std::string> out;
  auto emit = [&](size_t from, size_t to) {
    std::string_view item = v.substr(from, to - from);
    while (!item.empty() && std::string_view(" \t\r\n").find(item.front()) != std::string_view::npos) item.remove_prefix(1);
    while (!item.empty() && std::string_view(" \t\r\n").find(item.back()) != std::string_view::npos) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
  };
  size_t start = 0, i = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < v.size() && v[j] != '"') j += v[j] == '\\' ? 2 : 1;
      i = j < v.size() ? j + 1 : v.size();
    } else if (c == '<') {
      const size_t gt = v.find('>', i + 1);
      i = gt == std::string_view::npos ? v.size() : gt + 1;
    } else if (c == ',') {
      emit(start, i);
      start = ++i;
    } else {
      ++i;
    }
  }
  emit(start, v.size());
  return out;
}

TEST(CommaItems, AgreesWithASplitByHandOnRandomValues) {
  constexpr std::string_view kBytes = "ab,,\"<> \t\\x;=";
  ::sipedge::testing::TestRandom random(0x9e3779b97f4a7c15ull);
  auto next = [&] { return random.next(); };
  for (int round = 0; round < 20000; ++round) {
    std::string value(next() % 70, ' ');
    for (char& c : value) c = kBytes[next() % kBytes.size()];
    ASSERT_EQ(split(value), split_by_hand(value)) << "value: " << value;
  }
}

// ByteRun's sixteen-byte steps stop where a byte-at-a-time walk of its table does: every set the
// parsers use, over random bytes (high ones included) at random lengths and start positions.
TEST(ByteRun, StopsWhereTheTableWalkStops) {
  std::array<bool, 256> mixed{};
  for (int c : {int{'a'}, int{'z'}, int{'A'}, int{'0'}, int{'9'}, int{'-'}, int{'.'}, int{'!'}, int{'~'}, int{'['}, int{']'}, int{'`'}, 0x7f, 0x01})
    mixed[c] = true;
  const ByteRun runs[] = {detail::kTokenRun, ByteRun(mixed), ByteRun(std::array<bool, 256>{})};
  const std::array<bool, 256>* tables[] = {&detail::kTokenChar, &mixed, nullptr};
  ::sipedge::testing::TestRandom random(0x2545f4914f6cdd1dull);
  auto next = [&] { return random.next(); };
  for (size_t r = 0; r < std::size(runs); ++r) {
    for (int round = 0; round < 5000; ++round) {
      std::string text(next() % 80, 'a');
      // Mostly members, so runs cross several sixteen-byte steps; now and then any byte.
      for (char& c : text) c = next() % 8 == 0 ? static_cast<char>(next() % 256) : "az09-.!~"[next() % 8];
      const size_t start = text.empty() ? 0 : next() % (text.size() + 1);
      size_t expected = start;
      while (expected < text.size() && tables[r] != nullptr && (*tables[r])[static_cast<unsigned char>(text[expected])])
        ++expected;
      ASSERT_EQ(runs[r].skip(text, start), expected) << "set " << r << ", text " << text << ", from " << start;
    }
  }
}

// Both sixteen-byte walks read a short tail as the text's last sixteen bytes again. A view inside a
// larger buffer whose bytes around it would stop either walk shows they never read outside it, and
// a stopping byte ahead of the start, inside that overlap, never counts.
TEST(ByteRun, TailsNeverReachOutsideTheTextOrBehindTheStart) {
  ::sipedge::testing::TestRandom random(0x9e3779b97f4a7c15ull);
  auto next = [&] { return random.next(); };
  for (int round = 0; round < 20000; ++round) {
    const size_t len = next() % 48;
    std::string buffer(len + 32, ',');
    for (size_t i = 16; i < 16 + len; ++i) buffer[i] = next() % 6 == 0 ? ",;\r "[next() % 4] : "abz09"[next() % 5];
    const std::string_view text(buffer.data() + 16, len);
    const size_t start = next() % (len + 1);
    size_t token_end = start, stop = start;
    while (token_end < len && detail::kTokenChar[static_cast<unsigned char>(text[token_end])]) ++token_end;
    while (stop < len && text[stop] != ',' && text[stop] != ';' && text[stop] != '\r') ++stop;
    ASSERT_EQ(detail::kTokenRun.skip(text, start), token_end) << text << " from " << start;
    ASSERT_EQ(find_first_of3(text, start, ',', ';', '\r'), stop) << text << " from " << start;
  }
}

TEST(CommaItems, ItemsAreViewsIntoTheValue) {
  std::string_view v = "x, yy";
  CommaItems items(v);
  std::string_view item;
  ASSERT_TRUE(items.next(item));
  EXPECT_EQ(item.data(), v.data());
  ASSERT_TRUE(items.next(item));
  EXPECT_EQ(item.data(), v.data() + 3);
  EXPECT_FALSE(items.next(item));
  EXPECT_FALSE(items.next(item));
}

// Builds a Message by hand, without a scanner, so HeaderItems is pinned on its own.
TEST(HeaderItems, WalksRepeatedHeadersInOrderBuiltByHand) {
  std::string_view bytes = "Via: a, b\r\nTo: t\r\nVia: c\r\n";
  Message msg;
  msg.reset(bytes);
  ASSERT_TRUE(msg.add_header(HeaderId::Via, Span{0, 3}, Span{5, 4}));
  ASSERT_TRUE(msg.add_header(HeaderId::To, Span{11, 2}, Span{15, 1}));
  ASSERT_TRUE(msg.add_header(HeaderId::Via, Span{18, 3}, Span{23, 1}));
  EXPECT_EQ(items_of(msg, HeaderId::Via), (V{"a", "b", "c"}));
  EXPECT_EQ(items_of(msg, HeaderId::To), (V{"t"}));
  EXPECT_EQ(items_of(msg, HeaderId::Contact), V{});
}

TEST(HeaderItems, SkipsEmptyHeaderValuesAndContinues) {
  std::string_view bytes = "Via: \r\nVia: x\r\n";
  Message msg;
  msg.reset(bytes);
  ASSERT_TRUE(msg.add_header(HeaderId::Via, Span{0, 3}, Span{5, 0}));
  ASSERT_TRUE(msg.add_header(HeaderId::Via, Span{7, 3}, Span{12, 1}));
  EXPECT_EQ(items_of(msg, HeaderId::Via), (V{"x"}));
}

TEST(HeaderItems, ScannedMessageMixesCompactAndFullNames) {
  std::string_view bytes =
      "OPTIONS sip:x@example.com SIP/2.0\r\n"
      "v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n"
      "Supported: timer\r\n"
      "VIA: SIP/2.0/TCP c.example.com;branch=z9hG4bK3\r\n"
      "k: 100rel,\r\n replaces\r\n"
      "Supported: path\r\n"
      "Content-Length: 0\r\n\r\n";
  HandScanner scanner;
  Message msg;
  ScanResult r = scanner.scan(bytes, Framing::Datagram, msg);
  ASSERT_EQ(r.status, ScanStatus::Complete);
  EXPECT_EQ(items_of(msg, HeaderId::Via),
            (V{"SIP/2.0/UDP a.example.com;branch=z9hG4bK1", "SIP/2.0/UDP b.example.com;branch=z9hG4bK2",
               "SIP/2.0/TCP c.example.com;branch=z9hG4bK3"}));
  EXPECT_EQ(items_of(msg, HeaderId::Supported), (V{"timer", "100rel", "replaces", "path"}));
}

}  // namespace
}  // namespace sipedge::parser
