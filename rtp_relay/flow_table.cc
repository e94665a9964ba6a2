// rtp_relay/flow_table.cc — control lcore (install/update/delete/reclaim) and the idle sweeper.
// Never runs per packet; allocates only in create(). Precomputes each flow's rewrite and checksum
// deltas (RFC 1624) so the worker applies them with a few adds (VPP nat_6t_flow_t).
#include "rtp_relay/flow_table.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <new>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "common/checksum.h"

namespace sipedge::relay {
namespace {

// Spare objects per pool so copy-on-write updates succeed on a table at capacity.
uint32_t headroom(uint32_t capacity) { return capacity == 0 ? 0 : std::max<uint32_t>(16, capacity / 64); }

template <bool kIpv6>
RawAddr<kIpv6> raw_addr(const IpAddr& ip) {
  RawAddr<kIpv6> a{};
  std::memcpy(&a, ip.bytes.data(), sizeof(a));
  return a;
}

template <bool kIpv6>
IpAddr to_ip(const RawAddr<kIpv6>& a) {
  IpAddr ip;
  ip.family = kIpv6 ? IpAddr::Family::V6 : IpAddr::Family::V4;
  std::memcpy(ip.bytes.data(), &a, sizeof(a));
  return ip;
}

template <bool kIpv6>
Peer<kIpv6> make_peer(const IpAddr& ip, uint16_t port) {
  Peer<kIpv6> p;
  p.addr = raw_addr<kIpv6>(ip);
  p.port_be = htons(port);
  return p;
}

// The key side s is found by: interface, address and port of the socket, which the egress half of
// the opposite direction (packets sent out of side s) holds.
template <bool kIpv6>
FlowKey key_of_side(const Flow<kIpv6>& f, int s) {
  const Direction<kIpv6>& out = f.dir[1 - s];
  FlowKey k{};
  std::memcpy(k.local_addr, &out.local_addr, sizeof(out.local_addr));
  k.port_id = out.port_id;
  k.local_port_be = out.local_port_be;
  k.ip_version = kIpv6 ? 6 : 4;
  return k;
}

FlowKey make_key(const EndpointSpec& s) {
  FlowKey k{};
  std::memcpy(k.local_addr, s.local_addr.bytes.data(), s.local_addr.is_v6() ? 16 : 4);
  k.port_id = s.port_id;
  k.local_port_be = htons(s.local_port);
  k.ip_version = s.local_addr.is_v6() ? 6 : 4;
  return k;
}

bool same_key(const FlowKey& a, const FlowKey& b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

std::optional<FlowError> validate(const FlowSpec& spec) {
  const IpAddr::Family family = spec.side[0].local_addr.family;
  if (family == IpAddr::Family::None) return FlowError::VersionMismatch;
  for (const EndpointSpec& s : spec.side) {
    if (s.local_addr.family != family) return FlowError::VersionMismatch;
    if (s.remote_addr.family != IpAddr::Family::None && s.remote_addr.family != family)
      return FlowError::VersionMismatch;
    if (s.port_id >= RTE_MAX_ETHPORTS || s.local_port == 0) return FlowError::InvalidSpec;
    if (s.latch == LatchMode::Strict && (any_host(s.remote_addr) || s.remote_port == 0)) {
      return FlowError::InvalidSpec;
    }
  }
  if (same_key(make_key(spec.side[0]), make_key(spec.side[1]))) return FlowError::InvalidSpec;
  return std::nullopt;
}

// Marks both directions as belonging to `owner` (or to nobody: kNoOwner) for the idle sweeper.
template <bool kIpv6>
void set_owner(Flow<kIpv6>& f, uint64_t owner) {
  for (SideControl& c : f.control) c.owner.store(owner, std::memory_order_release);
}

// Fills a free object from the spec. Readers cannot see it yet (not in the hash).
template <bool kIpv6>
void fill_flow(Flow<kIpv6>& f, const FlowSpec& spec, uint64_t now_tsc) {
  for (int d = 0; d < 2; ++d) {
    const EndpointSpec& in = spec.side[d];
    const EndpointSpec& out = spec.side[1 - d];
    Direction<kIpv6>& dir = f.dir[d];
    Learning<kIpv6>& learn = f.learning[d];
    dir.mode = in.latch;
    dir.latch_state.store(LatchState::Unlatched, std::memory_order_relaxed);
    // Direction d -> e: the destination (our local address on side d) is replaced by the source
    // we send from on side e.
    const RawAddr<kIpv6> old_dst = raw_addr<kIpv6>(in.local_addr);
    const RawAddr<kIpv6> new_src = raw_addr<kIpv6>(out.local_addr);
    dir.ip_delta = csum_fold(neg_sum_words(&old_dst, sizeof(old_dst)) + sum_words(&new_src, sizeof(new_src)));
    learn = Learning<kIpv6>{};
    learn.expected = make_peer<kIpv6>(in.remote_addr, in.remote_port);
    learn.expect_any_host = in.latch == LatchMode::Latch && any_host(in.remote_addr);
    dir.peer = in.latch == LatchMode::Strict ? learn.expected : Peer<kIpv6>{};
    const bool out_usable = !any_host(out.remote_addr) && out.remote_port != 0;
    dir.dst.set(out_usable ? make_peer<kIpv6>(out.remote_addr, out.remote_port) : Peer<kIpv6>{});
    dir.port_id = out.port_id;
    dir.local_port_be = htons(out.local_port);
    dir.local_mac = out.local_mac;
    dir.next_hop_mac = out.next_hop_mac;
    dir.local_addr = new_src;
    dir.counters.packets.store(0, std::memory_order_relaxed);
    dir.counters.bytes.store(0, std::memory_order_relaxed);
    dir.counters.last_seen_tsc.store(now_tsc, std::memory_order_relaxed);
    SideControl& c = f.control[d];
    c.rejected.store(0, std::memory_order_relaxed);
    c.idle_reported_seen.store(UINT64_MAX, std::memory_order_relaxed);
  }
}

}  // namespace

std::string_view flow_error_name(FlowError e) noexcept {
  switch (e) {
    case FlowError::InvalidSpec: return "InvalidSpec";
    case FlowError::VersionMismatch: return "VersionMismatch";
    case FlowError::PortInUse: return "PortInUse";
    case FlowError::KeyChanged: return "KeyChanged";
    case FlowError::TableFull: return "TableFull";
    case FlowError::NoSuchFlow: return "NoSuchFlow";
    case FlowError::NoMemory: return "NoMemory";
  }
  return "?";
}

template <>
Flow<false>* FlowTable::pool<false>() const noexcept {
  return flows4_;
}
template <>
Flow<true>* FlowTable::pool<true>() const noexcept {
  return flows6_;
}

Result<std::unique_ptr<FlowTable>, FlowError> FlowTable::create(const FlowTableConfig& config) {
  // DPDK names are at most 31 characters; the longest we derive is "RCU_" + name + "_dq".
  if (config.name.empty() || config.name.size() > kMaxTableName ||
      config.ipv4_flows + uint64_t{config.ipv6_flows} == 0 || config.max_readers == 0 ||
      config.ipv4_flows > (1u << 26) || config.ipv6_flows > (1u << 26)) {
    return Err(FlowError::InvalidSpec);
  }
  std::unique_ptr<FlowTable> t(new FlowTable());
  t->name_ = config.name;
  t->capacity_[0] = config.ipv4_flows;
  t->capacity_[1] = config.ipv6_flows;
  t->pool_size_[0] = config.ipv4_flows + headroom(config.ipv4_flows);
  t->pool_size_[1] = config.ipv6_flows + headroom(config.ipv6_flows);
  const uint32_t objects = t->pool_size_[0] + t->pool_size_[1];

  if (t->pool_size_[0] != 0) {
    void* mem = rte_zmalloc_socket((config.name + "_f4").c_str(), sizeof(Flow<false>) * t->pool_size_[0],
                                   RTE_CACHE_LINE_SIZE, config.socket_id);
    if (mem == nullptr) return Err(FlowError::NoMemory);
    t->flows4_ = static_cast<Flow<false>*>(mem);
    std::uninitialized_default_construct_n(t->flows4_, t->pool_size_[0]);
  }
  if (t->pool_size_[1] != 0) {
    void* mem = rte_zmalloc_socket((config.name + "_f6").c_str(), sizeof(Flow<true>) * t->pool_size_[1],
                                   RTE_CACHE_LINE_SIZE, config.socket_id);
    if (mem == nullptr) return Err(FlowError::NoMemory);
    t->flows6_ = static_cast<Flow<true>*>(mem);
    std::uninitialized_default_construct_n(t->flows6_, t->pool_size_[1]);
  }

  // Two keys per object; retired objects hold their keys until reclaimed, so adds cannot run out of
  // key slots before the pools run out of objects.
  const std::string hash_name = config.name + "_h";
  rte_hash_parameters hp{};
  hp.name = hash_name.c_str();
  hp.entries = 2 * objects;
  hp.key_len = sizeof(FlowKey);
  hp.hash_func = rte_hash_crc;
  hp.hash_func_init_val = 0;
  hp.socket_id = config.socket_id;
  hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  t->hash_ = rte_hash_create(&hp);
  if (t->hash_ == nullptr) return Err(FlowError::NoMemory);

  const size_t qsbr_size = rte_rcu_qsbr_get_memsize(config.max_readers);
  t->qsbr_ = static_cast<rte_rcu_qsbr*>(
      rte_zmalloc_socket((config.name + "_q").c_str(), qsbr_size, RTE_CACHE_LINE_SIZE, config.socket_id));
  if (t->qsbr_ == nullptr || rte_rcu_qsbr_init(t->qsbr_, config.max_readers) != 0) {
    return Err(FlowError::NoMemory);
  }

  const std::string dq_name = config.name + "_dq";
  rte_rcu_qsbr_dq_parameters dp{};
  dp.name = dq_name.c_str();
  dp.flags = 0;  // single writer: the control lcore
  dp.size = objects;
  dp.esize = sizeof(Retired);
  dp.trigger_reclaim_limit = 32;
  dp.max_reclaim_size = 256;
  dp.free_fn = &FlowTable::free_retired;
  dp.p = t.get();
  dp.v = t->qsbr_;
  t->dq_ = rte_rcu_qsbr_dq_create(&dp);
  if (t->dq_ == nullptr) return Err(FlowError::NoMemory);

  for (int v = 0; v < 2; ++v) {
    t->free_slots_[v].reserve(t->pool_size_[v]);
    for (uint32_t i = t->pool_size_[v]; i > 0; --i) t->free_slots_[v].push_back(i - 1);
  }
  t->relearn_grace_tsc_ = rte_get_tsc_hz() / 1000 * config.relearn_grace_ms;
  t->handles_.resize(config.ipv4_flows + config.ipv6_flows);
  t->free_handles_.reserve(t->handles_.size());
  for (uint32_t i = static_cast<uint32_t>(t->handles_.size()); i > 0; --i) t->free_handles_.push_back(i - 1);
  return t;
}

FlowTable::~FlowTable() {
  if (dq_ != nullptr) {
    rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
    rte_rcu_qsbr_dq_reclaim(dq_, UINT32_MAX, nullptr, nullptr, nullptr);
    rte_rcu_qsbr_dq_delete(dq_);
  }
  rte_hash_free(hash_);
  rte_free(qsbr_);
  rte_free(flows4_);
  rte_free(flows6_);
}

namespace {

// A reclaimed object matches nothing and sends nowhere until reused, so a reader that (wrongly)
// still held it would drop with StrictSource instead of relaying with stale addresses.
template <bool kIpv6>
void poison(Flow<kIpv6>& f) {
  for (Direction<kIpv6>& d : f.dir) {
    d.mode = LatchMode::Strict;
    d.latch_state.store(LatchState::Unlatched, std::memory_order_relaxed);
    d.peer = Peer<kIpv6>{};
    d.dst.set(Peer<kIpv6>{});
  }
}

}  // namespace

void FlowTable::free_retired(void* table, void* elems, unsigned int n) {
  auto* t = static_cast<FlowTable*>(table);
  auto* r = static_cast<Retired*>(elems);
  for (unsigned int i = 0; i < n; ++i) {
    if (r[i].ipv6) {
      t->release<true>(t->flows6_[r[i].slot]);
    } else {
      t->release<false>(t->flows4_[r[i].slot]);
    }
    // Capacity was reserved in create(): this never allocates.
    t->free_slots_[r[i].ipv6].push_back(r[i].slot);
    --t->retired_;
  }
}

template <bool kIpv6>
void FlowTable::release(Flow<kIpv6>& f) noexcept {
  for (SideControl& c : f.control) {
    if (c.retired_key_pos >= 0) rte_hash_free_key_with_position(hash_, c.retired_key_pos);
    c.retired_key_pos = -1;
  }
  poison(f);
}

void FlowTable::retire(uint32_t slot, bool ipv6, int32_t pos0, int32_t pos1) noexcept {
  if (ipv6) {
    flows6_[slot].control[0].retired_key_pos = pos0;
    flows6_[slot].control[1].retired_key_pos = pos1;
  } else {
    flows4_[slot].control[0].retired_key_pos = pos0;
    flows4_[slot].control[1].retired_key_pos = pos1;
  }
  Retired r{slot, ipv6};
  ++retired_;
  // The queue holds as many elements as there are objects, so it cannot be full.
  rte_rcu_qsbr_dq_enqueue(dq_, &r);
}

uint32_t FlowTable::reclaim() noexcept {
  unsigned int freed = 0;
  rte_rcu_qsbr_dq_reclaim(dq_, UINT32_MAX, &freed, nullptr, nullptr);
  return freed;
}

uint32_t FlowTable::synchronize() noexcept {
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  return reclaim();
}

std::optional<uint32_t> FlowTable::take_slot(bool ipv6) noexcept {
  if (free_slots_[ipv6].empty()) reclaim();
  if (free_slots_[ipv6].empty()) return std::nullopt;
  uint32_t slot = free_slots_[ipv6].back();
  free_slots_[ipv6].pop_back();
  return slot;
}

const FlowTable::HandleEntry* FlowTable::entry(FlowHandle h) const noexcept {
  if (h.index >= handles_.size()) return nullptr;
  const HandleEntry& e = handles_[h.index];
  if (!e.live || e.generation != h.generation) return nullptr;
  return &e;
}

Result<FlowHandle, FlowError> FlowTable::add_flow(const FlowSpec& spec, uint64_t now_tsc) {
  if (auto err = validate(spec)) return Err(*err);
  if (spec.side[0].local_addr.is_v6()) return add_typed<true>(spec, now_tsc);
  return add_typed<false>(spec, now_tsc);
}

template <bool kIpv6>
Result<FlowHandle, FlowError> FlowTable::add_typed(const FlowSpec& spec, uint64_t now_tsc) {
  const FlowKey keys[2] = {make_key(spec.side[0]), make_key(spec.side[1])};
  // Each key hashed once, for the lookup and the add.
  const hash_sig_t sigs[2] = {rte_hash_hash(hash_, &keys[0]), rte_hash_hash(hash_, &keys[1])};
  for (int d = 0; d < 2; ++d) {
    if (rte_hash_lookup_with_hash(hash_, &keys[d], sigs[d]) >= 0) return Err(FlowError::PortInUse);
  }
  if (live_[kIpv6] >= capacity_[kIpv6] || free_handles_.empty()) return Err(FlowError::TableFull);
  std::optional<uint32_t> slot = take_slot(kIpv6);
  if (!slot) return Err(FlowError::TableFull);

  const uint32_t index = free_handles_.back();
  free_handles_.pop_back();
  HandleEntry& e = handles_[index];
  e.slot = *slot;
  e.ipv6 = kIpv6;
  e.live = true;
  const FlowHandle handle{index, e.generation};

  Flow<kIpv6>& f = pool<kIpv6>()[*slot];
  fill_flow<kIpv6>(f, spec, now_tsc);
  set_owner(f, pack_owner(handle));

  int32_t pos[2] = {-1, -1};
  for (int d = 0; d < 2; ++d) {
    void* data = hash_data(&f, static_cast<unsigned>(d));
    // The hash publishes the data pointer with release semantics: the filled object is visible
    // to any reader that finds the key.
    if (rte_hash_add_key_with_hash_data(hash_, &keys[d], sigs[d], data) != 0) {
      if (d == 1) pos[0] = rte_hash_del_key_with_hash(hash_, &keys[0], sigs[0]);
      set_owner(f, kNoOwner);
      retire(*slot, kIpv6, pos[0], -1);
      e.live = false;
      ++e.generation;
      free_handles_.push_back(index);
      return Err(FlowError::TableFull);
    }
  }
  ++live_[kIpv6];
  return handle;
}

FlowStatus FlowTable::update_flow(FlowHandle handle, const FlowSpec& spec, uint64_t now_tsc) {
  if (entry(handle) == nullptr) return Err(FlowError::NoSuchFlow);
  if (auto err = validate(spec)) return Err(*err);
  HandleEntry& e = handles_[handle.index];
  if (spec.side[0].local_addr.is_v6() != e.ipv6) return Err(FlowError::VersionMismatch);
  if (e.ipv6) return update_typed<true>(e, spec, now_tsc);
  return update_typed<false>(e, spec, now_tsc);
}

template <bool kIpv6>
FlowStatus FlowTable::update_typed(HandleEntry& e, const FlowSpec& spec, uint64_t now_tsc) {
  Flow<kIpv6>& old = pool<kIpv6>()[e.slot];
  const FlowKey keys[2] = {make_key(spec.side[0]), make_key(spec.side[1])};
  for (int s = 0; s < 2; ++s) {
    if (!same_key(key_of_side(old, s), keys[s])) return Err(FlowError::KeyChanged);
  }
  std::optional<uint32_t> slot = take_slot(kIpv6);
  if (!slot) return Err(FlowError::TableFull);

  Flow<kIpv6>& f = pool<kIpv6>()[*slot];
  fill_flow<kIpv6>(f, spec, 0);
  for (int d = 0; d < 2; ++d) {
    const DirectionCounters& oc = old.dir[d].counters;
    DirectionCounters& nc = f.dir[d].counters;
    nc.packets.store(oc.packets.load(std::memory_order_relaxed), std::memory_order_relaxed);
    nc.bytes.store(oc.bytes.load(std::memory_order_relaxed), std::memory_order_relaxed);
    nc.last_seen_tsc.store(oc.last_seen_tsc.load(std::memory_order_relaxed), std::memory_order_relaxed);
    const SideControl& ocontrol = old.control[d];
    SideControl& ncontrol = f.control[d];
    ncontrol.rejected.store(ocontrol.rejected.load(std::memory_order_relaxed), std::memory_order_relaxed);
    ncontrol.idle_reported_seen.store(ocontrol.idle_reported_seen.load(std::memory_order_relaxed),
                                      std::memory_order_relaxed);
    // Side d's peer: keep what was learned while the SDP still says the same address and port (a
    // re-INVITE that only changes codecs must not reopen the side to RTP bleed); learn again when
    // it names a new host or port (colour ringback then the phone, a codec change on a new port, a
    // phone that moved), relaying the old peer meanwhile.
    const Direction<kIpv6>& o = old.dir[d];
    Direction<kIpv6>& n = f.dir[d];
    Direction<kIpv6>& back = f.dir[1 - d];
    if (o.mode != LatchMode::Latch || n.mode != LatchMode::Latch) continue;
    const bool latched = o.latch_state.load(std::memory_order_acquire) == LatchState::Latched;
    const Learning<kIpv6>& was = old.learning[d];
    Learning<kIpv6>& learn = f.learning[d];
    const bool same_peer = was.expect_any_host == learn.expect_any_host &&
                           was.expected.addr == learn.expected.addr && was.expected.port_be == learn.expected.port_be;
    if (same_peer) {
      if (latched) {
        n.peer = o.peer;
        n.latch_state.store(LatchState::Latched, std::memory_order_relaxed);
        back.dst.latch(o.peer);
      } else {
        learn.previous = was.previous;
        learn.until_tsc = was.until_tsc;
        back.dst.copy_from(old.dir[1 - d].dst);
      }
      continue;
    }
    const Peer<kIpv6> previous = latched ? o.peer : was.previous;
    if (previous.port_be == 0) continue;  // nothing learned yet: a plain fresh start
    learn.previous = previous;
    learn.until_tsc = now_tsc + relearn_grace_tsc_;
    if (learn.expect_any_host) {
      // Only latching can tell where the peer is now (NAT): keep sending to the old address.
      back.dst.latch(previous);
    }
  }
  set_owner(f, old.control[0].owner.load(std::memory_order_relaxed));

  for (int d = 0; d < 2; ++d) {
    void* data = hash_data(&f, static_cast<unsigned>(d));
    // Existing key: rte_hash replaces the data pointer atomically (RW_CONCURRENCY_LF), never fails.
    rte_hash_add_key_data(hash_, &keys[d], data);
  }
  set_owner(old, kNoOwner);
  retire(e.slot, kIpv6, -1, -1);
  e.slot = *slot;
  return std::monostate{};
}

FlowStatus FlowTable::delete_flow(FlowHandle handle) {
  if (entry(handle) == nullptr) return Err(FlowError::NoSuchFlow);
  HandleEntry& e = handles_[handle.index];
  int32_t pos[2] = {-1, -1};
  auto unlink = [&](auto& f) {
    for (int s = 0; s < 2; ++s) {
      const FlowKey k = key_of_side(f, s);
      pos[s] = rte_hash_del_key(hash_, &k);
    }
    set_owner(f, kNoOwner);
  };
  if (e.ipv6) {
    unlink(flows6_[e.slot]);
  } else {
    unlink(flows4_[e.slot]);
  }
  retire(e.slot, e.ipv6, pos[0], pos[1]);
  --live_[e.ipv6];
  e.live = false;
  ++e.generation;
  free_handles_.push_back(handle.index);
  return std::monostate{};
}

template <bool kIpv6>
FlowStats FlowTable::stats_typed(const HandleEntry& e) const {
  const Flow<kIpv6>& f = pool<kIpv6>()[e.slot];
  FlowStats stats;
  for (int s = 0; s < 2; ++s) {
    const Direction<kIpv6>& in = f.dir[s];  // received on side s
    SideStats& st = stats.side[s];
    st.packets = in.counters.packets.load(std::memory_order_relaxed);
    st.bytes = in.counters.bytes.load(std::memory_order_relaxed);
    st.rejected = f.control[s].rejected.load(std::memory_order_relaxed);
    st.last_seen_tsc = in.counters.last_seen_tsc.load(std::memory_order_relaxed);
    st.latched = in.latch_state.load(std::memory_order_acquire) == LatchState::Latched;
    st.relearning = !st.latched && f.learning[s].previous.port_be != 0;
    if (st.latched) {
      st.latched_addr = to_ip<kIpv6>(in.peer.addr);
      st.latched_port = ntohs(in.peer.port_be);
    }
  }
  return stats;
}

template <bool kIpv6>
FlowInfo FlowTable::info_typed(const HandleEntry& e, FlowHandle h) const {
  const Flow<kIpv6>& f = pool<kIpv6>()[e.slot];
  FlowInfo info;
  info.handle = h;
  info.stats = stats_typed<kIpv6>(e);
  for (int s = 0; s < 2; ++s) {
    const Direction<kIpv6>& in = f.dir[s];       // received on side s: its peer and latch
    const Direction<kIpv6>& out = f.dir[1 - s];  // sent out of side s: its socket and MACs
    EndpointSpec& es = info.spec.side[s];
    es.port_id = out.port_id;
    es.local_addr = to_ip<kIpv6>(out.local_addr);
    es.local_port = ntohs(out.local_port_be);
    es.remote_addr = to_ip<kIpv6>(f.learning[s].expected.addr);
    es.remote_port = ntohs(f.learning[s].expected.port_be);
    es.latch = in.mode;
    es.local_mac = out.local_mac;
    es.next_hop_mac = out.next_hop_mac;
  }
  return info;
}

std::optional<FlowInfo> FlowTable::flow_info(FlowHandle handle) const {
  const HandleEntry* e = entry(handle);
  if (e == nullptr) return std::nullopt;
  return e->ipv6 ? info_typed<true>(*e, handle) : info_typed<false>(*e, handle);
}

// Without the spec: a call's end and the media checks read only these.
std::optional<FlowStats> FlowTable::flow_stats(FlowHandle handle) const {
  const HandleEntry* e = entry(handle);
  if (e == nullptr) return std::nullopt;
  return e->ipv6 ? stats_typed<true>(*e) : stats_typed<false>(*e);
}

template <bool kIpv6>
uint32_t FlowTable::sweep_pool(uint32_t begin, uint32_t end, uint64_t now_tsc, uint64_t timeout_tsc, IdleFn report,
                               void* ctx, uint32_t& stopped_at, uint32_t& reported) {
  Flow<kIpv6>* flows = pool<kIpv6>();
  for (uint32_t i = begin; i < end; ++i) {
    Flow<kIpv6>& f = flows[i];
    for (uint8_t d = 0; d < 2; ++d) {
      // Read the owner again for each side: the previous report may have deleted the flow.
      const uint64_t owner = f.control[0].owner.load(std::memory_order_acquire);
      if (owner == kNoOwner) break;
      SideControl& c = f.control[d];
      const uint64_t seen = f.dir[d].counters.last_seen_tsc.load(std::memory_order_relaxed);
      if (now_tsc < seen || now_tsc - seen < timeout_tsc) continue;
      if (c.idle_reported_seen.load(std::memory_order_relaxed) == seen) continue;
      c.idle_reported_seen.store(seen, std::memory_order_relaxed);
      ++reported;
      if (!report(ctx, IdleReport{unpack_owner(owner), d})) {
        stopped_at = i;
        return 1;
      }
    }
  }
  return 0;
}

uint32_t FlowTable::sweep_idle(uint64_t now_tsc, uint64_t timeout_tsc, IdleFn report, void* ctx, uint32_t max_flows) {
  const uint32_t total = pool_size_[0] + pool_size_[1];
  uint32_t budget = std::min(max_flows, total);
  uint32_t reported = 0;
  while (budget > 0) {
    if (sweep_cursor_ >= total) sweep_cursor_ = 0;
    const bool v6 = sweep_cursor_ >= pool_size_[0];
    const uint32_t base = v6 ? pool_size_[0] : 0;
    const uint32_t begin = sweep_cursor_ - base;
    const uint32_t end = std::min(pool_size_[v6], begin + budget);
    uint32_t stopped_at = 0;
    const uint32_t stopped = v6 ? sweep_pool<true>(begin, end, now_tsc, timeout_tsc, report, ctx, stopped_at, reported)
                                : sweep_pool<false>(begin, end, now_tsc, timeout_tsc, report, ctx, stopped_at, reported);
    if (stopped) {
      sweep_cursor_ = base + stopped_at;
      return reported;
    }
    budget -= end - begin;
    sweep_cursor_ = base + end;
  }
  return reported;
}

}  // namespace sipedge::relay
