// Timing side channel of the default samplers (statistical tier; helpers and tolerance in
// tests/lib/timing.h).
//
// Claim under test (samplers.h): the running time of DiscreteLaplaceSampler::Sample and
// DiscreteGaussianSampler::Sample does not depend on the value they return. Each case draws
// 200,000 values from the secure generator, timing every call, and splits the calls by the
// returned |value|: "small" (|y| <= scale/2) and "large" (|y| >= 2 scale). A timing leak like
// the one of Jin et al. (IEEE S&P 2022) shows up as a shift of the whole time distribution of
// the large class; the CKS20 loop samplers this test was written against take 1.5-3x longer on
// large outputs. Runs in well under a second per case.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "dpkit/random/samplers.h"
#include "dpkit/random/secure_rng.h"
#include "gtest/gtest.h"
#include "lib/timing.h"
#include "random/bit_pool.h"
#include "random/timing_safe.h"

namespace dpkit::random {
namespace {

template <typename Sampler>
void ExpectTimeIndependentOfValue(const std::string& name, double scale, const Sampler& sampler) {
  SecureRng rng;
  std::vector<int64_t> y(200'000);
  const auto r = test::CompareTimingOfClasses(
      name, "|y| <= scale/2", "|y| >= 2 scale",
      [&](int i) { y[static_cast<size_t>(i)] = sampler.Sample(rng); },
      [&](int i) {
        const double a = std::fabs(static_cast<double>(y[static_cast<size_t>(i)]));
        return a <= 0.5 * scale ? 0 : (a >= 2 * scale ? 1 : -1);
      },
      {.calls = static_cast<int>(y.size())});
  EXPECT_TRUE(r.independent) << r.report;
}

TEST(SamplerTimingTest, DiscreteLaplaceTimeDoesNotDependOnValue) {
  for (double scale : {1.0, 10.0, 1048576.0}) {
    auto sampler = DiscreteLaplaceSampler::Create(scale);
    ASSERT_TRUE(sampler.ok());
    ExpectTimeIndependentOfValue("discrete Laplace scale " + std::to_string(scale), scale,
                                 *sampler);
  }
}

TEST(SamplerTimingTest, DiscreteGaussianTimeDoesNotDependOnValue) {
  for (double sigma : {1.0, 10.0, 1048576.0}) {
    auto sampler = DiscreteGaussianSampler::Create(sigma);
    ASSERT_TRUE(sampler.ok());
    ExpectTimeIndependentOfValue("discrete Gaussian sigma " + std::to_string(sigma), sigma,
                                 *sampler);
  }
}

// The Bernoulli(exp(-x)) test behind the selection mechanisms, randomized response and the lazy
// exponential mechanism, with x = num / 2^40 as the lazy mechanism passes it: its time must not
// depend on the (secret) exponent nor on its outcome. random::BernoulliExp, which it replaced
// there, returns at once for x = 0 (the lazy mechanism's first-stage exponent for every
// candidate already scored) and fails the first comparison (its median is half the others).
TEST(SamplerTimingTest, BernoulliExpNegTimeDoesNotDependOnExponentOrOutcome) {
  SecureRng rng;
  constexpr int kCalls = 200'000;
  constexpr uint128 kDen = uint128{1} << 40;
  std::vector<uint128> num(kCalls);
  std::vector<char> out(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    // i mod 3 = 0: x = 0; 1: x in [0, 1); 2: x in [20, 60).
    const uint128 whole = i % 3 == 2 ? 20 + rng.NextU64() % 40 : 0;
    num[i] = i % 3 == 0 ? 0 : (whole << 40) | (rng.NextU64() >> 24);
  }
  auto run = [&](int i) {
    internal::BitPool pool(rng);
    out[i] = internal::BernoulliExpNeg(pool, static_cast<uint64_t>(num[i] >> 40), num[i] << 88,
                                       0, num[i], kDen);
  };
  auto r = test::CompareTimingOfClasses("Bernoulli(exp(-x))", "x = 0", "x >= 20", run,
                                        [&](int i) { return i % 3 == 0 ? 0 : (i % 3 == 2 ? 1 : -1); },
                                        {.calls = kCalls});
  EXPECT_TRUE(r.independent) << r.report;
  r = test::CompareTimingOfClasses("Bernoulli(exp(-x)), 0 < x < 1", "true", "false", run,
                                   [&](int i) { return i % 3 == 1 ? (out[i] ? 0 : 1) : -1; },
                                   {.calls = kCalls});
  EXPECT_TRUE(r.independent) << r.report;
}

}  // namespace
}  // namespace dpkit::random
