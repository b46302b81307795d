#include "dpkit/release/release.h"

#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"

namespace dpkit::release {
namespace {

constexpr char kInsecureMark[] = "[--insecure-seed: NOT PRIVATE] ";

}  // namespace

std::string BudgetKey::LedgerUnit() const { return unit.empty() ? ledger::kRowLevelUnit : unit; }

std::string NeighbouringRelation(const std::string& unit) {
  return ledger::NeighbouringRelation(unit);
}

std::string ReleasePlan::ToText() const {
  std::string text = absl::StrCat("Release plan: ", operation, "\n");
  absl::StrAppend(&text, "  budget: dataset '", budget.dataset, "', unit ", budget.LedgerUnit(),
                  "\n  neighbouring: ", neighbouring, "\n");
  for (size_t i = 0; i < steps.size(); ++i) absl::StrAppend(&text, "  ", i + 1, ". ", steps[i], "\n");
  absl::StrAppend(&text, "  charged privacy maps:\n");
  for (const PrivacyMap& m : maps) absl::StrAppend(&text, "    ", m.ToString(), "\n");
  return text;
}

absl::StatusOr<std::unique_ptr<LedgerCharger>> LedgerCharger::OpenExisting(
    const std::string& path, ChargeContext context) {
  ledger::LedgerOptions o;
  o.create_if_missing = false;
  DPKIT_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> l, ledger::Ledger::Open(path, o));
  return std::unique_ptr<LedgerCharger>(new LedgerCharger(std::move(l), std::move(context)));
}

absl::StatusOr<std::unique_ptr<LedgerCharger>> LedgerCharger::CreateNew(
    const std::string& path, const BudgetKey& key, const ledger::Budget& budget,
    accounting::AccountantKind accountant, ChargeContext context) {
  DPKIT_RETURN_IF_ERROR(ledger::ValidateBudget(budget, accountant));
  if (Env::Default()->FileExists(path)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "ledger file ", path, " already exists: pass it with --ledger to charge it, or choose "
        "a new output folder"));
  }
  DPKIT_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> l, ledger::Ledger::Open(path));
  DPKIT_RETURN_IF_ERROR(l->CreateBudget(key.dataset, key.LedgerUnit(), budget, accountant));
  return std::unique_ptr<LedgerCharger>(new LedgerCharger(std::move(l), std::move(context)));
}

absl::StatusOr<ledger::Receipt> LedgerCharger::Charge(const ReleasePlan& plan) {
  const std::string operation =
      context_.insecure_seed ? absl::StrCat(kInsecureMark, plan.operation) : plan.operation;
  return ledger_->Charge(plan.budget.dataset, plan.budget.LedgerUnit(), plan.maps, operation,
                         ledger::ChargeOptions{.caller = context_.caller,
                                               .insecure_seed = context_.insecure_seed});
}

absl::StatusOr<ledger::ChargePreview> LedgerCharger::Preview(const ReleasePlan& plan) {
  return ledger_->Preview(plan.budget.dataset, plan.budget.LedgerUnit(), plan.maps);
}

absl::StatusOr<std::string> LedgerCharger::BudgetedUnit(const std::string& dataset) {
  DPKIT_ASSIGN_OR_RETURN(std::vector<ledger::BudgetStatus> budgets, ledger_->ListBudgets(dataset));
  if (budgets.size() != 1) {
    std::vector<std::string> units;
    for (const auto& b : budgets) units.push_back(absl::StrCat("'", b.unit, "'"));
    return absl::FailedPreconditionError(absl::StrCat(
        "dataset '", dataset, "' has budgets for several privacy units (",
        absl::StrJoin(units, ", "), ") in ", Describe(), ": say which one (--privacy-unit)"));
  }
  return budgets[0].unit == ledger::kRowLevelUnit ? std::string() : budgets[0].unit;
}

std::string LedgerCharger::Describe() const { return absl::StrCat("ledger ", ledger_->path()); }

absl::Status CheckOutputWritable(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("output path must not be empty");
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("output ", path, " is a folder; give a file"));
  }
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("output folder ", dir, " does not exist; create it first (nothing was charged)"));
  }
  if (access(dir.c_str(), W_OK) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("output folder ", dir, " is not writable (nothing was charged)"));
  }
  return absl::OkStatus();
}

absl::Status ChargedFailure(const absl::Status& status, const ledger::Receipt& receipt) {
  // A failure after the charge is never "budget exhausted" (exit 3 promises nothing was spent).
  const absl::StatusCode code = status.code() == absl::StatusCode::kResourceExhausted
                                    ? absl::StatusCode::kDataLoss
                                    : status.code();
  return absl::Status(code, absl::StrCat(status.message(), " (the ledger was charged: charge #",
                                         receipt.charge_id, ", dataset '", receipt.dataset,
                                         "', unit ", receipt.unit,
                                         "; nothing else was released)"));
}

}  // namespace dpkit::release
