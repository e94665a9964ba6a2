// control/runtime/shard_set.h — control lcores (every shard). What control shards share when there
// are several (issue 14 §2). Each shard owns its calls, transactions, timers, media sessions and its
// SIP ring; what they have in common goes through here:
// - one lock over the parts there is one of: ControlIo (the control TX queue of each port, the
//   neighbour table), the relay backend and its flow table, the ban mirror, the capture, and shard
//   0's dataplane lanes (they share the control TX queue). Each shard reaches them through its own
//   adapters below, or its loop takes the lock. A shard past the first whose ports give it a TX
//   queue of its own sends through a ShardLane instead, with no lock while it knows the next hop's
//   MAC. The SIP taps (ladder, HEP) are each shard's own;
// - mailboxes: location changes go to every other shard (Location is replicated), a relay flow
//   that went silent is reported to the shard that installed it, and a shard's question for
//   another (ShardQueries) and its answer travel through them;
// - a pause: shard 0 stops the others between two iterations while it reads or changes every
//   shard (management commands, metrics, reload, port reset).
// With one shard there is no ShardSet and nothing here runs.
#pragma once

#include <rte_pause.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "control/media/media_manager.h"
#include "control/proxy/proxy.h"
#include "control/registrar/location.h"
#include "control/runtime/control_io.h"
#include "control/security/ban_list.h"
#include "control/sip_io.h"
#include "dataplane/shared_state.h"
#include "dataplane/tx_buffer.h"

namespace sipedge::control {

// The lock over the shards' shared parts. Held for a few hundred nanoseconds at a time (a datagram
// sent through ControlIo) by lcores that poll: a waiter spins, reading before it tries, and yields
// its CPU only after a while (a holder descheduled on a shared CPU, as in containers and on small
// VMs). A std::mutex put each waiter to sleep in the kernel and woke it with a syscall: two shards
// sending flat out moved 1.3-1.4x less through it (bench/control_io_bench.cc).
class ShardLock {
 public:
  void lock() noexcept {
    for (unsigned tries = 0; !try_lock(); ++tries) {
      if (tries < kSpins)
        rte_pause();
      else
        std::this_thread::yield();
    }
  }
  bool try_lock() noexcept {
    return !held_.load(std::memory_order_relaxed) && !held_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { held_.store(false, std::memory_order_release); }

 private:
  static constexpr unsigned kSpins = 1000;  // ~10-50 µs of pauses: many holds, short of a timeslice
  std::atomic<bool> held_{false};
};

class ShardSet final : public ShardQueries {
 public:
  explicit ShardSet(unsigned count);
  unsigned count() const noexcept { return count_; }
  // The lock over the shared parts (see the file comment). Never held while a Proxy runs.
  ShardLock& lock() noexcept { return lock_; }

  // Mailboxes. post_* and the ShardQueries from any shard; take_mail on the owning shard, between
  // messages: applies the location changes to its replica, hands the silent flows to its proxy and
  // has it answer the questions and take the answers.
  void post_binding(unsigned to, const BindingChange& change);
  void post_idle_flow(FlowBackend::Handle flow);
  void ask_far_dialog(uint32_t owner, uint32_t asker, std::string replaces) override;
  void answer_far_dialog(uint32_t asker, std::string replaces, std::optional<FarDialog> far) override;
  void take_mail(unsigned shard, Proxy& proxy);
  // Location changes, silent flows, questions and answers waiting for `shard` (introspection).
  size_t mail_waiting(unsigned shard);

  // Which shard installed a relay flow (ShardBackend keeps it), for post_idle_flow.
  void own_flow(FlowBackend::Handle flow, unsigned shard);
  void forget_flow(FlowBackend::Handle flow);

  // Shard 0: returns once every other shard is parked between two iterations, or finished.
  void pause_others();
  void resume_others();
  // Shards 1..N-1, at the top of each iteration: waits while shard 0 holds the pause.
  void park_if_asked(unsigned shard);
  // A shard's loop returned: it counts as parked from now on.
  void finished(unsigned shard);

 private:
  struct Mailbox {
    std::mutex lock;
    std::vector<BindingChange> bindings;
    std::vector<FlowBackend::Handle> idle_flows;
    std::vector<std::pair<uint32_t, std::string>> far_questions;  // asker, Replaces value
    std::vector<std::pair<std::string, std::optional<FarDialog>>> far_answers;
    // Written under the lock, read without it: the owner looks every loop iteration and takes
    // the lock only when there is mail (one seen late is taken on the next iteration).
    std::atomic<size_t> waiting{0};
  };
  const unsigned count_;
  ShardLock lock_;
  std::unique_ptr<Mailbox[]> mail_;
  std::mutex owners_lock_;
  std::unordered_map<FlowBackend::Handle, unsigned> flow_owner_;
  // Pauses are numbered: odd while one holds. A shard parks by acknowledging the pause's number, so
  // a shard still leaving the last pause is never counted as parked in the next one.
  static constexpr uint64_t kFinished = ~uint64_t{0};
  std::atomic<uint64_t> pause_{0};
  std::unique_ptr<std::atomic<uint64_t>[]> parked_in_;  // per shard: the pause it is parked in
};

// Shard 0 holds the other shards still for the scope (none: nothing to hold).
class PauseOthers {
 public:
  explicit PauseOthers(ShardSet* set) : set_(set) {
    if (set_) set_->pause_others();
  }
  ~PauseOthers() {
    if (set_) set_->resume_others();
  }
  PauseOthers(const PauseOthers&) = delete;
  PauseOthers& operator=(const PauseOthers&) = delete;

 private:
  ShardSet* set_;
};

// A shard's location replica publishes to every other shard's mailbox.
class ShardPeers final : public LocationPeers {
 public:
  ShardPeers(ShardSet& set, unsigned shard) : set_(set), shard_(shard) {}
  void publish(const BindingChange& change) override;

 private:
  ShardSet& set_;
  unsigned shard_;
};

// A shard's way to the wire: the shared transport (ControlIo), under the lock. Counts what this
// shard sent (stats per shard) and shows it to the shard's taps, after the lock; the shared
// transport counts the total.
class ShardTransport final : public SipTransport {
 public:
  ShardTransport(ShardSet& set, SipTransport& shared) : set_(set), shared_(shared) {}

 private:
  SendResult transmit(uint16_t iface, const Endpoint& dest, std::string_view bytes) override;
  ShardSet& set_;
  SipTransport& shared_;
};

// A control shard's own way to the wire (shards 1..N-1), where every port gives it a TX queue
// (Interface::shard_tx_queues): it frames its datagrams and queues them on its own queue, taking no
// lock. A datagram whose next hop it has no fresh MAC for, and every one while a capture runs (the
// frame tap is active), goes through the shared ControlIo under the lock instead (resolution, held
// frames, the frame tap); what that shows of the neighbour it keeps until the neighbour table would
// check it again (Reachable turns Stale) or any neighbour answer arrives
// (ControlIo::neighbour_changes).
// Its TX buffer is flushed by its own loop, with no lock, at the end of each iteration.
class ShardLane final : public SipTransport {
 public:
  ShardLane(ShardSet& set, ControlIo& io, unsigned shard, dataplane::LcoreCounters& counters);
  ~ShardLane() override;
  // Whether every port of `shared` has a TX queue for control shard `shard`.
  static bool available(const dataplane::SharedState& shared, unsigned shard) noexcept;
  // What this shard queued on its own TX queues leaves, one burst per port. Returns packets sent.
  unsigned flush() noexcept { return tx_.flush_all(); }
  // True, once, when a send since the last call went through the shared ControlIo: its datagram
  // then waits in the shared TX queue for ControlIo::poll.
  bool take_shared_sends() noexcept { return std::exchange(shared_sends_, false); }

 private:
  SendResult transmit(uint16_t iface, const Endpoint& dest, std::string_view bytes) override;
  // The next hop's MAC while it is known fresh, or nullptr.
  const rte_ether_addr* known(uint16_t iface, const IpAddr& hop, uint64_t now) noexcept;
  // Under the lock, after a send through ControlIo: keeps the neighbour's MAC if it is Reachable.
  void learn(uint16_t iface, const IpAddr& hop, uint64_t now) noexcept;

  struct Known {
    uint16_t iface = 0;
    IpAddr ip;
    rte_ether_addr mac{};
    uint64_t until_tsc = 0;  // 0: empty
  };
  static constexpr size_t kKnown = 16;  // next hops: a few per interface (peers on-link, the gateway)
  static size_t slot(uint16_t iface, const IpAddr& ip) noexcept { return (IpAddrHash{}(ip) ^ iface) % kKnown; }

  ShardSet& set_;
  ControlIo& io_;
  dataplane::LcoreCounters& counters_;
  dataplane::TxBuffer tx_;
  ControlIo::FrameIds ids_;
  std::array<Known, kKnown> known_{};
  uint64_t seen_changes_ = 0;
  bool shared_sends_ = false;
};

// A shard's relay backend: the shared one, under the lock, remembering which flows are its own.
class ShardBackend final : public FlowBackend {
 public:
  ShardBackend(ShardSet& set, FlowBackend& shared, unsigned shard) : set_(set), shared_(shared), shard_(shard) {}
  Result<Handle, MediaError> install(const End& a, const End& b) override;
  Result<std::monostate, MediaError> update(Handle h, const End& a, const End& b) override;
  void remove(Handle h) override;
  Counters counters(Handle h) const override;
  size_t size() const override;

 private:
  ShardSet& set_;
  FlowBackend& shared_;
  unsigned shard_;
};

// Bans a shard imposes or lifts reach the dataplane's table (and the NIC) through the shared sink.
class ShardBanSink final : public BanSink {
 public:
  ShardBanSink(ShardSet& set, BanSink& shared) : set_(set), shared_(shared) {}
  void banned(const IpAddr& addr, uint64_t until_ms, uint64_t now_ms, std::string_view reason) override;
  void lifted(const IpAddr& addr) override;

 private:
  ShardSet& set_;
  BanSink& shared_;
};

}  // namespace sipedge::control
