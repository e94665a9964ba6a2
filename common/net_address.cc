// common/net_address.cc — any thread, pure. Text conversion through inet_pton/inet_ntop.
#include "common/net_address.h"

#include <arpa/inet.h>

#include <bit>
#include <charconv>
#include <cstring>

namespace sipedge {

IpAddr IpAddr::v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) noexcept {
  IpAddr ip;
  ip.family = Family::V4;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

IpAddr IpAddr::from_v4_be(uint32_t be) noexcept {
  IpAddr ip;
  ip.family = Family::V4;
  std::memcpy(ip.bytes.data(), &be, 4);
  return ip;
}

IpAddr IpAddr::from_v6(const uint8_t* p) noexcept {
  IpAddr ip;
  ip.family = Family::V6;
  std::memcpy(ip.bytes.data(), p, 16);
  return ip;
}

uint32_t IpAddr::v4_be() const noexcept {
  uint32_t be;
  std::memcpy(&be, bytes.data(), 4);
  return be;
}

namespace {

// Dotted quad as inet_pton(AF_INET) reads it: four decimal octets of 1-3 digits, none above 255,
// none with a leading zero. Hand-written because the proxy asks of every Via, Route and Contact
// host whether it is one of its addresses, and names and addresses alike went through two libc
// calls and a copy.
bool parse_dotted_quad(std::string_view text, std::array<uint8_t, 16>& bytes) noexcept {
  const char* p = text.data();
  const char* const end = p + text.size();
  for (size_t octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (p == end || *p != '.') return false;
      ++p;
    }
    unsigned digit;
    if (p == end || (digit = static_cast<unsigned char>(*p) - unsigned{'0'}) > 9) return false;
    unsigned value = digit;
    ++p;
    if (p != end && (digit = static_cast<unsigned char>(*p) - unsigned{'0'}) <= 9) {
      if (value == 0) return false;  // a leading zero
      value = value * 10 + digit;
      ++p;
      if (p != end && (digit = static_cast<unsigned char>(*p) - unsigned{'0'}) <= 9) {
        value = value * 10 + digit;
        ++p;
        if (value > 255) return false;
      }
    }
    bytes[octet] = static_cast<uint8_t>(value);
  }
  return p == end;
}

// An octet as decimal text followed by a dot: "7." has length 2, "255." length 4.
struct OctetText {
  std::array<char, 4> chars{};
  uint8_t len = 0;
};
constexpr std::array<OctetText, 256> kOctetText = [] {
  std::array<OctetText, 256> table{};
  for (unsigned v = 0; v < 256; ++v) {
    OctetText& o = table[v];
    if (v >= 100) o.chars[o.len++] = static_cast<char>('0' + v / 100);
    if (v >= 10) o.chars[o.len++] = static_cast<char>('0' + v / 10 % 10);
    o.chars[o.len++] = static_cast<char>('0' + v % 10);
    o.chars[o.len++] = '.';
  }
  return table;
}();

}  // namespace

std::optional<IpAddr> IpAddr::parse(std::string_view text) noexcept {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  IpAddr ip;
  if (parse_dotted_quad(text, ip.bytes)) {
    ip.family = Family::V4;
    return ip;
  }
  // Every IPv6 text has a colon; a host name has none and needs no second try.
  char buf[64];
  if (text.size() >= sizeof buf || text.find(':') == std::string_view::npos ||
      text.find('\0') != std::string_view::npos)
    return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = 0;
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) == 1) {
    ip.family = Family::V6;
    return ip;
  }
  return std::nullopt;
}

AddrText IpAddr::text() const noexcept {
  AddrText t;
  char* p = t.buf.data();
  if (family == Family::V4) {
    // glibc's inet_ntop formats IPv4 with sprintf, and to_chars divides: this runs several times
    // per SIP message. Each octet's digits and the dot after them come from a table, four bytes
    // written at once (the buffer has room past the longest text), the pointer moved by the length.
    for (size_t i = 0; i < 4; ++i) {
      const OctetText& o = kOctetText[bytes[i]];
      std::memcpy(p, o.chars.data(), 4);
      p += o.len;
    }
    --p;  // the last octet's dot
  } else if (family == Family::V6 && inet_ntop(AF_INET6, bytes.data(), p, INET6_ADDRSTRLEN) != nullptr) {
    p += std::strlen(p);
  }
  t.len = static_cast<uint8_t>(p - t.buf.data());
  return t;
}

AddrText IpAddr::uri_host_text() const noexcept {
  if (!is_v6()) return text();
  AddrText t = text();
  std::memmove(t.buf.data() + 1, t.buf.data(), t.len);
  t.buf[0] = '[';
  t.buf[t.len + 1u] = ']';
  t.len = static_cast<uint8_t>(t.len + 2);
  return t;
}

std::string IpAddr::to_string() const { return std::string(text().view()); }

std::string IpAddr::to_uri_host() const { return std::string(uri_host_text().view()); }

bool IpAddr::is_unspecified() const noexcept {
  const size_t n = is_v4() ? 4 : 16;
  for (size_t i = 0; i < n; ++i)
    if (bytes[i] != 0) return false;
  return family != Family::None;
}

bool IpAddr::is_private() const noexcept {
  if (is_v4()) {
    const uint8_t a = bytes[0], b = bytes[1];
    return a == 10 || (a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168) || (a == 100 && (b & 0xc0) == 64) ||
           (a == 169 && b == 254);
  }
  if (is_v6()) return (bytes[0] & 0xfe) == 0xfc || (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80);
  return false;
}

AddrText Endpoint::text() const noexcept {
  AddrText t = ip.uri_host_text();
  t.buf[t.len] = ':';
  char* end = std::to_chars(t.buf.data() + t.len + 1, t.buf.data() + t.buf.size(), port).ptr;
  t.len = static_cast<uint8_t>(end - t.buf.data());
  return t;
}

std::string Endpoint::to_string() const { return std::string(text().view()); }

size_t EndpointHash::operator()(const Endpoint& e) const noexcept {
  return IpAddrHash{}(e.ip) * 31 + e.port;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) noexcept {
  const size_t slash = text.find('/');
  auto ip = IpAddr::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const unsigned max = ip->is_v4() ? 32 : 128;
  unsigned len = max;
  if (slash != std::string_view::npos) {
    const std::string_view l = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), len);
    if (ec != std::errc() || p != l.data() + l.size() || len > max) return std::nullopt;
  }
  return IpPrefix{*ip, static_cast<uint8_t>(len)};
}

bool IpPrefix::contains(const IpAddr& a) const noexcept {
  if (a.family != addr.family) return false;
  // Eight bytes a step, read big-endian so that the prefix is the word's high bits. An IPv4
  // address's unused bytes are zero in both and its prefix never reaches them.
  unsigned bits = length;
  for (size_t off = 0; bits > 0; off += 8) {
    uint64_t x;
    uint64_t y;
    std::memcpy(&x, a.bytes.data() + off, sizeof x);
    std::memcpy(&y, addr.bytes.data() + off, sizeof y);
    if constexpr (std::endian::native == std::endian::little) {
      x = __builtin_bswap64(x);
      y = __builtin_bswap64(y);
    }
    const unsigned take = bits >= 64 ? 64 : bits;
    const uint64_t mask = ~uint64_t{0} << (64 - take);  // take is 1 to 64
    if (((x ^ y) & mask) != 0) return false;
    bits -= take;
  }
  return true;
}

}  // namespace sipedge
