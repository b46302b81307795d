// Step 1 of the pipeline: the release plan, from public inputs only.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/release/budget_split.h"
#include "dpkit/synth/derived_columns.h"
#include "dpkit/synth/hierarchy.h"
#include "dpkit/synth/synth_options.h"
#include "pipeline/internal.h"

namespace dpkit::pipeline::internal {
namespace {

bool IsNumeric(io::DataType t) {
  return t == io::DataType::kInt64 || t == io::DataType::kDouble || t == io::DataType::kDate;
}

// A column with no rows: PlanQuery reads names and types, never values.
io::Column EmptyColumn(const io::ColumnSchema& c) {
  switch (c.type) {
    case io::DataType::kInt64: return io::Column::Int64(c.name, {});
    case io::DataType::kDouble: return io::Column::Double(c.name, {});
    case io::DataType::kDate: return io::Column::Date(c.name, {});
    case io::DataType::kBool: return io::Column::Bool(c.name, {});
    case io::DataType::kString: break;
  }
  return io::Column::String(c.name, {});
}

// The schema of the training table: modelled columns with their declared types (zip3 and
// undeclared columns as text), the unit, and the public hierarchies.
io::Schema TrainingSchema(const ColumnRoles& roles, const io::Schema& schema) {
  io::Schema t;
  t.privacy_unit = roles.unit;
  t.null_tokens = schema.null_tokens;
  t.hierarchies = schema.hierarchies;
  if (!roles.unit.empty()) {
    const io::ColumnSchema* u = schema.Find(roles.unit);
    t.columns.push_back(u != nullptr ? *u : io::ColumnSchema{.name = roles.unit});
  }
  for (const ColumnRole& r : roles.columns) {
    if (r.role != Role::kModel && r.role != Role::kModelZip3) continue;
    const io::ColumnSchema* cs = schema.Find(r.name);
    if (r.role == Role::kModel && cs != nullptr) {
      t.columns.push_back(*cs);
    } else {
      t.columns.push_back({.name = r.name, .type = io::DataType::kString});
    }
  }
  return t;
}

// Numeric columns declared without bounds or bins get DP bounds; for planning the synthesizer
// they carry a placeholder range wide enough that the plan is DP quantile bins (the real range
// is filled in after the DP bounds are found: post-processing).
std::vector<std::string> ColumnsNeedingBounds(io::Schema& synth_schema) {
  std::vector<std::string> need;
  for (io::ColumnSchema& c : synth_schema.columns) {
    if (c.name == synth_schema.privacy_unit || !IsNumeric(c.type) || !c.bins.empty() ||
        !c.categories.empty() || c.has_bounds()) {
      continue;
    }
    need.push_back(c.name);
    c.lower = 0;
    c.upper = 9007199254740992.0;  // 2^53
  }
  return need;
}

}  // namespace

absl::StatusOr<ReleaseParts> PlanRelease(const PipelineOptions& o, const ColumnRoles& roles,
                                         const io::Schema& schema, const std::string& dataset) {
  ReleaseParts p;
  p.training_schema = TrainingSchema(roles, schema);
  // Each public hierarchy is modelled as one column of its combinations (synth/hierarchy.h).
  DPKIT_ASSIGN_OR_RETURN(io::Schema synth_schema, synth::CombinedSchema(p.training_schema));
  p.bounds_columns = ColumnsNeedingBounds(synth_schema);
  std::vector<double> weights = {o.count_fraction};
  if (!p.bounds_columns.empty()) weights.push_back(o.bounds_fraction);
  weights.push_back(1 - o.count_fraction - (p.bounds_columns.empty() ? 0 : o.bounds_fraction));
  DPKIT_ASSIGN_OR_RETURN(std::vector<double> eps, release::SplitBudget(o.epsilon, weights));
  const double eps_count = eps.front(), eps_synth = eps.back();

  // The DP row count (discrete Laplace through the analytics engine's plan).
  p.count_spec.aggregates = {{analytics::AggregateFunction::kCount}};
  p.count_spec.epsilon = eps_count;
  std::vector<io::Column> cols;
  for (const io::ColumnSchema& c : p.training_schema.columns) cols.push_back(EmptyColumn(c));
  DPKIT_ASSIGN_OR_RETURN(io::Table header_table, io::Table::Make(std::move(cols)));
  DPKIT_ASSIGN_OR_RETURN(analytics::QueryPlan count_plan,
                         analytics::PlanQuery(header_table, p.training_schema, p.count_spec));
  std::vector<PrivacyMap> maps = count_plan.PrivacyMaps();
  for (PrivacyMap& m : maps) m.mechanism = "pipeline/row_count";
  std::vector<std::string> steps = {
      absl::StrCat("DP count of ", roles.unit.empty() ? "rows" : "units", " (epsilon ",
                   FormatDouble(eps_count), ") -> number of synthetic rows")};

  // DP bounds, one equal share per column.
  p.bounds_options.privacy_unit = roles.unit;
  for (const std::string& name : p.bounds_columns) {
    p.bounds_options.epsilon = eps[1] / static_cast<double>(p.bounds_columns.size());
    DPKIT_ASSIGN_OR_RETURN(PrivacyMap m, analytics::ApproximateBoundsPrivacyMap(p.bounds_options));
    m.mechanism = absl::StrCat("pipeline/bounds(", name, ")");
    maps.push_back(m);
    steps.push_back(absl::StrCat("DP bounds of '", name, "' (epsilon ",
                                 FormatDouble(p.bounds_options.epsilon), ")"));
  }

  // The synthesizer.
  synth::SynthOptions so;
  DPKIT_ASSIGN_OR_RETURN(so.method, synth::ParseMethod(o.method));
  so.epsilon = eps_synth;
  so.delta = o.delta;
  so.threads = o.threads;
  DPKIT_ASSIGN_OR_RETURN(std::vector<std::string> synth_columns,
                         synth::CombinedColumnNames(p.training_schema, roles.Modelled()));
  if (!roles.unit.empty()) synth_columns.insert(synth_columns.begin(), roles.unit);
  DPKIT_ASSIGN_OR_RETURN(p.synth, synth::PlanSynth(synth_columns, synth_schema, so));
  for (const PrivacyMap& m : p.synth.privacy_maps()) maps.push_back(m);
  for (const std::string& s : p.synth.steps()) steps.push_back(s);
  for (const ColumnRole& r : roles.columns) {
    if (r.role != Role::kDerive) continue;
    p.derived.push_back(*schema.Find(r.name));
    steps.push_back(synth::DescribeDerivation(p.derived.back()));
  }

  p.release.operation = absl::StrCat("dpkit pipeline ", o.method, " (", o.out_dir, ")");
  p.release.budget = {dataset, roles.unit};
  p.release.neighbouring = release::NeighbouringRelation(roles.unit);
  p.release.maps = std::move(maps);
  p.release.steps = std::move(steps);
  return p;
}

}  // namespace dpkit::pipeline::internal
