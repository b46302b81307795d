#include "random/fixed_words.h"

#include <cstddef>

namespace dpkit::random::internal {
namespace {

size_t Words(const FixedWords& a) { return a.size() - 1; }

// Unsigned comparison of little-endian word vectors of equal length.
bool LessWords(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  for (size_t i = a.size(); i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i];
  }
  return false;
}

void SubtractInPlace(std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  uint64_t borrow = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const uint128 d = static_cast<uint128>(a[i]) - b[i] - borrow;
    a[i] = static_cast<uint64_t>(d);
    borrow = static_cast<uint64_t>(d >> 127);
  }
}

bool AnyNonZero(const std::vector<uint64_t>& a) {
  for (uint64_t w : a) {
    if (w != 0) return true;
  }
  return false;
}

}  // namespace

FixedWords FixedConstant(int words, uint64_t low_word, uint64_t integer_part) {
  FixedWords r(static_cast<size_t>(words) + 1, 0);
  r[0] = low_word;
  r[static_cast<size_t>(words)] = integer_part;
  return r;
}

FixedWords FixedFromLeadingWords(const std::vector<uint64_t>& leading, int words) {
  FixedWords r(static_cast<size_t>(words) + 1, 0);
  for (int i = 0; i < words; ++i) {
    r[static_cast<size_t>(words - 1 - i)] = leading[static_cast<size_t>(i)];
  }
  return r;
}

FixedWords FixedFromFraction128(uint128 fraction, int words) {
  FixedWords r(static_cast<size_t>(words) + 1, 0);
  r[static_cast<size_t>(words - 1)] = static_cast<uint64_t>(fraction >> 64);
  r[static_cast<size_t>(words - 2)] = static_cast<uint64_t>(fraction);
  return r;
}

bool FixedLess(const FixedWords& a, const FixedWords& b) { return LessWords(a, b); }

void FixedAddInPlace(FixedWords& a, const FixedWords& b) {
  uint64_t carry = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const uint128 s = static_cast<uint128>(a[i]) + b[i] + carry;
    a[i] = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
}

FixedWords FixedSubtractOrZero(const FixedWords& a, const FixedWords& b) {
  if (LessWords(a, b)) return FixedWords(a.size(), 0);
  FixedWords r = a;
  SubtractInPlace(r, b);
  return r;
}

FixedWords FixedMultiply(const FixedWords& a, const FixedWords& b, bool up) {
  const size_t n = a.size(), w = Words(a);
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
  if (up) FixedAddInPlace(r, FixedUlp(static_cast<int>(w)));
  return r;
}

FixedWords FixedMultiplySmall(const FixedWords& a, uint64_t m) {
  FixedWords r(a.size());
  uint64_t carry = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const uint128 p = static_cast<uint128>(a[i]) * m + carry;
    r[i] = static_cast<uint64_t>(p);
    carry = static_cast<uint64_t>(p >> 64);
  }
  return r;
}

FixedWords FixedDivideSmall(const FixedWords& a, uint64_t d, bool up) {
  FixedWords r(a.size());
  uint128 rem = 0;
  for (size_t i = a.size(); i-- > 0;) {
    const uint128 cur = (rem << 64) | a[i];
    r[i] = static_cast<uint64_t>(cur / d);
    rem = cur % d;
  }
  if (up && rem != 0) FixedAddInPlace(r, FixedUlp(static_cast<int>(Words(a))));
  return r;
}

FixedWords FixedDivide(const FixedWords& a, const FixedWords& b, bool up) {
  // floor(A 2^(64 w) / B) for the integers A, B behind a and b, by binary long division.
  const size_t w = Words(a), n = a.size();
  std::vector<uint64_t> divisor(b), rem(n + 1, 0);
  divisor.push_back(0);
  FixedWords q(n, 0);
  const size_t bits = 64 * (n + w);  // numerator: A shifted up by 64 w bits
  for (size_t bit = bits; bit-- > 0;) {
    // rem = 2 rem + (bit of the numerator); the numerator's word j is a[j - w] (zero below w).
    uint64_t carry = 0;
    if (bit >= 64 * w) carry = (a[bit / 64 - w] >> (bit % 64)) & 1;
    for (uint64_t& word : rem) {
      const uint64_t next = word >> 63;
      word = (word << 1) | carry;
      carry = next;
    }
    if (!LessWords(rem, divisor)) {
      SubtractInPlace(rem, divisor);
      if (bit / 64 < n) q[bit / 64] |= uint64_t{1} << (bit % 64);
    }
  }
  if (up && AnyNonZero(rem)) FixedAddInPlace(q, FixedUlp(static_cast<int>(w)));
  return q;
}

bool FixedAtMostUlps(const FixedWords& a, uint64_t ulps) {
  for (size_t i = 1; i < a.size(); ++i) {
    if (a[i] != 0) return false;
  }
  return a[0] <= ulps;
}

uint128 FixedToFraction128(const FixedWords& a, bool up) {
  const size_t w = Words(a);
  uint128 r = (static_cast<uint128>(a[w - 1]) << 64) | a[w - 2];
  bool dropped = false;
  for (size_t i = 0; i + 2 < w; ++i) dropped = dropped || a[i] != 0;
  if (up && dropped) ++r;
  return r;
}

FixedInterval IntervalConstant(int words, uint64_t integer) {
  return {FixedConstant(words, 0, integer), FixedConstant(words, 0, integer)};
}

FixedInterval IntervalSum(FixedInterval a, const FixedInterval& b) {
  FixedAddInPlace(a.lo, b.lo);
  FixedAddInPlace(a.hi, b.hi);
  return a;
}

FixedInterval IntervalDifference(const FixedInterval& a, const FixedInterval& b) {
  return {FixedSubtractOrZero(a.lo, b.hi), FixedSubtractOrZero(a.hi, b.lo)};
}

FixedInterval IntervalProduct(const FixedInterval& a, const FixedInterval& b) {
  return {FixedMultiply(a.lo, b.lo, false), FixedMultiply(a.hi, b.hi, true)};
}

FixedInterval IntervalTimes(const FixedInterval& a, uint64_t m) {
  return {FixedMultiplySmall(a.lo, m), FixedMultiplySmall(a.hi, m)};
}

FixedInterval IntervalReciprocal(const FixedInterval& x) {
  const FixedWords one = FixedConstant(static_cast<int>(Words(x.lo)), 0, 1);
  return {FixedDivide(one, x.hi, false), FixedDivide(one, x.lo, true)};
}

}  // namespace dpkit::random::internal
