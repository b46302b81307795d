// ZcdpRhoForEpsilon: the inverse of the CKS20 conversion, by bracketing and bisection.
#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <utility>

#include "dpkit/accounting/zcdp.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::accounting {
namespace {

absl::StatusOr<double> ComputeRho(double epsilon, double delta) {
  auto fits = [&](double rho) -> absl::StatusOr<bool> {
    DPKIT_ASSIGN_OR_RETURN(double e, ZcdpEpsilon(rho, delta));
    return e <= epsilon;
  };
  // lo: the rho of Bun & Steinke's conversion eps = rho + 2 sqrt(rho ln(1/delta)), never tighter
  // than CKS20's, so it fits; hi: doubled until it does not fit.
  const double l = std::log(1 / delta);
  const double s = std::sqrt(l + epsilon) - std::sqrt(l);
  double lo = s * s, hi = std::max(2 * lo, epsilon);
  for (int i = 0; i < 64; ++i) {
    DPKIT_ASSIGN_OR_RETURN(bool hi_fits, fits(hi));
    if (!hi_fits) break;
    lo = hi;
    hi *= 2;
  }
  for (int i = 0; i < 100 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = lo + (hi - lo) / 2;
    DPKIT_ASSIGN_OR_RETURN(bool mid_fits, fits(mid));
    (mid_fits ? lo : hi) = mid;
  }
  return lo * (1 - 1e-9);
}

}  // namespace

absl::StatusOr<double> ZcdpRhoForEpsilon(double epsilon, double delta) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("delta", delta));
  // A pure function that costs a few thousand ZcdpEpsilon evaluations, asked again and again
  // with the same shares by planners: cached process-wide.
  static std::mutex mu;
  static auto* cache = new std::map<std::pair<double, double>, double>();
  const auto key = std::make_pair(epsilon, delta);
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache->find(key); it != cache->end()) return it->second;
  }
  DPKIT_ASSIGN_OR_RETURN(double rho, ComputeRho(epsilon, delta));
  std::lock_guard<std::mutex> lock(mu);
  if (cache->size() > 10000) cache->clear();
  (*cache)[key] = rho;
  return rho;
}

}  // namespace dpkit::accounting
