// Unit tests of the exact exp-weight samplers (exp_weights.h) and of the multiword arithmetic
// behind their exact path (fixed_words.h).
#include "random/exp_weights.h"

#include <cstdint>
#include <vector>

#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"
#include "random/bit_pool.h"
#include "random/fixed_words.h"

namespace dpkit::random::internal {
namespace {

// Wide enough that almost every decision falls to the exact path.
constexpr uint128 kForceExact = ~uint128{0} - 1024;

TEST(ExpWeightsTest, DominantCandidateIsAlwaysChosen) {
  testing::SeededRng rng(2);
  BitPool pool(rng);
  const std::vector<ExpArg> args = {{5000, 0}, {0, 0}, {4000, 17}};
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(SampleExpWeights(args, pool), 1u);
    EXPECT_EQ(FirstBernoulliExpSuccess(args, pool), 1u);
  }
}

// The exact path decides the same inversion as the fast path: with the same random bits both
// must select the same candidate (the fast path only ever decides what the bits determine).
TEST(ExpWeightsTest, ExactPathAgreesWithFastPathOnTheSameUniform) {
  testing::SeededRng args_rng(3);
  int64_t exact = 0, unforced_exact = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<ExpArg> args(1 + trial % 7);
    for (auto& a : args) a = {args_rng.NextU64() % 4, args_rng.NextU64()};
    args[trial % args.size()] = {0, 0};
    testing::SeededRng a(1000 + trial), b(1000 + trial);
    BitPool pool_a(a), pool_b(b);
    const size_t fast = SampleExpWeights(args, pool_a, {.exact_decisions = &unforced_exact});
    const size_t slow = SampleExpWeights(args, pool_b, {.extra_error_ulps = kForceExact,
                                                        .exact_decisions = &exact});
    EXPECT_EQ(fast, slow) << "trial " << trial;
  }
  EXPECT_EQ(exact, 300);
  EXPECT_EQ(unforced_exact, 0);  // probability < 2^-100 each
}

TEST(ExpWeightsTest, ExactPathIsTakenWhenForcedAndStaysValid) {
  testing::SeededRng rng(4);
  BitPool pool(rng);
  const std::vector<ExpArg> args = {{1, 0}, {0, uint64_t{1} << 63}, {0, 0}};
  int64_t exact = 0;
  const ExactPathProbe probe{.extra_error_ulps = kForceExact, .exact_decisions = &exact};
  for (int i = 0; i < 2000; ++i) {
    EXPECT_LT(SampleExpWeights(args, pool, probe), args.size());
    // The last candidate has weight 1, so some candidate always succeeds.
    EXPECT_LT(FirstBernoulliExpSuccess(args, pool, probe), args.size());
  }
  EXPECT_GT(exact, 7500);  // 4 decisions per iteration
}

// The same value with twice the fraction words (products of widened numbers are exact).
FixedWords Widen(const FixedWords& a) {
  const size_t words = a.size() - 1;
  FixedWords r(2 * words + 1, 0);
  for (size_t i = 0; i <= words; ++i) r[words + i] = a[i];
  return r;
}

TEST(FixedWordsTest, DivisionRoundsInTheRequestedDirection) {
  testing::SeededRng rng(5);
  for (int i = 0; i < 500; ++i) {
    const int words = 2 + i % 3;
    FixedWords a = FixedConstant(words, 0, rng.NextU64() % 3);
    FixedWords b = FixedConstant(words, 0, i % 5 == 0 ? 1 : 0);
    for (int w = 0; w < words; ++w) {
      a[w] = rng.NextU64();
      b[w] = rng.NextU64() >> (i % 32);
    }
    const FixedWords down = FixedDivide(a, b, false), up = FixedDivide(a, b, true);
    FixedWords next = down;
    FixedAddInPlace(next, FixedUlp(words));
    // down b <= a < (down + ulp) b, exactly.
    EXPECT_FALSE(FixedLess(Widen(a), FixedMultiply(Widen(down), Widen(b), false))) << i;
    EXPECT_TRUE(FixedLess(Widen(a), FixedMultiply(Widen(next), Widen(b), false))) << i;
    EXPECT_TRUE(up == next || (up == down && FixedMultiply(Widen(down), Widen(b), false) ==
                                                 Widen(a)))
        << i;
  }
}

TEST(FixedWordsTest, ExactQuotientsAreExact) {
  // 3 / 4 and 1 / 3 at 2 words.
  const FixedWords three = FixedConstant(2, 0, 3), four = FixedConstant(2, 0, 4);
  EXPECT_EQ(FixedToFraction128(FixedDivide(three, four, false), false), uint128{3} << 126);
  EXPECT_EQ(FixedDivide(three, four, false), FixedDivide(three, four, true));
  const FixedWords one = FixedConstant(2, 0, 1);
  const uint128 third = ~uint128{0} / 3;  // floor(2^128 / 3)
  EXPECT_EQ(FixedToFraction128(FixedDivide(one, three, false), false), third);
  EXPECT_EQ(FixedToFraction128(FixedDivide(one, three, true), false), third + 1);
}

}  // namespace
}  // namespace dpkit::random::internal
