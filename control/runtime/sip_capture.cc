// control/runtime/sip_capture.cc — control lcore. See sip_capture.h.
#include "control/runtime/sip_capture.h"

#include <fcntl.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cerrno>
#include <cstring>

#include "parser/headers.h"

namespace sipedge::control {
namespace {

// Copies in flight at once: each is written as soon as it is made, so a few suffice; a frame
// larger than one buffer is copied into a chain.
constexpr unsigned kPoolSize = 1023;
constexpr uint32_t kCopyRoom = 2048;

}  // namespace

SipCapture::SipCapture(const dataplane::SharedState& shared) : shared_(shared) {}

SipCapture::~SipCapture() {
  if (pcapng_ != nullptr) rte_pcapng_close(pcapng_);
  rte_mempool_free(pool_);
}

std::string SipCapture::start(const std::string& path, std::string call_id, uint64_t max_packets) {
  if (pcapng_ != nullptr) return "a capture to " + path_ + " is running; stop it first";
  if (path.empty() || path.front() != '/') return "the capture file must be an absolute path, got '" + path + "'";
  if (pool_ == nullptr) {
    pool_ = rte_pktmbuf_pool_create("sipedge_capture", kPoolSize, 0, 0,
                                    static_cast<uint16_t>(rte_pcapng_mbuf_size(kCopyRoom)), SOCKET_ID_ANY);
    if (pool_ == nullptr) return std::string("no memory for the capture's buffers: ") + rte_strerror(rte_errno);
  }
  // Not following a symlink an unprivileged user may have planted where root writes.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
  pcapng_ = rte_pcapng_fdopen(fd, nullptr, nullptr, "sipedge", call_id.empty() ? "SIP" : ("SIP of Call-ID " + call_id).c_str());
  if (pcapng_ == nullptr) {
    ::close(fd);
    return "cannot write pcapng to " + path + ": " + rte_strerror(rte_errno);
  }
  path_ = path;
  call_id_ = std::move(call_id);
  max_packets_ = max_packets;
  packets_ = bytes_ = missed_ = 0;
  stopped_by_.clear();
  active_.store(true, std::memory_order_release);
  return {};
}

nlohmann::json SipCapture::report() const {
  return {{"file", path_},     {"call_id", call_id_}, {"packets", packets_},
          {"bytes", bytes_},   {"missed", missed_},   {"running", pcapng_ != nullptr},
          {"stopped_by", stopped_by_}};
}

void SipCapture::end(const char* why) {
  active_.store(false, std::memory_order_release);
  rte_pcapng_close(pcapng_);  // closes the file descriptor too
  pcapng_ = nullptr;
  stopped_by_ = why;
}

nlohmann::json SipCapture::stop() {
  if (pcapng_ == nullptr) return {{"error", "no capture is running"}};
  end("operator");
  return report();
}

nlohmann::json SipCapture::status() const {
  if (path_.empty()) return {{"running", false}};
  return report();
}

bool SipCapture::wanted(std::string_view call_id) const noexcept { return call_id_.empty() || call_id == call_id_; }

void SipCapture::write(uint16_t iface, const rte_mbuf* m, uint64_t tsc, rte_pcapng_direction dir) {
  rte_mbuf* copy = rte_pcapng_copy(shared_.ifaces[iface].port_id, 0, m, pool_, UINT32_MAX, tsc, dir);
  if (copy == nullptr) {
    ++missed_;
    return;
  }
  const uint32_t len = m->pkt_len;
  if (rte_pcapng_write_packets(pcapng_, &copy, 1) < 0) {
    end("write failed");
    return;
  }
  ++packets_;
  bytes_ += len;
  if (max_packets_ != 0 && packets_ >= max_packets_) end("max_packets");
}

rte_mbuf* SipCapture::rebuild_frame(const dataplane::SipItem& item) {
  const std::string_view payload = item.msg.bytes();
  const bool v6 = item.src.is_v6();
  const uint32_t l3 = v6 ? sizeof(rte_ipv6_hdr) : sizeof(rte_ipv4_hdr);
  const uint32_t len = sizeof(rte_ether_hdr) + l3 + sizeof(rte_udp_hdr) + static_cast<uint32_t>(payload.size());
  rte_mbuf* f = rte_pktmbuf_alloc(shared_.jumbo_pool);
  if (f == nullptr) return nullptr;
  f->data_off = 0;
  if (f->buf_len < len || len > UINT16_MAX + sizeof(rte_ether_hdr)) {
    rte_pktmbuf_free(f);
    return nullptr;
  }
  uint8_t* p = static_cast<uint8_t*>(f->buf_addr);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
  eth->dst_addr = shared_.ifaces[item.iface].mac;
  std::memset(&eth->src_addr, 0, sizeof(eth->src_addr));  // the sender's MAC went with the fragments
  eth->ether_type = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
  const uint16_t udp_len = static_cast<uint16_t>(sizeof(rte_udp_hdr) + payload.size());
  if (v6) {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(p + sizeof(rte_ether_hdr));
    std::memset(ip, 0, sizeof(*ip));
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = rte_cpu_to_be_16(udp_len);
    ip->proto = IPPROTO_UDP;
    ip->hop_limits = 64;
    std::memcpy(ip->src_addr, item.src.bytes.data(), 16);
    std::memcpy(ip->dst_addr, item.dst.bytes.data(), 16);
  } else {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p + sizeof(rte_ether_hdr));
    std::memset(ip, 0, sizeof(*ip));
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(l3 + udp_len));
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = item.src.v4_be();
    ip->dst_addr = item.dst.v4_be();
    ip->hdr_checksum = rte_ipv4_cksum(ip);
  }
  auto* udp = reinterpret_cast<rte_udp_hdr*>(p + sizeof(rte_ether_hdr) + l3);
  udp->src_port = rte_cpu_to_be_16(item.src_port);
  udp->dst_port = rte_cpu_to_be_16(item.dst_port);
  udp->dgram_len = rte_cpu_to_be_16(udp_len);
  udp->dgram_cksum = 0;  // IPv4: none; IPv6: Wireshark flags it, and still decodes the SIP
  std::memcpy(p + sizeof(rte_ether_hdr) + l3 + sizeof(rte_udp_hdr), payload.data(), payload.size());
  f->data_len = static_cast<uint16_t>(len);
  f->pkt_len = len;
  return f;
}

void SipCapture::received(const dataplane::SipItem& item) {
  if (pcapng_ == nullptr || !wanted(item.msg.value(parser::HeaderId::CallId))) return;
  if (item.iface >= shared_.n_ifaces || item.mbuf == nullptr) return;
  // Scanned in place, the mbuf still holds the frame; gathered out of fragments, only the payload.
  const bool payload_only = !item.msg.bytes().empty() && rte_pktmbuf_mtod(item.mbuf, const char*) == item.msg.bytes().data();
  if (!payload_only) {
    write(item.iface, item.mbuf, item.rx_tsc, RTE_PCAPNG_DIRECTION_IN);
    return;
  }
  rte_mbuf* frame = rebuild_frame(item);
  if (frame == nullptr) {
    ++missed_;
    return;
  }
  write(item.iface, frame, item.rx_tsc, RTE_PCAPNG_DIRECTION_IN);
  rte_pktmbuf_free(frame);
}

void SipCapture::frames_out(uint16_t iface, rte_mbuf* const* frames, unsigned n, std::string_view message) {
  if (pcapng_ == nullptr || iface >= shared_.n_ifaces || !wanted(parser::find_header_value(message, "Call-ID", 'i'))) return;
  const uint64_t now = rte_rdtsc();
  for (unsigned i = 0; i < n && pcapng_ != nullptr; ++i) write(iface, frames[i], now, RTE_PCAPNG_DIRECTION_OUT);
}

}  // namespace sipedge::control
