// PII benchmarks: free-text detection throughput, column scan, replacement and the sample
// generator. Run from a release build: build/<dir>/bench/pii_bench.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "dpkit/base/env.h"
#include "dpkit/pii/detectors.h"
#include "dpkit/pii/evaluate.h"
#include "dpkit/pii/replace.h"
#include "dpkit/pii/sample.h"
#include "dpkit/pii/scan.h"
#include "dpkit/random/seeded_rng.h"

namespace dpkit::pii {
namespace {

const std::vector<LabelledText>& Sentences() {
  static const auto* texts = [] {
    auto* v = new std::vector<LabelledText>();
    std::string path =
        std::string(DPKIT_SHARED_DATA_DIR) + "/pii-fakenamegenerator/synth_dataset_v2.json";
    if (Env::Default()->FileExists(path)) {
      auto loaded = LoadLabelledTexts(path);
      if (loaded.ok()) *v = *std::move(loaded);
    }
    return v;
  }();
  return *texts;
}

const io::Table& Customers() {
  static const io::Table* t = [] {
    random::testing::SeededRng rng(kDefaultSampleSeed);
    return new io::Table(*GenerateCustomers({.rows = 10000}, rng));
  }();
  return *t;
}

void BM_DetectSentences(benchmark::State& state) {
  const auto& texts = Sentences();
  if (texts.empty()) {
    state.SkipWithError("shared data not found");
    return;
  }
  int64_t bytes = 0;
  for (auto _ : state) {
    for (const auto& t : texts) {
      benchmark::DoNotOptimize(DetectEntities(t.text));
      bytes += static_cast<int64_t>(t.text.size());
    }
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(texts.size()));
}
BENCHMARK(BM_DetectSentences)->Unit(benchmark::kMillisecond);

void BM_GenerateCustomers10k(benchmark::State& state) {
  for (auto _ : state) {
    random::testing::SeededRng rng(kDefaultSampleSeed);
    benchmark::DoNotOptimize(GenerateCustomers({.rows = 10000}, rng));
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_GenerateCustomers10k)->Unit(benchmark::kMillisecond);

void BM_ScanCustomers10k(benchmark::State& state) {
  const io::Table& t = Customers();
  for (auto _ : state) benchmark::DoNotOptimize(ScanTable(t));
  state.SetItemsProcessed(state.iterations() * t.num_rows());
}
BENCHMARK(BM_ScanCustomers10k)->Unit(benchmark::kMillisecond);

void BM_ReplaceCustomers10k(benchmark::State& state) {
  const io::Table& t = Customers();
  PiiKey key = *PiiKey::FromBytes("6b8f0e3a9d2c4175e0b1a2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7");
  ReplaceOptions options;
  options.key = &key;
  for (auto _ : state) benchmark::DoNotOptimize(ReplacePii(t, options));
  state.SetItemsProcessed(state.iterations() * t.num_rows());
}
BENCHMARK(BM_ReplaceCustomers10k)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dpkit::pii

BENCHMARK_MAIN();
