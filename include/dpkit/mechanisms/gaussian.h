// The Gaussian mechanism, sampled exactly: on real values (a discrete Gaussian on a fine
// power-of-two grid) and on integers (the discrete Gaussian mechanism).
//
// PRIVACY CLAIM. For a query f with l2 sensitivity Delta_2, AddNoise(f(D)) satisfies
//   * (epsilon, delta)-DP when created from (epsilon, delta): verified exactly with the discrete
//     Gaussian's privacy profile (Canonne, Kamath, Steinke 2020, "The Discrete Gaussian for
//     Differential Privacy", NeurIPS, Theorem 7) at the sigma actually used;
//   * rho-zCDP with rho = D^2 / (2 sigma^2) (CKS20 Theorem 4; Bun & Steinke 2016) in every case
//     (rho() reports it, rounded up), and DeltaForEpsilon(eps) gives the exact delta for any
//     other epsilon.
// Calibration from (epsilon, delta): the continuous sigma from the analytic Gaussian (Balle &
// Wang 2018, ICML, Algorithm 1; default) or the classic bound sigma = Delta sqrt(2 ln(1.25 /
// delta)) / epsilon (Dwork & Roth 2014, Thm A.1; only for epsilon < 1, enforced), then — because
// the discrete Gaussian's exact delta can slightly exceed the continuous one at equal sigma —
// sigma is increased (by the smallest amount found by bisection, typically < 0.1%) until the
// CKS20 Theorem 7 delta is <= the target. See calibration.h.
//
// HOW (real values). As for the Laplace mechanism (laplace.h; Mironov 2012; Google's "Secure
// Noise Generation"; OpenDP's make_gaussian on floats): lambda = 2^(floor(log2 min(Delta_2,
// sigma)) - granularity_bits), coarsened only as far as the sampler's range needs (sigma_g <=
// 2^23), x_g = round_half_up(x / lambda), D_g = ceil(Delta_2 / lambda) (exact
// sensitivity in grid units), sigma_g = (sigma / lambda) * (D_g lambda / Delta_2) so that
// sigma_g / D_g = sigma / Delta_2, noise N ~ N_Z(0, sigma_g^2) drawn exactly
// (random::DiscreteGaussianSampler, CKS20's law, sigma_g^2 rounded up), output
// lambda * (x_g + N). Outputs for all inputs lie on lambda*Z. Huge values: as for
// LaplaceMechanism, never clamped; the returned double is the nearest double to the exact
// lattice point. Create refuses (InvalidArgument) when rounding D_g up would add more than 1%
// to sigma (sigma / Delta_2 above ~8e4 with an unlucky Delta_2).
//
// HOW (integers). DiscreteGaussianMechanism adds N ~ N_Z(0, sigma^2) directly (integer
// sensitivity, sigma in [2^-10, 2^24]); saturates at the int64 range.
//
// TIMING. AddNoise's running time depends only on public parameters and on the released value:
// the sampler's time is independent of the noise (random/samplers.h: up to an event eta of
// probability <= 2^-90 per sample), the input is put on the grid by integer shifts and masks
// (no branch on its magnitude, sign or zero-ness; src/mechanisms/grid.h), and the branches
// left -- the huge-value shortcut, the conversion of the integer release to a double, integer
// saturation -- are functions of the released value. Counting time as an output, n releases
// are (eps, n eta (1 + e^eps))-DP for releases that are eps-DP in their values (for an
// (eps, delta) release add the same term to delta).
//
// PRIVACY MAP. PrivacyMapKind::kDiscreteGaussian with noise_multiplier = sigma_g / D_g (grid
// units for the real mechanism). Accountants must treat it as a discrete Gaussian (zCDP / RDP,
// which are <= the continuous Gaussian's), not with the continuous Gaussian's exact (eps, delta)
// profile (which can be slightly optimistic for the discrete Gaussian).
//
// NOISE SCALE. noise_scale() is the sigma parameter actually used (value units); the discrete
// Gaussian's standard deviation (noise_stddev()) is <= sigma and equal to it to double precision
// once sigma_g >= 4.
//
// CONFIDENCE INTERVALS are exact (smallest lattice interval with P(|N| <= m) >= level, computed
// from the discrete Gaussian's tail; real mechanism widened by lambda/2 for the input rounding).
//
// Thread safety: immutable after Create; AddNoise is thread-safe given a thread-safe generator.
#ifndef DPKIT_MECHANISMS_GAUSSIAN_H_
#define DPKIT_MECHANISMS_GAUSSIAN_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/mechanisms/calibration.h"
#include "dpkit/mechanisms/interval.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/random/samplers.h"

namespace dpkit::mechanisms {

// Set exactly one privacy target: (epsilon, delta), or rho, or sigma.
struct GaussianOptions {
  double epsilon = 0;                          // (epsilon, delta)-DP target: epsilon > 0 finite,
  double delta = 0;                            // delta in (0, 1)
  std::optional<double> rho = std::nullopt;    // or: rho-zCDP target (> 0)
  std::optional<double> sigma = std::nullopt;  // or: the noise sigma, value units (> 0)
  double l2_sensitivity = 0;                   // > 0, finite, value units
  GaussianCalibration calibration = GaussianCalibration::kAnalytic;
  int granularity_bits = 20;  // [0, 40], see LaplaceOptions
};

class GaussianMechanism {
 public:
  static absl::StatusOr<GaussianMechanism> Create(const GaussianOptions& options);

  absl::StatusOr<double> AddNoise(double value, random::BitGenerator& gen) const;
  absl::StatusOr<Interval> ConfidenceInterval(double noisy_value, double level) const;

  PrivacyMap privacy_map() const;
  // rho-zCDP actually achieved (rounded up).
  double rho() const;
  // Exact delta at `epsilon` for the sigma actually used (CKS20 Theorem 7).
  double DeltaForEpsilon(double epsilon) const;
  // The (epsilon, delta) target if created from one (0, 0 otherwise).
  double epsilon() const { return options_.rho || options_.sigma ? 0 : options_.epsilon; }
  double delta() const { return options_.rho || options_.sigma ? 0 : options_.delta; }

  double noise_scale() const;  // sigma actually used, value units
  double noise_stddev() const;
  double granularity() const;
  int64_t grid_sensitivity() const { return grid_sensitivity_; }
  const GaussianOptions& options() const { return options_; }

 private:
  GaussianMechanism(GaussianOptions options, int exponent, int64_t grid_sensitivity,
                    random::DiscreteGaussianSampler sampler)
      : options_(options),
        exponent_(exponent),
        grid_sensitivity_(grid_sensitivity),
        sampler_(sampler) {}
  GaussianOptions options_;
  int exponent_;
  int64_t grid_sensitivity_;
  random::DiscreteGaussianSampler sampler_;
};

// Set exactly one privacy target: (epsilon, delta), or rho, or sigma.
struct DiscreteGaussianOptions {
  double epsilon = 0;
  double delta = 0;
  std::optional<double> rho = std::nullopt;
  std::optional<double> sigma = std::nullopt;  // in [2^-10, 2^24]
  int64_t l2_sensitivity = 1;                  // >= 1
  GaussianCalibration calibration = GaussianCalibration::kAnalytic;
};

class DiscreteGaussianMechanism {
 public:
  static absl::StatusOr<DiscreteGaussianMechanism> Create(const DiscreteGaussianOptions& options);

  int64_t AddNoise(int64_t value, random::BitGenerator& gen) const;
  absl::StatusOr<Interval> ConfidenceInterval(int64_t noisy_value, double level) const;

  PrivacyMap privacy_map() const;
  double rho() const;
  double DeltaForEpsilon(double epsilon) const;
  double epsilon() const { return options_.rho || options_.sigma ? 0 : options_.epsilon; }
  double delta() const { return options_.rho || options_.sigma ? 0 : options_.delta; }
  double noise_scale() const;  // sigma actually used
  double noise_stddev() const;
  const DiscreteGaussianOptions& options() const { return options_; }

 private:
  DiscreteGaussianMechanism(DiscreteGaussianOptions options,
                            random::DiscreteGaussianSampler sampler)
      : options_(options), sampler_(sampler) {}
  DiscreteGaussianOptions options_;
  random::DiscreteGaussianSampler sampler_;
};

}  // namespace dpkit::mechanisms

#endif  // DPKIT_MECHANISMS_GAUSSIAN_H_
