// control/runtime/control_loop.cc — control lcore. See control_loop.h.
#include "control/runtime/control_loop.h"

#include <rte_cycles.h>

#include <algorithm>


#include "control/api/logging.h"
#include "control/runtime/rtp_relay_backend.h"
#include "control/runtime/shard_set.h"
#include "control/runtime/sip_capture.h"
#include "dataplane/idle_backoff.h"

namespace sipedge::control {
namespace {

constexpr unsigned kSipBurst = 32;
// Flow slots the idle sweep visits per pass: bounded, so a million flows never stall the loop.
constexpr uint32_t kSweepSlots = 65536;
// Flows waiting for offload, and NIC rule counters, visited per millisecond: 64k rte_flow queries
// a second at most, so 100k offloaded directions are each polled every couple of seconds.
constexpr size_t kOffloadSlice = 64;

}  // namespace

ControlLoop::ControlLoop(Parts parts, Timing timing)
    : parts_(parts),
      timing_(timing),
      overload_(timing.overload_enter_tsc, timing.overload_leave_tsc, timing.overload_enter_backlog,
                timing.overload_leave_backlog),
      tsc_per_us_(std::max<uint64_t>(rte_get_tsc_hz() / 1000000, 1)),
      media_timeout_ns_(static_cast<uint64_t>(static_cast<unsigned __int128>(timing.media_timeout_tsc) * 1000000000 /
                                              std::max<uint64_t>(rte_get_tsc_hz(), 1))) {}

unsigned ControlLoop::drain_sip(uint64_t now_tsc) {
  dataplane::SipItem* items[kSipBurst];
  const unsigned n = parts_.io.receive_sip(parts_.shard, items);
  // The burst's longest wait decides before any of it is handled: its new requests are the ones
  // the backlog would delay past the senders' retransmissions.
  uint64_t longest_wait = 0;
  for (unsigned i = 0; i < n; ++i)
    if (now_tsc > items[i]->rx_tsc) longest_wait = std::max(longest_wait, now_tsc - items[i]->rx_tsc);
  const uint32_t backlog = n ? parts_.io.sip_backlog(parts_.shard) : 0;
  const bool was = parts_.proxy.overloaded();
  const bool now = overload_.on_burst(n, longest_wait, backlog);
  parts_.proxy.set_overloaded(now);
  // One line per episode boundary; an episode lasts at least a burst, and a flapping loop logs at
  // most one pair per second.
  if (now != was && (now_tsc >= next_overload_log_tsc_ || !now)) {
    if (now) {
      next_overload_log_tsc_ = now_tsc + rte_get_tsc_hz();
      logs::of(logs::Component::Overload).warn("sipedge: overload on: {} messages waiting, the longest {} us; new requests refused", backlog,
                   longest_wait * 1000000 / rte_get_tsc_hz());
      overload_logged_ = true;
    } else if (overload_logged_) {
      logs::of(logs::Component::Overload).warn("sipedge: overload off ({} episodes so far)", overload_.episodes());
      overload_logged_ = false;
    }
  }
  for (unsigned i = 0; i < n; ++i) {
    dataplane::SipItem* item = items[i];
    if (parts_.clock) parts_.clock->refresh();
    const Inbound in{item->msg, Endpoint{item->src, item->src_port}, Endpoint{item->dst, item->dst_port}, item->iface};
    if (parts_.tap) parts_.tap->received(in);  // the shard's own
    if (parts_.capture) {
      const auto guard = shared_parts();
      parts_.capture->received(*item);
    }
    sip_wait_.observe_ns(now_tsc > item->rx_tsc ? (now_tsc - item->rx_tsc) * 1000 / tsc_per_us_ : 0);
    const uint64_t began = rte_rdtsc();
    if (item->scan.status == parser::ScanStatus::Complete)
      parts_.proxy.on_message(in);
    else
      parts_.proxy.on_malformed(in, item->scan.fault);
    sip_work_.observe_ns((rte_rdtsc() - began) * 1000 / tsc_per_us_);
    parts_.io.release(item);
  }
  return n;
}

bool ControlLoop::on_idle(void* ctx, const relay::IdleReport& r) {
  // MediaManager decides whether the call's media is dead (every direction silent, not on hold).
  static_cast<ControlLoop*>(ctx)->media_idle(RtpRelayBackend::handle_of(r.handle));
  return true;
}

void ControlLoop::media_idle(FlowBackend::Handle flow) {
  // Under the shards' lock (the sweep holds it): a proxy would send under it, so the flow waits
  // in its owner's mailbox, this shard's included.
  if (parts_.shards)
    parts_.shards->post_idle_flow(flow);
  else
    parts_.proxy.on_media_idle(flow);
}

bool ControlLoop::sent_since_poll() noexcept {
  const TransportCounters& c = parts_.proxy.transport_counters();
  const uint64_t sends = c.sent + c.failed + c.unreachable;
  const bool sent = sends != sends_at_poll_;
  sends_at_poll_ = sends;
  return sent;
}

std::unique_lock<ShardLock> ControlLoop::shared_parts() const {
  return parts_.shards ? std::unique_lock<ShardLock>(parts_.shards->lock()) : std::unique_lock<ShardLock>();
}

unsigned ControlLoop::poll_once(uint64_t now_tsc) {
  const bool first = parts_.shard == 0;
  if (!first) parts_.shards->park_if_asked(parts_.shard);
  unsigned work = 0;
  if (first) {
    const auto guard = shared_parts();
    work += parts_.dataplane.poll_control_lanes(now_tsc);
  }
  const unsigned received = drain_sip(now_tsc);
  work += received;
  // The timers' time: read at the last message handled, microseconds ago, or now.
  if (received == 0 && parts_.clock) parts_.clock->refresh();
  if (parts_.shards) parts_.shards->take_mail(parts_.shard, parts_.proxy);
  work += parts_.proxy.on_tick();
  if (first && now_tsc >= next_sweep_tsc_) {
    next_sweep_tsc_ = now_tsc + timing_.idle_check_tsc;
    const auto guard = shared_parts();
    work += parts_.table.sweep_idle(now_tsc, timing_.media_timeout_tsc, &ControlLoop::on_idle, this, kSweepSlots);
  }
  if (first && now_tsc >= next_reclaim_tsc_) {
    next_reclaim_tsc_ = now_tsc + rte_get_tsc_hz() / 1000;
    const auto guard = shared_parts();
    parts_.table.reclaim();
    parts_.dataplane.reclaim_policies();
    if (parts_.relay) work += parts_.relay->follow_moves();
    if (parts_.offload) {
      work += parts_.offload->poll_offload(media_timeout_ns_, kOffloadSlice,
                                           [this](FlowBackend::Handle h) { media_idle(h); });
    }
  }
  // The management and metrics handlers pause the other shards themselves, per request.
  if (parts_.management) work += parts_.management->poll();
  if (parts_.metrics) work += parts_.metrics->poll();
  if (reload_requested_.exchange(false, std::memory_order_relaxed) && parts_.reload) {
    const PauseOthers still(parts_.shards);
    parts_.reload();
  }
  if (port_resets_.load(std::memory_order_relaxed) != 0) {
    const PauseOthers still(parts_.shards);
    for (uint64_t ports = port_resets_.exchange(0, std::memory_order_relaxed); ports != 0; ports &= ports - 1)
      if (parts_.port_reset) parts_.port_reset(static_cast<uint16_t>(__builtin_ctzll(ports)));
    ++work;
  }
  if (stop_requested_.load(std::memory_order_relaxed)) {
    if (!ending_) {
      ending_ = true;
      parts_.proxy.end_all_calls("gateway shutdown");
      end_deadline_tsc_ = now_tsc + timing_.shutdown_grace_tsc;
    } else if (first && now_tsc >= end_deadline_tsc_) {
      parts_.dataplane.stop();
    }
  }
  // Last: what this iteration sent (answers, timers, the shutdown's BYEs) leaves in one burst. A
  // shard with its own TX queues flushes them with no lock. The other shards take the lock to poll
  // the shared ControlIo only when they sent through it, so an idle shard leaves the lock alone;
  // shard 0 polls it every time (neighbour answers, timers, what another shard left in it).
  if (parts_.lane) work += parts_.lane->flush();
  if (first || (parts_.lane ? parts_.lane->take_shared_sends() : sent_since_poll())) {
    const auto guard = shared_parts();
    work += parts_.io.poll(now_tsc);
  }
  return work;
}

void ControlLoop::run() {
  dataplane::IdleBackoff idle(timing_.idle, rte_get_tsc_hz());
  while (!finished()) {
    const uint64_t start = rte_rdtsc();
    const unsigned work = poll_once(start);
    if (work != 0) busy_tsc_ += rte_rdtsc() - start;
    idle.on_poll(work, start);
  }
  if (parts_.shard != 0) parts_.shards->finished(parts_.shard);
}

}  // namespace sipedge::control
