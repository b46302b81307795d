// SplitBudget: the one way a release divides a total budget among its mechanisms.
#ifndef DPKIT_RELEASE_BUDGET_SPLIT_H_
#define DPKIT_RELEASE_BUDGET_SPLIT_H_

#include <vector>

#include "absl/status/statusor.h"

namespace dpkit::release {

// Shares of `total` (an epsilon or a rho; > 0, finite) proportional to `weights` (each > 0,
// finite). Floating-point addition of the shares, in any order, never exceeds `total`: every
// share is rounded down by a relative 1e-12 — far more than the few ulps summation can add —
// so a basic-composition charge of the shares fits a budget of exactly `total`, and the release
// loses at most 1e-12 of its budget. InvalidArgument naming the bad value otherwise.
absl::StatusOr<std::vector<double>> SplitBudget(double total, const std::vector<double>& weights);

}  // namespace dpkit::release

#endif  // DPKIT_RELEASE_BUDGET_SPLIT_H_
