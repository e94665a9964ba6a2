// common/net_address.h — any thread, pure. IPv4/IPv6 addresses and transport endpoints as the control
// plane names them (bytes in network order), with text conversion for SIP headers and logs.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace sipedge {

// An address or endpoint as text, without allocating: the longest is "[IPv6 with IPv4 tail]:65535".
struct AddrText {
  std::array<char, 56> buf{};
  uint8_t len = 0;
  std::string_view view() const noexcept { return {buf.data(), len}; }
};

struct IpAddr {
  enum class Family : uint8_t { None, V4, V6 };
  Family family = Family::None;
  std::array<uint8_t, 16> bytes{};  // V4 uses the first 4

  static IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) noexcept;
  static IpAddr from_v4_be(uint32_t be) noexcept;   // as stored in an IPv4 header field
  static IpAddr from_v6(const uint8_t* p) noexcept;  // 16 bytes as stored in an IPv6 header
  uint32_t v4_be() const noexcept;  // network-order value for V4
  // Dotted quad or IPv6 text (with or without [brackets]).
  static std::optional<IpAddr> parse(std::string_view text) noexcept;
  std::string to_string() const;          // "192.0.2.1" / "2001:db8::1"
  std::string to_uri_host() const;        // IPv6 in brackets, for SIP URIs and Via sent-by
  AddrText text() const noexcept;          // to_string() without the allocation
  AddrText uri_host_text() const noexcept;  // to_uri_host() without the allocation
  bool is_v4() const noexcept { return family == Family::V4; }
  bool is_v6() const noexcept { return family == Family::V6; }
  bool is_unspecified() const noexcept;  // 0.0.0.0 / ::
  bool is_private() const noexcept;       // RFC 1918, RFC 6598 CGN, RFC 4193 ULA, link-local
  // Two word compares inline: the defaulted one called memcmp for the sixteen bytes, and control
  // compares addresses on every send (neighbour table) and every Request-URI (is it ours).
  friend bool operator==(const IpAddr& a, const IpAddr& b) noexcept {
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a.bytes.data(), 8);
    std::memcpy(&a1, a.bytes.data() + 8, 8);
    std::memcpy(&b0, b.bytes.data(), 8);
    std::memcpy(&b1, b.bytes.data() + 8, 8);
    return a.family == b.family && ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
};

struct Endpoint {
  IpAddr ip;
  uint16_t port = 0;
  std::string to_string() const;  // "192.0.2.1:5060" / "[2001:db8::1]:5060"
  AddrText text() const noexcept;  // to_string() without the allocation
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// Two 64-bit words mixed by multiplication (the splitmix64 finaliser): an address hashes in a few
// cycles where a byte-at-a-time hash chains 17 multiplies, and the neighbour table hashes one for
// every datagram control sends.
struct IpAddrHash {
  size_t operator()(const IpAddr& a) const noexcept {
    uint64_t lo;
    uint64_t hi;
    std::memcpy(&lo, a.bytes.data(), sizeof lo);
    std::memcpy(&hi, a.bytes.data() + sizeof lo, sizeof hi);
    uint64_t h = lo * 0x9e3779b97f4a7c15ull ^ (hi + static_cast<uint8_t>(a.family)) * 0xc2b2ae3d27d4eb4full;
    h = (h ^ (h >> 31)) * 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 29);
  }
};
struct EndpointHash {
  size_t operator()(const Endpoint& e) const noexcept;
};

// An IPv4/IPv6 prefix for ACLs ("192.0.2.0/24", "2001:db8::/32", or a bare address).
struct IpPrefix {
  IpAddr addr;
  uint8_t length = 0;
  static std::optional<IpPrefix> parse(std::string_view text) noexcept;
  bool contains(const IpAddr& a) const noexcept;
};

}  // namespace sipedge
