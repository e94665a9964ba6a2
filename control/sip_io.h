// control/sip_io.h — control lcore. What the control plane receives (a scanned message plus where it
// came from) and the one door it sends through. The dataplane implements SipTransport over its TX
// rings; tests implement it with a recorder.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/net_address.h"
#include "parser/message.h"

namespace sipedge::control {

// A SIP message that arrived. Its bytes (msg.bytes()) live only for the duration of the call that
// receives it: keep copies, not views.
struct Inbound {
  const parser::Message& msg;
  Endpoint source;   // the packet's source address and port (RFC 3581 received/rport)
  Endpoint local;    // the address and port it was sent to
  uint16_t iface;    // interface index it arrived on
};

// What every transport counts: a message sipedge built and could not hand to the wire leaves a trace.
struct TransportCounters {
  uint64_t sent = 0;         // datagrams queued (or held for neighbour resolution)
  uint64_t failed = 0;       // dropped for a passing shortage (no buffer): a retransmission may pass
  uint64_t unreachable = 0;  // no way to the destination from that interface (RFC 3261 §18.4)
};

enum class SendResult : uint8_t {
  Sent,         // queued for the wire (or held until the next hop resolves)
  Failed,       // dropped for a passing shortage; a retransmission may get through
  Unreachable,  // no route to the destination: a transport error (RFC 3261 §17.1.1.2, §18.4)
};

// Sees every SIP message as it arrived and as sipedge sent it (HEP export, traces). Called on the
// control lcore, inline: must not block.
class SipTap {
 public:
  virtual ~SipTap() = default;
  virtual void received(const Inbound& in) = 0;
  // Sent from interface `iface`'s SIP address to `dest`. `call_id`: the Call-ID in `bytes` when the
  // sender knew it, else empty (the tap finds it in the bytes).
  virtual void sent(uint16_t iface, const Endpoint& dest, std::string_view bytes, std::string_view call_id) = 0;
};

// Several taps as one (trace ring, HEP export), in the order added.
class SipTapList final : public SipTap {
 public:
  void add(SipTap* tap) { taps_.push_back(tap); }
  void received(const Inbound& in) override {
    for (SipTap* t : taps_) t->received(in);
  }
  void sent(uint16_t iface, const Endpoint& dest, std::string_view bytes, std::string_view call_id) override {
    for (SipTap* t : taps_) t->sent(iface, dest, bytes, call_id);
  }

 private:
  std::vector<SipTap*> taps_;
};

class SipTransport {
 public:
  virtual ~SipTransport() = default;
  // Sends `bytes` as one UDP datagram from interface `iface`'s SIP address to `dest`. Counted, and
  // shown to the tap when it left. `call_id`: the Call-ID in `bytes`, when the caller knows it, which
  // spares the tap a search of the bytes for it.
  SendResult send(uint16_t iface, const Endpoint& dest, std::string_view bytes, std::string_view call_id = {}) {
    const SendResult r = transmit(iface, dest, bytes);
    ++(r == SendResult::Sent ? counters_.sent : r == SendResult::Failed ? counters_.failed : counters_.unreachable);
    if (tap_ && r == SendResult::Sent) tap_->sent(iface, dest, bytes, call_id);
    return r;
  }
  const TransportCounters& counters() const noexcept { return counters_; }
  void set_tap(SipTap* tap) noexcept { tap_ = tap; }

 private:
  // The transport's own way to the wire.
  virtual SendResult transmit(uint16_t iface, const Endpoint& dest, std::string_view bytes) = 0;
  TransportCounters counters_;
  SipTap* tap_ = nullptr;
};

}  // namespace sipedge::control
