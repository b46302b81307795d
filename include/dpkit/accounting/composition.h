// Composition theorems for pure and approximate differential privacy, and the exact
// (epsilon, delta) curve of the Gaussian mechanism.
//
// All functions are deterministic, thread-safe, and validate their inputs (InvalidArgument with
// the parameter name and the bad value). Epsilons are in nats. Neighbouring relation: whatever
// the composed mechanisms use (these theorems hold for any fixed relation).
//
// Sources:
//   * Sequential composition: Dwork & Roth, "The Algorithmic Foundations of Differential
//     Privacy" (2014), Theorem 3.16: epsilons add, deltas add.
//   * Parallel composition over disjoint partitions: McSherry, "Privacy Integrated Queries"
//     (SIGMOD 2009), Theorem 4: a unit's records fall in one partition, so the cost is the max.
//   * Advanced composition: Dwork, Rothblum & Vadhan, "Boosting and Differential Privacy"
//     (FOCS 2010), Theorem III.3: k-fold adaptive composition of (eps, delta)-DP mechanisms is
//     (sqrt(2k ln(1/delta')) eps + k eps (e^eps - 1), k delta + delta')-DP.
//   * Optimal homogeneous composition: Kairouz, Oh & Viswanath, "The Composition Theorem for
//     Differential Privacy" (ICML 2015 / IEEE Trans. IT 2017), Theorem 3.3. The k-fold
//     composition of (eps0, delta0)-DP mechanisms is (eps, delta)-DP exactly for
//       delta = 1 - (1 - delta0)^k (1 - delta_k(eps)),
//       delta_k(eps) = sum_{l : (k-2l) eps0 > eps} C(k,l) (e^{(k-l) eps0} - e^{eps + l eps0})
//                                                    / (1 + e^{eps0})^k,
//     i.e. the hockey-stick divergence of k-fold randomized response, which dominates every
//     (eps0, delta0)-DP mechanism. Evaluated in log space (no overflow for k up to 2^62).
//   * Analytic Gaussian mechanism: Balle & Wang, "Improving the Gaussian Mechanism for
//     Differential Privacy" (ICML 2018), Theorem 8: with noise multiplier s = sigma/Delta_2,
//       delta(eps) = Phi(1/(2s) - eps s) - e^eps Phi(-1/(2s) - eps s)   (exact, tight).
#ifndef DPKIT_ACCOUNTING_COMPOSITION_H_
#define DPKIT_ACCOUNTING_COMPOSITION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/accounting/accountant.h"

namespace dpkit::accounting {

// Sequential composition: (sum eps_i, sum delta_i). Delta is capped at 1.
absl::StatusOr<EpsilonDelta> ComposeSequential(const std::vector<EpsilonDelta>& parts);

// Parallel composition over disjoint partitions of the privacy units: (max eps_i, max delta_i).
// Valid only when every privacy unit's data influences at most one part.
absl::StatusOr<EpsilonDelta> ComposeParallel(const std::vector<EpsilonDelta>& parts);

// Advanced composition of k (eps, delta)-DP mechanisms with slack delta_slack in (0, 1)
// (DRV10 Thm III.3). Returns the tighter of this bound and sequential composition.
absl::StatusOr<EpsilonDelta> ComposeAdvanced(EpsilonDelta per_step, int64_t k, double delta_slack);

// KOV15 optimal composition of k (eps0, delta0)-DP mechanisms: the smallest delta such that
// the composition is (epsilon, delta)-DP for every such family (exact, tight).
absl::StatusOr<double> OptimalCompositionDelta(EpsilonDelta per_step, int64_t k, double epsilon);
// The smallest epsilon >= 0 with OptimalCompositionDelta(epsilon) <= delta; +inf if even
// epsilon = k eps0 needs more than delta (delta < 1 - (1 - delta0)^k).
absl::StatusOr<double> OptimalCompositionEpsilon(EpsilonDelta per_step, int64_t k, double delta);

// Exact delta(epsilon) of the Gaussian mechanism with noise multiplier sigma / Delta_2
// (Balle & Wang 2018). epsilon may be any finite value >= 0.
absl::StatusOr<double> GaussianDelta(double noise_multiplier, double epsilon);
// Smallest epsilon >= 0 with GaussianDelta(epsilon) <= delta; +inf for delta == 0.
absl::StatusOr<double> GaussianEpsilon(double noise_multiplier, double delta);

}  // namespace dpkit::accounting

#endif  // DPKIT_ACCOUNTING_COMPOSITION_H_
