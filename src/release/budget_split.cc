#include "dpkit/release/budget_split.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::release {

absl::StatusOr<std::vector<double>> SplitBudget(double total, const std::vector<double>& weights) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("total budget", total));
  if (weights.empty()) return absl::InvalidArgumentError("a budget split needs at least one share");
  double sum = 0;
  for (double w : weights) {
    DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("budget share weight", w));
    sum += w;
  }
  constexpr double kSafety = 1 - 1e-12;
  std::vector<double> shares;
  shares.reserve(weights.size());
  for (double w : weights) shares.push_back(total * (w / sum) * kSafety);
  return shares;
}

}  // namespace dpkit::release
