#include "dpkit/mechanisms/vector_gaussian.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "mechanisms/noise_core.h"

namespace dpkit::mechanisms {
namespace {

// Largest grid sigma we ask of the sampler (its limit is 2^24).
constexpr double kMaxGridSigma = 8388608.0;  // 2^23

// The exponent of the largest power of two <= x (x finite, > 0).
int FloorLog2(double x) {
  int e = 0;
  std::frexp(x, &e);  // x = m 2^e, m in [0.5, 1)
  return e - 1;
}

// Grid exponent for the requested inflation, coarsened when sigma_g would leave the sampler's
// range; InvalidArgument when that needs an inflation >= 50%.
absl::StatusOr<int> GridExponent(const VectorGaussianOptions& o, double sqrt_d) {
  int e = FloorLog2(o.max_sensitivity_inflation * o.l2_sensitivity / sqrt_d);
  if (o.noise_multiplier * (std::ldexp(o.l2_sensitivity, -e) + sqrt_d) <= kMaxGridSigma) return e;
  // sigma_g = nm (C / gamma + sqrt(d)) <= 2^23  <=>  gamma >= C / (2^23 / nm - sqrt(d)).
  const double room = kMaxGridSigma / o.noise_multiplier - sqrt_d;
  if (room > 0) {
    e = FloorLog2(o.l2_sensitivity / room) + 1;
    if (std::ldexp(sqrt_d, e) / o.l2_sensitivity < 0.5) return e;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "noise_multiplier ", FormatDouble(o.noise_multiplier), " with dimension ", o.dimension,
      " needs a grid too coarse for exact sampling (sensitivity inflation >= 50%); use a "
      "smaller model or a smaller noise multiplier"));
}

}  // namespace

absl::StatusOr<VectorGaussianMechanism> VectorGaussian(const NoiseFactory& factory,
                                                       const VectorGaussianOptions& o) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("noise_multiplier", o.noise_multiplier));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("l2_sensitivity", o.l2_sensitivity));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("dimension", o.dimension, 1));
  DPKIT_RETURN_IF_ERROR(
      ValidateInOpenRange("max_sensitivity_inflation", o.max_sensitivity_inflation, 0, 0.5));
  const double sqrt_d = std::sqrt(static_cast<double>(o.dimension));
  DPKIT_ASSIGN_OR_RETURN(const int e, GridExponent(o, sqrt_d));
  // Delta_g = C / gamma + sqrt(d), rounded up (C / gamma is exact: gamma is a power of two).
  const double delta_g = std::nextafter(std::ldexp(o.l2_sensitivity, -e) + sqrt_d,
                                        std::numeric_limits<double>::infinity());
  DPKIT_ASSIGN_OR_RETURN(auto sampler,
                         random::DiscreteGaussianSampler::Create(o.noise_multiplier * delta_g));
  VectorGaussianMechanism m(sampler);
  m.adds_noise_ = factory.adds_noise();
  m.exponent_ = e;
  m.gamma_ = std::ldexp(1.0, e);
  m.sigma_g_ = sampler.sigma();
  // sigma() is sqrt of the sampler's exact rational: step one ulp down before dividing down.
  m.effective_noise_multiplier_ = internal::DivDown(std::nextafter(m.sigma_g_, 0.0), delta_g);
  m.inflation_ = std::ldexp(sqrt_d, e) / o.l2_sensitivity;
  m.l2_sensitivity_ = o.l2_sensitivity;
  m.dimension_ = o.dimension;
  return m;
}

void VectorGaussianMechanism::SampleNoise(random::BitGenerator& gen, absl::Span<int64_t> z) const {
  if (!adds_noise_) {
    std::fill(z.begin(), z.end(), 0);
    return;
  }
  sampler_.Sample(gen, z.data(), z.size());  // the batch path: random words fetched in bulk
}

template <typename T>
absl::Status VectorGaussianMechanism::Apply(absl::Span<T> values,
                                            absl::Span<const int64_t> z) const {
  if (values.size() != z.size()) {
    return absl::InvalidArgumentError(absl::StrCat("noise: ", values.size(), " values but ",
                                                   z.size(), " noise draws"));
  }
  if (!adds_noise_) return absl::OkStatus();
  // Scaling by 2^-e and 2^e: ldexp and a product with the power of two both give the exact
  // result rounded once (IEEE), so when 2^e and 2^-e are normal doubles the product, ~10x
  // cheaper than the libm calls, gives the same values; rint rounds like nearbyint (current
  // mode) without saving the floating-point environment.
  const bool by_product = exponent_ >= -1022 && exponent_ <= 1022;
  const double to_grid = by_product ? std::ldexp(1.0, -exponent_) : 0.0;
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = static_cast<double>(values[i]);
    const double scaled = by_product ? v * to_grid : std::ldexp(v, -exponent_);
    // v * 2^-e is exact; so is the sum for |index| < 2^53.
    const double index = std::isfinite(v) ? std::rint(scaled) : 0.0;
    const double sum = index + static_cast<double>(z[i]);
    values[i] = static_cast<T>(by_product ? sum * gamma_ : std::ldexp(sum, exponent_));
  }
  return absl::OkStatus();
}

absl::Status VectorGaussianMechanism::AddNoise(absl::Span<float> values,
                                               absl::Span<const int64_t> z) const {
  return Apply(values, z);
}

absl::Status VectorGaussianMechanism::AddNoise(absl::Span<double> values,
                                               absl::Span<const int64_t> z) const {
  return Apply(values, z);
}

PrivacyMap VectorGaussianMechanism::privacy_map() const {
  PrivacyMap map = PrivacyMap::Gaussian(effective_noise_multiplier_, "vector_gaussian");
  map.kind = PrivacyMapKind::kDiscreteGaussian;
  return map;
}

PrivacyMap VectorGaussianMechanism::SubsampledPrivacyMap(double sampling_rate, int64_t releases,
                                                         std::string mechanism) const {
  return PrivacyMap::SubsampledGaussian(effective_noise_multiplier_, sampling_rate, releases,
                                        std::move(mechanism));
}

}  // namespace dpkit::mechanisms
