#include "dpkit/mechanisms/laplace.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/mechanisms/calibration.h"
#include "mechanisms/grid.h"
#include "mechanisms/noise_core.h"

namespace dpkit::mechanisms {
namespace {

absl::Status ValidateLevel(double level) {
  return ValidateOpenUnitInterval("confidence level", level);
}

}  // namespace

absl::StatusOr<LaplaceMechanism> LaplaceMechanism::Create(const LaplaceOptions& options) {
  DPKIT_ASSIGN_OR_RETURN(double b, LaplaceScale(options.epsilon, options.l1_sensitivity));
  if (options.granularity_bits < 0 || options.granularity_bits > internal::kMaxGranularityBits) {
    return absl::InvalidArgumentError(absl::StrCat("granularity_bits must be in [0, ",
                                                   internal::kMaxGranularityBits, "], got ",
                                                   options.granularity_bits));
  }
  if (b < internal::kMinScale || b > internal::kMaxScale) {
    return absl::InvalidArgumentError(
        absl::StrCat("noise scale l1_sensitivity/epsilon = ", FormatDouble(b),
                     " is outside the supported range [2^-900, 2^900]; rescale the data"));
  }
  const int e = internal::GridExponent(options.l1_sensitivity, b, options.granularity_bits,
                                       internal::kMaxLaplaceScaleSteps);
  DPKIT_ASSIGN_OR_RETURN(int64_t d_g,
                         internal::CeilToGrid(options.l1_sensitivity, e, "l1_sensitivity"));
  DPKIT_ASSIGN_OR_RETURN(auto core, internal::DiscreteLaplaceCore::Create(options.epsilon, d_g));
  LaplaceMechanism m(options, e, d_g, core.sampler(), core.epsilon());
  DPKIT_RETURN_IF_ERROR(internal::CheckNoiseScale(
      m.noise_scale(), b, "Laplace noise of scale l1_sensitivity/epsilon"));
  return m;
}

absl::StatusOr<double> LaplaceMechanism::AddNoise(double value, random::BitGenerator& gen) const {
  DPKIT_RETURN_IF_ERROR(ValidateFinite("value", value));
  return internal::ReleaseOnGrid(value, exponent_, sampler_.Sample(gen));
}

absl::StatusOr<Interval> LaplaceMechanism::ConfidenceInterval(double noisy_value,
                                                              double level) const {
  DPKIT_RETURN_IF_ERROR(ValidateFinite("noisy value", noisy_value));
  DPKIT_RETURN_IF_ERROR(ValidateLevel(level));
  internal::DiscreteLaplaceCore core(sampler_, grid_sensitivity_);
  return internal::GridInterval(noisy_value, core.TailQuantile(level), exponent_, level);
}

PrivacyMap LaplaceMechanism::privacy_map() const {
  internal::DiscreteLaplaceCore core(sampler_, grid_sensitivity_);
  PrivacyMap map = PrivacyMap::Laplace(core.noise_multiplier(), "laplace");
  map.kind = PrivacyMapKind::kDiscreteLaplace;
  return map;
}

double LaplaceMechanism::noise_scale() const { return std::ldexp(sampler_.scale(), exponent_); }

double LaplaceMechanism::noise_stddev() const {
  internal::DiscreteLaplaceCore core(sampler_, grid_sensitivity_);
  return std::ldexp(core.stddev(), exponent_);
}

double LaplaceMechanism::granularity() const { return std::ldexp(1.0, exponent_); }

// ---------------------------------------------------------------------------------------------

absl::StatusOr<DiscreteLaplaceMechanism> DiscreteLaplaceMechanism::Create(
    const DiscreteLaplaceOptions& options) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", options.epsilon));
  if (options.l1_sensitivity < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("l1_sensitivity must be an integer >= 1, got ", options.l1_sensitivity));
  }
  DPKIT_ASSIGN_OR_RETURN(
      auto core, internal::DiscreteLaplaceCore::Create(options.epsilon, options.l1_sensitivity));
  return DiscreteLaplaceMechanism(options, core.sampler());
}

int64_t DiscreteLaplaceMechanism::AddNoise(int64_t value, random::BitGenerator& gen) const {
  return internal::AddSaturating(value, sampler_.Sample(gen));
}

absl::StatusOr<Interval> DiscreteLaplaceMechanism::ConfidenceInterval(int64_t noisy_value,
                                                                      double level) const {
  DPKIT_RETURN_IF_ERROR(ValidateLevel(level));
  internal::DiscreteLaplaceCore core(sampler_, options_.l1_sensitivity);
  return internal::IntegerInterval(noisy_value, core.TailQuantile(level), level);
}

PrivacyMap DiscreteLaplaceMechanism::privacy_map() const {
  internal::DiscreteLaplaceCore core(sampler_, options_.l1_sensitivity);
  PrivacyMap map = PrivacyMap::Laplace(core.noise_multiplier(), "discrete_laplace");
  map.kind = PrivacyMapKind::kDiscreteLaplace;
  return map;
}

double DiscreteLaplaceMechanism::epsilon() const {
  return internal::DiscreteLaplaceCore(sampler_, options_.l1_sensitivity).epsilon();
}

double DiscreteLaplaceMechanism::noise_scale() const { return sampler_.scale(); }

double DiscreteLaplaceMechanism::noise_stddev() const {
  return internal::DiscreteLaplaceCore(sampler_, options_.l1_sensitivity).stddev();
}

}  // namespace dpkit::mechanisms
