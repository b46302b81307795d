// Zero-concentrated differential privacy (zCDP): costs and conversion to (epsilon, delta).
//
// Source: Bun & Steinke, "Concentrated Differential Privacy: Simplifications, Extensions, and
// Lower Bounds" (TCC 2016).
//   * rho-zCDP means D_alpha(M(x) || M(x')) <= alpha rho for every order alpha > 1.
//   * Composition: rhos add (Lemma 2.3).
//   * eps-DP implies (eps^2 / 2)-zCDP (Proposition 1.4).
//   * The Gaussian mechanism with noise multiplier s = sigma / Delta_2 is 1/(2 s^2)-zCDP
//     (Proposition 1.6); so is the discrete Gaussian (Canonne, Kamath & Steinke 2020, Thm 4).
// Conversions to (eps, delta):
//   * kClassic: eps = rho + 2 sqrt(rho ln(1/delta))  (Bun & Steinke 2016, Proposition 1.3).
//   * kCks20 (default, always at least as tight): Canonne, Kamath & Steinke, "The Discrete
//     Gaussian for Differential Privacy" (NeurIPS 2020), Corollary 13:
//       eps = inf_{alpha > 1} alpha rho + (ln(1/delta) + (alpha-1) ln(1 - 1/alpha) - ln alpha)
//                                         / (alpha - 1),
//     and its inverse delta = inf_alpha exp((alpha-1)(alpha rho - eps)) (1-1/alpha)^alpha
//     / (alpha - 1)  (their Proposition 12), minimised numerically over continuous alpha.
// Deterministic and thread-safe.
#ifndef DPKIT_ACCOUNTING_ZCDP_H_
#define DPKIT_ACCOUNTING_ZCDP_H_

#include "absl/status/statusor.h"

namespace dpkit::accounting {

enum class ZcdpConversion {
  kClassic,  // Bun & Steinke 2016 Prop. 1.3
  kCks20,    // Canonne, Kamath & Steinke 2020 Cor. 13 (default)
};

// eps-DP -> rho = eps^2 / 2.
double PureDpToZcdp(double epsilon);
// Gaussian (or discrete Gaussian) with noise multiplier sigma / Delta_2 -> rho = 1 / (2 s^2).
double GaussianZcdp(double noise_multiplier);

// Smallest epsilon >= 0 for which rho-zCDP implies (epsilon, delta)-DP. delta in [0, 1);
// delta == 0 gives +inf unless rho == 0.
absl::StatusOr<double> ZcdpEpsilon(double rho, double delta,
                                   ZcdpConversion conversion = ZcdpConversion::kCks20);
// Smallest delta for which rho-zCDP implies (epsilon, delta)-DP (epsilon >= 0). At most 1.
absl::StatusOr<double> ZcdpDelta(double rho, double epsilon,
                                 ZcdpConversion conversion = ZcdpConversion::kCks20);

// The budget split from (epsilon, delta)-DP to zCDP: the largest rho (shrunk by a relative 1e-9,
// so rounding never overspends) whose CKS20 conversion ZcdpEpsilon(rho, delta) is at most
// epsilon. epsilon > 0 finite, delta in (0, 1); InvalidArgument naming the bad value otherwise.
// Every workload that plans in zCDP (analytics, synth, publish) converts its budget here.
absl::StatusOr<double> ZcdpRhoForEpsilon(double epsilon, double delta);

}  // namespace dpkit::accounting

#endif  // DPKIT_ACCOUNTING_ZCDP_H_
