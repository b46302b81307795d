// Executor: the release protocol for a bound, planned statement. EXPLAIN returns the plan and
// previews the budget of every table read (spending nothing). Otherwise it charges those
// budgets (charging.h) and only then joins, evaluates WHERE into a row mask, runs the engine
// and maps its rows to the SELECT list, applying HAVING / ORDER BY / LIMIT to the noisy values
// (post-processing).
#ifndef DPKIT_SRC_ANALYTICS_SQL_EXECUTOR_EXECUTOR_H_
#define DPKIT_SRC_ANALYTICS_SQL_EXECUTOR_EXECUTOR_H_

#include "absl/status/statusor.h"
#include "analytics/sql/binder/binder.h"
#include "analytics/sql/planner/planner.h"
#include "dpkit/analytics/sql.h"
#include "dpkit/release/release.h"

namespace dpkit::analytics::sql {

// `charger` may be null only for EXPLAIN.
absl::StatusOr<SqlResult> Execute(BoundQuery& bound, const SqlPlan& plan,
                                  release::Charger* charger, const ExecutionOptions& options,
                                  const std::string& text);

}  // namespace dpkit::analytics::sql

#endif  // DPKIT_SRC_ANALYTICS_SQL_EXECUTOR_EXECUTOR_H_
