// DP-SGD step time vs the non-private step of the same model, in the same run (goal: DP step
// <= 2x the non-private one at B = 256 and <= 1.5x at B = 1024 on the MLP), for an MLP on UCI
// Adult and a CNN on MNIST; plus the cost of the exact grid noise and the Poisson sampling alone.
// CPU is the whole process's (the drawing threads included). bench/train_step_ratio.sh runs it
// with interleaved repetitions and prints the ratios (min and median).
//
// Non-private step: a uniformly random batch of B rows, forward, mean cross-entropy, backward,
// optimizer step (what a plain libtorch training loop does).
// DP step: DpSgdEngine::Step — Poisson sampling with q = B / N (exact Bernoulli from SecureRng),
// per-example norms + clipping, the vector Gaussian mechanism's exact grid noise, optimizer
// step. The next step's batch and noise are drawn on every core (SecureRng) while the current
// step computes.
#include <algorithm>
#include <memory>
#include <vector>

#include "benchmark/benchmark.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/schema.h"
#include "dpkit/random/secure_rng.h"
#include "dpkit/random/samplers.h"
#include "dpkit/train/dp_sgd.h"
#include "dpkit/train/idx.h"
#include "dpkit/mechanisms/vector_gaussian.h"
#include "dpkit/train/tabular.h"

namespace dpkit::train {
namespace {

namespace nn = torch::nn;

struct Data {
  torch::Tensor x, y;
};

const Data& Adult() {
  static Data* d = [] {
    auto schema = io::LoadSchema(DPKIT_SOURCE_DIR "/bench/train_adult_schema.json");
    io::CsvReadOptions o;
    o.schema = *schema;
    o.has_header = false;
    o.column_names = schema->ColumnNames();
    auto table = io::ReadCsv(DPKIT_SHARED_DATA_DIR "/adult-uci/adult.data", o);
    if (!table.ok()) {
      std::fprintf(stderr, "%s\n", std::string(table.status().message()).c_str());
      std::abort();
    }
    auto enc = TabularEncoder::Create(*schema, "income", {}, TaskKind::kClassification);
    auto e = enc->Encode(*table, "adult.data");
    return new Data{e->x, e->y};
  }();
  return *d;
}

const Data& Mnist() {
  static Data* d = [] {
    auto x = ReadIdxImages(DPKIT_SHARED_DATA_DIR "/mnist/train-first10k-images-idx3-ubyte.gz");
    auto y = ReadIdxLabels(DPKIT_SHARED_DATA_DIR "/mnist/train-first10k-labels-idx1-ubyte.gz");
    if (!x.ok() || !y.ok()) std::abort();
    return new Data{(*x - 0.1307) / 0.3081, *y};
  }();
  return *d;
}

nn::Sequential AdultMlp(int64_t in) { return *BuildModel("mlp:64,64", in, 2); }

nn::Sequential MnistCnn() {
  return nn::Sequential(
      nn::Conv2d(nn::Conv2dOptions(1, 16, 8).stride(2).padding(3)),
      nn::GroupNorm(nn::GroupNormOptions(4, 16)), nn::Tanh(),
      nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(1)),
      nn::Conv2d(nn::Conv2dOptions(16, 32, 4).stride(2)),
      nn::GroupNorm(nn::GroupNormOptions(4, 32)), nn::Tanh(),
      nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(1)), nn::Flatten(),
      nn::Linear(32 * 4 * 4, 32), nn::Tanh(), nn::Linear(32, 10));
}

void NonPrivateStep(benchmark::State& state, const Data& d, nn::Sequential model) {
  const int64_t B = state.range(0);
  const int64_t N = d.x.size(0);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  random::SecureRng rng;
  for (auto _ : state) {
    std::vector<int64_t> idx(B);
    for (auto& i : idx) i = static_cast<int64_t>(random::UniformUint64(rng, N));
    auto t = torch::from_blob(idx.data(), {B}, torch::kLong);
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(d.x.index_select(0, t)),
                                                     d.y.index_select(0, t));
    loss.backward();
    opt.step();
  }
  state.SetItemsProcessed(state.iterations() * B);
}

// with_noise = false: Poisson sampling and clipping only (NOT PRIVATE), to split the cost.
void DpStep(benchmark::State& state, const Data& d, nn::Sequential model, bool with_noise = true) {
  const int64_t B = state.range(0);
  const int64_t N = d.x.size(0);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  random::SecureRng rng;
  auto noise = DpSgdNoise(mechanisms::SecureNoise(), model, {.max_grad_norm = 1.0}, 1.0);
  if (!noise.ok()) {
    state.SkipWithError(std::string(noise.status().message()).c_str());
    return;
  }
  auto e = DpSgdEngine::Create(model, opt,
                               {.noise = with_noise ? *noise : nullptr,
                                .sampling_rate = static_cast<double>(B) / N,
                                .max_steps = int64_t{1} << 40,
                                .clipping = {.max_grad_norm = 1.0},
                                .allow_no_noise_not_private = !with_noise},
                               N, rng);
  if (!e.ok()) {
    state.SkipWithError(std::string(e.status().message()).c_str());
    return;
  }
  auto loss = CrossEntropyLoss();
  for (auto _ : state) {
    auto r = (*e)->Step(d.x, d.y, loss);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * B);
  state.counters["params"] = static_cast<double>((*e)->grad_sample().num_parameters());
}

void BM_AdultMlp_NonPrivate(benchmark::State& s) { NonPrivateStep(s, Adult(), AdultMlp(Adult().x.size(1))); }
void BM_AdultMlp_DpSgd(benchmark::State& s) { DpStep(s, Adult(), AdultMlp(Adult().x.size(1))); }
void BM_AdultMlp_ClipOnly(benchmark::State& s) { DpStep(s, Adult(), AdultMlp(Adult().x.size(1)), false); }
void BM_MnistCnn_NonPrivate(benchmark::State& s) { NonPrivateStep(s, Mnist(), MnistCnn()); }
void BM_MnistCnn_DpSgd(benchmark::State& s) { DpStep(s, Mnist(), MnistCnn()); }
double Min(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
// Step benchmarks: wall time, process CPU, and the min over repetitions beside mean and median.
void StepArgs(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->ComputeStatistics(
      "min", Min);
}
BENCHMARK(BM_AdultMlp_NonPrivate)->Arg(256)->Arg(1024)->Apply(StepArgs);
BENCHMARK(BM_AdultMlp_DpSgd)->Arg(256)->Arg(1024)->Apply(StepArgs);
BENCHMARK(BM_AdultMlp_ClipOnly)->Arg(256)->Arg(1024)->Apply(StepArgs);
BENCHMARK(BM_MnistCnn_NonPrivate)->Arg(256)->Apply(StepArgs);
BENCHMARK(BM_MnistCnn_DpSgd)->Arg(256)->Apply(StepArgs);

// The exact grid noise alone: discrete-Gaussian draws per second at DP-SGD's grid sigma.
void BM_GridNoiseSample(benchmark::State& state) {
  const int64_t d = state.range(0);
  auto noise = mechanisms::VectorGaussian(
      mechanisms::SecureNoise(), {.noise_multiplier = 1.0, .l2_sensitivity = 1.0, .dimension = d});
  random::SecureRng rng;
  std::vector<int64_t> z(static_cast<size_t>(d));
  for (auto _ : state) {
    noise->SampleNoise(rng, absl::MakeSpan(z));
    benchmark::DoNotOptimize(z.data());
  }
  state.SetItemsProcessed(state.iterations() * d);
  state.counters["grid_sigma"] = noise->grid_sigma();
}
BENCHMARK(BM_GridNoiseSample)->Arg(11330)->Arg(26010)->Unit(benchmark::kMillisecond);

// Poisson sampling of one batch from Adult's 32,561 rows.
void BM_PoissonSample(benchmark::State& state) {
  random::SecureRng rng;
  for (auto _ : state) benchmark::DoNotOptimize(PoissonSampleIndices(rng, 32561, 256.0 / 32561));
  state.SetItemsProcessed(state.iterations() * 32561);
}
BENCHMARK(BM_PoissonSample)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace dpkit::train

BENCHMARK_MAIN();
