// Internal: exact comparison of a uniform real with e^-x, for rational x, in multiprecision.
//
// The constant-time samplers compare 96 or 128 random bits with a 128-bit approximation of a
// probability and can decide almost always; when the random bits fall within the
// approximation's error (probability < 2^-95 per comparison), they call this to finish the
// comparison exactly: the probability is enclosed in an interval of 256, 512, 1024, ... bits
// (fixed-point interval arithmetic on the Taylor series of e^-x, every rounding directed
// outwards), and further random bits of the same uniform are drawn until they fall outside
// it. This keeps the samplers' output distribution exact. It runs in variable time, which is
// why it is reserved for that rare event.
#ifndef DPKIT_SRC_RANDOM_EXP_EXACT_H_
#define DPKIT_SRC_RANDOM_EXP_EXACT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "random/bit_pool.h"
#include "random/fixed_words.h"

namespace dpkit::random::internal {

using ExpNegInterval = FixedInterval;
// Encloses e^-(num/den) with 64*words fraction bits; den in [1, 2^127), words >= 2.
ExpNegInterval ExpNegBounds(uint128 num, uint128 den, int words);

// A uniform real U in [0, 1) known by its leading 64-bit words; further words are drawn from
// the pool when a comparison needs them, and kept, so several comparisons see the same U.
class LazyUniform {
 public:
  LazyUniform(BitPool& pool, uint128 prefix);
  // Word i of U's binary expansion (i = 0 is the most significant).
  uint64_t Word(size_t i);
  // U rounded down to `words` fraction words (U lies in [Fixed(words), Fixed(words) + 1 ulp)).
  FixedWords Fixed(int words);

 private:
  BitPool& pool_;
  std::vector<uint64_t> words_;
};

// Exactly whether U < e^-(num/den).
bool UniformBelowExpNeg(LazyUniform& u, uint128 num, uint128 den);
// Exactly whether U < num / den for positive reals whose enclosures at `words` fraction words
// enclose(words, &num, &den) computes (words = 4, 8, 16, ... until U's bits decide).
bool UniformBelowRatio(
    LazyUniform& u,
    const std::function<void(int words, FixedInterval* num, FixedInterval* den)>& enclose);
// Exact Bernoulli(e^-(num/den)) from a fresh uniform, in variable time (for rare events only).
bool ExactBernoulliExp(BitPool& pool, uint128 num, uint128 den);
// The same for a uniform whose first 128 bits are `prefix`, used for one comparison only.
bool UniformBelowExpNeg(BitPool& pool, uint128 prefix, uint128 num, uint128 den);

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_EXP_EXACT_H_
