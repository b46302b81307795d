// Private: exact sampling with weights exp(-x) for exact dyadic x, by rigorous interval
// arithmetic on fixed-point numbers (used by the selection mechanisms).
//
// A weight w = exp(-x), x = k + f (integer k >= 0, f = F / 2^64 in [0, 1)), is enclosed in
// [w - E, w + E] with w a multiple of 2^-P (P = 64 (limbs - 1) fraction bits) and E a public
// error bound (in units of 2^-P) derived once per precision:
//   exp(-f): Horner evaluation of sum_j (-f)^j / j! (constants floor(2^P / j!) from exact
//            integer divisions; every rounding and the truncated tail counted in E);
//   exp(-k): product of lower bounds of exp(-2^b) over the bits of k (exp(-1) =
//            exp(-1/2)^2, then squaring), errors counted in E;
//   k beyond (P + 2) ln 2 gives [0, 2^-P].
// With the default 3 limbs, E ~ 2^17 units: enclosures are ~2^-110 wide.
// A uniform U in [0, 1) is known through its first u_bits bits V: U in [V, V + 2^-u_bits).
// Sampling decisions are taken only when the enclosures decide them for every U in that range
// and every weight in its interval, so they are exactly those of the exact weights; otherwise
// (probability ~ n 2^-109 with the default precision) U is extended by 64 fresh bits, the
// precision by 128 bits, and the decision is retried: the result is exact.
//
// Work: with the default precision the first attempt does a fixed amount of branch-free
// arithmetic per candidate (a fixed number of Horner steps and multiplications on 3-limb
// numbers; comparisons and selections by masks), independent of the weights; only the
// refinement (probability ~ n 2^-109) takes time that depends on them.
#ifndef DPKIT_SRC_MECHANISMS_EXACT_EXP_H_
#define DPKIT_SRC_MECHANISMS_EXACT_EXP_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dpkit/random/bit_generator.h"

namespace dpkit::mechanisms::internal {

// An exponent x = k + frac / 2^64.
struct ExpArg {
  uint64_t k = 0;
  uint64_t frac = 0;
};

// Little-endian limbs; value = limbs / 2^(64 (size - 1)) (the top limb is the integer part).
using Fixed = std::vector<uint64_t>;

struct Enclosure {
  Fixed lo, hi;
};

// Encloses exp(-x) with `limbs` limbs (>= 2). Deterministic, branch-free in x.
Enclosure ExpNeg(const ExpArg& x, int limbs);

// Precision of the first attempt (can be lowered by tests to exercise the refinement path).
struct ExactSamplingPrecision {
  int limbs = 3;     // 128 fraction bits (enclosure width ~2^-110)
  int u_bits = 128;  // bits of each uniform drawn up front
};

// Index i with probability exp(-x_i) / sum_j exp(-x_j). Requires at least one x_i == 0 (so the
// total weight is >= 1) and size <= 2^40. `refinements` (optional) counts refinement rounds.
size_t SampleExpWeights(const std::vector<ExpArg>& args, random::BitGenerator& gen,
                        const ExactSamplingPrecision& precision = {},
                        int64_t* refinements = nullptr);

// Bernoulli(exp(-x)) for each x in `args`, drawn independently; returns the index of the first
// success in the given order (args.size() if none). Always draws for every candidate.
size_t FirstBernoulliExpSuccess(const std::vector<ExpArg>& args, random::BitGenerator& gen,
                                const ExactSamplingPrecision& precision = {},
                                int64_t* refinements = nullptr);

// Test helper: the enclosure as doubles (lo rounded down, hi rounded up to double).
void EnclosureToDoubles(const Enclosure& e, double* lo, double* hi);

}  // namespace dpkit::mechanisms::internal

#endif  // DPKIT_SRC_MECHANISMS_EXACT_EXP_H_
