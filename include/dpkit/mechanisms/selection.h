// Private selection: the exponential mechanism, permute-and-flip and report-noisy-max, sampled
// exactly and in time that does not depend on the (secret) scores.
//
// PRIVACY CLAIM. Given scores u_1..u_n where each u_i(D) changes by at most `sensitivity`
// between neighbouring datasets, Select() is epsilon-DP (pure) for the epsilon reported by
// epsilon() (<= requested). With `monotonic` (all scores move in the same direction between
// neighbours, e.g. counts under add/remove) the same epsilon is reached with half the noise.
//
// MECHANISMS (SelectionKind):
//   kExponential         P(i) proportional to exp(eps u_i / (2 Delta)) (McSherry & Talwar 2007;
//                        eps u_i / Delta when monotonic).
//   kPermuteAndFlip      visit candidates in uniformly random order; accept candidate i with
//                        probability exp(eps (u_i - u*) / (2 Delta)), u* = max; return the first
//                        accepted (McKenna & Sheldon 2020, "Permute-and-Flip", NeurIPS). Never
//                        worse than the exponential mechanism in expected score.
//   kReportNoisyMaxGumbel       argmax_i u_i + Gumbel(2 Delta / eps). Its output distribution is
//                        exactly the exponential mechanism's (the Gumbel-max trick; see Ding,
//                        Kifer, et al. 2021 "The Permute-and-Flip Mechanism is Identical to
//                        Report-Noisy-Max with Exponential Noise", arXiv:2105.07260), so it is
//                        IMPLEMENTED AS kExponential.
//   kReportNoisyMaxExponential  argmax_i u_i + Exponential(2 Delta / eps). Ding et al. 2021 prove
//                        it is identical in distribution to permute-and-flip, so it is
//                        IMPLEMENTED AS kPermuteAndFlip.
//
// EXACTNESS. No floating-point logs or exps touch the sampling:
//   1. Scores are rounded to the grid gamma = 2^(floor(log2 Delta) - 20) (round half up, an
//      exact operation); in grid units the sensitivity is D_g = ceil(Delta / gamma) exactly
//      (rounding is monotone and commutes with grid shifts). Each score moves by at most
//      gamma/2 <= Delta 2^-21.
//   2. The coefficient c = eps / (2 D_g) (eps / D_g when monotonic) is rounded DOWN to a dyadic
//      rational num/2^k (k <= 62, ~40 significant bits), so the epsilon used, c * 2 D_g, is
//      <= the requested one; epsilon() reports it.
//   3. Candidate i has the exact dyadic exponent x_i = c * (u*_g - u_i,g) and weight exp(-x_i).
//      Gaps are capped at x_i <= 2^20: that is the same mechanism on the scores
//      max(u_i, u* - 2^20 * 2 Delta / eps), which have the same sensitivity (a max of
//      sensitivity-Delta functions), so the claim stays exact; the capped weights are below
//      exp(-2^20) and no realistic run can tell the difference.
//   4. Weights are computed in 128-bit fixed point by the samplers' branch-free exponential
//      (random/exp_fixed.h: x log2 e split into a shift and a fraction, two 16-entry tables read
//      by full scans, a fixed-degree polynomial) with a proven error bound of 128 units of
//      2^-128. The exponential mechanism inverts the cumulative weights at one 128-bit uniform
//      U; permute-and-flip compares 96 random bits per candidate with its weight. A decision is
//      taken only when the error bounds decide it for every value the uniform's known bits
//      allow; otherwise (probability < n 2^-100 for the exponential mechanism, < 2^-95 per
//      candidate for permute-and-flip) it is finished exactly with multiprecision enclosures of
//      the weights (random/exp_exact.h) and further random bits. The result is an exact sample
//      (random/exp_weights.h).
//   Scores must be finite; scores beyond +-2^120 gamma are clamped (1-Lipschitz, so privacy is
//   unaffected).
//
// TIMING. The scores are secret, so the work done does not depend on them: scores are rounded
// to the grid and converted to integers without branches (grid.h), the maximum and the capped
// gaps are taken with branch-free comparisons, every candidate's weight is computed by the same
// straight-line code, permute-and-flip draws a uniformly random permutation (work depends only
// on n) and a Bernoulli trial for EVERY candidate (the first success is recorded with masks),
// and the exponential mechanism draws one 128-bit uniform and scans all n cumulative weights.
// Only the exact path of step 4 (the probabilities above) takes time that depends on the
// scores: counting time as an output, a selection is (eps, eta (1 + e^eps))-DP with
// eta < n 2^-95. The random-word count is a function of n alone (tested in
// mechanisms_statistical_test.cc). Not covered: a cache-timing observer who recovers the
// random permutation of permute-and-flip from its memory accesses (it learns which candidates
// were visited before the winner). Cost: O(n), about one exponential (~20 ns) per candidate
// (see docs/benchmarks.md).
//
// PRIVACY MAP: PrivacyMap::PureDp(epsilon()).
// Thread safety: immutable after Create; Select is thread-safe given a thread-safe generator.
#ifndef DPKIT_MECHANISMS_SELECTION_H_
#define DPKIT_MECHANISMS_SELECTION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::mechanisms {

enum class SelectionKind {
  kExponential,
  kPermuteAndFlip,
  kReportNoisyMaxGumbel,
  kReportNoisyMaxExponential,
};

// "exponential", "permute_and_flip", "report_noisy_max_gumbel", "report_noisy_max_exponential".
const char* SelectionKindName(SelectionKind kind);
absl::StatusOr<SelectionKind> ParseSelectionKind(const std::string& name);

struct SelectionOptions {
  SelectionKind kind = SelectionKind::kExponential;
  double epsilon = 0;      // in [2^-40, 2^40]
  double sensitivity = 0;  // of every score, > 0 finite
  bool monotonic = false;
};

class SelectionMechanism {
 public:
  static absl::StatusOr<SelectionMechanism> Create(const SelectionOptions& options);

  // Index of the selected candidate. InvalidArgument for no candidates or a NaN/inf score
  // (naming its index).
  absl::StatusOr<size_t> Select(absl::Span<const double> scores, random::BitGenerator& gen) const;

  PrivacyMap privacy_map() const;
  double epsilon() const;  // actual (epsilon rounded down to a dyadic rational)
  // The algorithm that actually runs (kExponential or kPermuteAndFlip; see identities above).
  SelectionKind implementation() const;
  const SelectionOptions& options() const { return options_; }

 private:
  SelectionMechanism(SelectionOptions options, int grid_exponent, int64_t grid_sensitivity,
                     uint64_t coef_num, uint64_t coef_den)
      : options_(options),
        grid_exponent_(grid_exponent),
        grid_sensitivity_(grid_sensitivity),
        coef_num_(coef_num),
        coef_den_(coef_den) {}
  SelectionOptions options_;
  int grid_exponent_;         // gamma = 2^grid_exponent_
  int64_t grid_sensitivity_;  // D_g
  // Exponent of candidate i = coef_num_ * gap_i / coef_den_, gap in grid units.
  uint64_t coef_num_, coef_den_;
};

}  // namespace dpkit::mechanisms

#endif  // DPKIT_MECHANISMS_SELECTION_H_
