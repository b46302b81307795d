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
#include "ledger/charge_chain.h"
#include "ledger/json_format.h"
#include "ledger/ledger_impl.h"
#include "ledger/schema.h"
#include "ledger/sqlite_db.h"
#include "nlohmann/json.hpp"

namespace dpkit::ledger {

using accounting::Accountant;
using accounting::AccountantKind;
using accounting::AccountantKindName;
using internal::ChainedRow;
using internal::CorruptionError;
using internal::Db;
using internal::Stmt;

namespace internal {

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxMapsPerCharge = 100000;

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
    } else if (it->second.repetitions > PrivacyMap::kMaxRepetitions - m.repetitions) {
      DPKIT_RETURN_IF_ERROR(acc.Add(it->second));  // a group holds at most kMaxRepetitions
      it->second.repetitions = m.repetitions;
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

using internal::FoldMaps;
using internal::FormatTimeUs;
using internal::kMaxMapsPerCharge;
using internal::MapsFromJson;
using internal::MapsToJson;
using internal::MechanismNames;
using internal::Minus;
using internal::Remaining;
using internal::RhoOf;
using internal::SpendText;
using internal::UnitOrRow;
using internal::ValidateName;

std::string Budget::ToString() const {
  if (is_rho()) return absl::StrCat("rho=", FormatDouble(rho));
  return absl::StrCat("epsilon=", FormatDouble(epsilon), ", delta=", FormatDouble(delta));
}

std::string NeighbouringRelation(const std::string& unit) {
  return unit.empty() || unit == kRowLevelUnit
             ? "add/remove one row"
             : absl::StrCat("add/remove all rows of one '", unit, "'");
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

namespace {

// A budget amount within the documented limits (ledger.h, BUDGET LIMITS).
absl::Status ValidateWithin(const char* name, double value, double lo, double hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "budget ", name, " must be in [", FormatDouble(lo), ", ", FormatDouble(hi), "], got ",
      FormatDouble(value),
      value > hi ? " (a budget that large protects nothing)"
                 : " (no release could fit a budget that small)"));
}

}  // namespace

absl::Status ValidateBudget(const Budget& budget, AccountantKind accountant) {
  if (budget.rho != 0 || (budget.epsilon == 0 && budget.delta == 0)) {
    DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("rho", budget.rho));
    DPKIT_RETURN_IF_ERROR(ValidateWithin("rho", budget.rho, kMinRhoBudget, kMaxRhoBudget));
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
    DPKIT_RETURN_IF_ERROR(
        ValidateWithin("epsilon", budget.epsilon, kMinEpsilonBudget, kMaxEpsilonBudget));
    DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", budget.delta, /*allow_zero=*/true));
    if (budget.delta != 0) {
      DPKIT_RETURN_IF_ERROR(
          ValidateWithin("delta", budget.delta, kMinDeltaBudget, kMaxDeltaBudget));
    }
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


absl::Status Ledger::Impl::Init() {
  DPKIT_RETURN_IF_ERROR(
      db_->Exec(absl::StrCat("PRAGMA busy_timeout = ", std::max(0, options_.lock_timeout_ms))));
  // The first read detects a file that is not a database at all (SQLITE_NOTADB -> DataLoss).
  {
    DPKIT_ASSIGN_OR_RETURN(Stmt probe, db_->Prepare("SELECT count(*) FROM sqlite_master"));
    DPKIT_RETURN_IF_ERROR(probe.Step().status());
  }
  // Before anything writes to the file: an empty or foreign file is refused untouched.
  DPKIT_RETURN_IF_ERROR(internal::VerifyOrUpgradeSchema(*db_, env_));
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
  switch (options_.integrity_check) {
    case IntegrityCheck::kNone:
      break;
    case IntegrityCheck::kQuick:
      DPKIT_RETURN_IF_ERROR(RunSqliteCheck(/*full=*/false));
      break;
    case IntegrityCheck::kFull:
      DPKIT_RETURN_IF_ERROR(Verify({}).status());
      break;
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
        dataset, u == kRowLevelUnit ? std::string() : absl::StrCat(" --unit ", u),
        " --epsilon E --delta D (or --rho R)"));
  }
  return absl::NotFoundError(absl::StrCat(
      "dataset '", dataset, "' has no budget for privacy unit '", u, "' in ledger ", path(),
      " (its units: ", absl::StrJoin(unit_names, ", "),
      "); pass one of those units: a budget for one unit does not cover releases at another"));
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
  if (!b.budget.is_rho() && std::isinf(ev.after.epsilon)) return DeltaExhaustedMessage(b, ev);
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

// No finite epsilon at the budget's delta: the deltas of approximate-DP maps (or a Gaussian
// against a pure-DP budget) need more delta than the budget has. Say how much.
std::string Ledger::Impl::DeltaExhaustedMessage(const BudgetRow& b, const Evaluation& ev) {
  absl::StatusOr<double> needed = ev.accountant->Delta(b.budget.epsilon);
  const std::string need =
      needed.ok() ? absl::StrCat("delta=", FormatDouble(*needed), " at epsilon=",
                                 FormatDouble(b.budget.epsilon))
                  : absl::StrCat("more than delta=", FormatDouble(b.budget.delta));
  return absl::StrCat(
      "delta budget exhausted for dataset '", b.dataset, "' unit '", b.unit, "': everything "
      "charged so far plus this operation needs ", need, " (accountant ",
      AccountantKindName(b.accountant), "), but the budget is ", b.budget.ToString(),
      "; nothing was charged or released. Use mechanisms with a smaller delta (or pure DP), or "
      "stop: a spent budget cannot be reset");
}

absl::StatusOr<ChainHead> Ledger::Impl::HeadLocked() {
  DPKIT_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT id, hash FROM charges ORDER BY id DESC "
                                              "LIMIT 1"));
  DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return ChainHead{0, internal::kGenesisHash};
  return ChainHead{s.ColumnInt(0), s.ColumnText(1)};
}

// The largest charge id ever assigned (SQLite's AUTOINCREMENT counter; 0 if none).
absl::StatusOr<int64_t> Ledger::Impl::IdCounter() {
  DPKIT_ASSIGN_OR_RETURN(Stmt s,
                         db_->Prepare("SELECT seq FROM sqlite_sequence WHERE name = 'charges'"));
  DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.ColumnInt(0) : 0;
}

// Inserts `row` (of budget `budget_id`) as the next link of the chain; inside a write
// transaction. Returns the new head.
absl::StatusOr<ChainHead> Ledger::Impl::AppendCharge(int64_t budget_id, ChainedRow row) {
  DPKIT_ASSIGN_OR_RETURN(ChainHead head, HeadLocked());
  DPKIT_ASSIGN_OR_RETURN(int64_t counter, IdCounter());
  row.id = std::max(head.id, counter) + 1;
  const std::string hash = internal::ChainHash(head.hash, row);
  DPKIT_ASSIGN_OR_RETURN(
      Stmt ins, db_->Prepare("INSERT INTO charges(id, budget_id, ts_us, status, mechanism, "
                             "privacy_maps, operation, caller, epsilon_spent, delta_spent, "
                             "rho_spent, note, insecure_seed, hash) VALUES (?, ?, ?, ?, ?, ?, ?, "
                             "?, ?, ?, ?, ?, ?, ?)"));
  ins.Bind(1, row.id).Bind(2, budget_id).Bind(3, row.ts_us).Bind(4, row.status);
  ins.Bind(5, row.mechanism).Bind(6, row.privacy_maps).Bind(7, row.operation).Bind(8, row.caller);
  ins.Bind(9, row.epsilon_spent).Bind(10, row.delta_spent).Bind(11, row.rho_spent);
  ins.Bind(12, row.note).Bind(13, int64_t{row.insecure_seed ? 1 : 0}).Bind(14, hash);
  DPKIT_RETURN_IF_ERROR(ins.Run());
  return ChainHead{row.id, hash};
}

absl::StatusOr<Receipt> Ledger::Impl::Charge(const std::string& dataset, const std::string& unit,
                                             const std::vector<PrivacyMap>& maps,
                                             const std::string& operation,
                                             const ChargeOptions& options) {
  DPKIT_RETURN_IF_ERROR(ValidateMaps(maps));
  const std::string caller = options.caller.empty() ? DefaultCaller() : options.caller;
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
  ChainedRow row;
  row.dataset = b.dataset;
  row.unit = b.unit;
  row.accountant = AccountantKindName(b.accountant);
  row.budget_epsilon = b.budget.epsilon;
  row.budget_delta = b.budget.delta;
  row.budget_rho = b.budget.rho;
  row.ts_us = now;
  row.mechanism = mechanism;
  row.privacy_maps = maps_json;
  row.operation = operation;
  row.caller = caller;
  row.insecure_seed = options.insecure_seed;
  if (!ev.fits) {
    std::string message = ExhaustedMessage(b, ev, st->num_charged);
    row.status = "refused";
    row.epsilon_spent = ev.before.epsilon;
    row.delta_spent = ev.before.delta;
    row.rho_spent = ev.before.rho;
    row.note = message;
    // Record the refused attempt for the audit trail; if that fails the refusal still stands.
    if (AppendCharge(b.id, row).ok()) (void)txn.Commit();
    return absl::ResourceExhaustedError(message);
  }
  row.status = "charged";
  row.epsilon_spent = ev.after.epsilon;
  row.delta_spent = ev.after.delta;
  row.rho_spent = ev.after.rho;
  DPKIT_ASSIGN_OR_RETURN(const ChainHead link, AppendCharge(b.id, row));
  const int64_t id = link.id;
  DPKIT_RETURN_IF_ERROR(txn.Commit());

  // Committed: advance the cached composition to include this charge.
  st->accountant = std::move(ev.accountant);
  st->rho = ev.rho;
  st->last_id = id;
  st->num_charged += 1;
  st->spent = ev.after;

  Receipt r;
  r.charge_id = id;
  r.hash = link.hash;
  r.insecure_seed = options.insecure_seed;
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
      Stmt s, db_->Prepare("SELECT count(*) FILTER (WHERE status = 'refused'), count(*) FILTER "
                           "(WHERE status = 'charged' AND insecure_seed = 1) FROM charges WHERE "
                           "budget_id = ?"));
  s.Bind(1, b.id);
  DPKIT_RETURN_IF_ERROR(s.Step().status());
  out.num_refused = s.ColumnInt(0);
  out.num_insecure_seed = s.ColumnInt(1);
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
      "delta_spent, rho_spent, note, insecure_seed, hash FROM charges WHERE budget_id = ?";
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
    r.insecure_seed = s.ColumnInt(11) != 0;
    r.hash = s.ColumnText(12);
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
  // A ledger is created only where no file exists, complete (schema.h); an existing file is
  // opened as it is, and refused if it holds no ledger.
  if (options.create_if_missing) DPKIT_RETURN_IF_ERROR(internal::CreateLedgerFile(path, env));
  DPKIT_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(path, /*create=*/false));
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
                                       const std::string& operation,
                                       const ChargeOptions& options) {
  return impl_->Charge(dataset, unit, maps, operation, options);
}

absl::StatusOr<Receipt> Ledger::Charge(const std::string& dataset, const std::string& unit,
                                       const std::vector<PrivacyMap>& maps,
                                       const std::string& operation, const std::string& caller) {
  return impl_->Charge(dataset, unit, maps, operation, ChargeOptions{.caller = caller});
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

absl::StatusOr<ChainHead> Ledger::Head() { return impl_->Head(); }

absl::StatusOr<IntegrityReport> Ledger::Verify(const VerifyOptions& options) {
  return impl_->Verify(options);
}

absl::Status Ledger::CheckIntegrity() { return Verify().status(); }

}  // namespace dpkit::ledger
