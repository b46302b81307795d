// Unit tests of the exact exp(-x) enclosures used by the selection mechanisms.
#include "mechanisms/exact_exp.h"

#include <cmath>

#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"

namespace dpkit::mechanisms::internal {
namespace {

long double ExactValue(const ExpArg& x) {
  return std::exp(
      -(static_cast<long double>(x.k) + std::ldexp(static_cast<long double>(x.frac), -64)));
}

TEST(ExactExpTest, EnclosuresContainExpAndAreTight) {
  random::testing::SeededRng rng(1);
  for (int limbs : {2, 3, 4, 6}) {
    const long double width_bound = std::ldexp(1.0L, -64 * (limbs - 1) + 20);  // 2E
    for (int i = 0; i < 400; ++i) {
      ExpArg x;
      x.k = i < 200 ? static_cast<uint64_t>(i % 40) : rng.NextU64() % 300;
      x.frac = i % 7 == 0 ? 0 : rng.NextU64();
      Enclosure e = ExpNeg(x, limbs);
      double lo, hi;
      EnclosureToDoubles(e, &lo, &hi);
      const long double v = ExactValue(x);
      // long double exp is accurate to a few ulps (2^-63 relative): allow that much.
      EXPECT_LE(lo, v * (1 + 1e-17L)) << "k=" << x.k << " frac=" << x.frac << " limbs=" << limbs;
      EXPECT_GE(hi, v * (1 - 1e-17L)) << "k=" << x.k << " frac=" << x.frac << " limbs=" << limbs;
      EXPECT_LE(static_cast<long double>(hi) - lo, width_bound + 4 * std::ldexp(v, -52))
          << "k=" << x.k << " limbs=" << limbs;
    }
  }
}

TEST(ExactExpTest, ZeroExponentEnclosesOne) {
  for (int limbs : {2, 3, 7}) {
    Enclosure e = ExpNeg({0, 0}, limbs);
    double lo, hi;
    EnclosureToDoubles(e, &lo, &hi);
    EXPECT_LE(lo, 1.0);
    EXPECT_GE(hi, 1.0);
    EXPECT_GT(lo, 1 - 1e-12);
  }
}

TEST(ExactExpTest, HugeExponentsEncloseZero) {
  Enclosure e = ExpNeg({1000000, 123}, 4);
  double lo, hi;
  EnclosureToDoubles(e, &lo, &hi);
  EXPECT_EQ(lo, 0.0);
  EXPECT_LE(hi, 1e-57);  // at most one unit of 2^-192 (4 limbs)
}

TEST(ExactExpTest, DominantCandidateIsAlwaysChosen) {
  random::testing::SeededRng rng(2);
  std::vector<ExpArg> args = {{5000, 0}, {0, 0}, {4000, 17}};
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(SampleExpWeights(args, rng), 1u);
    EXPECT_EQ(FirstBernoulliExpSuccess(args, rng), 1u);
  }
}

TEST(ExactExpTest, RefinementPathIsTakenAtLowPrecisionAndStaysValid) {
  random::testing::SeededRng rng(3);
  std::vector<ExpArg> args = {{1, 0}, {0, uint64_t{1} << 63}, {0, 0}};
  ExactSamplingPrecision low{.limbs = 2, .u_bits = 2};
  int64_t refinements = 0;
  for (int i = 0; i < 2000; ++i) {
    size_t s = SampleExpWeights(args, rng, low, &refinements);
    EXPECT_LT(s, args.size());
    // The last candidate has weight 1, so some candidate always succeeds.
    size_t f = FirstBernoulliExpSuccess(args, rng, low, &refinements);
    EXPECT_LT(f, args.size());
  }
  EXPECT_GT(refinements, 100);  // with 2 uniform bits most decisions need refining
}

}  // namespace
}  // namespace dpkit::mechanisms::internal
