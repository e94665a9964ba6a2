// tests/parser/uri_test.cc — pins parser/uri.cc: SIP/SIPS URIs (RFC 3261 §19.1, §25), tel
// (RFC 3966), other absoluteURIs, host/port validation (IPv4 0-255, IPv6 RFC 4291 §2.2), escapes.
#include "parser/uri.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "tests/support/test_random.h"

namespace sipedge::parser {
namespace {

Uri ok(std::string_view text) {
  auto r = parse_uri(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : Uri{};
}

Fault fault_of(std::string_view text) {
  auto r = parse_uri(text);
  return r.ok() ? Fault::None : r.error();
}

TEST(ParseUri, FullSipUriSplitsEveryPart) {
  Uri u = ok("sip:alice:secret@atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent");
  EXPECT_EQ(u.scheme, UriScheme::Sip);
  EXPECT_EQ(u.scheme_text, "sip");
  EXPECT_EQ(u.user, "alice");
  EXPECT_TRUE(u.has_password);
  EXPECT_EQ(u.password, "secret");
  EXPECT_EQ(u.host, "atlanta.com");
  EXPECT_EQ(u.host_type, HostType::Name);
  EXPECT_TRUE(u.has_port);
  EXPECT_EQ(u.port, 5061);
  EXPECT_EQ(u.params, ";transport=tcp;lr");
  EXPECT_EQ(u.headers, "subject=project%20x&priority=urgent");
  EXPECT_EQ(u.transport(), "tcp");
  EXPECT_TRUE(u.lr());
}

TEST(ParseUri, HostOnlyUriHasNoUserPortParamsOrHeaders) {
  Uri u = ok("sip:biloxi.com");
  EXPECT_EQ(u.user, "");
  EXPECT_FALSE(u.has_password);
  EXPECT_EQ(u.host, "biloxi.com");
  EXPECT_FALSE(u.has_port);
  EXPECT_EQ(u.port, 0);
  EXPECT_EQ(u.params, "");
  EXPECT_EQ(u.headers, "");
  EXPECT_EQ(u.transport(), "");
  EXPECT_FALSE(u.lr());
  EXPECT_FALSE(u.param("lr").has_value());
}

TEST(ParseUri, Ipv4HostWithPortFromCapture) {
  Uri u = ok("sip:1006@192.168.0.201:5060");
  EXPECT_EQ(u.user, "1006");
  EXPECT_EQ(u.host, "192.168.0.201");
  EXPECT_EQ(u.host_type, HostType::IPv4);
  EXPECT_EQ(u.port, 5060);
}

TEST(ParseUri, SipsSchemeAndCaseInsensitiveScheme) {
  EXPECT_EQ(ok("sips:bob@biloxi.com").scheme, UriScheme::Sips);
  Uri u = ok("SIP:Bob@Biloxi.COM");
  EXPECT_EQ(u.scheme, UriScheme::Sip);
  EXPECT_EQ(u.scheme_text, "SIP");
  EXPECT_EQ(u.user, "Bob");
  EXPECT_EQ(u.host, "Biloxi.COM");
  EXPECT_EQ(ok("SiPs:x@y.z").scheme, UriScheme::Sips);
  EXPECT_EQ(ok("TEL:+1-201-555-0123").scheme, UriScheme::Tel);
}

TEST(ParseUri, Ipv6ReferenceIsStoredWithoutBrackets) {
  Uri u = ok("sip:[2001:db8::1]:5060;transport=udp");
  EXPECT_EQ(u.host, "2001:db8::1");
  EXPECT_EQ(u.host_type, HostType::IPv6);
  EXPECT_EQ(u.port, 5060);
  EXPECT_EQ(u.transport(), "udp");
  Uri v = ok("sip:alice@[::ffff:192.0.2.128]");
  EXPECT_EQ(v.host, "::ffff:192.0.2.128");
  EXPECT_EQ(v.host_type, HostType::IPv6);
  EXPECT_FALSE(v.has_port);
}

TEST(ParseUri, UserPartKeepsEscapesAndUserUnreserved) {
  Uri u = ok("sip:sip%3Auser%40example.com@company.com;other-param=summit");
  EXPECT_EQ(u.user, "sip%3Auser%40example.com");
  EXPECT_EQ(u.host, "company.com");
  EXPECT_EQ(u.param("other-param"), std::optional<std::string_view>("summit"));
  Uri t = ok("sip:+1-212-555-1212:1234@gateway.com;user=phone");
  EXPECT_EQ(t.user, "+1-212-555-1212");
  EXPECT_EQ(t.password, "1234");
  EXPECT_EQ(t.param("USER"), std::optional<std::string_view>("phone"));
  // user-unreserved ';' '?' '/' stay in the user part.
  Uri d = ok("sip:alice;day=tuesday@atlanta.com");
  EXPECT_EQ(d.user, "alice;day=tuesday");
  EXPECT_EQ(d.host, "atlanta.com");
  EXPECT_EQ(d.params, "");
}

// The user part is checked sixteen bytes a step between escapes. A byte-at-a-time reading of the
// RFC 3261 §25.1 user rule (plus the tolerated '#') is the oracle: random users of every length up
// to 40 over allowed bytes, refused ones, '%' with good and bad hex, escapes cut short at the end.
TEST(ParseUri, UserPartCharactersAgreeWithTheGrammarByteByByte) {
  constexpr std::string_view kBytes = "aZ09-_.!~*'()&=+$,;?/#%%%F3cG \"<>\\\x80\x7f";
  const auto allowed = [](unsigned char c) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           std::string_view("-_.!~*'()&=+$,;?/#").find(static_cast<char>(c)) != std::string_view::npos;
  };
  const auto hex = [](char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); };
  ::sipedge::testing::TestRandom random(0x6c8e9cf570932bd5ull);
  auto next = [&] { return random.next(); };
  for (int round = 0; round < 30000; ++round) {
    std::string user(1 + next() % 40, 'a');
    for (char& c : user) c = next() % 4 == 0 ? kBytes[next() % kBytes.size()] : "aZ09-."[next() % 6];
    bool want = true;
    for (size_t i = 0; i < user.size(); ++i) {
      if (user[i] == '%') {
        want = want && i + 2 < user.size() && hex(user[i + 1]) && hex(user[i + 2]);
        i += 2;
      } else {
        want = want && allowed(static_cast<unsigned char>(user[i]));
      }
    }
    const std::string text = "sip:" + user + "@example.com";
    const auto uri = parse_uri(text);
    ASSERT_EQ(uri.ok(), want) << user;
    if (want) {
      EXPECT_EQ(uri->user, user);
    }
  }
}

TEST(ParseUri, UnescapedHashAndStarInUserAreTolerated) {
  Uri u = ok("sip:*67#1006@192.168.0.201");
  EXPECT_EQ(u.user, "*67#1006");
}

TEST(ParseUri, EmptyPasswordIsPresent) {
  Uri u = ok("sip:alice:@atlanta.com");
  EXPECT_TRUE(u.has_password);
  EXPECT_EQ(u.password, "");
}

TEST(ParseUri, ParamsWithoutHeadersAndHeadersWithoutParams) {
  Uri a = ok("sip:p1.example.com;lr");
  EXPECT_EQ(a.params, ";lr");
  EXPECT_TRUE(a.lr());
  Uri b = ok("sip:bob@b.example.com?Replaces=12345%40192.168.0.1%3Bto-tag%3D1%3Bfrom-tag%3D2");
  EXPECT_EQ(b.params, "");
  EXPECT_EQ(b.headers, "Replaces=12345%40192.168.0.1%3Bto-tag%3D1%3Bfrom-tag%3D2");
}

TEST(ParseUri, PortBoundaries) {
  EXPECT_EQ(ok("sip:h.com:0").port, 0);
  EXPECT_EQ(ok("sip:h.com:65535").port, 65535);
  EXPECT_EQ(ok("sip:h.com:05060").port, 5060);
  EXPECT_EQ(fault_of("sip:h.com:65536"), Fault::BadUri);
  EXPECT_EQ(fault_of("sip:h.com:99999"), Fault::BadUri);
  EXPECT_EQ(fault_of("sip:h.com:123456"), Fault::BadUri);
  EXPECT_EQ(fault_of("sip:h.com:"), Fault::BadUri);
  EXPECT_EQ(fault_of("sip:h.com:;lr"), Fault::BadUri);
  EXPECT_EQ(fault_of("sip:h.com:50a"), Fault::BadUri);
}

TEST(ParseUri, Ipv4OctetsAreRangeChecked) {
  EXPECT_EQ(ok("sip:0.0.0.0").host_type, HostType::IPv4);
  EXPECT_EQ(ok("sip:255.255.255.255").host_type, HostType::IPv4);
  EXPECT_EQ(fault_of("sip:256.1.1.1"), Fault::BadUri);
  EXPECT_EQ(fault_of("sip:1.2.3"), Fault::BadUri);
  EXPECT_EQ(fault_of("sip:1.2.3.4.5"), Fault::BadUri);
  EXPECT_EQ(fault_of("sip:1.2.3.1000"), Fault::BadUri);
}

TEST(ParseUri, MalformedSipUrisAreBadUri) {
  for (std::string_view bad : {
           "",                            // nothing
           "sip",                         // no colon
           ":alice@x.com",                // empty scheme
           "1sip:alice@x.com",            // scheme must start with ALPHA
           "sip:",                        // no host
           "sip:alice@",                  // empty host
           "sip:@x.com",                  // empty user before '@'
           "sip:al ice@x.com",            // space in user
           "sip:alice@x.com ",            // trailing space
           "sip:alice@x.com>",            // stray '>'
           "sip:alice@-x.com",            // label starting with '-'
           "sip:alice@x-.com",            // label ending with '-'
           "sip:alice@x..com",            // empty label
           "sip:alice@.x.com",            // leading dot
           "sip:alice@x.com;",            // empty param
           "sip:alice@x.com;a b",         // space in params
           "sip:alice@x.com;a=",          // empty param value
           "sip:alice@x.com?",            // empty headers
           "sip:alice@x.com?a=<b>",       // '<' in headers
           "sip:al%4@x.com",              // truncated escape
           "sip:al%zz@x.com",             // non-hex escape
           "sip:alice:pa@ss@x.com",       // a second unescaped '@' leaves host "ss@x.com"
           "sip:alice@[2001:db8::1",      // unclosed IPv6 reference
           "sip:alice@[2001:db8::g]",     // bad hex
           "sip:alice@2001:db8::1",       // IPv6 needs brackets
           "sip:alice@x.com:5060:5060",   // two ports
           "sip:alice@x.com/path",        // junk after host
       }) {
    EXPECT_EQ(fault_of(bad), Fault::BadUri) << bad;
  }
}

TEST(ParseUri, TelGlobalNumberWithParams) {
  Uri u = ok("tel:+1-201-555-0123;ext=1234");
  EXPECT_EQ(u.scheme, UriScheme::Tel);
  EXPECT_EQ(u.user, "+1-201-555-0123");
  EXPECT_EQ(u.host, "");
  EXPECT_EQ(u.params, ";ext=1234");
  EXPECT_EQ(u.param("ext"), std::optional<std::string_view>("1234"));
}

TEST(ParseUri, TelLocalNumberWithPhoneContext) {
  Uri u = ok("tel:7042;phone-context=example.com");
  EXPECT_EQ(u.user, "7042");
  EXPECT_EQ(u.param("phone-context"), std::optional<std::string_view>("example.com"));
  EXPECT_EQ(ok("tel:*67#").user, "*67#");
  EXPECT_EQ(ok("tel:+(33)1.23.45").user, "+(33)1.23.45");
}

TEST(ParseUri, MalformedTelIsBadUri) {
  for (std::string_view bad : {"tel:", "tel:+", "tel:+-.()", "tel:+12a", "tel:12 34", "tel:1234;", "tel:1234?x=y",
                               "tel:+1@x.com"}) {
    EXPECT_EQ(fault_of(bad), Fault::BadUri) << bad;
  }
}

TEST(ParseUri, OtherSchemesKeepEverythingAfterColonInUser) {
  Uri u = ok("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  EXPECT_EQ(u.scheme, UriScheme::Other);
  EXPECT_EQ(u.scheme_text, "urn");
  EXPECT_EQ(u.user, "uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  EXPECT_EQ(u.host, "");
  Uri h = ok("http://www.example.com/alice/photo.jpg?size=1#x");
  EXPECT_EQ(h.scheme_text, "http");
  EXPECT_EQ(h.user, "//www.example.com/alice/photo.jpg?size=1#x");
  EXPECT_EQ(fault_of("mailto:"), Fault::BadUri);
  EXPECT_EQ(fault_of("http://a b"), Fault::BadUri);
  EXPECT_EQ(fault_of("http://a<b"), Fault::BadUri);
}

TEST(ParseUri, PartsAreViewsIntoTheInput) {
  std::string_view in = "sip:u@h.com;lr";
  Uri u = ok(in);
  EXPECT_EQ(u.user.data(), in.data() + 4);
  EXPECT_EQ(u.host.data(), in.data() + 6);
  EXPECT_EQ(u.params.data(), in.data() + 11);
}

TEST(IsIpv6, AcceptsEveryTextForm) {
  for (std::string_view good : {"::", "::1", "1::", "2001:db8::1", "2001:DB8:0:0:8:800:200C:417A", "fe80::1:2:3:4",
                                "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "::ffff:192.0.2.128",
                                "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4", "64:ff9b::192.0.2.33"}) {
    EXPECT_TRUE(is_ipv6(good)) << good;
  }
}

TEST(IsIpv6, RejectsMalformedText) {
  for (std::string_view bad : {"", ":", ":::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", "12345::1", "1:2:",
                               ":1:2:3:4:5:6:7", "g::1", "::ffff:1.2.3", "::ffff:256.1.1.1", "1:2:3:4:5:6:7:1.2.3.4",
                               "1.2.3.4", "::1%eth0", "1:2:3:4:5:6:7:8::"}) {
    EXPECT_FALSE(is_ipv6(bad)) << bad;
  }
}

TEST(IsIpv4, AcceptsDottedQuadsInRange) {
  EXPECT_TRUE(is_ipv4("192.0.2.1"));
  EXPECT_TRUE(is_ipv4("010.001.000.255"));
  EXPECT_FALSE(is_ipv4("192.0.2"));
  EXPECT_FALSE(is_ipv4("192.0.2.1."));
  EXPECT_FALSE(is_ipv4(".192.0.2.1"));
  EXPECT_FALSE(is_ipv4("192.0..1"));
  EXPECT_FALSE(is_ipv4("192.0.2.256"));
  EXPECT_FALSE(is_ipv4("0192.0.2.1"));
  EXPECT_FALSE(is_ipv4(""));
}

TEST(IsHostname, FollowsLabelRules) {
  EXPECT_TRUE(is_hostname("example.com"));
  EXPECT_TRUE(is_hostname("example.com."));
  EXPECT_TRUE(is_hostname("pbx-1"));
  EXPECT_TRUE(is_hostname("3com.com"));
  EXPECT_TRUE(is_hostname("sip_proxy.example.com"));
  EXPECT_FALSE(is_hostname(""));
  EXPECT_FALSE(is_hostname("."));
  EXPECT_FALSE(is_hostname("example.123"));
  EXPECT_FALSE(is_hostname("a..b"));
  EXPECT_FALSE(is_hostname("-a.com"));
  EXPECT_FALSE(is_hostname("a b.com"));
}

TEST(ParseHostPrefix, StopsAtTheFirstNonHostByte) {
  std::string_view host;
  HostType type;
  EXPECT_EQ(parse_host_prefix("pc33.atlanta.com;branch=x", host, type), 16u);
  EXPECT_EQ(host, "pc33.atlanta.com");
  EXPECT_EQ(type, HostType::Name);
  EXPECT_EQ(parse_host_prefix("[::1]:5060", host, type), 5u);
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(type, HostType::IPv6);
  EXPECT_EQ(parse_host_prefix("10.0.0.1 ", host, type), 8u);
  EXPECT_EQ(type, HostType::IPv4);
  EXPECT_EQ(parse_host_prefix(":5060", host, type), 0u);
  EXPECT_EQ(parse_host_prefix("[::1", host, type), 0u);
}

TEST(ReadPort, RangeAndDigitsOnly) {
  constexpr size_t kBad = std::string_view::npos;
  uint16_t p = 1;
  EXPECT_EQ(read_port("5060", 0, p), 4u);
  EXPECT_EQ(p, 5060);
  EXPECT_EQ(read_port("0", 0, p), 1u);
  EXPECT_EQ(p, 0);
  EXPECT_EQ(read_port("65535", 0, p), 5u);
  EXPECT_EQ(p, 65535);
  EXPECT_EQ(read_port("65536", 0, p), kBad);
  EXPECT_EQ(read_port("", 0, p), kBad);
  EXPECT_EQ(read_port("-1", 0, p), kBad);
  EXPECT_EQ(read_port("1000000", 0, p), kBad);
  // From `pos` to the first byte that is no digit.
  EXPECT_EQ(read_port("h:5061;lr", 2, p), 6u);
  EXPECT_EQ(p, 5061);
  EXPECT_EQ(read_port("h:;lr", 2, p), kBad);
}

TEST(Unescape, DecodesPercentEscapes) {
  std::array<char, 32> buf{};
  int n = unescape("sip%3Auser%40example.com", buf);
  ASSERT_EQ(n, 20);
  EXPECT_EQ(std::string_view(buf.data(), static_cast<size_t>(n)), "sip:user@example.com");
  n = unescape("%2a%2A", buf);
  ASSERT_EQ(n, 2);
  EXPECT_EQ(std::string_view(buf.data(), 2), "**");
  EXPECT_EQ(unescape("", buf), 0);
}

TEST(Unescape, BadEscapeOrOverflowIsMinusOne) {
  std::array<char, 4> buf{};
  EXPECT_EQ(unescape("ab%", buf), -1);
  EXPECT_EQ(unescape("ab%4", buf), -1);
  EXPECT_EQ(unescape("%g0", buf), -1);
  EXPECT_EQ(unescape("abcde", buf), -1);
  EXPECT_EQ(unescape("abcd", buf), 4);
  EXPECT_EQ(unescape("%61%62%63%64", buf), 4);
  EXPECT_EQ(unescape("%61%62%63%64%65", buf), -1);
}

TEST(UserEquals, ComparesAfterUnescaping) {
  EXPECT_TRUE(user_equals("alice", "alice"));
  EXPECT_TRUE(user_equals("%61lice", "alice"));
  EXPECT_TRUE(user_equals("al%69ce", "%61%6C%69%63%65"));
  EXPECT_FALSE(user_equals("Alice", "alice"));  // user parts are case-sensitive
  EXPECT_FALSE(user_equals("alice", "alic"));
  EXPECT_FALSE(user_equals("alic", "alice"));
  EXPECT_TRUE(user_equals("", ""));
  EXPECT_FALSE(user_equals("a%6", "a%6"));  // bad escapes never compare equal
  EXPECT_FALSE(user_equals("%zz", "%zz"));
}

// `text` starts with `host`: parse_host_prefix must find all of it, as an IPv4 address when is_ipv4
// reads it so (digits and dots only) or a name when is_hostname does, and nothing otherwise.
void expect_host_prefix_as_the_oracle_reads(const std::string& host, const std::string& text) {
  size_t want = 0;
  HostType want_type = HostType::Name;
  if (!host.empty() && host.find_first_not_of("0123456789.") == std::string::npos && is_ipv4(host)) {
    want = host.size();
    want_type = HostType::IPv4;
  } else if (is_hostname(host)) {
    want = host.size();
  }
  std::string_view got_host;
  HostType got_type = HostType::Name;
  ASSERT_EQ(parse_host_prefix(text, got_host, got_type), want) << text;
  if (want != 0) {
    EXPECT_EQ(got_host, host) << text;
    EXPECT_EQ(got_type, want_type) << text;
  }
}

// parse_host_prefix checks a host's labels as bit masks of its bytes, sixteen bytes a step where
// the text has them; is_ipv4 and is_hostname, which walk the host a byte at a time, are the
// oracle. Random hosts over the bytes that matter, short ones mostly and some past the 64 bytes
// the masks hold, followed by what ends a host in a URI or a Via, short or long (the vector
// path runs only where sixteen bytes remain).
TEST(ParseHostPrefix, AgreesWithIsIpv4AndIsHostname) {
  constexpr std::string_view kHostBytes = "a1-._Z9.0.2-56.5";
  constexpr std::string_view kEnds[] = {"",   ":5060", ";lr", ">", " ", "@x", ":5060;transport=udp;lr>\r\n",
                                        "\x80", ";maddr=239.255.255.1;ttl=15;lr"};
  ::sipedge::testing::TestRandom random(0x853c49e6748fea9bull);
  auto next = [&] { return random.next(); };
  // The octet bounds, where the random hosts rarely land.
  const std::string_view edges[] = {"0.0.0.0", "255.255.255.255", "255.255.255.256", "256.1.1.1", "1.1.1.0255",
                                    "1.1.1.", ".1.1.1", "1.1.1.1.", "01.002.3.4", "a.", ".", "a..b", "-a.b", "a-.b",
                                    "a.b-", "a.-b", "a.1", "a.b1", "a.b.", "1.2.3.4.5",
                                    // 64 bytes, the most the masks hold, then 65 and 66
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.co-",
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.c1.",
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.co-"};
  for (int round = 0; round < 50000 + static_cast<int>(std::size(edges)); ++round) {
    std::string host(next() % 8 == 0 ? next() % 90 : next() % 20, 'a');
    for (char& c : host) c = kHostBytes[next() % kHostBytes.size()];
    if (round >= 50000) host = edges[round - 50000];
    const std::string text = host + std::string(kEnds[next() % std::size(kEnds)]);
    expect_host_prefix_as_the_oracle_reads(host, text);
  }
}

// Dotted quads take a pass of their own. The same oracle over hosts that are nearly always quads
// or nearly quads: octets of one to four digits around 255 (leading zeros too), three to five of
// them, now and then a host byte after them (a letter, a dash, a dot), then what ends a host.
TEST(ParseHostPrefix, QuadsAndNearQuadsAgreeWithIsIpv4AndIsHostname) {
  constexpr std::string_view kOctets[] = {"0", "1", "9", "10", "99", "100", "199", "249", "255", "256", "260",
                                          "300", "999", "00", "01", "001", "0255", "1000"};
  constexpr std::string_view kAfter[] = {"", "", "", "", "a", "-", ".", "x1", "-2"};
  constexpr std::string_view kEnds[] = {"", ":5060", ";lr", ">", " ", ";branch=z9hG4bK1;rport", "\r\n", "@"};
  ::sipedge::testing::TestRandom random(0x2f6b0b5a1d3c8e47ull);
  auto next = [&] { return random.next(); };
  for (int round = 0; round < 40000; ++round) {
    const size_t count = 3 + next() % 3;
    std::string host;
    for (size_t i = 0; i < count; ++i) host += (i > 0 ? "." : "") + std::string(kOctets[next() % std::size(kOctets)]);
    host += kAfter[next() % std::size(kAfter)];
    const std::string text = host + std::string(kEnds[next() % std::size(kEnds)]);
    expect_host_prefix_as_the_oracle_reads(host, text);
  }
}

}  // namespace
}  // namespace sipedge::parser
