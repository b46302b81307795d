// DP aggregate queries over a table: the engine behind `dpkit query` and the DP SQL dialect.
//
// A query groups the rows of a table by zero or more key columns and releases, per group, noisy
// aggregates with a confidence interval. Privacy semantics (see docs/analytics.md):
//  - Neighbouring tables differ in ALL rows of one privacy unit (schema "privacy_unit"), or in
//    one row when the schema names no unit. Every plan and result says which.
//  - Contribution bounding happens inside the engine, before aggregation: each unit keeps at most
//    `max_groups_per_unit` (L0) groups and at most `max_rows_per_group` (Linf) rows per group,
//    chosen uniformly at random from the unit's own rows; numeric values are clamped to
//    [lower, upper] (from the query or the schema; DP approximate bounds when neither is given
//    and auto bounds are allowed, charged to the budget).
//  - Group keys not declared public (schema "categories" or QuerySpec::public_keys) are selected
//    privately (partition_selection.h): a group that exists because of one unit appears with
//    probability <= delta; declared keys are always released (an empty group gets noisy zeros),
//    and rows with undeclared key values are dropped.
//  - The privacy budget (epsilon, delta) is split explicitly across partition selection and the
//    aggregates; the plan lists every measurement with its share, sensitivity and noise scale.
//  - The whole cost is charged (ExecutionOptions::charge, normally the ledger) BEFORE any noisy
//    value is computed; if charging fails nothing is released.
// Noise: counts use the discrete Laplace / discrete Gaussian mechanism; sums use the
// grid-exact Laplace / Gaussian mechanisms (mechanisms module); quantiles a hierarchical
// histogram (quantile tree, branching 16, height 3 over [lower, upper]) with the same noise.
// Sums are accumulated in exact 128-bit fixed point (values quantised to (upper-lower)*2^-41),
// so the sensitivity bound holds exactly (no floating-point accumulation error) and partial
// aggregates merge exactly in any order.
#ifndef DPKIT_ANALYTICS_QUERY_H_
#define DPKIT_ANALYTICS_QUERY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/analytics/partition_selection.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::analytics {

enum class AggregateFunction {
  kCount,               // COUNT(*) (or COUNT(col): non-null rows of col)
  kCountDistinctUnits,  // COUNT(DISTINCT <privacy unit>)
  kSum,
  kMean,
  kVariance,
  kStddev,
  kQuantile,  // quantile in [0, 1]; MEDIAN = 0.5, MIN/MAX not offered (not DP-estimable)
};
const char* AggregateFunctionName(AggregateFunction f);

struct AggregateSpec {
  AggregateFunction function = AggregateFunction::kCount;
  std::string column;  // value column; empty for COUNT(*) and COUNT(DISTINCT unit)
  std::optional<double> lower, upper;  // clamping bounds; default: the schema's
  double quantile = 0.5;
  std::string output_name;  // default: e.g. "sum_income"
};

enum class NoiseKind { kLaplace, kGaussian };
const char* NoiseKindName(NoiseKind k);

struct QuerySpec {
  std::string table_name;
  std::vector<std::string> group_by;
  std::vector<AggregateSpec> aggregates;
  // Row filter (WHERE), applied before bounding: 1 = keep. Empty = every row.
  std::vector<uint8_t> row_filter;
  std::string filter_text;  // shown in EXPLAIN
  double epsilon = 0;
  double delta = 0;
  int64_t max_groups_per_unit = 1;  // L0 (ignored without a privacy unit: a row is one group)
  int64_t max_rows_per_group = 1;   // Linf (ignored without a privacy unit)
  NoiseKind noise = NoiseKind::kLaplace;
  double confidence = 0.95;
  PartitionSelectionStrategy partition_selection = PartitionSelectionStrategy::kTruncatedGeometric;
  // Public key sets per group column (text values); override schema categories.
  std::map<std::string, std::vector<std::string>> public_keys;
  // Whether DP approximate bounds may be computed for value columns without bounds, and the
  // share of that aggregate's epsilon they take.
  bool allow_auto_bounds = true;
  double auto_bounds_fraction = 0.2;
};

// One noisy measurement in a plan: what is released, with which mechanism and cost.
struct Measurement {
  std::string name;       // e.g. "sum_income: sum", "partition selection"
  std::string mechanism;  // e.g. "discrete_laplace", "laplace", "gaussian", "truncated_geometric"
  double epsilon = 0;
  double delta = 0;
  double sensitivity = 0;  // per group (one unit's largest effect on one group's value)
  double noise_scale = 0;  // Laplace scale b or Gaussian sigma in value units (0 = data-driven)
  PrivacyMap privacy_map;
};

struct QueryPlan {
  std::string table_name;
  std::string privacy_unit;  // empty = rows
  std::string neighbouring;  // human-readable neighbouring relation
  std::vector<std::string> group_by;
  bool public_keys = false;
  int64_t max_groups_per_unit = 1;
  int64_t max_rows_per_group = 1;
  NoiseKind noise = NoiseKind::kLaplace;
  double confidence = 0.95;
  double epsilon = 0;  // total (sum over measurements)
  double delta = 0;
  std::vector<Measurement> measurements;
  std::vector<std::string> steps;  // plan steps, in order, for EXPLAIN
  std::vector<PrivacyMap> PrivacyMaps() const;
  std::string ToText() const;  // the EXPLAIN output
};

struct ReleasedValue {
  double value = 0;
  double noise_scale = 0;  // std dev of the noise added (for derived values: of the estimate)
  double ci_lower = 0;
  double ci_upper = 0;
};

struct ResultRow {
  std::vector<std::string> keys;  // group key values as text ("NULL" for null)
  std::vector<ReleasedValue> values;
};

struct QueryResult {
  std::vector<std::string> key_names;
  std::vector<std::string> value_names;
  std::vector<ResultRow> rows;
  QueryPlan plan;
  std::vector<std::string> notes;  // e.g. DP bounds found, rows dropped for null units
};

struct ExecutionOptions {
  random::BitGenerator* rng = nullptr;  // required; SecureRng in production
  // Called exactly once, after planning and before any noisy value is computed. A non-OK status
  // (e.g. budget exhausted) aborts the query with that status and nothing is released.
  std::function<absl::Status(const QueryPlan&)> charge;
  int threads = 2;
};

// Validates the spec against the schema/table (names, types, bounds, budget) and returns the
// plan. Uses only public information (schema, column types, the spec) — never data values.
absl::StatusOr<QueryPlan> PlanQuery(const io::Table& table, const io::Schema& schema,
                                    const QuerySpec& spec);

// Plans, charges, bounds, aggregates and releases.
absl::StatusOr<QueryResult> RunQuery(const io::Table& table, const io::Schema& schema,
                                     const QuerySpec& spec, const ExecutionOptions& options);

// ---- Mergeable partial aggregates (distributed / multi-threaded execution) ----
//
// The pre-noise state of a query over a slice of the table. Slices must split the table BY
// PRIVACY UNIT (all rows of a unit in the same slice, in their original relative order); then
// merging the partials of all slices gives exactly the state of one pass over the whole table,
// and Release gives the same result for the same random generator state.
class PartialAggregates {
 public:
  // `plan` from PlanQuery; every value column must have bounds in the spec or schema (auto
  // bounds need a global pass). `salt` seeds the random choice of kept groups/rows and must be
  // the same for all slices (draw it once from the secure generator).
  static absl::StatusOr<PartialAggregates> Compute(const io::Table& slice, const io::Schema& schema,
                                                   const QuerySpec& spec, uint64_t salt);
  absl::Status Merge(const PartialAggregates& other);
  std::string Serialize() const;
  static absl::StatusOr<PartialAggregates> Deserialize(const std::string& bytes);

  PartialAggregates();
  ~PartialAggregates();
  PartialAggregates(PartialAggregates&&) noexcept;
  PartialAggregates& operator=(PartialAggregates&&) noexcept;
  PartialAggregates(const PartialAggregates&);
  PartialAggregates& operator=(const PartialAggregates&);

  struct State;
  const State& state() const { return *state_; }

 private:
  std::unique_ptr<State> state_;
};

// Adds noise to merged partial aggregates (charging first) and returns the released rows.
absl::StatusOr<QueryResult> ReleasePartials(const PartialAggregates& partials,
                                            const io::Table& schema_table, const io::Schema& schema,
                                            const QuerySpec& spec, const ExecutionOptions& options);

}  // namespace dpkit::analytics

#endif  // DPKIT_ANALYTICS_QUERY_H_
