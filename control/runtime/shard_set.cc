// control/runtime/shard_set.cc — control lcores. See shard_set.h.
#include "control/runtime/shard_set.h"

#include <rte_pause.h>

namespace sipedge::control {

ShardSet::ShardSet(unsigned count)
    : count_(count), mail_(std::make_unique<Mailbox[]>(count)), parked_in_(std::make_unique<std::atomic<uint64_t>[]>(count)) {
  for (unsigned s = 0; s < count; ++s) parked_in_[s].store(0, std::memory_order_relaxed);
}

void ShardSet::post_binding(unsigned to, const BindingChange& change) {
  Mailbox& m = mail_[to];
  std::lock_guard<std::mutex> guard(m.lock);
  m.bindings.push_back(change);
  m.waiting.fetch_add(1, std::memory_order_relaxed);
}

void ShardSet::post_idle_flow(FlowBackend::Handle flow) {
  unsigned owner = 0;
  {
    std::lock_guard<std::mutex> guard(owners_lock_);
    auto it = flow_owner_.find(flow);
    if (it == flow_owner_.end()) return;  // removed since the relay saw it idle
    owner = it->second;
  }
  Mailbox& m = mail_[owner];
  std::lock_guard<std::mutex> guard(m.lock);
  m.idle_flows.push_back(flow);
  m.waiting.fetch_add(1, std::memory_order_relaxed);
}

void ShardSet::ask_far_dialog(uint32_t owner, uint32_t asker, std::string replaces) {
  Mailbox& m = mail_[owner];
  std::lock_guard<std::mutex> guard(m.lock);
  m.far_questions.emplace_back(asker, std::move(replaces));
  m.waiting.fetch_add(1, std::memory_order_relaxed);
}

void ShardSet::answer_far_dialog(uint32_t asker, std::string replaces, std::optional<FarDialog> far) {
  Mailbox& m = mail_[asker];
  std::lock_guard<std::mutex> guard(m.lock);
  m.far_answers.emplace_back(std::move(replaces), std::move(far));
  m.waiting.fetch_add(1, std::memory_order_relaxed);
}

void ShardSet::take_mail(unsigned shard, Proxy& proxy) {
  Mailbox& m = mail_[shard];
  if (m.waiting.load(std::memory_order_relaxed) == 0) return;
  std::vector<BindingChange> bindings;
  std::vector<FlowBackend::Handle> idle;
  std::vector<std::pair<uint32_t, std::string>> questions;
  std::vector<std::pair<std::string, std::optional<FarDialog>>> answers;
  {
    std::lock_guard<std::mutex> guard(m.lock);
    bindings.swap(m.bindings);
    idle.swap(m.idle_flows);
    questions.swap(m.far_questions);
    answers.swap(m.far_answers);
    m.waiting.store(0, std::memory_order_relaxed);
  }
  for (const BindingChange& c : bindings) proxy.location().apply(c);
  for (FlowBackend::Handle h : idle) proxy.on_media_idle(h);
  // Unlocked: answering posts to the asker's mailbox.
  for (const auto& [asker, replaces] : questions) proxy.answer_far_dialog(asker, replaces);
  for (const auto& [replaces, far] : answers) proxy.far_dialog_answered(replaces, far);
}

size_t ShardSet::mail_waiting(unsigned shard) {
  Mailbox& m = mail_[shard];
  std::lock_guard<std::mutex> guard(m.lock);
  return m.bindings.size() + m.idle_flows.size() + m.far_questions.size() + m.far_answers.size();
}

void ShardSet::own_flow(FlowBackend::Handle flow, unsigned shard) {
  std::lock_guard<std::mutex> guard(owners_lock_);
  flow_owner_[flow] = shard;
}

void ShardSet::forget_flow(FlowBackend::Handle flow) {
  std::lock_guard<std::mutex> guard(owners_lock_);
  flow_owner_.erase(flow);
}

void ShardSet::pause_others() {
  const uint64_t pause = pause_.fetch_add(1, std::memory_order_acq_rel) + 1;
  for (unsigned s = 1; s < count_; ++s) {
    for (;;) {
      const uint64_t in = parked_in_[s].load(std::memory_order_acquire);
      if (in == pause || in == kFinished) break;
      rte_pause();
    }
  }
}

void ShardSet::resume_others() { pause_.fetch_add(1, std::memory_order_release); }

void ShardSet::park_if_asked(unsigned shard) {
  const uint64_t pause = pause_.load(std::memory_order_acquire);
  if (pause % 2 == 0) return;
  parked_in_[shard].store(pause, std::memory_order_release);
  while (pause_.load(std::memory_order_acquire) == pause) rte_pause();
}

void ShardSet::finished(unsigned shard) { parked_in_[shard].store(kFinished, std::memory_order_release); }

void ShardPeers::publish(const BindingChange& change) {
  for (unsigned s = 0; s < set_.count(); ++s)
    if (s != shard_) set_.post_binding(s, change);
}

SendResult ShardTransport::transmit(uint16_t iface, const Endpoint& dest, std::string_view bytes) {
  std::lock_guard<ShardLock> guard(set_.lock());
  return shared_.send(iface, dest, bytes);
}

ShardLane::ShardLane(ShardSet& set, ControlIo& io, unsigned shard, dataplane::LcoreCounters& counters)
    : set_(set), io_(io), counters_(counters), seen_changes_(io.neighbour_changes()) {
  const dataplane::SharedState& shared = io.shared();
  tx_.init(shared.ifaces.data(), shared.n_ifaces, dataplane::TxBuffer::kControlQueue, &counters,
           static_cast<uint16_t>(shard));
  ids_.ip_id = static_cast<uint16_t>(shard);
  ids_.ip6_frag_id = shard;
  ids_.stride = static_cast<uint16_t>(shared.n_shards);
}

ShardLane::~ShardLane() { tx_.flush_all(); }

bool ShardLane::available(const dataplane::SharedState& shared, unsigned shard) noexcept {
  if (shard == 0 || shared.n_ifaces == 0) return false;
  for (uint16_t i = 0; i < shared.n_ifaces; ++i)
    if (shared.ifaces[i].shard_tx_queues < shard) return false;
  return true;
}

SendResult ShardLane::transmit(uint16_t iface, const Endpoint& dest, std::string_view bytes) {
  ControlIo::Frames frames;
  const SendResult framed = io_.frame_datagram(bytes, iface, dest, ids_, counters_, frames);
  if (framed != SendResult::Sent) return framed;
  const uint64_t now = io_.now_tsc();
  // The frame tap is set once, before the loops run; whether it takes frames it says itself.
  const SipFrameTap* tap = io_.frame_tap();
  if (const rte_ether_addr* mac = known(iface, frames.hop, now); mac != nullptr && (tap == nullptr || !tap->active())) {
    for (unsigned i = 0; i < frames.n; ++i) {
      rte_pktmbuf_mtod(frames.m[i], rte_ether_hdr*)->dst_addr = *mac;
      tx_.push(iface, frames.m[i]);
    }
    return SendResult::Sent;
  }
  const std::lock_guard<ShardLock> guard(set_.lock());
  const SendResult sent = io_.dispatch(io_.shared().ifaces[iface], frames.hop, frames.m.data(), frames.n, now, bytes);
  shared_sends_ = true;
  learn(iface, frames.hop, now);
  return sent;
}

const rte_ether_addr* ShardLane::known(uint16_t iface, const IpAddr& hop, uint64_t now) noexcept {
  const uint64_t changes = io_.neighbour_changes();
  if (changes != seen_changes_) {
    for (Known& k : known_) k.until_tsc = 0;
    seen_changes_ = changes;
  }
  const Known& k = known_[slot(iface, hop)];
  return k.until_tsc > now && k.iface == iface && k.ip == hop ? &k.mac : nullptr;
}

void ShardLane::learn(uint16_t iface, const IpAddr& hop, uint64_t now) noexcept {
  const NeighbourTable::Entry* e = io_.neighbours().find(iface, hop);
  if (e == nullptr || e->state != NeighbourTable::State::Reachable || e->deadline <= now) return;
  known_[slot(iface, hop)] = Known{iface, hop, e->mac, e->deadline};
}

Result<FlowBackend::Handle, MediaError> ShardBackend::install(const End& a, const End& b) {
  std::lock_guard<ShardLock> guard(set_.lock());
  auto h = shared_.install(a, b);
  if (h) set_.own_flow(*h, shard_);
  return h;
}

Result<std::monostate, MediaError> ShardBackend::update(Handle h, const End& a, const End& b) {
  std::lock_guard<ShardLock> guard(set_.lock());
  return shared_.update(h, a, b);
}

void ShardBackend::remove(Handle h) {
  std::lock_guard<ShardLock> guard(set_.lock());
  shared_.remove(h);
  set_.forget_flow(h);
}

FlowBackend::Counters ShardBackend::counters(Handle h) const {
  std::lock_guard<ShardLock> guard(set_.lock());
  return shared_.counters(h);
}

size_t ShardBackend::size() const {
  std::lock_guard<ShardLock> guard(set_.lock());
  return shared_.size();
}

void ShardBanSink::banned(const IpAddr& addr, uint64_t until_ms, uint64_t now_ms, std::string_view reason) {
  std::lock_guard<ShardLock> guard(set_.lock());
  shared_.banned(addr, until_ms, now_ms, reason);
}

void ShardBanSink::lifted(const IpAddr& addr) {
  std::lock_guard<ShardLock> guard(set_.lock());
  shared_.lifted(addr);
}

}  // namespace sipedge::control
