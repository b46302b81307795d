// The release protocol: plan -> charge -> execute, the same for every workload.
//
// Every release dpkit makes from private data — a query answer, a synthesizer fit, a training
// run, a pipeline run, a published table set — goes through three steps in the library, never
// in a front end (../shared/DESIGN.md, "Release protocol"):
//
//   1. PLAN from public inputs only (schema, spec, options, the ledger's own records): which
//      mechanisms run, at which privacy unit, with which contribution bounding and budget
//      split. The plan is a ReleasePlan: the budget it is charged to, the neighbouring relation,
//      the PrivacyMaps the planned mechanisms report (never a caller's claim), and the steps in
//      words (EXPLAIN / --dry-run print them).
//   2. CHARGE the plan to the ledger through a Charger. A refusal releases nothing.
//   3. EXECUTE: touch the data, bound contributions, add noise only through
//      dpkit/mechanisms/noise_factory.h, write outputs.
// Nothing derived from private data — counts, types inferred from cells, parse failures, timing —
// may leave the process (stdout, stderr, logs, files, exit code, error text) before step 2
// succeeds. A failure after step 2 is reported with what was spent (ChargedFailure).
//
// Budgets are never created implicitly in a ledger the user names: Charge() fails with NotFound
// (and the `dpkit budget init` command to run) when the plan's (dataset, unit) has no budget,
// and refuses (FailedPrecondition) a release whose privacy unit differs from the one(s) the
// dataset is budgeted for ("one dataset, one privacy unit unless the user says otherwise"). The
// only exception is LedgerCharger::CreateNew: a brand-new ledger file that a command creates in
// its own output folder, which the command must announce.
#ifndef DPKIT_RELEASE_RELEASE_H_
#define DPKIT_RELEASE_RELEASE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/ledger/ledger.h"

namespace dpkit::release {

// A budget in a ledger: dataset name and privacy unit column ("" = rows are the units).
struct BudgetKey {
  std::string dataset;
  std::string unit;
  // The unit as the ledger names it ("(row)" for "").
  std::string LedgerUnit() const;
};

// "add/remove all rows of one 'customer_id'" or "add/remove one row".
std::string NeighbouringRelation(const std::string& unit);

struct ReleasePlan {
  std::string operation;  // what is released, recorded with the charge (no private data)
  BudgetKey budget;
  std::string neighbouring;        // the release's neighbouring relation
  std::vector<PrivacyMap> maps;    // reported by the planned mechanisms
  std::vector<std::string> steps;  // the plan in words, in order

  // The plan as text (EXPLAIN / --dry-run): steps, every map, the budget charged.
  std::string ToText() const;
};

// Who ran the release, recorded with the charge.
struct ChargeContext {
  // True when the noise came from a reproducible, NOT PRIVATE seed (--insecure-seed): the
  // charge is recorded as such (and still counts against the budget).
  bool insecure_seed = false;
  std::string caller;  // "" = ledger::DefaultCaller()
};

class Charger {
 public:
  virtual ~Charger() = default;
  // Charges the plan's maps to its budget; only OK allows execution. ResourceExhausted when the
  // budget cannot cover it (nothing is charged or released).
  virtual absl::StatusOr<ledger::Receipt> Charge(const ReleasePlan& plan) = 0;
  // What Charge would do, spending nothing.
  virtual absl::StatusOr<ledger::ChargePreview> Preview(const ReleasePlan& plan) = 0;
  // The privacy unit the dataset is budgeted for, when it has exactly one budget ("" for
  // rows); NotFound when it has none, FailedPrecondition when it has several.
  virtual absl::StatusOr<std::string> BudgetedUnit(const std::string& dataset) = 0;
  // e.g. "ledger run/ledger.db".
  virtual std::string Describe() const = 0;
};

// The SQLite ledger as a Charger.
class LedgerCharger final : public Charger {
 public:
  // An existing ledger; never created (NotFound with the command that creates one).
  static absl::StatusOr<std::unique_ptr<LedgerCharger>> OpenExisting(const std::string& path,
                                                                     ChargeContext context);
  // A new ledger at `path` (AlreadyExists if the file exists) holding one budget for `key`.
  static absl::StatusOr<std::unique_ptr<LedgerCharger>> CreateNew(
      const std::string& path, const BudgetKey& key, const ledger::Budget& budget,
      accounting::AccountantKind accountant, ChargeContext context);

  absl::StatusOr<ledger::Receipt> Charge(const ReleasePlan& plan) override;
  absl::StatusOr<ledger::ChargePreview> Preview(const ReleasePlan& plan) override;
  absl::StatusOr<std::string> BudgetedUnit(const std::string& dataset) override;
  std::string Describe() const override;
  ledger::Ledger& ledger() { return *ledger_; }

 private:
  LedgerCharger(std::unique_ptr<ledger::Ledger> ledger, ChargeContext context)
      : ledger_(std::move(ledger)), context_(std::move(context)) {}
  std::unique_ptr<ledger::Ledger> ledger_;
  ChargeContext context_;
};

// Checks, before any charge, that `path` can be written: its folder exists and is writable and
// `path` is not a folder. InvalidArgument naming the path otherwise.
absl::Status CheckOutputWritable(const std::string& path);

// A status for a failure that happened after the charge: the original code and message plus
// what was spent, e.g. "...: the ledger was charged (charge #12, dataset 'customers', unit
// 'customer_id'); nothing was released".
absl::Status ChargedFailure(const absl::Status& status, const ledger::Receipt& receipt);

}  // namespace dpkit::release

#endif  // DPKIT_RELEASE_RELEASE_H_
