// bench/control_io_bench.cc — benchmark threads. What a control shard holds ShardSet's lock for
// (issue 14 §2, control/runtime/shard_set.h): every SIP datagram a shard sends goes through the one
// ControlIo under that lock (copy into mbufs, UDP/IP headers and the UDP checksum, neighbour lookup,
// TX enqueue and flush). On a net_ring port (no kernel, no NIC: the floor of what a real port
// costs), to a resolved neighbour:
//   BM_ControlSend             one thread, ControlIo::send alone: the hold per datagram;
//   BM_ShardSend/threads:N     N threads, each a shard sending through its ShardTransport (frames
//                              built before the lock, handed over under it): sends/s summed over
//                              the threads;
//   BM_LockedSend/threads:N    the whole of ControlIo::send under the lock, as ShardTransport did
//                              before it built frames itself;
//   BM_MutexLockedSend/...     the same under a std::mutex, ShardSet's lock before ShardLock;
//   BM_CopyAndChecksum         the part of a send that needs nothing shared (payload copy, UDP/IP
//                              headers, checksum): what a shard could do before taking the lock.
// What the port sent is taken off its TX ring and freed every kDrain datagrams, under the lock and
// inside the timing, as a NIC's completions would be in its TX path.
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "control/runtime/control_io.h"
#include "control/runtime/shard_set.h"
#include "dataplane/dataplane.h"
#include "parser/scanner_hand.h"
#include "tests/support/frames.h"
#include "tests/support/ring_port.h"

namespace sipedge::control {
namespace {

using dataplane::test::arp;
using dataplane::test::Bytes;
using dataplane::test::cat;
using dataplane::test::ether;
using dataplane::test::ip4;
using dataplane::test::Mac;

constexpr unsigned kDrain = 256;   // datagrams sent between two drains of the TX ring (it holds 1023)
constexpr size_t kMessageBytes = 700;  // a SIP request or answer of a call, SDP included or not
const Mac kPeerMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x42};
const Endpoint kPeer{IpAddr::v4(10, 202, 0, 9), 5060};
constexpr uint16_t kCore = 1;

// Two net_ring ports and a Dataplane as the runtime opens them, a ControlIo on top, the core
// side's neighbour 10.202.0.9 resolved; a ShardSet for the shards' lock.
struct Rig {
  Rig() {
    ports.push_back(test::create_ring_port("ciob_acc", 1, 2));
    ports.push_back(test::create_ring_port("ciob_core", 1, 2));
    dataplane::DataplaneConfig cfg;
    dataplane::PortConfig a, c;
    a.device = ports[0].name;
    a.role = dataplane::PortRole::Access;
    a.ipv4 = IpPrefix::parse("10.201.0.1/24");
    c.device = ports[1].name;
    c.role = dataplane::PortRole::Core;
    c.ipv4 = IpPrefix::parse("10.202.0.1/24");
    cfg.ports = {a, c};
    cfg.sip_ports = {5060};
    cfg.media_port_min = 20000;
    cfg.media_port_max = 20099;
    cfg.mbufs = 8191;
    dp = std::make_unique<dataplane::Dataplane>(cfg, scanner);
    NeighbourTable::Config nb;
    nb.reachable_tsc = 3600 * rte_get_tsc_hz();
    nb.retrans_tsc = rte_get_tsc_hz();
    nb.max_probes = 3;
    nb.hold_limit = 4;
    io = std::make_unique<ControlIo>(dp->shared(), dp->control_counters(), nb, std::vector<uint16_t>{5060, 5060});
    // The first datagram asks for the neighbour (ARP); its answer reaches control through a worker.
    io->send(kCore, kPeer, std::string(kMessageBytes, 'x'));
    Mac ours;
    std::memcpy(ours.data(), dp->iface(kCore).mac.addr_bytes, 6);
    const Bytes reply = cat(ether(ours, kPeerMac, 0x0806), arp(2, kPeerMac, ip4("10.202.0.9"), ours, ip4("10.202.0.1")));
    rte_mbuf* m = rte_pktmbuf_alloc(dp->shared().mbuf_pool);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(reply.size())), reply.data(), reply.size());
    rte_ring_enqueue(ports[kCore].rx[0], m);
    dp->worker(0).poll_once(rte_get_tsc_cycles());
    io->poll(rte_get_tsc_cycles());
    drain();
  }
  ~Rig() {
    drain();
    io.reset();
    dp.reset();
    for (test::RingPort& p : ports) test::destroy_ring_port(p);
  }
  // Frees what the core port sent on its control queue; the number taken.
  unsigned drain() {
    void* frames[64];
    unsigned total = 0, n = 0;
    while ((n = rte_ring_dequeue_burst(ports[kCore].tx[1], frames, 64, nullptr)) != 0) {
      rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(frames), n);
      total += n;
    }
    return total;
  }

  parser::HandScanner scanner;
  std::vector<test::RingPort> ports;
  std::unique_ptr<dataplane::Dataplane> dp;
  std::unique_ptr<ControlIo> io;
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

void BM_ControlSend(benchmark::State& state) {
  const AsLcore lcore(state);
  Rig& rig = *g_rig;
  const std::string message(kMessageBytes, 'x');
  unsigned since_drain = 0;
  int64_t sent = 0;
  for (auto _ : state) {
    sent += rig.io->send(kCore, kPeer, message) == SendResult::Sent ? 1 : 0;
    if (++since_drain == kDrain) {
      rig.drain();
      since_drain = 0;
    }
  }
  rig.drain();
  if (sent != state.iterations()) state.SkipWithError("a datagram was not sent");
  state.SetItemsProcessed(sent);
}

void BM_ShardSend(benchmark::State& state) {
  const AsLcore lcore(state);
  Rig& rig = *g_rig;
  ShardTransport transport(rig.shards, *rig.io, static_cast<unsigned>(state.thread_index()));
  const std::string message(kMessageBytes, 'x');
  unsigned since_drain = 0;
  int64_t sent = 0;
  for (auto _ : state) {
    sent += transport.send(kCore, kPeer, message) == SendResult::Sent ? 1 : 0;
    if (++since_drain == kDrain) {
      const std::lock_guard<ShardLock> guard(rig.shards.lock());
      rig.drain();
      since_drain = 0;
    }
  }
  {
    const std::lock_guard<ShardLock> guard(rig.shards.lock());
    rig.drain();
  }
  if (sent != state.iterations()) state.SkipWithError("a datagram was not sent");
  state.SetItemsProcessed(sent);
}

// The whole of ControlIo::send under `lock`, as ShardTransport did before it built frames itself.
template <typename Lock>
void locked_send(benchmark::State& state, Lock& lock) {
  const AsLcore lcore(state);
  Rig& rig = *g_rig;
  const std::string message(kMessageBytes, 'x');
  unsigned since_drain = 0;
  int64_t sent = 0;
  for (auto _ : state) {
    const std::lock_guard<Lock> guard(lock);
    sent += rig.io->send(kCore, kPeer, message) == SendResult::Sent ? 1 : 0;
    if (++since_drain == kDrain) {
      rig.drain();
      since_drain = 0;
    }
  }
  {
    const std::lock_guard<Lock> guard(lock);
    rig.drain();
  }
  if (sent != state.iterations()) state.SkipWithError("a datagram was not sent");
  state.SetItemsProcessed(sent);
}

std::mutex g_mutex;
void BM_MutexLockedSend(benchmark::State& state) { locked_send(state, g_mutex); }
void BM_LockedSend(benchmark::State& state) { locked_send(state, g_rig->shards.lock()); }

void BM_CopyAndChecksum(benchmark::State& state) {
  const AsLcore lcore(state);
  rte_mempool* pool = g_rig->dp->shared().mbuf_pool;
  const std::string message(kMessageBytes, 'x');
  for (auto _ : state) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(message.size())), message.data(), message.size());
    auto* udp = reinterpret_cast<rte_udp_hdr*>(rte_pktmbuf_prepend(m, sizeof(rte_udp_hdr)));
    udp->src_port = rte_cpu_to_be_16(5060);
    udp->dst_port = rte_cpu_to_be_16(5060);
    udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(message.size() + sizeof(rte_udp_hdr)));
    udp->dgram_cksum = 0;
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(rte_pktmbuf_prepend(m, sizeof(rte_ipv4_hdr)));
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = 0;
    ip->packet_id = 0;
    ip->fragment_offset = 0;
    ip->hdr_checksum = 0;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(m->pkt_len));
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = rte_cpu_to_be_32(0x0aca0001);
    ip->dst_addr = rte_cpu_to_be_32(0x0aca0009);
    udp->dgram_cksum = rte_ipv4_udptcp_cksum_mbuf(m, ip, sizeof(rte_ipv4_hdr));
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    uint16_t sum = udp->dgram_cksum;
    benchmark::DoNotOptimize(sum);
    rte_pktmbuf_free(m);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ControlSend);
BENCHMARK(BM_MutexLockedSend)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_LockedSend)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_ShardSend)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_CopyAndChecksum)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace sipedge::control

int main(int argc, char** argv) {
  const std::string prefix = "--file-prefix=control_io_bench_" + std::to_string(getpid());
  std::vector<std::string> eal = {"control_io_bench", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
                                  prefix,             "-l",        "0", "--log-level=error"};
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
    sipedge::control::g_rig = nullptr;
  }
  rte_eal_cleanup();
  return rc;
}
