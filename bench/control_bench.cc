// bench/control_bench.cc — the control plane's cost per call, without DPDK or sockets: every message
// of a basic call (INVITE with SDP, 100, 180, 200 with SDP, ACK, BYE, 200) scanned as the dataplane
// would and handed to the Proxy, whose transport keeps what it sends (the way ControlIo copies it
// into an mbuf). The caller is trusted (no digest) on the access side, the callee a trunk on the
// core side, so each call crosses interfaces with two Record-Routes and anchored media. Every
// message passes the ladder tap (CallTrace) as on a gateway. Counters: sipedge_ns, sipedge's part
// of a call (scans, taps, proxy); control_ns, the same less the scans (a worker's, with workers).
// Not here: the relay's flow table and ControlIo's framing and TX flush (the same call with both:
// control_io_bench's BM_GatewayCall; the call harness is bench/call_harness.h).
// BM_ProxyCallDigest is issue 14's call: the caller untrusted, so its first INVITE is challenged
// (407, ACK) and the second carries MD5 digest credentials (qop=auth) for user 1006.
//
// Baseline in the same run: BM_ScanOnly scans the same nine messages and does nothing else, so the
// ratio says what the proxy costs on top of reading the bytes; BM_B2buaCall is the same call in
// b2bua mode, its ratio to BM_ProxyCall what a dialog per leg costs. Run:
//   ninja -C build control_bench && build/bench/control_bench
#include <benchmark/benchmark.h>

#include <malloc.h>
#include <sys/resource.h>
#ifdef SIPEDGE_BENCH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include <chrono>
#include <cstdio>
#include <memory>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench/call_harness.h"
#include "common/hash_index.h"
#include "control/api/cdr_writer.h"
#include "control/auth/token_mac.h"

using namespace sipedge;
using namespace sipedge::control;
using bench::CallScript;
using bench::kMsPerCall;
using bench::ticks;

namespace {

// In memory: what sipedge sends kept as the UAs get it, with no timed step around it (ControlIo's
// framing and TX flush are control_io_bench's).
struct KeepingWire final : bench::Wire, SipTransport {
  SipTransport& transport() override { return *this; }
  SendResult transmit(uint16_t, const Endpoint&, std::string_view bytes) override {
    sent.keep(bytes);
    return SendResult::Sent;
  }
};

// A base of Harness, not a member: bases are built first, so the wire and relay exist before the
// CallHarness that holds references to them.
struct LocalParts {
  KeepingWire wire;
  bench::CountingRelay relay;
};

struct Harness : LocalParts, bench::CallHarness {
  explicit Harness(SignallingMode mode = SignallingMode::Proxy, bool with_digest = false)
      : CallHarness(wire, relay, bench::bench_config(with_digest, mode), with_digest) {}
};

// Bytes the process holds from malloc. With jemalloc (the allocator sipedge links): what the
// application has allocated, refreshed by advancing the stats epoch. With glibc: the arena's chunks
// in use and the blocks too big for it, which glibc maps apart (bucket arrays past 128 KiB).
size_t heap_bytes() {
#ifdef SIPEDGE_BENCH_JEMALLOC
  uint64_t epoch = 1;
  size_t len = sizeof epoch;
  mallctl("epoch", &epoch, &len, &epoch, len);
  size_t allocated = 0;
  len = sizeof allocated;
  mallctl("stats.allocated", &allocated, &len, nullptr, 0);
  return allocated;
#else
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
#endif
}

constexpr benchmark::IterationCount kWarmCalls = 40000;
// Runs this long are warmed first, so that a run of --benchmark_min_time=1 (about 20 000 calls) is
// timed at the steady size too, not while the heap grows (a page fault per call). Runs under
// callgrind (a few hundred calls) stay unwarmed.
constexpr benchmark::IterationCount kWarmFrom = 5000;

// Page faults of the process so far (first touches of memory it had not used).
long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// The same call in b2bua mode: a dialog per leg, every message crossing written from scratch.
void run_calls(benchmark::State& state, SignallingMode mode, bool digest = false) {
  Harness h(mode, digest);
  const size_t heap_before_calls = heap_bytes();
  uint64_t failed = 0;
  // Untimed, before a long run: 40 s of simulated calls, past the longest transaction lifetime
  // (64*T1 = 32 s), so the process has grown to the size it keeps. Otherwise a third of the run
  // is first touches of new pages (page faults), which a gateway pays once, not per call.
  const bool warmed = state.max_iterations >= kWarmFrom;
  if (warmed)
    for (uint64_t i = 0; i < kWarmCalls; ++i)
      if (!h.call()) ++failed;
  h.sipedge_ticks = 0;
  h.scan_ticks = 0;
  const long faults_before = minor_faults();
  const auto wall_start = std::chrono::steady_clock::now();
  const uint64_t start = ticks();
  for (auto _ : state) {
    if (!h.call()) ++failed;
  }
  const double share = static_cast<double>(h.sipedge_ticks) / static_cast<double>(ticks() - start);
  const std::chrono::duration<double, std::nano> wall = std::chrono::steady_clock::now() - wall_start;
  // sipedge's part of a call's time: what a core running only sipedge spends per call.
  state.counters["sipedge_ns"] = share * wall.count() / static_cast<double>(state.iterations());
  // The control lcore's part of that: sipedge_ns less the scans a worker does.
  state.counters["control_ns"] = state.counters["sipedge_ns"] *
                                 static_cast<double>(h.sipedge_ticks - h.scan_ticks) / static_cast<double>(h.sipedge_ticks);
  state.counters["faults"] = static_cast<double>(minor_faults() - faults_before) / static_cast<double>(state.iterations());
  // What the calls of the last 64*T1 hold (their transactions and proxy contexts), in MB.
  state.counters["heap_MB"] = static_cast<double>(heap_bytes()) / 1e6;
  // The same per ended call: a warmed run holds what the calls of the last 64*T1 left behind, and
  // the tables grown to hold it. One thread only: the heap is the process's.
  const double calls_lingering = 64.0 * static_cast<double>(h.config.timers.t1_ms) / kMsPerCall;
  if (warmed && state.threads() == 1)
    state.counters["ended_call_B"] = static_cast<double>(heap_bytes() - heap_before_calls) / calls_lingering;
  state.SetItemsProcessed(state.iterations());
  state.counters["calls_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["live_calls"] = static_cast<double>(h.proxy.calls().size());
  state.counters["contexts"] = static_cast<double>(h.proxy.context_count());
  state.counters["txns"] = static_cast<double>(h.proxy.transactions().size());
  if (failed != 0 || h.broken != 0) state.SkipWithError("a call did not get through: the harness is out of step");
}

void BM_ProxyCall(benchmark::State& state) { run_calls(state, SignallingMode::Proxy); }
void BM_ProxyCallDigest(benchmark::State& state) { run_calls(state, SignallingMode::Proxy, true); }
void BM_B2buaCall(benchmark::State& state) { run_calls(state, SignallingMode::B2bua); }
// Shared nothing, as control shards would be (issue 14 §2): a Proxy per thread with its own calls,
// transactions, media manager and timers, calls per second summed over the threads. There is no
// dispatch ring and no shared location table here: the ceiling sharding can approach on this machine.
void BM_ProxyCallPerThread(benchmark::State& state) { run_calls(state, SignallingMode::Proxy); }

// Baseline: the nine messages of one call scanned, nothing else.
void BM_ScanOnly(benchmark::State& state) {
  Harness h;
  std::vector<std::string> messages;
  h.call();
  for (size_t i = 0; i < h.wire.sent.used; ++i) messages.push_back(h.wire.sent.sent[i]);
  parser::HandScanner scanner;
  parser::Message msg;
  for (auto _ : state) {
    for (const std::string& m : messages) {
      benchmark::DoNotOptimize(scanner.scan(m, parser::Framing::Datagram, msg));
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["calls_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Memory at scale (issue 14 §5): N calls held open (answered, acknowledged, their transactions
// over), the heap bytes each costs as the allocator counts them, against the baseline of N bare std::string
// Call-IDs (what any table of calls must hold at least). Then the media sessions are destroyed
// alone: what that frees is the media manager's share (sessions, streams, the SDP last sent each
// way, flow ownership); the rest is the call table and the proxy's per-call state. The relay's flow
// table is measured by rtp_relay_bench (BM_TableBytesPerFlow), two flows per call here.
// Arg 1: 0 proxy mode, 1 b2bua mode (a dialog per leg: its Call-ID, tags, identities and ACK kept).
void BM_MemoryPerOpenCall(benchmark::State& state) {
  const auto n = static_cast<uint64_t>(state.range(0));
  const SignallingMode mode = state.range(1) ? SignallingMode::B2bua : SignallingMode::Proxy;
  for (auto _ : state) {
    const size_t start = heap_bytes();
    std::vector<std::string> ids;
    for (uint64_t i = 0; i < n; ++i) ids.push_back("bench-" + std::to_string(i) + "@host.example.net");
    const size_t baseline = heap_bytes() - start;
    ids.clear();
    ids.shrink_to_fit();
    auto h = std::make_unique<Harness>(mode);
    const size_t empty = heap_bytes();
    uint64_t failed = 0;
    for (uint64_t i = 0; i < n; ++i) {
      if (h->open(CallScript(h->calls++)).empty()) ++failed;
      // 1 ms of simulated time per call, as in BM_ProxyCall: the setups' transactions end as they
      // would at 1000 calls/s instead of all being alive at once.
      h->clock.advance(1);
      if (i % 64 == 63) h->tick();
    }
    // Long after: every transaction of the call setups has ended (64*T1, T4), the dialogs stay.
    for (int t = 0; t < 4; ++t) {
      h->clock.advance(40000);
      h->tick();
    }
    const size_t held = heap_bytes() - empty;
    state.counters["calls"] = static_cast<double>(h->proxy.calls().size());
    state.counters["media_sessions"] = static_cast<double>(h->media.session_count());
    state.counters["flows"] = static_cast<double>(h->relay.size());
    state.counters["txns"] = static_cast<double>(h->proxy.transactions().size());
    state.counters["bytes_per_call"] = static_cast<double>(held) / static_cast<double>(n);
    state.counters["baseline_bytes"] = static_cast<double>(baseline) / static_cast<double>(n);
    if (failed != 0 || h->proxy.calls().size() != n) state.SkipWithError("not every call was set up");
    std::vector<MediaSessionId> sessions;
    sessions.reserve(n);
    h->proxy.calls().for_each([&](const Call& c) { sessions.push_back(c.media); });
    const size_t with_media = heap_bytes();
    for (MediaSessionId id : sessions) h->media.destroy(id);
    const size_t media = with_media - heap_bytes();
    state.counters["media_bytes"] = static_cast<double>(media) / static_cast<double>(n);
    state.counters["call_bytes"] = static_cast<double>(held - media) / static_cast<double>(n);
  }
}

// The id-keyed index under transactions and contexts, as a proxy uses it: N ids alive, the
// oldest erased and a new one added per iteration. Its cost must not grow with N (before Robin
// Hood placement an erase walked every younger live id: 100 µs at 60 000). Arg 1000 is the
// baseline; the ratio of the others to it should stay near 1.
void BM_IdMapOldestErased(benchmark::State& state) {
  const auto live = static_cast<uint64_t>(state.range(0));
  IdMap<uint64_t> map;
  uint64_t next = 1, oldest = 1;
  for (uint64_t i = 0; i < live; ++i) map.set(next++, i);
  for (auto _ : state) {
    map.erase(oldest++);
    map.set(next++, oldest);
  }
  benchmark::DoNotOptimize(map.size());
}

// A call's CDR line as the control lcore pays for it: arg 0 written and flushed from the lcore (as
// the Proxy did, one write(2) a line: the baseline), arg 1 handed to the CdrWriter, whose thread
// writes it. Into a file under /tmp, removed after. One line every 20 µs, the pace of 50 000 calls/s
// (a tight loop would hand in 4 GB/s, faster than any disk takes them); only the hand-over is timed.
// Run without taskset: the writer's thread needs a CPU of its own, as it has on a gateway.
void BM_CdrLine(benchmark::State& state) {
  const std::string line =
      R"({"answer_ms":1764950400123,"answered":true,"bytes_callee_to_caller":1600000,"bytes_caller_to_callee":1600000,)"
      R"("call_id":"1-4242@192.0.2.10","callee":"198.51.100.20:5060","caller":"192.0.2.10:5060","duration_s":62.5,)"
      R"("end_ms":1764950462623,"end_reason":"bye from caller","final_status":200,"from":"sip:1006@192.0.2.10",)"
      R"("packets_callee_to_caller":10000,"packets_caller_to_callee":10000,"start_ms":1764950398000,)"
      R"("to":"sip:1007@198.51.100.20"})";
  char dir[] = "/tmp/sipedge-cdr-bench.XXXXXX";  // mkdtemp fills in the X's
  if (mkdtemp(dir) == nullptr) {
    state.SkipWithError("cannot make a directory under /tmp");
    return;
  }
  const std::string path = std::string(dir) + "/cdr.jsonl";
  using Clock = std::chrono::steady_clock;
  auto paced = [&state](auto&& hand_over) {
    for (auto _ : state) {
      const Clock::time_point start = Clock::now();
      hand_over();
      const Clock::time_point end = Clock::now();
      state.SetIterationTime(std::chrono::duration<double>(end - start).count());
      while (Clock::now() - start < std::chrono::microseconds(20)) {
      }
    }
  };
  if (state.range(0) == 0) {
    std::FILE* f = std::fopen(path.c_str(), "a");
    paced([&] {
      std::fputs(line.c_str(), f);
      std::fputc('\n', f);
      std::fflush(f);
    });
    std::fclose(f);
  } else {
    CdrWriter w(path);
    paced([&] { w.write(line); });
    state.counters["dropped"] = static_cast<double>(w.stats().lines_dropped);
  }
  std::remove(path.c_str());
  std::remove(dir);
}

// One token MAC as a digest call pays for it three times (the route token, the nonce made, the
// nonce checked): arg 0 HMAC-SHA-256 (what sealed them before, and the FIPS-only fallback: the
// baseline), arg 1 SipHash-2-4, over a route token's input.
void BM_TokenMac(benchmark::State& state) {
  const TokenMac key("bench-secret", state.range(0) == 0 ? TokenMac::Algorithm::HmacSha256 : TokenMac::Algorithm::SipHash24);
  unsigned char tag[TokenMac::kSize];
  for (auto _ : state) {
    key.mac({"4242-1@192.0.2.10", "|", "1f3a"}, tag);
    benchmark::DoNotOptimize(tag);
  }
}

// One read of the system clock as a gateway's shards make them (BM_GatewayCall counts them a
// call: clock_reads): monotonic milliseconds (Arg 0) or wall milliseconds (Arg 1).
void BM_SystemClockRead(benchmark::State& state) {
  const SystemClock clock;
  const bool wall = state.range(0) != 0;
  for (auto _ : state) benchmark::DoNotOptimize(wall ? clock.wall_ms() : clock.monotonic_ms());
}

BENCHMARK(BM_ScanOnly);
BENCHMARK(BM_SystemClockRead)->Arg(0)->Arg(1);
BENCHMARK(BM_TokenMac)->Arg(0)->Arg(1);
// 100 000 lines, 43 MB: within the writer's backlog, so none is dropped (the bench's `dropped` says 0).
BENCHMARK(BM_CdrLine)->Arg(0)->Arg(1)->Iterations(100000)->UseManualTime();
BENCHMARK(BM_IdMapOldestErased)->Arg(1000)->Arg(100000);
BENCHMARK(BM_ProxyCall);
BENCHMARK(BM_ProxyCallDigest);
BENCHMARK(BM_B2buaCall);
BENCHMARK(BM_ProxyCallPerThread)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_MemoryPerOpenCall)
    ->Args({10000, 0})
    ->Args({10000, 1})
    ->Args({1000000, 0})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Prints the ratio of the two after the table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      const double ns = r.GetAdjustedRealTime();
      if (r.benchmark_name() == "BM_ScanOnly") scan_ns_ = ns;
      if (r.benchmark_name() == "BM_ProxyCall") {
        proxy_ns_ = ns;
        proxy_sipedge_ns_ = r.counters.at("sipedge_ns").value;
      }
      if (r.benchmark_name() == "BM_B2buaCall") b2bua_ns_ = ns;
      if (r.benchmark_name().starts_with("BM_CdrLine/0")) cdr_inline_ns_ = ns;
      if (r.benchmark_name().starts_with("BM_CdrLine/1")) cdr_writer_ns_ = ns;
      if (r.benchmark_name() == "BM_IdMapOldestErased/1000") idmap_small_ns_ = ns;
      if (r.benchmark_name() == "BM_IdMapOldestErased/100000") idmap_large_ns_ = ns;
      if (r.benchmark_name() == "BM_ProxyCallPerThread/real_time/threads:1") one_thread_ = r.counters.at("items_per_second").value;
      if (r.benchmark_name() == "BM_ProxyCallPerThread/real_time/threads:2") two_threads_ = r.counters.at("items_per_second").value;
      if (r.benchmark_name().starts_with("BM_MemoryPerOpenCall/10000/0")) {
        per_call_ = r.counters.at("bytes_per_call").value;
        per_id_ = r.counters.at("baseline_bytes").value;
      }
      if (r.benchmark_name().starts_with("BM_MemoryPerOpenCall/10000/1")) per_b2bua_call_ = r.counters.at("bytes_per_call").value;
      if (r.benchmark_name().starts_with("BM_MemoryPerOpenCall/1000000/0")) {
        million_call_ = r.counters.at("call_bytes").value;
        million_media_ = r.counters.at("media_bytes").value;
      }
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    if (scan_ns_ > 0 && proxy_ns_ > 0) {
      std::printf("\nproxy call / scan only: %.1fx (%.0f ns vs %.0f ns per call; %.0f calls/s of one core)\n",
                  proxy_ns_ / scan_ns_, proxy_ns_, scan_ns_, 1e9 / proxy_ns_);
      std::printf("sipedge's part of a proxy call: %.0f ns (%.0f%%; the rest is the harness playing both UAs): "
                  "%.0f calls/s of one core\n",
                  proxy_sipedge_ns_, 100 * proxy_sipedge_ns_ / proxy_ns_, 1e9 / proxy_sipedge_ns_);
    }
    if (cdr_inline_ns_ > 0 && cdr_writer_ns_ > 0) {
      std::printf("CDR line on the control lcore, handed to the writer / written and flushed there: %.3fx (%.0f ns vs %.0f ns)\n",
                  cdr_writer_ns_ / cdr_inline_ns_, cdr_writer_ns_, cdr_inline_ns_);
    }
    if (idmap_small_ns_ > 0 && idmap_large_ns_ > 0) {
      std::printf("IdMap, oldest erased and one added, 100000 live / 1000 live: %.2fx (%.1f ns vs %.1f ns)\n",
                  idmap_large_ns_ / idmap_small_ns_, idmap_large_ns_, idmap_small_ns_);
    }
    if (proxy_ns_ > 0 && b2bua_ns_ > 0) {
      std::printf("b2bua call / proxy call: %.2fx (%.0f ns vs %.0f ns per call; %.0f b2bua calls/s of one core)\n",
                  b2bua_ns_ / proxy_ns_, b2bua_ns_, proxy_ns_, 1e9 / b2bua_ns_);
    }
    if (per_call_ > 0 && per_id_ > 0) {
      std::printf("open call / bare Call-ID: %.1fx (%.0f vs %.0f heap bytes); 1M open calls: %.2f GB of control state\n",
                  per_call_ / per_id_, per_call_, per_id_, per_call_ * 1e6 / 1e9);
    }
    if (one_thread_ > 0 && two_threads_ > 0) {
      std::printf("a proxy per thread: %.0f calls/s with 1 thread, %.0f with 2 (%.2fx)\n", one_thread_, two_threads_,
                  two_threads_ / one_thread_);
    }
    if (million_call_ > 0) {
      std::printf("1M open calls: %.0f bytes each (calls and dialogs %.0f, media sessions %.0f): %.2f GB of control state\n",
                  million_call_ + million_media_, million_call_, million_media_, (million_call_ + million_media_) * 1e6 / 1e9);
    }
    if (per_call_ > 0 && per_b2bua_call_ > 0) {
      std::printf("open b2bua call / open proxy call: %.2fx (%.0f vs %.0f heap bytes)\n", per_b2bua_call_ / per_call_,
                  per_b2bua_call_, per_call_);
    }
  }

 private:
  double scan_ns_ = 0;
  double proxy_ns_ = 0;
  double proxy_sipedge_ns_ = 0;
  double b2bua_ns_ = 0;
  double cdr_inline_ns_ = 0;
  double cdr_writer_ns_ = 0;
  double idmap_small_ns_ = 0;
  double idmap_large_ns_ = 0;
  double per_call_ = 0;
  double per_id_ = 0;
  double per_b2bua_call_ = 0;
  double million_call_ = 0;
  double one_thread_ = 0;
  double two_threads_ = 0;
  double million_media_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
