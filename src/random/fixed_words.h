// Internal: multiword fixed-point numbers with directed rounding, for the exact (variable-time)
// paths of the samplers: enclosures of e^-x, of sums of such terms and of their quotients, to
// any precision.
//
// A FixedWords with `words` fraction words holds words + 1 little-endian 64-bit words:
// value = sum_i w[i] 2^(64 (i - words)) (the last word is the integer part). Operations on two
// numbers require the same number of words. Rounding is explicit: functions named ...Down /
// ...Up or taking `up` round towards -inf / +inf, so chains of them give rigorous enclosures.
// Not constant time: only for events of negligible probability.
#ifndef DPKIT_SRC_RANDOM_FIXED_WORDS_H_
#define DPKIT_SRC_RANDOM_FIXED_WORDS_H_

#include <cstdint>
#include <vector>

namespace dpkit::random::internal {

using uint128 = unsigned __int128;
using FixedWords = std::vector<uint64_t>;

// integer_part + low_word 2^(-64 words).
FixedWords FixedConstant(int words, uint64_t low_word, uint64_t integer_part);
// One unit in the last place.
inline FixedWords FixedUlp(int words) { return FixedConstant(words, 1, 0); }
// The fraction words of a uniform in [0, 1) given by its leading 64-bit words (most significant
// first; `leading` must hold at least `words` of them).
FixedWords FixedFromLeadingWords(const std::vector<uint64_t>& leading, int words);
// The 128-bit fraction (units of 2^-128) scaled to `words` >= 2 fraction words.
FixedWords FixedFromFraction128(uint128 fraction, int words);

bool FixedLess(const FixedWords& a, const FixedWords& b);
void FixedAddInPlace(FixedWords& a, const FixedWords& b);
// max(a - b, 0).
FixedWords FixedSubtractOrZero(const FixedWords& a, const FixedWords& b);
// a * b rounded down (up: rounded up). The integer part of the result must fit one word.
FixedWords FixedMultiply(const FixedWords& a, const FixedWords& b, bool up);
// a * m for a small integer m (the integer part must fit one word); exact.
FixedWords FixedMultiplySmall(const FixedWords& a, uint64_t m);
// a / d rounded down (up: rounded up), d >= 1.
FixedWords FixedDivideSmall(const FixedWords& a, uint64_t d, bool up);
// a / b rounded down (up: rounded up), b > 0, result < 2^64.
FixedWords FixedDivide(const FixedWords& a, const FixedWords& b, bool up);
// True if a <= ulps units in the last place.
bool FixedAtMostUlps(const FixedWords& a, uint64_t ulps);
// floor(a 2^128) (up: ceil) as a 128-bit integer, for 0 <= a < 1 (up: a <= 1 - 2^-128).
uint128 FixedToFraction128(const FixedWords& a, bool up);

// An enclosure lo <= x <= hi, and interval arithmetic on enclosures of non-negative reals.
struct FixedInterval {
  FixedWords lo, hi;
};
FixedInterval IntervalConstant(int words, uint64_t integer);
FixedInterval IntervalSum(FixedInterval a, const FixedInterval& b);
FixedInterval IntervalDifference(const FixedInterval& a, const FixedInterval& b);  // a >= b
FixedInterval IntervalProduct(const FixedInterval& a, const FixedInterval& b);
FixedInterval IntervalTimes(const FixedInterval& a, uint64_t m);
FixedInterval IntervalReciprocal(const FixedInterval& x);  // x > 0

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_FIXED_WORDS_H_
