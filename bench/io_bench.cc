// io benchmarks: CSV parsing throughput (MB/s, rows/s), single- and multi-threaded, and
// marginal computation on msnbc (990k rows) for 1-, 2- and 3-way marginals.
//
// The numeric CSV (~150 MB, 12 columns: 6 int64 and 6 double with 2-6 decimals) is generated
// once into /tmp/dpkit_io_bench_numeric_v1.csv by the benchmark itself and reused by later runs.
// Parsing is timed from memory (the file is read once up front) so that the figure is the
// parser's, not the disk's; BM_ReadCsvFile includes the read from the page cache.
//
// The shared machine is usually loaded, so wall-clock figures understate what the code does.
// Each benchmark therefore also reports throughput per CPU-second of the whole process
// ("MB/cpu-s", "rows/cpu-s"), which is what "per core" means in the goals.
#include <sys/stat.h>
#include <time.h>

#include <cstdio>
#include <string>

#include "benchmark/benchmark.h"
#include "dpkit/base/env.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/encoded.h"
#include "dpkit/random/samplers.h"
#include "dpkit/random/seeded_rng.h"

namespace dpkit::io {
namespace {

constexpr char kNumericPath[] = "/tmp/dpkit_io_bench_numeric_v1.csv";
constexpr int64_t kNumericRows = 1'600'000;

double ProcessCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Adds per-CPU-second throughput counters; `cpu` is process CPU seconds spent in the loop.
void SetCpuCounters(benchmark::State& state, double cpu, double bytes_per_iter,
                    double rows_per_iter) {
  if (cpu <= 0) return;
  const double iters = static_cast<double>(state.iterations());
  if (bytes_per_iter > 0) state.counters["MB/cpu-s"] = bytes_per_iter * iters / 1e6 / cpu;
  if (rows_per_iter > 0) state.counters["Mrows/cpu-s"] = rows_per_iter * iters / 1e6 / cpu;
}

int64_t FileSize(const char* path) {
  struct stat st;
  return ::stat(path, &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

void EnsureNumericCsv() {
  static bool done = false;
  if (done) return;
  done = true;
  if (FileSize(kNumericPath) > 100'000'000) return;
  random::testing::SeededRng rng(2024);  // benchmark data only
  std::string out = "id,a,b,c,d,e,x,y,z,u,v,w\n";
  out.reserve(160'000'000);
  char buf[64];
  for (int64_t r = 0; r < kNumericRows; ++r) {
    out += std::to_string(r);
    for (int c = 0; c < 5; ++c) {
      out += ',';
      out += std::to_string(static_cast<int64_t>(random::UniformUint64(rng, 2'000'000)) - 1'000'000);
    }
    for (int c = 0; c < 6; ++c) {
      const double v = (static_cast<double>(random::UniformUint64(rng, 1'000'000'000)) - 5e8) / 1e4;
      std::snprintf(buf, sizeof(buf), ",%.*f", 2 + c % 5, v);
      out += buf;
    }
    out += '\n';
  }
  (void)Env::Default()->WriteFileAtomically(kNumericPath, out);
}

const std::string& NumericCsv() {
  static const std::string* data = [] {
    EnsureNumericCsv();
    auto s = Env::Default()->ReadFile(kNumericPath);
    return new std::string(s.ok() ? *s : std::string());
  }();
  return *data;
}

void BM_ReadCsvNumeric(benchmark::State& state) {
  const std::string& csv = NumericCsv();
  CsvReadOptions o;
  o.num_threads = static_cast<int>(state.range(0));
  int64_t rows = 0;
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    absl::StatusOr<Table> t = ReadCsvString(csv, o);
    if (!t.ok()) {
      state.SkipWithError(std::string(t.status().message()).c_str());
      return;
    }
    rows = t->num_rows();
    benchmark::DoNotOptimize(t->column(0).int64_values().data());
  }
  const double cpu = ProcessCpuSeconds() - cpu0;
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(csv.size()));
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MB"] = static_cast<double>(csv.size()) / 1e6;
  SetCpuCounters(state, cpu, static_cast<double>(csv.size()), static_cast<double>(rows));
}
BENCHMARK(BM_ReadCsvNumeric)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// With a schema (no inference): the typed fast path.
void BM_ReadCsvNumericWithSchema(benchmark::State& state) {
  const std::string& csv = NumericCsv();
  CsvReadOptions o;
  o.num_threads = static_cast<int>(state.range(0));
  Schema s;
  for (const char* n : {"id", "a", "b", "c", "d", "e"}) s.columns.push_back({n, DataType::kInt64});
  for (const char* n : {"x", "y", "z", "u", "v", "w"}) s.columns.push_back({n, DataType::kDouble});
  o.schema = s;
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    absl::StatusOr<Table> t = ReadCsvString(csv, o);
    if (!t.ok()) {
      state.SkipWithError(std::string(t.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(t->column(0).int64_values().data());
  }
  const double cpu = ProcessCpuSeconds() - cpu0;
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(csv.size()));
  SetCpuCounters(state, cpu, static_cast<double>(csv.size()), static_cast<double>(kNumericRows));
}
BENCHMARK(BM_ReadCsvNumericWithSchema)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ReadCsvFile(benchmark::State& state) {
  EnsureNumericCsv();
  CsvReadOptions o;
  o.num_threads = static_cast<int>(state.range(0));
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    absl::StatusOr<Table> t = ReadCsv(kNumericPath, o);
    if (!t.ok()) {
      state.SkipWithError(std::string(t.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(t->num_rows());
  }
  const double cpu = ProcessCpuSeconds() - cpu0;
  state.SetBytesProcessed(state.iterations() * FileSize(kNumericPath));
  SetCpuCounters(state, cpu, static_cast<double>(FileSize(kNumericPath)), 0);
}
BENCHMARK(BM_ReadCsvFile)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// Mixed text/numeric with leading spaces and '?' nulls: UCI adult.data, read 10x from memory.
void BM_ReadCsvAdult(benchmark::State& state) {
  auto raw = Env::Default()->ReadFile(std::string(DPKIT_SHARED_DATA_DIR) + "/adult-uci/adult.data");
  if (!raw.ok()) {
    state.SkipWithError("shared data not found");
    return;
  }
  std::string csv;
  for (int i = 0; i < 10; ++i) csv += *raw;
  CsvReadOptions o;
  o.has_header = false;
  o.null_tokens = {"?"};
  o.num_threads = static_cast<int>(state.range(0));
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    absl::StatusOr<Table> t = ReadCsvString(csv, o);
    if (!t.ok()) {
      state.SkipWithError(std::string(t.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(t->num_rows());
  }
  const double cpu = ProcessCpuSeconds() - cpu0;
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(csv.size()));
  state.counters["rows/s"] = benchmark::Counter(325610.0, benchmark::Counter::kIsIterationInvariantRate);
  SetCpuCounters(state, cpu, static_cast<double>(csv.size()), 325610.0);
}
BENCHMARK(BM_ReadCsvAdult)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_WriteCsvNumeric(benchmark::State& state) {
  CsvReadOptions o;
  o.max_rows = 400'000;
  absl::StatusOr<Table> t = ReadCsvString(NumericCsv(), o);
  if (!t.ok()) {
    state.SkipWithError("read failed");
    return;
  }
  size_t bytes = 0;
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    std::string s = WriteCsvString(*t);
    bytes = s.size();
    benchmark::DoNotOptimize(s.data());
  }
  const double cpu = ProcessCpuSeconds() - cpu0;
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  SetCpuCounters(state, cpu, static_cast<double>(bytes), 400000.0);
}
BENCHMARK(BM_WriteCsvNumeric)->Unit(benchmark::kMillisecond)->UseRealTime();

const EncodedTable* Msnbc() {
  static const EncodedTable* table = []() -> const EncodedTable* {
    const std::string dir = std::string(DPKIT_SHARED_DATA_DIR) + "/aim-benchmark/";
    auto d = LoadDomain(dir + "msnbc-domain.json");
    if (!d.ok()) return nullptr;
    auto t = ReadEncodedCsv(dir + "msnbc.csv.gz", *d);
    return t.ok() ? new EncodedTable(*std::move(t)) : nullptr;
  }();
  return table;
}

// Reading msnbc.csv.gz (gzip + parse + domain validation).
void BM_ReadEncodedMsnbcGz(benchmark::State& state) {
  const std::string dir = std::string(DPKIT_SHARED_DATA_DIR) + "/aim-benchmark/";
  auto d = LoadDomain(dir + "msnbc-domain.json");
  if (!d.ok()) {
    state.SkipWithError("shared data not found");
    return;
  }
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    auto t = ReadEncodedCsv(dir + "msnbc.csv.gz", *d, Env::Default(), static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(t.ok());
  }
  const double cpu = ProcessCpuSeconds() - cpu0;
  state.counters["rows/s"] = benchmark::Counter(989818.0, benchmark::Counter::kIsIterationInvariantRate);
  SetCpuCounters(state, cpu, 0, 989818.0);
}
BENCHMARK(BM_ReadEncodedMsnbcGz)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// args: number of attributes (1..3), threads.
void BM_MarginalMsnbc(benchmark::State& state) {
  const EncodedTable* t = Msnbc();
  if (t == nullptr) {
    state.SkipWithError("shared data not found");
    return;
  }
  std::vector<std::string> attrs;
  for (int i = 0; i < state.range(0); ++i) attrs.push_back(t->domain().name(i * 5));
  MarginalOptions o;
  o.num_threads = static_cast<int>(state.range(1));
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    auto m = ComputeMarginal(*t, attrs, o);
    benchmark::DoNotOptimize(m->counts().data());
  }
  const double cpu = ProcessCpuSeconds() - cpu0;
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(t->num_rows()),
                                                benchmark::Counter::kIsIterationInvariantRate);
  SetCpuCounters(state, cpu, 0, static_cast<double>(t->num_rows()));
}
BENCHMARK(BM_MarginalMsnbc)
    ->ArgsProduct({{1, 2, 3}, {1, 2}})
    ->ArgNames({"way", "threads"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace dpkit::io

BENCHMARK_MAIN();
