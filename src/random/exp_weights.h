// Internal: exact sampling with weights exp(-x_i) for exact dyadic x_i, in time independent of
// the x_i (the selection mechanisms' kernel: exponential mechanism and permute-and-flip).
//
// A weight w = e^-x, x = k + frac / 2^64, is computed by ExpNegFixed (exp_fixed.h) in 128-bit
// fixed point within kExpNegFixedErrorUlps units of 2^-128: the same branch-free code, tables
// read by full scans, for every x. A decision (which candidate a uniform selects, or whether a
// uniform lies below a weight) is taken only when those error bounds decide it for every value
// the uniform's known bits allow; otherwise -- probability below n 2^-100 for the exponential
// mechanism over n <= 2^40 candidates, below 2^-95 per candidate for permute-and-flip -- the
// decision is finished exactly, in variable time, with the multiprecision enclosures of
// exp_exact.h and further random bits. So the samples are exact, and the work depends on the
// x_i only on that event.
#ifndef DPKIT_SRC_RANDOM_EXP_WEIGHTS_H_
#define DPKIT_SRC_RANDOM_EXP_WEIGHTS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "random/bit_pool.h"

namespace dpkit::random::internal {

using uint128 = unsigned __int128;

// An exponent x = k + frac / 2^64, k < 2^62.
struct ExpArg {
  uint64_t k = 0;
  uint64_t frac = 0;
};

// For tests of the exact path: `extra_error_ulps` widens every fast-path error bound (units of
// 2^-128) so that most decisions go to the exact path, and `exact_decisions`, if set, counts
// the decisions taken there. Production code passes the default (no widening).
struct ExactPathProbe {
  uint128 extra_error_ulps = 0;
  int64_t* exact_decisions = nullptr;
};

// Index i with probability e^-x_i / sum_j e^-x_j, by inverting the cumulative weights at one
// 128-bit uniform. Requires 1 <= args.size() <= 2^40 and at least one x_i == 0.
size_t SampleExpWeights(const std::vector<ExpArg>& args, BitPool& pool,
                        const ExactPathProbe& probe = {});

// Independent Bernoulli(e^-x_i) trials for every candidate (all are drawn, 96 random bits
// each); the index of the first success in the given order, args.size() if none.
size_t FirstBernoulliExpSuccess(const std::vector<ExpArg>& args, BitPool& pool,
                                const ExactPathProbe& probe = {});

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_EXP_WEIGHTS_H_
