// Planner: turns a bound query into the engine's plan (contribution bounding, clamping,
// partition selection, noise and the budget split with sensitivities and noise scales) and adds
// the SQL post-processing steps, which cost no privacy because they only read noisy values.
#ifndef DPKIT_SRC_ANALYTICS_SQL_PLANNER_PLANNER_H_
#define DPKIT_SRC_ANALYTICS_SQL_PLANNER_PLANNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "analytics/sql/binder/binder.h"
#include "dpkit/analytics/query.h"

namespace dpkit::analytics::sql {

struct SqlPlan {
  QueryPlan engine_plan;
  std::string explain_text;
};

absl::StatusOr<SqlPlan> PlanSql(const BoundQuery& bound);

}  // namespace dpkit::analytics::sql

#endif  // DPKIT_SRC_ANALYTICS_SQL_PLANNER_PLANNER_H_
