// Private: the exact integer noise cores shared by the Laplace/Gaussian mechanisms (real and
// integer) and the sparse vector technique. Each core knows its integer sensitivity, its
// sampler, the privacy it actually achieves, and the exact tail quantiles of its noise.
#ifndef DPKIT_SRC_MECHANISMS_NOISE_CORE_H_
#define DPKIT_SRC_MECHANISMS_NOISE_CORE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "dpkit/random/samplers.h"

namespace dpkit::mechanisms::internal {

// (double)a / b rounded up / down (via long double, then one ulp towards safety).
double RatioUp(long double a, long double b);
double RatioDown(long double a, long double b);
// The smallest double >= a / b and the largest double <= a / b (finite positive a, b; exact:
// uses the sign of the fma residual).
double DivUp(double a, double b);
double DivDown(double a, double b);
// The smallest double >= x.
double ToDoubleUp(long double x);

// x + DLap(t) on the integers with integer sensitivity D: epsilon_actual = D / t <= epsilon.
class DiscreteLaplaceCore {
 public:
  static absl::StatusOr<DiscreteLaplaceCore> Create(double epsilon, int64_t sensitivity);
  int64_t Sample(random::BitGenerator& gen) const { return sampler_.Sample(gen); }
  int64_t sensitivity() const { return sensitivity_; }
  // The exact scale t = num/den used (as a double, and exact).
  double scale() const { return sampler_.scale(); }
  random::Rational scale_rational() const { return sampler_.scale_rational(); }
  // D / t, rounded up.
  double epsilon() const;
  // t / D, rounded down (PrivacyMap noise_multiplier).
  double noise_multiplier() const;
  // Standard deviation sqrt(2p)/(1-p), p = exp(-1/t).
  double stddev() const;
  // Smallest m >= 0 with P(|N| <= m) >= level.
  int64_t TailQuantile(double level) const;
  // P(N = k).
  double Pmf(int64_t k) const;

  DiscreteLaplaceCore(random::DiscreteLaplaceSampler sampler, int64_t sensitivity)
      : sampler_(sampler), sensitivity_(sensitivity) {}
  const random::DiscreteLaplaceSampler& sampler() const { return sampler_; }

 private:
  random::DiscreteLaplaceSampler sampler_;
  int64_t sensitivity_;
};

// x + N_Z(0, sigma^2) on the integers with integer l2 sensitivity D.
class DiscreteGaussianCore {
 public:
  // sigma as given (rounded up by the sampler).
  static absl::StatusOr<DiscreteGaussianCore> CreateForSigma(double sigma, int64_t sensitivity);
  // Starts from sigma_start and increases sigma until the exact CKS20 Theorem 7 delta at
  // epsilon is <= delta.
  static absl::StatusOr<DiscreteGaussianCore> CreateForEpsilonDelta(double sigma_start,
                                                                    int64_t sensitivity,
                                                                    double epsilon, double delta);
  int64_t Sample(random::BitGenerator& gen) const { return sampler_.Sample(gen); }
  int64_t sensitivity() const { return sensitivity_; }
  // The sigma actually used (sampler's, >= requested).
  double sigma() const { return sampler_.sigma(); }
  // sigma / D rounded down.
  double noise_multiplier() const;
  // D^2 / (2 sigma^2) rounded up.
  double rho() const;
  double stddev() const;
  int64_t TailQuantile(double level) const;
  double Pmf(int64_t k) const;

  DiscreteGaussianCore(random::DiscreteGaussianSampler sampler, int64_t sensitivity)
      : sampler_(sampler), sensitivity_(sensitivity) {}
  const random::DiscreteGaussianSampler& sampler() const { return sampler_; }

 private:
  random::DiscreteGaussianSampler sampler_;
  int64_t sensitivity_;
};

}  // namespace dpkit::mechanisms::internal

#endif  // DPKIT_SRC_MECHANISMS_NOISE_CORE_H_
