// Randomized response: binary (Warner 1965) and k-ary / generalised randomized response
// (Kairouz, Oh, Viswanath 2014; Wang, Blocki, Li, Jha 2017 "Locally Differentially Private
// Protocols for Frequency Estimation", USENIX Security, "direct encoding"), with unbiased
// frequency estimators.
//
// PRIVACY CLAIM. Each report is epsilon-LOCALLY-DP for the epsilon reported by epsilon()
// (<= requested): for any two true values v, w and any output o,
// P(o | v) <= e^epsilon P(o | w). Neighbouring = one respondent's value replaced. Because the
// randomisation happens per record, a dataset of reports is also epsilon-DP in the central model
// under replace-one neighbours.
//
// MECHANISM. With k categories, report the true value with probability p = e^eps / (e^eps + k -
// 1), otherwise a uniformly random OTHER value (each with probability q = 1 / (e^eps + k - 1)).
// Binary randomized response is k = 2 (keep with probability e^eps / (1 + e^eps)).
//
// EXACTNESS. epsilon is rounded DOWN to a dyadic rational eps_r (<= 52 significant bits) and
// the report is drawn exactly by rejection: propose "keep" with probability 1/k and a uniform
// other value with probability (k-1)/k; accept "keep" always and "other" with probability
// exp(-eps_r). The accepted proposal has exactly the distribution above.
//
// TIMING. The running time depends on neither the true value nor the report (Jin et al., IEEE
// S&P 2022, time the same class of sampler): every attempt does the same work -- one uniform
// draw below k (Lemire's method, threshold fixed by k), one Bernoulli(exp(-eps_r)) trial
// ALWAYS drawn, even when "keep" is proposed (96 random bits against e^-eps_r in 128-bit
// fixed point, computed once in Create), and the report chosen by masks, not branches. Whether
// an attempt is rejected never depends on the true value, and given acceptance the attempt's
// work is the same for "keep" and "other". Exception: a comparison whose 96 random bits fall
// within the fixed-point error of e^-eps_r (probability < 2^-95 per attempt) is finished
// exactly with more bits, in variable time. Counting time as an output, n reports are
// (eps, n eta (1 + e^eps))-DP with eta = 2^-95 times the expected attempts per report,
// k / (1 + (k - 1) e^-eps_r). Tested in mechanisms_timing_test.cc (statistical tier).
//
// ESTIMATION. From n reports with observed count c_v of category v, the unbiased estimate of the
// true count is (c_v - n q) / (p - q), with variance
// (n_v p (1-p) + (n - n_v) q (1-q)) / (p - q)^2 (estimated by plugging in the clamped estimate);
// the reported interval is the normal approximation (Interval::exact = false).
//
// PRIVACY MAP: PrivacyMap::PureDp(epsilon()).
// Thread safety: immutable after Create; Randomize is thread-safe given a thread-safe generator.
#ifndef DPKIT_MECHANISMS_RANDOMIZED_RESPONSE_H_
#define DPKIT_MECHANISMS_RANDOMIZED_RESPONSE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/mechanisms/interval.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/random/samplers.h"

namespace dpkit::mechanisms {

struct RandomizedResponseOptions {
  double epsilon = 0;      // in [2^-40, 2^40]
  int64_t categories = 2;  // k >= 2; 2 = binary randomized response
};

struct FrequencyEstimate {
  double count = 0;     // unbiased estimate of the true count (may be negative or > n)
  double fraction = 0;  // count / n
  double stddev = 0;    // estimated standard deviation of `count`
  Interval interval;    // normal-approximation interval for the true count (exact = false)
};

class RandomizedResponse {
 public:
  static absl::StatusOr<RandomizedResponse> Create(const RandomizedResponseOptions& options);

  // A randomised report of `value` in [0, k); InvalidArgument otherwise.
  absl::StatusOr<int64_t> Randomize(int64_t value, random::BitGenerator& gen) const;
  // Binary convenience (requires k = 2).
  bool RandomizeBit(bool value, random::BitGenerator& gen) const;

  // Unbiased estimates of the true category counts from the observed report counts (one per
  // category, all >= 0); `level` is the interval's confidence level.
  absl::StatusOr<std::vector<FrequencyEstimate>> EstimateFrequencies(
      absl::Span<const int64_t> observed_counts, double level) const;

  PrivacyMap privacy_map() const;
  double epsilon() const;            // eps_r actually used
  double keep_probability() const;   // p
  double other_probability() const;  // q (each other value)
  int64_t categories() const { return options_.categories; }
  const RandomizedResponseOptions& options() const { return options_; }

 private:
  RandomizedResponse(RandomizedResponseOptions options, random::Rational eps,
                     random::uint128 exp_neg_eps)
      : options_(options), eps_(eps), exp_neg_eps_(exp_neg_eps) {}
  RandomizedResponseOptions options_;
  random::Rational eps_;
  random::uint128 exp_neg_eps_;  // e^-eps_r 2^128 in fixed point (random/exp_fixed.h)
};

}  // namespace dpkit::mechanisms

#endif  // DPKIT_MECHANISMS_RANDOMIZED_RESPONSE_H_
