// Ledger benchmarks (issue #3): durable charges per second (one process, and N processes
// contending for one budget), and Preview latency with 1k / 10k existing charges, warm (the
// Ledger's incremental composition cache) and cold (a fresh handle composes the whole history).
// Real SQLite files in a temp dir, WAL + synchronous=FULL: charge throughput is bound by fsync.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "benchmark/benchmark.h"
#include "dpkit/ledger/ledger.h"

namespace dpkit::ledger {
namespace {

using accounting::AccountantKind;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dpkit_ledger_bench_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

AccountantKind KindArg(int64_t k) { return static_cast<AccountantKind>(k); }

// A typical map for each accountant: Laplace counts (basic), Gaussian sums (zcdp), DP-SGD
// epochs (rdp, pld: Poisson-subsampled Gaussian, q = 0.01, sigma = 1, 100 steps).
PrivacyMap MapFor(AccountantKind kind) {
  switch (kind) {
    case AccountantKind::kBasic:
      return PrivacyMap::Laplace(1e4, "laplace-count");
    case AccountantKind::kZcdp:
      return PrivacyMap::Gaussian(1e3, "gaussian-sum");
    default:
      return PrivacyMap::SubsampledGaussian(50.0, 0.01, 100, "dp-sgd");
  }
}

std::unique_ptr<Ledger> MakeLedger(const std::string& path, AccountantKind kind) {
  auto l = Ledger::Open(path);
  if (!l.ok()) return nullptr;
  const Budget b = Budget::EpsilonDelta(kMaxEpsilonBudget, kMaxDeltaBudget);  // "unlimited"
  if (!(*l)->CreateBudget("d", "u", b, kind).ok()) return nullptr;
  return *std::move(l);
}

void BM_ChargeSingleProcess(benchmark::State& state) {
  const AccountantKind kind = KindArg(state.range(0));
  TempDir dir;
  auto ledger = MakeLedger(dir.File("l.db"), kind);
  if (!ledger) return state.SkipWithError("setup failed");
  const PrivacyMap m = MapFor(kind);
  for (auto _ : state) {
    auto r = ledger->Charge("d", "u", {m}, "bench");
    if (!r.ok()) return state.SkipWithError(std::string(r.status().message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(accounting::AccountantKindName(kind));
}
BENCHMARK(BM_ChargeSingleProcess)
    ->Arg(static_cast<int>(AccountantKind::kBasic))
    ->Arg(static_cast<int>(AccountantKind::kZcdp))
    ->Arg(static_cast<int>(AccountantKind::kRdp))
    ->Arg(static_cast<int>(AccountantKind::kPld))
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

// N processes, each charging kPerProcess times to the same budget; aggregate charges/s.
void BM_ChargeContended(benchmark::State& state) {
  const int procs = static_cast<int>(state.range(0));
  const AccountantKind kind = KindArg(state.range(1));
  constexpr int kPerProcess = 10;
  TempDir dir;
  const std::string path = dir.File("l.db");
  if (!MakeLedger(path, kind)) return state.SkipWithError("setup failed");
  const PrivacyMap m = MapFor(kind);
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<pid_t> pids;
    for (int p = 0; p < procs; ++p) {
      pid_t pid = fork();
      if (pid == 0) {
        auto l = Ledger::Open(path, {.lock_timeout_ms = 120000});
        if (!l.ok()) _exit(2);
        for (int i = 0; i < kPerProcess; ++i) {
          if (!(*l)->Charge("d", "u", {m}, "bench").ok()) _exit(3);
        }
        _exit(0);
      }
      pids.push_back(pid);
    }
    bool ok = true;
    for (pid_t pid : pids) {
      int st = 0;
      waitpid(pid, &st, 0);
      ok = ok && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    if (!ok) return state.SkipWithError("a child failed");
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  state.SetItemsProcessed(state.iterations() * procs * kPerProcess);
  state.SetLabel(accounting::AccountantKindName(kind));
}
BENCHMARK(BM_ChargeContended)
    ->Args({4, static_cast<int>(AccountantKind::kBasic)})
    ->Args({16, static_cast<int>(AccountantKind::kBasic)})
    ->Args({4, static_cast<int>(AccountantKind::kRdp)})
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

// A ledger file with `n` charges for the given accountant, built once per process and reused.
// Setup shortcut: the rows are inserted with plain SQL in one transaction (n durable Charge()
// calls would take minutes of fsync); their running totals are left at 0, which Preview does not
// read (it composes the stored maps). The last 10 rows go through Charge() as a sanity check.
std::string PrefilledLedger(TempDir& dir, AccountantKind kind, int64_t n) {
  const std::string path = dir.File(std::string(accounting::AccountantKindName(kind)) + "_" +
                                    std::to_string(n) + ".db");
  if (std::filesystem::exists(path)) return path;
  auto ledger = MakeLedger(path, kind);
  if (!ledger) return "";
  const PrivacyMap m = MapFor(kind);
  {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return "";
    std::string sql = "BEGIN;";
    const std::string maps = "'[" + m.ToJson() + "]'";
    for (int64_t i = 0; i < n - 10; ++i) {
      sql += "INSERT INTO charges(budget_id, ts_us, status, mechanism, privacy_maps, operation, "
             "caller, epsilon_spent, delta_spent, rho_spent) VALUES (1, 0, 'charged', 'bench', " +
             maps + ", 'prefill', 'bench', 0, 0, 0);";
    }
    sql += "COMMIT;";
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    if (rc != SQLITE_OK) return "";
  }
  for (int64_t i = 0; i < 10; ++i) {
    if (!ledger->Charge("d", "u", {m}, "prefill").ok()) return "";
  }
  return path;
}

TempDir& SharedDir() {
  static auto* dir = new TempDir();
  return *dir;
}

// Warm: the handle has composed the history once; each Preview clones the composed state and
// adds one map.
void BM_PreviewWarm(benchmark::State& state) {
  const int64_t n = state.range(0);
  const AccountantKind kind = KindArg(state.range(1));
  const std::string path = PrefilledLedger(SharedDir(), kind, n);
  if (path.empty()) return state.SkipWithError("prefill failed");
  auto ledger = Ledger::Open(path);
  if (!ledger.ok()) return state.SkipWithError("open failed");
  const PrivacyMap m = MapFor(kind);
  if (!(*ledger)->Preview("d", "u", {m}).ok()) return state.SkipWithError("preview failed");
  for (auto _ : state) {
    auto p = (*ledger)->Preview("d", "u", {m});
    benchmark::DoNotOptimize(p);
  }
  state.SetLabel(accounting::AccountantKindName(kind));
}

// Cold: a fresh handle (as each CLI call or new process) composes all n charges, then previews.
void BM_PreviewCold(benchmark::State& state) {
  const int64_t n = state.range(0);
  const AccountantKind kind = KindArg(state.range(1));
  const std::string path = PrefilledLedger(SharedDir(), kind, n);
  if (path.empty()) return state.SkipWithError("prefill failed");
  const PrivacyMap m = MapFor(kind);
  for (auto _ : state) {
    auto ledger = Ledger::Open(path, {.integrity_check = IntegrityCheck::kNone});
    if (!ledger.ok()) return state.SkipWithError("open failed");
    auto p = (*ledger)->Preview("d", "u", {m});
    benchmark::DoNotOptimize(p);
  }
  state.SetLabel(accounting::AccountantKindName(kind));
}

// PLD composes map by map (~0.15 s per subsampled-Gaussian map here), so its history is kept
// at 100 charges; the others at 1k and 10k.
void PreviewArgs(benchmark::internal::Benchmark* b) {
  for (int64_t n : {1000, 10000}) {
    for (AccountantKind k : {AccountantKind::kBasic, AccountantKind::kZcdp, AccountantKind::kRdp}) {
      b->Args({n, static_cast<int64_t>(k)});
    }
  }
  b->Args({100, static_cast<int64_t>(AccountantKind::kPld)});
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_PreviewWarm)->Apply(PreviewArgs);
BENCHMARK(BM_PreviewCold)->Apply(PreviewArgs);

}  // namespace
}  // namespace dpkit::ledger

BENCHMARK_MAIN();
