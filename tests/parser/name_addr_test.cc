// tests/parser/name_addr_test.cc — pins parser/name_addr.cc: name-addr and addr-spec forms
// (RFC 3261 §25.1, §20.10), display names as real phones write them, header params, faults.
#include "parser/name_addr.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "parser/contact.h"
#include "parser/params.h"
#include "parser/scanner_hand.h"
#include "tests/parser/seed_corpus.h"

namespace sipedge::parser {
namespace name_addr_test {

NameAddr ok(std::string_view text) {
  auto r = parse_name_addr(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : NameAddr{};
}

Fault fault_of(std::string_view text) {
  auto r = parse_name_addr(text);
  return r.ok() ? Fault::None : r.error();
}

TEST(ParseNameAddr, QuotedDisplayNameWithTag) {
  NameAddr a = ok(R"("Bob" <sips:bob@biloxi.com>;tag=a48s)");
  EXPECT_EQ(a.display_name, "Bob");
  EXPECT_EQ(a.uri_text, "sips:bob@biloxi.com");
  EXPECT_EQ(a.uri.scheme, UriScheme::Sips);
  EXPECT_EQ(a.uri.user, "bob");
  EXPECT_EQ(a.uri.host, "biloxi.com");
  EXPECT_EQ(a.params, ";tag=a48s");
  EXPECT_EQ(a.tag(), "a48s");
  EXPECT_TRUE(a.bracketed);
}

TEST(ParseNameAddr, QuotedDisplayNameWithoutSpaceBeforeAngle) {
  NameAddr a = ok(R"("1006"<sip:1006@192.168.0.201>;tag=2094911163)");
  EXPECT_EQ(a.display_name, "1006");
  EXPECT_EQ(a.uri_text, "sip:1006@192.168.0.201");
  EXPECT_EQ(a.uri.host_type, HostType::IPv4);
  EXPECT_EQ(a.tag(), "2094911163");
}

// The tag noted during the parse is the one find_param gives: the first, names matched without
// case, an empty value when it has none; a NameAddr built by hand still looks it up.
TEST(ParseNameAddr, TagNotedOnTheParseIsTheFirstOneFindParamGives) {
  for (std::string_view text : {"<sip:a@x>;TAG=one;tag=two", "<sip:a@x>;x=1;Tag=\"q\";tag=z", "sip:a@x;tag",
                                "<sip:a@x>;tagx=1", "<sip:a@x;tag=uri-param>", "<sip:a@x> ; tag = spaced"}) {
    const NameAddr a = ok(text);
    ASSERT_TRUE(a.known_tag.has_value()) << text;
    EXPECT_EQ(a.tag(), find_param(a.params, "tag").value_or(std::string_view{})) << text;
  }
  EXPECT_EQ(ok("<sip:a@x>;TAG=one;tag=two").tag(), "one");
  EXPECT_EQ(ok("<sip:a@x;tag=uri-param>").tag(), "");
  NameAddr by_hand;
  by_hand.params = ";tag=hand";
  EXPECT_EQ(by_hand.tag(), "hand");
}

TEST(ParseNameAddr, QuotedDisplayNameKeepsEscapesAndSeparators) {
  NameAddr a = ok(R"("Doe, \"JJ\" <x>" <sip:jj@x.com>)");
  EXPECT_EQ(a.display_name, R"(Doe, \"JJ\" <x>)");
  EXPECT_EQ(a.uri_text, "sip:jj@x.com");
  EXPECT_EQ(a.params, "");
  EXPECT_EQ(a.tag(), "");
}

TEST(ParseNameAddr, EmptyQuotedDisplayName) {
  NameAddr a = ok(R"("" <sip:anonymous@anonymous.invalid>;tag=1)");
  EXPECT_EQ(a.display_name, "");
  EXPECT_EQ(a.uri.host, "anonymous.invalid");
}

TEST(ParseNameAddr, TokenDisplayNames) {
  NameAddr a = ok("Bob <sip:bob@biloxi.com>");
  EXPECT_EQ(a.display_name, "Bob");
  EXPECT_EQ(a.uri.user, "bob");
  NameAddr b = ok("John Q. Public  <sip:jqp@x.com>;tag=9");
  EXPECT_EQ(b.display_name, "John Q. Public");
  EXPECT_EQ(b.tag(), "9");
  NameAddr c = ok("Bob<sip:bob@biloxi.com>");
  EXPECT_EQ(c.display_name, "Bob");
}

TEST(ParseNameAddr, UnquotedUtf8DisplayNameIsTolerated) {
  NameAddr a = ok("\xE5\xBC\xA0\xE4\xB8\x89 <sip:zhangsan@example.cn>");
  EXPECT_EQ(a.display_name, "\xE5\xBC\xA0\xE4\xB8\x89");
  EXPECT_EQ(a.uri.user, "zhangsan");
}

TEST(ParseNameAddr, BracketedWithoutDisplayName) {
  NameAddr a = ok("<sip:alice@atlanta.com;transport=tcp>;expires=3600");
  EXPECT_EQ(a.display_name, "");
  EXPECT_EQ(a.uri_text, "sip:alice@atlanta.com;transport=tcp");
  EXPECT_EQ(a.uri.params, ";transport=tcp");
  EXPECT_EQ(a.params, ";expires=3600");
  EXPECT_EQ(a.param("EXPIRES"), std::optional<std::string_view>("3600"));
  EXPECT_FALSE(a.param("transport").has_value());  // a URI param, not a header param
}

TEST(ParseNameAddr, AddrSpecParamsBelongToTheHeader) {
  NameAddr a = ok("sip:alice@atlanta.com;tag=1928301774");
  EXPECT_FALSE(a.bracketed);
  EXPECT_EQ(a.display_name, "");
  EXPECT_EQ(a.uri_text, "sip:alice@atlanta.com");
  EXPECT_EQ(a.uri.params, "");
  EXPECT_EQ(a.params, ";tag=1928301774");
  EXPECT_EQ(a.tag(), "1928301774");
}

TEST(ParseNameAddr, AddrSpecWithAngleInsideQuotedParam) {
  NameAddr a = ok("sip:a@192.0.2.4;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"");
  EXPECT_FALSE(a.bracketed);
  EXPECT_EQ(a.uri_text, "sip:a@192.0.2.4");
  EXPECT_EQ(a.param("+sip.instance"),
            std::optional<std::string_view>("\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\""));
}

TEST(ParseNameAddr, AddrSpecWithoutParamsAndWithLwsBeforeParams) {
  NameAddr a = ok("  sip:carol@chicago.com  ");
  EXPECT_EQ(a.uri_text, "sip:carol@chicago.com");
  EXPECT_EQ(a.params, "");
  NameAddr b = ok("sip:carol@chicago.com ;tag=x");
  EXPECT_EQ(b.uri_text, "sip:carol@chicago.com");
  EXPECT_EQ(b.params, ";tag=x");
}

TEST(ParseNameAddr, LwsAroundHeaderParamsIsTolerated) {
  NameAddr a = ok("<sip:x@y.com> ; tag = 77 ;lr");
  EXPECT_EQ(a.params, "; tag = 77 ;lr");
  EXPECT_EQ(a.tag(), "77");
  EXPECT_TRUE(a.param("lr").has_value());
}

TEST(ParseNameAddr, LooseRouteUriParams) {
  NameAddr a = ok("<sip:p1.example.com;lr>");
  EXPECT_TRUE(a.uri.lr());
  EXPECT_EQ(a.uri.host, "p1.example.com");
  EXPECT_EQ(a.params, "");
}

TEST(ParseNameAddr, TelAndOtherSchemes) {
  NameAddr a = ok("<tel:+15551234567;phone-context=example.com>;reason=unconditional");
  EXPECT_EQ(a.uri.scheme, UriScheme::Tel);
  EXPECT_EQ(a.uri.user, "+15551234567");
  EXPECT_EQ(a.param("reason"), std::optional<std::string_view>("unconditional"));
  NameAddr b = ok("<urn:service:sos>");
  EXPECT_EQ(b.uri.scheme, UriScheme::Other);
  EXPECT_EQ(b.uri.user, "service:sos");
}

TEST(ParseNameAddr, ReferToWithEmbeddedReplaces) {
  NameAddr a = ok("<sip:dave@denver.example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>");
  EXPECT_EQ(a.uri.host, "denver.example.org");
  EXPECT_EQ(a.uri.headers, "Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994");
}

TEST(ParseNameAddr, FoldedValueIsLws) {
  NameAddr a = ok("\"A\"\r\n <sip:a@b.com>\r\n ;tag=1");
  EXPECT_EQ(a.display_name, "A");
  EXPECT_EQ(a.tag(), "1");
}

TEST(ParseNameAddr, StructuralErrorsAreBadNameAddr) {
  for (std::string_view bad : {
           "",                                   // empty
           "   ",                                // only LWS
           R"("Bob <sip:bob@x.com>)",            // unterminated quote
           R"("Bob" sip:bob@x.com)",             // quoted display name needs <...>
           "<sip:bob@x.com",                     // unterminated <
           "<sip:bob@x.com>junk",                // junk after >
           "<sip:bob@x.com> tag=1",              // params need ';'
           "<sip:bob@x.com>;",                   // empty param
           "<sip:bob@x.com>;tag=",               // empty value
           "Bob: <sip:bob@x.com>",               // ':' is not a token char
           "Bob \"Q\" <sip:bob@x.com>",          // quotes mid display name
           "sip:bob@x.com;tag=1 junk",           // junk after params
       }) {
    EXPECT_EQ(fault_of(bad), Fault::BadNameAddr) << bad;
  }
}

TEST(ParseNameAddr, BadUriInsideIsBadUri) {
  EXPECT_EQ(fault_of("<sip:bob@>"), Fault::BadUri);
  EXPECT_EQ(fault_of("<>"), Fault::BadUri);
  EXPECT_EQ(fault_of("\"Bob\" <sip:bob@256.0.0.1>"), Fault::BadUri);
  EXPECT_EQ(fault_of("bob@x.com"), Fault::BadUri);  // no scheme
  EXPECT_EQ(fault_of("sip:bob@x.com>"), Fault::BadUri);
}

// A tag, or the fault in its place, as text a failed check prints.
std::string name_addr_tag_text(const Result<std::string_view, Fault>& r) {
  return r.ok() ? std::string(*r) : "fault " + std::string(fault_name(r.error()));
}

// name_addr_tag reads what parse_name_addr reads less the URI: the same tag, the same
// BadNameAddr, and a tag where the URI alone is bad.
TEST(NameAddrTag, AgreesWithTheWholeParseExceptOnTheUri) {
  for (std::string_view v : {
           "\"A\" <sip:a@b.com>;tag=1", "<sip:a@b.com>;x=1;TAG=Up;tag=second", "sip:a@b.com;tag=9;lr",
           "sip:a@b.com", "Bob Smith <sip:bob@x.com> ;tag = t1 ", "<sip:c@d;tag=uri-param>;x=1;tag",
           "sip:x@y;+sip.instance=\"<urn:uuid:1>\";tag=i", "\"1006\"<sip:1006@10.0.0.1:5060>;tag=abc",
           "", "   ", R"("Bob <sip:bob@x.com>)", R"("Bob" sip:bob@x.com)", "<sip:bob@x.com", "<sip:bob@x.com>junk",
           "<sip:bob@x.com> tag=1", "<sip:bob@x.com>;", "<sip:bob@x.com>;tag=", "Bob: <sip:bob@x.com>",
           "sip:bob@x.com;tag=1 junk", "<sip:bob@>;tag=u", "<>", "\"Bob\" <sip:bob@256.0.0.1>;tag=q",
           "bob@x.com;tag=n", "sip:bob@x.com>",
       }) {
    SCOPED_TRACE(v);
    const Result<NameAddr, Fault> whole = parse_name_addr(v);
    const Result<std::string_view, Fault> tag = name_addr_tag(v);
    if (whole.ok()) {
      ASSERT_TRUE(tag.ok());
      EXPECT_EQ(*tag, whole->tag());
    } else if (whole.error() == Fault::BadNameAddr) {
      ASSERT_FALSE(tag.ok());
      EXPECT_EQ(tag.error(), Fault::BadNameAddr);
    } else {
      EXPECT_EQ(whole.error(), Fault::BadUri);
      EXPECT_TRUE(tag.ok());
    }
  }
  EXPECT_EQ(name_addr_tag_text(name_addr_tag("<sip:bob@>;tag=u")), "u");
  EXPECT_EQ(name_addr_tag_text(name_addr_tag("bob@x.com;tag=n")), "n");
}

TEST(ParseNameAddr, PartsAreViewsIntoTheInput) {
  std::string_view in = "\"A\" <sip:a@b.com>;tag=1";
  NameAddr a = ok(in);
  EXPECT_EQ(a.display_name.data(), in.data() + 1);
  EXPECT_EQ(a.uri_text.data(), in.data() + 5);
  EXPECT_EQ(a.uri.host.data(), in.data() + 11);
  EXPECT_EQ(a.params.data(), in.data() + 17);
}

// The real captures of the seed call flows (tests/data/seeds): every From, To, Contact, Route,
// Record-Route, Diversion and Refer-To parses and has a host. Only the RFC 2543-style example
// (002_24..27, "TheBigGuy") has a From without a tag.
TEST(ParseNameAddr, EverySeedMessageAddressHeaderParses) {
  unsigned single = 0, contacts = 0, routes = 0, untagged_from = 0;
  HandScanner scanner;
  for (const testing::SeedFile& seed : testing::seed_files()) {
    const std::string& bytes = seed.bytes;
    Message msg;
    ASSERT_EQ(scanner.scan(bytes, Framing::Datagram, msg).status, ScanStatus::Complete) << bytes;
    for (HeaderId id : {HeaderId::From, HeaderId::To, HeaderId::Diversion, HeaderId::ReferTo}) {
      for (const HeaderField* h = msg.find(id); h != nullptr; h = msg.next_same(h)) {
        auto na = parse_name_addr(msg.text(h->value));
        ASSERT_TRUE(na.ok()) << msg.text(h->value);
        EXPECT_FALSE(na->uri.host.empty()) << msg.text(h->value);
        if (id == HeaderId::From && na->tag().empty()) {
          ++untagged_from;
          EXPECT_EQ(na->display_name, "TheBigGuy");
        }
        ++single;
      }
    }
    ContactList cl(msg);
    Result<Contact, Fault> c = Err{Fault::None};
    while (cl.next(c)) {
      ASSERT_TRUE(c.ok()) << bytes;
      EXPECT_FALSE(c->addr.uri.host.empty());
      ++contacts;
    }
    for (HeaderId id : {HeaderId::Route, HeaderId::RecordRoute}) {
      RouteList rl(msg, id);
      Result<NameAddr, Fault> r = Err{Fault::None};
      while (rl.next(r)) {
        ASSERT_TRUE(r.ok()) << bytes;
        EXPECT_TRUE(r->uri.lr());
        ++routes;
      }
    }
  }
  EXPECT_EQ(single, 128u);
  EXPECT_EQ(contacts, 42u);
  EXPECT_EQ(routes, 23u);
  EXPECT_EQ(untagged_from, 4u);
}

}  // namespace name_addr_test
}  // namespace sipedge::parser
