// The exponential mechanism for candidates whose scores are expensive to compute (AIM's
// marginal-selection step): exactly the exponential mechanism's output distribution, but a
// candidate's score is computed only when the sampler needs it.
//
// PRIVACY CLAIM. Given scores u_1..u_n, each changing by at most `sensitivity` between
// neighbouring datasets, Select() returns i with probability proportional to
// exp(eps' u_i / (2 sensitivity)) — the exponential mechanism (McSherry & Talwar 2007) — so it
// is eps'-DP (pure), with eps' = epsilon() = max(epsilon - 2^-38, epsilon / 2) <= epsilon (the
// slack absorbs the rounding of exponents UP to the 2^-40 grid, which only lowers weights
// relative to the best candidate). As a bounded-range mechanism it is also eps'^2/8-zCDP
// (Cesar & Rogers 2021, Lemma 3.2), which is what MST/AIM charge.
//
// HOW. Candidates are visited in decreasing order of a caller-supplied valid upper bound on their
// score until the best exact score found is >= every remaining bound (so the exact maximum u* is
// known); then rejection sampling proposes a candidate uniformly and accepts in two exact stages,
// Bernoulli(exp(-c (u* - bound_i))) and Bernoulli(exp(-c (bound_i - u_i))), c = eps'/(2 Delta),
// whose product is the EM acceptance probability; only candidates passing the first stage need
// their exact score. Each Bernoulli(exp(-x)) is exact, on exponents rounded up to the 2^-40
// grid, and takes the same time for every x (random/timing_safe.h: x as a 128-bit fixed-point
// number, e^-x by the samplers' branch-free fixed-point exponential, 96 random bits compared
// with it; only when they fall within its error, probability < 2^-95 per trial, is the trial
// finished exactly in variable time).
//
// TIMING. Unlike SelectionMechanism (selection.h), the work done depends on the scores BY
// DESIGN: which candidates get scored (in decreasing order of their bounds, until the maximum is
// known, then those whose first-stage trial succeeds) and how many proposals are made (on
// average n / sum_i exp(-c (u* - u_i)), a function of the scores). What no longer leaks is
// each trial's exponent: a trial costs the same whatever its x and its outcome (it used to run
// CKS20's loop, whose length grows with x), so a timer learns the number of trials, not their
// gaps. Use it only where the running time of the whole computation is not treated as a
// protected channel (docs/privacy-model.md).
//
// Thread safety: immutable; Select is thread-safe if `score`/`prefetch` are.
#ifndef DPKIT_MECHANISMS_LAZY_EXPONENTIAL_H_
#define DPKIT_MECHANISMS_LAZY_EXPONENTIAL_H_

#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::mechanisms {

class NoiseFactory;

struct LazyExponentialOptions {
  double epsilon = 0;      // > 0, finite
  double sensitivity = 0;  // of every score, > 0, finite
};

class LazyExponentialMechanism {
 public:
  using ScoreFn = std::function<absl::StatusOr<double>(int candidate)>;
  // Called with batches of candidates about to be scored (to compute them in parallel).
  using PrefetchFn = std::function<absl::Status(const std::vector<int>& candidates)>;

  static absl::StatusOr<LazyExponentialMechanism> Create(const LazyExponentialOptions& options);

  // `upper[i]` must bound candidate i's score (Internal error if a score exceeds it). Under
  // testing::ZeroNoise() it returns the best candidate (every score computed).
  absl::StatusOr<int> Select(const std::vector<double>& upper, const ScoreFn& score,
                             const PrefetchFn& prefetch, random::BitGenerator& gen) const;
  // Dense scores.
  absl::StatusOr<int> Select(const std::vector<double>& scores, random::BitGenerator& gen) const;

  double epsilon() const;  // eps' actually achieved
  PrivacyMap privacy_map() const;

 private:
  friend class NoiseFactory;
  explicit LazyExponentialMechanism(LazyExponentialOptions options) : options_(options) {}
  LazyExponentialOptions options_;
  bool deterministic_ = false;  // testing::ZeroNoise(): argmax
};

}  // namespace dpkit::mechanisms

#endif  // DPKIT_MECHANISMS_LAZY_EXPONENTIAL_H_
