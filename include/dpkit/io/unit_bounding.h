// Contribution bounding by privacy unit: the one library function that makes "one unit" touch
// a bounded number of rows before a row-level mechanism runs (synth, train, publish, pipeline;
// analytics bounds per group with its own L0/Linf, see dpkit/analytics/query.h).
//
// BoundRowsPerUnit keeps at most `max_rows_per_unit` rows of every unit, a uniformly random
// subset of that unit's rows chosen with fresh randomness per row (so the choice for one unit
// never depends on another unit's rows), in the input's row order. Rows whose unit is NULL
// cannot be attributed to any unit and are dropped. The unit column is removed when
// `drop_unit_column` (a unit id is never a feature).
//
// STABILITY. If D and D' differ in all rows of one unit (add/remove), the outputs differ in at
// most `max_rows_per_unit` rows (add/remove). So a mechanism that is (epsilon, delta)-DP for
// add/remove of one row, applied to the output with max_rows_per_unit = 1, is (epsilon,
// delta)-DP for add/remove of one unit of the input; with k rows per unit, apply group privacy
// or a mechanism calibrated for k rows. The number of rows dropped is private: callers must not
// show it.
#ifndef DPKIT_IO_UNIT_BOUNDING_H_
#define DPKIT_IO_UNIT_BOUNDING_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "dpkit/io/table.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::io {

struct UnitBoundingOptions {
  std::string unit;                // the privacy unit column (required)
  int64_t max_rows_per_unit = 1;   // >= 1
  bool drop_unit_column = true;
};

// NotFound (naming the column) if the unit column is missing; InvalidArgument for a bad bound.
absl::StatusOr<Table> BoundRowsPerUnit(const Table& table, const UnitBoundingOptions& options,
                                       random::BitGenerator& gen);

}  // namespace dpkit::io

#endif  // DPKIT_IO_UNIT_BOUNDING_H_
