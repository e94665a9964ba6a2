// tests/common/net_address_test.cc — pins common/net_address.{h,cc}: IPv4/IPv6 text in both
// directions with network-order bytes, prefixes, and the private ranges NAT handling relies on.
#include "common/net_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace sipedge {
namespace {

TEST(IpAddr, ParsesBothVersionsInNetworkOrder) {
  auto v4 = IpAddr::parse("192.0.2.33");
  ASSERT_TRUE(v4.has_value());
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(*v4, IpAddr::v4(192, 0, 2, 33));
  EXPECT_EQ(v4->bytes[0], 192);
  EXPECT_EQ(v4->bytes[3], 33);
  auto v6 = IpAddr::parse("2001:db8::1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->is_v6());
  const std::array<uint8_t, 16> want = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(v6->bytes, want);
  EXPECT_EQ(IpAddr::parse("[2001:db8::1]"), v6) << "URI hosts carry IPv6 in brackets";
}

TEST(IpAddr, RejectsWhatIsNotAnAddress) {
  EXPECT_FALSE(IpAddr::parse("").has_value());
  EXPECT_FALSE(IpAddr::parse("192.0.2").has_value());
  EXPECT_FALSE(IpAddr::parse("192.0.2.256").has_value());
  EXPECT_FALSE(IpAddr::parse("example.com").has_value());
  EXPECT_FALSE(IpAddr::parse("2001:db8::1::2").has_value());
  EXPECT_FALSE(IpAddr::parse(std::string(100, '1')).has_value());
}

// IPv4 text is read by hand (net_address.cc); inet_pton, the oracle, must agree on every string of
// digits and dots up to 16 characters drawn here, and on the edges named below.
TEST(IpAddr, ReadsIpv4ExactlyAsInetPtonDoes) {
  std::mt19937 rng(4242);
  const std::string alphabet = "0123456789.";
  std::vector<std::string> texts = {"0.0.0.0", "255.255.255.255", "1.2.3.04", "01.2.3.4", "1.2.3.4.", ".1.2.3.4",
                                    "1..2.3", "1.2.3.4.5", "1.2.3.0", "1000.1.1.1", "00.0.0.0", "1.2.3.255",
                                    "1.2.3.256", "1.2.3.4a", "1.2.3. 4", "9.9.9.9"};
  for (int i = 0; i < 200000; ++i) {
    std::string t(1 + rng() % 16, ' ');
    for (char& c : t) c = rng() % 4 == 0 ? '.' : alphabet[rng() % 10];
    texts.push_back(t);
  }
  int accepted = 0;
  for (const std::string& t : texts) {
    in_addr want{};
    const bool ok = inet_pton(AF_INET, t.c_str(), &want) == 1;
    const auto got = IpAddr::parse(t);
    ASSERT_EQ(got.has_value() && got->is_v4(), ok) << t;
    if (!ok) continue;
    ++accepted;
    EXPECT_EQ(std::memcmp(got->bytes.data(), &want, 4), 0) << t;
  }
  EXPECT_GT(accepted, 300) << "the draw reaches valid addresses too";
  EXPECT_FALSE(IpAddr::parse(std::string("1.2.3.4\0junk", 12)).has_value()) << "no stop at an embedded NUL";
  EXPECT_FALSE(IpAddr::parse(std::string("::1\0x", 5)).has_value());
  EXPECT_EQ(IpAddr::parse("::ffff:192.0.2.1")->family, IpAddr::Family::V6);
}

TEST(IpAddr, TextAndUriHostForms) {
  EXPECT_EQ(IpAddr::parse("10.201.0.1")->to_string(), "10.201.0.1");
  EXPECT_EQ(IpAddr::parse("2001:DB8:0:0::1")->to_string(), "2001:db8::1");
  EXPECT_EQ(IpAddr::parse("2001:db8::1")->to_uri_host(), "[2001:db8::1]");
  EXPECT_EQ((Endpoint{*IpAddr::parse("2001:db8::1"), 5060}).to_string(), "[2001:db8::1]:5060");
  EXPECT_EQ((Endpoint{IpAddr::v4(192, 0, 2, 1), 5060}).to_string(), "192.0.2.1:5060");
}

// IPv4 text comes from a table of octets: every octet value in every position, and a spread of
// whole addresses, read back as inet_ntop writes them.
TEST(IpAddr, WritesIpv4ExactlyAsInetNtopDoes) {
  auto check = [](const IpAddr& a) {
    char want[INET_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET, a.bytes.data(), want, sizeof want), nullptr);
    ASSERT_EQ(a.text().view(), std::string_view(want));
    ASSERT_EQ(a.uri_host_text().view(), std::string_view(want));
  };
  for (unsigned pos = 0; pos < 4; ++pos)
    for (unsigned v = 0; v < 256; ++v) {
      IpAddr a = IpAddr::v4(1, 22, 133, 4);
      a.bytes[pos] = static_cast<uint8_t>(v);
      check(a);
    }
  std::mt19937 rng(77);
  for (int i = 0; i < 20000; ++i) check(IpAddr::from_v4_be(static_cast<uint32_t>(rng())));
  EXPECT_EQ(IpAddr::v4(255, 255, 255, 255).text().len, 15);
  EXPECT_EQ((Endpoint{IpAddr::v4(0, 0, 0, 0), 65535}).text().view(), "0.0.0.0:65535");
}

TEST(IpAddr, UnspecifiedAndPrivate) {
  EXPECT_TRUE(IpAddr::parse("0.0.0.0")->is_unspecified());
  EXPECT_TRUE(IpAddr::parse("::")->is_unspecified());
  EXPECT_FALSE(IpAddr{}.is_unspecified()) << "an address with no family is unset, not 0.0.0.0";
  for (const char* p : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "fd00::1", "fe80::1"})
    EXPECT_TRUE(IpAddr::parse(p)->is_private()) << p;
  for (const char* p : {"172.32.0.1", "192.0.2.1", "8.8.8.8", "2001:db8::1", "100.128.0.1"})
    EXPECT_FALSE(IpAddr::parse(p)->is_private()) << p;
}

// The hash reads all sixteen bytes and the family, and a /16 of addresses (what the neighbour table
// or a rate limiter holds) spreads over the low bits an unordered_map's buckets use.
// Equality is the family and all sixteen bytes: each bit of each byte, and the family alone, tell
// two addresses apart; Endpoint adds the port.
TEST(IpAddr, EqualOnlyWithTheSameFamilyAndEveryByte) {
  const IpAddr v6 = *IpAddr::parse("2001:db8::1");
  EXPECT_TRUE(v6 == *IpAddr::parse("2001:db8:0::0:1"));
  for (size_t i = 0; i < 16; ++i)
    for (unsigned bit = 0; bit < 8; ++bit) {
      IpAddr other = v6;
      other.bytes[i] ^= static_cast<uint8_t>(1u << bit);
      EXPECT_FALSE(other == v6) << "byte " << i << " bit " << bit;
      EXPECT_TRUE(other != v6);
    }
  const IpAddr v4 = *IpAddr::parse("192.0.2.1");
  IpAddr as_v6 = v4;
  as_v6.family = IpAddr::Family::V6;
  EXPECT_FALSE(as_v6 == v4);
  EXPECT_TRUE(IpAddr{} == IpAddr{});
  EXPECT_FALSE(IpAddr{} == *IpAddr::parse("0.0.0.0"));
  EXPECT_TRUE((Endpoint{v4, 5060} == Endpoint{*IpAddr::parse("192.0.2.1"), 5060}));
  EXPECT_FALSE((Endpoint{v4, 5060} == Endpoint{v4, 5061}));
}

TEST(IpAddrHash, EveryByteAndTheFamilyCountAndASlash16SpreadsOverBuckets) {
  const IpAddrHash hash;
  const IpAddr v6 = *IpAddr::parse("2001:db8::1");
  for (size_t i = 0; i < 16; ++i) {
    IpAddr other = v6;
    other.bytes[i] ^= 0x01;
    EXPECT_NE(hash(other), hash(v6)) << "byte " << i;
  }
  IpAddr as_v6 = *IpAddr::parse("192.0.2.1");
  as_v6.family = IpAddr::Family::V6;
  EXPECT_NE(hash(as_v6), hash(*IpAddr::parse("192.0.2.1")));

  constexpr size_t kBuckets = 1024;
  std::vector<unsigned> load(kBuckets);
  std::vector<size_t> seen;
  for (unsigned n = 0; n < 65536; ++n) {
    const size_t h = hash(IpAddr::v4(10, 20, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)));
    seen.push_back(h);
    ++load[h % kBuckets];
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  // 64 a bucket on average; a uniform hash stays within 64 +- 8 standard deviations.
  EXPECT_LT(*std::max_element(load.begin(), load.end()), 128u);
  EXPECT_GT(*std::min_element(load.begin(), load.end()), 16u);
}

TEST(IpPrefix, ContainsByFamilyAndLength) {
  auto p = IpPrefix::parse("10.201.0.0/24");
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->contains(*IpAddr::parse("10.201.0.77")));
  EXPECT_FALSE(p->contains(*IpAddr::parse("10.201.1.1")));
  EXPECT_FALSE(p->contains(*IpAddr::parse("::ffff:10.201.0.77")));
  auto v6 = IpPrefix::parse("2001:db8::/33");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->contains(*IpAddr::parse("2001:db8:7fff::1")));
  EXPECT_FALSE(v6->contains(*IpAddr::parse("2001:db8:8000::1")));
  auto host = IpPrefix::parse("192.0.2.9");
  ASSERT_TRUE(host.has_value());
  EXPECT_EQ(host->length, 32);
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/33").has_value());
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/").has_value());
}

// Against the definition, bit by bit: every prefix length of both families, addresses that share
// exactly k leading bits with the prefix's, for every k.
TEST(IpPrefix, ContainsIsTheLeadingBitsComparison) {
  auto bit = [](const IpAddr& a, unsigned i) { return (a.bytes[i / 8] >> (7 - i % 8)) & 1; };
  std::mt19937 rng(5);
  for (int round = 0; round < 40; ++round)
    for (const bool v6 : {false, true}) {
      const unsigned width = v6 ? 128 : 32;
      IpAddr base = v6 ? IpAddr::from_v6(std::array<uint8_t, 16>{}.data()) : IpAddr::from_v4_be(0);
      for (unsigned i = 0; i < width / 8; ++i) base.bytes[i] = static_cast<uint8_t>(rng());
      for (unsigned len = 0; len <= width; ++len)
        for (unsigned shared = 0; shared <= width; ++shared) {
          IpAddr other = base;
          if (shared < width) other.bytes[shared / 8] ^= static_cast<uint8_t>(0x80 >> (shared % 8));
          bool want = true;
          for (unsigned i = 0; i < len; ++i) want = want && bit(base, i) == bit(other, i);
          ASSERT_EQ((IpPrefix{base, static_cast<uint8_t>(len)}.contains(other)), want)
              << (v6 ? "v6 /" : "v4 /") << len << " differing at bit " << shared;
        }
    }
}

}  // namespace
}  // namespace sipedge
