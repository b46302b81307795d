#include "mechanisms/noise_core.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/math.h"
#include "dpkit/base/validation.h"
#include "dpkit/mechanisms/calibration.h"

namespace dpkit::mechanisms::internal {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Smallest m >= 0 with !too_small(m), where too_small(m) <=> P(|N| > m) > 1 - level is
// monotone (true up to some point, false after), starting from a guess.
template <typename TooSmall>
int64_t SmallestQuantile(TooSmall too_small, int64_t guess) {
  int64_t m = guess < 0 ? 0 : guess;
  // Gallop up to a value that is large enough.
  for (int64_t step = 1; too_small(m); step *= 2) m += step;
  // Gallop down to a value that is too small (or 0), then bisect.
  int64_t hi = m, lo = m;
  for (int64_t step = 1;; step *= 2) {
    lo = hi - step;
    if (lo < 0) {
      lo = 0;
      break;
    }
    if (too_small(lo)) break;
    hi = lo;
  }
  if (!too_small(lo)) return lo;  // lo == 0 and large enough
  while (hi - lo > 1) {           // invariant: too_small(lo), !too_small(hi)
    int64_t mid = lo + (hi - lo) / 2;
    if (too_small(mid)) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

}  // namespace

double RatioUp(long double a, long double b) {
  return std::nextafter(static_cast<double>(a / b), kInf);
}
double RatioDown(long double a, long double b) {
  return std::nextafter(static_cast<double>(a / b), 0.0);
}

double DivUp(double a, double b) {
  double q = a / b;
  // q * b - a computed exactly rounded: its sign is the sign of the exact residual.
  if (std::fma(q, b, -a) < 0) q = std::nextafter(q, kInf);
  return q;
}

double DivDown(double a, double b) {
  double q = a / b;
  if (std::fma(q, b, -a) > 0) q = std::nextafter(q, 0.0);
  return q;
}

double ToDoubleUp(long double x) {
  double d = static_cast<double>(x);
  if (static_cast<long double>(d) < x) d = std::nextafter(d, kInf);
  return d;
}

// ---------------------------------------------------------------------------------------------

absl::StatusOr<DiscreteLaplaceCore> DiscreteLaplaceCore::Create(double epsilon,
                                                                int64_t sensitivity) {
  // t >= D / epsilon exactly: the quotient is rounded up by one ulp, and the sampler rounds
  // its scale up to a rational.
  double t = DivUp(static_cast<double>(sensitivity), epsilon);
  auto sampler = random::DiscreteLaplaceSampler::Create(t);
  if (!sampler.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the noise scale sensitivity/epsilon = ", FormatDouble(t),
        " (in units of the output lattice) is outside the supported range [2^-23, 2^50]: ",
        sampler.status().message()));
  }
  return DiscreteLaplaceCore(*sampler, sensitivity);
}

// t = num / den with den a power of two and num < 2^53: D den and num are exact doubles.
double DiscreteLaplaceCore::epsilon() const {
  auto r = scale_rational();
  return DivUp(std::ldexp(static_cast<double>(sensitivity_), 63 - __builtin_clzll(r.den)),
               static_cast<double>(r.num));
}

double DiscreteLaplaceCore::noise_multiplier() const {
  auto r = scale_rational();
  return DivDown(static_cast<double>(r.num),
                 std::ldexp(static_cast<double>(sensitivity_), 63 - __builtin_clzll(r.den)));
}

double DiscreteLaplaceCore::stddev() const {
  const double t = scale();
  const double p = std::exp(-1 / t);
  return std::sqrt(2 * p) / -std::expm1(-1 / t);
}

double DiscreteLaplaceCore::Pmf(int64_t k) const {
  const double t = scale();
  const double p = std::exp(-1 / t);
  // (1 - p) / (1 + p) * p^|k|
  return -std::expm1(-1 / t) / (1 + p) * std::exp(-std::fabs(static_cast<double>(k)) / t);
}

int64_t DiscreteLaplaceCore::TailQuantile(double level) const {
  const double t = scale();
  const double log1p_p = std::log1p(std::exp(-1 / t));
  // log P(|N| > m) = log 2 - (m + 1) / t - log(1 + p)
  auto log_tail = [&](int64_t m) {
    return std::log(2.0) - static_cast<double>(m + 1) / t - log1p_p;
  };
  const double log_alpha = std::log1p(-level);
  double guess = (std::log(2.0) - log1p_p - log_alpha) * t - 1;
  if (!(guess < 0x1.0p62)) guess = 0x1.0p62;
  return SmallestQuantile([&](int64_t m) { return log_tail(m) > log_alpha; },
                          guess > 0 ? static_cast<int64_t>(guess) : 0);
}

// ---------------------------------------------------------------------------------------------

absl::StatusOr<DiscreteGaussianCore> DiscreteGaussianCore::CreateForSigma(double sigma,
                                                                          int64_t sensitivity) {
  auto sampler = random::DiscreteGaussianSampler::Create(sigma);
  if (!sampler.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sigma (in units of the output lattice) = ", FormatDouble(sigma),
        " is outside the supported range [2^-10, 2^24]: ", sampler.status().message()));
  }
  return DiscreteGaussianCore(*sampler, sensitivity);
}

absl::StatusOr<DiscreteGaussianCore> DiscreteGaussianCore::CreateForEpsilonDelta(
    double sigma_start, int64_t sensitivity, double epsilon, double delta) {
  auto ok_at = [&](double sigma) -> absl::StatusOr<bool> {
    auto core = CreateForSigma(sigma, sensitivity);
    if (!core.ok()) return core.status();
    // Aim 1e-9 (relative) below the target: the formula's evaluation error is ~1e-13.
    return DiscreteGaussianDelta(epsilon, core->sigma(), sensitivity) <= delta * (1 - 1e-9);
  };
  auto first = ok_at(sigma_start);
  if (!first.ok()) return first.status();
  if (*first) return CreateForSigma(sigma_start, sensitivity);
  // The discrete Gaussian's exact delta can exceed the continuous one at the same sigma: add
  // noise. Gallop up by factors 1 + 2^-30, 1 + 2^-29, ... then bisect.
  double bad = sigma_start, good = sigma_start;
  for (int j = -30;; ++j) {
    if (j > 8) {
      return absl::InternalError("discrete Gaussian calibration did not converge");
    }
    double candidate = sigma_start * (1 + std::ldexp(1.0, j));
    auto ok = ok_at(candidate);
    if (!ok.ok()) return ok.status();
    if (*ok) {
      good = candidate;
      break;
    }
    bad = candidate;
  }
  for (int i = 0; i < 40 && good / bad > 1 + 1e-12; ++i) {
    double mid = bad + (good - bad) / 2;
    auto ok = ok_at(mid);
    if (!ok.ok()) return ok.status();
    if (*ok) {
      good = mid;
    } else {
      bad = mid;
    }
  }
  return CreateForSigma(good, sensitivity);
}

double DiscreteGaussianCore::noise_multiplier() const { return RatioDown(sigma(), sensitivity_); }

double DiscreteGaussianCore::rho() const {
  const long double d = sensitivity_;
  const long double s = sigma();
  return RatioUp(d * d, 2 * s * s);
}

double DiscreteGaussianCore::stddev() const {
  const double s = sigma();
  // Var[N_Z(0, s^2)] = s^2 (1 - O(s^2 exp(-2 pi^2 s^2))): equal to s^2 in double for s >= 4.
  if (s >= 4) return s;
  double num = 0, z = 1;
  for (int64_t k = 1; k < 200; ++k) {
    double f = std::exp(-static_cast<double>(k * k) / (2 * s * s));
    num += 2 * static_cast<double>(k * k) * f;
    z += 2 * f;
  }
  return std::sqrt(num / z);
}

double DiscreteGaussianCore::Pmf(int64_t k) const {
  const double s = sigma();
  const double x = static_cast<double>(k);
  return DiscreteGaussianTail(s, x - 1) - DiscreteGaussianTail(s, x);
}

int64_t DiscreteGaussianCore::TailQuantile(double level) const {
  const double s = sigma();
  const double alpha = 1 - level;
  double z = NormalQuantile(1 - alpha / 2);
  double guess = std::floor(s * z);
  if (!(guess < 0x1.0p62)) guess = 0x1.0p62;
  return SmallestQuantile(
      [&](int64_t m) { return 2 * DiscreteGaussianTail(s, static_cast<double>(m)) > alpha; },
      static_cast<int64_t>(guess));
}

}  // namespace dpkit::mechanisms::internal
