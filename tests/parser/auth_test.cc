// tests/parser/auth_test.cc — pins parser/auth.cc: Digest credentials and challenges as real UAs and
// servers write them (RFC 2617, RFC 7616, RFC 8760), and the faults for unreadable values.
#include "parser/auth.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "tests/support/test_random.h"

namespace sipedge::parser {
namespace {

TEST(ParseAuth, ReadsEveryFieldOfRealDigestCredentials) {
  constexpr std::string_view kValue =
      "Digest username=\"1006\",realm=\"192.168.0.201\",nonce=\"1a2b3c4d5e6f\","
      "uri=\"sip:192.168.0.201\",response=\"6629fae49393a05397450978507c4ef1\",algorithm=MD5,"
      "cnonce=\"0a4f113b\",qop=auth,nc=00000001,opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
  auto r = parse_auth(kValue);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->scheme, "Digest");
  EXPECT_EQ(r->username, "1006");
  EXPECT_EQ(r->realm, "192.168.0.201");
  EXPECT_EQ(r->nonce, "1a2b3c4d5e6f");
  EXPECT_EQ(r->uri, "sip:192.168.0.201");
  EXPECT_EQ(r->response, "6629fae49393a05397450978507c4ef1");
  EXPECT_EQ(r->algorithm, "MD5");
  EXPECT_EQ(r->cnonce, "0a4f113b");
  EXPECT_EQ(r->qop, "auth");
  EXPECT_EQ(r->nc, "00000001");
  EXPECT_EQ(r->opaque, "5ccc069c403ebaf9f0171e9517f40e41");
  EXPECT_EQ(r->stale, "");
  EXPECT_EQ(r->domain, "");
  EXPECT_EQ(r->userhash, "");
  EXPECT_FALSE(r->malformed);
}

TEST(ParseAuth, ValuesPointIntoTheInputWithoutCopying) {
  constexpr std::string_view kValue = "Digest username=\"alice\", realm=\"atlanta.com\"";
  auto r = parse_auth(kValue);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->username.data(), kValue.data() + 17);
  EXPECT_EQ(r->realm.data(), kValue.data() + 32);
}

TEST(ParseAuth, ReadsAChallengeWithAQopListAndStale) {
  auto r = parse_auth(
      "Digest realm=\"biloxi.com\", qop=\"auth,auth-int\", algorithm=SHA-256,\r\n "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", stale=FALSE, "
      "domain=\"sip:biloxi.com sip:ss1.biloxi.com\", opaque=\"\"");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->realm, "biloxi.com");
  EXPECT_EQ(r->qop, "auth,auth-int");
  EXPECT_EQ(r->algorithm, "SHA-256");
  EXPECT_EQ(r->nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
  EXPECT_EQ(r->stale, "FALSE");
  EXPECT_EQ(r->domain, "sip:biloxi.com sip:ss1.biloxi.com");
  EXPECT_EQ(r->opaque, "");
  EXPECT_FALSE(r->malformed);
  EXPECT_TRUE(qop_offers(r->qop, "auth"));
  EXPECT_TRUE(qop_offers(r->qop, "AUTH-INT"));
  EXPECT_FALSE(qop_offers(r->qop, "auth-conf"));
}

TEST(ParseAuth, ReadsFoldedProxyCredentialsFromRfc3665) {
  auto r = parse_auth(
      "Digest username=\"alice\",\r\n realm=\"atlanta.example.com\",\r\n "
      "nonce=\"wf84f1ceczx41ae6cbe5aea9c8e88d359\", opaque=\"\",\r\n "
      "uri=\"sip:bob@biloxi.example.com\",\r\n response=\"42ce3cef44b22f50c6a6071bc8\"");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->username, "alice");
  EXPECT_EQ(r->realm, "atlanta.example.com");
  EXPECT_EQ(r->nonce, "wf84f1ceczx41ae6cbe5aea9c8e88d359");
  EXPECT_EQ(r->opaque, "");
  EXPECT_EQ(r->uri, "sip:bob@biloxi.example.com");
  EXPECT_EQ(r->response, "42ce3cef44b22f50c6a6071bc8");
  EXPECT_EQ(r->qop, "");
  EXPECT_FALSE(r->malformed);
}

TEST(ParseAuth, ParameterNamesAreCaseInsensitiveAndLwsAroundEqualsIsAllowed) {
  auto r = parse_auth("digest USERNAME = \"bob\" , Realm=\"b.example\" ,UserHash=true");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->scheme, "digest");
  EXPECT_EQ(r->username, "bob");
  EXPECT_EQ(r->realm, "b.example");
  EXPECT_EQ(r->userhash, "true");
  EXPECT_FALSE(r->malformed);
}

TEST(ParseAuth, QuotedPairsStayEscapedAndCommasInsideQuotesDoNotSplit) {
  auto r = parse_auth(R"(Digest username="a\"b,c", realm="r")");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->username, R"(a\"b,c)");
  EXPECT_EQ(r->realm, "r");
}

TEST(ParseAuth, SkipsUnknownParameters) {
  auto r = parse_auth("Digest charset=UTF-8, x-vendor=\"v, w\", username=\"u\"");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->username, "u");
  EXPECT_FALSE(r->malformed);
}

TEST(ParseAuth, DuplicateKnownParameterKeepsTheFirstAndFlagsMalformed) {
  auto r = parse_auth("Digest username=\"first\", username=\"second\"");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->username, "first");
  EXPECT_TRUE(r->malformed);
}

TEST(ParseAuth, EmptyListElementsFlagMalformed) {
  auto a = parse_auth("Digest realm=\"r\",,nonce=\"n\"");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->nonce, "n");
  EXPECT_TRUE(a->malformed);
  auto b = parse_auth("Digest realm=\"r\",");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->malformed);
}

TEST(ParseAuth, NonceCountMustBeEightHexDigits) {
  auto short_nc = parse_auth("Digest nc=0001");
  ASSERT_TRUE(short_nc.ok());
  EXPECT_TRUE(short_nc->malformed);
  auto bad_hex = parse_auth("Digest nc=0000000g");
  ASSERT_TRUE(bad_hex.ok());
  EXPECT_TRUE(bad_hex->malformed);
  auto good = parse_auth("Digest nc=0000000A");
  ASSERT_TRUE(good.ok());
  EXPECT_FALSE(good->malformed);
}

TEST(ParseAuth, UnreadableValuesAreBadAuthorization) {
  constexpr std::string_view kBad[] = {
      "",
      "   ",
      "Digest",
      "Digest   ",
      "Digest username=\"1006",            // unterminated quoted-string
      "Digest username=\"1006\\",          // dangling quoted-pair
      "Digest realm=\"r\", nonce=\"abc",   // unterminated after a good parameter
      "Digest username",                   // no "="
      "Digest username=",                  // no value
      "Digest username=\"u\" realm=\"r\"", // missing comma
      "Digest uri=sip:host",               // unquoted value that is not a token
      "Digest=\"x\"",                      // no scheme/parameter separator
      "\"Digest\" username=\"u\"",         // scheme is not a token
      "Digest username=\"u\x01\"",         // control character in quoted-string
  };
  for (std::string_view v : kBad) {
    auto r = parse_auth(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadAuthorization) << v;
  }
}

// The quoted-string scan skips plain runs sixteen bytes a step; a byte-at-a-time reading of RFC
// 3261 §25.1 is the oracle. qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII; quoted-pair =
// "\" (%x00-09 / %x0B-0C / %x0E-7F). Random quoted realms, short and past sixteen bytes, over the
// bytes that matter.
TEST(ParseAuth, QuotedStringsAgreeWithTheGrammarReadByteByByte) {
  // Where the string's closing quote ends it, or npos when the grammar refuses it first.
  auto oracle = [](std::string_view s) -> size_t {
    for (size_t j = 1; j < s.size(); ++j) {
      const auto c = static_cast<unsigned char>(s[j]);
      if (c == '"') return j + 1;
      if (c == '\\') {
        if (j + 1 >= s.size()) return std::string_view::npos;
        const auto e = static_cast<unsigned char>(s[j + 1]);
        if (e == '\n' || e == '\r' || e > 0x7f) return std::string_view::npos;
        ++j;
      } else if ((c < 0x20 && c != ' ' && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
        return std::string_view::npos;
      }
    }
    return std::string_view::npos;
  };
  constexpr std::string_view kBytes("aZ09 \t\"\\\r\n\x01\x7f\xc3\xa9~-\0", 17);
  ::sipedge::testing::TestRandom random(0x2545f4914f6cdd1dull);
  for (int round = 0; round < 20000; ++round) {
    std::string quoted = "\"";
    const size_t len = random.next() % 4 == 0 ? random.next() % 60 : random.next() % 12;
    for (size_t i = 0; i < len; ++i) {
      // Mostly plain letters, so long plain runs occur and the rarer bytes land anywhere in them.
      quoted += random.next() % 3 != 0 ? 'x' : kBytes[random.next() % kBytes.size()];
    }
    if (random.next() % 4 != 0) quoted += '"';
    const size_t end = oracle(quoted);
    const std::string value = "Digest realm=" + quoted;
    auto r = parse_auth(value);
    // Whole: nothing but LWS after the closing quote (a quote inside ends it early, and what
    // follows is junk where a comma must be).
    const bool want = end != std::string_view::npos &&
                      quoted.find_first_not_of(" \t\r\n", end) == std::string::npos;
    ASSERT_EQ(r.ok(), want) << value << " (" << value.size() << " bytes, oracle end " << end << ")";
    if (want) {
      EXPECT_EQ(r->realm, quoted.substr(1, end - 2)) << value;
    }
  }
}

TEST(FindAuthParam, ReadsOneParameterAsParseAuthWould) {
  constexpr std::string_view kValue =
      "Digest username=\"1006\", REALM = \"a\\\"b\" ,nonce=\"n\",realm=\"second\",uri=\"sip:x\"";
  EXPECT_EQ(find_auth_param(kValue, "realm"), parse_auth(kValue)->realm);
  EXPECT_EQ(find_auth_param(kValue, "realm"), std::optional<std::string_view>("a\\\"b"));
  EXPECT_EQ(find_auth_param(kValue, "Nonce"), std::optional<std::string_view>("n"));
  EXPECT_EQ(find_auth_param(kValue, "opaque"), std::nullopt);
  // Read only as far as the parameter: garbage after it does not hide it, garbage before does.
  EXPECT_EQ(find_auth_param("Digest realm=\"r\", nonce=", "realm"), std::optional<std::string_view>("r"));
  EXPECT_FALSE(parse_auth("Digest realm=\"r\", nonce=").ok());
  EXPECT_EQ(find_auth_param("Digest nonce=, realm=\"r\"", "realm"), std::nullopt);
  EXPECT_EQ(find_auth_param("Digest realm=\"unterminated", "realm"), std::nullopt);
  EXPECT_EQ(find_auth_param("Digest", "realm"), std::nullopt);
  EXPECT_EQ(find_auth_param("Digest ,, realm=r", "realm"), std::optional<std::string_view>("r"));
}

TEST(QopList, IteratesOptionsSkippingEmptyElements) {
  QopList list(" auth , ,auth-int,");
  std::string_view o;
  ASSERT_TRUE(list.next(o));
  EXPECT_EQ(o, "auth");
  ASSERT_TRUE(list.next(o));
  EXPECT_EQ(o, "auth-int");
  EXPECT_FALSE(list.next(o));
}

}  // namespace
}  // namespace sipedge::parser
