// bench/hw_bench.cc — control lcore work, measured on one core: how many media rules per second hw/
// compiles (a flow direction -> rte_flow pattern and actions), and how many it inserts and removes
// through the emulated NIC (tests/support/flow_emulator.h). The emulator's own cost stands in for a
// PMD's, so the insert figure is an upper bound for the control lcore's side of an insert, not a
// NIC's rule-insertion rate. BM_ManagerInsert then gives the emulated NIC a latency per operation
// (what firmware takes to answer) and runs the OffloadManager's synchronous path (rte_flow_create
// waits for it) against its async path (queued, pushed, pulled later), so the control lcore's time
// per offloaded direction shows what each path costs on a NIC that takes that long. Ratios are
// printed at the end.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "hw/offload_manager.h"
#include "hw/rule_compiler.h"
#include "tests/support/flow_emulator.h"

namespace sipedge::hw {
namespace {

DirectionRule rule(bool v6, uint32_t n) {
  DirectionRule r;
  r.in_port = 0;
  r.out_port = 1;
  auto addr = [&](uint8_t net, uint8_t host) {
    if (!v6) return IpAddr::v4(10, net, static_cast<uint8_t>(n >> 8), host);
    static const IpAddr base = *IpAddr::parse("2001:db8::");
    IpAddr a = base;
    a.bytes[5] = net;
    a.bytes[14] = static_cast<uint8_t>(n >> 8);
    a.bytes[15] = host;
    return a;
  };
  r.from = Endpoint{addr(201, 2), static_cast<uint16_t>(10000 + (n & 0x7fff))};
  r.to = Endpoint{addr(201, 1), static_cast<uint16_t>(20000 + 2 * (n & 0x3fff))};
  r.new_src = Endpoint{addr(202, 1), static_cast<uint16_t>(40000 + 2 * (n & 0x3fff))};
  r.new_dst = Endpoint{addr(202, 2), 6000};
  r.counter_id = n;
  return r;
}

constexpr RuleVariant kSet{RewriteKind::SetField, AgingKind::Age, EgressKind::PortId, 0};
constexpr RuleVariant kModify{RewriteKind::ModifyField, AgingKind::Age, EgressKind::PortId, 0};

void BM_Compile(benchmark::State& state) {
  const bool v6 = state.range(0) == 6;
  const RuleVariant variant = state.range(1) ? kModify : kSet;
  CompiledRule out;
  uint32_t n = 0;
  for (auto _ : state) {
    compile(rule(v6, n++), variant, out);
    benchmark::DoNotOptimize(out.actions().data());
  }
  state.counters["rules_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Compile, insert and remove one rule through the emulated NIC holding `range(0)` other rules.
void BM_EmulatedInsert(benchmark::State& state) {
  test::FlowEmulator nic(test::FlowCaps::mlx5_like(), static_cast<size_t>(state.range(0)) + 1);
  CompiledRule out;
  std::string why;
  for (uint32_t i = 0; i < state.range(0); ++i) {
    compile(rule(false, i), kModify, out);
    nic.create(0, out.attr(), out.pattern().data(), out.actions().data(), why);
  }
  uint32_t n = static_cast<uint32_t>(state.range(0));
  for (auto _ : state) {
    compile(rule(false, n++), kModify, out);
    rte_flow* r = nic.create(0, out.attr(), out.pattern().data(), out.actions().data(), why);
    nic.destroy(0, r, why);
  }
  state.counters["inserts_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// One call's direction at a time through the OffloadManager, `range(0)` = 1 for the async path,
// with the emulated NIC taking `range(1)` µs per operation; 256 calls stay offloaded, the oldest
// torn down as each new one comes. Async: the control loop's poll (push and pull) runs every 8
// offloads, and whenever the queue has no room for a new direction.
void BM_ManagerInsert(benchmark::State& state) {
  const bool async = state.range(0) == 1;
  constexpr uint32_t kQueue = 1024;
  constexpr uint32_t kLive = 256;
  test::FlowCaps caps = async ? test::FlowCaps::mlx5_hws_like() : test::FlowCaps::mlx5_like();
  caps.async_queue = kQueue;
  test::FlowEmulator nic(caps, 1 << 20);
  nic.set_op_latency_ns(static_cast<uint64_t>(state.range(1)) * 1000);
  std::string why;
  if (async)
    for (uint16_t port : {0, 1}) nic.configure_async(port, kQueue, 1 << 20, why);
  OffloadManager::Config config;
  config.max_rules = 1 << 20;
  OffloadManager manager(nic, config, {{0, 0, kModify, async ? kQueue : 0}, {1, 0, kModify, async ? kQueue : 0}}, [] {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
  });
  auto poll = [&manager] { manager.poll_activity(UINT64_MAX, 0, [](relay::FlowHandle, int) {}); };
  relay::FlowSpec spec;
  spec.side[0] = relay::EndpointSpec{0, IpAddr::v4(10, 201, 0, 1), 20000, IpAddr::v4(10, 201, 0, 2), 40000,
                                     relay::LatchMode::Latch, {}, {}};
  spec.side[1] = relay::EndpointSpec{1, IpAddr::v4(10, 202, 0, 1), 30000, IpAddr::v4(10, 202, 0, 2), 6000,
                                     relay::LatchMode::Off, {}, {}};
  spec.side[1].next_hop_mac.addr_bytes[0] = 2;
  const Endpoint trunk{IpAddr::v4(10, 202, 0, 2), 6000};
  uint32_t n = 0;
  for (auto _ : state) {
    if (async && (n % 8 == 0 || !manager.can_insert(0))) poll();
    const Endpoint phone{IpAddr::v4(10, 201, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8)),
                         static_cast<uint16_t>(1024 + (n & 0xff))};
    if (manager.offload(relay::FlowHandle{n, 1}, 0, spec, phone, trunk)) state.SkipWithError("a direction stayed in software");
    if (n >= kLive) manager.remove(relay::FlowHandle{n - kLive, 1});
    ++n;
  }
  state.counters["offloads_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_Compile)->Args({4, 0})->Args({4, 1})->Args({6, 0})->Args({6, 1});
BENCHMARK(BM_EmulatedInsert)->Arg(0)->Arg(1000);
BENCHMARK(BM_ManagerInsert)->ArgsProduct({{0, 1}, {0, 2, 10, 50}});

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      // Single runs, or the median of repetitions.
      if (r.error_occurred || (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median")) continue;
      if (r.run_name.str() == "BM_Compile/4/1") compile_ns_ = r.GetAdjustedRealTime();
      if (r.run_name.str() == "BM_EmulatedInsert/0") insert_ns_ = r.GetAdjustedRealTime();
      const std::string name = r.run_name.str();
      if (name.starts_with("BM_ManagerInsert/")) {
        const bool async = name[17] == '1';
        const int latency_us = std::stoi(name.substr(19));
        (async ? async_ns_ : sync_ns_)[latency_us] = r.GetAdjustedRealTime();
      }
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    if (compile_ns_ > 0 && insert_ns_ > 0) {
      std::printf("\nIPv4 MODIFY_FIELD rule: compile %.0f ns (%.2f M rules/s), compile + insert + remove %.0f ns "
                  "(%.0f k/s), %.1fx compiling alone\n",
                  compile_ns_, 1e3 / compile_ns_, insert_ns_, 1e6 / insert_ns_, insert_ns_ / compile_ns_);
    }
    for (const auto& [latency_us, sync_ns] : sync_ns_) {
      auto a = async_ns_.find(latency_us);
      if (a == async_ns_.end()) continue;
      std::printf("NIC taking %d us per operation: sync %.0f ns per offloaded direction (%.0f k/s), async %.0f ns "
                  "(%.0f k/s), async/sync %.2f\n",
                  latency_us, sync_ns, 1e6 / sync_ns, a->second, 1e6 / a->second, a->second / sync_ns);
    }
  }

 private:
  double compile_ns_ = 0;
  double insert_ns_ = 0;
  std::map<int, double> sync_ns_, async_ns_;  // BM_ManagerInsert by NIC latency (µs)
};

}  // namespace
}  // namespace sipedge::hw

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  sipedge::hw::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
