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
//  - Release protocol (dpkit/release/release.h): RunQuery plans from public inputs only (the
//    schema, the spec, column names and types — never a data value), charges the plan's
//    PrivacyMaps (the ones the mechanisms report) to the budget of (dataset, privacy unit)
//    through a release::Charger, and only then touches the data. A refused charge releases
//    nothing; a failure after the charge says what was spent (release::ChargedFailure).
// Noise: every statistic is an exact integer (a count, or a sum in 128-bit fixed point, values
// quantised to (upper-lower)*2^-41, so the sensitivity bound holds exactly and partial
// aggregates merge exactly in any order) released through the discrete Laplace or discrete
// Gaussian mechanism of dpkit/mechanisms, obtained from ExecutionOptions::noise (see
// src/analytics/engine/noise.h for the calibration); quantiles use a hierarchical histogram
// (quantile tree, branching 16, height 3 over [lower, upper]) with the same noise.
#ifndef DPKIT_ANALYTICS_QUERY_H_
#define DPKIT_ANALYTICS_QUERY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/analytics/partition_selection.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/release/release.h"

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
  std::vector<std::string> notes;  // e.g. DP bounds found (DP values only, never counts)
  std::vector<ledger::Receipt> receipts;  // the charges that paid for this release
};

struct ExecutionOptions {
  random::BitGenerator* rng = nullptr;  // required; SecureRng in production
  // The single noise layer. testing::ZeroNoise() (tests only) keeps every calibration and
  // privacy map but adds no noise, and makes partition selection its median rule.
  const mechanisms::NoiseFactory* noise = &mechanisms::SecureNoise();
  int threads = 2;
};

// Validates the spec against the schema/table (names, types, bounds, budget) and returns the
// plan. Uses only public information (schema, column names and types, the spec) — never data
// values (it reads no row of `table`).
absl::StatusOr<QueryPlan> PlanQuery(const io::Table& table, const io::Schema& schema,
                                    const QuerySpec& spec);

// The release plan that charges `plan` to `budget`: the plan's steps and PrivacyMaps, and the
// neighbouring relation of the plan's privacy unit. `operation` is recorded with the charge.
release::ReleasePlan ToReleasePlan(const QueryPlan& plan, const release::BudgetKey& budget,
                                   const std::string& operation);

// The release protocol for a query on one table: plans, charges the budget (`dataset`, the
// schema's privacy unit) through `charger` — refusing, before anything is charged, a budget
// kept for another privacy unit — then bounds, aggregates and releases. Nothing derived from
// the data is computed before the charge succeeds.
absl::StatusOr<QueryResult> RunQuery(const io::Table& table, const io::Schema& schema,
                                     const QuerySpec& spec, const std::string& dataset,
                                     release::Charger& charger, const ExecutionOptions& options);

// The execute step alone, for a query whose PlanQuery() PrivacyMaps were charged as part of a
// larger release — `charge` is the receipt of that charge (e.g. a pipeline run charges its DP
// row count with its synthesizer fit). Calling it without such a charge releases uncharged
// data: use RunQuery.
absl::StatusOr<QueryResult> ExecuteQuery(const io::Table& table, const io::Schema& schema,
                                         const QuerySpec& spec, const ledger::Receipt& charge,
                                         const ExecutionOptions& options);

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
  // One partial per group, each holding that group's state only (merging them gives this one,
  // up to the row counters). For engines that merge partials by group key (a shuffle by key).
  // The key is the group's key texts joined by '\x1f' ("" without GROUP BY).
  std::vector<std::pair<std::string, PartialAggregates>> SplitByGroup() const;
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

// Charges the query's plan to (`dataset`, the schema's privacy unit) through `charger`, then
// adds noise to merged partial aggregates and returns the released rows. `schema_table` gives
// the column names and types (its rows are not read; a zero-row slice is enough).
absl::StatusOr<QueryResult> ReleasePartials(const PartialAggregates& partials,
                                            const io::Table& schema_table, const io::Schema& schema,
                                            const QuerySpec& spec, const std::string& dataset,
                                            release::Charger& charger,
                                            const ExecutionOptions& options);

// The execute step alone for merged partials whose query was charged as part of a larger release
// (a DP SQL statement over slices, sql_partials.h): `charge` is the receipt of that charge.
// Calling it without such a charge releases uncharged data: use ReleasePartials.
absl::StatusOr<QueryResult> ReleaseChargedPartials(const PartialAggregates& partials,
                                                   const io::Table& schema_table,
                                                   const io::Schema& schema, const QuerySpec& spec,
                                                   const ledger::Receipt& charge,
                                                   const ExecutionOptions& options);

}  // namespace dpkit::analytics

#endif  // DPKIT_ANALYTICS_QUERY_H_
