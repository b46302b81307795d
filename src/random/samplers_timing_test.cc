// Timing side channel of the default samplers (statistical tier).
//
// Claim under test (samplers.h): the running time of DiscreteLaplaceSampler::Sample and
// DiscreteGaussianSampler::Sample does not depend on the value they return. Each case draws
// kSamples values from the secure generator, timing every call with the CPU's cycle counter,
// and splits the calls by the returned |value|: "small" (|y| <= scale/2) and "large"
// (|y| >= 2 scale). A timing leak like the one of Jin et al. (IEEE S&P 2022) shows up as a
// shift of the whole time distribution of the large class; the CKS20 loop samplers this test
// was written against take 1.5-3x longer on large outputs.
//
// Statistic and tolerance: the 25th percentile and the median of the two classes must agree
// within kTolerance = 10%, plus one quantum of the tick counter (virtual machines often
// advance it in steps, e.g. 26 ticks). The two classes are drawn
// interleaved in one loop, so machine load, frequency changes and cache pollution from other
// processes hit both alike; preemptions and buffer refills produce outliers that quantiles
// ignore. Sampling error of a quantile is below 1% here (>= 5,000 calls in the smaller class,
// spread of a few tens of cycles), so a correct sampler sits ~10 standard errors inside the
// bound; the leak it guards against is 15x the bound. Runs in well under a second.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "dpkit/random/samplers.h"
#include "dpkit/random/secure_rng.h"
#include "gtest/gtest.h"

namespace dpkit::random {
namespace {

constexpr int kSamples = 200'000;
constexpr double kTolerance = 0.10;

inline uint64_t Ticks() {
#if defined(__x86_64__)
  _mm_lfence();
  uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
#else
  return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

// The smallest positive step of the tick counter.
double TickQuantum() {
  uint64_t best = ~uint64_t{0};
  for (int i = 0; i < 10000; ++i) {
    const uint64_t a = Ticks(), b = Ticks();
    if (b > a && b - a < best) best = b - a;
  }
  return static_cast<double>(best);
}

double Quantile(std::vector<double> v, double q) {
  const size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// Times `sample` kSamples times and compares the small-|y| and large-|y| classes.
void ExpectTimeIndependentOfValue(const std::string& name, double scale,
                                  const std::function<int64_t()>& sample) {
  for (int i = 0; i < 2000; ++i) (void)sample();  // warm caches and the generator
  std::vector<double> small, large;
  for (int i = 0; i < kSamples; ++i) {
    const uint64_t t0 = Ticks();
    const int64_t y = sample();
    const uint64_t t1 = Ticks();
    const double a = std::fabs(static_cast<double>(y));
    if (a <= 0.5 * scale) {
      small.push_back(static_cast<double>(t1 - t0));
    } else if (a >= 2 * scale) {
      large.push_back(static_cast<double>(t1 - t0));
    }
  }
  ASSERT_GE(large.size(), 5000u) << name;
  ASSERT_GE(small.size(), 5000u) << name;
  const double quantum = TickQuantum();
  for (double q : {0.25, 0.5}) {
    const double s = Quantile(small, q), l = Quantile(large, q);
    std::printf("%s: quantile %.2f = %.0f ticks (|y| <= scale/2), %.0f ticks (|y| >= 2 scale)\n",
                name.c_str(), q, s, l);
    EXPECT_LE(std::fabs(l - s), kTolerance * s + quantum)
        << name << ": quantile " << q << " of the time per call is " << s
        << " ticks for |y| <= scale/2 but " << l << " ticks for |y| >= 2 scale";
  }
}

TEST(SamplerTimingTest, DiscreteLaplaceTimeDoesNotDependOnValue) {
  SecureRng rng;
  for (double scale : {10.0, 1048576.0}) {
    auto sampler = DiscreteLaplaceSampler::Create(scale);
    ASSERT_TRUE(sampler.ok());
    ExpectTimeIndependentOfValue("discrete Laplace scale " + std::to_string(scale), scale,
                                 [&] { return sampler->Sample(rng); });
  }
}

TEST(SamplerTimingTest, DiscreteGaussianTimeDoesNotDependOnValue) {
  SecureRng rng;
  for (double sigma : {10.0, 1048576.0}) {
    auto sampler = DiscreteGaussianSampler::Create(sigma);
    ASSERT_TRUE(sampler.ok());
    ExpectTimeIndependentOfValue("discrete Gaussian sigma " + std::to_string(sigma), sigma,
                                 [&] { return sampler->Sample(rng); });
  }
}

}  // namespace
}  // namespace dpkit::random
