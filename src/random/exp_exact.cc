#include "random/exp_exact.h"

#include <cstddef>

#include "random/fixed_words.h"

namespace dpkit::random::internal {
namespace {

// Encloses e^-f for a fixed-point f in [0, 1] given exactly: alternating Taylor series, whose
// remainder after the terms below k is at most the k-th term f^k / k!.
ExpNegInterval ExpNegOfFixed(const FixedWords& f, int words) {
  FixedWords even_lo = FixedConstant(words, 0, 1), even_hi = even_lo;
  FixedWords odd_lo(even_lo.size(), 0), odd_hi = odd_lo;
  FixedWords term_lo = even_lo, term_hi = even_lo;
  for (uint64_t k = 1;; ++k) {
    term_lo = FixedDivideSmall(FixedMultiply(term_lo, f, false), k, false);
    term_hi = FixedDivideSmall(FixedMultiply(term_hi, f, true), k, true);
    if (FixedAtMostUlps(term_hi, 4)) break;  // remainder <= term_hi
    FixedAddInPlace(k % 2 == 1 ? odd_lo : even_lo, term_lo);
    FixedAddInPlace(k % 2 == 1 ? odd_hi : even_hi, term_hi);
  }
  ExpNegInterval r;
  r.lo = FixedSubtractOrZero(FixedSubtractOrZero(even_lo, odd_hi), term_hi);
  r.hi = FixedSubtractOrZero(even_hi, odd_lo);
  FixedAddInPlace(r.hi, term_hi);
  return r;
}

// Encloses e^-q for an integer q >= 0 by powering the enclosure of e^-1.
ExpNegInterval ExpNegOfInteger(uint128 q, int words) {
  ExpNegInterval result{FixedConstant(words, 0, 1), FixedConstant(words, 0, 1)};
  // e^-q < 2^(-64 words) once q > 45 words: the interval [0, 1 ulp] holds it.
  if (q > static_cast<uint128>(45) * static_cast<uint128>(words)) {
    return {FixedConstant(words, 0, 0), FixedConstant(words, 1, 0)};
  }
  ExpNegInterval base = ExpNegOfFixed(FixedConstant(words, 0, 1), words);
  for (; q != 0; q >>= 1) {
    if (q & 1) {
      result.lo = FixedMultiply(result.lo, base.lo, false);
      result.hi = FixedMultiply(result.hi, base.hi, true);
    }
    base.lo = FixedMultiply(base.lo, base.lo, false);
    base.hi = FixedMultiply(base.hi, base.hi, true);
  }
  return result;
}

}  // namespace

ExpNegInterval ExpNegBounds(uint128 num, uint128 den, int words) {
  const uint128 q = num / den;
  uint128 rem = num % den;
  // The fraction rem / den rounded down to 64*words bits, one bit at a time (rem < 2^127).
  FixedWords f(static_cast<size_t>(words) + 1, 0);
  for (int bit = 64 * words - 1; bit >= 0; --bit) {
    rem <<= 1;
    if (rem >= den) {
      rem -= den;
      f[static_cast<size_t>(bit / 64)] |= uint64_t{1} << (bit % 64);
    }
  }
  const ExpNegInterval e_int = ExpNegOfInteger(q, words);
  const ExpNegInterval e_frac = ExpNegOfFixed(f, words);
  ExpNegInterval r;
  // The true fraction lies in [f, f + 1 ulp): e^-(f + ulp) >= e^-f - 1 ulp.
  r.lo = FixedSubtractOrZero(FixedMultiply(e_int.lo, e_frac.lo, false), FixedUlp(words));
  r.hi = FixedMultiply(e_int.hi, e_frac.hi, true);
  return r;
}

LazyUniform::LazyUniform(BitPool& pool, uint128 prefix)
    : pool_(pool),
      words_{static_cast<uint64_t>(prefix >> 64), static_cast<uint64_t>(prefix)} {}

uint64_t LazyUniform::Word(size_t i) {
  while (words_.size() <= i) words_.push_back(pool_.Next64());
  return words_[i];
}

FixedWords LazyUniform::Fixed(int words) {
  (void)Word(static_cast<size_t>(words) - 1);
  return FixedFromLeadingWords(words_, words);
}

bool UniformBelowExpNeg(LazyUniform& uniform, uint128 num, uint128 den) {
  for (int words = 4;; words *= 2) {
    const FixedWords u = uniform.Fixed(words);
    const ExpNegInterval e = ExpNegBounds(num, den, words);
    // U lies in [u, u + 1 ulp).
    FixedWords u_next = u;
    FixedAddInPlace(u_next, FixedUlp(words));
    if (!FixedLess(e.lo, u_next)) return true;  // U < u + ulp <= lo <= e^-x
    if (!FixedLess(u, e.hi)) return false;      // U >= u >= hi >= e^-x
  }
}

bool UniformBelowRatio(
    LazyUniform& u, const std::function<void(int words, FixedInterval* num, FixedInterval* den)>& enclose) {
  for (int words = 4;; words *= 2) {
    FixedInterval num, den;
    enclose(words, &num, &den);
    const FixedWords u_lo = u.Fixed(words);
    FixedWords u_hi = u_lo;
    FixedAddInPlace(u_hi, FixedUlp(words));
    // U den < u_hi den_hi <= num_lo <= num: below. U den >= u_lo den_lo >= num_hi: not below.
    if (!FixedLess(num.lo, FixedMultiply(u_hi, den.hi, true))) return true;
    if (!FixedLess(FixedMultiply(u_lo, den.lo, false), num.hi)) return false;
  }
}

bool ExactBernoulliExp(BitPool& pool, uint128 num, uint128 den) {
  return UniformBelowExpNeg(pool, pool.Next128(), num, den);
}

bool UniformBelowExpNeg(BitPool& pool, uint128 prefix, uint128 num, uint128 den) {
  LazyUniform uniform(pool, prefix);
  return UniformBelowExpNeg(uniform, num, den);
}

}  // namespace dpkit::random::internal
