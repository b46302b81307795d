#include "dpkit/io/unit_bounding.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"

namespace dpkit::io {
namespace {

struct Candidate {
  int64_t unit = 0;      // dense unit index
  uint64_t priority = 0; // fresh random per row: the smallest k per unit are a uniform subset
  int64_t row = 0;
};

// Dense index of each row's unit (-1 for NULL units).
std::vector<int64_t> UnitIndex(const Column& units) {
  absl::flat_hash_map<std::string, int64_t> ids;
  std::vector<int64_t> index(static_cast<size_t>(units.size()), -1);
  for (int64_t r = 0; r < units.size(); ++r) {
    if (units.IsNull(r)) continue;
    auto [it, inserted] = ids.try_emplace(units.FormatValue(r), static_cast<int64_t>(ids.size()));
    index[r] = it->second;
  }
  return index;
}

}  // namespace

absl::StatusOr<Table> BoundRowsPerUnit(const Table& table, const UnitBoundingOptions& options,
                                       random::BitGenerator& gen) {
  if (options.max_rows_per_unit < 1) {
    return absl::InvalidArgumentError(absl::StrCat("rows per privacy unit must be >= 1, got ",
                                                   options.max_rows_per_unit));
  }
  auto units = table.ColumnByName(options.unit);
  if (!units.ok()) {
    return absl::NotFoundError(
        absl::StrCat("privacy unit column '", options.unit, "' is not in the table"));
  }
  const std::vector<int64_t> unit_of = UnitIndex(**units);
  std::vector<Candidate> candidates;
  candidates.reserve(unit_of.size());
  for (int64_t r = 0; r < static_cast<int64_t>(unit_of.size()); ++r) {
    if (unit_of[r] >= 0) candidates.push_back({unit_of[r], gen.NextU64(), r});
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.unit, a.priority) < std::tie(b.unit, b.priority);
  });
  std::vector<int64_t> keep;
  for (size_t i = 0, taken = 0; i < candidates.size(); ++i) {
    taken = (i > 0 && candidates[i].unit == candidates[i - 1].unit) ? taken + 1 : 0;
    if (static_cast<int64_t>(taken) < options.max_rows_per_unit) keep.push_back(candidates[i].row);
  }
  std::sort(keep.begin(), keep.end());
  DPKIT_ASSIGN_OR_RETURN(Table bounded, table.TakeRows(keep));
  if (!options.drop_unit_column) return bounded;
  std::vector<std::string> names;
  for (const std::string& n : bounded.ColumnNames()) {
    if (n != options.unit) names.push_back(n);
  }
  return bounded.SelectColumns(names);
}

}  // namespace dpkit::io
