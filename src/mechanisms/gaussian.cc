#include "dpkit/mechanisms/gaussian.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "mechanisms/grid.h"
#include "mechanisms/noise_core.h"

namespace dpkit::mechanisms {
namespace {

enum class Target { kEpsilonDelta, kRho, kSigma };

// Checks that exactly one target is set and valid; returns which.
absl::StatusOr<Target> ValidateTarget(double epsilon, double delta,
                                      const std::optional<double>& rho,
                                      const std::optional<double>& sigma,
                                      GaussianCalibration calibration) {
  const bool has_eps_delta = epsilon != 0 || delta != 0;
  const int count = static_cast<int>(has_eps_delta) + static_cast<int>(rho.has_value()) +
                    static_cast<int>(sigma.has_value());
  if (count != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("set exactly one privacy target: (epsilon, delta), rho, or sigma; got ",
                     count == 0 ? "none" : "more than one"));
  }
  if (rho) {
    DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("rho", *rho));
    return Target::kRho;
  }
  if (sigma) {
    DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("sigma", *sigma));
    return Target::kSigma;
  }
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("delta", delta));
  if (calibration == GaussianCalibration::kClassic && !(epsilon < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the classic Gaussian calibration is only valid for epsilon < 1 (Dwork & Roth 2014, "
        "Thm A.1), got epsilon=",
        FormatDouble(epsilon), "; use --calibration analytic"));
  }
  return Target::kEpsilonDelta;
}

// The continuous sigma (value units) for a target.
absl::StatusOr<double> ContinuousSigma(Target target, double epsilon, double delta,
                                       const std::optional<double>& rho,
                                       const std::optional<double>& sigma, double sensitivity,
                                       GaussianCalibration calibration) {
  switch (target) {
    case Target::kSigma:
      return *sigma;
    case Target::kRho: {
      double s = internal::RatioUp(sensitivity, std::sqrt(static_cast<long double>(2) * *rho));
      if (!std::isfinite(s)) return absl::InvalidArgumentError("sigma overflows; increase rho");
      return s;
    }
    case Target::kEpsilonDelta:
      return GaussianSigma(calibration, epsilon, delta, sensitivity);
  }
  return absl::InternalError("unknown target");
}

absl::StatusOr<internal::DiscreteGaussianCore> MakeCore(Target target, double sigma_start,
                                                        int64_t sensitivity, double epsilon,
                                                        double delta) {
  if (target == Target::kEpsilonDelta) {
    return internal::DiscreteGaussianCore::CreateForEpsilonDelta(sigma_start, sensitivity, epsilon,
                                                                 delta);
  }
  return internal::DiscreteGaussianCore::CreateForSigma(sigma_start, sensitivity);
}

}  // namespace

absl::StatusOr<GaussianMechanism> GaussianMechanism::Create(const GaussianOptions& options) {
  DPKIT_ASSIGN_OR_RETURN(Target target, ValidateTarget(options.epsilon, options.delta, options.rho,
                                                       options.sigma, options.calibration));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("l2_sensitivity", options.l2_sensitivity));
  if (options.granularity_bits < 0 || options.granularity_bits > internal::kMaxGranularityBits) {
    return absl::InvalidArgumentError(absl::StrCat("granularity_bits must be in [0, ",
                                                   internal::kMaxGranularityBits, "], got ",
                                                   options.granularity_bits));
  }
  DPKIT_ASSIGN_OR_RETURN(
      double sigma, ContinuousSigma(target, options.epsilon, options.delta, options.rho,
                                    options.sigma, options.l2_sensitivity, options.calibration));
  if (!(sigma >= internal::kMinScale && sigma <= internal::kMaxScale)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Gaussian sigma = ", FormatDouble(sigma),
                     " is outside the supported range [2^-900, 2^900]; rescale the data"));
  }
  const int e = internal::GridExponent(options.l2_sensitivity, sigma, options.granularity_bits,
                                       internal::kMaxGaussianSigmaSteps);
  DPKIT_ASSIGN_OR_RETURN(int64_t d_g,
                         internal::CeilToGrid(options.l2_sensitivity, e, "l2_sensitivity"));
  // sigma_g / D_g = sigma / Delta (rounded up).
  const double sigma_g = internal::RatioUp(static_cast<long double>(std::ldexp(sigma, -e)) * d_g,
                                           std::ldexp(options.l2_sensitivity, -e));
  DPKIT_ASSIGN_OR_RETURN(auto core, MakeCore(target, sigma_g, d_g, options.epsilon, options.delta));
  // Grid effects: the sensitivity rounded up to whole steps (the exact-delta recalibration of
  // the discrete Gaussian is a property of the target, not waste).
  const double rounding = std::ldexp(static_cast<double>(d_g), e) / options.l2_sensitivity;
  DPKIT_RETURN_IF_ERROR(
      internal::CheckNoiseScale(sigma * rounding, sigma, "Gaussian noise of sigma"));
  return GaussianMechanism(options, e, d_g, core.sampler());
}

absl::StatusOr<double> GaussianMechanism::AddNoise(double value, random::BitGenerator& gen) const {
  DPKIT_RETURN_IF_ERROR(ValidateFinite("value", value));
  return internal::ReleaseOnGrid(value, exponent_, sampler_.Sample(gen));
}

absl::StatusOr<Interval> GaussianMechanism::ConfidenceInterval(double noisy_value,
                                                               double level) const {
  DPKIT_RETURN_IF_ERROR(ValidateFinite("noisy value", noisy_value));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("confidence level", level));
  internal::DiscreteGaussianCore core(sampler_, grid_sensitivity_);
  return internal::GridInterval(noisy_value, core.TailQuantile(level), exponent_, level);
}

PrivacyMap GaussianMechanism::privacy_map() const {
  internal::DiscreteGaussianCore core(sampler_, grid_sensitivity_);
  PrivacyMap map = PrivacyMap::Gaussian(core.noise_multiplier(), "gaussian");
  map.kind = PrivacyMapKind::kDiscreteGaussian;
  return map;
}

double GaussianMechanism::rho() const {
  return internal::DiscreteGaussianCore(sampler_, grid_sensitivity_).rho();
}

double GaussianMechanism::DeltaForEpsilon(double epsilon) const {
  return DiscreteGaussianDelta(epsilon, sampler_.sigma(), grid_sensitivity_);
}

double GaussianMechanism::noise_scale() const { return std::ldexp(sampler_.sigma(), exponent_); }

double GaussianMechanism::noise_stddev() const {
  return std::ldexp(internal::DiscreteGaussianCore(sampler_, grid_sensitivity_).stddev(),
                    exponent_);
}

double GaussianMechanism::granularity() const { return std::ldexp(1.0, exponent_); }

// ---------------------------------------------------------------------------------------------

absl::StatusOr<DiscreteGaussianMechanism> DiscreteGaussianMechanism::Create(
    const DiscreteGaussianOptions& options) {
  DPKIT_ASSIGN_OR_RETURN(Target target, ValidateTarget(options.epsilon, options.delta, options.rho,
                                                       options.sigma, options.calibration));
  if (options.l2_sensitivity < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("l2_sensitivity must be an integer >= 1, got ", options.l2_sensitivity));
  }
  const double d = static_cast<double>(options.l2_sensitivity);
  DPKIT_ASSIGN_OR_RETURN(double sigma,
                         ContinuousSigma(target, options.epsilon, options.delta, options.rho,
                                         options.sigma, d, options.calibration));
  DPKIT_ASSIGN_OR_RETURN(
      auto core, MakeCore(target, sigma, options.l2_sensitivity, options.epsilon, options.delta));
  return DiscreteGaussianMechanism(options, core.sampler());
}

int64_t DiscreteGaussianMechanism::AddNoise(int64_t value, random::BitGenerator& gen) const {
  return internal::AddSaturating(value, sampler_.Sample(gen));
}

absl::StatusOr<Interval> DiscreteGaussianMechanism::ConfidenceInterval(int64_t noisy_value,
                                                                       double level) const {
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("confidence level", level));
  const int64_t m =
      internal::DiscreteGaussianCore(sampler_, options_.l2_sensitivity).TailQuantile(level);
  return internal::IntegerInterval(noisy_value, m, level);
}

PrivacyMap DiscreteGaussianMechanism::privacy_map() const {
  internal::DiscreteGaussianCore core(sampler_, options_.l2_sensitivity);
  PrivacyMap map = PrivacyMap::Gaussian(core.noise_multiplier(), "discrete_gaussian");
  map.kind = PrivacyMapKind::kDiscreteGaussian;
  return map;
}

double DiscreteGaussianMechanism::rho() const {
  return internal::DiscreteGaussianCore(sampler_, options_.l2_sensitivity).rho();
}

double DiscreteGaussianMechanism::DeltaForEpsilon(double epsilon) const {
  return DiscreteGaussianDelta(epsilon, sampler_.sigma(), options_.l2_sensitivity);
}

double DiscreteGaussianMechanism::noise_scale() const { return sampler_.sigma(); }

double DiscreteGaussianMechanism::noise_stddev() const {
  return internal::DiscreteGaussianCore(sampler_, options_.l2_sensitivity).stddev();
}

}  // namespace dpkit::mechanisms
