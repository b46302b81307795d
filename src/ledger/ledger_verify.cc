// Ledger::Verify: the full integrity check (SQLite's own check, references, the hash chain,
// and every budget's stored totals re-composed from its charges). See ledger.h.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ledger/charge_chain.h"
#include "ledger/ledger_impl.h"
#include "ledger/schema.h"

namespace dpkit::ledger {
namespace {

using accounting::Accountant;
using internal::ChainedRow;
using internal::CorruptionError;
using internal::FoldMaps;
using internal::MapsFromJson;
using internal::RhoOf;
using internal::SpendText;
using internal::Stmt;

bool NearlyEqual(double a, double b) {
  if (a == b) return true;
  if (std::isinf(a) || std::isinf(b)) return false;
  return std::fabs(a - b) <= 1e-9 * std::max({1e-300, std::fabs(a), std::fabs(b)});
}

}  // namespace

std::string ChainHead::ToString() const { return absl::StrCat(id, ":", hash); }

absl::StatusOr<ChainHead> ChainHead::Parse(const std::string& text) {
  const size_t colon = text.find(':');
  ChainHead head;
  if (colon == std::string::npos || !absl::SimpleAtoi(text.substr(0, colon), &head.id) ||
      head.id < 0 || !internal::IsChainHash(head.hash = text.substr(colon + 1))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a chain head is ID:HASH (a charge id and 64 lowercase hex digits, as printed by "
        "'dpkit budget export' or 'dpkit budget check'), got '", text, "'"));
  }
  return head;
}

absl::StatusOr<ChainHead> Ledger::Impl::Head() {
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(db_.get());
  DPKIT_RETURN_IF_ERROR(txn.Begin(/*immediate=*/false));
  DPKIT_ASSIGN_OR_RETURN(ChainHead head, HeadLocked());
  DPKIT_RETURN_IF_ERROR(txn.Commit());
  return head;
}

absl::StatusOr<IntegrityReport> Ledger::Impl::Verify(const VerifyOptions& options) {
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
  IntegrityReport report;
  DPKIT_RETURN_IF_ERROR(VerifyChain(options, &report));
  DPKIT_ASSIGN_OR_RETURN(std::vector<BudgetRow> rows, AllBudgets(""));
  for (const BudgetRow& b : rows) DPKIT_RETURN_IF_ERROR(VerifyTotals(b));
  report.num_budgets = static_cast<int64_t>(rows.size());
  DPKIT_ASSIGN_OR_RETURN(report.chain_origin, internal::ChainOrigin(*db_));
  DPKIT_RETURN_IF_ERROR(txn.Commit());
  return report;
}

// Every row's hash from its predecessor's, ids 1, 2, 3, ... without gaps, no id removed from
// the end (the AUTOINCREMENT counter), and the expected head if one was given.
absl::Status Ledger::Impl::VerifyChain(const VerifyOptions& options, IntegrityReport* report) {
  ChainHead head{0, internal::kGenesisHash};
  bool expected_seen = !options.expect_head.has_value() || options.expect_head->id == 0;
  DPKIT_RETURN_IF_ERROR(internal::ForEachChainedRow(
      *db_, [&](const ChainedRow& row, const std::string& stored) -> absl::Status {
        if (row.id != head.id + 1) {
          return CorruptionError(
              path(), absl::StrCat("charge ids jump from #", head.id, " to #", row.id, ": ",
                                   row.id - head.id - 1, " charge row(s) were deleted"));
        }
        const std::string expected = internal::ChainHash(head.hash, row);
        if (stored != expected) {
          return CorruptionError(
              path(), absl::StrCat("charge #", row.id, " does not match its hash: the row, its "
                                   "budget or an earlier row was altered after it was written"));
        }
        head = {row.id, stored};
        if (options.expect_head && options.expect_head->id == row.id) {
          if (options.expect_head->hash != stored) {
            return CorruptionError(
                path(), absl::StrCat("charge #", row.id, " has hash ", stored, ", not the "
                                     "expected head's ", options.expect_head->hash,
                                     ": the ledger was rewritten up to that charge"));
          }
          expected_seen = true;
        }
        ++report->num_charges;
        return absl::OkStatus();
      }));
  DPKIT_ASSIGN_OR_RETURN(const int64_t counter, IdCounter());
  if (counter > head.id) {
    return CorruptionError(path(), absl::StrCat("the last ", counter - head.id, " charge row(s) "
                                                "were deleted (ids up to #", counter,
                                                " were assigned, the last row is #", head.id,
                                                ")"));
  }
  if (!expected_seen) {
    return CorruptionError(
        path(), absl::StrCat("the expected chain head #", options.expect_head->id,
                             " is missing: the ledger ends at charge #", head.id,
                             ", so charges were removed (truncated) since that head was taken"));
  }
  report->head = head;
  return absl::OkStatus();
}

// Re-composes budget `b`'s charged maps from scratch and compares with the stored totals.
absl::Status Ledger::Impl::VerifyTotals(const BudgetRow& b) {
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
  if (n == 0) return absl::OkStatus();
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
  return absl::OkStatus();
}

}  // namespace dpkit::ledger
