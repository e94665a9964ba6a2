// tests/rtp_relay/relay_test_util.h — test thread only. Builds frames from scratch (checksums computed
// in full, never incrementally) so the relay's incremental updates are checked against RFC 1071 sums.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <map>
#include <vector>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "rtp_relay/relay_burst.h"
#include "tests/support/inet_checksum.h"
#include "rtp_relay/flow.h"

namespace sipedge::relay::test {

using sipedge::test::inet_checksum;
using sipedge::test::inet_fold;
using sipedge::test::inet_sum;

// The process-wide mbuf pool created by the EAL environment (eal_env.cc).
rte_mempool* pool();
// A name unique within this process for DPDK objects (hash, rings).
std::string unique_name(const char* stem);

inline rte_ether_addr mac(uint8_t last) { return rte_ether_addr{{0x02, 0, 0, 0, 0, last}}; }

inline IpAddr ip(const char* text) { return *IpAddr::parse(text); }

struct Udp {
  rte_ether_addr dst_mac = mac(0xfe);
  rte_ether_addr src_mac = mac(0xfd);
  IpAddr src;
  IpAddr dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t ttl = 64;
  bool udp_checksum = true;  // IPv4 only: false sends checksum 0
  std::vector<uint8_t> payload = {0x80, 0x00, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef};
};

inline void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

// Ethernet + IPv4/IPv6 + UDP frame with valid checksums, computed from scratch.
inline std::vector<uint8_t> frame(const Udp& u) {
  const bool v6 = u.src.is_v6();
  const size_t l3 = 14;
  const size_t ip_len = v6 ? 40 : 20;
  const size_t l4 = l3 + ip_len;
  const size_t udp_len = 8 + u.payload.size();
  std::vector<uint8_t> b(l4 + udp_len, 0);
  std::memcpy(&b[0], u.dst_mac.addr_bytes, 6);
  std::memcpy(&b[6], u.src_mac.addr_bytes, 6);
  put16(b, 12, v6 ? 0x86dd : 0x0800);
  const size_t alen = v6 ? 16 : 4;
  uint32_t pseudo = 0;
  if (!v6) {
    b[l3] = 0x45;
    put16(b, l3 + 2, static_cast<uint16_t>(20 + udp_len));
    put16(b, l3 + 4, 0x1234);  // identification
    put16(b, l3 + 6, 0x4000);  // DF
    b[l3 + 8] = u.ttl;
    b[l3 + 9] = 17;
    std::memcpy(&b[l3 + 12], u.src.bytes.data(), 4);
    std::memcpy(&b[l3 + 16], u.dst.bytes.data(), 4);
    put16(b, l3 + 10, inet_checksum(&b[l3], 20));
  } else {
    b[l3] = 0x60;
    put16(b, l3 + 4, static_cast<uint16_t>(udp_len));
    b[l3 + 6] = 17;
    b[l3 + 7] = u.ttl;
    std::memcpy(&b[l3 + 8], u.src.bytes.data(), 16);
    std::memcpy(&b[l3 + 24], u.dst.bytes.data(), 16);
  }
  put16(b, l4, u.sport);
  put16(b, l4 + 2, u.dport);
  put16(b, l4 + 4, static_cast<uint16_t>(udp_len));
  std::memcpy(&b[l4 + 8], u.payload.data(), u.payload.size());
  if (v6 || u.udp_checksum) {
    // Pseudo-header (RFC 768 / RFC 8200 §8.1): addresses, protocol, UDP length.
    pseudo = inet_sum(u.src.bytes.data(), alen);
    pseudo = inet_sum(u.dst.bytes.data(), alen, pseudo);
    std::vector<uint8_t> tail = {0, 17, static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len)};
    pseudo = inet_sum(tail.data(), tail.size(), pseudo);
    uint16_t c = inet_checksum(&b[l4], udp_len, pseudo);
    if (c == 0) c = 0xffff;
    put16(b, l4 + 6, c);
  }
  return b;
}

// An mbuf holding `bytes` as received on `port`, with the header offsets and packet type the
// dataplane's classifier leaves for the relay (relay_burst.h input contract).
inline rte_mbuf* mbuf_from(const std::vector<uint8_t>& bytes, uint16_t port) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool());
  if (m == nullptr) return nullptr;
  auto* dst = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size())));
  std::memcpy(dst, bytes.data(), bytes.size());
  m->port = port;
  const bool tagged = bytes.size() > 14 && bytes[12] == 0x81 && bytes[13] == 0x00;
  const size_t l2 = tagged ? 18 : 14;
  if (bytes.size() > l2) {
    const uint16_t type = static_cast<uint16_t>((bytes[l2 - 2] << 8) | bytes[l2 - 1]);
    m->l2_len = static_cast<uint16_t>(l2);
    if (type == 0x0800) {
      m->l3_len = static_cast<uint16_t>((bytes[l2] & 0x0f) * 4);
      m->packet_type = RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP;
    } else if (type == 0x86dd) {
      m->l3_len = 40;
      m->packet_type = RTE_PTYPE_L3_IPV6 | RTE_PTYPE_L4_UDP;
    }
  }
  return m;
}

// What relay_burst forwarded, grouped by egress port as the dataplane's TX buffers would queue it.
struct Egress {
  std::map<uint16_t, std::vector<rte_mbuf*>> by_port;
  uint16_t count(uint16_t port) const {
    auto it = by_port.find(port);
    return it == by_port.end() ? 0 : static_cast<uint16_t>(it->second.size());
  }
  rte_mbuf* at(uint16_t port, size_t i) const { return by_port.at(port).at(i); }
  size_t size() const {
    size_t n = 0;
    for (const auto& [p, v] : by_port) n += v.size();
    return n;
  }
  void free_all() {
    for (auto& [p, v] : by_port) {
      if (!v.empty()) rte_pktmbuf_free_bulk(v.data(), static_cast<unsigned>(v.size()));
    }
    by_port.clear();
  }
};

// relay_burst over `pkts`, what it forwarded appended to `out`. Returns how many were forwarded.
inline uint16_t relay_into(const RelayView& view, std::vector<rte_mbuf*> pkts, Egress& out, RelayCounters& counters,
                           uint64_t now) {
  std::vector<uint16_t> egress(pkts.size());
  const uint16_t n = relay_burst(view, {pkts.data(), pkts.size()}, egress.data(), counters, now);
  for (uint16_t i = 0; i < n; ++i) out.by_port[egress[i]].push_back(pkts[i]);
  return n;
}

inline std::vector<uint8_t> bytes_of(const rte_mbuf* m) {
  const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
  return std::vector<uint8_t>(p, p + rte_pktmbuf_data_len(m));
}

// Independent check: the IPv4 header sums to 0xffff, and the UDP checksum (if present) verifies.
inline bool checksums_valid(const std::vector<uint8_t>& b) {
  const bool v6 = b[12] == 0x86;
  const size_t l3 = 14;
  const size_t l4 = l3 + (v6 ? 40 : 20);
  if (!v6 && inet_fold(inet_sum(&b[l3], 20)) != 0xffff) return false;
  const uint16_t udp_len = static_cast<uint16_t>((b[l4 + 4] << 8) | b[l4 + 5]);
  if (!v6 && b[l4 + 6] == 0 && b[l4 + 7] == 0) return true;
  const size_t alen = v6 ? 16 : 4;
  uint32_t s = inet_sum(&b[v6 ? l3 + 8 : l3 + 12], 2 * alen);
  const uint8_t tail[4] = {0, 17, static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len)};
  s = inet_sum(tail, 4, s);
  return inet_fold(inet_sum(&b[l4], udp_len, s)) == 0xffff;
}

}  // namespace sipedge::relay::test
