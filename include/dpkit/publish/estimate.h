// TopDown post-processing: consistent, non-negative integer tables from noisy measurements.
//
// Input: the noisy count of every cell of every table in every unit of every level (what the
// plan's measurements release). Output: integer tables, >= 0, such that
//   * every unit's cells sum, over its children, to its own cells (hierarchy), and
//   * within a unit, tables counting the same entity agree on every margin they share
//     (and so on the total).
// Algorithm (after Abowd et al., "The 2020 Census Disclosure Avoidance System TopDown
// Algorithm", Harvard Data Science Review 2022):
//   0. bottom-up, every unit's measurement is combined by inverse variance with the sum of its
//      children's combined estimates (src/publish/bottom_up.h; Hay et al., PVLDB 2010), so each
//      level's estimate uses the measurements of every level below it too;
// then level by level from the top, for each parent:
//   1. weighted least squares (weights 1 / variance of the combined estimates) over all tables
//      of all its children, non-negative, under the constraints "children sum to the parent's
//      (already integer) cells" and "tables agree with their consistency source on the
//      separator margin" (src/publish/nnls.h);
//   2. controlled rounding (src/publish/rounding.h): the children's totals to integers summing
//      to the parent's total, then each table in consistency order as a transportation problem
//      per separator cell — rows: the children's (integer) margin from the earlier table, columns:
//      the parent's cells — which always has a non-negative integer solution.
// At the top level there is no parent: the total is rounded to the nearest integer and each
// table is rounded per separator cell to its integer margin. The result is consistent by
// construction (estimate_test.cc checks every constraint on every cell). It reads only the
// noisy measurements and the public plan: post-processing, no privacy cost.
//
// Thread safety: an estimator is immutable after Create; Estimate is const and thread-safe.
#ifndef DPKIT_PUBLISH_ESTIMATE_H_
#define DPKIT_PUBLISH_ESTIMATE_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/publish/plan.h"

namespace dpkit::publish {

struct FamilyCells;

// A value for every cell of every table in every unit of every level:
// values[level][table][unit * cells + cell].
struct TableSet {
  std::vector<std::vector<std::vector<double>>> values;

  // All zeros, shaped by the plan.
  static TableSet Zeros(const PublicationPlan& plan);
  double& at(int level, int table, int unit, int cells, int cell) {
    return values[level][table][static_cast<size_t>(unit) * cells + cell];
  }
};

class TopDownEstimator {
 public:
  // Builds (and factorises) one least-squares problem per parent unit and family. `plan` must
  // outlive the estimator.
  static absl::StatusOr<std::unique_ptr<TopDownEstimator>> Create(const PublicationPlan& plan);
  ~TopDownEstimator();

  // Consistent non-negative integer tables from `noisy` (shaped like TableSet::Zeros).
  absl::StatusOr<TableSet> Estimate(const TableSet& noisy) const;

 private:
  class Problem;
  explicit TopDownEstimator(const PublicationPlan& plan);
  const PublicationPlan& plan_;
  std::vector<std::unique_ptr<FamilyCells>> families_;
  std::vector<std::vector<std::vector<double>>> variances_;  // [level][table][unit]
  // problems_[family][level]: one per parent unit of `level` (or per root unit at level 0).
  std::vector<std::vector<std::vector<std::unique_ptr<Problem>>>> problems_;
};

}  // namespace dpkit::publish

#endif  // DPKIT_PUBLISH_ESTIMATE_H_
