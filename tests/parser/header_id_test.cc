// Pins parser/header_id.cc: every dictionary name and compact form maps to its id in any case, and
// near misses (wrong length, a byte changed, CR for '-') never do.
#include "parser/header_id.h"

#include <gtest/gtest.h>

#include <string>

namespace sipedge::parser {
namespace {

std::string mixed_case(std::string_view s, unsigned seed) {
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    if (((seed >> (i % 16)) & 1) && c >= 'a' && c <= 'z') out[i] = static_cast<char>(c - 32);
    if (!((seed >> (i % 16)) & 1) && c >= 'A' && c <= 'Z') out[i] = static_cast<char>(c + 32);
  }
  return out;
}

TEST(HeaderId, EveryNameAndCompactFormInAnyCase) {
  for (unsigned v = 1; v < kHeaderIdCount; ++v) {
    const auto id = static_cast<HeaderId>(v);
    const std::string_view name = header_canonical_name(id);
    for (unsigned seed : {0u, 0xffffu, 0x5555u, 0xaaaau, 0x1234u}) {
      const std::string n = mixed_case(name, seed);
      EXPECT_EQ(header_id_lookup(n), id) << n;
    }
    if (const char c = header_compact_form(id)) {
      EXPECT_EQ(header_id_lookup(std::string(1, c)), id) << c;
      EXPECT_EQ(header_id_lookup(std::string(1, static_cast<char>(c - 32))), id) << c;
    }
  }
}

TEST(HeaderId, NearMissesAreOther) {
  for (unsigned v = 1; v < kHeaderIdCount; ++v) {
    const std::string name(header_canonical_name(static_cast<HeaderId>(v)));
    EXPECT_EQ(header_id_lookup(name + "x"), HeaderId::Other) << name;
    if (name.size() > 2) {  // "To" shortened is "T", which is its compact form
      EXPECT_NE(header_id_lookup(name.substr(0, name.size() - 1)), static_cast<HeaderId>(v)) << name;
    }
    for (size_t i = 0; i < name.size(); ++i) {
      std::string changed = name;
      changed[i] = name[i] == '-' ? '\r' : static_cast<char>(name[i] ^ 0x01);
      if (header_id_lookup(changed) != HeaderId::Other) {
        EXPECT_NE(header_id_lookup(changed), static_cast<HeaderId>(v)) << changed;
      }
    }
  }
  EXPECT_EQ(header_id_lookup(""), HeaderId::Other);
  EXPECT_EQ(header_id_lookup("X-Custom"), HeaderId::Other);
  EXPECT_EQ(header_id_lookup("g"), HeaderId::Other) << "not a compact form";
  EXPECT_EQ(header_id_lookup("\xff"), HeaderId::Other);
}

TEST(HeaderId, CanonicalNamesAndIequals) {
  EXPECT_EQ(header_canonical_name(HeaderId::CallId), "Call-ID");
  EXPECT_EQ(header_canonical_name(HeaderId::WwwAuthenticate), "WWW-Authenticate");
  EXPECT_EQ(header_canonical_name(HeaderId::Other), "");
  EXPECT_EQ(header_compact_form(HeaderId::Via), 'v');
  EXPECT_EQ(header_compact_form(HeaderId::CSeq), 0);
  EXPECT_TRUE(iequals("Content-Length", "cONTENT-lENGTH"));
  EXPECT_FALSE(iequals("Content-Length", "Content_Length"));
  EXPECT_FALSE(iequals("a", "ab"));
  EXPECT_FALSE(iequals("@", "`")) << "0x40 and 0x60 differ only in the case bit but are not letters";
}

}  // namespace
}  // namespace sipedge::parser
