// Controlled rounding: non-negative integers closest (in L1) to real targets, with exact sums.
//
// The last step of post-processing. TopDown rounds by integer programming (Abowd et al. 2022,
// Section 7.2); here the constraints have a simpler shape — a vector with a fixed sum, or a
// children x cells matrix with fixed row sums (each child's margin, already integer) and fixed
// column sums (the parent's cells, already integer) — and both are solved exactly:
//   * RoundToSum: greedy on the convex costs |x_i - t_i| (optimal for a separable convex
//     objective under one sum constraint).
//   * RoundToMargins: a min-cost flow (transportation problem) with convex costs |x_ij - t_ij|,
//     started at the nearest integers and repaired by successive shortest augmenting paths with
//     potentials (Ahuja, Magnanti & Orlin, "Network Flows", 1993, Sections 9.7 and 14.4). A
//     transportation problem whose row and column sums have the same total always has a
//     non-negative integer solution, so this never fails; the flow is optimal for the L1 cost.
// Ties are broken by index, so results are deterministic.
#ifndef DPKIT_SRC_PUBLISH_ROUNDING_H_
#define DPKIT_SRC_PUBLISH_ROUNDING_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace dpkit::publish {

// x >= 0 integers with sum(x) == total (total >= 0) minimising sum |x_i - target_i|.
std::vector<int64_t> RoundToSum(absl::Span<const double> target, int64_t total);

// rows x cols matrix (row-major) of integers >= 0 with the given row and column sums
// (non-negative, equal totals) minimising sum |x_ij - target_ij|.
std::vector<int64_t> RoundToMargins(absl::Span<const double> target, int rows, int cols,
                                    absl::Span<const int64_t> row_sums,
                                    absl::Span<const int64_t> col_sums);

}  // namespace dpkit::publish

#endif  // DPKIT_SRC_PUBLISH_ROUNDING_H_
