// dataplane/media_relay.h — built on the main thread, then used by worker lcores. Connects the
// workers' media bursts to rtp_relay: one lane (RelayCounters + QSBR reader id) per worker,
// relay_burst per burst on the classifier's header offsets, and what it forwards goes into the
// worker's own TX buffers with the egress interface's 802.1Q tag. Never allocates or locks per
// packet.
#pragma once

#include <cstdint>
#include <memory>

#include "dataplane/media.h"
#include "dataplane/shared_state.h"
#include "rtp_relay/flow_table.h"
#include "rtp_relay/relay_burst.h"
#include "rtp_relay/relay_counters.h"

namespace sipedge::dataplane {

// Makes `m`'s 802.1Q tag the one `vid` asks for (0: untagged), inserting, rewriting or removing it;
// m->l2_len follows. False when a tag cannot be inserted for want of headroom.
bool fit_vlan(rte_mbuf* m, uint16_t vid) noexcept;

class MediaRelay {
 public:
  // `table` and `shared` must outlive this object. `lanes` = workers (+1 when the control lcore
  // polls an RX queue, Dataplane::media_lanes()). Registers QSBR reader ids first_reader ..
  // first_reader + lanes - 1 and puts them online. Throws std::runtime_error when the QSBR variable
  // has too few reader slots.
  MediaRelay(const relay::FlowTable& table, const SharedState& shared, unsigned lanes, unsigned first_reader = 0);
  // Takes the readers offline and unregisters them: stop the workers first.
  ~MediaRelay();
  MediaRelay(const MediaRelay&) = delete;
  MediaRelay& operator=(const MediaRelay&) = delete;

  // For Dataplane::set_media_handler.
  MediaHandler handler() noexcept { return {&MediaRelay::on_burst, this, &MediaRelay::on_poll_done}; }

  // Lock-free sum over every lane (any thread).
  relay::RelayTotals totals() const noexcept;

 private:
  static void on_burst(void* ctx, const MediaBurst& burst) noexcept;
  static void on_poll_done(void* ctx, unsigned worker) noexcept;

  relay::RelayView view_;
  const SharedState& shared_;
  unsigned lanes_;
  unsigned first_reader_;
  std::unique_ptr<relay::RelayCounters[]> lane_;
};

}  // namespace sipedge::dataplane
