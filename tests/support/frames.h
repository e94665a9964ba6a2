// tests/support/frames.h — test thread, pure. Builds and reads Ethernet/ARP/IPv4/IPv6/UDP/ICMP
// frames byte by byte, independently of the dataplane's own code, so exact-bytes tests compare two
// implementations. Checksums by tests/support/inet_checksum.h, neither DPDK's nor common/checksum.h.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/inet_checksum.h"

namespace sipedge::dataplane::test {

using sipedge::test::inet_checksum;
using sipedge::test::inet_fold;
using sipedge::test::inet_sum;

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;
using Ip4 = std::array<uint8_t, 4>;
using Ip6 = std::array<uint8_t, 16>;

inline Ip4 ip4(const char* s) {
  Ip4 a{};
  inet_pton(AF_INET, s, a.data());
  return a;
}
inline Ip6 ip6(const char* s) {
  Ip6 a{};
  inet_pton(AF_INET6, s, a.data());
  return a;
}

inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
template <class C>
void put(Bytes& b, const C& c) {
  b.insert(b.end(), c.begin(), c.end());
}
inline uint16_t get16(const Bytes& b, size_t off) { return static_cast<uint16_t>(b[off] << 8 | b[off + 1]); }
inline void set16(Bytes& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v >> 8);
  b[off + 1] = static_cast<uint8_t>(v);
}

inline Bytes ether(const Mac& dst, const Mac& src, uint16_t type) {
  Bytes b;
  put(b, dst);
  put(b, src);
  put16(b, type);
  return b;
}

inline Bytes arp(uint16_t op, const Mac& sha, const Ip4& spa, const Mac& tha, const Ip4& tpa) {
  Bytes b;
  put16(b, 1);
  put16(b, 0x0800);
  b.push_back(6);
  b.push_back(4);
  put16(b, op);
  put(b, sha);
  put(b, spa);
  put(b, tha);
  put(b, tpa);
  return b;
}

// IPv4 header + `payload`; header checksum filled. `frag` is the raw flags/offset word.
inline Bytes ipv4(const Ip4& src, const Ip4& dst, uint8_t proto, const Bytes& payload, uint16_t id = 1,
                  uint16_t frag = 0, uint8_t ttl = 64, uint16_t total_override = 0) {
  Bytes b;
  b.push_back(0x45);
  b.push_back(0);
  put16(b, total_override ? total_override : static_cast<uint16_t>(20 + payload.size()));
  put16(b, id);
  put16(b, frag);
  b.push_back(ttl);
  b.push_back(proto);
  put16(b, 0);
  put(b, src);
  put(b, dst);
  set16(b, 10, inet_checksum(b.data(), 20));
  put(b, payload);
  return b;
}

inline uint32_t pseudo4(const Ip4& src, const Ip4& dst, uint8_t proto, size_t len) {
  Bytes p;
  put(p, src);
  put(p, dst);
  p.push_back(0);
  p.push_back(proto);
  put16(p, static_cast<uint16_t>(len));
  return inet_sum(p.data(), p.size());
}
inline uint32_t pseudo6(const Ip6& src, const Ip6& dst, uint8_t proto, size_t len) {
  Bytes p;
  put(p, src);
  put(p, dst);
  put32(p, static_cast<uint32_t>(len));
  put32(p, proto);
  return inet_sum(p.data(), p.size());
}

// UDP header + payload with the checksum over `pseudo` (0 -> 0xffff, RFC 768).
inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload, uint32_t pseudo) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, static_cast<uint16_t>(8 + payload.size()));
  put16(b, 0);
  put(b, payload);
  const uint16_t c = inet_checksum(b.data(), b.size(), pseudo);
  set16(b, 6, c == 0 ? 0xffff : c);
  return b;
}

inline Bytes ipv6(const Ip6& src, const Ip6& dst, uint8_t next, const Bytes& payload, uint8_t hops = 64) {
  Bytes b;
  put32(b, 0x60000000);
  put16(b, static_cast<uint16_t>(payload.size()));
  b.push_back(next);
  b.push_back(hops);
  put(b, src);
  put(b, dst);
  put(b, payload);
  return b;
}

// ICMP (v4: pseudo = 0) or ICMPv6 message with its checksum.
inline Bytes icmp(uint8_t type, uint8_t code, const Bytes& body, uint32_t pseudo) {
  Bytes b{type, code, 0, 0};
  put(b, body);
  set16(b, 2, inet_checksum(b.data(), b.size(), pseudo));
  return b;
}

inline Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

template <typename... More>
inline Bytes cat(Bytes a, const More&... more) {
  (put(a, more), ...);
  return a;
}

// Frame: Ethernet + IPv4 + UDP.
inline Bytes udp4_frame(const Mac& dmac, const Mac& smac, const Ip4& src, const Ip4& dst, uint16_t sport,
                        uint16_t dport, const Bytes& payload, uint16_t id = 1) {
  Bytes u = udp(sport, dport, payload, pseudo4(src, dst, 17, 8 + payload.size()));
  return cat(ether(dmac, smac, 0x0800), ipv4(src, dst, 17, u, id));
}
inline Bytes udp6_frame(const Mac& dmac, const Mac& smac, const Ip6& src, const Ip6& dst, uint16_t sport,
                        uint16_t dport, const Bytes& payload) {
  Bytes u = udp(sport, dport, payload, pseudo6(src, dst, 17, 8 + payload.size()));
  return cat(ether(dmac, smac, 0x86dd), ipv6(src, dst, 17, u));
}

// The payload of an untagged Ethernet/IPv4/UDP frame (as far as its UDP length says); nullopt for
// any other frame or one too short for what its headers claim.
inline std::optional<std::string_view> udp4_payload(const Bytes& f) {
  constexpr size_t kEther = 14;
  if (f.size() < kEther + 28 || get16(f, 12) != 0x0800 || f[kEther + 9] != 17) return std::nullopt;
  const size_t ihl = (f[kEther] & 0x0fu) * 4u;
  const size_t udp_len = get16(f, kEther + ihl + 4);
  if (ihl < 20 || udp_len < 8 || kEther + ihl + udp_len > f.size()) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(f.data()) + kEther + ihl + 8, udp_len - 8);
}

}  // namespace sipedge::dataplane::test
