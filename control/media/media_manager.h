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
#include <variant>
#include <vector>

#include "common/net_address.h"
#include "common/result.h"
#include "control/config.h"

namespace sipedge::control {

// How each reaches the wire: control/proxy/refusal.h.
enum class MediaError : uint8_t {
  BadSdp,          // the body does not parse as SDP (answer 488)
  NoPorts,         // the interface's relay port range is exhausted (answer 503)
  RelayFull,       // the flow table is full (answer 503)
  RelayRefused,    // the flow table refused the flow for another reason (answer 500)
  TooManyStreams,  // more m-lines than sipedge anchors
  UnknownSession,
  AddressFamily,   // a peer's media address is not of its interface's IP version (answer 488)
};

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
    uint64_t silent_ms[2] = {0, 0};  // since the last packet received from that end (or the install)
  };
  using Handle = uint64_t;

  virtual ~FlowBackend() = default;
  // A bidirectional flow between ends a and b. RelayFull when the table has no room, RelayRefused
  // when it refuses the flow for another reason.
  virtual Result<Handle, MediaError> install(const End& a, const End& b) = 0;
  virtual Result<std::monostate, MediaError> update(Handle h, const End& a, const End& b) = 0;
  virtual void remove(Handle h) = 0;
  virtual Counters counters(Handle h) const = 0;
  virtual size_t size() const = 0;
};

enum class MediaSide : uint8_t { Caller = 0, Callee = 1 };

// RFC 3264: what an SDP body is in its exchange. The signalling layer knows: SDP in INVITE and UPDATE
// is an offer, in ACK an answer, in a response the answer to the request's offer (or the offer,
// when the request had none); PRACK's SDP answers an offer pending from the other side, if any.
enum class SdpRole : uint8_t {
  Offer,
  Answer,
  OfferOrAnswer,  // an answer when the other side has an offer pending, else an offer (PRACK)
};


using MediaSessionId = uint64_t;

// Which relay ports a MediaManager hands out: with several control shards (issue 14 §2) each takes
// every count-th RTP/RTCP pair from the index-th, so no two shards ever pick the same port.
struct MediaPortSlice {
  unsigned index = 0;
  unsigned count = 1;
};

class MediaManager {
 public:
  // `slice`: which of the relay ports it hands out (several control shards share the range).
  MediaManager(const ControlConfig& config, FlowBackend& backend, MediaPortSlice slice = {});
  ~MediaManager();

  // A session between the caller, reached through interface `caller_iface`, and the callee,
  // through `callee_iface`, on behalf of `owner` (the proxy's call: owner_of() finds it again
  // without a map of its own).
  MediaSessionId create(uint16_t caller_iface, uint16_t callee_iface, uint64_t owner = 0);
  // The owner given to create(), 0 for an unknown session.
  uint64_t owner_of(MediaSessionId id) const;

  // Rewrites an SDP body sent by `from` towards the other side: c= (session and media level) and
  // o= address become sipedge's media address on the other side's interface, every m= port with a
  // non-zero port becomes a relay port there, a=rtcp follows (port+1, or the same port with
  // a=rtcp-mux), the o= version increases whenever the SDP sent to that side changes. Hold
  // (c=0.0.0.0 / sendonly / inactive) passes through as hold; port 0 streams stay disabled.
  //
  // An offer changes nothing yet but the relay ports it needs for new streams: the session's media
  // stays exactly as it was until the answer arrives, which commits both (ports disabled by
  // either are released, flows installed, updated or removed). An offer that is never answered
  // (488, 491, a timeout) is dropped with reject_offer(). An answer with no offer pending (the 200
  // after a 183 that already answered) updates the answerer's side alone. Early media (183),
  // re-INVITEs, UPDATE, PRACK and late offers (200/ACK) all follow these rules.
  // On an error nothing changes (the pending offer, if any, stays pending).
  Result<std::string, MediaError> rewrite(MediaSessionId id, MediaSide from, std::string_view sdp, SdpRole role);

  // B2BUA mode: the o= username and session id of the SDP each side receives become sipedge's own
  // ("sipedge" and a number fixed per side), so nothing in o= ties one leg to the other.
  void set_own_origin(MediaSessionId id, uint64_t caller_session, uint64_t callee_session);

  // Drops the offer `from` has pending (its transaction failed): the relay ports it took return,
  // the session stays as it was before the offer. No-op when none is pending.
  void reject_offer(MediaSessionId id, MediaSide from);

  // Side `side` is now reached through interface `iface` (a request forwarded, redirected or
  // serially forked to a target on another interface than the first one): the relay ports that
  // side's peer sends to move to `iface`, flows towards the old peer go (the new one has said
  // nothing yet), and the next SDP that side receives starts a new o= version history. No-op when
  // the interface is the same. NoPorts when `iface` has too few ports (nothing changes then).
  Result<std::monostate, MediaError> move_side(MediaSessionId id, MediaSide side, uint16_t iface);

  // The last SDP sipedge wrote towards `to` (what a retransmission of that message must carry
  // again), nullopt when none was written or it is no longer kept.
  std::optional<std::string> last_sdp(MediaSessionId id, MediaSide to) const;
  // The last SDP written each way is kept from keep_sdp_texts() until as many release_sdp_texts()
  // (the proxy: while a request of the call is in progress, each until 64*T1 past its final
  // answer, as long as a peer may retransmit that answer). Otherwise only its hash is kept, which
  // is all the o= version needs: a million open calls do not hold ~300 bytes of SDP each.
  void keep_sdp_texts(MediaSessionId id);
  void release_sdp_texts(MediaSessionId id);

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
  // c=0.0.0.0): silence is expected there.
  bool media_on_hold(FlowBackend::Handle flow) const;
  // The media-timeout rule (DESIGN §3), in one place: the session of `flow` is dead when no stream
  // is on hold and every direction of every flow has been silent for the configured timeout. One
  // side muting (silence suppression, a sendonly hold) or an RTCP flow left unused is not a dead
  // call.
  bool media_dead(FlowBackend::Handle flow) const;

  size_t session_count() const noexcept;
  size_t flow_count() const noexcept { return backend_.size(); }
  // Relay ports in use on an interface (even/odd pairs count as two).
  size_t ports_in_use(uint16_t iface) const noexcept;

 private:
  struct Session;
  struct Stream;
  struct Offer;
  struct Described;
  class PortPool;
  PortPool* pool(uint16_t iface) const noexcept;
  void remove_flows(Session& s);
  // Planning: what `from`'s SDP says about each m-line, into `out` (an Sdp is ~10 KB of fixed
  // arrays: parsed in place, never copied). The error, or nullopt.
  std::optional<MediaError> describe(const Session& s, int from, std::string_view body, Described& out) const;
  // The SDP towards side `to`: `ports[i]` is stream i's relay port on `to`'s interface (0: none).
  std::string write_sdp(Session& s, int to, const Described& d, const std::vector<uint16_t>& ports) const;
  Result<std::string, MediaError> offer(MediaSessionId id, Session& s, int from, const Described& d);
  Result<std::string, MediaError> answer(MediaSessionId id, Session& s, int from, const Described& d);
  // Programming: installs, updates and removes flows so the relay carries `next`; rolls back and
  // fails with RelayFull when the backend refuses.
  Result<std::monostate, MediaError> program_flows(MediaSessionId id, Session& s, std::vector<Stream>& next);
  void release_offer(Session& s, int from);
  const ControlConfig& config_;
  FlowBackend& backend_;
  MediaSessionId next_id_ = 1;
  std::unordered_map<MediaSessionId, std::unique_ptr<Session>> sessions_;
  std::unique_ptr<Described> described_;  // describe()'s output, reused by every rewrite()
  std::unordered_map<FlowBackend::Handle, MediaSessionId> flow_owner_;
  std::vector<std::unique_ptr<PortPool>> pools_;  // per interface index
};

}  // namespace sipedge::control
