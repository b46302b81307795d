#include "dpkit/accounting/zcdp.h"

#include <algorithm>
#include <cmath>

#include "accounting/numerics.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::accounting {

using internal::kInf;

double PureDpToZcdp(double epsilon) { return 0.5 * epsilon * epsilon; }

double GaussianZcdp(double noise_multiplier) {
  return 1.0 / (2.0 * noise_multiplier * noise_multiplier);
}

namespace {

// Optimisation over alpha is done in t = log(alpha - 1) in [-25, 25]: alpha from 1 + 1e-11 to
// ~7e10, which covers every (rho, delta) with rho >= 1e-20 and delta >= 1e-300.
constexpr double kLogAlphaMinus1Lo = -25;
constexpr double kLogAlphaMinus1Hi = 25;

// CKS20 Corollary 13 objective at alpha = 1 + e^t.
double Cks20Epsilon(double rho, double log_inv_delta, double t) {
  const double am1 = std::exp(t);
  const double alpha = 1 + am1;
  // (alpha-1) ln(1 - 1/alpha) = (alpha-1) (ln(alpha-1) - ln alpha)
  const double log_alpha = std::log1p(am1);
  return alpha * rho + (log_inv_delta + am1 * (t - log_alpha) - log_alpha) / am1;
}

// log of the CKS20 Proposition 12 delta at alpha = 1 + e^t.
double Cks20LogDelta(double rho, double eps, double t) {
  const double am1 = std::exp(t);
  const double alpha = 1 + am1;
  const double log_alpha = std::log1p(am1);
  return am1 * (alpha * rho - eps) + alpha * (t - log_alpha) - t;
}

}  // namespace

absl::StatusOr<double> ZcdpEpsilon(double rho, double delta, ZcdpConversion conversion) {
  DPKIT_RETURN_IF_ERROR(ValidateNonNegativeFinite("rho", rho));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", delta, /*allow_zero=*/true));
  if (rho == 0) return 0.0;
  if (delta == 0) return kInf;
  const double log_inv_delta = -std::log(delta);
  const double classic = rho + 2 * std::sqrt(rho * log_inv_delta);
  if (conversion == ZcdpConversion::kClassic) return classic;
  const internal::Minimum m = internal::MinimizeScalar(
      [&](double t) { return Cks20Epsilon(rho, log_inv_delta, t); }, kLogAlphaMinus1Lo,
      kLogAlphaMinus1Hi, 400);
  return std::max(0.0, std::min(classic, m.value));
}

absl::StatusOr<double> ZcdpDelta(double rho, double epsilon, ZcdpConversion conversion) {
  DPKIT_RETURN_IF_ERROR(ValidateNonNegativeFinite("rho", rho));
  DPKIT_RETURN_IF_ERROR(ValidateNonNegativeFinite("epsilon", epsilon));
  if (rho == 0) return 0.0;
  // Classic: delta = exp(-(eps - rho)^2 / (4 rho)) for eps >= rho (inverse of Prop. 1.3).
  const double classic =
      epsilon <= rho ? 1.0 : std::exp(-(epsilon - rho) * (epsilon - rho) / (4 * rho));
  if (conversion == ZcdpConversion::kClassic) return std::min(1.0, classic);
  const internal::Minimum m = internal::MinimizeScalar(
      [&](double t) { return Cks20LogDelta(rho, epsilon, t); }, kLogAlphaMinus1Lo,
      kLogAlphaMinus1Hi, 400);
  return std::clamp(std::min(classic, std::exp(m.value)), 0.0, 1.0);
}

}  // namespace dpkit::accounting
