// control/api/hep.cc — control lcore. See hep.h. HEPv3 chunk types as HEP-EEP defines them.
#include "control/api/hep.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "parser/headers.h"

namespace sipedge::control {
namespace {

enum Chunk : uint16_t {
  kFamily = 0x0001,
  kProtocol = 0x0002,
  kSrc4 = 0x0003,
  kDst4 = 0x0004,
  kSrc6 = 0x0005,
  kDst6 = 0x0006,
  kSrcPort = 0x0007,
  kDstPort = 0x0008,
  kSeconds = 0x0009,
  kMicros = 0x000a,
  kProtoType = 0x000b,
  kCaptureId = 0x000c,
  kAuthKey = 0x000e,
  kPayload = 0x000f,
  kCorrelation = 0x0011,
};

void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}
void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}
void chunk(std::string& out, uint16_t type, std::string_view value) {
  put16(out, 0);  // vendor: generic
  put16(out, type);
  put16(out, static_cast<uint16_t>(6 + value.size()));
  out.append(value);
}
void chunk8(std::string& out, uint16_t type, uint8_t v) { chunk(out, type, std::string_view(reinterpret_cast<const char*>(&v), 1)); }
void chunk16(std::string& out, uint16_t type, uint16_t v) {
  std::string b;
  put16(b, v);
  chunk(out, type, b);
}
void chunk32(std::string& out, uint16_t type, uint32_t v) {
  std::string b;
  put32(b, v);
  chunk(out, type, b);
}

}  // namespace

std::string hep3_encode(const HepPacket& p) {
  std::string out = "HEP3";
  put16(out, 0);  // total length, set below
  const bool v6 = p.src.ip.is_v6();
  chunk8(out, kFamily, v6 ? 10 : 2);
  chunk8(out, kProtocol, 17);
  const auto addr = [v6](const IpAddr& a) {
    return std::string_view(reinterpret_cast<const char*>(a.bytes.data()), v6 ? 16 : 4);
  };
  chunk(out, v6 ? kSrc6 : kSrc4, addr(p.src.ip));
  chunk(out, v6 ? kDst6 : kDst4, addr(p.dst.ip));
  chunk16(out, kSrcPort, p.src.port);
  chunk16(out, kDstPort, p.dst.port);
  chunk32(out, kSeconds, static_cast<uint32_t>(p.time_us / 1000000));
  chunk32(out, kMicros, static_cast<uint32_t>(p.time_us % 1000000));
  chunk8(out, kProtoType, 1);  // SIP
  chunk32(out, kCaptureId, p.capture_id);
  if (!p.password.empty()) chunk(out, kAuthKey, p.password);
  if (!p.correlation.empty()) chunk(out, kCorrelation, p.correlation);
  chunk(out, kPayload, p.payload);
  out[4] = static_cast<char>(out.size() >> 8);
  out[5] = static_cast<char>(out.size());
  return out;
}

HepExporter::HepExporter(HepConfig config, const std::vector<InterfaceConfig>& interfaces)
    : config_(std::move(config)), interfaces_(interfaces) {}

HepExporter::~HepExporter() {
  if (fd_ >= 0) ::close(fd_);
}

bool HepExporter::open() {
  const bool v6 = config_.collector.ip.is_v6();
  fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(config_.collector.port);
    std::memcpy(&s6->sin6_addr, config_.collector.ip.bytes.data(), 16);
    len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(config_.collector.port);
    s4->sin_addr.s_addr = config_.collector.ip.v4_be();
    len = sizeof *s4;
  }
  // Connected: the kernel fills the source, and an unreachable collector reports back as errors.
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    error_ = "connect " + config_.collector.to_string() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

void HepExporter::emit(const Endpoint& src, const Endpoint& dst, std::string_view bytes, std::string_view call_id) {
  if (fd_ < 0) return;
  const uint64_t now_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  const std::string pkt = hep3_encode(HepPacket{src, dst, now_us, config_.capture_id, config_.password, call_id, bytes});
  ssize_t n = ::send(fd_, pkt.data(), pkt.size(), MSG_DONTWAIT);
  // ECONNREFUSED is an earlier datagram's ICMP port unreachable (the collector was down), reported
  // on this send, which it kept from leaving: this datagram is sent once more.
  if (n < 0 && errno == ECONNREFUSED) n = ::send(fd_, pkt.data(), pkt.size(), MSG_DONTWAIT);
  if (n == static_cast<ssize_t>(pkt.size()))
    ++exported_;
  else
    ++dropped_;
}

void HepExporter::received(const Inbound& in) {
  emit(in.source, in.local, in.msg.bytes().substr(0, in.msg.size() ? in.msg.size() : in.msg.bytes().size()),
       in.msg.value(parser::HeaderId::CallId));
}

void HepExporter::sent(uint16_t iface, const Endpoint& dest, std::string_view bytes, std::string_view call_id) {
  // What sipedge sends is not indexed: unless the sender said, its Call-ID line is looked up.
  emit(sip_endpoint(interfaces_, iface), dest, bytes,
       call_id.empty() ? parser::find_header_value(bytes, "Call-ID", 'i') : call_id);
}

}  // namespace sipedge::control
