#include "dpkit/mechanisms/calibration.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::mechanisms {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kSqrt2 = 1.4142135623730950488;
constexpr double kSqrtPiOver2 = 1.2533141373155002512;
constexpr double kSqrt2Pi = 2.5066282746310005024;
constexpr double kPi = 3.1415926535897932385;
// The delta formulas are evaluated with relative error ~1e-13; calibrations aim below the
// target by this relative margin so the exact delta is <= the target.
constexpr double kDeltaMargin = 1 - 1e-9;

double Up(double x) { return std::nextafter(x, kInf); }

// log Phi(-b) = log P[N(0,1) > b], accurate for every finite b.
double LogNormalTail(double b) {
  if (b < 25) return std::log(0.5 * std::erfc(b / kSqrt2));
  // Asymptotic expansion (Abramowitz & Stegun 26.2.12); the next term is < 1e-10 relative
  // for b >= 25.
  double b2 = b * b;
  double series = 1 - 1 / b2 + 3 / (b2 * b2) - 15 / (b2 * b2 * b2) + 105 / (b2 * b2 * b2 * b2);
  return -0.5 * b2 - std::log(b) - 0.5 * std::log(2 * kPi) + std::log(series);
}

absl::Status ValidateEpsDelta(double epsilon, double delta, double sensitivity,
                              const char* sensitivity_name) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("delta", delta));
  return ValidatePositiveFinite(sensitivity_name, sensitivity);
}

// Sum_{k >= m} exp(-k^2 / (2 s^2)) for integer m >= 1.
double UpperSum(double s, double m) {
  const double s2 = s * s;
  if (s < 32) {
    // Direct summation until the terms no longer change the sum (at most ~40 s + 40 terms
    // past the start).
    double sum = 0;
    for (double k = m;; k += 1) {
      double term = std::exp(-k * k / (2 * s2));
      sum += term;
      if (term <= sum * 1e-18 || term == 0) break;
    }
    return sum;
  }
  // Euler-Maclaurin: sum_{k>=m} f(k) = int_m^inf f + f(m)/2 - f'(m)/12 + f'''(m)/720
  //                                    - f^(5)(m)/30240 + R,
  // f(x) = exp(-x^2/(2 s^2)). |R| relative to the sum is < 1e-11 for s >= 32.
  const double x = m;
  const double f = std::exp(-x * x / (2 * s2));
  const double integral = s * kSqrtPiOver2 * std::erfc(x / (s * kSqrt2));
  const double u = x / s2;  // f' = -u f
  const double s4 = s2 * s2, s6 = s4 * s2;
  const double d1 = -u * f;
  const double d3 = (-u * u * u + 3 * x / s4) * f;
  const double d5 = (-u * u * u * u * u + 10 * x * x * x / (s4 * s4) - 15 * x / s6) * f;
  return integral + f / 2 - d1 / 12 + d3 / 720 - d5 / 30240;
}

// Normaliser Z = sum_{k in Z} exp(-k^2 / (2 s^2)).
double Normaliser(double s) {
  if (s < 32) return 1 + 2 * UpperSum(s, 1);
  // Poisson summation: Z = s sqrt(2 pi) (1 + 2 sum_j exp(-2 pi^2 s^2 j^2)); the correction is
  // below exp(-20000) for s >= 32.
  return s * kSqrt2Pi;
}

}  // namespace

const char* GaussianCalibrationName(GaussianCalibration calibration) {
  return calibration == GaussianCalibration::kClassic ? "classic" : "analytic";
}

absl::StatusOr<GaussianCalibration> ParseGaussianCalibration(const std::string& name) {
  if (name == "analytic") return GaussianCalibration::kAnalytic;
  if (name == "classic") return GaussianCalibration::kClassic;
  return absl::InvalidArgumentError(
      absl::StrCat("calibration must be 'analytic' or 'classic', got '", name, "'"));
}

absl::StatusOr<double> LaplaceScale(double epsilon, double l1_sensitivity) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", epsilon));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("l1_sensitivity", l1_sensitivity));
  double b = l1_sensitivity / epsilon;
  if (std::fma(b, epsilon, -l1_sensitivity) < 0) b = Up(b);  // smallest double >= the quotient
  if (!std::isfinite(b)) {
    return absl::InvalidArgumentError(
        absl::StrCat("noise scale l1_sensitivity/epsilon overflows: l1_sensitivity=",
                     FormatDouble(l1_sensitivity), ", epsilon=", FormatDouble(epsilon)));
  }
  return b;
}

absl::StatusOr<double> ClassicGaussianSigma(double epsilon, double delta, double l2_sensitivity) {
  DPKIT_RETURN_IF_ERROR(ValidateEpsDelta(epsilon, delta, l2_sensitivity, "l2_sensitivity"));
  if (!(epsilon < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the classic Gaussian calibration is only valid for epsilon < 1 (Dwork & Roth 2014, "
        "Thm A.1), got epsilon=",
        FormatDouble(epsilon), "; use the analytic calibration"));
  }
  double sigma = Up(Up(l2_sensitivity * Up(std::sqrt(2 * Up(std::log(1.25 / delta))))) / epsilon);
  if (!std::isfinite(sigma)) {
    return absl::InvalidArgumentError("Gaussian sigma overflows; reduce l2_sensitivity");
  }
  return sigma;
}

double GaussianDelta(double epsilon, double sigma, double l2_sensitivity) {
  const double a = epsilon * sigma / l2_sensitivity - l2_sensitivity / (2 * sigma);
  const double b = epsilon * sigma / l2_sensitivity + l2_sensitivity / (2 * sigma);
  // Phi(-a) - e^eps Phi(-b), both terms in log space so large epsilon cannot overflow.
  const double first = std::exp(LogNormalTail(a));
  const double second = std::exp(epsilon + LogNormalTail(b));
  double delta = first - second;
  return delta < 0 ? 0 : delta;
}

absl::StatusOr<double> AnalyticGaussianSigma(double epsilon, double delta, double l2_sensitivity) {
  DPKIT_RETURN_IF_ERROR(ValidateEpsDelta(epsilon, delta, l2_sensitivity, "l2_sensitivity"));
  // Work with sensitivity 1 (delta depends on sigma/Delta only) and scale at the end.
  auto d = [&](double s) { return GaussianDelta(epsilon, s, 1.0) / kDeltaMargin; };
  double lo = 1, hi = 1;
  while (d(lo) <= delta) {
    lo /= 2;
    if (lo < 1e-300) return absl::InternalError("analytic Gaussian: no lower bracket");
  }
  while (d(hi) > delta) {
    hi *= 2;
    if (hi > 1e300) {
      return absl::InvalidArgumentError(
          absl::StrCat("analytic Gaussian: delta=", FormatDouble(delta), " is too small"));
    }
  }
  for (int i = 0; i < 200 && Up(lo) < hi; ++i) {
    double mid = std::sqrt(lo * hi);
    if (!(mid > lo && mid < hi)) mid = lo + (hi - lo) / 2;
    if (!(mid > lo && mid < hi)) break;
    if (d(mid) > delta) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  double sigma = Up(hi * l2_sensitivity);
  if (!std::isfinite(sigma)) {
    return absl::InvalidArgumentError("Gaussian sigma overflows; reduce l2_sensitivity");
  }
  return sigma;
}

absl::StatusOr<double> GaussianSigma(GaussianCalibration calibration, double epsilon, double delta,
                                     double l2_sensitivity) {
  if (calibration == GaussianCalibration::kClassic) {
    return ClassicGaussianSigma(epsilon, delta, l2_sensitivity);
  }
  return AnalyticGaussianSigma(epsilon, delta, l2_sensitivity);
}

namespace {

// Smallest eps >= 0 with delta_of(eps) <= delta, for a decreasing delta_of.
template <typename F>
absl::StatusOr<double> InvertDelta(F delta_of_raw, double delta) {
  auto delta_of = [&](double e) { return delta_of_raw(e) / kDeltaMargin; };
  if (delta_of(0) <= delta) return 0.0;
  double hi = 1;
  while (delta_of(hi) > delta) {
    hi *= 2;
    if (hi > 1e6) {
      return absl::InvalidArgumentError(
          absl::StrCat("no epsilon below 1e6 achieves delta=", FormatDouble(delta)));
    }
  }
  double lo = 0;
  for (int i = 0; i < 200 && Up(lo) < hi; ++i) {
    double mid = lo + (hi - lo) / 2;
    if (!(mid > lo && mid < hi)) break;
    if (delta_of(mid) > delta) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

}  // namespace

absl::StatusOr<double> GaussianEpsilon(double sigma, double delta, double l2_sensitivity) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("sigma", sigma));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("delta", delta));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("l2_sensitivity", l2_sensitivity));
  return InvertDelta([&](double e) { return GaussianDelta(e, sigma, l2_sensitivity); }, delta);
}

double DiscreteGaussianTail(double sigma, double x) {
  if (std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  if (x == kInf) return 0;
  if (x == -kInf) return 1;
  // P[X > x] = S(n) / Z with n = floor(x) + 1 and S(n) = sum_{k >= n} f(k). For n <= 0 use the
  // symmetry S(n) = Z - S(1 - n).
  const double n = std::floor(x) + 1;
  const double z = Normaliser(sigma);
  if (n >= 1) return UpperSum(sigma, n) / z;
  double p = 1 - UpperSum(sigma, 1 - n) / z;
  return p < 0 ? 0 : p;
}

double DiscreteGaussianDelta(double epsilon, double sigma, int64_t l2_sensitivity) {
  const double d = static_cast<double>(l2_sensitivity);
  const double s2 = sigma * sigma;
  const double first = DiscreteGaussianTail(sigma, epsilon * s2 / d - d / 2);
  const double tail2 = DiscreteGaussianTail(sigma, epsilon * s2 / d + d / 2);
  const double second = tail2 > 0 ? std::exp(epsilon + std::log(tail2)) : 0.0;
  double delta = first - second;
  return delta < 0 ? 0 : delta;
}

absl::StatusOr<double> DiscreteGaussianEpsilon(double sigma, double delta, int64_t l2_sensitivity) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("sigma", sigma));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("delta", delta));
  if (l2_sensitivity < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("l2_sensitivity must be a positive integer, got ", l2_sensitivity));
  }
  return InvertDelta([&](double e) { return DiscreteGaussianDelta(e, sigma, l2_sensitivity); },
                     delta);
}

double GaussianRho(double sigma, double l2_sensitivity) {
  return l2_sensitivity * l2_sensitivity / (2 * sigma * sigma);
}

}  // namespace dpkit::mechanisms
