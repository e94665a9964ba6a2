// dataplane/media_relay.h — built on the main thread, then used by worker lcores. Connects the
// workers' media bursts to rtp_relay: one lane (TxBatch + RelayCounters + QSBR reader id) per
// worker, relay_burst per burst, tx_batch_flush on the worker's own TX queue. Never allocates or
// locks per packet. Limitation inherited from relay_burst: media on 802.1Q-tagged ports is
// counted Malformed (it expects untagged Ethernet).
#pragma once

#include <cstdint>
#include <memory>

#include "dataplane/media.h"
#include "rtp_relay/flow_table.h"
#include "rtp_relay/relay_burst.h"
#include "rtp_relay/relay_counters.h"

namespace sipedge::dataplane {

class MediaRelay {
 public:
  // `table` must outlive this object. `lanes` = workers (+1 when the control lcore polls an RX
  // queue, Dataplane::worker_count() + 1 is always enough). Registers QSBR reader ids
  // first_reader .. first_reader + lanes - 1 and puts them online. Throws std::runtime_error when
  // the QSBR variable has too few reader slots.
  MediaRelay(const relay::FlowTable& table, unsigned lanes, unsigned first_reader = 0);
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

  struct alignas(RTE_CACHE_LINE_SIZE) Lane {
    relay::TxBatch tx;
    relay::RelayCounters counters;
  };
  relay::RelayView view_;
  unsigned lanes_;
  unsigned first_reader_;
  std::unique_ptr<Lane[]> lane_;
};

}  // namespace sipedge::dataplane
