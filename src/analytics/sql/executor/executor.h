// Executor: the release protocol for a bound, planned statement. EXPLAIN returns the plan and
// previews the budget of every table read (spending nothing). Otherwise it charges those
// budgets (charging.h) and only then joins, evaluates WHERE into a row mask, runs the engine
// and maps its rows to the SELECT list, applying HAVING / ORDER BY / LIMIT to the noisy values
// (post-processing).
#ifndef DPKIT_SRC_ANALYTICS_SQL_EXECUTOR_EXECUTOR_H_
#define DPKIT_SRC_ANALYTICS_SQL_EXECUTOR_EXECUTOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analytics/charging.h"
#include "analytics/sql/binder/binder.h"
#include "analytics/sql/planner/planner.h"
#include "dpkit/analytics/sql.h"
#include "dpkit/release/release.h"

namespace dpkit::analytics::sql {

// `charger` may be null only for EXPLAIN.
absl::StatusOr<SqlResult> Execute(BoundQuery& bound, const SqlPlan& plan,
                                  release::Charger* charger, const ExecutionOptions& options,
                                  const std::string& text);

// The pieces of Execute that a statement run over slices (sql_partials.h) shares with it:
// the charge of every table read (the ReleasePlan recorded with the query text) ...
std::vector<TableCharge> TableCharges(const BoundQuery& bound, const QueryPlan& plan,
                                      const std::string& text);
// ... the result before any row: plan, EXPLAIN text, output columns, the release plans ...
SqlResult ResultShell(const BoundQuery& bound, const SqlPlan& plan,
                      const std::vector<TableCharge>& charges);
// ... WHERE as bound.spec.row_filter over `table` (the FROM table or the join; no WHERE: no
// filter) ...
absl::Status ApplyWhere(const io::Table& table, const std::string& text, BoundQuery* bound);
// ... what is checked before the charge (ORDER BY names; HAVING on placeholder values, whose
// errors depend on the statement only) ...
absl::Status CheckPostProcessing(const BoundQuery& bound, const std::string& text);
// ... and, after the engine released `engine`'s rows, the SELECT list, HAVING, ORDER BY and
// LIMIT (post-processing of noisy values) into out->rows, with out->plan and out->notes.
absl::Status PostProcess(const BoundQuery& bound, const QueryResult& engine,
                         const std::string& text, SqlResult* out);

}  // namespace dpkit::analytics::sql

#endif  // DPKIT_SRC_ANALYTICS_SQL_EXECUTOR_EXECUTOR_H_
