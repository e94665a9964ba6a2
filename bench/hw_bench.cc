// bench/hw_bench.cc — control lcore work, measured on one core: how many media rules per second hw/
// compiles (a flow direction -> rte_flow pattern and actions), and how many it inserts and removes
// through the emulated NIC (tests/support/flow_emulator.h, the synchronous path). The emulator's own
// cost stands in for a PMD's, so the insert figure is an upper bound for the control lcore's side of
// an insert, not a NIC's rule-insertion rate. Ratios against compiling alone are printed at the end.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

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

BENCHMARK(BM_Compile)->Args({4, 0})->Args({4, 1})->Args({6, 0})->Args({6, 1});
BENCHMARK(BM_EmulatedInsert)->Arg(0)->Arg(1000);

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      // Single runs, or the median of repetitions.
      if (r.error_occurred || (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median")) continue;
      if (r.run_name.str() == "BM_Compile/4/1") compile_ns_ = r.GetAdjustedRealTime();
      if (r.run_name.str() == "BM_EmulatedInsert/0") insert_ns_ = r.GetAdjustedRealTime();
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    if (compile_ns_ > 0 && insert_ns_ > 0) {
      std::printf("\nIPv4 MODIFY_FIELD rule: compile %.0f ns (%.2f M rules/s), compile + insert + remove %.0f ns "
                  "(%.0f k/s), %.1fx compiling alone\n",
                  compile_ns_, 1e3 / compile_ns_, insert_ns_, 1e6 / insert_ns_, insert_ns_ / compile_ns_);
    }
  }

 private:
  double compile_ns_ = 0;
  double insert_ns_ = 0;
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
