// Synthetic-data micro-benchmarks: inference (mirror descent on a junction tree), model
// marginals, and sampling throughput, on adult (48,842 rows, 14 attributes) from
// ../shared/data/aim-benchmark; AIM end to end on adult (process CPU time, workload error over
// all 3-way marginals as counter "error"). Environment for experiments: SYNTH_BENCH_PROGRESS=1
// prints AIM's progress lines; SYNTH_BENCH_ITERS, SYNTH_BENCH_TOL, SYNTH_BENCH_ROUND_ITERS,
// SYNTH_BENCH_MB, SYNTH_BENCH_ROUNDS, SYNTH_BENCH_ONEWAY_REL, SYNTH_BENCH_ONEWAY_SHARE override
// the final-fit iterations and tolerance, the per-round iterations, the model-size limit (MiB),
// T and the 1-way top-up (AimOptions).
// End-to-end comparisons with Private-PGM: bench/synth_peer.sh.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "dpkit/accounting/zcdp.h"
#include "dpkit/io/encoded.h"
#include "dpkit/random/secure_rng.h"
#include "dpkit/random/seeded_rng.h"
#include "dpkit/synth/mechanisms.h"

namespace dpkit::synth {
namespace {

const EncodedData* Adult() {
  static const EncodedData* data = [] {
    const std::string dir = std::string(DPKIT_SHARED_DATA_DIR) + "/aim-benchmark/";
    auto domain = io::LoadDomain(dir + "adult-domain.json");
    if (!domain.ok()) return static_cast<EncodedData*>(nullptr);
    auto t = io::ReadEncodedCsv(dir + "adult.csv", *domain);
    if (!t.ok()) return static_cast<EncodedData*>(nullptr);
    auto* d = new EncodedData;
    d->names = t->domain().names();
    for (int64_t s : t->domain().sizes()) d->domain.push_back(static_cast<int>(s));
    for (int a = 0; a < t->num_attributes(); ++a) d->columns.push_back(t->column(a));
    return d;
  }();
  return data;
}

void BM_MstAdult(benchmark::State& state) {
  const EncodedData* data = Adult();
  if (data == nullptr) return state.SkipWithError("adult data not found");
  random::testing::SeededRng rng(1);
  MstOptions o;
  o.rho = *accounting::ZcdpRhoForEpsilon(1.0, 1e-9);
  for (auto _ : state) benchmark::DoNotOptimize(FitMst(*data, o, rng));
}
BENCHMARK(BM_MstAdult)->Unit(benchmark::kMillisecond)->Iterations(3);

// AIM with default options on adult; args: epsilon * 10, seed of the (insecure, reproducible)
// noise. Counters: workload error (mean L1 of normalised 3-way marginals, 48,842 rows sampled),
// rounds, final model cells, the final fit's loss and iterations.
void BM_AimAdult(benchmark::State& state) {
  const EncodedData* data = Adult();
  if (data == nullptr) return state.SkipWithError("adult data not found");
  const double eps = state.range(0) / 10.0;
  AimOptions o;
  o.rho = *accounting::ZcdpRhoForEpsilon(eps, 1e-9);
  if (std::getenv("SYNTH_BENCH_PROGRESS") != nullptr) {
    o.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  }
  if (const char* v = std::getenv("SYNTH_BENCH_ITERS")) o.inference.max_iters = std::atoi(v);
  if (const char* v = std::getenv("SYNTH_BENCH_TOL")) o.inference.tolerance = std::atof(v);
  if (const char* v = std::getenv("SYNTH_BENCH_ROUND_ITERS")) o.round_iters = std::atoi(v);
  if (const char* v = std::getenv("SYNTH_BENCH_MB")) o.max_model_mb = std::atof(v);
  if (const char* v = std::getenv("SYNTH_BENCH_ONEWAY_REL")) o.oneway_rel_sigma = std::atof(v);
  if (const char* v = std::getenv("SYNTH_BENCH_ONEWAY_SHARE")) o.oneway_max_share = std::atof(v);
  if (const char* v = std::getenv("SYNTH_BENCH_ROUNDS")) o.rounds = std::atoi(v);
  double error = 0, rounds = 0, cells = 0, loss = 0, iters = 0;
  for (auto _ : state) {
    random::testing::SeededRng rng(state.range(1));
    auto r = FitAim(*data, o, rng);
    if (!r.ok()) return state.SkipWithError(std::string(r.status().message()).c_str());
    state.PauseTiming();
    random::testing::SeededRng sample_rng(state.range(1) + 1000);
    auto synth = r->model.SampleData(data->num_rows(), sample_rng, data->names);
    if (!synth.ok()) return state.SkipWithError("sampling failed");
    error = *WorkloadError(*data, *synth, AllKWay(data->num_attrs(), 3));
    rounds = r->report.rounds;
    cells = static_cast<double>(r->report.model_cells);
    loss = r->model.graphical_model().loss();
    iters = r->model.graphical_model().iterations();
    state.ResumeTiming();
  }
  state.counters["error"] = error;
  state.counters["rounds"] = rounds;
  state.counters["cells"] = cells;
  state.counters["loss"] = loss;    // final fit's loss and iterations
  state.counters["iters"] = iters;
}
BENCHMARK(BM_AimAdult)
    ->ArgsProduct({{3, 10, 30, 100}, {1, 2, 3, 4, 5}})
    ->ArgsProduct({{10}, {6, 7, 8, 9, 10}})
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->MeasureProcessCPUTime();

void BM_InferenceIterationsAdultTree(benchmark::State& state) {
  const EncodedData* data = Adult();
  if (data == nullptr) return state.SkipWithError("adult data not found");
  std::vector<Measurement> ms;
  for (int a = 0; a < 14; ++a) ms.push_back({{a}, ComputeMarginal(*data, {a}), 10.0, {}});
  for (int a = 0; a + 1 < 14; ++a) {
    ms.push_back({{a, a + 1}, ComputeMarginal(*data, {a, a + 1}), 10.0, {}});
  }
  InferenceOptions o;
  o.max_iters = 100;
  o.tolerance = 0;
  for (auto _ : state) benchmark::DoNotOptimize(GraphicalModel::Fit(data->domain, ms, o));
  state.SetItemsProcessed(state.iterations() * 100);  // items = mirror-descent iterations
}
BENCHMARK(BM_InferenceIterationsAdultTree)->Unit(benchmark::kMillisecond);

void BM_SampleRows(benchmark::State& state) {
  const EncodedData* data = Adult();
  if (data == nullptr) return state.SkipWithError("adult data not found");
  random::testing::SeededRng fit_rng(1);
  MstOptions o;
  o.rho = 1.0;
  auto r = FitMst(*data, o, fit_rng);
  random::SecureRng rng;
  const int64_t rows = 1'000'000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(r->model.Sample(
        rows, rng, [](const std::vector<std::vector<int32_t>>&, int64_t) {
          return absl::OkStatus();
        }));
  }
  state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_SampleRows)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
}  // namespace dpkit::synth
BENCHMARK_MAIN();
