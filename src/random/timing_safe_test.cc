// Unit tests of the constant-time building blocks: each fast fixed-point routine is checked
// against an exact reference (long division by bits, or the multiprecision enclosure of e^-x).
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"
#include "random/bit_pool.h"
#include "random/ct.h"
#include "random/exp_exact.h"
#include "random/exp_fixed.h"
#include "random/scripted_generator.h"
#include "random/timing_safe.h"

namespace dpkit::random::internal {
namespace {
using ct::U128;
#include "random/sampler_tables.inc"

// floor(num * 2^128 / den) mod 2^128 and floor(num / den), by long division (reference).
void ReferenceQuotient(uint128 num, uint128 den, uint128* q, uint128* frac) {
  *q = num / den;
  uint128 rem = num % den, f = 0;
  for (int i = 0; i < 128; ++i) {
    rem <<= 1;
    f <<= 1;
    if (rem >= den) {
      rem -= den;
      f |= 1;
    }
  }
  *frac = f;
}

uint128 AbsDiff(uint128 a, uint128 b) { return a > b ? a - b : b - a; }

// An enclosure of e^-x * 2^128, from the 4-word one.
void Enclose(uint128 num, uint128 den, uint128* lo, uint128* hi) {
  // 1.0 (x = 0) saturates to 2^128 - 1, as in ExpNegFixed.
  const ExpNegInterval e = ExpNegBounds(num, den, 4);
  *lo = e.lo[4] != 0 ? ~uint128{0} : U128(e.lo[3], e.lo[2]);
  *hi = e.hi[4] != 0 ? ~uint128{0} : U128(e.hi[3], e.hi[2]) + 1;  // rounded up
}

TEST(ExpExactTest, EnclosesTheGeneratedTable) {
  for (uint64_t k = 1; k < 89; ++k) {
    const ExpNegInterval e = ExpNegBounds(k, 1, 2);
    const uint128 lo = U128(e.lo[1], e.lo[0]), hi = U128(e.hi[1], e.hi[0]);
    // The table holds floor(e^-k 2^128); e^-k 2^128 is irrational.
    EXPECT_LE(lo, kExpNegInteger[k]) << k;
    EXPECT_GT(hi, kExpNegInteger[k]) << k;
    EXPECT_LT(hi - lo, 256u) << k;
  }
}

TEST(ExpExactTest, ComparisonFarFromTheBoundaryNeedsNoMoreBits) {
  testing::SeededRng rng(1);
  BitPool pool(rng);
  for (uint64_t k = 1; k < 60; ++k) {
    EXPECT_TRUE(UniformBelowExpNeg(pool, kExpNegInteger[k] - 1, k, 1));
    EXPECT_FALSE(UniformBelowExpNeg(pool, kExpNegInteger[k] + 1, k, 1));
    EXPECT_TRUE(UniformBelowExpNeg(pool, 0, 0, 7));  // e^0 = 1
  }
}

TEST(ExpExactTest, TieIsResolvedByTheNextBits) {
  // prefix == floor(e^-1 2^128): the answer is decided by the next 128 bits of the uniform
  // against the next 128 bits of e^-1.
  for (uint64_t seed = 0; seed < 50; ++seed) {
    testing::SeededRng rng(seed), copy(seed);
    BitPool pool(rng), peek(copy);
    const uint128 next = peek.Next128();
    const ExpNegInterval e = ExpNegBounds(1, 1, 4);
    const uint128 e_next = U128(e.lo[1], e.lo[0]);
    ASSERT_EQ(U128(e.lo[3], e.lo[2]), kExpNegInteger[1]);
    if (next == e_next) continue;  // would need a third word (probability 2^-128)
    EXPECT_EQ(UniformBelowExpNeg(pool, kExpNegInteger[1], 1, 1), next < e_next) << seed;
  }
}

TEST(ExpFixedTest, WithinTheStatedErrorEverywhere) {
  testing::SeededRng rng(2);
  uint128 worst = 0;
  for (int i = 0; i < 20000; ++i) {
    // x = num / 2^120 with q = floor(x) in [0, 130].
    const uint64_t q = rng.NextU64() % 131;
    uint128 f = (static_cast<uint128>(rng.NextU64()) << 64 | rng.NextU64()) >> 8;
    if (i % 7 == 0) f = 0;
    if (i % 11 == 0) f = (uint128{1} << 120) - 1;
    const uint128 num = (static_cast<uint128>(q) << 120) | f;
    const uint128 got = ExpNegFixed(q, f << 8);
    uint128 lo, hi;
    Enclose(num, uint128{1} << 120, &lo, &hi);
    const uint128 err = got < lo ? lo - got : (got > hi ? got - hi : 0);
    worst = std::max(worst, err);
    ASSERT_LE(err, kExpNegFixedErrorUlps) << "q=" << q << " i=" << i;
  }
  RecordProperty("worst_error_ulps", static_cast<int>(worst));
}

TEST(QuotientOfTest, MatchesLongDivision) {
  testing::SeededRng rng(3);
  for (int i = 0; i < 20000; ++i) {
    const int den_bits = 1 + static_cast<int>(rng.NextU64() % 126);
    uint128 den = (static_cast<uint128>(rng.NextU64()) << 64 | rng.NextU64()) >> (128 - den_bits);
    den |= uint128{1} << (den_bits - 1);
    if (i % 5 == 0) den = uint128{1} << (den_bits - 1);  // powers of two
    // num up to 200 den so that q covers the clamp at 128.
    const uint128 num = den * (rng.NextU64() % 200) + (den > 1 ? (rng.NextU64() % den) : 0);
    if (num / den > 10 && den_bits > 120) continue;  // would overflow the test's num
    QuotientOf quotient(den);
    uint64_t q;
    uint128 frac, q_ref, frac_ref;
    quotient(num, &q, &frac);
    ReferenceQuotient(num, den, &q_ref, &frac_ref);
    if (q_ref >= 128) {
      // Clamped: the result only needs to say "at least 128" (or 127.999...).
      EXPECT_GE(q, 127u);
      continue;
    }
    const uint128 exact = (q_ref << 64 << 64) | frac_ref;  // wraps: compare within q range
    const uint128 got = (static_cast<uint128>(q) << 64 << 64) | frac;
    if (q == q_ref) {
      EXPECT_LE(AbsDiff(frac, frac_ref), kQuotientErrorUlps) << i;
    } else {
      EXPECT_EQ(q + 1, q_ref) << i;
      EXPECT_LE(~frac + 1 + frac_ref, kQuotientErrorUlps) << i;  // frac just below 2^128
    }
    (void)exact;
    (void)got;
  }
}

// U's 256-bit expansion for the words a 96-bit draw, then a 32-bit and a 128-bit extension take:
// Next64 -> w0; Bits(32) -> low half of w1; the fallback's Bits(32) -> high half of w1.
uint128 SecondWord(uint64_t w1) { return (w1 << 32) | (w1 >> 32); }

TEST(BernoulliBelowTest, AmbiguousDrawIsDecidedExactlyByLaterBits) {
  const ExpNegInterval e = ExpNegBounds(1, 1, 4);  // e^-1, 256 bits
  ASSERT_EQ(e.lo[3], e.hi[3]);
  ASSERT_EQ(e.lo[2], e.hi[2]);
  // U's first 128 bits equal e^-1's: only the third word decides.
  const uint64_t w0 = e.lo[3];
  const uint64_t w1 = (e.lo[2] >> 32) | (e.lo[2] << 32);
  ASSERT_EQ(SecondWord(w1), e.lo[2]);
  for (int delta : {-1, +1}) {
    ScriptedGenerator gen({w0, w1, e.lo[1] + static_cast<uint64_t>(delta), 0, 0, 0, 0, 0});
    BitPool pool(gen);
    EXPECT_EQ(BernoulliExpNeg(pool, 1, 0, 0, 1, 1), delta < 0) << delta;
  }
}

TEST(UniformBelowTest, InRange) {
  testing::SeededRng rng(6);
  BitPool pool(rng);
  for (uint64_t n : {uint64_t{1}, uint64_t{11}, (uint64_t{1} << 63) + 5}) {
    UniformBelow uniform(n);
    for (int i = 0; i < 1000; ++i) EXPECT_LT(uniform(pool), n);
  }
}

}  // namespace
}  // namespace dpkit::random::internal
