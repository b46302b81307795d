// Ledger: the persistent privacy budget of every dataset, in one SQLite 3 file.
//
// WHAT IT STORES
//   datasets, privacy units (the column whose values identify a person; kRowLevelUnit when
//   neighbouring datasets differ in one row), one budget per dataset + unit (epsilon and delta,
//   or zCDP rho) with the accountant the dataset chose (basic, zcdp, rdp or pld), and every
//   charge: timestamp, mechanism names, the PrivacyMaps as JSON, the query/operation text, the
//   caller (user@host/pid unless given), a status ("charged" or "refused"), the total spent
//   after it, whether the noise came from an insecure (reproducible, NOT private) seed, and the
//   row's link in a hash chain. Charges are append-only (SQLite triggers refuse UPDATE and
//   DELETE) and tamper-evident (TAMPER EVIDENCE below).
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
// BUDGET LIMITS (ValidateBudget; InvalidArgument naming the value outside them):
//   epsilon in [kMinEpsilonBudget, kMaxEpsilonBudget] = [1e-6, 1000]; delta = 0 or in
//   [kMinDeltaBudget, kMaxDeltaBudget] = [1e-30, 0.01] (a delta budget should be well below
//   1/number of privacy units); rho in [kMinRhoBudget, kMaxRhoBudget] = [1e-12, 1e5]. Outside
//   them a budget protects nothing (epsilon 1e300, delta 0.999999) or no release fits it.
//   A charge refused because the delta budget is used up (approximate-DP deltas beyond it) says
//   "delta budget exhausted" and the delta it would need, not "needs epsilon=inf".
//
// TAMPER EVIDENCE (schema version 2). Every charge row stores
//   hash = SHA-256(previous row's hash || canonical content of the row and of its budget)
// over all rows of the file in id order (ids run 1, 2, 3, ... without gaps). CheckIntegrity /
// Verify recompute the chain, look for id gaps and for ids removed from the end (SQLite's
// AUTOINCREMENT counter), and re-compose every budget's stored totals. An edited, inserted or
// deleted row is detected -- unless whoever edited the file also recomputed every later hash,
// or deleted the last rows and reset the id counter: nothing in the file itself can show that.
// The chain head (last id and its hash; ChainHead(), `dpkit budget export`) is what detects it:
// keep a copy elsewhere and pass it back (VerifyOptions::expect_head, `dpkit budget check
// --expect-head ID:HASH`). Files of schema version 1 are upgraded when opened: the chain is
// computed over the rows already there, which were not protected before; Verify's report says
// when that happened.
//
// FILES. Open creates a new ledger only where no file exists (the schema is written to a
// temporary file and hard-linked into place). An existing file that is empty, truncated or
// otherwise not a ledger is never re-initialised: DataLoss (CLI exit 4).
//
// ERRORS
//   NotFound           unknown dataset or unit (message lists the known ones), missing file
//   ResourceExhausted  budget exhausted (message: remaining budget and what to do) -> CLI exit 3
//   DataLoss           corrupted, empty, truncated or tampered ledger file ("ledger file X is
//                      corrupted: ...; restore it from a backup"); never recreated
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
#include <optional>
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
// Version of the file's schema (meta table key "schema_version"); version 1 files are upgraded.
inline constexpr int kSchemaVersion = 2;

// Budget limits (see BUDGET LIMITS).
inline constexpr double kMinEpsilonBudget = 1e-6;
inline constexpr double kMaxEpsilonBudget = 1000;
inline constexpr double kMinDeltaBudget = 1e-30;
inline constexpr double kMaxDeltaBudget = 0.01;
inline constexpr double kMinRhoBudget = 1e-12;
inline constexpr double kMaxRhoBudget = 1e5;

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
  kFull,   // Verify(): PRAGMA integrity_check, the hash chain, and every budget re-composed and
           // compared with its stored totals
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

// How a charge is recorded (beyond its maps and operation).
struct ChargeOptions {
  // Who charged; "" = DefaultCaller().
  std::string caller;
  // The release's noise came from a reproducible, NOT private seed (`--insecure-seed`). Recorded
  // in the row (and its hash), shown in history, status and export. The charge still counts
  // against the budget in full: the ledger never under-reports.
  bool insecure_seed = false;
};

// The end of the hash chain: the last charge row's id and hash (id 0 and 64 zeros when the
// ledger has no charge yet). Text form "ID:HASH".
struct ChainHead {
  int64_t id = 0;
  std::string hash;
  std::string ToString() const;
  // Parses "ID:HASH" (InvalidArgument otherwise).
  static absl::StatusOr<ChainHead> Parse(const std::string& text);
};

// What a charge spent, returned only after it is durably committed.
struct Receipt {
  int64_t charge_id = 0;
  std::string hash;          // the charge row's chain hash
  bool insecure_seed = false;
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
  int64_t num_insecure_seed = 0;  // charged operations whose noise came from an insecure seed
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
  bool insecure_seed = false;  // noise from a reproducible, NOT private seed
  std::string hash;            // the row's chain hash
};

struct HistoryOptions {
  // Most recent N rows (0 = all), returned oldest first.
  int64_t limit = 0;
  bool include_refused = true;
};

struct VerifyOptions {
  // When set, the chain must contain this head (a copy kept elsewhere): a ledger whose rows up
  // to head.id were rewritten, or that was truncated below it, fails the check.
  std::optional<ChainHead> expect_head;
};

// What Verify checked.
struct IntegrityReport {
  int64_t num_budgets = 0;
  int64_t num_charges = 0;  // rows in the chain (charged and refused)
  ChainHead head;
  std::string chain_origin;  // since when the chain protects the file (upgrade note)
};

// "user@host/pid" of this process.
std::string DefaultCaller();

// The neighbouring relation a budget's unit stands for, in the words every output uses:
// "add/remove one row" for kRowLevelUnit (or ""), "add/remove all rows of one 'customer_id'".
std::string NeighbouringRelation(const std::string& unit);

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
  // the budget, recorded as `options` say. See the protocol above.
  absl::StatusOr<Receipt> Charge(const std::string& dataset, const std::string& unit,
                                 const std::vector<PrivacyMap>& maps,
                                 const std::string& operation, const ChargeOptions& options);
  // The same with only a caller ("" = DefaultCaller()).
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

  // The current end of the hash chain (see TAMPER EVIDENCE).
  absl::StatusOr<ChainHead> Head();

  // PRAGMA integrity_check, foreign-key check, the hash chain (every row's hash, no id gap, no
  // id removed from the end, the expected head if given), and for every budget: every stored
  // map parses, re-composition from scratch matches the stored running totals, and no charged
  // total exceeds the budget. DataLoss on any failure.
  absl::StatusOr<IntegrityReport> Verify(const VerifyOptions& options = {});
  // Verify() without options, status only.
  absl::Status CheckIntegrity();

 private:
  class Impl;
  explicit Ledger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dpkit::ledger

#endif  // DPKIT_LEDGER_LEDGER_H_
