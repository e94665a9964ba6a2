// dataplane/net_headers.cc — any lcore, pure. See net_headers.h.
#include "dataplane/net_headers.h"

#include <algorithm>

#include "common/checksum.h"

namespace sipedge::dataplane {
namespace {

// The pseudo-header's sum (RFC 768, RFC 8200 §8.1), folded.
uint16_t pseudo_header_sum(const void* ip, bool v6) noexcept {
  return v6 ? rte_ipv6_phdr_cksum(static_cast<const rte_ipv6_hdr*>(ip), 0)
            : rte_ipv4_phdr_cksum(static_cast<const rte_ipv4_hdr*>(ip), 0);
}

// The pseudo-header and the UDP header and payload from `l4_off` to the chain's end, folded: what
// a checksum is written from, and what a datagram carrying one must add up to (0xffff).
uint16_t datagram_sum(const rte_mbuf* m, const void* ip, bool v6, uint32_t l4_off) noexcept {
  return csum_fold(uint32_t{raw_sum_mbuf(m, l4_off, m->pkt_len - l4_off)} + pseudo_header_sum(ip, v6));
}

}  // namespace

uint16_t raw_sum_mbuf(const rte_mbuf* m, uint32_t off, uint32_t len) noexcept {
  while (m != nullptr && off >= m->data_len) {
    off -= m->data_len;
    m = m->next;
  }
  uint32_t sum = 0;
  for (uint32_t done = 0; m != nullptr && done < len; m = m->next, off = 0) {
    const uint32_t n = std::min<uint32_t>(m->data_len - off, len - done);
    uint16_t part = csum_fold(csum_partial(rte_pktmbuf_mtod_offset(m, const char*, off), n));
    if (done & 1) part = rte_bswap16(part);
    sum += part;
    done += n;
  }
  return csum_fold(sum);
}

uint16_t udp_checksum_mbuf(const rte_mbuf* m, const void* ip, bool v6, uint32_t l4_off) noexcept {
  const auto checksum = static_cast<uint16_t>(~datagram_sum(m, ip, v6, l4_off));
  return checksum == 0 ? 0xffff : checksum;
}

bool udp_checksum_verifies(const rte_mbuf* m, const void* ip, bool v6, uint32_t l4_off) noexcept {
  return datagram_sum(m, ip, v6, l4_off) == 0xffff;
}

}  // namespace sipedge::dataplane
