#include "dpkit/accounting/composition.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "accounting/numerics.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::accounting {
namespace {

using internal::kInf;
using internal::kNegInf;

absl::Status ValidateEpsilonDelta(const EpsilonDelta& ed, const std::string& what) {
  DPKIT_RETURN_IF_ERROR(ValidateNonNegativeFinite(what + ".epsilon", ed.epsilon));
  if (!(ed.delta >= 0 && ed.delta <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ".delta must be in [0, 1], got ", FormatDouble(ed.delta)));
  }
  return absl::OkStatus();
}

absl::Status ValidateSteps(int64_t k) { return ValidateAtLeast("k (number of mechanisms)", k, 1); }

// log delta_k(eps) of k-fold randomized response with parameter eps0 (see header).
double LogRrCompositionDelta(double eps0, int64_t k, double eps) {
  if (eps0 == 0) return kNegInf;
  const double kd = static_cast<double>(k);
  // Terms with (k - 2l) eps0 > eps, i.e. l < (k - eps/eps0)/2.
  const double l_bound = (kd - eps / eps0) / 2.0;
  if (l_bound <= 0) return kNegInf;
  int64_t l_max = static_cast<int64_t>(std::ceil(l_bound)) - 1;
  l_max = std::min<int64_t>(l_max, k);
  // The weights C(k,l) e^{(k-l)eps0} / (1+e^eps0)^k are Binomial(k, p_flip) probabilities with
  // p_flip = 1/(1+e^eps0); terms more than 40 sd away from the mean are below e^-800 relative.
  const double p_flip = 1.0 / (1.0 + std::exp(eps0));
  const double mean = kd * p_flip;
  const double sd = std::sqrt(kd * p_flip * (1 - p_flip));
  const int64_t l_lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(mean - 40 * sd - 2)));
  const int64_t l_hi =
      std::min<int64_t>(l_max, static_cast<int64_t>(std::ceil(mean + 40 * sd + 2)));
  const double log_norm = kd * std::log1p(std::exp(eps0));  // log (1 + e^eps0)^k, may be big
  double acc = kNegInf;
  for (int64_t l = l_lo; l <= l_hi; ++l) {
    const double ld = static_cast<double>(l);
    const double loss = (kd - 2 * ld) * eps0;  // privacy loss of this outcome class
    const double t = internal::LogBinomial(kd, ld) + (kd - ld) * eps0 - log_norm +
                     internal::Log1mExp(eps - loss);
    acc = internal::LogAddExp(acc, t);
  }
  return acc;
}

}  // namespace

absl::StatusOr<EpsilonDelta> ComposeSequential(const std::vector<EpsilonDelta>& parts) {
  EpsilonDelta total;
  for (size_t i = 0; i < parts.size(); ++i) {
    DPKIT_RETURN_IF_ERROR(ValidateEpsilonDelta(parts[i], absl::StrCat("parts[", i, "]")));
    total.epsilon += parts[i].epsilon;
    total.delta += parts[i].delta;
  }
  total.delta = std::min(total.delta, 1.0);
  return total;
}

absl::StatusOr<EpsilonDelta> ComposeParallel(const std::vector<EpsilonDelta>& parts) {
  EpsilonDelta total;
  for (size_t i = 0; i < parts.size(); ++i) {
    DPKIT_RETURN_IF_ERROR(ValidateEpsilonDelta(parts[i], absl::StrCat("parts[", i, "]")));
    total.epsilon = std::max(total.epsilon, parts[i].epsilon);
    total.delta = std::max(total.delta, parts[i].delta);
  }
  return total;
}

absl::StatusOr<EpsilonDelta> ComposeAdvanced(EpsilonDelta per_step, int64_t k,
                                             double delta_slack) {
  DPKIT_RETURN_IF_ERROR(ValidateEpsilonDelta(per_step, "per_step"));
  DPKIT_RETURN_IF_ERROR(ValidateSteps(k));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("delta_slack", delta_slack));
  const double kd = static_cast<double>(k);
  const double e = per_step.epsilon;
  const double advanced =
      std::sqrt(2 * kd * std::log(1 / delta_slack)) * e + kd * e * std::expm1(e);
  const double delta = std::min(1.0, kd * per_step.delta + delta_slack);
  const double basic = kd * e;
  if (basic <= advanced) return EpsilonDelta{basic, std::min(1.0, kd * per_step.delta)};
  return EpsilonDelta{advanced, delta};
}

absl::StatusOr<double> OptimalCompositionDelta(EpsilonDelta per_step, int64_t k, double epsilon) {
  DPKIT_RETURN_IF_ERROR(ValidateEpsilonDelta(per_step, "per_step"));
  DPKIT_RETURN_IF_ERROR(ValidateSteps(k));
  DPKIT_RETURN_IF_ERROR(ValidateNonNegativeFinite("epsilon", epsilon));
  const double log_rr = LogRrCompositionDelta(per_step.epsilon, k, epsilon);
  // delta = 1 - (1-delta0)^k (1 - delta_k) = 1 - exp(k log(1-delta0) + log(1 - delta_k)).
  const double log_keep = static_cast<double>(k) * std::log1p(-per_step.delta) +
                          (log_rr == kNegInf ? 0.0 : internal::Log1mExp(log_rr));
  return std::clamp(-std::expm1(log_keep), 0.0, 1.0);
}

absl::StatusOr<double> OptimalCompositionEpsilon(EpsilonDelta per_step, int64_t k, double delta) {
  DPKIT_RETURN_IF_ERROR(ValidateEpsilonDelta(per_step, "per_step"));
  DPKIT_RETURN_IF_ERROR(ValidateSteps(k));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", delta, /*allow_zero=*/true));
  const double e_max = static_cast<double>(k) * per_step.epsilon;
  auto delta_at = [&](double e) { return *OptimalCompositionDelta(per_step, k, e); };
  if (delta_at(e_max) > delta) return kInf;
  if (delta_at(0) <= delta) return 0.0;
  return internal::BisectPredicate([&](double e) { return delta_at(e) <= delta; }, 0.0, e_max,
                                   1e-13, 1e-12);
}

namespace {

// log delta(eps) of the Gaussian mechanism with noise multiplier s.
double LogGaussianDelta(double s, double eps) {
  const double a = 1.0 / (2.0 * s) - eps * s;
  const double b = -1.0 / (2.0 * s) - eps * s;
  return internal::LogSubExp(internal::LogNormalCdf(a), eps + internal::LogNormalCdf(b));
}

}  // namespace

absl::StatusOr<double> GaussianDelta(double noise_multiplier, double epsilon) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("noise_multiplier", noise_multiplier));
  DPKIT_RETURN_IF_ERROR(ValidateNonNegativeFinite("epsilon", epsilon));
  return std::clamp(std::exp(LogGaussianDelta(noise_multiplier, epsilon)), 0.0, 1.0);
}

absl::StatusOr<double> GaussianEpsilon(double noise_multiplier, double delta) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("noise_multiplier", noise_multiplier));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", delta, /*allow_zero=*/true));
  if (delta == 0) return kInf;
  const double log_delta = std::log(delta);
  auto ok = [&](double e) { return LogGaussianDelta(noise_multiplier, e) <= log_delta; };
  if (ok(0)) return 0.0;
  double hi = 1.0;
  for (int i = 0; i < 80 && !ok(hi); ++i) hi *= 2;
  if (!ok(hi)) return kInf;
  return internal::BisectPredicate(ok, 0.0, hi, 1e-14, 1e-13);
}

}  // namespace dpkit::accounting
