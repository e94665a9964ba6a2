// dataplane/dataplane.cc — main thread (startup and teardown). Creates pools, rings, ports, workers
// and control I/O from the config; every failure is an exception with the failing call named.
#include "dataplane/dataplane.h"

#include <rte_cycles.h>
#include <rte_random.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <new>
#include <stdexcept>

#include "dataplane/port.h"
#include "dataplane/rings.h"

namespace sipedge::dataplane {
namespace {

std::atomic<unsigned> g_instance{0};

// SipItems are constructed once when the pool is built and reused; the scanner resets the Message.
void construct_sip_item(rte_mempool*, void*, void* obj, unsigned) { new (obj) SipItem(); }

// Per-lcore cache, but never above what rte_mempool accepts (cache * 1.5 <= n).
unsigned cache_for(uint32_t n, unsigned wanted) { return std::min<unsigned>(wanted, n * 2 / 3); }

rte_mempool* make_pktmbuf_pool(const std::string& name, uint32_t n, uint16_t data_room, unsigned cache) {
  cache = cache_for(n, cache);
  rte_mempool* p = rte_pktmbuf_pool_create(name.c_str(), n, cache, 0, data_room, static_cast<int>(rte_socket_id()));
  if (p == nullptr) {
    throw std::runtime_error("rte_pktmbuf_pool_create " + name + " failed: " + rte_strerror(rte_errno));
  }
  return p;
}

}  // namespace

Dataplane::Dataplane(const DataplaneConfig& cfg, const parser::Scanner& scanner)
    : cfg_(cfg), suffix_(std::to_string(g_instance.fetch_add(1))) {
  if (cfg.ports.empty() || cfg.ports.size() > kMaxPorts) {
    throw std::runtime_error("dataplane: need 1.." + std::to_string(kMaxPorts) + " ports");
  }
  shared_mode_ = cfg.eal.worker_lcores.empty();
  unsigned n_workers = shared_mode_ ? 1 : static_cast<unsigned>(cfg.eal.worker_lcores.size());
  shared_.n_workers = n_workers;
  shared_.scanner = &scanner;
  bans_ = std::make_unique<BanTable>(cfg.ban_table);
  shared_.bans = bans_.get();
  for (uint16_t p : cfg.sip_ports) {
    shared_.sip_ports.set(p);
  }
  shared_.shed_backlog = cfg.shed_backlog;
  shared_.media_min = cfg.media_port_min;
  shared_.media_max = cfg.media_port_max;
  shared_.tsc_hz = rte_get_tsc_hz();
  shared_.reassembly_timeout_tsc = shared_.tsc_hz / 1000 * cfg.reassembly_timeout_ms;
  try {
    shared_.mbuf_pool = make_pktmbuf_pool("dp_mbuf" + suffix_, cfg.mbufs, RTE_MBUF_DEFAULT_BUF_SIZE, 256);
    shared_.jumbo_pool = make_pktmbuf_pool("dp_jumbo" + suffix_, cfg.jumbo_mbufs, UINT16_MAX, 0);
    shared_.indirect_pool = make_pktmbuf_pool("dp_indir" + suffix_, cfg.mbufs, 0, 256);
    std::string items = "dp_sip" + suffix_;
    shared_.sip_item_pool = rte_mempool_create(items.c_str(), cfg.sip_items, sizeof(SipItem), cache_for(cfg.sip_items, 32), 0, nullptr,
                                               nullptr, construct_sip_item, nullptr,
                                               static_cast<int>(rte_socket_id()), 0);
    if (shared_.sip_item_pool == nullptr) {
      throw std::runtime_error("rte_mempool_create " + items + " failed: " + rte_strerror(rte_errno));
    }
    shared_.n_shards = static_cast<uint32_t>(1 + cfg.eal.shard_lcores.size());
    if (shared_.n_shards > kMaxControlShards) {
      throw std::runtime_error("dataplane: at most " + std::to_string(kMaxControlShards) + " control shards");
    }
    shared_.shard_map = ShardMap{shared_.n_shards, rte_rand()};
    for (uint32_t s = 0; s < shared_.n_shards; ++s) {
      const std::string name = "dp_sipq" + std::to_string(s) + suffix_;
      shared_.sip_rings[s] =
          rte_ring_create(name.c_str(), cfg.control_ring_size, static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
      if (shared_.sip_rings[s] == nullptr) {
        throw std::runtime_error("rte_ring_create " + name + " failed: " + std::string(rte_strerror(rte_errno)));
      }
    }
    std::string nb_ring = "dp_nbq" + suffix_;
    shared_.neighbour_ring = rte_ring_create(nb_ring.c_str(), 256, static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
    if (shared_.neighbour_ring == nullptr) {
      throw std::runtime_error("rte_ring_create failed: " + std::string(rte_strerror(rte_errno)));
    }
    uint32_t large_room = 0;
    for (const PortConfig& p : cfg.ports) {
      large_room = std::max(large_room, rx_data_room(p));
    }
    if (large_room > UINT16_MAX) {
      throw std::runtime_error("dataplane: a port's frames need " + std::to_string(large_room) +
                               "-byte mbufs; the largest DPDK allows is " + std::to_string(UINT16_MAX));
    }
    if (large_room != 0) {
      shared_.large_rx_pool = make_pktmbuf_pool("dp_rxl" + suffix_, cfg.large_rx_mbufs,
                                                static_cast<uint16_t>(large_room), 64);
    }
    for (uint16_t i = 0; i < cfg.ports.size(); ++i) {
      rte_mempool* rx_pool = rx_data_room(cfg.ports[i]) != 0 ? shared_.large_rx_pool : shared_.mbuf_pool;
      shared_.ifaces[i] = open_port(cfg.ports[i], i, n_workers, shared_.n_shards, shared_mode_, rx_pool);
      shared_.n_ifaces = static_cast<uint16_t>(i + 1);
      shared_.iface_of_port[shared_.ifaces[i].port_id] = static_cast<uint8_t>(i);
    }
    // The control lcore's RX lane transmits (and relays media) on queue N of every port, so when
    // one port has it, every port needs its own control TX queue N.
    bool any_control_rx = false, any_shared_tx = false;
    for (uint16_t i = 0; i < shared_.n_ifaces; ++i) {
      any_control_rx |= shared_.ifaces[i].rx_queues > n_workers;
      any_shared_tx |= shared_.ifaces[i].control_queue != n_workers;
    }
    if (any_control_rx && any_shared_tx) {
      throw std::runtime_error("dataplane: ports disagree on queues: give every af_packet port the same qpairs");
    }
    counters_ = std::make_unique<LcoreCounters[]>(n_workers + shared_.n_shards);
    for (unsigned w = 0; w < n_workers; ++w) {
      workers_.push_back(std::make_unique<Worker>(shared_, w, counters_[w], cfg.reassembly_flows));
    }
    for (uint16_t i = 0; i < shared_.n_ifaces; ++i) {
      if (shared_.ifaces[i].rx_queues > n_workers && !control_rx_) {
        // Same lcore as the control runtime, so it shares the control counters and TX queue without locks.
        control_rx_ = std::make_unique<Worker>(shared_, n_workers, counters_[n_workers], cfg.reassembly_flows);
      }
    }
  } catch (...) {
    release_resources();
    throw;
  }
}

std::string Dataplane::set_policy(const parser::PolicyRules& rules, const parser::PolicyMatcher& matcher) {
  std::array<parser::PolicyAction, kMaxPolicyRules + 1> actions{};
  for (const parser::PolicyRule& r : rules.rules()) {
    if (r.id == 0 || r.id > kMaxPolicyRules)
      return "policy rule '" + r.name + "' has id " + std::to_string(r.id) + "; ids are 1.." + std::to_string(kMaxPolicyRules);
    actions[r.id] = r.action;
  }
  // Every lane's set is built before any is offered: a lane never runs rules another lacks.
  std::vector<std::unique_ptr<Worker::Policy>> sets;
  const size_t lanes = workers_.size() + (control_rx_ ? 1 : 0);
  for (size_t i = 0; i < lanes; ++i) {
    auto clone = matcher.clone();
    if (!clone) return "policy matcher for lane " + std::to_string(i) + ": " + clone.error().message;
    sets.push_back(std::make_unique<Worker::Policy>(Worker::Policy{std::move(clone).value(), actions}));
  }
  size_t next = 0;
  for (auto& w : workers_) w->offer_policy(std::move(sets[next++]));
  if (control_rx_) control_rx_->offer_policy(std::move(sets[next++]));
  return {};
}

void Dataplane::clear_policy() {
  for (auto& w : workers_) w->offer_policy(std::make_unique<Worker::Policy>());
  if (control_rx_) control_rx_->offer_policy(std::make_unique<Worker::Policy>());
}

bool Dataplane::reclaim_policies() noexcept {
  bool settled = true;
  for (auto& w : workers_) settled &= w->reclaim_policy();
  if (control_rx_) settled &= control_rx_->reclaim_policy();
  return settled;
}

Dataplane::~Dataplane() {
  stop();
  join();
  release_resources();
}

void Dataplane::release_resources() noexcept {
  control_rx_.reset();
  workers_.clear();
  for (uint16_t i = 0; i < shared_.n_ifaces; ++i) {
    close_port(shared_.ifaces[i]);
  }
  shared_.n_ifaces = 0;
  for (rte_ring*& ring : shared_.sip_rings) {
    if (ring == nullptr) continue;
    void* obj = nullptr;
    while (rte_ring_dequeue(ring, &obj) == 0) {
      auto* item = static_cast<SipItem*>(obj);
      rte_pktmbuf_free(item->mbuf);
      rte_mempool_put(shared_.sip_item_pool, item);
    }
    rte_ring_free(ring);
    ring = nullptr;
  }
  if (shared_.neighbour_ring != nullptr) {
    void* obj = nullptr;
    while (rte_ring_dequeue(shared_.neighbour_ring, &obj) == 0) {
      rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
    }
    rte_ring_free(shared_.neighbour_ring);
  }
  rte_mempool_free(shared_.sip_item_pool);
  rte_mempool_free(shared_.indirect_pool);
  rte_mempool_free(shared_.jumbo_pool);
  rte_mempool_free(shared_.mbuf_pool);
  rte_mempool_free(shared_.large_rx_pool);
  shared_.large_rx_pool = nullptr;
  shared_.neighbour_ring = nullptr;
  shared_.sip_item_pool = shared_.indirect_pool = shared_.jumbo_pool = shared_.mbuf_pool = nullptr;
}

uint64_t Dataplane::total(uint16_t iface, Event e) const noexcept {
  uint64_t sum = 0;
  for (unsigned i = 0; i < workers_.size() + shared_.n_shards; ++i) {
    sum += counters_[i].get(iface, e);
  }
  return sum;
}

uint64_t Dataplane::total(uint16_t iface, Drop d) const noexcept {
  uint64_t sum = 0;
  for (unsigned i = 0; i < workers_.size() + shared_.n_shards; ++i) {
    sum += counters_[i].get(iface, d);
  }
  return sum;
}

}  // namespace sipedge::dataplane
