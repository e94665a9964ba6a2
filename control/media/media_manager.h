// control/media/media_manager.h — control lcore only (not thread safe). Media anchoring (DESIGN §3):
// every SDP offer or answer that crosses sipedge is rewritten so each side sees only sipedge's
// address and relay ports on the interface facing it, and the relay flows between the two sides are
// installed or updated from what both SDPs say. RFC 3264 offer/answer, RFC 4566/8866 SDP.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/net_address.h"
#include "common/result.h"
#include "control/config.h"

namespace sipedge::control {

// The relay as the control plane programs it. RtpRelayBackend (rtp_relay_backend.h) drives the
// real rtp_relay::FlowTable; tests use a recording fake.
class FlowBackend {
 public:
  struct End {
    uint16_t iface = 0;       // interface facing this peer
    IpAddr local;             // sipedge's media address on that interface
    uint16_t local_port = 0;  // relay port the peer sends to
    IpAddr remote;            // the peer's address from its SDP (latching confirms it)
    uint16_t remote_port = 0; // the peer's port from its SDP; 0 = learn from the first packet
  };
  struct Counters {
    uint64_t packets[2] = {0, 0};  // [0]: received from end a (relayed to b), [1]: from end b
    uint64_t bytes[2] = {0, 0};
  };
  using Handle = uint64_t;

  virtual ~FlowBackend() = default;
  // A bidirectional flow between ends a and b. nullopt when the relay is full.
  virtual std::optional<Handle> install(const End& a, const End& b) = 0;
  virtual bool update(Handle h, const End& a, const End& b) = 0;
  virtual void remove(Handle h) = 0;
  virtual Counters counters(Handle h) const = 0;
  virtual size_t size() const = 0;
};

enum class MediaSide : uint8_t { Caller = 0, Callee = 1 };

enum class MediaError : uint8_t {
  BadSdp,          // the body does not parse as SDP (answer 400/488)
  NoPorts,         // the interface's relay port range is exhausted (answer 503/488)
  RelayFull,       // the flow table refused the flow
  TooManyStreams,  // more m-lines than sipedge anchors
  UnknownSession,
  AddressFamily,   // a peer's media address is not of its interface's IP version (answer 488)
};
std::string_view media_error_reason(MediaError e) noexcept;

using MediaSessionId = uint64_t;

class MediaManager {
 public:
  MediaManager(const ControlConfig& config, FlowBackend& backend);
  ~MediaManager();

  // A session between the caller, reached through interface `caller_iface`, and the callee,
  // through `callee_iface`.
  MediaSessionId create(uint16_t caller_iface, uint16_t callee_iface);

  // Rewrites an SDP body sent by `from` towards the other side: c= (session and media level) and
  // o= address become sipedge's media address on the other side's interface, every m= port with a
  // non-zero port becomes a relay port there, a=rtcp follows (port+1, or the same port with
  // a=rtcp-mux), the o= version increases whenever the SDP sent to that side changes. Hold
  // (c=0.0.0.0 / sendonly / inactive) passes through as hold; port 0 streams stay disabled and
  // release their relay ports. Records `from`'s addresses and installs or updates the flows of
  // every stream both sides have described. Offers and answers are treated alike, so early media
  // (183), re-INVITEs, UPDATE, PRACK and late offers (200/ACK) all work.
  Result<std::string, MediaError> rewrite(MediaSessionId id, MediaSide from, std::string_view sdp);

  // Removes the session's flows and returns its ports.
  void destroy(MediaSessionId id);

  struct Stats {
    uint64_t packets[2] = {0, 0};  // [0] caller -> callee, [1] callee -> caller, over every stream
    uint64_t bytes[2] = {0, 0};
  };
  Stats stats(MediaSessionId id) const;
  // The session a relay flow belongs to (idle reports name flows).
  std::optional<MediaSessionId> session_of_flow(FlowBackend::Handle flow) const;
  // True while the flow's stream is on hold on either side (sendonly, recvonly, inactive or
  // c=0.0.0.0): silence is expected, so an idle report about it must not end the call.
  bool media_on_hold(FlowBackend::Handle flow) const;

  size_t session_count() const noexcept;
  size_t flow_count() const noexcept { return backend_.size(); }
  // Relay ports in use on an interface (even/odd pairs count as two).
  size_t ports_in_use(uint16_t iface) const noexcept;

 private:
  struct Session;
  struct Stream;
  class PortPool;
  PortPool* pool(uint16_t iface) const noexcept;
  void remove_flows(Session& s);
  const ControlConfig& config_;
  FlowBackend& backend_;
  MediaSessionId next_id_ = 1;
  std::unordered_map<MediaSessionId, std::unique_ptr<Session>> sessions_;
  std::unordered_map<FlowBackend::Handle, MediaSessionId> flow_owner_;
  std::vector<std::unique_ptr<PortPool>> pools_;  // per interface index
};

}  // namespace sipedge::control
