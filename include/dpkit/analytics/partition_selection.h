// Private partition selection: decide which GROUP BY keys (partitions) may be released when the
// keys are not public, so that a partition that exists only because of one privacy unit is
// released with probability at most delta (Desfontaines, Voss, Gipson, Mandayam, "Differentially
// private partition selection", PoPETs 2022; Korolova et al. 2009; Wilson et al. 2020).
//
// Input per partition: the number n of distinct privacy units contributing to it, after
// contribution bounding limited each unit to at most `max_partitions_contributed` (L0) partitions.
// Privacy claim: the set of selected partitions is (epsilon, delta)-DP w.r.t. adding/removing one
// privacy unit (all its records).
//
// Strategies:
//  - kTruncatedGeometric (default): the optimal mechanism for L0 = 1 (Desfontaines et al. 2022,
//    Thm. 1): keep a partition with n units with probability pi(n), pi(0) = 0,
//    pi(n) = min(e^eps pi(n-1) + delta, 1 - e^-eps (1 - pi(n-1) - delta), 1).
//    For L0 > 1 it runs with (eps/L0, delta/L0) per partition (basic composition over the at most
//    L0 partitions one unit touches). pi is computed in double with eps and delta shrunk by a
//    relative 1e-9 first, so floating-point rounding can only make the mechanism more private;
//    the Bernoulli draw itself is exact (random::BernoulliDouble).
//  - kLaplaceThreshold: n + DiscreteLaplace(b) >= T, the discrete Laplace mechanism for L1
//    sensitivity L0 at epsilon (b = L0/eps rounded up), T = 1 + ceil(b ln(L0 / (delta (1 +
//    e^{-1/b})))) (a unit-only partition passes with probability <= delta/L0 each).
//  - kGaussianThreshold: n + DiscreteGaussian(sigma), the discrete Gaussian mechanism with
//    rho/L0 zCDP per partition (rho = L0/(2 sigma^2) for the count vector), rho converted to
//    (eps, delta/2) by CKS20 (accounting/zcdp.h), threshold 2 + ceil(sigma Phi^-1(1 - delta/(2 L0))).
// Noise comes from the options' NoiseFactory (dpkit/mechanisms/noise_factory.h): the threshold
// strategies add it through those mechanisms; truncated-geometric draws one exact Bernoulli.
// With testing::ZeroNoise() every strategy keeps a partition iff its keep probability is
// >= 1/2 (the deterministic median rule; tests only).
#ifndef DPKIT_ANALYTICS_PARTITION_SELECTION_H_
#define DPKIT_ANALYTICS_PARTITION_SELECTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::analytics {

enum class PartitionSelectionStrategy { kTruncatedGeometric, kLaplaceThreshold, kGaussianThreshold };

const char* PartitionSelectionStrategyName(PartitionSelectionStrategy s);

struct PartitionSelectionOptions {
  double epsilon = 0;
  double delta = 0;
  int64_t max_partitions_contributed = 1;  // L0
  PartitionSelectionStrategy strategy = PartitionSelectionStrategy::kTruncatedGeometric;
  const mechanisms::NoiseFactory* noise = &mechanisms::SecureNoise();
};

class PartitionSelector {
 public:
  static absl::StatusOr<PartitionSelector> Create(const PartitionSelectionOptions& options);

  // Decides whether a partition with `num_units` distinct privacy units is released.
  bool ShouldKeep(int64_t num_units, random::BitGenerator& gen) const;
  // Probability that a partition with `num_units` units is kept (exact formula for
  // kTruncatedGeometric/kLaplaceThreshold; Gaussian via Phi).
  double KeepProbability(int64_t num_units) const;
  // Smallest number of units with keep probability >= 0.5 (a usability figure for EXPLAIN).
  int64_t MedianThreshold() const;

  PrivacyMap privacy_map() const;
  const PartitionSelectionOptions& options() const { return options_; }
  std::string Describe() const;

 private:
  explicit PartitionSelector(PartitionSelectionOptions o) : options_(o) {}
  PartitionSelectionOptions options_;
  // kTruncatedGeometric: pi(n) for n < pi_.size(); pi(n) = 1 beyond.
  std::vector<double> pi_;
  // Threshold strategies: the noise mechanism and the threshold tau.
  std::shared_ptr<const mechanisms::IntegerNoise> noise_;
  double threshold_ = 0;
};

}  // namespace dpkit::analytics

#endif  // DPKIT_ANALYTICS_PARTITION_SELECTION_H_
