// Census publication benchmarks (dpkit publish, issue #14): accuracy of the consistent tables
// against the true tables, side by side with the raw noisy tables (no consistency), and time.
//
//  - Accuracy/<dataset>/<rho>: the example specs (examples/publish/acs_*.json) on the NIST ACS
//    excerpts (../shared/data/nist-acs-excerpts: national2019, nation -> state -> PUMA; ma2019,
//    state -> PUMA) with the total budget set to rho in {0.1, 1, 10}. kTrials independent
//    releases: the exact tables are measured with discrete Gaussian noise (the plan's
//    mechanisms), then post-processed (TopDownEstimator). Counters, per level: <level>_mae, the
//    mean absolute error per cell of the published tables against the exact ones (all tables,
//    cells and units of the level, all trials); <level>_noisy, the same for the raw noisy
//    measurements; <level>_ratio = mae / noisy (below 1: consistency reduced the error).
//  - Release/<dataset>: one whole `Publish` at rho 1 (plan, header check, new ledger, charge,
//    read, measure, post-process, 200 error-bar replicates, write), 5 repetitions, process CPU;
//    min and median reported.
//  - Estimate/<dataset> and Measure/<dataset>: the post-processing alone vs the noise alone
//    (what independent noisy tables cost), paired by name.
//  - EstimateScale/<pumas per state>: the ACS example's tables over a generated US-sized
//    geography, 1 nation, 51 states and 51 x <pumas per state> PUMAs, 1M generated persons
//    (/tmp/dpkit_publish_bench_us_v1.csv, never committed): post-processing alone, and Measure
//    for the same plan as its pair.
// The data are read from ../shared/data, never copied; benchmarks skip when they are absent.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "dpkit/base/status.h"
#include "dpkit/publish/estimate.h"
#include "dpkit/publish/plan.h"
#include "dpkit/publish/publish.h"
#include "dpkit/random/samplers.h"
#include "dpkit/random/secure_rng.h"
#include "dpkit/random/seeded_rng.h"
#include "fmt/format.h"
#include "publish/data_tables.h"
#include "publish/measure.h"

namespace dpkit::publish {
namespace {

constexpr int kTrials = 200;
constexpr double kRhos[] = {0.1, 1, 10};
const char* const kDatasets[] = {"national2019", "ma2019"};

std::string DataPath(int dataset) {
  return std::string(DPKIT_SHARED_DATA_DIR) + "/nist-acs-excerpts/" + kDatasets[dataset] + ".csv";
}

absl::StatusOr<PublicationSpec> Spec(int dataset, double rho) {
  DPKIT_ASSIGN_OR_RETURN(PublicationSpec spec,
                         LoadSpec(std::string(DPKIT_SOURCE_DIR) + "/examples/publish/acs_" +
                                  kDatasets[dataset] + ".json"));
  spec.budget.rho = rho;
  return spec;
}

// A plan, its estimator and the exact tables, built once per (dataset, rho).
struct Setup {
  PublicationPlan plan;
  std::unique_ptr<TopDownEstimator> estimator;
  TableSet exact;
};

Setup* GetSetup(int dataset, double rho, benchmark::State& state) {
  static std::map<std::pair<int, double>, std::unique_ptr<Setup>> cache;
  auto& slot = cache[{dataset, rho}];
  if (slot) return slot.get();
  if (!std::filesystem::exists(DataPath(dataset))) {
    state.SkipWithError((DataPath(dataset) + " is absent").c_str());
    return nullptr;
  }
  absl::StatusOr<PublicationSpec> spec = Spec(dataset, rho);
  if (!spec.ok()) {
    state.SkipWithError(std::string(spec.status().message()).c_str());
    return nullptr;
  }
  auto setup = std::make_unique<Setup>();
  setup->plan = *PlanPublication(*spec, "bench", mechanisms::SecureNoise());
  setup->estimator = *TopDownEstimator::Create(setup->plan);
  random::SecureRng rng;  // person-level units: no bounding draws
  setup->exact = *CountTables(setup->plan, DataPath(dataset), rng);
  slot = std::move(setup);
  return slot.get();
}

// Sum of |a - b| and the number of cells, per level.
void AddErrors(const TableSet& a, const TableSet& b, std::vector<double>& sum,
               std::vector<double>& cells) {
  for (size_t l = 0; l < a.values.size(); ++l) {
    for (size_t t = 0; t < a.values[l].size(); ++t) {
      for (size_t i = 0; i < a.values[l][t].size(); ++i) {
        sum[l] += std::abs(a.values[l][t][i] - b.values[l][t][i]);
        cells[l] += 1;
      }
    }
  }
}

void BM_Accuracy(benchmark::State& state) {
  const int dataset = static_cast<int>(state.range(0));
  const double rho = kRhos[state.range(1)];
  Setup* s = GetSetup(dataset, rho, state);
  if (s == nullptr) return;
  const int levels = s->plan.geography.num_levels();
  random::SecureRng rng;
  for (auto _ : state) {
    std::vector<double> consistent(levels, 0), noisy(levels, 0), cells(levels, 0),
        unused(levels, 0);
    for (int trial = 0; trial < kTrials; ++trial) {
      const TableSet measured = Measure(s->plan, s->exact, rng);
      const TableSet released = *s->estimator->Estimate(measured);
      AddErrors(released, s->exact, consistent, cells);
      AddErrors(measured, s->exact, noisy, unused);
    }
    for (int l = 0; l < levels; ++l) {
      const std::string name = s->plan.geography.level_name(l);
      state.counters[name + "_mae"] = consistent[l] / cells[l];
      state.counters[name + "_noisy"] = noisy[l] / cells[l];
      state.counters[name + "_ratio"] = consistent[l] / noisy[l];
    }
  }
  state.SetLabel(std::string(kDatasets[dataset]) + " rho=" + std::to_string(rho));
}
BENCHMARK(BM_Accuracy)
    ->ArgsProduct({{0, 1}, {0, 1, 2}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_Release(benchmark::State& state) {
  const int dataset = static_cast<int>(state.range(0));
  if (!std::filesystem::exists(DataPath(dataset))) {
    state.SkipWithError((DataPath(dataset) + " is absent").c_str());
    return;
  }
  const PublicationSpec spec = *Spec(dataset, 1.0);
  const std::string out = (std::filesystem::temp_directory_path() / "dpkit_publish_bench").string();
  random::SecureRng rng;
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove_all(out);
    PublishOptions o;
    o.data = DataPath(dataset);
    o.out_dir = out;
    state.ResumeTiming();
    absl::StatusOr<PublishResult> r = Publish(spec, o, mechanisms::SecureNoise(), rng);
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
  }
  std::filesystem::remove_all(out);
  state.SetLabel(kDatasets[dataset]);
}
BENCHMARK(BM_Release)
    ->DenseRange(0, 1)
    ->Repetitions(5)
    ->ComputeStatistics("min",
                        [](const std::vector<double>& v) {
                          return *std::min_element(v.begin(), v.end());
                        })
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_Estimate(benchmark::State& state) {
  Setup* s = GetSetup(static_cast<int>(state.range(0)), 1.0, state);
  if (s == nullptr) return;
  random::SecureRng rng;
  const TableSet measured = Measure(s->plan, s->exact, rng);
  for (auto _ : state) benchmark::DoNotOptimize(s->estimator->Estimate(measured));
  state.SetLabel(kDatasets[state.range(0)]);
}
BENCHMARK(BM_Estimate)->DenseRange(0, 1)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

void BM_Measure(benchmark::State& state) {
  Setup* s = GetSetup(static_cast<int>(state.range(0)), 1.0, state);
  if (s == nullptr) return;
  random::SecureRng rng;
  for (auto _ : state) benchmark::DoNotOptimize(Measure(s->plan, s->exact, rng));
  state.SetLabel(kDatasets[state.range(0)]);
}
BENCHMARK(BM_Measure)->DenseRange(0, 1)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

// A US-sized geography: 51 states with `pumas` PUMAs each, 1M random persons over them.
Setup* ScaleSetup(int pumas, benchmark::State& state) {
  static std::map<int, std::unique_ptr<Setup>> cache;
  auto& slot = cache[pumas];
  if (slot) return slot.get();
  absl::StatusOr<PublicationSpec> spec = Spec(0, 1.0);
  if (!spec.ok()) {
    state.SkipWithError(std::string(spec.status().message()).c_str());
    return nullptr;
  }
  spec->geography.codes.clear();
  for (int s = 1; s <= 51; ++s) {
    for (int p = 1; p <= pumas; ++p)
      spec->geography.codes.push_back(fmt::format("{:02d}-{:05d}", s, p));
  }
  const std::string path = fmt::format("/tmp/dpkit_publish_bench_us_v1_{}.csv", pumas);
  if (!std::filesystem::exists(path)) {
    random::testing::SeededRng rng(1);
    std::string csv = "PUMA,SEX,AGEP,RAC1P,HISP,EDU,OWN_RENT\n";
    for (int i = 0; i < 1'000'000; ++i) {
      csv += fmt::format("{},{},{},{},{},{},{}\n",
                         spec->geography.codes[random::UniformInt(rng, 0, 51 * pumas - 1)],
                         random::UniformInt(rng, 1, 2), random::UniformInt(rng, 0, 95),
                         random::UniformInt(rng, 1, 9), random::UniformInt(rng, 0, 4),
                         random::UniformInt(rng, 1, 12), random::UniformInt(rng, 0, 2));
    }
    if (!Env::Default()->WriteFileAtomically(path, csv).ok()) std::abort();
  }
  auto setup = std::make_unique<Setup>();
  setup->plan = *PlanPublication(*spec, "bench", mechanisms::SecureNoise());
  setup->estimator = *TopDownEstimator::Create(setup->plan);
  random::SecureRng rng;
  setup->exact = *CountTables(setup->plan, path, rng);
  slot = std::move(setup);
  return slot.get();
}

void BM_EstimateScale(benchmark::State& state) {
  Setup* s = ScaleSetup(static_cast<int>(state.range(0)), state);
  if (s == nullptr) return;
  random::SecureRng rng;
  const TableSet measured = Measure(s->plan, s->exact, rng);
  for (auto _ : state) benchmark::DoNotOptimize(s->estimator->Estimate(measured));
  state.counters["pumas"] = s->plan.geography.num_units(2);
}
BENCHMARK(BM_EstimateScale)
    ->Arg(5)
    ->Arg(50)
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

void BM_MeasureScale(benchmark::State& state) {
  Setup* s = ScaleSetup(static_cast<int>(state.range(0)), state);
  if (s == nullptr) return;
  random::SecureRng rng;
  for (auto _ : state) benchmark::DoNotOptimize(Measure(s->plan, s->exact, rng));
}
BENCHMARK(BM_MeasureScale)->Arg(5)->Arg(50)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dpkit::publish

BENCHMARK_MAIN();
