#include "analytics/sql/planner/planner.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"

namespace dpkit::analytics::sql {

absl::StatusOr<SqlPlan> PlanSql(const BoundQuery& bound) {
  SqlPlan plan;
  DPKIT_ASSIGN_OR_RETURN(plan.engine_plan,
                         PlanQuery(bound.shape.table, bound.shape.schema, bound.spec));
  plan.explain_text = plan.engine_plan.ToText();
  std::vector<std::string> post;
  if (bound.having) post.push_back(absl::StrCat("HAVING ", bound.having->ToString()));
  if (!bound.order_by.empty()) {
    std::vector<std::string> o;
    for (const auto& item : bound.order_by) o.push_back(absl::StrCat(item.name, item.descending ? " DESC" : ""));
    post.push_back(absl::StrCat("ORDER BY ", absl::StrJoin(o, ", ")));
  }
  if (bound.limit) post.push_back(absl::StrCat("LIMIT ", *bound.limit));
  if (!post.empty()) {
    absl::StrAppend(&plan.explain_text,
                    "Post-processing of the noisy results (no privacy cost):\n  ",
                    absl::StrJoin(post, "\n  "), "\n");
  }
  std::vector<std::string> outs;
  for (const auto& o : bound.outputs) outs.push_back(o.name);
  absl::StrAppend(&plan.explain_text, "Output columns: ", absl::StrJoin(outs, ", "),
                  " (each aggregate with noise_scale, ci_lower, ci_upper)\n");
  return plan;
}

}  // namespace dpkit::analytics::sql
