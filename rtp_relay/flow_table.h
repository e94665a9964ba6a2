// rtp_relay/flow_table.h — the media flow table: control lcore writes (add/update/delete), worker
// lcores read through RelayView with lock-free lookups. Never blocks a reader; flow objects are
// freed only after every reader has passed a quiescent state (RCU QSBR). DESIGN §2, §3 Media.
//
// How the pieces fit (read before using):
//  - Keys live in an rte_hash created with RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | EXT_TABLE: lookups
//    never take a lock and never fail because a bucket overflowed. Each flow has two keys (one per
//    side, see flow.h); the hash data is the Flow pointer with the side in bit 0.
//  - Flow objects come from two preallocated pools (IPv4 and IPv6), sized from FlowTableConfig plus
//    a small headroom so update_flow works on a full table. Nothing is allocated per packet or per
//    flow after create().
//  - update_flow is copy-on-write: a new object is filled, both keys are re-pointed atomically, the
//    old one is retired. Latched peers, counters and idle state carry over. delete_flow unlinks the
//    keys at once; key slots and the object are recycled after the grace period (rte_rcu_qsbr_dq).
//  - Readers: each worker registers a thread id on qsbr() (rte_rcu_qsbr_thread_register + _online)
//    before its first relay_burst and calls rte_rcu_qsbr_quiescent(qsbr(), id) once per poll-loop
//    iteration, outside relay_burst. A worker that blocks or stops polling must go offline first
//    (rte_rcu_qsbr_thread_offline), or retired flows are never reclaimed (the table then reports
//    TableFull instead of reusing memory that might still be read).
//  - Counters: per-direction counters live in the flow, in the line a relayed packet reads anyway
//    (stats for control), and per-lcore reason counters in RelayCounters (relay_counters.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <rte_lcore.h>
#include <rte_memory.h>

#include "common/result.h"
#include "rtp_relay/flow.h"

struct rte_hash;
struct rte_rcu_qsbr;
struct rte_rcu_qsbr_dq;

namespace sipedge::relay {

enum class FlowError : uint8_t {
  InvalidSpec,      // port id out of range, local port 0, Strict without a peer, both sides same key
  VersionMismatch,  // sides (or a side and its peer) of different IP versions
  PortInUse,        // a key of the spec is already installed by another flow
  KeyChanged,       // update_flow may not move a side to another interface/address/port
  TableFull,        // capacity reached, or retired flows still waiting for their grace period
  NoSuchFlow,       // stale or unknown handle
  NoMemory,         // create(): rte_malloc / rte_hash / QSBR / defer-queue allocation failed
};

std::string_view flow_error_name(FlowError e) noexcept;

inline constexpr size_t kMaxTableName = 20;

struct FlowTableConfig {
  std::string name = "relay";      // 1..kMaxTableName chars; prefix of DPDK object names, unique per process
  uint32_t ipv4_flows = 65536;     // flows (each two keys) of each IP version
  uint32_t ipv6_flows = 4096;
  uint32_t max_readers = RTE_MAX_LCORE;  // QSBR thread ids are 0 .. max_readers - 1
  // How long a side that must learn its peer again still relays the old peer (flow.h Learning).
  uint32_t relearn_grace_ms = 2000;
  int socket_id = SOCKET_ID_ANY;
};

struct SideStats {
  uint64_t packets = 0;  // received on this side and relayed out of the other
  uint64_t bytes = 0;    // frame bytes of those packets
  uint64_t rejected = 0; // dropped for their source (StrictSource, LatchPending)
  uint64_t last_seen_tsc = 0;
  bool latched = false;
  bool relearning = false;  // unlatched after new SDP, still relaying the previous peer (flow.h)
  IpAddr latched_addr;
  uint16_t latched_port = 0;  // host order
};

struct FlowStats {
  std::array<SideStats, 2> side;
};

struct FlowInfo {
  FlowHandle handle;
  FlowSpec spec;
  FlowStats stats;
};

// What a worker needs to relay: read-only, copyable, valid while the FlowTable lives.
struct RelayView {
  const rte_hash* hash = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
};

using FlowStatus = Result<std::monostate, FlowError>;

class FlowTable {
 public:
  // Control lcore, after rte_eal_init. Allocates everything the table will ever use.
  // Errors: NoMemory (any DPDK allocation failed, e.g. duplicate name), InvalidSpec (zero capacity,
  // more than 2^26 flows of one version, no reader slots, empty or too long name).
  static Result<std::unique_ptr<FlowTable>, FlowError> create(const FlowTableConfig& config);

  // Control lcore, after all readers stopped (went offline or unregistered).
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // All of the following: control lcore only (single writer; not multi-thread safe with respect to
  // each other). Each is safe against concurrent relay_burst readers.

  // Installs both sides. `now_tsc` starts the idle clock of both directions.
  // Errors: InvalidSpec, VersionMismatch, PortInUse, TableFull.
  Result<FlowHandle, FlowError> add_flow(const FlowSpec& spec, uint64_t now_tsc);

  // Replaces peers, latch modes, MACs (new SDP, neighbour change). Sides keep their keys. A Latch
  // side whose SDP address and port are unchanged stays latched (a re-INVITE that only changes
  // codecs). One whose SDP names a new host or port learns its peer again (flow.h Learning): from
  // `now_tsc` on for relearn_grace_ms the old peer is still relayed, and the other direction sends
  // to the new SDP address at once, or, when the peer is only known by latching (any host), to the
  // old one until the new source latches.
  // Errors: NoSuchFlow, InvalidSpec, VersionMismatch, KeyChanged, TableFull (headroom exhausted).
  FlowStatus update_flow(FlowHandle handle, const FlowSpec& spec, uint64_t now_tsc);

  // Unlinks both keys now (later packets count NoFlow); memory is recycled after the grace period.
  // Errors: NoSuchFlow.
  FlowStatus delete_flow(FlowHandle handle);

  std::optional<FlowStats> flow_stats(FlowHandle handle) const;
  std::optional<FlowInfo> flow_info(FlowHandle handle) const;

  // Visits every live flow in handle order: fn(const FlowInfo&). Do not modify the table from fn.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for_each_in(0, handle_count(), fn);
  }
  // The same for the handles [first, first + count) only (within handle_count()): a walk over the
  // table a slice at a time.
  template <class Fn>
  void for_each_in(uint32_t first, uint32_t count, Fn&& fn) const {
    for (uint32_t i = first; i < first + count; ++i) {
      if (!handles_[i].live) continue;
      if (auto info = flow_info(FlowHandle{i, handles_[i].generation})) fn(*info);
    }
  }
  uint32_t handle_count() const noexcept { return static_cast<uint32_t>(handles_.size()); }

  uint32_t size() const noexcept { return live_[0] + live_[1]; }
  uint32_t size(bool ipv6) const noexcept { return live_[ipv6]; }
  uint32_t capacity(bool ipv6) const noexcept { return capacity_[ipv6]; }
  // Objects unlinked but still inside their grace period.
  uint32_t retired() const noexcept { return retired_; }

  RelayView view() const noexcept { return RelayView{hash_, qsbr_}; }
  rte_rcu_qsbr* qsbr() const noexcept { return qsbr_; }

  // Recycles retired flows whose grace period is over. Never blocks. Returns how many.
  uint32_t reclaim() noexcept;
  // Waits until every online reader has passed a quiescent state, then reclaims all. Blocks: for
  // shutdown and tests, never on a latency-sensitive path.
  uint32_t synchronize() noexcept;

  // Idle detection, control lcore: visits up to `max_flows` flow slots from where the previous call
  // stopped and reports, through `report(ctx, r)`, each side whose last packet (or install, if none
  // came) is at least `timeout_tsc` old and that was not reported since. The callback may change
  // the table (delete the flow); returning false stops the sweep, which resumes there next call.
  // Returns the number of reports made.
  using IdleFn = bool (*)(void* ctx, const IdleReport& r);
  uint32_t sweep_idle(uint64_t now_tsc, uint64_t timeout_tsc, IdleFn report, void* ctx,
                      uint32_t max_flows = UINT32_MAX);

 private:
  struct HandleEntry {
    uint32_t slot = 0;
    uint32_t generation = 0;
    bool ipv6 = false;
    bool live = false;
  };
  // Element of the defer queue: a flow object (its unlinked key positions are in the object).
  struct Retired {
    uint32_t slot;
    uint32_t ipv6;
  };

  FlowTable() = default;
  static void free_retired(void* table, void* elems, unsigned int n);
  const HandleEntry* entry(FlowHandle h) const noexcept;
  std::optional<uint32_t> take_slot(bool ipv6) noexcept;
  void retire(uint32_t slot, bool ipv6, int32_t pos0, int32_t pos1) noexcept;
  template <bool kIpv6>
  void release(Flow<kIpv6>& f) noexcept;

  template <bool kIpv6>
  Flow<kIpv6>* pool() const noexcept;
  template <bool kIpv6>
  Result<FlowHandle, FlowError> add_typed(const FlowSpec& spec, uint64_t now_tsc);
  template <bool kIpv6>
  FlowStatus update_typed(HandleEntry& e, const FlowSpec& spec, uint64_t now_tsc);
  template <bool kIpv6>
  FlowInfo info_typed(const HandleEntry& e, FlowHandle h) const;
  template <bool kIpv6>
  FlowStats stats_typed(const HandleEntry& e) const;
  template <bool kIpv6>
  uint32_t sweep_pool(uint32_t begin, uint32_t end, uint64_t now_tsc, uint64_t timeout_tsc, IdleFn report,
                      void* ctx, uint32_t& stopped_at, uint32_t& reported);

  std::string name_;
  rte_hash* hash_ = nullptr;
  rte_rcu_qsbr* qsbr_ = nullptr;
  rte_rcu_qsbr_dq* dq_ = nullptr;
  Flow<false>* flows4_ = nullptr;
  Flow<true>* flows6_ = nullptr;
  uint32_t pool_size_[2] = {0, 0};
  uint32_t capacity_[2] = {0, 0};
  uint32_t live_[2] = {0, 0};
  uint32_t retired_ = 0;
  std::vector<uint32_t> free_slots_[2];
  std::vector<HandleEntry> handles_;
  std::vector<uint32_t> free_handles_;
  uint32_t sweep_cursor_ = 0;
  uint64_t relearn_grace_tsc_ = 0;
};

}  // namespace sipedge::relay
