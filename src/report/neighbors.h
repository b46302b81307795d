// Private: exact nearest-neighbour distances under a Gower-type mixed distance.
//
// d(a, b) = (sum over numeric columns of |a - b| / range + sum over categorical columns of
// [a != b]) / number of columns, in [0, 1], where range is the real column's max - min (a
// column with zero range contributes 0) and a missing value is at distance 1 from a present one
// and 0 from another missing one (Gower 1971, with missing handled as a mismatch).
#ifndef DPKIT_SRC_REPORT_NEIGHBORS_H_
#define DPKIT_SRC_REPORT_NEIGHBORS_H_

#include <cstdint>
#include <span>
#include <vector>

#include "report/encode.h"

namespace dpkit::report::internal {

// Rows of one Part laid out for fast distance computation (row-major).
struct PointSet {
  size_t n = 0;
  int num_dims = 0, cat_dims = 0;
  std::vector<float> num;    // scaled by 1/range; NaN = missing
  std::vector<int32_t> cat;  // codes
};

// The columns `cols` (indices into enc.cols) of rows `rows` of `part`.
PointSet MakePointSet(const Encoded& enc, const Part& part, const std::vector<int>& cols,
                      std::span<const size_t> rows);

// For each query point, the distance to its nearest point in `ref`. Exact (brute force with
// partial-distance pruning), split over `threads` threads.
std::vector<double> NearestDistances(const PointSet& queries, const PointSet& ref, int threads);

}  // namespace dpkit::report::internal

#endif  // DPKIT_SRC_REPORT_NEIGHBORS_H_
