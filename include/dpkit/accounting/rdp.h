// Renyi differential privacy (RDP): per-mechanism RDP curves and conversion to (epsilon, delta).
//
// Sources:
//   * Mironov, "Renyi Differential Privacy" (CSF 2017): definition, composition (curves add per
//     order, Prop. 1), the Gaussian curve alpha / (2 nm^2) and the Laplace curve (Table II)
//       eps(alpha) = 1/(alpha-1) log( alpha/(2alpha-1) e^{(alpha-1)/b} + (alpha-1)/(2alpha-1)
//                                     e^{-alpha/b} ),   b = Laplace scale / Delta_1.
//   * Pure eps-DP: every eps-DP mechanism is a post-processing of randomized response with the
//     same eps (Kairouz, Oh & Viswanath 2015), so its RDP is at most RR's exact curve
//       eps(alpha) = 1/(alpha-1) log( p^alpha (1-p)^{1-alpha} + (1-p)^alpha p^{1-alpha} ),
//     p = e^eps / (1 + e^eps); this is <= min(eps, alpha eps^2 / 2). Used for pure_dp, and for
//     discrete_laplace (exactly RR for Delta_1 = 1, dominated by it otherwise).
//   * Discrete Gaussian: its RDP is at most the continuous Gaussian's (Canonne, Kamath & Steinke
//     2020, Thm 4 gives the zCDP bound alpha / (2 nm^2)).
//   * Poisson-subsampled Gaussian (add/remove neighbours): Mironov, Talwar & Zhang, "Renyi
//     Differential Privacy of the Sampled Gaussian Mechanism" (2019). Integer orders by the exact
//     binomial sum (their Sec. 3.3)
//       A_alpha = sum_{i=0}^{alpha} C(alpha,i) (1-q)^{alpha-i} q^i exp((i^2 - i) / (2 s^2)),
//     fractional orders by the two convergent series split at z0 = s^2 log(1/q - 1) + 1/2
//     (their Sec. 3.3), all evaluated in log space; eps(alpha) = log(A_alpha) / (alpha - 1).
//     This is the same mathematics as TF Privacy's rdp_accountant and Google's dp_accounting.
// Conversion to (epsilon, delta):
//   * kClassic: eps = min_alpha rdp(alpha) + log(1/delta) / (alpha - 1)  (Mironov 2017, Prop. 3).
//   * kImproved (default): Canonne, Kamath & Steinke 2020 Prop. 12 / Asoodeh et al. 2021
//       eps = min_alpha rdp(alpha) + log(1 - 1/alpha) - (log delta + log alpha) / (alpha - 1),
//     the conversion used by TF Privacy's compute_eps; for delta(eps) the inverse
//       delta = min_alpha exp((alpha-1)(rdp(alpha) - eps + log(1 - 1/alpha)) - log alpha),
//     together with delta <= sqrt(1 - exp(-rdp(alpha))) (total variation via the KL divergence).
// All functions are deterministic and thread-safe.
#ifndef DPKIT_ACCOUNTING_RDP_H_
#define DPKIT_ACCOUNTING_RDP_H_

#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"

namespace dpkit::accounting {

enum class RdpConversion {
  kClassic,   // Mironov 2017 Prop. 3
  kImproved,  // Canonne-Kamath-Steinke 2020 / Asoodeh et al. 2021 (default)
};

// dpkit's default orders: 1.05..2 (step 0.05), 2.1..10.9 (step 0.1), 11..64, then
// 72, 80, 96, 112, 128, 160, 192, 256, 384, 512, 768, 1024, 2048, 4096. A superset of
// TfPrivacyRdpOrders(), so it is never looser.
const std::vector<double>& DefaultRdpOrders();
// TF Privacy's compute_dp_sgd_privacy grid: [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5]
// + 5..63 + [128, 256, 512].
const std::vector<double>& TfPrivacyRdpOrders();

// Single-use RDP curves at one order alpha > 1.
double GaussianRdp(double noise_multiplier, double order);
double LaplaceRdp(double noise_multiplier, double order);
double PureDpRdp(double epsilon, double order);
// Poisson-subsampled Gaussian, sampling rate q in [0, 1], one step. Integer orders exact;
// fractional orders by the MTZ19 series (falls back to the next integer order, a valid upper
// bound since RDP is non-decreasing in alpha, if the series has not converged in 10^5 terms).
absl::StatusOr<double> SubsampledGaussianRdp(double sampling_rate, double noise_multiplier,
                                             double order);

// RDP of a whole PrivacyMap (including its repetitions) at each order. kApproxDp has no RDP
// (InvalidArgument). kRdpCurve maps are evaluated conservatively at the smallest of their own
// orders >= each requested order (+inf if none).
absl::StatusOr<std::vector<double>> PrivacyMapRdp(const PrivacyMap& map,
                                                  const std::vector<double>& orders);

struct RdpConversionResult {
  double value = 0;   // epsilon (RdpToEpsilon) or delta (RdpToDelta)
  double order = 0;   // the order attaining it (0 if none is finite)
};

// Smallest epsilon >= 0 certified by the RDP curve at delta in [0, 1). +inf if delta == 0 or
// every order is infinite.
absl::StatusOr<RdpConversionResult> RdpToEpsilon(const std::vector<double>& orders,
                                                 const std::vector<double>& rdp, double delta,
                                                 RdpConversion conversion = RdpConversion::kImproved);
// Smallest delta in [0, 1] certified by the RDP curve at epsilon >= 0.
absl::StatusOr<RdpConversionResult> RdpToDelta(const std::vector<double>& orders,
                                               const std::vector<double>& rdp, double epsilon,
                                               RdpConversion conversion = RdpConversion::kImproved);

}  // namespace dpkit::accounting

#endif  // DPKIT_ACCOUNTING_RDP_H_
