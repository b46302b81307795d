#include "analytics/engine/noise.h"

#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dpkit/accounting/zcdp.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::analytics::engine {

absl::StatusOr<double> NoisePerSensitivity(NoiseKind kind, double epsilon, double delta,
                                           int64_t blocks) {
  const double b = static_cast<double>(blocks);
  if (kind == NoiseKind::kLaplace) return b / epsilon;
  DPKIT_ASSIGN_OR_RETURN(double rho, accounting::ZcdpRhoForEpsilon(epsilon, delta));
  return std::sqrt(b / (2 * rho));
}

absl::StatusOr<StatisticNoise> StatisticNoise::Create(const mechanisms::NoiseFactory& factory,
                                                      const NoiseSpec& spec) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon share", spec.epsilon));
  if (spec.sensitivity < 1 || spec.blocks < 1) {
    return absl::InternalError("noise sensitivity and blocks must be >= 1");
  }
  absl::StatusOr<std::unique_ptr<mechanisms::IntegerNoise>> noise;
  int64_t repetitions = 1;
  if (spec.kind == NoiseKind::kLaplace) {
    if (spec.blocks > std::numeric_limits<int64_t>::max() / spec.sensitivity) {
      return absl::InvalidArgumentError("MAX_GROUPS is too large for this sensitivity");
    }
    noise = factory.DiscreteLaplace(
        {.epsilon = spec.epsilon, .l1_sensitivity = spec.blocks * spec.sensitivity});
  } else {
    if (!(spec.delta > 0 && spec.delta < 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Gaussian noise needs a delta share in (0, 1), got ", FormatDouble(spec.delta)));
    }
    DPKIT_ASSIGN_OR_RETURN(double rho, accounting::ZcdpRhoForEpsilon(spec.epsilon, spec.delta));
    mechanisms::DiscreteGaussianOptions o;
    o.rho = rho / static_cast<double>(spec.blocks);
    o.l2_sensitivity = spec.sensitivity;
    noise = factory.DiscreteGaussian(o);
    repetitions = spec.blocks;
  }
  if (!noise.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("noise scale out of range (", noise.status().message(), ")"));
  }
  return StatisticNoise(spec.kind, repetitions, std::move(*noise));
}

double StatisticNoise::HalfWidth(double alpha) const {
  std::lock_guard<std::mutex> lock(half_widths_->mu);
  auto [it, inserted] = half_widths_->by_alpha.try_emplace(alpha, 0.0);
  if (inserted) {
    // The interval around 0 of level 1 - alpha is [-m, m]; alpha is always in (0, 1) here.
    it->second = noise_->ConfidenceInterval(0, 1 - alpha).value().upper;
  }
  return it->second;
}

double StatisticNoise::SumHalfWidth(int k, double alpha) const {
  if (k <= 1) return HalfWidth(alpha);
  // The Laplace bound below needs a numerical optimisation; results are cached process-wide
  // (they depend only on the kind, the scale, k and alpha).
  static std::mutex mu;
  static auto* cache = new std::map<std::tuple<int, double, int, double>, double>();
  const auto key = std::make_tuple(static_cast<int>(kind_), scale(), k, alpha);
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache->find(key);
    if (it != cache->end()) return it->second;
  }
  double h = ComputeSumHalfWidth(k, alpha);
  std::lock_guard<std::mutex> lock(mu);
  if (cache->size() > 100000) cache->clear();
  (*cache)[key] = h;
  return h;
}

double StatisticNoise::ComputeSumHalfWidth(int k, double alpha) const {
  const double scale = this->scale();
  if (kind_ == NoiseKind::kGaussian) {
    // A sum of k independent discrete Gaussians: each is sub-Gaussian with variance proxy
    // sigma^2 (CKS20, Cor. 22), so the sum is sub-Gaussian with k sigma^2.
    return scale * std::sqrt(2 * k * std::log(2 / alpha));
  }
  // Sum S of k i.i.d. discrete Laplace variables: Chernoff bound with the exact moment
  // generating function M(t) = (1-r)^2 / ((1 - r e^t)(1 - r e^-t)), 0 < t < ln(1/r):
  // P(S >= x) <= min_t exp(-t x + k ln M(t)); two-sided by symmetry. Smallest integer h with
  // P(|S| > h) = P(|S| >= h + 1) <= alpha.
  const double r = std::exp(-1 / scale);
  const double tmax = -std::log(r);
  auto log_tail = [&](double x) {
    // Golden-section search of the convex exponent over t in (0, tmax).
    double a = 0, b = tmax * (1 - 1e-12);
    auto f = [&](double t) {
      double lm = 2 * std::log1p(-r) - std::log1p(-r * std::exp(t)) - std::log1p(-r * std::exp(-t));
      return -t * x + k * lm;
    };
    const double g = 0.5 * (std::sqrt(5.0) - 1);
    double c = b - g * (b - a), d = a + g * (b - a);
    for (int i = 0; i < 80; ++i) {  // interval shrinks by 0.618^80 ~ 2e-17
      if (f(c) < f(d)) b = d; else a = c;
      c = b - g * (b - a);
      d = a + g * (b - a);
    }
    return std::min(0.0, f(0.5 * (a + b)));
  };
  const double target = std::log(alpha / 2);
  // Integer binary search; invariant: the bound holds at hi and fails at lo.
  double lo = -1, hi = std::max(1.0, k * HalfWidth(alpha / k));
  while (log_tail(hi + 1) > target) hi *= 2;
  while (hi - lo > 1) {
    double mid = std::floor(0.5 * (lo + hi));
    if (log_tail(mid + 1) <= target) hi = mid; else lo = mid;
  }
  return hi;
}

PrivacyMap StatisticNoise::privacy_map() const {
  PrivacyMap m = noise_->privacy_map();
  m.repetitions = repetitions_;
  return m;
}

const char* StatisticNoise::mechanism() const {
  return kind_ == NoiseKind::kLaplace ? "discrete_laplace" : "discrete_gaussian";
}

}  // namespace dpkit::analytics::engine
