#include "dpkit/train/noise.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::train {
namespace {
// Largest grid sigma we ask of the sampler (its limit is 2^24).
constexpr double kMaxGridSigma = 8388608.0;  // 2^23
}  // namespace

absl::StatusOr<GridGaussianNoise> GridGaussianNoise::Create(const GridGaussianNoiseOptions& o) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("noise_multiplier", o.noise_multiplier));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("sensitivity", o.sensitivity));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("dimension", o.dimension, 1));
  DPKIT_RETURN_IF_ERROR(
      ValidateInOpenRange("max_sensitivity_inflation", o.max_sensitivity_inflation, 0, 0.5));
  const double nm = o.noise_multiplier;
  const double C = o.sensitivity;
  const double sqrt_d = std::sqrt(static_cast<double>(o.dimension));
  // x = gamma sqrt(d) / C. Grid sigma = nm (1 + x) sqrt(d) / x.
  double x = o.max_sensitivity_inflation;
  if (nm * (1 + x) * sqrt_d / x > kMaxGridSigma) {
    const double a = nm * sqrt_d / kMaxGridSigma;
    if (a >= 1.0 / 3.0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "noise_multiplier ", FormatDouble(nm), " with ", o.dimension,
          " parameters needs a grid too coarse for exact sampling (sensitivity inflation > 50%); "
          "use a smaller model or a smaller noise multiplier"));
    }
    x = a / (1 - a);
  }
  const double gamma = x * C / sqrt_d;
  const double target_sigma = nm * C * (1 + x);
  DPKIT_ASSIGN_OR_RETURN(auto sampler, random::DiscreteGaussianSampler::Create(target_sigma / gamma));
  GridGaussianNoise n(sampler);
  n.gamma_ = gamma;
  n.sigma_ = sampler.sigma() * gamma;
  n.effective_sensitivity_ = C + gamma * sqrt_d;
  n.inflation_ = x;
  n.dimension_ = o.dimension;
  return n;
}

void GridGaussianNoise::Sample(random::BitGenerator& gen, int64_t* out, int64_t n) const {
  for (int64_t i = 0; i < n; ++i) out[i] = sampler_.Sample(gen);
}

absl::Status GridGaussianNoise::Apply(const std::vector<torch::Tensor>& sums,
                                      const int64_t* z) const {
  int64_t total = 0;
  for (const auto& s : sums) total += s.numel();
  if (total != dimension_) {
    return absl::InvalidArgumentError(absl::StrCat("noise dimension is ", dimension_,
                                                   " but the gradient has ", total, " values"));
  }
  const double inv = 1.0 / gamma_;
  int64_t k = 0;
  for (const auto& s : sums) {
    if (!s.is_contiguous() || s.device().type() != torch::kCPU) {
      return absl::InvalidArgumentError("noise: gradient sums must be contiguous CPU tensors");
    }
    const int64_t n = s.numel();
    auto apply = [&](auto* p) {
      for (int64_t i = 0; i < n; ++i, ++k) {
        double v = static_cast<double>(p[i]);
        double r = std::isfinite(v) ? std::nearbyint(v * inv) : 0.0;
        p[i] = static_cast<std::remove_reference_t<decltype(*p)>>(
            gamma_ * (r + static_cast<double>(z[k])));
      }
    };
    if (s.scalar_type() == torch::kFloat) {
      apply(s.data_ptr<float>());
    } else if (s.scalar_type() == torch::kDouble) {
      apply(s.data_ptr<double>());
    } else {
      return absl::InvalidArgumentError("noise: gradient sums must be float32 or float64");
    }
  }
  return absl::OkStatus();
}

}  // namespace dpkit::train
