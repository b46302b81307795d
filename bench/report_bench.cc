// Report timing on a 50k-row x 20-column table (10 numeric, 10 categorical, correlated), real vs
// synthetic (an independent sample of the same population) with a 50k-row holdout.
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "dpkit/random/samplers.h"
#include "dpkit/random/seeded_rng.h"
#include "dpkit/report/evaluation.h"
#include "dpkit/report/render.h"

namespace {

using dpkit::report::TextTable;

TextTable Make(uint64_t seed, int rows) {
  dpkit::random::testing::SeededRng rng(seed);
  TextTable t;
  t.source = absl::StrCat("gen", seed);
  for (int c = 0; c < 10; ++c) t.names.push_back(absl::StrCat("num", c));
  for (int c = 0; c < 10; ++c) t.names.push_back(absl::StrCat("cat", c));
  t.columns.resize(20);
  for (int r = 0; r < rows; ++r) {
    const int z = static_cast<int>(dpkit::random::UniformUint64(rng, 1000));
    for (int c = 0; c < 10; ++c) {
      const int noise = static_cast<int>(dpkit::random::UniformUint64(rng, 500));
      t.columns[c].push_back(absl::StrCat((z * (c + 1)) % 997 + noise, ".", c));
    }
    for (int c = 0; c < 10; ++c) {
      const int levels = 3 + 4 * c;
      const int v = (z / 50 + static_cast<int>(dpkit::random::UniformUint64(rng, 3))) % levels;
      t.columns[10 + c].push_back(absl::StrCat("v", v));
    }
  }
  return t;
}

void BM_Evaluate50kx20(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  const TextTable real = Make(1, rows), syn = Make(2, rows), hold = Make(3, rows);
  dpkit::report::EvaluationOptions o;
  o.target = "cat1";
  dpkit::random::testing::SeededRng rng(9);
  for (auto _ : state) {
    auto ev = dpkit::report::Evaluate(real, syn, &hold, o, rng);
    if (!ev.ok()) state.SkipWithError(std::string(ev.status().message()).c_str());
    benchmark::DoNotOptimize(ev);
  }
  state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_Evaluate50kx20)->Arg(50000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_RenderHtml(benchmark::State& state) {
  const TextTable real = Make(1, 50000), syn = Make(2, 50000);
  dpkit::report::EvaluationOptions o;
  o.target = "cat1";
  dpkit::random::testing::SeededRng rng(9);
  auto ev = dpkit::report::Evaluate(real, syn, nullptr, o, rng);
  for (auto _ : state) {
    std::string html = dpkit::report::RenderHtml(*ev, nullptr);
    std::string json = dpkit::report::RenderJson(*ev, nullptr);
    benchmark::DoNotOptimize(html);
    state.counters["html_bytes"] = static_cast<double>(html.size());
  }
}
BENCHMARK(BM_RenderHtml)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
