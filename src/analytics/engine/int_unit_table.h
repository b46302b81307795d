// Test support: a table for BoundByUnit given as vectors, with int64 privacy units and every
// row a candidate of an allowed group (no filter, no undeclared keys).
#ifndef DPKIT_SRC_ANALYTICS_ENGINE_INT_UNIT_TABLE_H_
#define DPKIT_SRC_ANALYTICS_ENGINE_INT_UNIT_TABLE_H_

#include <cstdint>
#include <vector>

#include "analytics/engine/unit_bounding.h"

namespace dpkit::analytics::engine::testing {

struct IntUnitTable {
  std::vector<int64_t> unit;         // per row
  std::vector<int32_t> row_gid;      // per row, in [0, group_hash.size())
  std::vector<uint64_t> group_hash;  // per group
  std::vector<uint8_t> allowed;      // per group: all 1 (set by Input)

  // The bounding's input over these rows (salt 0, one thread: set them after).
  UnitBoundingInput Input(int64_t l0, int64_t linf) {
    allowed.assign(group_hash.size(), 1);
    UnitBoundingInput in;
    in.rows = static_cast<int64_t>(unit.size());
    in.row_gid = row_gid.data();
    in.gid_allowed = allowed.data();
    in.group_hash = group_hash.data();
    in.num_gids = group_hash.size();
    in.unit_hash.ints = unit.data();
    in.l0 = l0;
    in.linf = linf;
    in.candidates = in.rows;
    return in;
  }
};

}  // namespace dpkit::analytics::engine::testing

#endif  // DPKIT_SRC_ANALYTICS_ENGINE_INT_UNIT_TABLE_H_
