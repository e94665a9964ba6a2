// control/api/hep.h — control lcore. HEPv3 export (the Homer encapsulation protocol, as heplify and
// Kamailio's siptrace send it): every SIP message sipedge receives and sends, with its real addresses,
// ports and time, as one UDP datagram to a collector. Sent from a non-blocking kernel socket on the
// control lcore (the management side), never from a lane; a datagram the socket cannot take is
// dropped and counted, never waited for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/net_address.h"
#include "control/config.h"
#include "control/sip_io.h"

namespace sipedge::control {

// One captured message.
struct HepPacket {
  Endpoint src, dst;       // same IP version
  uint64_t time_us = 0;    // wall clock, µs since the epoch
  uint32_t capture_id = 0;
  std::string_view password;     // HEP auth key chunk; "" = none
  std::string_view correlation;  // Call-ID (chunk 0x0011); "" = none
  std::string_view payload;      // the SIP message
};

// The HEPv3 datagram: "HEP3", total length, then chunks (vendor 0): IP family, protocol (UDP),
// source and destination address and port, seconds and microseconds, protocol type 1 (SIP), capture
// agent id, auth key, correlation id, payload. Integers in network order.
std::string hep3_encode(const HepPacket& p);

class HepExporter final : public SipTap {
 public:
  // `interfaces`: where sent messages come from (each interface's SIP address and port).
  HepExporter(HepConfig config, const std::vector<InterfaceConfig>& interfaces);
  ~HepExporter() override;
  HepExporter(const HepExporter&) = delete;
  HepExporter& operator=(const HepExporter&) = delete;

  // false with error() set when the socket cannot be made.
  bool open();
  const std::string& error() const noexcept { return error_; }

  void received(const Inbound& in) override;
  void sent(uint16_t iface, const Endpoint& dest, std::string_view bytes, std::string_view call_id) override;

  uint64_t exported() const noexcept { return exported_; }
  uint64_t dropped() const noexcept { return dropped_; }

 private:
  void emit(const Endpoint& src, const Endpoint& dst, std::string_view bytes, std::string_view call_id);

  HepConfig config_;
  const std::vector<InterfaceConfig>& interfaces_;
  int fd_ = -1;
  std::string error_;
  uint64_t exported_ = 0, dropped_ = 0;
};

}  // namespace sipedge::control
