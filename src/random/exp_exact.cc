#include "random/exp_exact.h"

#include <cstddef>

namespace dpkit::random::internal {
namespace {

FixedWords Constant(int words, uint64_t low_word, uint64_t integer_part) {
  FixedWords r(static_cast<size_t>(words) + 1, 0);
  r[0] = low_word;
  r[static_cast<size_t>(words)] = integer_part;
  return r;
}

bool LessThan(const FixedWords& a, const FixedWords& b) {
  for (size_t i = a.size(); i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i];
  }
  return false;
}

void AddInPlace(FixedWords& a, const FixedWords& b) {
  uint64_t carry = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const uint128 s = static_cast<uint128>(a[i]) + b[i] + carry;
    a[i] = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
}

// max(a - b, 0).
FixedWords SubtractOrZero(const FixedWords& a, const FixedWords& b) {
  if (LessThan(a, b)) return FixedWords(a.size(), 0);
  FixedWords r(a.size());
  uint64_t borrow = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const uint128 d = static_cast<uint128>(a[i]) - b[i] - borrow;
    r[i] = static_cast<uint64_t>(d);
    borrow = static_cast<uint64_t>(d >> 127);
  }
  return r;
}

// a * b rounded down (up: plus one unit in the last place). Results must stay below 2^64.
FixedWords Multiply(const FixedWords& a, const FixedWords& b, bool up) {
  const size_t n = a.size(), w = n - 1;
  std::vector<uint64_t> full(2 * n, 0);
  for (size_t i = 0; i < n; ++i) {
    uint64_t carry = 0;
    for (size_t j = 0; j < n; ++j) {
      const uint128 p = static_cast<uint128>(a[i]) * b[j] + full[i + j] + carry;
      full[i + j] = static_cast<uint64_t>(p);
      carry = static_cast<uint64_t>(p >> 64);
    }
    full[i + n] = carry;
  }
  FixedWords r(full.begin() + static_cast<std::ptrdiff_t>(w),
               full.begin() + static_cast<std::ptrdiff_t>(w + n));
  if (up) AddInPlace(r, Constant(static_cast<int>(w), 1, 0));
  return r;
}

// a / d rounded down (up: rounded up), d >= 1.
FixedWords DivideSmall(const FixedWords& a, uint64_t d, bool up) {
  FixedWords r(a.size());
  uint128 rem = 0;
  for (size_t i = a.size(); i-- > 0;) {
    const uint128 cur = (rem << 64) | a[i];
    r[i] = static_cast<uint64_t>(cur / d);
    rem = cur % d;
  }
  if (up && rem != 0) AddInPlace(r, Constant(static_cast<int>(a.size()) - 1, 1, 0));
  return r;
}

bool AtMostUlps(const FixedWords& a, uint64_t ulps) {
  for (size_t i = 1; i < a.size(); ++i) {
    if (a[i] != 0) return false;
  }
  return a[0] <= ulps;
}

// Encloses e^-f for a fixed-point f in [0, 1] given exactly: alternating Taylor series, whose
// remainder after the terms below k is at most the k-th term f^k / k!.
ExpNegInterval ExpNegOfFixed(const FixedWords& f, int words) {
  FixedWords even_lo = Constant(words, 0, 1), even_hi = even_lo;
  FixedWords odd_lo(even_lo.size(), 0), odd_hi = odd_lo;
  FixedWords term_lo = even_lo, term_hi = even_lo;
  for (uint64_t k = 1;; ++k) {
    term_lo = DivideSmall(Multiply(term_lo, f, false), k, false);
    term_hi = DivideSmall(Multiply(term_hi, f, true), k, true);
    if (AtMostUlps(term_hi, 4)) break;  // remainder <= term_hi
    AddInPlace(k % 2 == 1 ? odd_lo : even_lo, term_lo);
    AddInPlace(k % 2 == 1 ? odd_hi : even_hi, term_hi);
  }
  ExpNegInterval r;
  r.lo = SubtractOrZero(SubtractOrZero(even_lo, odd_hi), term_hi);
  r.hi = SubtractOrZero(even_hi, odd_lo);
  AddInPlace(r.hi, term_hi);
  return r;
}

// Encloses e^-q for an integer q >= 0 by powering the enclosure of e^-1.
ExpNegInterval ExpNegOfInteger(uint128 q, int words) {
  ExpNegInterval result{Constant(words, 0, 1), Constant(words, 0, 1)};
  // e^-q < 2^(-64 words) once q > 45 words: the interval [0, 1 ulp] holds it.
  if (q > static_cast<uint128>(45) * static_cast<uint128>(words)) {
    return {Constant(words, 0, 0), Constant(words, 1, 0)};
  }
  ExpNegInterval base = ExpNegOfFixed(Constant(words, 0, 1), words);
  for (; q != 0; q >>= 1) {
    if (q & 1) {
      result.lo = Multiply(result.lo, base.lo, false);
      result.hi = Multiply(result.hi, base.hi, true);
    }
    base.lo = Multiply(base.lo, base.lo, false);
    base.hi = Multiply(base.hi, base.hi, true);
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
  r.lo = SubtractOrZero(Multiply(e_int.lo, e_frac.lo, false), Constant(words, 1, 0));
  r.hi = Multiply(e_int.hi, e_frac.hi, true);
  return r;
}

LazyUniform::LazyUniform(BitPool& pool, uint128 prefix)
    : pool_(pool),
      words_{static_cast<uint64_t>(prefix >> 64), static_cast<uint64_t>(prefix)} {}

uint64_t LazyUniform::Word(size_t i) {
  while (words_.size() <= i) words_.push_back(pool_.Next64());
  return words_[i];
}

bool UniformBelowExpNeg(LazyUniform& uniform, uint128 num, uint128 den) {
  for (int words = 4;; words *= 2) {
    FixedWords u(static_cast<size_t>(words) + 1, 0);
    for (int i = 0; i < words; ++i) {
      u[static_cast<size_t>(words - 1 - i)] = uniform.Word(static_cast<size_t>(i));
    }
    const ExpNegInterval e = ExpNegBounds(num, den, words);
    // U lies in [u, u + 1 ulp).
    FixedWords u_next = u;
    AddInPlace(u_next, Constant(words, 1, 0));
    if (!LessThan(e.lo, u_next)) return true;  // U < u + ulp <= lo <= e^-x
    if (!LessThan(u, e.hi)) return false;      // U >= u >= hi >= e^-x
  }
}

bool UniformBelowExpNeg(BitPool& pool, uint128 prefix, uint128 num, uint128 den) {
  LazyUniform uniform(pool, prefix);
  return UniformBelowExpNeg(uniform, num, den);
}

}  // namespace dpkit::random::internal
