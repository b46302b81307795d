// Analytics benchmarks (issue #4): DP grouped aggregates vs a plain non-private scan of the same
// data, timed pair by pair in the same process, plus quantile accuracy.
//
//  - Synthetic10M_*: a generated 10M-row table (uid int64 with ~1M users and ~10 rows each, grp
//    string with 100 values, value double in [0, 1000] with 2 decimals), built in memory once.
//    Each user has a "home" group that gets ~70% of their rows, so MAX_GROUPS/MAX_ROWS bounding
//    (L0 = 3, Linf = 5) really drops rows. The DP side is analytics::RunQuery (COUNT(*), SUM,
//    AVG grouped by grp, privacy unit uid), with public keys or with private partition
//    selection; the plain side is PlainScan below: a tight, dictionary-code-indexed grouped
//    count/sum/mean (what a good columnar engine does), with the same thread count.
//  - Csv10M_EndToEnd: the same table written once to /tmp/dpkit_analytics_bench_10m_v2.csv
//    (never committed); io::ReadCsv + query vs io::ReadCsv + plain scan, MB/s of CSV.
//  - Msnbc_*: msnbc.csv.gz (990k rows x 16 integer codes, no privacy unit: rows are units),
//    grouped count over one column and a 2-column contingency table, public keys from
//    msnbc-domain.json. The table is read once (not timed).
//  - QuantileAccuracy: Adult (adult.data) age / hours-per-week, median and p90, each released
//    alone at epsilon = 1 (rows are units, bounds [0, 100]), repeated kAccuracyRuns times:
//    mean absolute error vs the true value (numpy's default linear-interpolation quantile),
//    coverage of the 95% CI, mean CI width. bench/analytics_peer.sh prints these next to a peer.
//
// The DP side is the whole release protocol (analytics::RunQuery): plan, a durable charge to a
// real SQLite ledger (a bench ledger under /tmp, budgets large enough for every run), execute.
// QuantileAccuracy samples the execute step alone (ExecuteQuery): it measures accuracy.
//
// Paired benchmarks run the plain and the DP side alternately in every iteration (order swapped
// every other iteration) and report medians: plain_ms, dp_ms, Mrows/s for each, and the medians
// of the per-pair ratios dp/plain of wall time (ratio) and of process CPU time (ratio_cpu). The
// shared machine is usually loaded: quote ratios, and CPU-time ratios when the load is high.
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "dpkit/analytics/query.h"
#include "dpkit/base/env.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/schema.h"
#include "dpkit/random/samplers.h"
#include "dpkit/release/release.h"
#include "dpkit/random/seeded_rng.h"
#include "nlohmann/json.hpp"

namespace dpkit::analytics {
namespace {

constexpr int64_t kRows = 10'000'000;
constexpr int64_t kUsers = 1'000'000;
constexpr int kGroups = 100;
constexpr char kCsvPath[] = "/tmp/dpkit_analytics_bench_10m_v2.csv";
constexpr int kAccuracyRuns = 200;

double ProcessCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// ---- data ----

struct Synthetic {
  io::Table table;
  io::Schema schema;  // privacy unit uid, value bounds [0, 1000], grp categories (public keys)
  std::vector<std::string> group_names;
};

const Synthetic& SyntheticData() {
  static const Synthetic* data = [] {
    auto* s = new Synthetic;
    random::testing::SeededRng rng(4);  // benchmark data only, not privacy noise
    std::vector<int64_t> home(kUsers);
    for (auto& h : home) h = static_cast<int64_t>(random::UniformUint64(rng, kGroups));
    std::vector<int64_t> uid(kRows);
    std::vector<int32_t> grp(kRows);
    std::vector<double> value(kRows);
    for (int64_t r = 0; r < kRows; ++r) {
      const int64_t u = static_cast<int64_t>(random::UniformUint64(rng, kUsers));
      uid[r] = 10'000'000 + 37 * u;
      grp[r] = static_cast<int32_t>(random::UniformUint64(rng, 10) < 7
                                        ? home[u]
                                        : random::UniformUint64(rng, kGroups));
      value[r] = static_cast<double>(random::UniformUint64(rng, 100'001)) / 100.0;
    }
    char buf[16];
    for (int g = 0; g < kGroups; ++g) {
      std::snprintf(buf, sizeof(buf), "g%02d", g);
      s->group_names.push_back(buf);
    }
    std::vector<io::Column> cols;
    cols.push_back(io::Column::Int64("uid", std::move(uid)));
    cols.push_back(*io::Column::StringFromCodes("grp", std::move(grp), s->group_names));
    cols.push_back(io::Column::Double("value", std::move(value)));
    s->table = *io::Table::Make(std::move(cols));
    s->schema.privacy_unit = "uid";
    io::ColumnSchema c_uid{"uid", io::DataType::kInt64};
    io::ColumnSchema c_grp{"grp", io::DataType::kString};
    c_grp.categories = s->group_names;
    io::ColumnSchema c_val{"value", io::DataType::kDouble};
    c_val.lower = 0;
    c_val.upper = 1000;
    s->schema.columns = {c_uid, c_grp, c_val};
    return s;
  }();
  return *data;
}

// Writes the synthetic table to kCsvPath once (reused by later runs when present and complete).
bool EnsureCsv() {
  struct stat st;  // written atomically (temporary file + rename), so a present file is whole
  if (::stat(kCsvPath, &st) == 0 && st.st_size > 100'000'000) return true;
  return io::WriteCsv(SyntheticData().table, kCsvPath).ok();
}

struct Msnbc {
  io::Table table;
  io::Schema schema;
  std::vector<std::string> keys;  // "0".."17" from the domain file
  int64_t csv_bytes = 0;
  std::string error;
};

const Msnbc& MsnbcData() {
  static const Msnbc* data = [] {
    auto* m = new Msnbc;
    const std::string dir = std::string(DPKIT_SHARED_DATA_DIR) + "/aim-benchmark/";
    io::CsvReadStats stats;
    auto t = io::ReadCsv(dir + "msnbc.csv.gz", {}, Env::Default(), &stats);
    auto dom = Env::Default()->ReadFile(dir + "msnbc-domain.json");
    if (!t.ok() || !dom.ok()) {
      m->error = "msnbc not found under " + dir;
      return m;
    }
    m->table = std::move(*t);
    m->csv_bytes = stats.bytes;
    const int card = nlohmann::json::parse(*dom).at("site_0").get<int>();
    for (int k = 0; k < card; ++k) m->keys.push_back(std::to_string(k));
    for (const auto& name : m->table.ColumnNames()) {
      io::ColumnSchema c{name, io::DataType::kInt64};
      c.categories = m->keys;
      m->schema.columns.push_back(c);
    }
    return m;
  }();
  return *data;
}

// ---- the plain, non-private reference ----

struct PlainGroup {
  std::string key;
  int64_t count = 0;
  double sum = 0;
  double mean = 0;
};

// Grouped COUNT(*), SUM(v), AVG(v) (v < 0: counts only) over string columns (dictionary codes)
// and small-range integer columns, keyed by a mixed-radix dense code, one array per thread.
std::vector<PlainGroup> PlainScan(const io::Table& t, const std::vector<int>& gcols, int vcol,
                                  int threads) {
  const int64_t n = t.num_rows();
  struct Dim {
    const io::Column* c;
    int64_t min = 0, card = 0;  // codes 0 = null, 1.. = values
  };
  std::vector<Dim> dims;
  int64_t domain = 1;
  for (int gi : gcols) {
    Dim d{&t.column(gi)};
    if (d.c->type() == io::DataType::kString) {
      d.card = static_cast<int64_t>(d.c->dictionary().size()) + 1;
    } else {
      const auto& v = d.c->int64_values();
      auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      d.min = *lo;
      d.card = *hi - *lo + 2;
    }
    domain *= d.card;
    dims.push_back(d);
  }
  if (domain > (1 << 24)) std::abort();  // not a case this benchmark runs
  auto code = [&](const Dim& d, int64_t r) -> int64_t {
    if (d.c->IsNull(r)) return 0;
    if (d.c->type() == io::DataType::kString) return d.c->codes()[r] + 1;
    return d.c->int64_values()[r] - d.min + 1;
  };
  const io::Column* vc = vcol >= 0 ? &t.column(vcol) : nullptr;
  const double* vals = vc ? vc->double_values().data() : nullptr;
  threads = std::max(1, threads);
  std::vector<std::vector<int64_t>> counts(threads, std::vector<int64_t>(domain, 0));
  std::vector<std::vector<int64_t>> vcounts(threads, std::vector<int64_t>(vc ? domain : 0, 0));
  std::vector<std::vector<double>> sums(threads, std::vector<double>(vc ? domain : 0, 0.0));
  auto work = [&](int th) {
    int64_t* cnt = counts[th].data();
    int64_t* vcnt = vcounts[th].data();
    double* sum = sums[th].data();
    const int64_t begin = n * th / threads, end = n * (th + 1) / threads;
    for (int64_t r = begin; r < end; ++r) {
      int64_t k = 0;
      for (const Dim& d : dims) k = k * d.card + code(d, r);
      ++cnt[k];
      if (vc && !vc->IsNull(r)) {
        ++vcnt[k];
        sum[k] += vals[r];
      }
    }
  };
  std::vector<std::thread> pool;
  for (int th = 1; th < threads; ++th) pool.emplace_back(work, th);
  work(0);
  for (auto& p : pool) p.join();
  std::vector<PlainGroup> out;
  for (int64_t k = 0; k < domain; ++k) {
    PlainGroup g;
    int64_t vn = 0;
    for (int th = 0; th < threads; ++th) {
      g.count += counts[th][k];
      if (vc) {
        vn += vcounts[th][k];
        g.sum += sums[th][k];
      }
    }
    if (g.count == 0) continue;
    g.mean = vn > 0 ? g.sum / static_cast<double>(vn) : 0.0;
    int64_t rest = k;
    std::vector<std::string> parts(dims.size());
    for (size_t i = dims.size(); i-- > 0;) {
      const int64_t c = rest % dims[i].card;
      rest /= dims[i].card;
      if (c == 0) {
        parts[i] = "NULL";
      } else if (dims[i].c->type() == io::DataType::kString) {
        parts[i] = dims[i].c->dictionary()[c - 1];
      } else {
        parts[i] = std::to_string(dims[i].min + c - 1);
      }
    }
    for (size_t i = 0; i < parts.size(); ++i) g.key += (i ? "," : "") + parts[i];
    out.push_back(std::move(g));
  }
  return out;
}

// Exact per-group quantiles (nth_element), the plain reference for DP quantiles.
std::vector<double> PlainQuantiles(const io::Table& t, int gcol, int vcol,
                                   const std::vector<double>& qs) {
  const io::Column& g = t.column(gcol);
  const auto& codes = g.codes();
  const auto& v = t.column(vcol).double_values();
  std::vector<std::vector<double>> per(g.dictionary().size());
  for (int64_t r = 0; r < t.num_rows(); ++r) per[codes[r]].push_back(v[r]);
  std::vector<double> out;
  for (auto& p : per) {
    for (double q : qs) {
      if (p.empty()) continue;
      auto it = p.begin() + static_cast<int64_t>(q * static_cast<double>(p.size() - 1));
      std::nth_element(p.begin(), it, p.end());
      out.push_back(*it);
    }
  }
  return out;
}

// ---- paired timing ----

void RunPaired(benchmark::State& state, double rows, double bytes,
               const std::function<bool()>& plain, const std::function<bool()>& dp) {
  std::vector<double> pw, dw, pc, dc, rw, rc;
  bool swap = false;
  for (auto _ : state) {
    double w[2] = {0, 0}, c[2] = {0, 0};
    for (int k = 0; k < 2; ++k) {
      const int which = swap ? 1 - k : k;  // 0 = plain, 1 = dp
      const double w0 = WallSeconds(), c0 = ProcessCpuSeconds();
      const bool ok = which == 0 ? plain() : dp();
      w[which] = WallSeconds() - w0;
      c[which] = ProcessCpuSeconds() - c0;
      if (!ok) {
        state.SkipWithError(which == 0 ? "plain scan failed" : "DP query failed");
        return;
      }
    }
    swap = !swap;
    pw.push_back(w[0]);
    dw.push_back(w[1]);
    pc.push_back(c[0]);
    dc.push_back(c[1]);
    rw.push_back(w[1] / w[0]);
    rc.push_back(c[1] / std::max(c[0], 1e-9));
  }
  const double mp = Median(pw), md = Median(dw);
  state.counters["plain_ms"] = 1e3 * mp;
  state.counters["dp_ms"] = 1e3 * md;
  state.counters["plain_cpu_ms"] = 1e3 * Median(pc);
  state.counters["dp_cpu_ms"] = 1e3 * Median(dc);
  state.counters["ratio"] = Median(rw);
  state.counters["ratio_cpu"] = Median(rc);
  state.counters["plain_Mrows/s"] = rows / mp / 1e6;
  state.counters["dp_Mrows/s"] = rows / md / 1e6;
  if (bytes > 0) {
    state.counters["plain_MB/s"] = bytes / mp / 1e6;
    state.counters["dp_MB/s"] = bytes / md / 1e6;
  }
}

QuerySpec CountSumMean(const std::string& group, const std::string& value) {
  QuerySpec spec;
  spec.table_name = "t";
  spec.group_by = {group};
  spec.aggregates = {{AggregateFunction::kCount},
                     {AggregateFunction::kSum, value},
                     {AggregateFunction::kMean, value}};
  spec.epsilon = 1.0;
  spec.max_groups_per_unit = 3;
  spec.max_rows_per_group = 5;
  return spec;
}

bool CheckPlain(const std::vector<PlainGroup>& g) {
  benchmark::DoNotOptimize(g.data());
  return !g.empty();
}

// The bench ledger: a budget per table the benchmarks query ("t" per uid, "msnbc" per row).
release::Charger& BenchLedger() {
  static release::LedgerCharger* charger = [] {
    const std::string path = "/tmp/dpkit_analytics_bench_ledger.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    const ledger::Budget budget = ledger::Budget::EpsilonDelta(1000, 0.01);
    auto c = release::LedgerCharger::CreateNew(path, {"t", "uid"}, budget,
                                               accounting::AccountantKind::kBasic, {});
    if (!c.ok() || !(*c)->ledger().CreateBudget("msnbc", ledger::kRowLevelUnit, budget,
                                                accounting::AccountantKind::kBasic).ok()) {
      std::fprintf(stderr, "bench ledger: %s\n", std::string(c.status().message()).c_str());
      std::abort();
    }
    return c->release();
  }();
  return *charger;
}

bool RunDp(const io::Table& t, const io::Schema& schema, const QuerySpec& spec, int threads,
           random::BitGenerator& rng, size_t expect_rows_at_least) {
  ExecutionOptions o;
  o.rng = &rng;
  o.threads = threads;
  auto r = RunQuery(t, schema, spec, spec.table_name, BenchLedger(), o);
  if (!r.ok()) {
    std::fprintf(stderr, "RunQuery: %s\n", std::string(r.status().message()).c_str());
    return false;
  }
  benchmark::DoNotOptimize(r->rows.data());
  return r->rows.size() >= expect_rows_at_least;
}

// ---- 10M rows, in memory ----

void BM_Synthetic10M_CountSumMean_PublicKeys(benchmark::State& state) {
  const Synthetic& s = SyntheticData();
  const int threads = static_cast<int>(state.range(0));
  QuerySpec spec = CountSumMean("grp", "value");  // keys public through the schema categories
  random::testing::SeededRng rng(1);
  RunPaired(
      state, kRows, 0, [&] { return CheckPlain(PlainScan(s.table, {1}, 2, threads)); },
      [&] { return RunDp(s.table, s.schema, spec, threads, rng, kGroups); });
}
BENCHMARK(BM_Synthetic10M_CountSumMean_PublicKeys)
    ->Arg(1)->Arg(2)->Iterations(5)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Synthetic10M_CountSumMean_PrivatePartitions(benchmark::State& state) {
  const Synthetic& s = SyntheticData();
  const int threads = static_cast<int>(state.range(0));
  io::Schema schema = s.schema;
  schema.columns[1].categories.clear();  // keys not public: selected privately
  QuerySpec spec = CountSumMean("grp", "value");
  spec.delta = 1e-6;
  random::testing::SeededRng rng(2);
  RunPaired(
      state, kRows, 0, [&] { return CheckPlain(PlainScan(s.table, {1}, 2, threads)); },
      [&] { return RunDp(s.table, schema, spec, threads, rng, kGroups); });
}
BENCHMARK(BM_Synthetic10M_CountSumMean_PrivatePartitions)
    ->Arg(1)->Arg(2)->Iterations(5)->Unit(benchmark::kMillisecond)->UseRealTime();

// Median and p90 of value per group (one quantile tree) vs exact per-group nth_element.
void BM_Synthetic10M_MedianP90(benchmark::State& state) {
  const Synthetic& s = SyntheticData();
  const int threads = static_cast<int>(state.range(0));
  QuerySpec spec;
  spec.table_name = "t";
  spec.group_by = {"grp"};
  spec.aggregates = {{AggregateFunction::kQuantile, "value"}, {AggregateFunction::kQuantile, "value"}};
  spec.aggregates[0].quantile = 0.5;
  spec.aggregates[1].quantile = 0.9;
  spec.epsilon = 1.0;
  spec.max_groups_per_unit = 3;
  spec.max_rows_per_group = 5;
  random::testing::SeededRng rng(3);
  RunPaired(
      state, kRows, 0,
      [&] {
        auto q = PlainQuantiles(s.table, 1, 2, {0.5, 0.9});
        benchmark::DoNotOptimize(q.data());
        return !q.empty();
      },
      [&] { return RunDp(s.table, s.schema, spec, threads, rng, kGroups); });
}
BENCHMARK(BM_Synthetic10M_MedianP90)
    ->Arg(2)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- 10M rows, end to end from CSV ----

void BM_Csv10M_EndToEnd(benchmark::State& state) {
  if (!EnsureCsv()) {
    state.SkipWithError("could not write the benchmark CSV under /tmp");
    return;
  }
  const Synthetic& s = SyntheticData();
  const int threads = static_cast<int>(state.range(0));
  io::CsvReadOptions ro;
  ro.schema = s.schema;
  ro.num_threads = threads;
  QuerySpec spec = CountSumMean("grp", "value");
  random::testing::SeededRng rng(5);
  io::CsvReadStats stats;
  (void)io::ReadCsv(kCsvPath, ro, Env::Default(), &stats);  // warms the page cache
  auto read = [&]() -> absl::StatusOr<io::Table> { return io::ReadCsv(kCsvPath, ro); };
  RunPaired(
      state, kRows, static_cast<double>(stats.bytes),
      [&] {
        auto t = read();
        return t.ok() && CheckPlain(PlainScan(*t, {1}, 2, threads));
      },
      [&] {
        auto t = read();
        return t.ok() && RunDp(*t, s.schema, spec, threads, rng, kGroups);
      });
}
BENCHMARK(BM_Csv10M_EndToEnd)->Arg(2)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- msnbc ----

void MsnbcPaired(benchmark::State& state, const std::vector<std::string>& group_by) {
  const Msnbc& m = MsnbcData();
  if (!m.error.empty()) {
    state.SkipWithError(m.error.c_str());
    return;
  }
  const int threads = static_cast<int>(state.range(0));
  std::vector<int> gcols;
  for (const auto& g : group_by) gcols.push_back(*m.table.ColumnIndex(g));
  QuerySpec spec;
  spec.table_name = "msnbc";
  spec.group_by = group_by;
  spec.aggregates = {{AggregateFunction::kCount}};
  spec.epsilon = 1.0;
  random::testing::SeededRng rng(6);
  size_t cells = 1;
  for (size_t i = 0; i < group_by.size(); ++i) cells *= m.keys.size();
  RunPaired(
      state, static_cast<double>(m.table.num_rows()), static_cast<double>(m.csv_bytes),
      [&] { return CheckPlain(PlainScan(m.table, gcols, -1, threads)); },
      [&] { return RunDp(m.table, m.schema, spec, threads, rng, cells); });
}

void BM_Msnbc_Count1(benchmark::State& state) { MsnbcPaired(state, {"site_0"}); }
BENCHMARK(BM_Msnbc_Count1)->Arg(1)->Arg(2)->Iterations(20)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Msnbc_Contingency2(benchmark::State& state) { MsnbcPaired(state, {"site_0", "site_1"}); }
BENCHMARK(BM_Msnbc_Contingency2)
    ->Arg(1)->Arg(2)->Iterations(20)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- quantile accuracy ----

// numpy.quantile's default (linear interpolation between order statistics).
double TrueQuantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double h = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// Args: column (0 = age, 1 = hours-per-week), quantile in percent.
void BM_QuantileAccuracy_Adult(benchmark::State& state) {
  const std::string column = state.range(0) == 0 ? "age" : "hours-per-week";
  const double q = static_cast<double>(state.range(1)) / 100.0;
  io::CsvReadOptions ro;
  ro.has_header = false;
  ro.column_names = {"age", "workclass", "fnlwgt", "education", "education-num",
                     "marital-status", "occupation", "relationship", "race", "sex",
                     "capital-gain", "capital-loss", "hours-per-week", "native-country",
                     "income"};
  ro.null_tokens = {"?"};
  auto t = io::ReadCsv(std::string(DPKIT_SHARED_DATA_DIR) + "/adult-uci/adult.data", ro);
  if (!t.ok()) {
    state.SkipWithError("adult.data not found");
    return;
  }
  io::Schema schema;  // no privacy unit: one row = one person
  const io::Column& col = **t->ColumnByName(column);
  std::vector<double> values;
  for (int64_t r = 0; r < t->num_rows(); ++r) {
    if (!col.IsNull(r)) values.push_back(col.NumericAt(r));
  }
  const double truth = TrueQuantile(values, q);
  QuerySpec spec;
  spec.table_name = "adult";
  AggregateSpec a{AggregateFunction::kQuantile, column, 0.0, 100.0};
  a.quantile = q;
  spec.aggregates = {a};
  spec.epsilon = 1.0;
  spec.confidence = 0.95;
  random::testing::SeededRng rng(7 + 100 * state.range(0) + state.range(1));
  double abs_err = 0, covered = 0, width = 0;
  int64_t runs = 0;
  for (auto _ : state) {
    for (int i = 0; i < kAccuracyRuns; ++i) {
      ExecutionOptions o;
      o.rng = &rng;
      auto r = ExecuteQuery(*t, schema, spec, ledger::Receipt(), o);
      if (!r.ok()) {
        state.SkipWithError(std::string(r.status().message()).c_str());
        return;
      }
      const ReleasedValue& v = r->rows.at(0).values.at(0);
      abs_err += std::fabs(v.value - truth);
      covered += (v.ci_lower <= truth && truth <= v.ci_upper) ? 1 : 0;
      width += v.ci_upper - v.ci_lower;
      ++runs;
    }
  }
  state.counters["true"] = truth;
  state.counters["runs"] = static_cast<double>(runs);
  state.counters["mae"] = abs_err / static_cast<double>(runs);
  state.counters["ci_coverage"] = covered / static_cast<double>(runs);
  state.counters["ci_width"] = width / static_cast<double>(runs);
}
BENCHMARK(BM_QuantileAccuracy_Adult)
    ->Args({0, 50})->Args({0, 90})->Args({1, 50})->Args({1, 90})
    ->Iterations(1)->Unit(benchmark::kMillisecond);

// ---- server for bench/analytics_groupby_peer.py ----

// Writes the synthetic table's columns as raw little-endian arrays (uid int64, grp int32
// dictionary codes, value float64) and the dictionary (one name per line) under `prefix`.
bool DumpSynthetic(const std::string& prefix) {
  const io::Table& t = SyntheticData().table;
  auto dump = [&](const std::string& suffix, const void* data, size_t bytes) {
    return Env::Default()->WriteFileAtomically(
        prefix + suffix, std::string(static_cast<const char*>(data), bytes)).ok();
  };
  const io::Column& uid = t.column(0);
  const io::Column& grp = t.column(1);
  const io::Column& value = t.column(2);
  std::string names;
  for (const auto& g : grp.dictionary()) names += g + "\n";
  return dump(".uid.i64", uid.int64_values().data(), uid.int64_values().size() * 8) &&
         dump(".grp.i32", grp.codes().data(), grp.codes().size() * 4) &&
         dump(".value.f64", value.double_values().data(), value.double_values().size() * 8) &&
         dump(".grp.names", names.data(), names.size());
}

// One timed run: "<wall seconds> <process CPU seconds> <check>" on stdout.
void Timed(const std::function<double()>& run) {
  const double w0 = WallSeconds(), c0 = ProcessCpuSeconds();
  const double check = run();
  const double c1 = ProcessCpuSeconds(), w1 = WallSeconds();
  std::printf("%.6f %.6f %.17g\n", w1 - w0, c1 - c0, check);
}

// Serves timed runs on the in-memory synthetic table, one command per stdin line:
//   dump <prefix>     write the table for the peers (DumpSynthetic), reply "ok"
//   dp <threads>      the DP query's compute (ExecuteQuery: bound, aggregate, noise, release;
//                     the ledger charge is not timed), check = released groups
//   plain <threads>   PlainScan, check = total count
//   quit
int Serve() {
  const Synthetic& s = SyntheticData();
  const QuerySpec spec = CountSumMean("grp", "value");
  random::testing::SeededRng rng(8);
  char line[4096];
  while (std::fgets(line, sizeof(line), stdin) != nullptr) {
    char cmd[64] = {0}, arg[4000] = {0};
    if (std::sscanf(line, "%63s %3999s", cmd, arg) < 1) continue;
    const std::string c = cmd;
    if (c == "quit") break;
    if (c == "dump") {
      std::printf("%s\n", DumpSynthetic(arg) ? "ok" : "error");
    } else if (c == "dp" || c == "plain") {
      const int threads = std::max(1, std::atoi(arg));
      Timed([&]() -> double {
        if (c == "plain") {
          double total = 0;
          for (const auto& g : PlainScan(s.table, {1}, 2, threads)) total += g.count;
          return total;
        }
        ExecutionOptions o;
        o.rng = &rng;
        o.threads = threads;
        auto r = ExecuteQuery(s.table, s.schema, spec, ledger::Receipt(), o);
        return r.ok() ? static_cast<double>(r->rows.size()) : -1.0;
      });
    } else {
      std::printf("error unknown command\n");
    }
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace dpkit::analytics

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--serve") return dpkit::analytics::Serve();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
