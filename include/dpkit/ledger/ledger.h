// Ledger: the persistent privacy budget of every dataset, in one SQLite 3 file.
//
// WHAT IT STORES
//   datasets, privacy units (the column whose values identify a person; kRowLevelUnit when
//   neighbouring datasets differ in one row), one budget per dataset + unit (epsilon and delta,
//   or zCDP rho) with the accountant the dataset chose (basic, zcdp, rdp or pld), and every
//   charge: timestamp, mechanism names, the PrivacyMaps as JSON, the query/operation text, the
//   caller (user@host/pid unless given), a status ("charged" or "refused") and the total spent
//   after it. Charges are append-only (SQLite triggers refuse UPDATE and DELETE).
//
// PROTOCOL FOR CALLERS (analytics, synth, train): charge, then compute, then release.
//   1. Build the release's PrivacyMaps from the configured mechanisms (not from a user's claim).
//   2. Optionally Preview() them (EXPLAIN / --dry-run): cost and whether it fits; no charge.
//   3. Charge(). Only when it returns OK may the result be computed and shown. On
//      ResourceExhausted, release nothing; the message gives the remaining budget.
//   4. Compute and release. If the process dies after step 3, the budget is lost (the ledger
//      over-reports), never the other way round: the ledger never under-reports spent budget.
//
// HOW A CHARGE IS DECIDED (atomic, multi-process safe)
//   One `BEGIN IMMEDIATE` transaction (SQLite's single write lock, waited for up to
//   LedgerOptions::lock_timeout_ms): read the budget, compose every earlier charged map plus the
//   new ones with the dataset's accountant (dpkit/accounting), and insert the charge only if
//     epsilon_spent(delta_budget) <= epsilon_budget
//   i.e. everything charged, this charge included, is (epsilon_budget, delta_budget)-DP by the
//   accountant's bound. (With basic composition, approximate-DP maps' deltas count against
//   delta_budget: once they exceed it, epsilon_spent is infinite.) For a rho budget: total
//   rho <= rho_budget (zCDP composition adds rho, Bun & Steinke 2016, Lemma 2.3). Comparisons
//   are exact (no tolerance). The commit is durable before Charge returns (WAL journal,
//   synchronous=FULL). A refused charge is recorded with status "refused" (it spends nothing).
//   Composition is incremental: each Ledger keeps, per budget, the composed accountant and the
//   id of the last charge folded into it, and folds in only newer charges (other processes'
//   too); this is exact because charges are append-only. For the zcdp and rdp accountants
//   identical maps in a folded batch are added once with summed repetitions (their composition
//   is a sum, so this equals adding them one by one up to rounding). Charge first folds and prices in a
//   read transaction, then re-checks under the write lock, re-pricing only if another process
//   committed in between, so expensive composition rarely happens inside the lock.
//
// SPENT AND REMAINING for an (epsilon, delta) budget are stated at the budget's delta:
//   spent.epsilon     = smallest epsilon with all charges (epsilon, delta_budget)-DP,
//   remaining.epsilon = epsilon_budget - spent.epsilon (clamped at 0),
//   spent.delta = remaining.delta = delta_budget (the delta they are stated at; 0 while nothing
//   is spent). For a rho budget: spent.rho, remaining.rho = rho_budget - spent.rho.
//   Privacy claim: if every charged PrivacyMap is a valid bound for its release, everything
//   released under a budget is (epsilon_budget, delta_budget)-DP (rho_budget-zCDP) with respect
//   to the budget's privacy unit. Budgets of different units of the same dataset are separate:
//   their spends do not compose with each other (avoid creating more than one per dataset).
//
// ERRORS
//   NotFound           unknown dataset or unit (message lists the known ones), missing file
//   ResourceExhausted  budget exhausted (message: remaining budget and what to do) -> CLI exit 3
//   DataLoss           corrupted ledger file ("ledger file X is corrupted: ...; restore it from a
//                      backup"); a damaged file is never recreated
//   Unavailable        file locked by another process beyond the lock timeout, disk full, I/O
//   InvalidArgument    bad budget numbers, bad names, maps the accountant cannot compose
//   AlreadyExists      CreateBudget for a dataset + unit that already has one
//   FailedPrecondition the file is an SQLite database but not a dpkit ledger, or a newer schema
//
// THREAD SAFETY: a Ledger is thread-safe (one SQLite connection behind a mutex). Any number of
// processes may open the same file at once (local file systems only: WAL needs shared memory).
#ifndef DPKIT_LEDGER_LEDGER_H_
#define DPKIT_LEDGER_LEDGER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/base/env.h"
#include "dpkit/base/privacy_map.h"

namespace dpkit::ledger {

// The unit name used when no privacy unit column is given (row-level neighbouring).
inline constexpr char kRowLevelUnit[] = "(row)";
// Version of the file's schema (meta table key "schema_version").
inline constexpr int kSchemaVersion = 1;

// A total privacy budget: either (epsilon, delta) with delta possibly 0, or rho (zCDP).
struct Budget {
  double epsilon = 0;
  double delta = 0;
  double rho = 0;  // > 0 means a zCDP budget; then epsilon and delta must be 0

  static Budget EpsilonDelta(double epsilon, double delta) { return {epsilon, delta, 0}; }
  static Budget Rho(double rho) { return {0, 0, rho}; }
  bool is_rho() const { return rho > 0; }
  std::string ToString() const;  // "epsilon=1, delta=1e-06" or "rho=0.5"
};

// Amounts spent or remaining, in the units of the budget they belong to: rho for rho budgets;
// otherwise epsilon, stated at `delta` (the budget's delta; see SPENT AND REMAINING above).
struct Spend {
  double epsilon = 0;
  double delta = 0;
  double rho = 0;
};

enum class IntegrityCheck {
  kNone,   // trust the file (fastest)
  kQuick,  // SQLite PRAGMA quick_check + schema check (default; O(file size), fast)
  kFull,   // PRAGMA integrity_check + re-compose every budget and compare with stored totals
};

struct LedgerOptions {
  // Create the file (and schema) if it does not exist. When false a missing file is NotFound.
  bool create_if_missing = true;
  // How long to wait for another process's write lock before failing with Unavailable.
  int lock_timeout_ms = 10000;
  IntegrityCheck integrity_check = IntegrityCheck::kQuick;
  // Clock (timestamps) and file-existence checks; nullptr = Env::Default(). SQLite does its own
  // file I/O.
  Env* env = nullptr;
};

// What a charge spent, returned only after it is durably committed.
struct Receipt {
  int64_t charge_id = 0;
  int64_t timestamp_micros = 0;
  std::string dataset;
  std::string unit;
  accounting::AccountantKind accountant = accounting::AccountantKind::kBasic;
  Budget budget;
  Spend cost;       // spent after minus spent before (the marginal cost of this charge)
  Spend spent;      // total after this charge
  Spend remaining;  // budget - spent, clamped at 0
  std::vector<std::string> notes;  // accountant notes (approximations taken)
};

// What a charge would do, computed without charging (for EXPLAIN and --dry-run). Another
// process may charge in between: only Charge() decides.
struct ChargePreview {
  bool fits = false;
  std::string dataset;
  std::string unit;
  accounting::AccountantKind accountant = accounting::AccountantKind::kBasic;
  Budget budget;
  Spend cost;
  Spend spent_before;
  Spend spent_after;
  Spend remaining_after;  // clamped at 0
  std::string message;    // why it does not fit (empty when it fits)
  std::vector<std::string> notes;
};

struct BudgetStatus {
  std::string dataset;
  std::string unit;
  accounting::AccountantKind accountant = accounting::AccountantKind::kBasic;
  Budget budget;
  Spend spent;
  Spend remaining;
  int64_t num_charges = 0;  // charged (spent) operations
  int64_t num_refused = 0;  // refused attempts (spent nothing)
  int64_t created_micros = 0;
  std::vector<std::string> notes;
};

// One row of the audit trail.
struct ChargeRecord {
  int64_t charge_id = 0;
  int64_t timestamp_micros = 0;
  std::string dataset;
  std::string unit;
  std::string status;     // "charged" or "refused"
  std::string mechanism;  // the maps' mechanism names, comma-separated
  std::vector<PrivacyMap> maps;
  std::string operation;
  std::string caller;
  Spend spent_after;  // total spent after this row (unchanged by a refused row)
  std::string note;   // refusal message
};

struct HistoryOptions {
  // Most recent N rows (0 = all), returned oldest first.
  int64_t limit = 0;
  bool include_refused = true;
};

// "user@host/pid" of this process.
std::string DefaultCaller();

// The checks CreateBudget applies to a budget and its accountant (InvalidArgument naming the
// bad value); front ends call it before touching any file.
absl::Status ValidateBudget(const Budget& budget, accounting::AccountantKind accountant);

class Ledger {
 public:
  // Opens (creating if allowed) the ledger at `path`, sets WAL, synchronous=FULL and the busy
  // timeout, creates or verifies the schema and runs the integrity check.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& path,
                                                      const LedgerOptions& options = {});
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  const std::string& path() const;

  // Creates the budget for dataset + unit (unit "" = kRowLevelUnit). A rho budget requires the
  // zcdp accountant; delta = 0 requires basic or pld (zCDP and RDP never certify pure DP).
  absl::Status CreateBudget(const std::string& dataset, const std::string& unit,
                            const Budget& budget, accounting::AccountantKind accountant);

  // Atomically checks and charges `maps` (one operation, e.g. one query's measurements) against
  // the budget. `caller` "" = DefaultCaller(). See the protocol above.
  absl::StatusOr<Receipt> Charge(const std::string& dataset, const std::string& unit,
                                 const std::vector<PrivacyMap>& maps,
                                 const std::string& operation, const std::string& caller = "");

  // What Charge would cost and whether it would fit now; writes nothing. Errors as Charge,
  // except that a charge that does not fit is returned with fits = false, not an error.
  absl::StatusOr<ChargePreview> Preview(const std::string& dataset, const std::string& unit,
                                        const std::vector<PrivacyMap>& maps);

  absl::StatusOr<BudgetStatus> Status(const std::string& dataset, const std::string& unit);
  // All budgets, or those of `dataset` when non-empty (NotFound if it has none), sorted by
  // dataset then unit.
  absl::StatusOr<std::vector<BudgetStatus>> ListBudgets(const std::string& dataset = "");
  // Audit trail of one budget.
  absl::StatusOr<std::vector<ChargeRecord>> History(const std::string& dataset,
                                                    const std::string& unit,
                                                    const HistoryOptions& options = {});
  // Every budget (or those of `dataset`) with its full audit trail, as one JSON document.
  absl::StatusOr<std::string> ExportJson(const std::string& dataset = "");

  // PRAGMA integrity_check, foreign-key check, and for every budget: every stored map parses,
  // re-composition from scratch matches the stored running totals, and no charged total
  // exceeds the budget. DataLoss on any failure.
  absl::Status CheckIntegrity();

 private:
  class Impl;
  explicit Ledger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dpkit::ledger

#endif  // DPKIT_LEDGER_LEDGER_H_
