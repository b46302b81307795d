// One step of TopDown: the children of one parent unit (or one top-level unit), one family of
// tables. See dpkit/publish/estimate.h for the algorithm.
//
// Unknowns: x[child][table][cell] for the family's tables in consistency order. Constraints:
//   (H) sum over children of x[child][t][c] = the parent's integer cell (not at the top level);
//   (M) for every child but the last, table order[i] and its source agree on separator[i]
//       (the last child's agreement follows from (H) and the parent's own consistency, and
//       leaving it out keeps the constraint matrix of full row rank).
#ifndef DPKIT_SRC_PUBLISH_PARENT_PROBLEM_H_
#define DPKIT_SRC_PUBLISH_PARENT_PROBLEM_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/publish/estimate.h"
#include "dpkit/publish/plan.h"
#include "publish/bottom_up.h"
#include "publish/nnls.h"

namespace dpkit::publish {

// How the tables of a family fit together (the same for every parent).
struct FamilyCells {
  struct Table {
    int id = 0;  // table id in the plan
    int cells = 0;
    int offset = 0;                 // first unknown of this table within one child
    int source = -1;                // position (in this family) of its consistency source
    int slices = 1;                 // cells of the separator margin
    std::vector<int> slice;         // separator cell of each cell of this table
    std::vector<int> source_slice;  // separator cell of each cell of the source table
    std::vector<std::vector<int>> cells_of_slice;  // this table's cells in each separator cell
  };
  std::vector<Table> tables;  // in consistency order
  int cells_per_child = 0;

  static FamilyCells Create(const PublicationPlan& plan, const TableFamily& family);
};

class TopDownEstimator::Problem {
 public:
  // Children [first, first + count) at `level`; `has_parent` is false at the top level (then
  // count == 1). Each child's table is weighted by 1 / its combined variance.
  static absl::StatusOr<std::unique_ptr<Problem>> Create(const FamilyCells& family,
                                                         const UnitVariances& variance, int level,
                                                         int first, int count, bool has_parent);

  // Reads the children's (bottom-up combined) noisy cells and the parent's integer cells (`parent`
  // at level - 1 of `out`), writes the children's integer cells into `out`. Internal error if the
  // parent's tables are not consistent (a bug: they come from the step above).
  absl::Status Estimate(const TableSet& noisy, int parent, TableSet& out) const;

 private:
  Problem(const FamilyCells& family, int level, int first, int count, bool has_parent, int num_rows,
          ConstrainedNnls nnls)
      : family_(family),
        level_(level),
        first_(first),
        count_(count),
        has_parent_(has_parent),
        num_rows_(num_rows),
        nnls_(std::move(nnls)) {}
  size_t Index(int child, int table, int cell) const;
  Eigen::VectorXd Measurements(const TableSet& noisy) const;
  Eigen::VectorXd ParentCells(const TableSet& out, int parent) const;
  std::vector<int64_t> ChildTotals(const Eigen::VectorXd& z, const TableSet& out, int parent) const;
  absl::Status RoundTable(const Eigen::VectorXd& z, int position,
                          const std::vector<int64_t>& totals, int parent, TableSet& out) const;

  const FamilyCells& family_;
  int level_, first_, count_;
  bool has_parent_;
  int num_rows_;
  ConstrainedNnls nnls_;
};

}  // namespace dpkit::publish

#endif  // DPKIT_SRC_PUBLISH_PARENT_PROBLEM_H_
