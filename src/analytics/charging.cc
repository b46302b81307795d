#include "analytics/charging.h"

#include <cstddef>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dpkit/base/status.h"

namespace dpkit::analytics {
namespace {

std::string Per(const std::string& unit) {
  return unit.empty() ? "per row" : absl::StrCat("per '", unit, "'");
}

// FailedPrecondition when the dataset has exactly one budget and it is kept for another privacy
// unit than the one the table is read with. No budget, or several, is left to the charge (which
// names what exists, and the command that creates a budget).
absl::Status CheckBudgetUnit(release::Charger& charger, const TableCharge& c) {
  const release::BudgetKey& key = c.plan.budget;
  absl::StatusOr<std::string> budgeted = charger.BudgetedUnit(key.dataset);
  if (!budgeted.ok()) {
    const absl::StatusCode code = budgeted.status().code();
    const bool left_to_charge = code == absl::StatusCode::kNotFound ||
                                code == absl::StatusCode::kFailedPrecondition;
    return left_to_charge ? absl::OkStatus() : budgeted.status();
  }
  if (*budgeted == key.unit) return absl::OkStatus();
  if (key.unit.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "table '", c.table, "' has no privacy unit in its schema, so this query protects one row "
        "of it, but ", charger.Describe(), " budgets dataset '", key.dataset, "' ",
        Per(*budgeted), ": a per-row release does not protect a ", *budgeted,
        " with several rows. Declare \"privacy_unit\": \"", *budgeted, "\" in the schema of '",
        c.table, "' (the query then bounds the rows of each ", *budgeted, ")"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "table '", c.table, "' is read per '", key.unit, "' (its schema's privacy unit), but ",
      charger.Describe(), " budgets dataset '", key.dataset, "' ", Per(*budgeted),
      ": the schema's privacy unit and the budget's must be the same (one dataset, one privacy "
      "unit)"));
}

absl::Status InContext(const absl::Status& status, const TableCharge& c) {
  return absl::Status(status.code(),
                      absl::StrCat("table '", c.table, "' (dataset '", c.plan.budget.dataset,
                                   "', unit ", c.plan.budget.LedgerUnit(), "): ",
                                   status.message()));
}

// The ledger accounts every (epsilon, delta) budget as epsilon at the budget's delta, whatever
// the accountant, so the delta printed is the budget's, not a share this query spends.
std::string Amount(const ledger::Budget& budget, const ledger::Spend& s) {
  if (budget.is_rho()) return absl::StrFormat("rho=%.6g", s.rho);
  return absl::StrFormat("epsilon=%.6g (at the budget's delta=%.6g)", s.epsilon, s.delta);
}

}  // namespace

absl::StatusOr<std::vector<ledger::Receipt>> ChargeTables(
    release::Charger& charger, const std::vector<TableCharge>& charges) {
  for (const TableCharge& c : charges) DPKIT_RETURN_IF_ERROR(CheckBudgetUnit(charger, c));
  // A charge that does not fit goes first: it is refused (and recorded) before anything else
  // is spent.
  std::vector<size_t> order;
  for (size_t i = 0; i < charges.size(); ++i) {
    absl::StatusOr<ledger::ChargePreview> preview = charger.Preview(charges[i].plan);
    if (!preview.ok()) return InContext(preview.status(), charges[i]);
    if (preview->fits) {
      order.push_back(i);
    } else {
      order.insert(order.begin(), i);
    }
  }
  std::vector<ledger::Receipt> receipts(charges.size());
  std::vector<size_t> spent;
  for (size_t i : order) {
    absl::StatusOr<ledger::Receipt> r = charger.Charge(charges[i].plan);
    if (!r.ok()) {
      absl::Status status = InContext(r.status(), charges[i]);
      for (size_t j : spent) status = release::ChargedFailure(status, receipts[j]);
      return status;
    }
    receipts[i] = *std::move(r);
    spent.push_back(i);
  }
  return receipts;
}

std::string PreviewTables(release::Charger* charger, const std::vector<TableCharge>& charges) {
  std::string text;
  for (const TableCharge& c : charges) {
    absl::StrAppend(&text, "Budget of table '", c.table, "': dataset '", c.plan.budget.dataset,
                    "', unit ", c.plan.budget.LedgerUnit(), " (", c.plan.neighbouring, "): ");
    if (charger == nullptr) {
      absl::StrAppend(&text, "not previewed (no budget ledger given)\n");
      continue;
    }
    absl::Status unit = CheckBudgetUnit(*charger, c);
    absl::StatusOr<ledger::ChargePreview> p =
        unit.ok() ? charger->Preview(c.plan) : absl::StatusOr<ledger::ChargePreview>(unit);
    if (!p.ok()) {
      absl::StrAppend(&text, "REFUSED: ", p.status().message(), "\n");
      continue;
    }
    absl::StrAppend(&text, "would spend ", Amount(p->budget, p->cost), " (",
                    accounting::AccountantKindName(p->accountant),
                    " accountant); remaining after: ", Amount(p->budget, p->remaining_after),
                    p->fits ? "" : absl::StrCat(" — DOES NOT FIT: ", p->message), "\n");
  }
  return text;
}

}  // namespace dpkit::analytics
