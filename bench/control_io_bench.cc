// bench/control_io_bench.cc — benchmark threads. What a control shard holds ShardSet's lock for
// (issue 14 §2, control/runtime/shard_set.h): every SIP datagram a shard sends goes through the one
// ControlIo under that lock (copy into mbufs, UDP/IP headers and the UDP checksum, neighbour lookup,
// TX enqueue and flush). On a net_ring port (no kernel, no NIC: the floor of what a real port
// costs), to a resolved neighbour:
//   BM_ControlSend             one thread, ControlIo::send alone: the hold per datagram;
//   BM_ShardSend/threads:N     N threads, each a shard sending through its ShardTransport (under
//                              ShardLock): sends/s summed over the threads;
//   BM_MutexLockedSend/...     the baseline: the same under a std::mutex, ShardSet's lock before.
//   BM_ShardLaneSend/threads:N N threads as N shards on ports with a TX queue for each: shard 0
//                              through its ShardTransport, the others through their ShardLane
//                              (their own queue, no lock): sends/s summed over the threads;
//   BM_MediaFlows/N            a call's media in the relay's flow table (RtpRelayBackend), with N
//                              other calls' flows in it: what control_bench's stand-in backend
//                              leaves out of a call's cost on the control lcore.
//   BM_GatewayCall/D/N         control_bench's call (D=1: with digest auth, issue 14 §1's) on all of
//                              a control lcore: the Proxy sending through ControlIo, the loop's TX
//                              flush after each message, the flows in the relay's table; N=1 with
//                              the checksums left to the NIC, as on ports that offer it.
//   BM_ShardedGatewayCall/threads:N  the digest call of BM_GatewayCall/1/1 on N control shards, one
//                              thread each, over what shards share: one ControlIo (shard 0 under
//                              the lock, the others on their own TX queues), one flow table behind
//                              the lock; calls/s summed over the threads.
// What the port sent is taken off its TX ring and freed every kDrain datagrams, under the lock and
// inside the timing, as a NIC's completions would be in its TX path.
#include <pthread.h>
#include <sys/resource.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bench/call_harness.h"
#include "control/runtime/control_io.h"
#include "control/runtime/rtp_relay_backend.h"
#include "control/runtime/shard_set.h"
#include "dataplane/dataplane.h"
#include "parser/scanner_hand.h"
#include "tests/support/dataplane_config.h"
#include "tests/support/frames.h"
#include "tests/support/lab_config.h"
#include "tests/support/ring_port.h"

namespace sipedge::control {
namespace {

using dataplane::test::arp;
using dataplane::test::Bytes;
using dataplane::test::cat;
using dataplane::test::ether;
using dataplane::test::Ip4;
using dataplane::test::Mac;
using dataplane::test::udp4_payload;

constexpr unsigned kDrain = 256;   // datagrams sent between two drains of the TX ring (it holds 1023)
constexpr size_t kMessageBytes = 700;  // a SIP request or answer of a call, SDP included or not
const Mac kPeerMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x42};
const Endpoint kPeer{IpAddr::v4(10, 202, 0, 9), 5060};
constexpr uint16_t kCore = 1;

// Two net_ring ports and the tests' lab Dataplane on them (with pools for the datagrams in flight),
// a ControlIo on top, the core side's neighbour 10.202.0.9 resolved; two control shards, a ShardSet
// for their lock, and a TX queue on each port for the second (queues: worker, control, shard 1).
struct Rig {
  Rig() {
    ports.push_back(test::create_ring_port("ciob_acc", 1, 3));
    ports.push_back(test::create_ring_port("ciob_core", 1, 3));
    dataplane::DataplaneConfig cfg = dataplane::test::lab_dataplane_config(ports[0].name, ports[1].name);
    cfg.mbufs = 8191;
    cfg.eal.shard_lcores = {1};
    dp = std::make_unique<dataplane::Dataplane>(cfg, scanner);
    NeighbourTable::Config nb;
    nb.reachable_tsc = 3600 * rte_get_tsc_hz();
    nb.retrans_tsc = rte_get_tsc_hz();
    nb.max_probes = 3;
    nb.hold_limit = 4;
    io = std::make_unique<ControlIo>(dp->shared(), dp->control_counters(), nb, std::vector<uint16_t>{5060, 5060});
    // The same ports as a NIC with checksum offload on the control queue would have them (net_ring
    // has none): flags set on a copy of the shared state, a ControlIo of its own over it.
    nic_shared = dp->shared();
    for (uint16_t i = 0; i < nic_shared.n_ifaces; ++i) {
      nic_shared.ifaces[i].tx_ipv4_checksum = true;
      nic_shared.ifaces[i].tx_udp_checksum = true;
    }
    nic_io = std::make_unique<ControlIo>(nic_shared, dp->control_counters(), nb, std::vector<uint16_t>{5060, 5060});
    resolve(*io, kCore, kPeer, kPeerMac);
  }
  // Sends a datagram to `peer` through `through`, which asks for its MAC (ARP), and answers that as
  // `mac`; the answer reaches control through a worker, as on a gateway.
  void resolve(ControlIo& through, uint16_t iface, const Endpoint& peer, const Mac& mac) {
    through.send(iface, peer, std::string(kMessageBytes, 'x'));
    Mac ours;
    std::memcpy(ours.data(), dp->iface(iface).mac.addr_bytes, 6);
    const Ip4 theirs{peer.ip.bytes[0], peer.ip.bytes[1], peer.ip.bytes[2], peer.ip.bytes[3]};
    Ip4 us;
    std::memcpy(us.data(), &dp->iface(iface).ip4_be, 4);
    const Bytes reply = cat(ether(ours, mac, 0x0806), arp(2, mac, theirs, ours, us));
    rte_mbuf* m = rte_pktmbuf_alloc(dp->shared().mbuf_pool);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(reply.size())), reply.data(), reply.size());
    rte_ring_enqueue(ports[iface].rx[0], m);
    dp->worker(0).poll_once(rte_get_tsc_cycles());
    through.poll(rte_get_tsc_cycles());
    drain(iface);
  }
  ~Rig() {
    drain();
    nic_io.reset();
    io.reset();
    dp.reset();
    for (test::RingPort& p : ports) test::destroy_ring_port(p);
  }
  // Frees what a port (the core one unless told) sent on TX queue `queue` (control's unless told);
  // the number taken.
  unsigned drain(uint16_t iface = kCore, unsigned queue = 1) {
    void* frames[64];
    unsigned total = 0, n = 0;
    while ((n = rte_ring_dequeue_burst(ports[iface].tx[queue], frames, 64, nullptr)) != 0) {
      rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(frames), n);
      total += n;
    }
    return total;
  }

  parser::HandScanner scanner;
  std::vector<test::RingPort> ports;
  std::unique_ptr<dataplane::Dataplane> dp;
  std::unique_ptr<ControlIo> io;
  dataplane::SharedState nic_shared;
  std::unique_ptr<ControlIo> nic_io;
  ShardSet shards{2};
};

Rig* g_rig = nullptr;

// A benchmark thread as a control shard's lcore is: on a core of its own (thread i on CPU i; EAL
// pinned the main thread, and the threads it starts, to CPU 0), with an lcore id, so it takes
// mbufs from its own mempool cache (a thread without one goes to the pool's shared ring on every
// alloc and free, and two of them contend there, lock or no lock).
class AsLcore {
 public:
  explicit AsLcore(const benchmark::State& state)
      : registered_(rte_lcore_id() == LCORE_ID_ANY && rte_thread_register() == 0) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(static_cast<unsigned>(state.thread_index()) % std::thread::hardware_concurrency(), &cpus);
    pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
  }
  ~AsLcore() {
    if (registered_) rte_thread_unregister();
  }
  AsLcore(const AsLcore&) = delete;
  AsLcore& operator=(const AsLcore&) = delete;

 private:
  bool registered_;
};

// One datagram per iteration through `send` (true: it was sent); what the port sent is freed every
// kDrain datagrams through `drain`, which takes whatever lock the senders share.
template <typename Send, typename Drain>
void send_loop(benchmark::State& state, Send send, Drain drain) {
  const AsLcore lcore(state);
  unsigned since_drain = 0;
  int64_t sent = 0;
  for (auto _ : state) {
    sent += send() ? 1 : 0;
    if (++since_drain == kDrain) {
      drain();
      since_drain = 0;
    }
  }
  drain();
  if (sent != state.iterations()) state.SkipWithError("a datagram was not sent");
  state.SetItemsProcessed(sent);
}

const std::string& message() {
  static const std::string text(kMessageBytes, 'x');
  return text;
}

void BM_ControlSend(benchmark::State& state) {
  Rig& rig = *g_rig;
  send_loop(
      state, [&] { return rig.io->send(kCore, kPeer, message()) == SendResult::Sent; }, [&] { rig.drain(); });
}

// The whole of ControlIo::send under a std::mutex, as ShardTransport did before ShardLock.
std::mutex g_mutex;
void BM_MutexLockedSend(benchmark::State& state) {
  Rig& rig = *g_rig;
  send_loop(
      state,
      [&] {
        const std::lock_guard<std::mutex> guard(g_mutex);
        return rig.io->send(kCore, kPeer, message()) == SendResult::Sent;
      },
      [&] {
        const std::lock_guard<std::mutex> guard(g_mutex);
        rig.drain();
      });
}

void BM_ShardSend(benchmark::State& state) {
  Rig& rig = *g_rig;
  ShardTransport transport(rig.shards, *rig.io);
  send_loop(
      state, [&] { return transport.send(kCore, kPeer, message()) == SendResult::Sent; },
      [&] {
        const std::lock_guard<ShardLock> guard(rig.shards.lock());
        rig.drain();
      });
}

void BM_ShardLaneSend(benchmark::State& state) {
  Rig& rig = *g_rig;
  const auto shard = static_cast<unsigned>(state.thread_index());
  if (shard == 0) {
    BM_ShardSend(state);
    return;
  }
  ShardLane lane(rig.shards, *rig.io, shard, rig.dp->shard_counters(shard));
  send_loop(
      state, [&] { return lane.send(kCore, kPeer, message()) == SendResult::Sent; },
      [&] {
        lane.flush();
        rig.drain(kCore, 1 + shard);
      });
}

// A flow table of its own over the Rig's ports (2 x calls + 1024 IPv4 flows), and the relay backend
// the lab config gives it: the media benchmarks' relay.
struct CoreRelay {
  CoreRelay(Rig& rig, const std::string& name, uint32_t calls) {
    relay::FlowTableConfig tc;
    tc.name = name + std::to_string(calls);
    tc.ipv4_flows = 2 * calls + 1024;
    auto created = relay::FlowTable::create(tc);
    if (!created) return;
    table = std::move(*created);
    const ControlConfig lab = testing::lab_config(60000, {});
    std::vector<RtpRelayBackend::Interface> ifaces;
    for (const InterfaceConfig& i : lab.interfaces)
      ifaces.push_back(RtpRelayBackend::interface_for(i, lab.media, rig.dp->iface(i.index).port_id));
    backend = std::make_unique<RtpRelayBackend>(*table, std::move(ifaces), *rig.io);
    core = lab.interfaces[kCore].media_address;
  }
  // Call `slot`'s two flows (RTP, RTCP), both ends on the core interface towards kPeer, on four relay
  // ports of its own (12 000 calls to a local address); their handles to `out` when given.
  bool open(uint32_t slot, std::array<FlowBackend::Handle, 2>* out = nullptr) {
    const auto base = static_cast<uint16_t>(10000 + 4 * (slot % 12000));
    const IpAddr local = slot < 12000 ? core : IpAddr::v4(10, 202, static_cast<uint8_t>(1 + slot / 12000), 1);
    for (uint16_t k = 0; k < 2; ++k) {
      const FlowBackend::End a{kCore, local, static_cast<uint16_t>(base + k), kPeer.ip, static_cast<uint16_t>(30000 + k)};
      const FlowBackend::End b{kCore, local, static_cast<uint16_t>(base + 2 + k), kPeer.ip,
                               static_cast<uint16_t>(40000 + k)};
      auto h = backend->install(a, b);
      if (!h) return false;
      if (out != nullptr) (*out)[k] = *h;
    }
    return true;
  }
  // False, with the benchmark skipped, when the table could not be made.
  bool ready(benchmark::State& state) const {
    if (!table) state.SkipWithError("cannot create the flow table");
    return table != nullptr;
  }
  std::unique_ptr<relay::FlowTable> table;
  std::unique_ptr<RtpRelayBackend> backend;
  IpAddr core;
};

// A call's media as MediaManager drives the backend in control_bench's call: two flows (RTP and
// RTCP) installed, their counters read for the CDR and both removed; the flows of `live` other
// calls in the table (the oldest call goes as each new one comes), retired flows reclaimed every
// 64 calls (the control loop reclaims every millisecond). Both ends on the core interface, whose
// neighbour is resolved; each call's four relay ports its own among the live calls'.
void BM_MediaFlows(benchmark::State& state) {
  Rig& rig = *g_rig;
  const auto live = static_cast<uint32_t>(state.range(0));
  CoreRelay relay(rig, "mfb", live);
  if (!relay.ready(state)) return;
  auto& table = relay.table;
  RtpRelayBackend& backend = *relay.backend;
  const uint32_t slots = live + 1;
  std::vector<std::array<FlowBackend::Handle, 2>> calls(slots);
  auto open = [&](uint32_t slot) { return relay.open(slot, &calls[slot]); };
  auto close = [&](uint32_t slot) {
    for (FlowBackend::Handle h : calls[slot]) {
      benchmark::DoNotOptimize(backend.counters(h));
      backend.remove(h);
    }
  };
  for (uint32_t s = 0; s < live; ++s)
    if (!open(s)) {
      state.SkipWithError("the table refused a flow");
      return;
    }
  uint64_t n = live;
  for (auto _ : state) {
    if (!open(static_cast<uint32_t>(n % slots))) {
      state.SkipWithError("the table refused a flow");
      break;
    }
    close(static_cast<uint32_t>((n + 1) % slots));  // the oldest live call
    if (++n % 64 == 0) table->reclaim();
  }
  state.counters["flows"] = static_cast<double>(table->size());
}

// A next hop that moves to another MAC (RtpRelayBackend::follow_moves): `calls` calls of two flows,
// both sides of each sending through the core neighbour kPeer; each iteration kPeer answers with the
// other of two MACs and one walk over the table re-points every flow (a copy of each, the old one
// retired and reclaimed), in as many follow_moves calls as it takes. Time: the whole walk, which the
// loop spreads over that many milliseconds; us_per_call and slowest_call_us: what a call of it takes
// of the loop, on average and at most.
void BM_FollowMoves(benchmark::State& state) {
  Rig& rig = *g_rig;
  const auto calls = static_cast<uint32_t>(state.range(0));
  CoreRelay relay(rig, "fmv", calls);
  if (!relay.ready(state)) return;
  for (uint32_t c = 0; c < calls; ++c)
    if (!relay.open(c)) {
      state.SkipWithError("the table refused a flow");
      return;
    }
  auto& table = relay.table;
  RtpRelayBackend& backend = *relay.backend;
  const Mac macs[2] = {kPeerMac, Mac{0x02, 0x00, 0x00, 0x00, 0x09, 0x99}};
  unsigned turn = 0;
  uint64_t calls_made = 0;
  uint64_t slowest = 0;
  for (auto _ : state) {
    state.PauseTiming();
    rig.resolve(*rig.io, kCore, kPeer, macs[++turn % 2]);
    backend.neighbour_resolved(kCore, kPeer.ip, true);
    state.ResumeTiming();
    while (backend.moves_pending() != 0) {
      const uint64_t start = rte_rdtsc();
      benchmark::DoNotOptimize(backend.follow_moves());
      slowest = std::max(slowest, rte_rdtsc() - start);
      ++calls_made;
    }
  }
  rig.resolve(*rig.io, kCore, kPeer, kPeerMac);
  const uint64_t flows = table->size();
  if (backend.flows_followed() != flows * state.iterations()) state.SkipWithError("a flow did not follow");
  state.SetItemsProcessed(static_cast<int64_t>(flows * state.iterations()));
  state.counters["flows"] = static_cast<double>(flows);
  state.counters["calls_per_walk"] = static_cast<double>(calls_made) / static_cast<double>(state.iterations());
  state.counters["us_per_call"] = benchmark::Counter(static_cast<double>(calls_made), benchmark::Counter::kIsRate |
                                                                                      benchmark::Counter::kInvert);
  state.counters["slowest_call_us"] = static_cast<double>(slowest) * 1e6 / static_cast<double>(rte_get_tsc_hz());
}

// The way between the Proxy and the UAs on a gateway's control lcore: the Proxy sends through the
// Rig's ControlIo (copy into mbufs, UDP/IP/Ethernet, neighbour lookup, TX queue); after each message
// the loop's ControlIo::poll flushes the TX queues; the UAs read the frames off both ports' control
// TX rings (not timed); with the Proxy's timers, the flow table's retired flows are reclaimed (the
// loop does it every millisecond).
class GatewayWire final : public bench::Wire {
 public:
  GatewayWire(Rig& rig, ControlIo& io, relay::FlowTable& table) : rig_(rig), io_(io), table_(table) {}
  SipTransport& transport() override { return io_; }
  void settle() override { io_.poll(rte_rdtsc()); }
  void collect() override {
    for (test::RingPort& port : rig_.ports) {
      void* frames[64];
      unsigned n = 0;
      while ((n = rte_ring_dequeue_burst(port.tx[1], frames, 64, nullptr)) != 0) {
        for (unsigned i = 0; i < n; ++i) keep_payload(static_cast<rte_mbuf*>(frames[i]));
        rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(frames), n);
      }
    }
  }
  void housekeeping() override { table_.reclaim(); }
  uint64_t unreadable = 0;

 private:
  // An unfragmented IPv4 UDP datagram's payload (the lab ports have no VLAN); anything else counted.
  void keep_payload(const rte_mbuf* m) {
    frame_.resize(rte_pktmbuf_pkt_len(m));
    // rte_pktmbuf_read copies only a chained frame; a one-segment frame it points at in place.
    const void* data = rte_pktmbuf_read(m, 0, static_cast<uint32_t>(frame_.size()), frame_.data());
    if (data != frame_.data()) std::memcpy(frame_.data(), data, frame_.size());
    if (const auto payload = udp4_payload(frame_))
      sent.keep(*payload);
    else
      ++unreadable;
  }
  Rig& rig_;
  ControlIo& io_;
  relay::FlowTable& table_;
  Bytes frame_;
};

// issue 14 §1's call (digest auth, media anchored) on the whole of a gateway's control lcore, in
// process: control_bench's BM_ProxyCallDigest with ControlIo in place of the in-memory wire and the
// relay's flow table (RtpRelayBackend) in place of the stand-in backend. control_ns: the lcore's
// time per call (proxy, sends and TX flushes, flows, timers); sipedge_ns adds the scans a worker
// does. Not in it: the CDR line's hand-over to its writer thread (control_bench's BM_CdrLine).
// Args: 0 trusted caller, 1 digest; then 0 checksums in software (net_ring, af_packet, virtio),
// 1 checksums left to the NIC (Interface::tx_*_checksum, as on a NIC that offers them).
void BM_GatewayCall(benchmark::State& state) {
  Rig& rig = *g_rig;
  const bool digest = state.range(0) != 0;
  ControlIo& io = state.range(1) != 0 ? *rig.nic_io : *rig.io;
  relay::FlowTableConfig tc;
  tc.name = "gwc" + std::to_string(state.range(0)) + std::to_string(state.range(1));
  tc.ipv4_flows = 65536;
  auto table = relay::FlowTable::create(tc);
  if (!table) {
    state.SkipWithError("cannot create the flow table");
    return;
  }
  rig.resolve(io, 0, bench::kAlice, Mac{0x02, 0, 0, 0, 0x01, 0x02});
  rig.resolve(io, kCore, bench::kTrunk, Mac{0x02, 0, 0, 0, 0x02, 0x02});
  ControlConfig config = bench::bench_config(digest, SignallingMode::Proxy);
  std::vector<RtpRelayBackend::Interface> ifaces;
  for (const InterfaceConfig& i : config.interfaces)
    ifaces.push_back(RtpRelayBackend::interface_for(i, config.media, rig.dp->iface(i.index).port_id));
  RtpRelayBackend backend(**table, ifaces, io);
  GatewayWire wire(rig, io, **table);
  auto h = std::make_unique<bench::CallHarness>(wire, backend, std::move(config), digest);
  uint64_t failed = 0;
  // As control_bench warms a long run: past the longest transaction lifetime, so the heap and the
  // tables have their steady size.
  if (state.max_iterations >= 5000)
    for (int i = 0; i < 40000; ++i)
      if (!h->call()) ++failed;
  h->sipedge_ticks = 0;
  h->scan_ticks = 0;
  h->clock.reset_reads();
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  for (auto _ : state)
    if (!h->call()) ++failed;
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  const double ns_per_tick = 1e9 / static_cast<double>(rte_get_tsc_hz());
  const auto calls = static_cast<double>(state.iterations());
  state.counters["sipedge_ns"] = static_cast<double>(h->sipedge_ticks) * ns_per_tick / calls;
  state.counters["control_ns"] = static_cast<double>(h->sipedge_ticks - h->scan_ticks) * ns_per_tick / calls;
  state.counters["flows"] = static_cast<double>((*table)->size());
  // Each a system clock read on a gateway, not in control_ns (the harness's clock is simulated).
  state.counters["clock_reads"] = static_cast<double>(h->clock.reads()) / calls;
  state.counters["faults"] = static_cast<double>(after.ru_minflt - before.ru_minflt) / calls;
  if (failed != 0 || h->broken != 0 || wire.unreadable != 0) state.SkipWithError("a call did not get through");
  h.reset();
  io.set_tap(nullptr);
}

// What the shards of BM_ShardedGatewayCall share, built by the first thread to come: a flow table,
// the relay backend on it (next hops from the Rig's NIC-checksum ControlIo), both UAs' neighbours
// resolved.
struct SharedGateway {
  explicit SharedGateway(Rig& rig) {
    relay::FlowTableConfig tc;
    tc.name = "sgwc";
    tc.ipv4_flows = 65536;
    tc.max_readers = 4;
    auto t = relay::FlowTable::create(tc);
    if (!t) return;
    table = std::move(*t);
    rig.resolve(*rig.nic_io, 0, bench::kAlice, Mac{0x02, 0, 0, 0, 0x01, 0x02});
    rig.resolve(*rig.nic_io, kCore, bench::kTrunk, Mac{0x02, 0, 0, 0, 0x02, 0x02});
    config = bench::bench_config(true, SignallingMode::Proxy);
    std::vector<RtpRelayBackend::Interface> ifaces;
    for (const InterfaceConfig& i : config.interfaces)
      ifaces.push_back(RtpRelayBackend::interface_for(i, config.media, rig.dp->iface(i.index).port_id));
    backend = std::make_unique<RtpRelayBackend>(*table, ifaces, *rig.nic_io);
  }
  ControlConfig config;
  std::unique_ptr<relay::FlowTable> table;
  std::unique_ptr<RtpRelayBackend> backend;
};

// A shard's wire: its sends leave as its loop would flush them (shard 0: ControlIo's poll under the
// lock; the others: their lane, and ControlIo's poll only after sending through it); the UAs read
// its TX queue on both ports.
class ShardWire final : public bench::Wire {
 public:
  ShardWire(Rig& rig, SipTransport& transport, ShardLane* lane, unsigned shard)
      : rig_(rig), transport_(transport), lane_(lane), queue_(1 + shard) {}
  SipTransport& transport() override { return transport_; }
  void settle() override {
    if (lane_) lane_->flush();
    if (lane_ == nullptr || lane_->take_shared_sends()) {
      const std::lock_guard<ShardLock> guard(rig_.shards.lock());
      rig_.nic_io->poll(rte_rdtsc());
    }
  }
  void collect() override {
    for (test::RingPort& port : rig_.ports) {
      void* frames[64];
      unsigned n = 0;
      while ((n = rte_ring_dequeue_burst(port.tx[queue_], frames, 64, nullptr)) != 0) {
        for (unsigned i = 0; i < n; ++i) {
          const rte_mbuf* m = static_cast<rte_mbuf*>(frames[i]);
          frame_.resize(rte_pktmbuf_pkt_len(m));
          const void* data = rte_pktmbuf_read(m, 0, static_cast<uint32_t>(frame_.size()), frame_.data());
          if (data != frame_.data()) std::memcpy(frame_.data(), data, frame_.size());
          if (const auto payload = udp4_payload(frame_)) sent.keep(*payload);
          else ++unreadable;
        }
        rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(frames), n);
      }
    }
  }
  uint64_t unreadable = 0;

 private:
  Rig& rig_;
  SipTransport& transport_;
  ShardLane* lane_;
  unsigned queue_;
  Bytes frame_;
};

// Built by the first thread of BM_ShardedGatewayCall, freed before the Rig (main).
std::mutex g_gateway_lock;
std::unique_ptr<SharedGateway> g_gateway;

void BM_ShardedGatewayCall(benchmark::State& state) {
  Rig& rig = *g_rig;
  SharedGateway& shared = [&]() -> SharedGateway& {
    const std::lock_guard<std::mutex> guard(g_gateway_lock);
    if (!g_gateway) g_gateway = std::make_unique<SharedGateway>(rig);
    return *g_gateway;
  }();
  if (!shared.backend) {
    state.SkipWithError("cannot create the flow table");
    return;
  }
  const AsLcore lcore(state);
  const auto shard = static_cast<unsigned>(state.thread_index());
  ShardBackend backend(rig.shards, *shared.backend, shard);
  std::unique_ptr<ShardTransport> locked;
  std::unique_ptr<ShardLane> lane;
  if (shard == 0) {
    locked = std::make_unique<ShardTransport>(rig.shards, *rig.nic_io);
  } else {
    lane = std::make_unique<ShardLane>(rig.shards, *rig.nic_io, shard, rig.dp->shard_counters(shard));
    // Its first datagram to each UA goes through ControlIo and shows it the MAC; drained below,
    // before any thread's calls begin (the threads start their timed loops together).
    lane->send(0, bench::kAlice, "x");
    lane->send(kCore, bench::kTrunk, "x");
  }
  SipTransport& transport = locked ? static_cast<SipTransport&>(*locked) : *lane;
  ShardWire wire(rig, transport, lane.get(), shard);
  wire.settle();
  {
    const std::lock_guard<ShardLock> guard(rig.shards.lock());
    rig.drain(0);
    rig.drain(kCore);
  }
  auto h = std::make_unique<bench::CallHarness>(wire, backend, shared.config, true, MediaPortSlice{shard, 2});
  uint64_t failed = 0;
  for (auto _ : state)
    if (!h->call()) ++failed;
  state.SetItemsProcessed(state.iterations());
  if (failed != 0 || h->broken != 0 || wire.unreadable != 0) state.SkipWithError("a call did not get through");
  h.reset();
}

BENCHMARK(BM_ControlSend);
BENCHMARK(BM_GatewayCall)->Args({0, 0})->Args({1, 0})->Args({1, 1});
BENCHMARK(BM_MediaFlows)->Arg(1000)->Arg(10000);
BENCHMARK(BM_FollowMoves)->Arg(1000)->Arg(10000)->Arg(50000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MutexLockedSend)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_ShardSend)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_ShardLaneSend)->Threads(2)->UseRealTime();
BENCHMARK(BM_ShardedGatewayCall)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace sipedge::control

int main(int argc, char** argv) {
  const std::string prefix = "--file-prefix=control_io_bench_" + std::to_string(getpid());
  // The main lcore on the first CPU the process may use (taskset -c N): EAL pins the main thread
  // there, and "-l 0" would move a run started with taskset -c 1 onto CPU 0.
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  unsigned cpu = 0;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
    while (cpu + 1 < CPU_SETSIZE && !CPU_ISSET(cpu, &allowed)) ++cpu;
  std::vector<std::string> eal = {"control_io_bench", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
                                  prefix,             "-l",        std::to_string(cpu), "--log-level=error"};
  std::vector<char*> eal_argv;
  for (std::string& a : eal) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  int rc = 0;
  {
    sipedge::control::Rig rig;
    sipedge::control::g_rig = &rig;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
      rc = 1;
    } else {
      benchmark::RunSpecifiedBenchmarks();
    }
    benchmark::Shutdown();
    sipedge::control::g_gateway.reset();
    sipedge::control::g_rig = nullptr;
  }
  rte_eal_cleanup();
  return rc;
}
