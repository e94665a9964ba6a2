// hw/offload_manager.h — control lcore, never a worker. Which directions of which media flows the
// NIC carries (DESIGN §5): a direction goes to the NIC once both its peers are known (the ingress
// peer latched, so the rule's exact match is the strict-source check), an SDP change swaps its rule
// make-before-break (the new rule first, then the old one deleted, so no packet falls between),
// teardown removes it, and a port reset gets its rules back. Whatever the NIC cannot or will not
// carry stays in the software relay, counted by reason. Hardware counters are kept across swaps
// and added to the software ones by the caller, so CDRs and `sipedgectl flows` stay true.
// On ports with the template/async API (mlx5 in HW steering mode) a rule is a queued operation:
// the NIC carries the direction once its create completed (poll_activity() pushes and pulls), the
// workers relay it meanwhile, and a swap's old rule goes only when the new one is in.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hw/flow_ops.h"
#include "hw/probe.h"
#include "hw/rule_compiler.h"
#include "rtp_relay/flow.h"

namespace sipedge::hw {

// [hw] offload: "off" never installs media rules, "auto" uses what each port takes, "required"
// refuses to start when no port takes media offload (checked by the gateway after the probe).
enum class OffloadMode : uint8_t { Off, Auto, Required };

// Why sipedge must not start: `mode` is Required and no port in `probed` took media rules (each
// port's probe result, joined by "; "). nullopt when the mode can run.
std::optional<std::string> required_offload_missing(OffloadMode mode, const std::vector<PortOffload>& probed);

// Why a direction stays in the software relay.
enum class SoftwareReason : uint8_t {
  Disabled,        // [hw] offload = "off"
  PortCannot,      // the ingress port took no media rule variant when probed
  NotOffloadable,  // a peer unknown yet, or address families that differ
  RulesExhausted,  // [hw] max_rules reached
  Refused,         // the PMD refused the rule (its table full, a limit the probe could not see)
  kCount
};
const char* software_reason_name(SoftwareReason r) noexcept;

class OffloadManager {
 public:
  struct Port {
    uint16_t port_id = 0;
    uint16_t vlan = 0;                // the interface's 802.1Q VID, 0 = untagged
    std::optional<RuleVariant> media; // what the probe found; none = media stays in software
    uint32_t async_ops = 0;           // > 0: rules go through the async queue, this many in flight at most
  };
  struct Config {
    OffloadMode mode = OffloadMode::Auto;
    size_t max_rules = 65536;
    uint32_t idle_s = 30;  // AGE timeout of media rules
  };
  struct Stats {
    uint64_t submitted = 0;  // creates asked of the NIC (async ones complete later, or fail)
    uint64_t installed = 0;  // rules created, swaps included
    uint64_t removed = 0;    // rules destroyed, swaps included
    uint64_t swaps = 0;      // SDP changes carried make-before-break
    std::array<uint64_t, static_cast<size_t>(SoftwareReason::kCount)> software{};
  };
  // What the NIC carried for one direction since it was first offloaded.
  struct Carried {
    bool offloaded = false;
    uint64_t packets = 0;
    uint64_t bytes = 0;
  };

  // `now_ns` times rule inserts (a steady clock in production, a fake one in tests).
  OffloadManager(FlowOps& ops, Config config, std::vector<Port> ports, std::function<uint64_t()> now_ns);
  ~OffloadManager();
  OffloadManager(const OffloadManager&) = delete;
  OffloadManager& operator=(const OffloadManager&) = delete;

  // Direction `side` (packets received on that side) of flow `handle`, its peers now known: carried
  // by the NIC from now on (nullopt; on an async port, once the create completes), or why it stays
  // in software. A direction already offloaded is
  // swapped to the new rule make-before-break; when the new rule cannot be had, the old one is
  // removed and the direction goes back to software.
  std::optional<SoftwareReason> offload(relay::FlowHandle handle, int side, const relay::FlowSpec& spec,
                                        const Endpoint& ingress_peer, const Endpoint& egress_peer);
  // The direction goes back to software (its peer must be learned again): its rule, if any, is
  // destroyed; what it carried stays counted.
  void withdraw(relay::FlowHandle handle, int side);
  // Teardown: both directions' rules go. What the NIC carried for each, for the CDR.
  std::array<Carried, 2> remove(relay::FlowHandle handle);
  // After port `port_id` was reset (its rules gone with it): every rule of it installed again.
  // Returns how many came back; the others' directions went back to software.
  size_t reinstall(uint16_t port_id);

  Carried carried(relay::FlowHandle handle, int side) const;
  bool offloaded(relay::FlowHandle handle, int side) const;
  // A create for this direction is queued on an async port and has not completed yet.
  bool pending(relay::FlowHandle handle, int side) const;
  // Whether a new direction on `port_id` may be submitted now: always on a synchronous port; on an
  // async one while a quarter of its queue is still free (kept for swaps and removals).
  bool can_insert(uint16_t port_id) const;
  // Async ports: operations submitted whose results were not pulled yet.
  size_t ops_in_flight() const;
  // Media silence as the NIC sees it (the worker never does for an offloaded direction); on async
  // ports it first pushes the queued operations and takes in the completed ones. Ports with
  // AGE report their quiet rules themselves; the others' rules have their COUNT polled, up to
  // `budget` a call, round robin. `on_idle(handle, side)` is called once for each direction quiet
  // for `idle_after_ns` (again only after packets came back). An aged rule that sees packets again
  // is COUNT-polled from then on: a NIC reports a rule's ageing once. Returns the work done.
  using IdleFn = std::function<void(relay::FlowHandle, int side)>;
  size_t poll_activity(uint64_t idle_after_ns, size_t budget, const IdleFn& on_idle);
  // Nanoseconds since the NIC last carried a packet of this direction (or since it was offloaded),
  // as of the last poll; nullopt when the direction was never offloaded.
  std::optional<uint64_t> silent_ns(relay::FlowHandle handle, int side) const;
  size_t rules() const noexcept { return active_; }
  const Stats& stats() const noexcept { return stats_; }
  // Insert latency percentiles (ns) over the last inserts; 0 before the first.
  uint64_t insert_latency_ns(double percentile) const;
  std::string last_refusal() const { return last_refusal_; }

 private:
  using Key = std::tuple<uint32_t, uint32_t, int>;  // flow index, generation, side
  // A direction that was offloaded once; back in software (rule null) it keeps what it carried.
  struct Entry {
    rte_flow* rule = nullptr;
    DirectionRule direction;
    rte_flow* pending = nullptr;     // async create in flight, to replace `rule` once it completes
    DirectionRule pending_direction;
    uint64_t base_packets = 0;  // carried by rules of this direction already destroyed
    uint64_t base_bytes = 0;
    uint64_t seen_packets = 0;   // base + the rule's count at the last poll
    uint64_t active_ns = 0;      // when a poll last saw the count move (or the rule went in)
    bool idle_reported = false;  // on_idle called since the count last moved
    bool age_events = false;     // the port's AGE reports this rule's silence (no COUNT polling)
  };
  // A rule replaced or withdrawn on an async port, until its removal is submitted.
  struct Retiring {
    Key key;
    rte_flow* rule;
    uint64_t packets, bytes;  // its count when retired, already in its entry's base
  };
  // An async port's queue and the template tables its rules use (one per rule shape).
  struct Queue {
    uint32_t capacity = 0;
    uint32_t in_flight = 0;
    bool unpushed = false;
    std::map<std::vector<int>, rte_flow_template_table*> tables;
    std::vector<rte_flow*> to_destroy;  // removals that found the queue full, retried at the next poll
    std::vector<Retiring> retiring;
  };
  struct Op {
    Key key;
    uint16_t port_id;
    rte_flow* rule;
    bool create;
    uint64_t submitted_ns;
  };
  const Port* port(uint16_t port_id) const;
  rte_flow* install(const DirectionRule& r, const RuleVariant& v);
  // Async: queues the create of `r` for `key` (nullptr with last_refusal_ when it cannot be queued).
  rte_flow* submit_create(const Key& key, const DirectionRule& r, const RuleVariant& v);
  void submit_destroy(uint16_t port_id, rte_flow* rule);
  bool room(uint16_t port_id, Queue& q);  // a free slot in the queue, pulling completions if needed
  // Pushes the queued operations and takes in the completed ones; returns how many completed.
  size_t complete();
  void created(const Op& op, bool ok);
  void record_latency(uint64_t ns);
  void track(const Key& key, Entry& e, rte_flow* rule, const RuleVariant& v);
  // Queries its counter into the base and destroys the rule (on an async port, at the next poll).
  void retire(const Key& key, Entry& e);
  std::optional<SoftwareReason> software(SoftwareReason r);

  FlowOps& ops_;
  Config config_;
  std::vector<Port> ports_;
  std::function<uint64_t()> now_ns_;
  std::map<Key, Entry> entries_;
  std::map<uint16_t, Queue> queues_;             // async ports
  std::unordered_map<uint64_t, Op> in_flight_;      // in flight, by the id given as user_data
  uint64_t next_op_ = 1;
  bool completing_ = false;  // inside complete(): a full queue is not drained again
  std::unordered_map<rte_flow*, Key> by_rule_;  // AGE reports name rules
  Key poll_cursor_{0, 0, 0};  // poll_activity resumes after this key
  size_t active_ = 0;  // rules on the NIC or on their way there (live, pending, superseded in flight)
  Stats stats_;
  std::vector<uint64_t> latency_ns_;  // ring of the last kLatencyWindow inserts
  size_t latency_next_ = 0;
  std::string last_refusal_;
};

}  // namespace sipedge::hw
