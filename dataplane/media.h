// dataplane/media.h — worker lcores. The narrow interface through which a worker hands UDP packets
// for the media port range to the relay. Chosen once at startup (a function pointer, as l3fwd picks
// its lookup mode), never branched on per packet. A handler never blocks, allocates, logs or throws.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <span>

namespace sipedge::dataplane {

class TxBuffer;
struct LcoreCounters;

struct MediaBurst {
  unsigned worker = 0;  // worker index (0..N-1); also its queue number on every port
  uint16_t iface = 0;   // Interface::index the burst arrived on
  std::span<rte_mbuf*> pkts;  // Ethernet frames, l2_len/l3_len/l4_len and packet_type set, UDP to a media port
  uint64_t now_tsc = 0;
  TxBuffer* tx = nullptr;  // the worker's TX buffers, one per interface
  LcoreCounters* counters = nullptr;
};

// Must consume every packet of the burst: push it to `tx` or free it (and count why).
using MediaHandlerFn = void (*)(void* ctx, const MediaBurst& burst) noexcept;

// Called once per poll iteration by each worker, outside any burst (the relay reports its RCU
// quiescent state here, rtp_relay/flow_table.h). Optional.
using MediaPollDoneFn = void (*)(void* ctx, unsigned worker) noexcept;

struct MediaHandler {
  MediaHandlerFn fn = nullptr;
  void* ctx = nullptr;
  MediaPollDoneFn poll_done = nullptr;
};

}  // namespace sipedge::dataplane
