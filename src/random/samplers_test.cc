#include "dpkit/random/samplers.h"

#include <cmath>
#include <limits>

#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::random {
namespace {

using ::testing::HasSubstr;

TEST(RationalTest, RoundsUpAndIsExactForDyadics) {
  auto r = RationalAtLeast(0.5, 40, "x");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->num, 1u);
  EXPECT_EQ(r->den, 2u);
  for (double x : {0.1, 1.0 / 3.0, 3.7, 1234.5678, 1e-5, 1e9}) {
    auto q = RationalAtLeast(x, 40, "x");
    ASSERT_TRUE(q.ok());
    // num/den >= x exactly: num >= x * den (exact in long double for these magnitudes).
    EXPECT_GE(static_cast<long double>(q->num), static_cast<long double>(x) * q->den) << x;
    EXPECT_NEAR(q->ToDouble(), x, x * 1e-11) << x;
  }
  EXPECT_FALSE(RationalAtLeast(-1, 40, "x").ok());
  EXPECT_FALSE(RationalAtLeast(std::nan(""), 40, "x").ok());
}

TEST(SamplerValidationTest, DiscreteLaplace) {
  EXPECT_THAT(DiscreteLaplaceSampler::Create(-1).status().message(),
              HasSubstr("scale must be finite and > 0, got -1"));
  EXPECT_FALSE(DiscreteLaplaceSampler::Create(0).ok());
  EXPECT_FALSE(DiscreteLaplaceSampler::Create(std::numeric_limits<double>::infinity()).ok());
  EXPECT_FALSE(DiscreteLaplaceSampler::Create(std::nan("")).ok());
  EXPECT_FALSE(DiscreteLaplaceSampler::Create(1e300).ok());
  auto s = DiscreteLaplaceSampler::Create(2.5);
  ASSERT_TRUE(s.ok());
  EXPECT_GE(s->scale(), 2.5);
  EXPECT_NEAR(s->scale(), 2.5, 1e-10);
}

TEST(SamplerValidationTest, DiscreteGaussian) {
  EXPECT_THAT(DiscreteGaussianSampler::Create(0).status().message(),
              HasSubstr("sigma must be finite and > 0, got 0"));
  EXPECT_FALSE(DiscreteGaussianSampler::Create(1e9).ok());
  auto s = DiscreteGaussianSampler::Create(3.0);
  ASSERT_TRUE(s.ok());
  EXPECT_GE(s->sigma(), 3.0);
  EXPECT_NEAR(s->sigma(), 3.0, 1e-9);
}

TEST(UniformTest, RangesAndEdgeCases) {
  testing::SeededRng rng(1);
  for (int i = 0; i < 10000; ++i) {
    EXPECT_LT(UniformUint64(rng, 7), 7u);
    EXPECT_EQ(UniformUint64(rng, 1), 0u);
    int64_t v = UniformInt(rng, -3, 3);
    EXPECT_GE(v, -3);
    EXPECT_LE(v, 3);
    uint128 big = (uint128{1} << 100) + 12345;
    EXPECT_LT(UniformUint128(rng, big), big);
    double u = UniformDouble01(rng);
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
  // Full int64 range does not overflow.
  (void)UniformInt(rng, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
}

TEST(BernoulliTest, Degenerate) {
  testing::SeededRng rng(2);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(BernoulliDouble(rng, 1.0));
    EXPECT_FALSE(BernoulliDouble(rng, 0.0));
    EXPECT_FALSE(BernoulliDouble(rng, std::nan("")));
    EXPECT_FALSE(BernoulliDouble(rng, -0.5));
    EXPECT_TRUE(BernoulliExp(rng, 0, 5));
    EXPECT_TRUE(BernoulliRational(rng, 3, 3));
    EXPECT_FALSE(BernoulliRational(rng, 0, 3));
  }
  // exp(-1000) is never drawn as true in 1000 trials (probability < 1e-400).
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(BernoulliExp(rng, 1000, 1));
}

TEST(BernoulliTest, TinyProbabilityDoubleTerminates) {
  testing::SeededRng rng(3);
  int hits = 0;
  for (int i = 0; i < 100000; ++i) hits += BernoulliDouble(rng, 1e-300);
  EXPECT_EQ(hits, 0);
  hits = 0;
  for (int i = 0; i < 100000; ++i) hits += BernoulliDouble(rng, std::nextafter(1.0, 0.0));
  EXPECT_EQ(hits, 100000);
}

}  // namespace
}  // namespace dpkit::random
