// Executor: evaluates WHERE into a row mask, runs the engine (which charges the budget before
// releasing), maps engine rows to the SELECT list and applies HAVING / ORDER BY / LIMIT to the
// noisy values.
#ifndef DPKIT_SRC_ANALYTICS_SQL_EXECUTOR_EXECUTOR_H_
#define DPKIT_SRC_ANALYTICS_SQL_EXECUTOR_EXECUTOR_H_

#include "absl/status/statusor.h"
#include "analytics/sql/binder/binder.h"
#include "analytics/sql/planner/planner.h"
#include "dpkit/analytics/sql.h"

namespace dpkit::analytics::sql {

// `zero_noise` (tests only) replaces noise by zero: see analytics/testing_hooks.h.
absl::StatusOr<SqlResult> Execute(BoundQuery& bound, const SqlPlan& plan,
                                  const ExecutionOptions& options, const std::string& text,
                                  bool zero_noise);

}  // namespace dpkit::analytics::sql

#endif  // DPKIT_SRC_ANALYTICS_SQL_EXECUTOR_EXECUTOR_H_
