#include "dpkit/ledger/ledger.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "dpkit/accounting/zcdp.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "ledger/json_format.h"
#include "ledger/sqlite_db.h"
#include "nlohmann/json.hpp"

namespace dpkit::ledger {

using accounting::Accountant;
using accounting::AccountantKind;
using accounting::AccountantKindName;
using internal::CorruptionError;
using internal::Db;
using internal::Stmt;

namespace {

constexpr char kApplication[] = "dpkit-ledger";
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxMapsPerCharge = 100000;

// Schema version 1. Charges are append-only; budgets immutable (triggers).
constexpr char kSchemaSql[] = R"sql(
CREATE TABLE meta(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE datasets(
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  created_us INTEGER NOT NULL
);
CREATE TABLE privacy_units(
  id         INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  name       TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  UNIQUE(dataset_id, name)
);
CREATE TABLE budgets(
  id         INTEGER PRIMARY KEY,
  unit_id    INTEGER NOT NULL UNIQUE REFERENCES privacy_units(id),
  accountant TEXT NOT NULL CHECK(accountant IN ('basic', 'zcdp', 'rdp', 'pld')),
  epsilon    REAL NOT NULL CHECK(epsilon >= 0),
  delta      REAL NOT NULL CHECK(delta >= 0 AND delta < 1),
  rho        REAL NOT NULL CHECK(rho >= 0),
  created_us INTEGER NOT NULL,
  CHECK((rho > 0 AND epsilon = 0 AND delta = 0) OR (rho = 0 AND epsilon > 0))
);
CREATE TABLE charges(
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  budget_id     INTEGER NOT NULL REFERENCES budgets(id),
  ts_us         INTEGER NOT NULL,
  status        TEXT NOT NULL CHECK(status IN ('charged', 'refused')),
  mechanism     TEXT NOT NULL,
  privacy_maps  TEXT NOT NULL,
  operation     TEXT NOT NULL,
  caller        TEXT NOT NULL,
  epsilon_spent REAL NOT NULL,
  delta_spent   REAL NOT NULL,
  rho_spent     REAL NOT NULL,
  note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX charges_by_budget ON charges(budget_id, status, id);
CREATE TRIGGER charges_append_only_update BEFORE UPDATE ON charges
  BEGIN SELECT RAISE(ABORT, 'ledger charges are append-only'); END;
CREATE TRIGGER charges_append_only_delete BEFORE DELETE ON charges
  BEGIN SELECT RAISE(ABORT, 'ledger charges are append-only'); END;
CREATE TRIGGER budgets_immutable_update BEFORE UPDATE ON budgets
  BEGIN SELECT RAISE(ABORT, 'ledger budgets are immutable'); END;
CREATE TRIGGER budgets_immutable_delete BEFORE DELETE ON budgets
  BEGIN SELECT RAISE(ABORT, 'ledger budgets are immutable'); END;
)sql";

std::string FormatTimeUs(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

absl::Status ValidateName(const char* what, const std::string& name) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " name must not be empty"));
  }
  if (name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, " name must be at most ", kMaxNameBytes,
                                                   " bytes, got ", name.size(), " bytes"));
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " name must not contain control characters, got '",
                       absl::CEscape(name), "'"));
    }
  }
  return absl::OkStatus();
}

std::string UnitOrRow(const std::string& unit) { return unit.empty() ? kRowLevelUnit : unit; }

// rho of one map under zCDP (times its repetitions), for rho budgets. Conversions from
// dpkit/accounting/zcdp.h (Bun & Steinke 2016 Props. 1.4 and 1.6; CKS20 Thm. 4).
absl::StatusOr<double> RhoOf(const PrivacyMap& m) {
  double per = 0;
  switch (m.kind) {
    case PrivacyMapKind::kZcdp:
      per = m.rho;
      break;
    case PrivacyMapKind::kPureDp:
      per = accounting::PureDpToZcdp(m.epsilon);
      break;
    case PrivacyMapKind::kLaplace:  // pure DP with epsilon = 1 / noise_multiplier
    case PrivacyMapKind::kDiscreteLaplace:
      per = accounting::PureDpToZcdp(1.0 / m.noise_multiplier);
      break;
    case PrivacyMapKind::kGaussian:
    case PrivacyMapKind::kDiscreteGaussian:
      per = accounting::GaussianZcdp(m.noise_multiplier);
      break;
    case PrivacyMapKind::kSubsampledGaussian:
      if (m.sampling_rate == 1) {
        per = accounting::GaussianZcdp(m.noise_multiplier);
        break;
      }
      [[fallthrough]];
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "a rho (zCDP) budget cannot charge ", m.ToString(),
          ": it has no zCDP guarantee; rho budgets accept pure_dp, zcdp, laplace, gaussian and "
          "their discrete versions (use an epsilon/delta budget with the rdp or basic accountant "
          "for other kinds)"));
  }
  return per * static_cast<double>(m.repetitions);
}

// Adds `maps` (a batch of stored charges) to `acc`. For the zcdp and rdp accountants, whose
// composition is a sum (of rho, or of RDP curves per order) and for which a map with
// `repetitions = r` costs exactly r times the map, identical maps are grouped into one map with
// the summed repetitions first: the result is the same (up to floating-point rounding) and the
// expensive per-map work (an RDP curve of a subsampled Gaussian: ~70 ms) is done once per
// distinct map instead of once per charge. Other accountants get the maps one by one, in order.
absl::Status FoldMaps(AccountantKind kind, Accountant& acc, const std::vector<PrivacyMap>& maps) {
  if (kind != AccountantKind::kRdp && kind != AccountantKind::kZcdp) {
    for (const PrivacyMap& m : maps) DPKIT_RETURN_IF_ERROR(acc.Add(m));
    return absl::OkStatus();
  }
  std::map<std::string, PrivacyMap> groups;  // key: the map without name and repetitions
  std::vector<std::string> order;
  for (const PrivacyMap& m : maps) {
    PrivacyMap key_map = m;
    key_map.mechanism.clear();
    key_map.repetitions = 1;
    std::string key = key_map.ToJson();
    auto [it, inserted] = groups.emplace(key, key_map);
    if (inserted) {
      it->second.repetitions = m.repetitions;
      order.push_back(std::move(key));
    } else {
      it->second.repetitions += m.repetitions;
    }
  }
  for (const std::string& key : order) DPKIT_RETURN_IF_ERROR(acc.Add(groups.at(key)));
  return absl::OkStatus();
}

std::string MechanismNames(const std::vector<PrivacyMap>& maps) {
  std::vector<std::string> names;
  for (const auto& m : maps) {
    std::string n = m.mechanism.empty() ? PrivacyMapKindName(m.kind) : m.mechanism;
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  return absl::StrJoin(names, ",");
}

std::string MapsToJson(const std::vector<PrivacyMap>& maps) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& m : maps) arr.push_back(nlohmann::json::parse(m.ToJson()));
  return arr.dump();
}

absl::StatusOr<std::vector<PrivacyMap>> MapsFromJson(const std::string& text) {
  nlohmann::json arr = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (arr.is_discarded() || !arr.is_array()) {
    return absl::DataLossError("privacy_maps is not a JSON array");
  }
  std::vector<PrivacyMap> maps;
  for (const auto& j : arr) {
    DPKIT_ASSIGN_OR_RETURN(PrivacyMap m, PrivacyMap::FromJson(j.dump()));
    maps.push_back(std::move(m));
  }
  if (maps.empty()) return absl::DataLossError("privacy_maps is empty");
  return maps;
}

Spend Remaining(const Budget& b, const Spend& s) {
  Spend r;
  if (b.is_rho()) {
    r.rho = std::max(0.0, b.rho - s.rho);
  } else {
    r.epsilon = std::max(0.0, b.epsilon - s.epsilon);
    if (std::isnan(r.epsilon)) r.epsilon = 0;
    r.delta = b.delta;
  }
  return r;
}

Spend Minus(const Spend& a, const Spend& b) {
  return {a.epsilon - b.epsilon, std::max(a.delta, b.delta), a.rho - b.rho};
}

std::string SpendText(const Budget& b, const Spend& s) {
  if (b.is_rho()) return absl::StrCat("rho=", FormatDouble(s.rho));
  return absl::StrCat("epsilon=", FormatDouble(s.epsilon), " (at delta=", FormatDouble(b.delta),
                      ")");
}

bool NearlyEqual(double a, double b) {
  if (a == b) return true;
  if (std::isinf(a) || std::isinf(b)) return false;
  return std::fabs(a - b) <= 1e-9 * std::max({1e-300, std::fabs(a), std::fabs(b)});
}

nlohmann::json BudgetJson(const Budget& b) {
  nlohmann::json j;
  if (b.is_rho()) {
    j["rho"] = b.rho;
  } else {
    j["epsilon"] = b.epsilon;
    j["delta"] = b.delta;
  }
  return j;
}

}  // namespace

namespace internal {

nlohmann::json SpendJson(const Budget& b, const Spend& s) {
  nlohmann::json j;
  if (b.is_rho()) {
    j["rho"] = s.rho;
  } else {
    j["epsilon"] = s.epsilon;
    j["at_delta"] = b.delta;
  }
  return j;
}

}  // namespace internal

std::string Budget::ToString() const {
  if (is_rho()) return absl::StrCat("rho=", FormatDouble(rho));
  return absl::StrCat("epsilon=", FormatDouble(epsilon), ", delta=", FormatDouble(delta));
}

std::string DefaultCaller() {
  std::string user;
  if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') {
    user = u;
  } else if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    user = pw->pw_name;
  } else {
    user = absl::StrCat("uid", geteuid());
  }
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(user, "@", host[0] ? host : "unknown-host", "/", getpid());
}

absl::Status ValidateBudget(const Budget& budget, AccountantKind accountant) {
  if (budget.rho != 0 || (budget.epsilon == 0 && budget.delta == 0)) {
    DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("rho", budget.rho));
    if (budget.epsilon != 0 || budget.delta != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("give either an epsilon/delta budget or a rho budget, not both (got ",
                       "epsilon=", FormatDouble(budget.epsilon), ", delta=",
                       FormatDouble(budget.delta), ", rho=", FormatDouble(budget.rho), ")"));
    }
    if (accountant != AccountantKind::kZcdp) {
      return absl::InvalidArgumentError(
          absl::StrCat("a rho budget needs the zcdp accountant, got accountant '",
                       AccountantKindName(accountant), "'"));
    }
  } else {
    DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", budget.epsilon));
    DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", budget.delta, /*allow_zero=*/true));
    if (budget.delta == 0 &&
        (accountant == AccountantKind::kZcdp || accountant == AccountantKind::kRdp)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the ", AccountantKindName(accountant),
          " accountant cannot certify pure DP (delta = 0): give delta > 0 (e.g. 1e-6, well "
          "below 1/number of privacy units) or use --accountant basic"));
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------

class Ledger::Impl {
 public:
  Impl(std::unique_ptr<Db> db, Env* env, LedgerOptions options)
      : db_(std::move(db)), env_(env), options_(std::move(options)) {}

  absl::Status Init();

  absl::Status CreateBudget(const std::string& dataset, const std::string& unit,
                            const Budget& budget, AccountantKind accountant);
  absl::StatusOr<Receipt> Charge(const std::string& dataset, const std::string& unit,
                                 const std::vector<PrivacyMap>& maps,
                                 const std::string& operation, const std::string& caller);
  absl::StatusOr<ChargePreview> Preview(const std::string& dataset, const std::string& unit,
                                        const std::vector<PrivacyMap>& maps);
  absl::StatusOr<BudgetStatus> Status(const std::string& dataset, const std::string& unit);
  absl::StatusOr<std::vector<BudgetStatus>> ListBudgets(const std::string& dataset);
  absl::StatusOr<std::vector<ChargeRecord>> History(const std::string& dataset,
                                                    const std::string& unit,
                                                    const HistoryOptions& options);
  absl::StatusOr<std::string> ExportJson(const std::string& dataset);
  absl::Status CheckIntegrity();

  const std::string& path() const { return db_->path(); }

 private:
  struct BudgetRow {
    int64_t id = 0;
    std::string dataset;
    std::string unit;
    AccountantKind accountant = AccountantKind::kBasic;
    Budget budget;
    int64_t created_us = 0;
  };

  // The composed state of one budget's charged maps, up to charge id `last_id`.
  struct BudgetState {
    int64_t last_id = 0;
    int64_t num_charged = 0;
    std::unique_ptr<Accountant> accountant;  // null for rho budgets
    double rho = 0;
    Spend spent;
  };

  // The result of composing the existing state with new maps.
  struct Evaluation {
    bool fits = false;
    Spend before;
    Spend after;
    std::unique_ptr<Accountant> accountant;
    double rho = 0;
    std::vector<std::string> notes;
  };

  // RAII transaction: rolls back unless Commit() succeeded.
  class Txn {
   public:
    explicit Txn(Db* db) : db_(db) {}
    ~Txn() {
      if (open_) (void)db_->Exec("ROLLBACK");
    }
    absl::Status Begin(bool immediate) {
      DPKIT_RETURN_IF_ERROR(db_->Exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN"));
      open_ = true;
      return absl::OkStatus();
    }
    absl::Status Commit() {
      absl::Status s = db_->Exec("COMMIT");
      if (s.ok()) open_ = false;
      return s;
    }

   private:
    Db* db_;
    bool open_ = false;
  };

  absl::Status CreateSchemaIfEmpty();
  absl::Status VerifySchema();
  absl::Status RunSqliteCheck(bool full);

  absl::StatusOr<BudgetRow> LookupBudget(const std::string& dataset, const std::string& unit);
  absl::StatusOr<std::vector<BudgetRow>> AllBudgets(const std::string& dataset);
  absl::StatusOr<std::string> KnownDatasets();
  absl::StatusOr<BudgetRow> ReadBudgetRow(Stmt& stmt);

  absl::StatusOr<Spend> ComputeSpend(const BudgetRow& b, const Accountant* acc, double rho,
                                     bool empty);
  // Folds charges newer than the cached state into it (inside a transaction).
  absl::StatusOr<BudgetState*> Refresh(const BudgetRow& b);
  absl::StatusOr<Evaluation> Evaluate(const BudgetRow& b, BudgetState& st,
                                      const std::vector<PrivacyMap>& maps);
  absl::Status ValidateMaps(const std::vector<PrivacyMap>& maps);
  absl::StatusOr<BudgetStatus> StatusLocked(const BudgetRow& b);
  absl::StatusOr<std::vector<ChargeRecord>> HistoryLocked(const BudgetRow& b,
                                                          const HistoryOptions& options);
  std::string ExhaustedMessage(const BudgetRow& b, const Evaluation& ev, int64_t num_charged);

  std::mutex mu_;
  std::unique_ptr<Db> db_;
  Env* env_;
  LedgerOptions options_;
  std::map<int64_t, BudgetState> cache_;
};

absl::Status Ledger::Impl::Init() {
  DPKIT_RETURN_IF_ERROR(
      db_->Exec(absl::StrCat("PRAGMA busy_timeout = ", std::max(0, options_.lock_timeout_ms))));
  // The first read detects a file that is not a database at all (SQLITE_NOTADB -> DataLoss).
  {
    DPKIT_ASSIGN_OR_RETURN(Stmt probe, db_->Prepare("SELECT count(*) FROM sqlite_master"));
    DPKIT_RETURN_IF_ERROR(probe.Step().status());
  }
  {
    DPKIT_ASSIGN_OR_RETURN(Stmt wal, db_->Prepare("PRAGMA journal_mode = WAL"));
    DPKIT_ASSIGN_OR_RETURN(bool row, wal.Step());
    std::string mode = row ? wal.ColumnText(0) : "";
    if (mode != "wal") {
      return absl::FailedPreconditionError(absl::StrCat(
          "could not put ledger file ", path(), " in WAL mode (journal_mode is '", mode,
          "'); keep the ledger on a local, writable file system"));
    }
  }
  DPKIT_RETURN_IF_ERROR(db_->Exec("PRAGMA synchronous = FULL"));
  DPKIT_RETURN_IF_ERROR(db_->Exec("PRAGMA foreign_keys = ON"));
  DPKIT_RETURN_IF_ERROR(CreateSchemaIfEmpty());
  DPKIT_RETURN_IF_ERROR(VerifySchema());
  switch (options_.integrity_check) {
    case IntegrityCheck::kNone:
      break;
    case IntegrityCheck::kQuick:
      DPKIT_RETURN_IF_ERROR(RunSqliteCheck(/*full=*/false));
      break;
    case IntegrityCheck::kFull:
      DPKIT_RETURN_IF_ERROR(CheckIntegrity());
      break;
  }
  return absl::OkStatus();
}

absl::Status Ledger::Impl::CreateSchemaIfEmpty() {
  auto count_objects = [&]() -> absl::StatusOr<int64_t> {
    DPKIT_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT count(*) FROM sqlite_master"));
    DPKIT_RETURN_IF_ERROR(s.Step().status());
    return s.ColumnInt(0);
  };
  DPKIT_ASSIGN_OR_RETURN(int64_t n, count_objects());
  if (n != 0) return absl::OkStatus();
  Txn txn(db_.get());
  DPKIT_RETURN_IF_ERROR(txn.Begin(/*immediate=*/true));
  DPKIT_ASSIGN_OR_RETURN(n, count_objects());  // another process may have won the race
  if (n != 0) return txn.Commit();
  DPKIT_RETURN_IF_ERROR(db_->Exec(kSchemaSql));
  const std::pair<std::string, std::string> rows[] = {
      {"application", kApplication},
      {"schema_version", std::to_string(kSchemaVersion)},
      {"created_at", FormatTimeUs(env_->NowMicros())},
  };
  for (const auto& [k, v] : rows) {
    DPKIT_ASSIGN_OR_RETURN(Stmt ins,
                           db_->Prepare("INSERT INTO meta(key, value) VALUES (?, ?)"));
    DPKIT_RETURN_IF_ERROR(ins.Bind(1, k).Bind(2, v).Run());
  }
  return txn.Commit();
}

absl::Status Ledger::Impl::VerifySchema() {
  std::map<std::string, std::string> objects;
  {
    DPKIT_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT name, type FROM sqlite_master"));
    while (true) {
      DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      objects[s.ColumnText(0)] = s.ColumnText(1);
    }
  }
  if (objects.count("meta") == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "file ", path(), " is an SQLite database but not a dpkit ledger (it has no meta table); "
        "pass the path of a dpkit ledger, or a new file name to create one"));
  }
  std::map<std::string, std::string> meta;
  {
    DPKIT_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT key, value FROM meta"));
    while (true) {
      DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      meta[s.ColumnText(0)] = s.ColumnText(1);
    }
  }
  if (meta["application"] != kApplication) {
    return absl::FailedPreconditionError(
        absl::StrCat("file ", path(), " is an SQLite database but not a dpkit ledger "
                     "(meta.application is '", meta["application"], "')"));
  }
  const std::string& version = meta["schema_version"];
  if (version != std::to_string(kSchemaVersion)) {
    int v = std::atoi(version.c_str());
    if (v > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ledger file ", path(), " has schema version ", version, ", newer than this dpkit ("
          "version ", kSchemaVersion, "); upgrade dpkit to use it"));
    }
    return CorruptionError(path(), absl::StrCat("unknown schema_version '", version, "'"));
  }
  for (const char* table : {"datasets", "privacy_units", "budgets", "charges"}) {
    if (objects[table] != "table") {
      return CorruptionError(path(), absl::StrCat("table '", table, "' is missing"));
    }
  }
  for (const char* trigger : {"charges_append_only_update", "charges_append_only_delete"}) {
    if (objects[trigger] != "trigger") {
      return CorruptionError(path(), absl::StrCat("trigger '", trigger, "' is missing"));
    }
  }
  return absl::OkStatus();
}

absl::Status Ledger::Impl::RunSqliteCheck(bool full) {
  DPKIT_ASSIGN_OR_RETURN(Stmt s,
                         db_->Prepare(full ? "PRAGMA integrity_check(20)" : "PRAGMA quick_check(20)"));
  std::vector<std::string> problems;
  while (true) {
    DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    std::string line = s.ColumnText(0);
    if (line != "ok") problems.push_back(line);
  }
  if (!problems.empty()) {
    return CorruptionError(path(), absl::StrCat(full ? "integrity_check" : "quick_check",
                                                " found: ", absl::StrJoin(problems, "; ")));
  }
  return absl::OkStatus();
}

absl::StatusOr<Ledger::Impl::BudgetRow> Ledger::Impl::ReadBudgetRow(Stmt& s) {
  // Columns: b.id, d.name, u.name, b.accountant, b.epsilon, b.delta, b.rho, b.created_us
  BudgetRow b;
  b.id = s.ColumnInt(0);
  b.dataset = s.ColumnText(1);
  b.unit = s.ColumnText(2);
  absl::StatusOr<AccountantKind> kind = accounting::ParseAccountantKind(s.ColumnText(3));
  if (!kind.ok()) {
    return CorruptionError(path(), absl::StrCat("budget #", b.id, " has accountant '",
                                                s.ColumnText(3), "'"));
  }
  b.accountant = *kind;
  b.budget.epsilon = s.ColumnDouble(4);
  b.budget.delta = s.ColumnDouble(5);
  b.budget.rho = s.ColumnDouble(6);
  b.created_us = s.ColumnInt(7);
  return b;
}

constexpr char kBudgetSelect[] =
    "SELECT b.id, d.name, u.name, b.accountant, b.epsilon, b.delta, b.rho, b.created_us "
    "FROM budgets b JOIN privacy_units u ON b.unit_id = u.id "
    "JOIN datasets d ON u.dataset_id = d.id ";

absl::StatusOr<std::string> Ledger::Impl::KnownDatasets() {
  DPKIT_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT name FROM datasets ORDER BY name"));
  std::vector<std::string> names;
  while (true) {
    DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    names.push_back(absl::StrCat("'", s.ColumnText(0), "'"));
  }
  if (names.empty()) return std::string("none");
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<Ledger::Impl::BudgetRow> Ledger::Impl::LookupBudget(const std::string& dataset,
                                                                   const std::string& unit) {
  DPKIT_RETURN_IF_ERROR(ValidateName("dataset", dataset));
  const std::string u = UnitOrRow(unit);
  DPKIT_RETURN_IF_ERROR(ValidateName("privacy unit", u));
  {
    DPKIT_ASSIGN_OR_RETURN(Stmt s,
                           db_->Prepare(absl::StrCat(kBudgetSelect, "WHERE d.name = ? AND u.name = ?")));
    s.Bind(1, dataset).Bind(2, u);
    DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) return ReadBudgetRow(s);
  }
  // Not found: say what exists.
  DPKIT_ASSIGN_OR_RETURN(Stmt units,
                         db_->Prepare("SELECT u.name FROM privacy_units u JOIN datasets d ON "
                                      "u.dataset_id = d.id WHERE d.name = ? ORDER BY u.name"));
  units.Bind(1, dataset);
  std::vector<std::string> unit_names;
  while (true) {
    DPKIT_ASSIGN_OR_RETURN(bool row, units.Step());
    if (!row) break;
    unit_names.push_back(absl::StrCat("'", units.ColumnText(0), "'"));
  }
  if (unit_names.empty()) {
    DPKIT_ASSIGN_OR_RETURN(std::string known, KnownDatasets());
    return absl::NotFoundError(absl::StrCat(
        "unknown dataset '", dataset, "' in ledger ", path(), " (known datasets: ", known,
        "); create its budget first with: dpkit budget init --ledger ", path(), " --dataset ",
        dataset, " --epsilon E --delta D"));
  }
  return absl::NotFoundError(absl::StrCat(
      "dataset '", dataset, "' has no budget for privacy unit '", u, "' in ledger ", path(),
      " (its units: ", absl::StrJoin(unit_names, ", "), "); pass one of those units"));
}

absl::StatusOr<std::vector<Ledger::Impl::BudgetRow>> Ledger::Impl::AllBudgets(
    const std::string& dataset) {
  std::string sql = kBudgetSelect;
  if (!dataset.empty()) sql += "WHERE d.name = ? ";
  sql += "ORDER BY d.name, u.name";
  DPKIT_ASSIGN_OR_RETURN(Stmt s, db_->Prepare(sql));
  if (!dataset.empty()) s.Bind(1, dataset);
  std::vector<BudgetRow> rows;
  while (true) {
    DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    DPKIT_ASSIGN_OR_RETURN(BudgetRow b, ReadBudgetRow(s));
    rows.push_back(std::move(b));
  }
  if (!dataset.empty() && rows.empty()) {
    DPKIT_ASSIGN_OR_RETURN(std::string known, KnownDatasets());
    return absl::NotFoundError(absl::StrCat("unknown dataset '", dataset, "' in ledger ", path(),
                                            " (known datasets: ", known, ")"));
  }
  return rows;
}

absl::Status Ledger::Impl::CreateBudget(const std::string& dataset, const std::string& unit_in,
                                        const Budget& budget, AccountantKind accountant) {
  DPKIT_RETURN_IF_ERROR(ValidateName("dataset", dataset));
  const std::string unit = UnitOrRow(unit_in);
  DPKIT_RETURN_IF_ERROR(ValidateName("privacy unit", unit));
  DPKIT_RETURN_IF_ERROR(ValidateBudget(budget, accountant));
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(db_.get());
  DPKIT_RETURN_IF_ERROR(txn.Begin(/*immediate=*/true));
  const int64_t now = env_->NowMicros();
  int64_t dataset_id = 0;
  {
    DPKIT_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT id FROM datasets WHERE name = ?"));
    s.Bind(1, dataset);
    DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) dataset_id = s.ColumnInt(0);
  }
  if (dataset_id == 0) {
    DPKIT_ASSIGN_OR_RETURN(Stmt s,
                           db_->Prepare("INSERT INTO datasets(name, created_us) VALUES (?, ?)"));
    DPKIT_RETURN_IF_ERROR(s.Bind(1, dataset).Bind(2, now).Run());
    dataset_id = db_->LastInsertRowId();
  }
  int64_t unit_id = 0;
  {
    DPKIT_ASSIGN_OR_RETURN(
        Stmt s, db_->Prepare("SELECT id FROM privacy_units WHERE dataset_id = ? AND name = ?"));
    s.Bind(1, dataset_id).Bind(2, unit);
    DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) unit_id = s.ColumnInt(0);
  }
  if (unit_id != 0) {
    DPKIT_ASSIGN_OR_RETURN(BudgetRow existing, LookupBudget(dataset, unit));
    return absl::AlreadyExistsError(absl::StrCat(
        "dataset '", dataset, "' unit '", unit, "' already has a budget in ledger ", path(), " (",
        existing.budget.ToString(), ", accountant ", AccountantKindName(existing.accountant),
        "); budgets cannot be changed or reset (see 'dpkit budget show')"));
  }
  {
    DPKIT_ASSIGN_OR_RETURN(
        Stmt s, db_->Prepare(
                    "INSERT INTO privacy_units(dataset_id, name, created_us) VALUES (?, ?, ?)"));
    DPKIT_RETURN_IF_ERROR(s.Bind(1, dataset_id).Bind(2, unit).Bind(3, now).Run());
    unit_id = db_->LastInsertRowId();
  }
  {
    DPKIT_ASSIGN_OR_RETURN(
        Stmt s, db_->Prepare("INSERT INTO budgets(unit_id, accountant, epsilon, delta, rho, "
                             "created_us) VALUES (?, ?, ?, ?, ?, ?)"));
    DPKIT_RETURN_IF_ERROR(s.Bind(1, unit_id)
                              .Bind(2, std::string(AccountantKindName(accountant)))
                              .Bind(3, budget.epsilon)
                              .Bind(4, budget.delta)
                              .Bind(5, budget.rho)
                              .Bind(6, now)
                              .Run());
  }
  return txn.Commit();
}

absl::StatusOr<Spend> Ledger::Impl::ComputeSpend(const BudgetRow& b, const Accountant* acc,
                                                 double rho, bool empty) {
  Spend s;
  if (b.budget.is_rho()) {
    s.rho = rho;
    return s;
  }
  if (empty) return s;
  // One query per decision: epsilon at the budget's delta. (Delta(epsilon) is an inversion by
  // bisection in several accountants -- 50 ms for 20 maps with basic composition -- and for an
  // exact privacy profile epsilon(delta_B) <= epsilon_B iff delta(epsilon_B) <= delta_B.)
  absl::StatusOr<double> eps = acc->Epsilon(b.budget.delta);
  if (!eps.ok()) {
    return absl::Status(eps.status().code(),
                        absl::StrCat("accountant ", AccountantKindName(b.accountant),
                                     " could not compute epsilon at delta=",
                                     FormatDouble(b.budget.delta), ": ", eps.status().message()));
  }
  s.epsilon = std::isnan(*eps) ? HUGE_VAL : *eps;
  s.delta = b.budget.delta;
  return s;
}

absl::StatusOr<Ledger::Impl::BudgetState*> Ledger::Impl::Refresh(const BudgetRow& b) {
  auto it = cache_.find(b.id);
  if (it == cache_.end()) {
    BudgetState fresh;
    if (!b.budget.is_rho()) {
      DPKIT_ASSIGN_OR_RETURN(fresh.accountant, accounting::CreateAccountant(b.accountant));
    }
    it = cache_.emplace(b.id, std::move(fresh)).first;
  }
  BudgetState& st = it->second;
  DPKIT_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT id, privacy_maps FROM charges WHERE "
                                              "budget_id = ? AND status = 'charged' AND id > ? "
                                              "ORDER BY id"));
  s.Bind(1, b.id).Bind(2, st.last_id);
  bool changed = false;
  absl::Status error;
  std::vector<PrivacyMap> batch;
  while (error.ok()) {
    absl::StatusOr<bool> row = s.Step();
    if (!row.ok()) {
      error = row.status();
      break;
    }
    if (!*row) break;
    const int64_t id = s.ColumnInt(0);
    absl::StatusOr<std::vector<PrivacyMap>> maps = MapsFromJson(s.ColumnText(1));
    if (!maps.ok()) {
      error = CorruptionError(path(), absl::StrCat("charge #", id, " has unreadable privacy maps (",
                                                   maps.status().message(), ")"));
      break;
    }
    for (const PrivacyMap& m : *maps) {
      if (b.budget.is_rho()) {
        absl::StatusOr<double> r = RhoOf(m);
        if (!r.ok()) {
          error = CorruptionError(path(), absl::StrCat("charge #", id, ": ", r.status().message()));
          break;
        }
        st.rho += *r;
      } else {
        batch.push_back(m);
      }
    }
    st.last_id = id;
    ++st.num_charged;
    changed = true;
  }
  if (error.ok() && !batch.empty()) {
    if (absl::Status a = FoldMaps(b.accountant, *st.accountant, batch); !a.ok()) {
      error = CorruptionError(path(), absl::StrCat("a stored charge cannot be composed by the ",
                                                   AccountantKindName(b.accountant),
                                                   " accountant: ", a.message()));
    }
  }
  if (!error.ok()) {
    cache_.erase(b.id);  // partially folded: rebuild from scratch next time
    return error;
  }
  if (changed || st.num_charged == 0) {
    absl::StatusOr<Spend> spent =
        ComputeSpend(b, st.accountant.get(), st.rho, st.num_charged == 0);
    if (!spent.ok()) {
      cache_.erase(b.id);
      return spent.status();
    }
    st.spent = *spent;
  }
  return &st;
}

absl::Status Ledger::Impl::ValidateMaps(const std::vector<PrivacyMap>& maps) {
  if (maps.empty()) {
    return absl::InvalidArgumentError(
        "a charge needs at least one privacy map (the release's mechanisms)");
  }
  if (maps.size() > kMaxMapsPerCharge) {
    return absl::InvalidArgumentError(
        absl::StrCat("a charge may hold at most ", kMaxMapsPerCharge, " privacy maps, got ",
                     maps.size(), "; use PrivacyMap::repetitions for repeated mechanisms"));
  }
  for (size_t i = 0; i < maps.size(); ++i) {
    if (absl::Status s = maps[i].Validate(); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("privacy map #", i + 1, " (", maps[i].ToString(), "): ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Ledger::Impl::Evaluation> Ledger::Impl::Evaluate(
    const BudgetRow& b, BudgetState& st, const std::vector<PrivacyMap>& maps) {
  Evaluation ev;
  ev.before = st.spent;
  if (b.budget.is_rho()) {
    ev.rho = st.rho;
    for (const PrivacyMap& m : maps) {
      DPKIT_ASSIGN_OR_RETURN(double r, RhoOf(m));
      ev.rho += r;
    }
    ev.after.rho = ev.rho;
    ev.fits = ev.rho <= b.budget.rho;
    ev.notes.push_back("rho budget: rho adds under composition (Bun & Steinke 2016, Lemma 2.3)");
    return ev;
  }
  ev.accountant = st.accountant->Clone();
  for (size_t i = 0; i < maps.size(); ++i) {
    if (absl::Status s = ev.accountant->Add(maps[i]); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dataset '", b.dataset, "' uses the ", AccountantKindName(b.accountant),
          " accountant, which cannot compose privacy map #", i + 1, " (", maps[i].ToString(),
          "): ", s.message()));
    }
  }
  DPKIT_ASSIGN_OR_RETURN(ev.after, ComputeSpend(b, ev.accountant.get(), 0, /*empty=*/false));
  ev.fits = std::isfinite(ev.after.epsilon) && ev.after.epsilon <= b.budget.epsilon;
  ev.notes = ev.accountant->Notes();
  return ev;
}

std::string Ledger::Impl::ExhaustedMessage(const BudgetRow& b, const Evaluation& ev,
                                           int64_t num_charged) {
  const Spend remaining = Remaining(b.budget, ev.before);
  const Spend cost = Minus(ev.after, ev.before);
  std::string need = b.budget.is_rho()
                         ? absl::StrCat("rho=", FormatDouble(cost.rho))
                         : absl::StrCat("epsilon=", FormatDouble(cost.epsilon),
                                        " (total would be epsilon=",
                                        FormatDouble(ev.after.epsilon), ")");
  return absl::StrCat(
      "privacy budget exhausted for dataset '", b.dataset, "' unit '", b.unit, "': remaining ",
      SpendText(b.budget, remaining), " of ", b.budget.ToString(), " (accountant ",
      AccountantKindName(b.accountant), ", ", num_charged, " charges so far), but this operation "
      "needs ", need, "; nothing was charged or released. Ask for less (larger noise, fewer "
      "queries) or stop: a spent budget cannot be reset");
}

absl::StatusOr<Receipt> Ledger::Impl::Charge(const std::string& dataset, const std::string& unit,
                                             const std::vector<PrivacyMap>& maps,
                                             const std::string& operation,
                                             const std::string& caller_in) {
  DPKIT_RETURN_IF_ERROR(ValidateMaps(maps));
  const std::string caller = caller_in.empty() ? DefaultCaller() : caller_in;
  const std::string maps_json = MapsToJson(maps);
  const std::string mechanism = MechanismNames(maps);

  std::lock_guard<std::mutex> lock(mu_);
  // 1. Without the write lock (a read transaction; other processes keep charging): fold in the
  //    charges committed since this handle last looked, and price this charge. Composition can
  //    be expensive (an RDP curve of a subsampled Gaussian, a PLD), so it is kept out of the
  //    critical section whenever nobody commits in between.
  int64_t priced_after_id = -1;
  Evaluation priced;
  {
    Txn read(db_.get());
    DPKIT_RETURN_IF_ERROR(read.Begin(/*immediate=*/false));
    DPKIT_ASSIGN_OR_RETURN(BudgetRow b0, LookupBudget(dataset, unit));
    DPKIT_ASSIGN_OR_RETURN(BudgetState * st0, Refresh(b0));
    DPKIT_ASSIGN_OR_RETURN(priced, Evaluate(b0, *st0, maps));
    priced_after_id = st0->last_id;
    DPKIT_RETURN_IF_ERROR(read.Commit());
  }
  // 2. Under SQLite's write lock: fold in whatever was committed meanwhile, re-price only if
  //    something was, decide, insert, commit.
  Txn txn(db_.get());
  DPKIT_RETURN_IF_ERROR(txn.Begin(/*immediate=*/true));
  DPKIT_ASSIGN_OR_RETURN(BudgetRow b, LookupBudget(dataset, unit));
  DPKIT_ASSIGN_OR_RETURN(BudgetState * st, Refresh(b));
  Evaluation ev;
  if (st->last_id == priced_after_id) {
    ev = std::move(priced);
  } else {
    DPKIT_ASSIGN_OR_RETURN(ev, Evaluate(b, *st, maps));
  }
  const int64_t now = env_->NowMicros();

  DPKIT_ASSIGN_OR_RETURN(
      Stmt ins, db_->Prepare("INSERT INTO charges(budget_id, ts_us, status, mechanism, "
                             "privacy_maps, operation, caller, epsilon_spent, delta_spent, "
                             "rho_spent, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  ins.Bind(1, b.id).Bind(2, now).Bind(4, mechanism).Bind(5, maps_json).Bind(6, operation);
  ins.Bind(7, caller);
  if (!ev.fits) {
    std::string message = ExhaustedMessage(b, ev, st->num_charged);
    const Spend& s = ev.before;
    ins.Bind(3, std::string("refused")).Bind(8, s.epsilon).Bind(9, s.delta).Bind(10, s.rho);
    ins.Bind(11, message);
    // Record the refused attempt for the audit trail; if that fails the refusal still stands.
    if (ins.Run().ok()) (void)txn.Commit();
    return absl::ResourceExhaustedError(message);
  }
  const Spend& s = ev.after;
  ins.Bind(3, std::string("charged")).Bind(8, s.epsilon).Bind(9, s.delta).Bind(10, s.rho);
  ins.Bind(11, std::string());
  DPKIT_RETURN_IF_ERROR(ins.Run());
  const int64_t id = db_->LastInsertRowId();
  DPKIT_RETURN_IF_ERROR(txn.Commit());

  // Committed: advance the cached composition to include this charge.
  st->accountant = std::move(ev.accountant);
  st->rho = ev.rho;
  st->last_id = id;
  st->num_charged += 1;
  st->spent = ev.after;

  Receipt r;
  r.charge_id = id;
  r.timestamp_micros = now;
  r.dataset = b.dataset;
  r.unit = b.unit;
  r.accountant = b.accountant;
  r.budget = b.budget;
  r.cost = Minus(ev.after, ev.before);
  r.spent = ev.after;
  r.remaining = Remaining(b.budget, ev.after);
  r.notes = std::move(ev.notes);
  return r;
}

absl::StatusOr<ChargePreview> Ledger::Impl::Preview(const std::string& dataset,
                                                    const std::string& unit,
                                                    const std::vector<PrivacyMap>& maps) {
  DPKIT_RETURN_IF_ERROR(ValidateMaps(maps));
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(db_.get());
  DPKIT_RETURN_IF_ERROR(txn.Begin(/*immediate=*/false));
  DPKIT_ASSIGN_OR_RETURN(BudgetRow b, LookupBudget(dataset, unit));
  DPKIT_ASSIGN_OR_RETURN(BudgetState * st, Refresh(b));
  DPKIT_ASSIGN_OR_RETURN(Evaluation ev, Evaluate(b, *st, maps));
  ChargePreview p;
  p.fits = ev.fits;
  p.dataset = b.dataset;
  p.unit = b.unit;
  p.accountant = b.accountant;
  p.budget = b.budget;
  p.spent_before = ev.before;
  p.spent_after = ev.after;
  p.cost = Minus(ev.after, ev.before);
  p.remaining_after = Remaining(b.budget, ev.after);
  if (!ev.fits) p.message = ExhaustedMessage(b, ev, st->num_charged);
  p.notes = std::move(ev.notes);
  DPKIT_RETURN_IF_ERROR(txn.Commit());
  return p;
}

absl::StatusOr<BudgetStatus> Ledger::Impl::StatusLocked(const BudgetRow& b) {
  DPKIT_ASSIGN_OR_RETURN(BudgetState * st, Refresh(b));
  BudgetStatus out;
  out.dataset = b.dataset;
  out.unit = b.unit;
  out.accountant = b.accountant;
  out.budget = b.budget;
  out.spent = st->spent;
  out.remaining = Remaining(b.budget, st->spent);
  out.num_charges = st->num_charged;
  out.created_micros = b.created_us;
  if (st->accountant != nullptr) out.notes = st->accountant->Notes();
  DPKIT_ASSIGN_OR_RETURN(
      Stmt s, db_->Prepare("SELECT count(*) FROM charges WHERE budget_id = ? AND status = 'refused'"));
  s.Bind(1, b.id);
  DPKIT_RETURN_IF_ERROR(s.Step().status());
  out.num_refused = s.ColumnInt(0);
  return out;
}

absl::StatusOr<BudgetStatus> Ledger::Impl::Status(const std::string& dataset,
                                                  const std::string& unit) {
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(db_.get());
  DPKIT_RETURN_IF_ERROR(txn.Begin(/*immediate=*/false));
  DPKIT_ASSIGN_OR_RETURN(BudgetRow b, LookupBudget(dataset, unit));
  DPKIT_ASSIGN_OR_RETURN(BudgetStatus out, StatusLocked(b));
  DPKIT_RETURN_IF_ERROR(txn.Commit());
  return out;
}

absl::StatusOr<std::vector<BudgetStatus>> Ledger::Impl::ListBudgets(const std::string& dataset) {
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(db_.get());
  DPKIT_RETURN_IF_ERROR(txn.Begin(/*immediate=*/false));
  DPKIT_ASSIGN_OR_RETURN(std::vector<BudgetRow> rows, AllBudgets(dataset));
  std::vector<BudgetStatus> out;
  for (const BudgetRow& b : rows) {
    DPKIT_ASSIGN_OR_RETURN(BudgetStatus s, StatusLocked(b));
    out.push_back(std::move(s));
  }
  DPKIT_RETURN_IF_ERROR(txn.Commit());
  return out;
}

absl::StatusOr<std::vector<ChargeRecord>> Ledger::Impl::HistoryLocked(
    const BudgetRow& b, const HistoryOptions& options) {
  std::string sql =
      "SELECT id, ts_us, status, mechanism, privacy_maps, operation, caller, epsilon_spent, "
      "delta_spent, rho_spent, note FROM charges WHERE budget_id = ?";
  if (!options.include_refused) sql += " AND status = 'charged'";
  sql += " ORDER BY id DESC";
  if (options.limit > 0) sql += absl::StrCat(" LIMIT ", options.limit);
  DPKIT_ASSIGN_OR_RETURN(Stmt s, db_->Prepare(sql));
  s.Bind(1, b.id);
  std::vector<ChargeRecord> out;
  while (true) {
    DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ChargeRecord r;
    r.charge_id = s.ColumnInt(0);
    r.timestamp_micros = s.ColumnInt(1);
    r.dataset = b.dataset;
    r.unit = b.unit;
    r.status = s.ColumnText(2);
    r.mechanism = s.ColumnText(3);
    absl::StatusOr<std::vector<PrivacyMap>> maps = MapsFromJson(s.ColumnText(4));
    if (!maps.ok()) {
      return CorruptionError(path(), absl::StrCat("charge #", r.charge_id,
                                                  " has unreadable privacy maps (",
                                                  maps.status().message(), ")"));
    }
    r.maps = *std::move(maps);
    r.operation = s.ColumnText(5);
    r.caller = s.ColumnText(6);
    r.spent_after = {s.ColumnDouble(7), s.ColumnDouble(8), s.ColumnDouble(9)};
    r.note = s.ColumnText(10);
    out.push_back(std::move(r));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::vector<ChargeRecord>> Ledger::Impl::History(const std::string& dataset,
                                                                const std::string& unit,
                                                                const HistoryOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(db_.get());
  DPKIT_RETURN_IF_ERROR(txn.Begin(/*immediate=*/false));
  DPKIT_ASSIGN_OR_RETURN(BudgetRow b, LookupBudget(dataset, unit));
  DPKIT_ASSIGN_OR_RETURN(std::vector<ChargeRecord> out, HistoryLocked(b, options));
  DPKIT_RETURN_IF_ERROR(txn.Commit());
  return out;
}

absl::StatusOr<std::string> Ledger::Impl::ExportJson(const std::string& dataset) {
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(db_.get());
  DPKIT_RETURN_IF_ERROR(txn.Begin(/*immediate=*/false));
  DPKIT_ASSIGN_OR_RETURN(std::vector<BudgetRow> rows, AllBudgets(dataset));
  nlohmann::json doc;
  doc["format"] = "dpkit-ledger-export";
  doc["schema_version"] = kSchemaVersion;
  doc["ledger"] = path();
  doc["exported_at"] = FormatTimeUs(env_->NowMicros());
  doc["budgets"] = nlohmann::json::array();
  for (const BudgetRow& b : rows) {
    DPKIT_ASSIGN_OR_RETURN(BudgetStatus st, StatusLocked(b));
    DPKIT_ASSIGN_OR_RETURN(std::vector<ChargeRecord> hist, HistoryLocked(b, {}));
    nlohmann::json jb;
    jb["dataset"] = b.dataset;
    jb["unit"] = b.unit;
    jb["neighbouring"] = b.unit == kRowLevelUnit
                             ? "add/remove one row"
                             : absl::StrCat("add/remove all rows of one value of '", b.unit, "'");
    jb["accountant"] = AccountantKindName(b.accountant);
    jb["budget"] = BudgetJson(b.budget);
    jb["spent"] = internal::SpendJson(b.budget, st.spent);
    jb["remaining"] = internal::SpendJson(b.budget, st.remaining);
    jb["num_charges"] = st.num_charges;
    jb["num_refused"] = st.num_refused;
    jb["created_at"] = FormatTimeUs(b.created_us);
    jb["notes"] = st.notes;
    jb["charges"] = nlohmann::json::array();
    for (const ChargeRecord& r : hist) {
      nlohmann::json jc;
      jc["id"] = r.charge_id;
      jc["timestamp"] = FormatTimeUs(r.timestamp_micros);
      jc["timestamp_us"] = r.timestamp_micros;
      jc["status"] = r.status;
      jc["mechanism"] = r.mechanism;
      jc["privacy_maps"] = nlohmann::json::array();
      for (const PrivacyMap& m : r.maps) {
        jc["privacy_maps"].push_back(nlohmann::json::parse(m.ToJson()));
      }
      jc["operation"] = r.operation;
      jc["caller"] = r.caller;
      jc["spent_after"] = internal::SpendJson(b.budget, r.spent_after);
      if (!r.note.empty()) jc["note"] = r.note;
      jb["charges"].push_back(std::move(jc));
    }
    doc["budgets"].push_back(std::move(jb));
  }
  DPKIT_RETURN_IF_ERROR(txn.Commit());
  return doc.dump(2);
}

absl::Status Ledger::Impl::CheckIntegrity() {
  std::lock_guard<std::mutex> lock(mu_);
  DPKIT_RETURN_IF_ERROR(RunSqliteCheck(/*full=*/true));
  Txn txn(db_.get());
  DPKIT_RETURN_IF_ERROR(txn.Begin(/*immediate=*/false));
  {
    DPKIT_ASSIGN_OR_RETURN(Stmt fk, db_->Prepare("PRAGMA foreign_key_check"));
    DPKIT_ASSIGN_OR_RETURN(bool row, fk.Step());
    if (row) {
      return CorruptionError(path(), absl::StrCat("table ", fk.ColumnText(0), " row ",
                                                  fk.ColumnInt(1), " has a dangling reference"));
    }
  }
  DPKIT_ASSIGN_OR_RETURN(std::vector<BudgetRow> rows, AllBudgets(""));
  for (const BudgetRow& b : rows) {
    const std::string where = absl::StrCat("dataset '", b.dataset, "' unit '", b.unit, "'");
    if (b.budget.is_rho() ? !(b.budget.rho > 0 && std::isfinite(b.budget.rho))
                          : !(b.budget.epsilon > 0 && std::isfinite(b.budget.epsilon))) {
      return CorruptionError(path(), absl::StrCat(where, " has an invalid budget"));
    }
    std::unique_ptr<Accountant> acc;
    if (!b.budget.is_rho()) {
      DPKIT_ASSIGN_OR_RETURN(acc, accounting::CreateAccountant(b.accountant));
    }
    double rho = 0;
    int64_t n = 0;
    Spend last_stored;
    std::vector<PrivacyMap> all_maps;
    DPKIT_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT id, privacy_maps, epsilon_spent, "
                                                "delta_spent, rho_spent FROM charges WHERE "
                                                "budget_id = ? AND status = 'charged' ORDER BY id"));
    s.Bind(1, b.id);
    while (true) {
      DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      const int64_t id = s.ColumnInt(0);
      absl::StatusOr<std::vector<PrivacyMap>> maps = MapsFromJson(s.ColumnText(1));
      if (!maps.ok()) {
        return CorruptionError(path(), absl::StrCat("charge #", id, " has unreadable privacy maps (",
                                                    maps.status().message(), ")"));
      }
      for (const PrivacyMap& m : *maps) {
        if (b.budget.is_rho()) {
          absl::StatusOr<double> r = RhoOf(m);
          if (!r.ok()) return CorruptionError(path(), std::string(r.status().message()));
          rho += *r;
        } else {
          all_maps.push_back(m);
        }
      }
      last_stored = {s.ColumnDouble(2), s.ColumnDouble(3), s.ColumnDouble(4)};
      ++n;
      const bool over = b.budget.is_rho() ? last_stored.rho > b.budget.rho
                                          : !(last_stored.epsilon <= b.budget.epsilon);
      if (over) {
        return CorruptionError(path(), absl::StrCat("charge #", id, " of ", where,
                                                    " records a total (",
                                                    SpendText(b.budget, last_stored),
                                                    ") above the budget (", b.budget.ToString(),
                                                    ")"));
      }
    }
    if (n == 0) continue;
    if (!b.budget.is_rho()) {
      if (absl::Status a = FoldMaps(b.accountant, *acc, all_maps); !a.ok()) {
        return CorruptionError(path(), absl::StrCat(where, ": ", a.message()));
      }
    }
    DPKIT_ASSIGN_OR_RETURN(Spend recomposed, ComputeSpend(b, acc.get(), rho, false));
    const bool match = b.budget.is_rho()
                           ? NearlyEqual(recomposed.rho, last_stored.rho)
                           : NearlyEqual(recomposed.epsilon, last_stored.epsilon);
    if (!match) {
      return CorruptionError(
          path(), absl::StrCat(where, ": re-composing its ", n, " charges gives ",
                               SpendText(b.budget, recomposed), " but the ledger recorded ",
                               SpendText(b.budget, last_stored)));
    }
  }
  return txn.Commit();
}

// ---------------------------------------------------------------------------------------------

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ledger::~Ledger() = default;

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(const std::string& path,
                                                     const LedgerOptions& options) {
  if (path.empty()) return absl::InvalidArgumentError("ledger path must not be empty");
  Env* env = options.env != nullptr ? options.env : Env::Default();
  if (!options.create_if_missing && !env->FileExists(path)) {
    return absl::NotFoundError(absl::StrCat("ledger file ", path,
                                            " does not exist; create it with: dpkit budget init "
                                            "--ledger ",
                                            path, " --dataset NAME --epsilon E --delta D"));
  }
  if (options.lock_timeout_ms < 0) {
    return absl::InvalidArgumentError(absl::StrCat("lock_timeout_ms must be >= 0, got ",
                                                   options.lock_timeout_ms));
  }
  DPKIT_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(path, options.create_if_missing));
  auto impl = std::make_unique<Impl>(std::move(db), env, options);
  DPKIT_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
}

const std::string& Ledger::path() const { return impl_->path(); }

absl::Status Ledger::CreateBudget(const std::string& dataset, const std::string& unit,
                                  const Budget& budget, AccountantKind accountant) {
  return impl_->CreateBudget(dataset, unit, budget, accountant);
}

absl::StatusOr<Receipt> Ledger::Charge(const std::string& dataset, const std::string& unit,
                                       const std::vector<PrivacyMap>& maps,
                                       const std::string& operation, const std::string& caller) {
  return impl_->Charge(dataset, unit, maps, operation, caller);
}

absl::StatusOr<ChargePreview> Ledger::Preview(const std::string& dataset,
                                              const std::string& unit,
                                              const std::vector<PrivacyMap>& maps) {
  return impl_->Preview(dataset, unit, maps);
}

absl::StatusOr<BudgetStatus> Ledger::Status(const std::string& dataset, const std::string& unit) {
  return impl_->Status(dataset, unit);
}

absl::StatusOr<std::vector<BudgetStatus>> Ledger::ListBudgets(const std::string& dataset) {
  return impl_->ListBudgets(dataset);
}

absl::StatusOr<std::vector<ChargeRecord>> Ledger::History(const std::string& dataset,
                                                          const std::string& unit,
                                                          const HistoryOptions& options) {
  return impl_->History(dataset, unit, options);
}

absl::StatusOr<std::string> Ledger::ExportJson(const std::string& dataset) {
  return impl_->ExportJson(dataset);
}

absl::Status Ledger::CheckIntegrity() { return impl_->CheckIntegrity(); }

}  // namespace dpkit::ledger
