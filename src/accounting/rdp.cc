#include "dpkit/accounting/rdp.h"

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
using internal::LogAddExp;

std::vector<double> MakeDefaultOrders() {
  std::vector<double> o;
  for (int i = 1; i <= 20; ++i) o.push_back(1.0 + i / 20.0);   // 1.05 .. 2.0
  for (int i = 21; i <= 109; ++i) o.push_back(i / 10.0);       // 2.1 .. 10.9
  for (int i = 11; i <= 64; ++i) o.push_back(i);
  for (double x : {72, 80, 96, 112, 128, 160, 192, 256, 384, 512, 768, 1024, 2048, 4096}) {
    o.push_back(x);
  }
  return o;
}

std::vector<double> MakeTfOrders() {
  std::vector<double> o = {1.25, 1.5, 1.75, 2., 2.25, 2.5, 3., 3.5, 4., 4.5};
  for (int i = 5; i < 64; ++i) o.push_back(i);
  for (double x : {128, 256, 512}) o.push_back(x);
  return o;
}

bool IsInteger(double x) { return x == std::floor(x); }

// log A_alpha for integer alpha (MTZ19 Sec. 3.3): an exact sum of positive terms.
double LogAInteger(double q, double s, int64_t alpha) {
  const double log_q = std::log(q);
  const double log_1mq = std::log1p(-q);
  const double inv_2s2 = 1.0 / (2.0 * s * s);
  double acc = kNegInf;
  double log_coef = 0;  // log C(alpha, i)
  for (int64_t i = 0; i <= alpha; ++i) {
    const double id = static_cast<double>(i);
    const double t = log_coef + (alpha - id) * log_1mq + id * log_q + (id * id - id) * inv_2s2;
    acc = LogAddExp(acc, t);
    log_coef += std::log(static_cast<double>(alpha - i)) - std::log(id + 1);
  }
  return acc;
}

// log A_alpha for fractional alpha by the two MTZ19 series; false if not converged.
bool LogAFractional(double q, double s, double alpha, double* out) {
  const double log_q = std::log(q);
  const double log_1mq = std::log1p(-q);
  const double z0 = s * s * (log_1mq - log_q) + 0.5;
  const double inv_2s2 = 1.0 / (2.0 * s * s);
  const double inv_sqrt2s = 1.0 / (std::sqrt(2.0) * s);
  const double log_half = std::log(0.5);
  double pos = kNegInf;
  double neg = kNegInf;
  double log_coef = 0;  // log |C(alpha, i)|
  int sign = 1;
  constexpr int kMaxTerms = 100000;
  for (int i = 0; i < kMaxTerms; ++i) {
    const double id = i;
    const double j = alpha - id;
    const double t0 = log_coef + id * log_q + j * log_1mq + (id * id - id) * inv_2s2 + log_half +
                      internal::LogErfc((id - z0) * inv_sqrt2s);
    const double t1 = log_coef + j * log_q + id * log_1mq + (j * j - j) * inv_2s2 + log_half +
                      internal::LogErfc((z0 - j) * inv_sqrt2s);
    const double t = LogAddExp(t0, t1);
    if (sign > 0) {
      pos = LogAddExp(pos, t);
    } else {
      neg = LogAddExp(neg, t);
    }
    if (id > alpha && t < pos - 40.0) {
      *out = internal::LogSubExp(pos, neg);
      return std::isfinite(*out) || *out == kNegInf;
    }
    const double f = (alpha - id) / (id + 1);
    log_coef += std::log(std::fabs(f));
    if (f < 0) sign = -sign;
  }
  return false;
}

absl::Status ValidateOrder(double order) {
  if (!std::isfinite(order) || !(order > 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("RDP order must be finite and > 1, got ", FormatDouble(order)));
  }
  return absl::OkStatus();
}

absl::Status ValidateCurve(const std::vector<double>& orders, const std::vector<double>& rdp) {
  if (orders.empty() || orders.size() != rdp.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RDP orders and values must be non-empty and of equal length, got ", orders.size(),
        " orders and ", rdp.size(), " values"));
  }
  for (size_t i = 0; i < orders.size(); ++i) {
    DPKIT_RETURN_IF_ERROR(ValidateOrder(orders[i]));
    if (!(rdp[i] >= 0)) {
      return absl::InvalidArgumentError(absl::StrCat("RDP value at order ",
                                                     FormatDouble(orders[i]),
                                                     " must be >= 0, got ", FormatDouble(rdp[i])));
    }
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<double>& DefaultRdpOrders() {
  static const auto* orders = new std::vector<double>(MakeDefaultOrders());
  return *orders;
}

const std::vector<double>& TfPrivacyRdpOrders() {
  static const auto* orders = new std::vector<double>(MakeTfOrders());
  return *orders;
}

double GaussianRdp(double noise_multiplier, double order) {
  return order / (2.0 * noise_multiplier * noise_multiplier);
}

double LaplaceRdp(double noise_multiplier, double order) {
  const double b = noise_multiplier;
  const double a = order;
  const double v = LogAddExp(std::log(a / (2 * a - 1)) + (a - 1) / b,
                             std::log((a - 1) / (2 * a - 1)) - a / b) /
                   (a - 1);
  return std::clamp(v, 0.0, 1.0 / b);
}

double PureDpRdp(double epsilon, double order) {
  const double a = order;
  const double log_p = -std::log1p(std::exp(-epsilon));    // log(e^eps / (1 + e^eps))
  const double log_1mp = -std::log1p(std::exp(epsilon));   // log(1 / (1 + e^eps))
  const double v =
      LogAddExp(a * log_p + (1 - a) * log_1mp, a * log_1mp + (1 - a) * log_p) / (a - 1);
  return std::clamp(v, 0.0, epsilon);
}

absl::StatusOr<double> SubsampledGaussianRdp(double sampling_rate, double noise_multiplier,
                                             double order) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("noise_multiplier", noise_multiplier));
  DPKIT_RETURN_IF_ERROR(ValidateOrder(order));
  if (!(sampling_rate >= 0 && sampling_rate <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling_rate must be in [0, 1], got ", FormatDouble(sampling_rate)));
  }
  if (sampling_rate == 0) return 0.0;
  if (sampling_rate == 1) return GaussianRdp(noise_multiplier, order);
  double log_a;
  if (IsInteger(order) && order <= 1e7) {
    log_a = LogAInteger(sampling_rate, noise_multiplier, static_cast<int64_t>(order));
  } else if (!LogAFractional(sampling_rate, noise_multiplier, order, &log_a)) {
    // RDP is non-decreasing in the order: the next integer order is a valid upper bound.
    log_a = LogAInteger(sampling_rate, noise_multiplier, static_cast<int64_t>(std::ceil(order)));
    return std::max(0.0, log_a / (std::ceil(order) - 1)) ;
  }
  if (std::isnan(log_a)) return kInf;
  return std::max(0.0, log_a / (order - 1));
}

absl::StatusOr<std::vector<double>> PrivacyMapRdp(const PrivacyMap& map,
                                                  const std::vector<double>& orders) {
  DPKIT_RETURN_IF_ERROR(map.Validate());
  for (double a : orders) DPKIT_RETURN_IF_ERROR(ValidateOrder(a));
  const double reps = static_cast<double>(map.repetitions);
  std::vector<double> out(orders.size());
  for (size_t i = 0; i < orders.size(); ++i) {
    const double a = orders[i];
    double v = 0;
    switch (map.kind) {
      case PrivacyMapKind::kPureDp:
        v = PureDpRdp(map.epsilon, a);
        break;
      case PrivacyMapKind::kApproxDp:
        return absl::InvalidArgumentError(absl::StrCat(
            "an (epsilon, delta)-DP map has no RDP curve: ", map.ToString(),
            "; use the basic or pld accountant for it"));
      case PrivacyMapKind::kZcdp:
        v = a * map.rho;
        break;
      case PrivacyMapKind::kLaplace:
        v = LaplaceRdp(map.noise_multiplier, a);
        break;
      case PrivacyMapKind::kDiscreteLaplace:
        v = PureDpRdp(1.0 / map.noise_multiplier, a);
        break;
      case PrivacyMapKind::kGaussian:
      case PrivacyMapKind::kDiscreteGaussian:
        v = GaussianRdp(map.noise_multiplier, a);
        break;
      case PrivacyMapKind::kSubsampledGaussian: {
        DPKIT_ASSIGN_OR_RETURN(v,
                               SubsampledGaussianRdp(map.sampling_rate, map.noise_multiplier, a));
        break;
      }
      case PrivacyMapKind::kRdpCurve: {
        v = kInf;
        for (size_t j = 0; j < map.rdp_orders.size(); ++j) {
          if (map.rdp_orders[j] >= a) v = std::min(v, map.rdp_epsilons[j]);
        }
        // RDP is non-decreasing in the order, so the value at any order >= a bounds order a;
        // the smallest such value is the tightest.
        break;
      }
    }
    out[i] = v * reps;
  }
  return out;
}

absl::StatusOr<RdpConversionResult> RdpToEpsilon(const std::vector<double>& orders,
                                                 const std::vector<double>& rdp, double delta,
                                                 RdpConversion conversion) {
  DPKIT_RETURN_IF_ERROR(ValidateCurve(orders, rdp));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", delta, /*allow_zero=*/true));
  RdpConversionResult best{kInf, 0};
  if (delta == 0) return best;
  const double log_delta = std::log(delta);
  for (size_t i = 0; i < orders.size(); ++i) {
    const double a = orders[i];
    if (!std::isfinite(rdp[i])) continue;
    double eps;
    if (conversion == RdpConversion::kClassic) {
      eps = rdp[i] - log_delta / (a - 1);
    } else {
      eps = rdp[i] + std::log1p(-1 / a) - (log_delta + std::log(a)) / (a - 1);
    }
    if (eps < best.value) best = {eps, a};
  }
  best.value = std::max(0.0, best.value);
  return best;
}

absl::StatusOr<RdpConversionResult> RdpToDelta(const std::vector<double>& orders,
                                               const std::vector<double>& rdp, double epsilon,
                                               RdpConversion conversion) {
  DPKIT_RETURN_IF_ERROR(ValidateCurve(orders, rdp));
  DPKIT_RETURN_IF_ERROR(ValidateNonNegativeFinite("epsilon", epsilon));
  RdpConversionResult best{1.0, 0};
  double best_log = 0;
  for (size_t i = 0; i < orders.size(); ++i) {
    const double a = orders[i];
    const double r = rdp[i];
    if (!std::isfinite(r)) continue;
    double log_delta;
    if (conversion == RdpConversion::kClassic) {
      log_delta = (a - 1) * (r - epsilon);
    } else {
      log_delta = (a - 1) * (r - epsilon + std::log1p(-1 / a)) - std::log(a);
      // delta(eps) <= delta(0) = TV <= sqrt(1 - exp(-KL)) and KL <= rdp(alpha).
      const double tv = r == 0 ? kNegInf : 0.5 * internal::Log1mExp(-r);
      log_delta = std::min(log_delta, tv);
    }
    if (log_delta < best_log) {
      best_log = log_delta;
      best.order = a;
    }
  }
  best.value = std::clamp(std::exp(best_log), 0.0, 1.0);
  return best;
}

}  // namespace dpkit::accounting
