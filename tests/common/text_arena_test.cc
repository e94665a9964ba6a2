// tests/common/text_arena_test.cc — TextArena: texts keep their bytes while later ones are written,
// inside the arena and past it.
#include "common/text_arena.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/net_address.h"

namespace sipedge {
namespace text_arena_test {

TEST(TextArena, JoinsPartsAndWritesNumbers) {
  TextArena a;
  EXPECT_EQ(a.cat({"SIP/2.0/UDP ", "10.0.0.1:5060", ";branch=", "z9hG4bK1"}), "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1");
  EXPECT_EQ(a.number(0), "0");
  EXPECT_EQ(a.number(18446744073709551615ull), "18446744073709551615");
  EXPECT_EQ(a.copy(""), "");
  EXPECT_EQ(a.cat({}), "");
}

TEST(TextArena, EarlierTextsKeepTheirBytesWhenLaterOnesSpillPastTheInlineRoom) {
  TextArena a;
  std::vector<std::pair<std::string_view, std::string>> written;
  // Texts of growing sizes, some larger than the inline room, until several chunks were taken.
  for (size_t i = 0; i < 200; ++i) {
    const std::string text(1 + (i * 37) % (TextArena::kInline + 300), static_cast<char>('a' + i % 26));
    written.emplace_back(a.copy(text), text);
  }
  for (const auto& [view, text] : written) EXPECT_EQ(view, text);
}

TEST(TextArena, BeginAndCommitWriteATextInPlace) {
  TextArena a;
  const std::string_view first = a.copy("first");
  char* at = a.begin(64);
  at = TextArena::put(at, "second");
  *at++ = ';';
  const std::string_view second = a.commit(at);
  EXPECT_EQ(second, "second;");
  EXPECT_EQ(first, "first");
  EXPECT_EQ(a.copy("third"), "third");
  EXPECT_EQ(second, "second;");
}

TEST(AddrText, MatchesTheAllocatingForms) {
  const IpAddr v4 = IpAddr::v4(192, 0, 2, 255);
  EXPECT_EQ(v4.text().view(), "192.0.2.255");
  EXPECT_EQ(v4.uri_host_text().view(), "192.0.2.255");
  const IpAddr v6 = *IpAddr::parse("2001:db8::ffff:192.0.2.1");
  EXPECT_EQ(v6.text().view(), v6.to_string());
  EXPECT_EQ(v6.uri_host_text().view(), "[" + v6.to_string() + "]");
  // The longest IPv6 text inet_ntop writes, bracketed, with the largest port.
  const IpAddr longest = *IpAddr::parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
  EXPECT_EQ((Endpoint{longest, 65535}.text().view()), "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
  EXPECT_EQ((Endpoint{v4, 5060}.text().view()), "192.0.2.255:5060");
  EXPECT_EQ(IpAddr{}.text().view(), "");
}

}  // namespace text_arena_test
}  // namespace sipedge
