// dataplane/worker.h — one Worker per worker lcore: its RX/TX queue on every port, its reassembly
// table, its counters. poll_once() is the whole per-iteration job; the loop around it lives in
// worker_loop.cc. Never allocates (beyond mempools), locks, logs or throws after construction.
#pragma once

#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "parser/policy_matcher.h"

#include "dataplane/counters.h"
#include "dataplane/shared_state.h"
#include "dataplane/tx_buffer.h"

namespace sipedge::dataplane {

struct SipItem;

class Worker {
 public:
  // Creates the reassembly table (startup: throws std::runtime_error when out of memory).
  // `index` is the worker number, which is also its RX and TX queue on every port. The control
  // lcore's own RX worker has index = worker count (its TX queue is the control queue).
  Worker(const SharedState& shared, unsigned index, LcoreCounters& counters, uint32_t reassembly_flows);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // One pass: rx_burst every port, classify and act on each burst, flush TX, free reassembly
  // garbage. Returns the number of packets received (0 = idle, for the backoff).
  unsigned poll_once(uint64_t now_tsc) noexcept;

  // Classifies and acts on packets that arrived on `iface` (exposed so the shared control+worker
  // lcore and tests can drive a burst directly). Consumes every mbuf.
  void process_burst(uint16_t iface, rte_mbuf* const* pkts, uint16_t n, uint64_t now_tsc) noexcept;

  // Signature rules this lane matches every SIP message against: its own matcher (Hyperscan
  // scratch belongs to one thread) and what each rule id does, always swapped together.
  struct Policy {
    std::optional<parser::PolicyMatcher> matcher;  // none: no rules
    std::array<parser::PolicyAction, kMaxPolicyRules + 1> actions{};
  };
  // Control lcore, any time (start or reload): the lane takes `next` at its next poll, between
  // bursts, and hands back the set it replaced for control to free (reclaim_policy). Until the
  // previous handoff completed, `next` replaces the one still waiting.
  void offer_policy(std::unique_ptr<Policy> next) noexcept;
  // Control lcore: frees the set the lane gave back, if any. True when nothing is left in flight
  // (the lane took the last offer and its old set is freed).
  bool reclaim_policy() noexcept;

  unsigned index() const noexcept { return index_; }
  LcoreCounters& counters() noexcept { return counters_; }
  TxBuffer& tx() noexcept { return tx_; }

 private:
  enum class Verdict : uint8_t { Consumed, Media, Sip, Neighbour, Drop };
  struct Outcome {
    Verdict verdict;
    Drop drop;    // Verdict::Drop only
    rte_mbuf* m;  // may differ from the input after reassembly
    SipItem* item = nullptr;  // Verdict::Sip: the scanned message (owns m)
    rte_mbuf* neighbour_copy = nullptr;  // besides the verdict, a copy for control's neighbour table
  };
  static Outcome consumed(rte_mbuf* m) noexcept { return {Verdict::Consumed, Drop::kCount, m}; }
  static Outcome to(Verdict v, rte_mbuf* m) noexcept { return {v, Drop::kCount, m}; }
  static Outcome dropped(Drop d, rte_mbuf* m) noexcept { return {Verdict::Drop, d, m}; }

  Outcome classify(const Interface& ifc, rte_mbuf* m, uint64_t now) noexcept;
  Outcome classify_ipv4(const Interface& ifc, rte_mbuf* m, uint16_t l2, uint64_t now) noexcept;
  Outcome classify_ipv6(const Interface& ifc, rte_mbuf* m, uint16_t l2, uint64_t now) noexcept;
  Outcome classify_arp(const Interface& ifc, rte_mbuf* m, uint16_t l2) noexcept;
  Outcome classify_icmp6(const Interface& ifc, rte_mbuf* m, uint16_t l2, bool to_unicast) noexcept;
  Outcome classify_udp(const Interface& ifc, rte_mbuf* m, uint16_t l2, uint16_t l3_len, bool v6) noexcept;
  // Whether the packet's IP source is in the ban table (ban_table.h).
  bool source_banned(const rte_mbuf* m, uint16_t l2, bool v6) const noexcept;
  // Builds and scans a SipItem for a UDP/SIP datagram; Drop reason when it cannot.
  // The burst's scanned SIP messages (sip_items_[0..n)) onto their shards' rings, in arrival order
  // per shard. Returns how many found their ring full (freed, counted by the caller).
  unsigned send_sip(uint16_t iface, unsigned n) noexcept;
  Outcome deliver_sip(const Interface& ifc, rte_mbuf* m, uint16_t l2, uint16_t l3_len, bool v6, uint64_t now) noexcept;

  const SharedState& shared_;
  unsigned index_;
  LcoreCounters& counters_;
  TxBuffer tx_;
  // Owned by the lane: policy_ in use; next_policy_ offered by control; retired_policy_ given back.
  Policy* policy_ = nullptr;
  std::atomic<Policy*> next_policy_{nullptr};
  std::atomic<Policy*> retired_policy_{nullptr};
  void adopt_policy() noexcept;  // lane: takes an offered set once the last one was reclaimed
  rte_ip_frag_tbl* frag_table_ = nullptr;
  rte_ip_frag_death_row death_row_{};
  uint64_t next_frag_expiry_ = 0;
  // Burst-scoped staging (decide for the whole burst, then act).
  rte_mbuf* media_[kBurstSize];
  void* sip_items_[kBurstSize];
  void* neighbours_[kBurstSize];
  rte_mbuf* drops_[kBurstSize];
  uint64_t now_ = 0;
};

}  // namespace sipedge::dataplane
