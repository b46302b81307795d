// The bottom-up pass of hierarchical consistency: every unit's count estimate combines its own
// measurement with the sum of its children's combined estimates, by inverse variance, from the
// leaves up (Hay, Rastogi, Miklau & Suciu, "Boosting the Accuracy of Differentially Private
// Histograms Through Consistency", PVLDB 2010, Section 4: with the top-down pass that follows,
// the weighted least-squares estimate over all levels of a tree of sums).
//
// With per-level noise variances s_L^2 (public), a leaf's variance is s_L^2 and a unit's is
//   v_u = 1 / (1 / s_l^2 + 1 / V_u),   V_u = sum over children c of v_c,
// and its estimate z_u = v_u (y_u / s_l^2 + (sum_c z_c) / V_u). The variances depend only on
// the plan (sigmas and the public geography), so TopDown can weigh each unit by 1 / v_u.
// Post-processing of the noisy measurements: no privacy cost.
#ifndef DPKIT_SRC_PUBLISH_BOTTOM_UP_H_
#define DPKIT_SRC_PUBLISH_BOTTOM_UP_H_

#include <vector>

#include "dpkit/publish/estimate.h"
#include "dpkit/publish/plan.h"

namespace dpkit::publish {

// variance[level][table][unit]: the variance of every cell of that unit's combined estimate.
using UnitVariances = std::vector<std::vector<std::vector<double>>>;

UnitVariances CombinedVariances(const PublicationPlan& plan);

// The combined estimates of every cell (real-valued, possibly negative).
TableSet CombineBottomUp(const PublicationPlan& plan, const UnitVariances& variance,
                         const TableSet& noisy);

}  // namespace dpkit::publish

#endif  // DPKIT_SRC_PUBLISH_BOTTOM_UP_H_
