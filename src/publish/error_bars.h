// Error bars of published tables, by simulation (a parametric bootstrap of the whole release).
//
// The released tables R are taken as the truth; each replicate measures R with fresh noise from
// the plan's own mechanisms (same sigmas) and re-runs the TopDown post-processing; the errors
// e = estimate - R of the replicates estimate the error distribution of every cell, including
// the effect of consistency, non-negativity and rounding. A cell's margin of error at level q
// is the ceil(q (S + 1))-th smallest |e| of S replicates, and [max(0, R - moe), R + moe] is its
// interval (coverage is measured by error_bars_test.cc). Reads only R and the public plan:
// post-processing of a DP release, no privacy cost.
//
// Also returned, per level and table: the mean |e| after post-processing and the mean |noise|
// of the raw measurements (the "no consistency" baseline), both over the same replicates.
#ifndef DPKIT_SRC_PUBLISH_ERROR_BARS_H_
#define DPKIT_SRC_PUBLISH_ERROR_BARS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/publish/estimate.h"
#include "dpkit/publish/plan.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::publish {

struct ErrorBars {
  TableSet moe;                                     // margin of error of every cell
  std::vector<std::vector<double>> consistent_mae;  // [level][table]
  std::vector<std::vector<double>> noisy_mae;       // [level][table]
};

absl::StatusOr<ErrorBars> SimulateErrorBars(const PublicationPlan& plan,
                                            const TopDownEstimator& estimator,
                                            const TableSet& released, random::BitGenerator& gen);

}  // namespace dpkit::publish

#endif  // DPKIT_SRC_PUBLISH_ERROR_BARS_H_
