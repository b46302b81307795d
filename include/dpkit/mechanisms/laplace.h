// The Laplace mechanism, sampled exactly: on real values (on a fine power-of-two grid) and on
// integers (the discrete Laplace / two-sided geometric mechanism).
//
// PRIVACY CLAIM. For a query f with l1 sensitivity Delta_1 (|f(D) - f(D')| <= Delta_1 for
// neighbouring D, D'), releasing AddNoise(f(D)) is epsilon-DP (pure), with the epsilon
// reported by epsilon() (<= the requested epsilon). The claim is exact: no floating-point
// caveat (see below), no delta.
//
// HOW (real values). Textbook Laplace sampling (-b ln U in floating point) leaks the input
// through the set of reachable doubles (Mironov 2012, "On Significance of the Least Significant
// Bits for Differential Privacy", CCS). Instead, as in Google's secure noise generation
// ("Secure Noise Generation", Google DP library, 2020) and OpenDP's make_laplace on floats:
//   1. the granularity lambda = 2^(floor(log2 min(Delta_1, b)) - granularity_bits),
//      b = Delta_1 / epsilon (default 20 bits: at least 2^20 grid steps per unit of the
//      sensitivity and of b), coarsened only as far as the sampler's range needs (t <= 2^49;
//      epsilon below ~4e-9);
//   2. the input is rounded to the grid, x_g = round_half_up(x / lambda), an exact operation;
//   3. the sensitivity in grid units is D_g = ceil(Delta_1 / lambda). Rounding is monotone and
//      commutes with grid shifts, so |x_g(D) - x_g(D')| <= D_g exactly;
//   4. integer noise N ~ DLap(t) (P(N = k) proportional to exp(-|k|/t)) is drawn exactly
//      (random::DiscreteLaplaceSampler, CKS20 Algorithm 2) with t >= D_g / epsilon (rational,
//      rounded up), so x_g + N is (D_g/t)-DP and D_g/t <= epsilon;
//   5. the output is lambda * (x_g + N): every output for every input lies on the same grid
//      lambda*Z, so outputs never separate neighbouring inputs.
// The effective Laplace scale is lambda*t = b * (1 + O(2^-granularity_bits)); Create refuses
// (InvalidArgument) when grid effects would make it more than 1% above b (epsilon below ~1e-13).
//
// HUGE VALUES. Nothing is clamped: x_g + N is the exact integer for every finite input (int128
// arithmetic, and for |x| >= 2^117 lambda the exact observation that the noise is below a
// quarter of x's ulp), and the returned double is its nearest double. That drops low-order
// bits when |x_g + N| >= 2^53 (values above ~2^32 b; for |x| ~ 1e30 b and beyond the output is
// x itself): rounding a private integer is post-processing, so the privacy claim is untouched.
// ConfidenceInterval widens by half an ulp of the released double to cover that rounding.
//
// HOW (integers). DiscreteLaplaceMechanism adds N ~ DLap(t), t = Delta_1/epsilon rounded up
// (Ghosh, Roughgarden, Sundararajan 2009 "universally utility-maximizing" geometric mechanism;
// exact sampler CKS20 Algorithm 2). Integer overflow saturates at the int64 range
// (post-processing).
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
// PRIVACY MAP. PrivacyMapKind::kDiscreteLaplace with noise_multiplier = t / D_g (grid units; for
// the real-valued mechanism the noise is a discrete Laplace on lambda*Z), so an accountant gets
// epsilon = 1 / noise_multiplier. Neighbouring: whatever relation the sensitivity was computed
// for (dpkit's callers use add/remove of one privacy unit).
//
// CONFIDENCE INTERVALS are exact: the smallest integer m with P(|N| <= m) >= level gives
// [y - (m + 1/2) lambda, y + (m + 1/2) lambda] for the real mechanism (the extra lambda/2
// covers the input rounding) and [y - m, y + m] for integers.
//
// Thread safety: immutable after Create; AddNoise is thread-safe given a thread-safe generator.
#ifndef DPKIT_MECHANISMS_LAPLACE_H_
#define DPKIT_MECHANISMS_LAPLACE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/mechanisms/interval.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/random/samplers.h"

namespace dpkit::mechanisms {

struct LaplaceOptions {
  double epsilon = 0;         // > 0, finite
  double l1_sensitivity = 0;  // > 0, finite, in units of the released value
  // lambda = 2^(floor(log2 min(l1_sensitivity, l1_sensitivity/epsilon)) - granularity_bits)
  // (see HOW); in [0, 40].
  int granularity_bits = 20;
};

class LaplaceMechanism {
 public:
  static absl::StatusOr<LaplaceMechanism> Create(const LaplaceOptions& options);

  // value + Laplace noise, exactly on the grid. InvalidArgument for NaN or infinite values.
  absl::StatusOr<double> AddNoise(double value, random::BitGenerator& gen) const;
  // Exact interval around a released value: contains the true value with probability >= level
  // (level in (0, 1)).
  absl::StatusOr<Interval> ConfidenceInterval(double noisy_value, double level) const;

  PrivacyMap privacy_map() const;
  // Epsilon actually achieved (<= requested).
  double epsilon() const { return core_epsilon_; }
  // Laplace scale b actually used (lambda * t), in value units; noise_stddev() = sqrt(2) b
  // (exactly: lambda sqrt(2p)/(1-p), p = exp(-1/t)).
  double noise_scale() const;
  double noise_stddev() const;
  double granularity() const;  // lambda
  int64_t grid_sensitivity() const { return grid_sensitivity_; }
  const LaplaceOptions& options() const { return options_; }

 private:
  LaplaceMechanism(LaplaceOptions options, int exponent, int64_t grid_sensitivity,
                   random::DiscreteLaplaceSampler sampler, double core_epsilon)
      : options_(options),
        exponent_(exponent),
        grid_sensitivity_(grid_sensitivity),
        sampler_(sampler),
        core_epsilon_(core_epsilon) {}
  LaplaceOptions options_;
  int exponent_;  // lambda = 2^exponent_
  int64_t grid_sensitivity_;
  random::DiscreteLaplaceSampler sampler_;
  double core_epsilon_;
};

struct DiscreteLaplaceOptions {
  double epsilon = 0;          // > 0, finite
  int64_t l1_sensitivity = 1;  // >= 1 (integer-valued queries have integer sensitivity)
};

class DiscreteLaplaceMechanism {
 public:
  static absl::StatusOr<DiscreteLaplaceMechanism> Create(const DiscreteLaplaceOptions& options);

  // value + DLap(t), saturating at the int64 range.
  int64_t AddNoise(int64_t value, random::BitGenerator& gen) const;
  absl::StatusOr<Interval> ConfidenceInterval(int64_t noisy_value, double level) const;

  PrivacyMap privacy_map() const;
  double epsilon() const;      // actual, <= requested
  double noise_scale() const;  // t (exact rational scale_rational())
  random::Rational scale_rational() const { return sampler_.scale_rational(); }
  double noise_stddev() const;
  const DiscreteLaplaceOptions& options() const { return options_; }

 private:
  DiscreteLaplaceMechanism(DiscreteLaplaceOptions options, random::DiscreteLaplaceSampler sampler)
      : options_(options), sampler_(sampler) {}
  DiscreteLaplaceOptions options_;
  random::DiscreteLaplaceSampler sampler_;
};

}  // namespace dpkit::mechanisms

#endif  // DPKIT_MECHANISMS_LAPLACE_H_
