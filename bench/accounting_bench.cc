// Accounting benchmarks (issue #3): epsilon after 10,000 Poisson-subsampled Gaussian steps
// (q = 0.01, sigma = 1, delta = 1e-5) with RDP and with PLD/PRV, and the noise-multiplier
// search. The epsilon values are reported as counters next to the times.
#include <benchmark/benchmark.h>

#include "dpkit/accounting/accountant.h"
#include "dpkit/accounting/calibration.h"
#include "dpkit/accounting/pld.h"

namespace dpkit::accounting {
namespace {

constexpr double kQ = 0.01, kSigma = 1.0, kDelta = 1e-5;
constexpr int64_t kSteps = 10000;

void BM_RdpEpsilon10kSteps(benchmark::State& state) {
  double eps = 0;
  for (auto _ : state) {
    auto acc = CreateAccountant(AccountantKind::kRdp);
    (void)(*acc)->Add(PrivacyMap::SubsampledGaussian(kSigma, kQ, kSteps));
    eps = *(*acc)->Epsilon(kDelta);
    benchmark::DoNotOptimize(eps);
  }
  state.counters["epsilon"] = eps;
}
BENCHMARK(BM_RdpEpsilon10kSteps)->Unit(benchmark::kMillisecond);

void BM_PldEpsilon10kSteps(benchmark::State& state) {
  PldOptions opts;
  opts.epsilon_error = state.range(0) / 1000.0;
  PldBound b;
  double err = 0;
  int64_t points = 0;
  for (auto _ : state) {
    auto pld = PldComposition::Create({PrivacyMap::SubsampledGaussian(kSigma, kQ, kSteps)}, opts);
    b = pld->Epsilon(kDelta);
    err = pld->epsilon_error();
    points = pld->grid_points();
    benchmark::DoNotOptimize(b);
  }
  state.counters["eps_upper"] = b.upper;
  state.counters["eps_estimate"] = b.estimate;
  state.counters["eps_lower"] = b.lower;
  state.counters["eps_error"] = err;
  state.counters["fft_points"] = static_cast<double>(points);
}
// Argument: target epsilon error in thousandths (10 = 0.01, the default; 50 = 0.05).
// bench/pld_peer.py runs these beside Google's dp_accounting in one run.
BENCHMARK(BM_PldEpsilon10kSteps)
    ->Arg(10)
    ->Arg(50)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

void BM_NoiseMultiplierSearch(benchmark::State& state) {
  const auto kind = static_cast<AccountantKind>(state.range(0));
  NoiseMultiplierResult r;
  for (auto _ : state) {
    r = *NoiseMultiplierForEpsilon(3.0, kDelta, kQ, kSteps, kind);
    benchmark::DoNotOptimize(r);
  }
  state.counters["noise_multiplier"] = r.noise_multiplier;
  state.counters["epsilon"] = r.epsilon;
  state.counters["evaluations"] = r.evaluations;
  state.SetLabel(AccountantKindName(kind));
}
BENCHMARK(BM_NoiseMultiplierSearch)
    ->Arg(static_cast<int>(AccountantKind::kRdp))
    ->Arg(static_cast<int>(AccountantKind::kPld))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
}  // namespace dpkit::accounting

BENCHMARK_MAIN();
