#include "dpkit/publish/estimate.h"

#include <utility>

#include "dpkit/base/status.h"
#include "publish/bottom_up.h"
#include "publish/parent_problem.h"

namespace dpkit::publish {

TableSet TableSet::Zeros(const PublicationPlan& plan) {
  TableSet set;
  set.values.resize(plan.geography.num_levels());
  for (int l = 0; l < plan.geography.num_levels(); ++l) {
    for (const TablePlan& t : plan.tables) {
      set.values[l].emplace_back(
          static_cast<size_t>(plan.geography.num_units(l)) * t.layout.num_cells(), 0.0);
    }
  }
  return set;
}

TopDownEstimator::TopDownEstimator(const PublicationPlan& plan) : plan_(plan) {}
TopDownEstimator::~TopDownEstimator() = default;

absl::StatusOr<std::unique_ptr<TopDownEstimator>> TopDownEstimator::Create(
    const PublicationPlan& plan) {
  std::unique_ptr<TopDownEstimator> e(new TopDownEstimator(plan));
  e->variances_ = CombinedVariances(plan);
  const GeographyTree& geo = plan.geography;
  for (const TableFamily& family : plan.families) {
    e->families_.push_back(std::make_unique<FamilyCells>(FamilyCells::Create(plan, family)));
    const FamilyCells& cells = *e->families_.back();
    std::vector<std::vector<std::unique_ptr<Problem>>> levels(geo.num_levels());
    for (int u = 0; u < geo.num_units(0); ++u) {
      DPKIT_ASSIGN_OR_RETURN(auto problem, Problem::Create(cells, e->variances_, 0, u, 1, false));
      levels[0].push_back(std::move(problem));
    }
    for (int l = 1; l < geo.num_levels(); ++l) {
      for (int p = 0; p < geo.num_units(l - 1); ++p) {
        const auto [first, last] = geo.children(l - 1, p);
        DPKIT_ASSIGN_OR_RETURN(auto problem,
                               Problem::Create(cells, e->variances_, l, first, last - first, true));
        levels[l].push_back(std::move(problem));
      }
    }
    e->problems_.push_back(std::move(levels));
  }
  return e;
}

absl::StatusOr<TableSet> TopDownEstimator::Estimate(const TableSet& noisy) const {
  const TableSet combined = CombineBottomUp(plan_, variances_, noisy);
  TableSet out = TableSet::Zeros(plan_);
  for (const auto& family : problems_) {
    for (size_t l = 0; l < family.size(); ++l) {
      // At level 0 each problem is one top-level unit; below, one parent unit of level l - 1.
      for (size_t p = 0; p < family[l].size(); ++p) {
        DPKIT_RETURN_IF_ERROR(family[l][p]->Estimate(combined, static_cast<int>(p), out));
      }
    }
  }
  return out;
}

}  // namespace dpkit::publish
