// Internal: the pre-noise aggregation state of a query, how it is computed from a table
// (keying, contribution bounding, exact fixed-point accumulation) and merged.
#ifndef DPKIT_SRC_ANALYTICS_ENGINE_STATE_H_
#define DPKIT_SRC_ANALYTICS_ENGINE_STATE_H_

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "analytics/engine/scratch.h"
#include "dpkit/analytics/query.h"
#include "dpkit/io/table.h"

namespace dpkit::analytics::engine {

using int128 = __int128;

// Quantile tree geometry: branching 16, height 3 -> 4096 leaves over [lower, upper].
inline constexpr int kTreeBranching = 16;
inline constexpr int kTreeHeight = 3;
inline constexpr int kTreeLeaves = 4096;
// Fixed-point resolution: a centred, clamped value in [-R, R] becomes an integer in
// [-2^40, 2^40].
inline constexpr double kFixedPointOne = 1099511627776.0;  // 2^40

// A value column as aggregated: which table column, clamping bounds, what is needed.
struct ValueColumn {
  std::string name;  // table column
  int table_index = -1;
  double lower = 0, upper = 0;  // clamping bounds (unused when count_only)
  bool count_only = false;      // COUNT(col): only non-null counts
  bool needs_tree = false;      // some quantile uses it
  double mid() const { return 0.5 * (lower + upper); }
  double radius() const { return 0.5 * (upper - lower); }
  // Fixed-point scale: integer units per value unit (0 when radius is 0).
  double scale() const { return radius() > 0 ? kFixedPointOne / radius() : 0.0; }
  // Fixed-point scale of raw (uncentred) values for SUM: |x| <= max(|lower|, |upper|) maps to
  // [-2^40, 2^40].
  double max_abs() const { return std::max(std::fabs(lower), std::fabs(upper)); }
  double raw_scale() const { return max_abs() > 0 ? kFixedPointOne / max_abs() : 0.0; }
};

struct ValueAccumulator {
  int64_t n = 0;        // non-null kept rows
  int128 sum = 0;       // sum of round((clamp(x) - mid) * scale)
  int128 sum_sq = 0;    // sum of squares of the same integers
  int128 raw_sum = 0;   // sum of round(clamp(x) * raw_scale)
  // Quantile tree leaf counts (sparse), when needs_tree.
  std::map<uint32_t, int64_t> leaves;
};

struct GroupState {
  std::vector<std::string> keys;  // key texts
  int64_t units = 0;              // distinct privacy units after bounding (= rows without unit)
  int64_t rows = 0;               // kept rows
  std::vector<ValueAccumulator> values;  // one per ValueColumn
};

}  // namespace dpkit::analytics::engine

namespace dpkit::analytics {

struct PartialAggregates::State {
  std::vector<std::string> group_columns;
  std::vector<engine::ValueColumn> value_columns;
  std::string privacy_unit;
  int64_t max_groups_per_unit = 1;
  int64_t max_rows_per_group = 1;
  uint64_t salt = 0;
  int64_t input_rows = 0;      // rows after the filter
  int64_t dropped_rows = 0;    // rows dropped (null privacy unit, undeclared public key)
  // Keyed by the key texts joined with '\x1f'.
  std::map<std::string, engine::GroupState> groups;
};

}  // namespace dpkit::analytics

namespace dpkit::analytics::engine {

// Resolved, validated query columns.
struct ResolvedQuery {
  std::vector<int> group_indices;  // table column indices
  int unit_index = -1;             // -1: rows are units
  std::vector<ValueColumn> value_columns;
  std::vector<int> aggregate_value_column;  // per aggregate: index into value_columns or -1
  // Per group column: the public key set (empty if not public).
  std::vector<std::vector<std::string>> public_keys;
  bool all_keys_public() const;
};

// The rows a query aggregates, after filtering, keying and contribution bounding.
struct BoundedRows {
  ScratchArray<int32_t> row_gid;  // per table row: dense group id, or -1 (not a candidate)
  ScratchArray<uint64_t> keep;    // bit r % 64 of word r / 64: row r is kept
  int64_t kept = 0;               // rows kept
  std::vector<int64_t> units_per_group;
  std::vector<std::vector<std::string>> group_keys;  // per gid
  int64_t input_rows = 0;
  int64_t dropped_rows = 0;

  bool summed = false;  // BoundAndAccumulate summed the kept rows in the buckets: keep is empty

  size_t words() const { return keep.size(); }
  // fn(row, gid) for every kept row in words [w0, w1) of the mask, in table order.
  template <typename Fn>
  void ForEachKept(size_t w0, size_t w1, Fn&& fn) const {
    const uint64_t* mask = keep.data();
    const int32_t* gid = row_gid.data();
    for (size_t w = w0; w < w1; ++w) {
      for (uint64_t bits = mask[w]; bits != 0; bits &= bits - 1) {
        const int64_t r = static_cast<int64_t>(w * 64) + std::countr_zero(bits);
        fn(r, gid[r]);
      }
    }
  }
};

// Filters, keys and bounds the rows (L0 groups per unit, Linf rows per group; the rule is in
// analytics/engine/unit_bounding.h).
absl::StatusOr<BoundedRows> BoundContributions(const io::Table& table, const QuerySpec& spec,
                                               const ResolvedQuery& rq, uint64_t salt,
                                               int threads);

// Accumulates the kept rows into per-group state (exact fixed point), multi-threaded. Every
// non-count_only value column must have its bounds (auto bounds are resolved first).
void Accumulate(const io::Table& table, const ResolvedQuery& rq, const BoundedRows& bounded,
                int threads, PartialAggregates::State* state);

// BoundContributions then Accumulate, in one go: when the query has a privacy unit and at most
// one value column, without nulls or quantile tree (and SumsInBuckets, unit_bounding.h), the
// kept rows are summed inside the bounding's buckets and no row mask is made; otherwise the two
// steps. The same rows are kept and the same state results either way (every sum is exact, so
// the order of additions does not matter). Every non-count_only value column must have its
// bounds.
absl::Status BoundAndAccumulate(const io::Table& table, const QuerySpec& spec,
                                const ResolvedQuery& rq, uint64_t salt, int threads,
                                PartialAggregates::State* state);

// Merges `from` into `into` (exact).
void MergeGroup(const GroupState& from, GroupState* into);

}  // namespace dpkit::analytics::engine

#endif  // DPKIT_SRC_ANALYTICS_ENGINE_STATE_H_
