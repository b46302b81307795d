#include "publish/error_bars.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "dpkit/base/status.h"
#include "publish/measure.h"

namespace dpkit::publish {
namespace {

// The k largest values seen, per cell (a min-heap each), so memory is cells x k, not cells x S.
class LargestPerCell {
 public:
  LargestPerCell(size_t cells, size_t k) : k_(k), heaps_(cells * k), sizes_(cells, 0) {}

  void Add(size_t cell, double value) {
    double* heap = &heaps_[cell * k_];
    size_t& size = sizes_[cell];
    if (size < k_) {
      heap[size++] = value;
      std::push_heap(heap, heap + size, std::greater<>());
    } else if (value > heap[0]) {
      std::pop_heap(heap, heap + k_, std::greater<>());
      heap[k_ - 1] = value;
      std::push_heap(heap, heap + k_, std::greater<>());
    }
  }
  // The k-th largest value added (all S replicates have been added, S >= k).
  double KthLargest(size_t cell) const { return heaps_[cell * k_]; }

 private:
  size_t k_;
  std::vector<double> heaps_;
  std::vector<size_t> sizes_;
};

}  // namespace

absl::StatusOr<ErrorBars> SimulateErrorBars(const PublicationPlan& plan,
                                            const TopDownEstimator& estimator,
                                            const TableSet& released, random::BitGenerator& gen) {
  const int replicates = plan.spec.error_bars.replicates;
  const int rank = static_cast<int>(std::ceil(plan.spec.error_bars.level * (replicates + 1)));
  const size_t k = static_cast<size_t>(replicates - rank + 1);
  const int levels = plan.geography.num_levels();
  const size_t tables = plan.tables.size();
  std::vector<std::vector<LargestPerCell>> largest(levels);
  ErrorBars bars{TableSet::Zeros(plan),
                 std::vector<std::vector<double>>(levels, std::vector<double>(tables, 0)),
                 std::vector<std::vector<double>>(levels, std::vector<double>(tables, 0))};
  for (int l = 0; l < levels; ++l) {
    for (size_t t = 0; t < tables; ++t) largest[l].emplace_back(released.values[l][t].size(), k);
  }
  for (int s = 0; s < replicates; ++s) {
    const TableSet noisy = Measure(plan, released, gen);
    DPKIT_ASSIGN_OR_RETURN(const TableSet estimate, estimator.Estimate(noisy));
    for (int l = 0; l < levels; ++l) {
      for (size_t t = 0; t < tables; ++t) {
        const std::vector<double>& truth = released.values[l][t];
        for (size_t i = 0; i < truth.size(); ++i) {
          const double error = std::abs(estimate.values[l][t][i] - truth[i]);
          largest[l][t].Add(i, error);
          bars.consistent_mae[l][t] += error;
          bars.noisy_mae[l][t] += std::abs(noisy.values[l][t][i] - truth[i]);
        }
      }
    }
  }
  for (int l = 0; l < levels; ++l) {
    for (size_t t = 0; t < tables; ++t) {
      const size_t cells = released.values[l][t].size();
      for (size_t i = 0; i < cells; ++i) bars.moe.values[l][t][i] = largest[l][t].KthLargest(i);
      bars.consistent_mae[l][t] /= static_cast<double>(replicates) * cells;
      bars.noisy_mae[l][t] /= static_cast<double>(replicates) * cells;
    }
  }
  return bars;
}

}  // namespace dpkit::publish
