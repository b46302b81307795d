// Internal: step 2 of the release protocol for analytics — charging a release to the budget of
// every table it reads (and previewing those charges for EXPLAIN).
//
// A query that reads several tables is charged once per table: each table read is one budget,
// (its dataset, its schema's privacy unit), and the release's neighbouring relation on that
// table is the unit's (or one row). A budget kept for another privacy unit than the one the
// table is read with is refused, never converted: a per-row release says nothing about a
// customer with many rows, and a per-customer budget is not the one a per-row budget protects.
// Charges are all-or-nothing as far as the ledger allows: every charge is previewed first, the
// one that does not fit (if any) is attempted first, so a refusal is recorded and nothing is
// spent; only a race with another process can leave an earlier charge spent, and then the
// error says what was spent (release::ChargedFailure).
#ifndef DPKIT_SRC_ANALYTICS_CHARGING_H_
#define DPKIT_SRC_ANALYTICS_CHARGING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/release/release.h"

namespace dpkit::analytics {

struct TableCharge {
  std::string table;         // as the query names it (for messages)
  release::ReleasePlan plan;  // its budget: (dataset, the table's privacy unit)
};

// Charges every plan, or none (see above). Receipts in the order of `charges`.
absl::StatusOr<std::vector<ledger::Receipt>> ChargeTables(release::Charger& charger,
                                                          const std::vector<TableCharge>& charges);

// For EXPLAIN: one line per charge — its budget and neighbouring relation, and what it would
// spend and leave or why it would be refused (without a charger: not previewed). Spends nothing.
std::string PreviewTables(release::Charger* charger, const std::vector<TableCharge>& charges);

}  // namespace dpkit::analytics

#endif  // DPKIT_SRC_ANALYTICS_CHARGING_H_
