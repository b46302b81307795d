// Noise calibration: from a privacy target to a noise scale, and back. Pure functions, no
// randomness; other modules (analytics, synth, train) call them directly.
//
// Units: every sensitivity is in the units of the released value; every returned scale is in
// the same units. Laplace scale b (density exp(-|x|/b)/(2b)); Gaussian sigma (standard
// deviation of the continuous Gaussian; the sigma parameter of the discrete Gaussian).
//
// Sources:
//   Laplace        b = Delta_1 / epsilon is epsilon-DP. Dwork, McSherry, Nissim, Smith 2006.
//   Classic Gauss  sigma = Delta_2 sqrt(2 ln(1.25/delta)) / epsilon is (epsilon, delta)-DP for
//                  epsilon < 1 only (Dwork & Roth 2014, "The Algorithmic Foundations of DP",
//                  Theorem A.1). ClassicGaussianSigma refuses epsilon >= 1.
//   Analytic Gauss the exact privacy profile of the Gaussian mechanism (Balle & Wang 2018,
//                  "Improving the Gaussian Mechanism for Differential Privacy", ICML, Thm 8):
//                    delta(eps) = Phi(D/(2s) - eps s/D) - e^eps Phi(-D/(2s) - eps s/D);
//                  the analytic calibration (their Algorithm 1) is the smallest sigma with
//                  delta(eps) <= delta. We find it by bisection on sigma directly (delta is
//                  decreasing in sigma, Balle & Wang Lemma 7), which is equivalent to their
//                  search over v; the result is rounded up (never less noise than needed).
//   Discrete Gauss the exact privacy profile of x + N_Z(0, sigma^2) for integer sensitivity
//                  Delta (Canonne, Kamath, Steinke 2020, "The Discrete Gaussian for
//                  Differential Privacy", NeurIPS, Theorem 7):
//                    delta(eps) = P[X > eps s^2/D - D/2] - e^eps P[X > eps s^2/D + D/2],
//                  X ~ N_Z(0, s^2). Note: this is NOT always <= the continuous Gaussian's
//                  delta at the same sigma (e.g. sigma=3, eps=1: 2.18e-4 vs 2.08e-4), so the
//                  discrete/grid Gaussian mechanisms check it and add noise where needed.
//   zCDP           Gaussian and discrete Gaussian: rho = Delta_2^2 / (2 sigma^2) (Bun &
//                  Steinke 2016, Prop. 1.6; CKS20 Theorem 4).
//
// Accuracy: the continuous formulas use erfc in double precision with log-space handling of
// e^eps * tail (relative error ~1e-13). The discrete Gaussian tail is summed exactly for
// sigma < 32 and evaluated by Euler-Maclaurin (three correction terms, relative error < 1e-11)
// plus the exact Poisson-summation normaliser above.
//
// Thread safety: all functions are thread-safe (no state).
#ifndef DPKIT_MECHANISMS_CALIBRATION_H_
#define DPKIT_MECHANISMS_CALIBRATION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace dpkit::mechanisms {

enum class GaussianCalibration {
  kAnalytic,  // Balle & Wang 2018 (default): exact, valid for every epsilon > 0
  kClassic,   // Dwork & Roth 2014 Thm A.1: epsilon < 1 only
};

// "analytic" / "classic".
const char* GaussianCalibrationName(GaussianCalibration calibration);
absl::StatusOr<GaussianCalibration> ParseGaussianCalibration(const std::string& name);

// b = l1_sensitivity / epsilon (rounded up by one ulp so it is never below the exact quotient).
absl::StatusOr<double> LaplaceScale(double epsilon, double l1_sensitivity);

// Classic calibration; InvalidArgument for epsilon >= 1 (the bound is not valid there).
absl::StatusOr<double> ClassicGaussianSigma(double epsilon, double delta, double l2_sensitivity);
// Analytic calibration (Balle & Wang 2018, Algorithm 1): smallest sigma with
// GaussianDelta(epsilon, sigma, l2_sensitivity) <= delta, rounded up.
absl::StatusOr<double> AnalyticGaussianSigma(double epsilon, double delta, double l2_sensitivity);
absl::StatusOr<double> GaussianSigma(GaussianCalibration calibration, double epsilon, double delta,
                                     double l2_sensitivity);

// Exact delta(epsilon) of the continuous Gaussian mechanism (Balle & Wang 2018, Theorem 8).
// Arguments are not validated (pass finite positive values; epsilon >= 0).
double GaussianDelta(double epsilon, double sigma, double l2_sensitivity);
// Smallest epsilon >= 0 with GaussianDelta(epsilon, sigma, l2_sensitivity) <= delta (rounded
// up).
absl::StatusOr<double> GaussianEpsilon(double sigma, double delta, double l2_sensitivity);

// P[X > x] for X ~ N_Z(0, sigma^2) (discrete Gaussian on the integers).
double DiscreteGaussianTail(double sigma, double x);
// Exact delta(epsilon) of x + N_Z(0, sigma^2) for integer sensitivity (CKS20 Theorem 7).
double DiscreteGaussianDelta(double epsilon, double sigma, int64_t l2_sensitivity);
// Smallest epsilon >= 0 with DiscreteGaussianDelta(...) <= delta (rounded up).
absl::StatusOr<double> DiscreteGaussianEpsilon(double sigma, double delta, int64_t l2_sensitivity);

// rho = l2_sensitivity^2 / (2 sigma^2) (zCDP of the Gaussian and discrete Gaussian mechanisms).
double GaussianRho(double sigma, double l2_sensitivity);

}  // namespace dpkit::mechanisms

#endif  // DPKIT_MECHANISMS_CALIBRATION_H_
