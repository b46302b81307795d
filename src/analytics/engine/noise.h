// Internal: calibrated integer noise for analytics releases.
//
// Every statistic analytics releases is an exact integer — a count, or a sum in fixed-point
// units (see state.h), optionally right-shifted so the noise scale fits the samplers' range —
// whose per-group sensitivity is an integer. Noise is the discrete Laplace mechanism
// (epsilon-DP for L1 sensitivity L0*Delta with scale L0*Delta/epsilon; Ghosh, Roughgarden,
// Sundararajan 2009; CKS20) or the discrete Gaussian mechanism (rho-zCDP with
// rho = L0*Delta^2/(2 sigma^2), Canonne, Kamath, Steinke 2020, Thm. 4; sigma calibrated to
// (epsilon, delta) through rho -> eps = rho + 2 sqrt(rho ln(1/delta)), Bun & Steinke 2016).
// Both are sampled exactly (random/samplers.h).
#ifndef DPKIT_SRC_ANALYTICS_ENGINE_NOISE_H_
#define DPKIT_SRC_ANALYTICS_ENGINE_NOISE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dpkit/analytics/query.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/random/samplers.h"

namespace dpkit::analytics::engine {

class IntegerNoise {
 public:
  // Noise for a vector release where one unit changes at most `l0` coordinates, each by at most
  // `sensitivity` (a positive integer), calibrated to (epsilon, delta) for the whole vector
  // (delta is ignored for Laplace). `testing_zero_noise` adds nothing (tests only).
  static absl::StatusOr<IntegerNoise> Create(NoiseKind kind, double epsilon, double delta,
                                             int64_t sensitivity, int64_t l0,
                                             bool testing_zero_noise = false);

  int64_t Add(int64_t value, random::BitGenerator& gen) const;
  // Laplace scale b or Gaussian sigma, in integer units.
  double scale() const { return scale_; }
  double stddev() const;
  // h with P(|noise| > h) <= alpha.
  double HalfWidth(double alpha) const;
  // h with P(|sum of k independent noises| > h) <= alpha.
  double SumHalfWidth(int k, double alpha) const;
  PrivacyMap privacy_map() const;
  const char* mechanism() const;

 private:
  double ComputeSumHalfWidth(int k, double alpha) const;
  NoiseKind kind_ = NoiseKind::kLaplace;
  double scale_ = 0;
  double sensitivity_l1_or_l2_ = 0;
  bool zero_ = false;
  std::shared_ptr<random::DiscreteLaplaceSampler> laplace_;
  std::shared_ptr<random::DiscreteGaussianSampler> gaussian_;
};

// rho-zCDP for which eps = rho + 2 sqrt(rho ln(1/delta)).
double RhoForEpsilonDelta(double epsilon, double delta);

}  // namespace dpkit::analytics::engine

#endif  // DPKIT_SRC_ANALYTICS_ENGINE_NOISE_H_
