// DP SQL over a table held in slices by a distributed engine (dpkit.spark): the statement of
// `dpkit query` (docs/sql.md) planned and charged on a coordinator, its exact partial aggregates
// computed where the slices live, and released once, on the coordinator.
//
// Protocol — ExecuteSql's release on the whole table, split across machines (docs/spark.md):
//  1. Plan (coordinator): SqlOverPartials::Plan reads the SQL text and the table's public shape
//     (name, column names, schema, dataset), never a row. Errors, EXPLAIN, the columns the slices
//     need and the ReleasePlan (the one ExecuteSql charges for the same statement) come from
//     public inputs only.
//  2. Charge (coordinator): Charge() charges that plan through a release::Charger, and only when
//     the charge succeeded draws the salt of the contribution bounding — the generator's first
//     draw after the charge, as ExecuteSql draws it. A refusal ends the query: no salt, so no
//     slice can be aggregated for it.
//  3. Execute: every slice runs ComputeSqlPartial(..., salt) where it lives (WHERE, bounding,
//     exact fixed-point sums; no noise: a partial is NOT a release and must stay inside the
//     trust boundary); partials merge exactly in any order and grouping (PartialAggregates::
//     Merge, SplitByGroup); Release() checks the merged partial is of this query with this salt,
//     adds the noise once from the generator, and applies HAVING / ORDER BY / LIMIT. Release()
//     refuses to run before Charge() or a second time.
//
// Slices must split the table by privacy unit (all rows of a unit in one slice; a table without
// a unit may be split anyhow), each slice holding its rows in their order in the table. Then
// the merged state is the one pass's, and the result equals ExecuteSql's on the whole table for
// the same generator state (same salt, kept rows, sums, partition selection and noise).
// Privacy: a unit's kept groups and rows depend only on its own rows and the salt, so a slice's
// partial is a sum of per-unit contributions bounded exactly as in one pass; which slice a unit
// lands in, and what else is there, changes nothing. The release is then ExecuteSql's, with the
// same guarantee, charge and confidence intervals.
// One table per statement: JOIN is refused (InvalidArgument). Value columns need public bounds
// (schema or inline BETWEEN): DP bounds would need a pass over all slices first.
// Not thread-safe: one coordinator thread drives a SqlOverPartials.
#ifndef DPKIT_ANALYTICS_SQL_PARTIALS_H_
#define DPKIT_ANALYTICS_SQL_PARTIALS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/analytics/query.h"
#include "dpkit/analytics/sql.h"
#include "dpkit/analytics/sql_tables.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/schema.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/release/release.h"

namespace dpkit::analytics {

// The public shape of the table a statement reads.
struct SlicedTable {
  std::string name;                  // the table's name in the statement
  std::vector<std::string> columns;  // its column names (the header)
  std::optional<io::Schema> schema;  // none: rows are the units, columns follow the typing rule
  std::string dataset;               // its budget's dataset; "" = name
};

class SqlOverPartials {
 public:
  // Step 1. InvalidArgument for a syntax error, a JOIN, unknown names, a value column without
  // bounds, or anything else ExecuteSql would refuse before its charge.
  static absl::StatusOr<SqlOverPartials> Plan(const std::string& sql, const SlicedTable& table,
                                              const SqlOptions& options);

  bool explain() const;
  // What EXPLAIN prints: the plan and, with a charger, the budget's preview. Spends nothing.
  std::string ExplainText(release::Charger* charger) const;
  const QueryPlan& plan() const;
  const release::ReleasePlan& release_plan() const;
  // What the typing rule assumed for undeclared columns (public).
  const std::vector<std::string>& notes() const;
  // The columns a slice needs (privacy unit, WHERE, GROUP BY, aggregated), in table order, and
  // the schema restricted to them: ComputeSqlPartial's slices hold these columns only.
  const std::vector<std::string>& slice_columns() const;
  const std::optional<io::Schema>& slice_schema() const;

  // Step 2: checks HAVING and ORDER BY, charges, then draws the salt from `rng` (production:
  // random::SecureRng). FailedPrecondition when already charged.
  absl::StatusOr<uint64_t> Charge(release::Charger& charger, random::BitGenerator& rng);

  // Step 3, on the coordinator: releases the merged partials of every slice (the receipts are
  // in the result). FailedPrecondition before Charge() or after a first Release(); a failure
  // after the charge says what was spent.
  absl::StatusOr<SqlResult> Release(const PartialAggregates& merged,
                                    const ExecutionOptions& options);

  // `cause` as a failure after the charge (what was spent), for a failure of the engine that
  // computes the partials; `cause` itself when nothing was charged.
  absl::Status ChargedFailure(const absl::Status& cause) const;

  SqlOverPartials(SqlOverPartials&&) noexcept;
  SqlOverPartials& operator=(SqlOverPartials&&) noexcept;
  ~SqlOverPartials();

 private:
  struct Impl;
  explicit SqlOverPartials(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Step 3, on a slice: the exact partial aggregates of `slice` (CSV text in slice.text with a
// header line, holding SqlOverPartials::slice_columns(); schema = slice_schema()) for `sql`
// with the coordinator's `options` and the salt Charge() drew. Read with the private-data rules
// (`dialect` gives the CSV dialect); errors name columns, never cells. NOT a release.
absl::StatusOr<PartialAggregates> ComputeSqlPartial(const std::string& sql,
                                                    const CsvTableSource& slice,
                                                    const SqlOptions& options,
                                                    const io::CsvReadOptions& dialect,
                                                    uint64_t salt);

}  // namespace dpkit::analytics

#endif  // DPKIT_ANALYTICS_SQL_PARTIALS_H_
