// tests/dataplane/udp_checksum_test.cc — test thread. dataplane/net_headers' UDP checksum of an mbuf
// chain against tests/support/inet_checksum.h (RFC 1071 written word by word, over one flat copy of
// the bytes): IPv4 and IPv6 datagrams of every parity, cut into chains whose segments start at odd
// and even bytes of the sum, down to one byte a segment; a checksum written verifies, any byte
// changed does not.
#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <cstring>
#include <vector>

#include "dataplane/net_headers.h"
#include "tests/support/eal_once.h"
#include "tests/support/inet_checksum.h"
#include "tests/support/test_random.h"

namespace sipedge::dataplane {
namespace {

using sipedge::testing::TestRandom;

constexpr uint16_t kSegmentRoom = 128;  // small segments: most datagrams become chains

class UdpChecksum : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sipedge::test::start_eal()) << "rte_eal_init failed";
    pool_ = rte_mempool_lookup("udp_cksum_test");
    if (pool_ == nullptr)
      pool_ = rte_pktmbuf_pool_create("udp_cksum_test", 1023, 0, 0, kSegmentRoom + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
  }

  // `bytes` as a chain of segments of random lengths (1 to kSegmentRoom).
  rte_mbuf* chain(const std::vector<uint8_t>& bytes, TestRandom& rng) {
    rte_mbuf* head = nullptr;
    size_t at = 0;
    while (at < bytes.size()) {
      rte_mbuf* m = rte_pktmbuf_alloc(pool_);
      EXPECT_NE(m, nullptr);
      if (m == nullptr) break;
      const size_t n = std::min<size_t>(bytes.size() - at, 1 + rng.below(kSegmentRoom));
      std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(n)), bytes.data() + at, n);
      at += n;
      if (head == nullptr)
        head = m;
      else
        EXPECT_EQ(rte_pktmbuf_chain(head, m), 0);
    }
    return head;
  }

  rte_mempool* pool_ = nullptr;
};

// An IPv4 or IPv6 header and a UDP header with a zero checksum, then `payload` bytes.
std::vector<uint8_t> datagram(bool v6, size_t payload, TestRandom& rng) {
  const size_t l3 = v6 ? sizeof(rte_ipv6_hdr) : sizeof(rte_ipv4_hdr);
  const size_t udp_len = sizeof(rte_udp_hdr) + payload;
  std::vector<uint8_t> d(l3 + udp_len);
  if (v6) {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(d.data());
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(udp_len));
    ip->proto = IPPROTO_UDP;
    ip->hop_limits = 64;
    for (auto& b : ip->src_addr) b = static_cast<uint8_t>(rng.next());
    for (auto& b : ip->dst_addr) b = static_cast<uint8_t>(rng.next());
  } else {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(d.data());
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(l3 + udp_len));
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = static_cast<uint32_t>(rng.next());
    ip->dst_addr = static_cast<uint32_t>(rng.next());
  }
  auto* udp = reinterpret_cast<rte_udp_hdr*>(d.data() + l3);
  udp->src_port = rte_cpu_to_be_16(5060);
  udp->dst_port = rte_cpu_to_be_16(static_cast<uint16_t>(rng.next()));
  udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(udp_len));
  for (size_t i = l3 + sizeof(rte_udp_hdr); i < d.size(); ++i) d[i] = static_cast<uint8_t>(rng.next());
  return d;
}

// The oracle: pseudo-header (RFC 768 / RFC 8200 §8.1) and the UDP bytes, word by word; 0 -> 0xffff.
uint16_t oracle(const std::vector<uint8_t>& d, bool v6) {
  const size_t l3 = v6 ? sizeof(rte_ipv6_hdr) : sizeof(rte_ipv4_hdr);
  const uint32_t udp_len = static_cast<uint32_t>(d.size() - l3);
  uint32_t sum = v6 ? sipedge::test::inet_sum(d.data() + 8, 32) : sipedge::test::inet_sum(d.data() + 12, 8);
  sum += (udp_len >> 16) + (udp_len & 0xffff) + IPPROTO_UDP;
  const uint16_t c = sipedge::test::inet_checksum(d.data() + l3, udp_len, sum);
  return c == 0 ? 0xffff : c;
}

TEST_F(UdpChecksum, MatchesTheWordByWordSumOverChainsCutAnywhere) {
  TestRandom rng(0x5eed0c5c);
  for (int round = 0; round < 400; ++round) {
    const bool v6 = round % 2;
    const size_t payload = rng.below(round < 200 ? 64 : 1600);
    const std::vector<uint8_t> d = datagram(v6, payload, rng);
    rte_mbuf* m = chain(d, rng);
    ASSERT_NE(m, nullptr);
    const size_t l3 = v6 ? sizeof(rte_ipv6_hdr) : sizeof(rte_ipv4_hdr);
    const uint16_t stored = udp_checksum_mbuf(m, d.data(), v6, static_cast<uint32_t>(l3));
    ASSERT_EQ(rte_be_to_cpu_16(stored), oracle(d, v6)) << (v6 ? "v6" : "v4") << " payload " << payload << " in "
                                                       << m->nb_segs << " segments";
    // Written into the chain (it spans segments only at an odd cut), it verifies.
    std::vector<uint8_t> sent = d;
    std::memcpy(sent.data() + l3 + 6, &stored, 2);
    rte_pktmbuf_free(m);
    m = chain(sent, rng);
    EXPECT_TRUE(udp_checksum_verifies(m, sent.data(), v6, static_cast<uint32_t>(l3)));
    rte_pktmbuf_free(m);
    // One byte of the UDP part changed: it no longer does.
    const size_t at = l3 + rng.below(sent.size() - l3);
    sent[at] ^= static_cast<uint8_t>(1 + rng.below(255));
    m = chain(sent, rng);
    EXPECT_FALSE(udp_checksum_verifies(m, sent.data(), v6, static_cast<uint32_t>(l3))) << "byte " << at << " changed";
    rte_pktmbuf_free(m);
  }
}

TEST_F(UdpChecksum, RawSumStartsAtAnyOffsetIntoTheChain) {
  TestRandom rng(77);
  std::vector<uint8_t> bytes(900);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng.next());
  rte_mbuf* m = chain(bytes, rng);
  ASSERT_NE(m, nullptr);
  for (uint32_t off : {0u, 1u, 127u, 128u, 129u, 450u, 899u}) {
    for (uint32_t len : {0u, 1u, 2u, 3u, 300u}) {
      if (off + len > bytes.size()) continue;
      const uint16_t want = sipedge::test::inet_fold(sipedge::test::inet_sum(bytes.data() + off, len));
      EXPECT_EQ(rte_be_to_cpu_16(raw_sum_mbuf(m, off, len)), want) << "off " << off << " len " << len;
    }
  }
  rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace sipedge::dataplane
