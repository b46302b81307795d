// Throughput of the secure generator and the exact samplers (issue #2 goals: CSPRNG >= 1 GB/s
// on one core; discrete Gaussian >= 5 M samples/s at sigma = 10). Scale/sigma 2^20 is the size
// the grid mechanisms and DP-SGD ask for. docs/benchmarks.md has before/after figures of the
// constant-time samplers (scripts/compare_random_bench.sh runs two builds side by side) and the
// OpenDP peer at sigma = 10 (bench/sampler_peer.py runs BM_DiscreteGaussian/10 beside it).
#include <vector>

#include "benchmark/benchmark.h"
#include "dpkit/random/samplers.h"
#include "dpkit/random/secure_rng.h"

namespace dpkit::random {
namespace {

void BM_SecureRngFill(benchmark::State& state) {
  SecureRng rng;
  std::vector<uint8_t> buf(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    rng.Fill(buf.data(), buf.size());
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SecureRngFill)->Arg(64)->Arg(4096)->Arg(1 << 20);

void BM_SecureRngNextU64(benchmark::State& state) {
  SecureRng rng;
  for (auto _ : state) benchmark::DoNotOptimize(rng.NextU64());
  state.SetBytesProcessed(state.iterations() * 8);
}
BENCHMARK(BM_SecureRngNextU64);

void BM_UniformUint64(benchmark::State& state) {
  SecureRng rng;
  for (auto _ : state) benchmark::DoNotOptimize(UniformUint64(rng, 1000003));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UniformUint64);

void BM_BernoulliExp(benchmark::State& state) {
  SecureRng rng;
  for (auto _ : state) benchmark::DoNotOptimize(BernoulliExp(rng, 7, 10));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BernoulliExp);

void BM_DiscreteLaplace(benchmark::State& state) {
  SecureRng rng;
  auto sampler = *DiscreteLaplaceSampler::Create(static_cast<double>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(sampler.Sample(rng));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DiscreteLaplace)->Arg(1)->Arg(10)->Arg(1000)->Arg(1 << 20);

void BM_DiscreteGaussian(benchmark::State& state) {
  SecureRng rng;
  auto sampler = *DiscreteGaussianSampler::Create(static_cast<double>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(sampler.Sample(rng));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DiscreteGaussian)->Arg(1)->Arg(10)->Arg(1000)->Arg(1 << 20);

// Batches of 1024 (DiscreteLaplaceSampler/DiscreteGaussianSampler::Sample(gen, out, n)), as
// DP-SGD and the analytics engine draw noise; time per sample.
void BM_DiscreteLaplaceBatch(benchmark::State& state) {
  SecureRng rng;
  auto sampler = *DiscreteLaplaceSampler::Create(static_cast<double>(state.range(0)));
  std::vector<int64_t> out(1024);
  for (auto _ : state) {
    sampler.Sample(rng, out.data(), out.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_DiscreteLaplaceBatch)->Arg(10)->Arg(1 << 20);

void BM_DiscreteGaussianBatch(benchmark::State& state) {
  SecureRng rng;
  auto sampler = *DiscreteGaussianSampler::Create(static_cast<double>(state.range(0)));
  std::vector<int64_t> out(1024);
  for (auto _ : state) {
    sampler.Sample(rng, out.data(), out.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_DiscreteGaussianBatch)->Arg(10)->Arg(1 << 20);

// A sigma that is not a small dyadic rational: sigma^2 needs a 40-bit numerator.
void BM_DiscreteGaussianSigma10_3(benchmark::State& state) {
  SecureRng rng;
  auto sampler = *DiscreteGaussianSampler::Create(10.3);
  for (auto _ : state) benchmark::DoNotOptimize(sampler.Sample(rng));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DiscreteGaussianSigma10_3);

}  // namespace
}  // namespace dpkit::random

BENCHMARK_MAIN();
