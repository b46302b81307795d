// Internal: the constant-time building blocks of the default samplers (see samplers.h,
// "Running time"). Each function's work is fixed by its public parameters; the only branches on
// secret values lead either to rejection (a fresh attempt, whose count is independent of the
// value finally returned) or to the exact multiprecision fallback of exp_exact.h, taken with
// the probability stated in each comment.
#ifndef DPKIT_SRC_RANDOM_TIMING_SAFE_H_
#define DPKIT_SRC_RANDOM_TIMING_SAFE_H_

#include <cstdint>

#include "random/bit_pool.h"

namespace dpkit::random::internal {

using uint128 = unsigned __int128;

// Uniform in [0, n) for a public n >= 1: Lemire's multiply-and-reject on 32 random bits
// (n < 2^32) or 64, with the rejection threshold (2^32 or 2^64 mod n) computed once, so an
// accepted draw costs one draw and one multiply whatever its value.
struct UniformBelow {
  explicit UniformBelow(uint64_t n);
  uint64_t operator()(BitPool& pool) const;
  uint64_t n, threshold;
};

// Exact Bernoulli(exp(-x)) where x = num / den exactly (den < 2^127) and
// q + frac / 2^128 approximates x within `input_error_ulps` units of 2^-128: 96 random bits are
// compared with the fixed-point e^-x. Constant time except with probability
// < (2^32 + 2 (kExpNegFixedErrorUlps + input_error_ulps)) 2^-128 < 2^-95, when the exact
// fallback (exp_exact.h) decides with further bits; `exact_count`, if given, counts those.
bool BernoulliExpNeg(BitPool& pool, uint64_t q, uint128 frac, uint128 input_error_ulps,
                     uint128 num, uint128 den, int64_t* exact_count = nullptr);
// The same decision given `approx`, an approximation of e^-(num/den) 2^128 within
// `error_ulps` units.
bool BernoulliBelow(BitPool& pool, uint128 approx, uint128 error_ulps, uint128 num, uint128 den,
                    int64_t* exact_count = nullptr);

// x = num / den for a public den in [1, 2^127) and num < 2^128, as an integer part clamped to
// 128 and a fraction in units of 2^-128, within 260 units (relative error < 2^-127).
struct QuotientOf {
  explicit QuotientOf(uint128 den);
  void operator()(uint128 num, uint64_t* q, uint128* frac) const;
  uint128 reciprocal;  // floor((2^(127 + bits) - 1) / den), in [2^127, 2^128)
  int shift;           // bits - 1, where 2^(bits - 1) <= den < 2^bits
};
inline constexpr uint64_t kQuotientErrorUlps = 260;

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_TIMING_SAFE_H_
