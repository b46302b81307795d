#include "analytics/engine/noise.h"

#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "dpkit/base/math.h"
#include "dpkit/base/validation.h"

namespace dpkit::analytics::engine {

double RhoForEpsilonDelta(double epsilon, double delta) {
  double l = std::log(1 / delta);
  double s = -std::sqrt(l) + std::sqrt(l + epsilon);
  return s * s;
}

absl::StatusOr<IntegerNoise> IntegerNoise::Create(NoiseKind kind, double epsilon, double delta,
                                                  int64_t sensitivity, int64_t l0,
                                                  bool testing_zero_noise) {
  if (!(epsilon > 0) || !std::isfinite(epsilon)) {
    return absl::InvalidArgumentError(
        absl::StrCat("epsilon share must be finite and > 0, got ", FormatDouble(epsilon)));
  }
  if (sensitivity < 1 || l0 < 1) return absl::InternalError("sensitivity and l0 must be >= 1");
  IntegerNoise n;
  n.kind_ = kind;
  n.zero_ = testing_zero_noise;
  if (kind == NoiseKind::kLaplace) {
    n.sensitivity_l1_or_l2_ = static_cast<double>(l0) * static_cast<double>(sensitivity);
    n.scale_ = n.sensitivity_l1_or_l2_ / epsilon;
    auto s = random::DiscreteLaplaceSampler::Create(n.scale_);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("noise scale out of range (", s.status().message(), ")"));
    }
    n.scale_ = s->scale();  // the scale actually used (rounded up)
    n.laplace_ = std::make_shared<random::DiscreteLaplaceSampler>(*s);
  } else {
    if (!(delta > 0 && delta < 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Gaussian noise needs a delta share in (0, 1), got ", FormatDouble(delta)));
    }
    n.sensitivity_l1_or_l2_ = std::sqrt(static_cast<double>(l0)) * static_cast<double>(sensitivity);
    double rho = RhoForEpsilonDelta(epsilon, delta);
    n.scale_ = n.sensitivity_l1_or_l2_ / std::sqrt(2 * rho);
    auto s = random::DiscreteGaussianSampler::Create(n.scale_);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("noise scale out of range (", s.status().message(), ")"));
    }
    n.scale_ = s->sigma();
    n.gaussian_ = std::make_shared<random::DiscreteGaussianSampler>(*s);
  }
  return n;
}

int64_t IntegerNoise::Add(int64_t value, random::BitGenerator& gen) const {
  if (zero_) return value;
  return value + (laplace_ ? laplace_->Sample(gen) : gaussian_->Sample(gen));
}

double IntegerNoise::stddev() const {
  if (kind_ == NoiseKind::kGaussian) return scale_;
  // Discrete Laplace variance: 2 r / (1 - r)^2, r = exp(-1/b).
  double r = std::exp(-1 / scale_);
  return std::sqrt(2 * r) / (1 - r);
}

double IntegerNoise::HalfWidth(double alpha) const {
  if (kind_ == NoiseKind::kLaplace) {
    // P(|Z| >= k) = 2 r^k / (1 + r) for integer k >= 1, r = e^{-1/b}: smallest integer h with
    // P(|Z| > h) = 2 r^{h+1} / (1 + r) <= alpha.
    double b = scale_, r = std::exp(-1 / b);
    double h = std::ceil(b * std::log(2 / (alpha * (1 + r)))) - 1;
    return std::max(0.0, h);
  }
  // Discrete Gaussian: P(|Z| > h) = 2 P(Z >= h + 1) <= 2 P(N >= h) (see partition_selection.cc).
  return std::ceil(scale_ * NormalQuantile(1 - alpha / 2));
}

double IntegerNoise::SumHalfWidth(int k, double alpha) const {
  if (k <= 1) return HalfWidth(alpha);
  // The Laplace bound below needs a numerical optimisation; results are cached process-wide
  // (they depend only on the scale, k and alpha).
  static std::mutex mu;
  static auto* cache = new std::map<std::tuple<int, double, int, double>, double>();
  const auto key = std::make_tuple(static_cast<int>(kind_), scale_, k, alpha);
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

double IntegerNoise::ComputeSumHalfWidth(int k, double alpha) const {
  if (kind_ == NoiseKind::kGaussian) {
    // A sum of k independent discrete Gaussians: each is sub-Gaussian with variance proxy
    // sigma^2 (CKS20, Cor. 22), so the sum is sub-Gaussian with k sigma^2.
    return scale_ * std::sqrt(2 * k * std::log(2 / alpha));
  }
  // Sum S of k i.i.d. discrete Laplace variables: Chernoff bound with the exact moment
  // generating function M(t) = (1-r)^2 / ((1 - r e^t)(1 - r e^-t)), 0 < t < ln(1/r):
  // P(S >= x) <= min_t exp(-t x + k ln M(t)); two-sided by symmetry. Smallest integer h with
  // P(|S| > h) = P(|S| >= h + 1) <= alpha.
  const double r = std::exp(-1 / scale_);
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

PrivacyMap IntegerNoise::privacy_map() const {
  PrivacyMap m;
  m.kind = kind_ == NoiseKind::kLaplace ? PrivacyMapKind::kDiscreteLaplace
                                        : PrivacyMapKind::kDiscreteGaussian;
  m.noise_multiplier = scale_ / sensitivity_l1_or_l2_;
  m.mechanism = mechanism();
  return m;
}

const char* IntegerNoise::mechanism() const {
  return kind_ == NoiseKind::kLaplace ? "discrete_laplace" : "discrete_gaussian";
}

}  // namespace dpkit::analytics::engine
