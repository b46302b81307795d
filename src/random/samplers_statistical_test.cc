// Statistical tests of every exact sampler against its exact distribution.
//
// False-positive rate: each TEST fails a correct implementation with probability at most
// alpha = 1e-6 per hypothesis test (threshold: p-value < 1e-6; p-values come from the chi^2
// distribution with the stated degrees of freedom, the asymptotic Kolmogorov distribution, or
// the normal approximation to the binomial, each valid for the sample sizes used: >= 10^6
// samples, >= 20 expected counts per chi^2 bin). There are fewer than 60 hypothesis tests in
// this file, so the family-wise false-positive rate for a fresh seed is < 6e-5. Seeds are
// fixed, so the suite is deterministic.
#include <chrono>
#include <functional>
#include <map>
#include <cmath>
#include <vector>

#include "dpkit/random/samplers.h"
#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"
#include "lib/counting_generator.h"
#include "lib/stats.h"

namespace dpkit::random {
namespace {

constexpr double kAlpha = 1e-6;
constexpr int kN = 1'000'000;

using test::CountingGenerator;

TEST(UniformStatisticalTest, NoModuloBias) {
  testing::SeededRng rng(101);
  // n just above 2^63 makes a modulo-reduction sampler put 2x the mass on the lower half.
  for (uint64_t n : {uint64_t{7}, uint64_t{1000}, (uint64_t{1} << 63) + (uint64_t{1} << 62)}) {
    const int buckets = 12;
    std::vector<int64_t> counts(buckets, 0);
    for (int i = 0; i < kN; ++i) {
      uint64_t v = UniformUint64(rng, n);
      // Equal-width buckets over [0, n) (exact for n divisible by 12 or mass-weighted).
      counts[static_cast<size_t>((static_cast<uint128>(v) * buckets) / n)]++;
    }
    std::vector<double> probs(buckets);
    for (int b = 0; b < buckets; ++b) {
      // |{v : floor(v*12/n) == b}| / n
      uint128 lo = (static_cast<uint128>(n) * b + buckets - 1) / buckets;
      uint128 hi = (static_cast<uint128>(n) * (b + 1) + buckets - 1) / buckets;
      probs[b] = static_cast<double>(hi - lo) / static_cast<double>(n);
    }
    auto r = test::ChiSquareCounts(counts, probs);
    EXPECT_GT(r.p_value, kAlpha) << "n=" << static_cast<double>(n) << " " << r.ToString();
  }
}

TEST(BernoulliStatisticalTest, DoubleRationalAndExp) {
  testing::SeededRng rng(102);
  struct Case {
    const char* name;
    double p;
    std::function<bool()> draw;
  };
  std::vector<Case> cases = {
      {"double 0.3", 0.3, [&] { return BernoulliDouble(rng, 0.3); }},
      {"double 1e-3", 1e-3, [&] { return BernoulliDouble(rng, 1e-3); }},
      {"double 0.5+2^-40", 0.5 + 0x1p-40, [&] { return BernoulliDouble(rng, 0.5 + 0x1p-40); }},
      {"rational 1/3", 1.0 / 3, [&] { return BernoulliRational(rng, 1, 3); }},
      {"exp(-0.3)", std::exp(-0.3), [&] { return BernoulliExp(rng, 3, 10); }},
      {"exp(-1)", std::exp(-1.0), [&] { return BernoulliExp(rng, 1, 1); }},
      {"exp(-2.7)", std::exp(-2.7), [&] { return BernoulliExp(rng, 27, 10); }},
      {"exp(-1/7)", std::exp(-1.0 / 7), [&] { return BernoulliExp(rng, 1, 7); }},
      {"fixed exp(-0.3)", std::exp(-0.3), [&] { return BernoulliExpFixedWork(rng, 3, 10, 4); }},
      {"fixed exp(-2.7)", std::exp(-2.7), [&] { return BernoulliExpFixedWork(rng, 27, 10, 4); }},
      {"fixed exp(0)", 1.0, [&] { return BernoulliExpFixedWork(rng, 0, 10, 4); }},
  };
  for (auto& c : cases) {
    int64_t hits = 0;
    for (int i = 0; i < kN; ++i) hits += c.draw();
    if (c.p == 1.0) {
      EXPECT_EQ(hits, kN) << c.name;
      continue;
    }
    double p = test::BinomialTwoSidedPValue(hits, kN, c.p);
    EXPECT_GT(p, kAlpha) << c.name << " hits=" << hits << " expected=" << c.p * kN;
  }
}

double DiscreteLaplacePmf(double scale, int64_t k) {
  double a = std::exp(-1.0 / scale);
  return (1 - a) / (1 + a) * std::exp(-std::fabs(static_cast<double>(k)) / scale);
}

TEST(DiscreteLaplaceStatisticalTest, MatchesPmf) {
  testing::SeededRng rng(103);
  // 0.2, 1: one table; 3.3, 10, 100: two tables; 1000: rejection (CKS20).
  for (double scale : {0.2, 1.0, 3.3, 10.0, 100.0, 1000.0}) {
    auto sampler = DiscreteLaplaceSampler::Create(scale);
    ASSERT_TRUE(sampler.ok());
    std::vector<int64_t> samples(kN);
    for (auto& s : samples) s = sampler->Sample(rng);
    double used = sampler->scale();
    auto r = test::ChiSquareIntegers(samples, [&](int64_t k) { return DiscreteLaplacePmf(used, k); });
    EXPECT_GT(r.p_value, kAlpha) << "scale=" << scale << " " << r.ToString();
    EXPECT_GT(r.bins, 3);
  }
}

TEST(DiscreteLaplaceStatisticalTest, RationalScaleWithDenominator) {
  // scale = 7/3: exercises Y = floor(X / s) with s > 1.
  testing::SeededRng rng(104);
  auto sampler = DiscreteLaplaceSampler::CreateRational(7, 3);
  ASSERT_TRUE(sampler.ok());
  std::vector<int64_t> samples(kN);
  for (auto& s : samples) s = sampler->Sample(rng);
  auto r = test::ChiSquareIntegers(samples, [](int64_t k) { return DiscreteLaplacePmf(7.0 / 3, k); });
  EXPECT_GT(r.p_value, kAlpha) << r.ToString();
}

TEST(DiscreteGaussianStatisticalTest, MatchesPmf) {
  testing::SeededRng rng(105);
  // Up to sigma ~16 a table (CDT), beyond it rejection (CKS20).
  for (double sigma : {0.3, 1.0, 3.0, 10.0, 16.0, 100.0}) {
    auto sampler = DiscreteGaussianSampler::Create(sigma);
    ASSERT_TRUE(sampler.ok());
    double used = sampler->sigma();
    // Normaliser computed once per sigma.
    double z = 0;
    int64_t range = static_cast<int64_t>(40 * used) + 40;
    for (int64_t j = -range; j <= range; ++j) z += std::exp(-0.5 * j * j / (used * used));
    std::vector<int64_t> samples(kN);
    for (auto& s : samples) s = sampler->Sample(rng);
    auto r = test::ChiSquareIntegers(samples, [&](int64_t k) {
      return std::exp(-0.5 * static_cast<double>(k) * k / (used * used)) / z;
    });
    EXPECT_GT(r.p_value, kAlpha) << "sigma=" << sigma << " " << r.ToString();
  }
}

TEST(DiscreteGaussianStatisticalTest, LargeSigmaMatchesNormalCdf) {
  // For sigma >= 1000 the discrete Gaussian's CDF differs from the continuous normal's (at
  // half-integer points) by < 1e-12; KS against N(0, sigma^2) at k + 0.5.
  testing::SeededRng rng(106);
  for (double sigma : {1000.0, 1048576.0}) {
    auto sampler = DiscreteGaussianSampler::Create(sigma);
    ASSERT_TRUE(sampler.ok());
    std::vector<double> samples(kN);
    for (auto& s : samples) s = static_cast<double>(sampler->Sample(rng));
    double used = sampler->sigma();
    // KS on a discrete distribution with the continuity shift: compare CDF at k + 0.5.
    auto r = test::KolmogorovSmirnov(samples, [&](double k) { return test::NormalCdf((k + 0.5) / used); });
    EXPECT_GT(r.p_value, kAlpha) << "sigma=" << sigma << " D=" << r.statistic;
  }
}

TEST(DiscreteGaussianStatisticalTest, MomentsAtSigma10) {
  testing::SeededRng rng(107);
  auto sampler = DiscreteGaussianSampler::Create(10.0);
  ASSERT_TRUE(sampler.ok());
  double sum = 0, sum2 = 0;
  for (int i = 0; i < kN; ++i) {
    double x = static_cast<double>(sampler->Sample(rng));
    sum += x;
    sum2 += x * x;
  }
  double mean = sum / kN, var = sum2 / kN - mean * mean;
  // Mean: sd of the sample mean is 10/1000 = 0.01; |z| > 4.9 has probability 1e-6.
  EXPECT_LT(std::fabs(mean) / 0.01, 4.9);
  // Variance of a discrete Gaussian with sigma=10 equals 100 to within 1e-80; the sample
  // variance has sd ~ sqrt(2)*100/1000 = 0.1414.
  EXPECT_LT(std::fabs(var - 100.0) / 0.1414, 4.9);
}

// Work (number of 64-bit random words consumed) of BernoulliExpFixedWork must have the same
// distribution whatever the secret exponent. Two-sample chi^2 on the histogram of word counts.
TEST(TimingStatisticalTest, FixedWorkBernoulliExpDoesNotDependOnExponent) {
  testing::SeededRng base(108);
  CountingGenerator gen(base);
  const int n = 200000;
  auto histogram = [&](uint64_t num, uint64_t den) {
    std::map<int64_t, int64_t> h;
    for (int i = 0; i < n; ++i) {
      gen.Reset();
      (void)BernoulliExpFixedWork(gen, num, den, 3);
      ++h[gen.count()];
    }
    return h;
  };
  auto h_small = histogram(1, 1000);     // exponent 0.001
  auto h_large = histogram(3999, 1000);  // exponent 3.999
  auto h_zero = histogram(0, 1000);
  // The word count is fixed apart from the rejection step of uniform draws below the public
  // denominator, which does not depend on the numerator: the histograms must agree.
  for (auto* other : {&h_large, &h_zero}) {
    std::map<int64_t, int64_t> keys;
    for (auto& [k, v] : h_small) keys[k] += v;
    for (auto& [k, v] : *other) keys[k] += v;
    double stat = 0;
    int bins = 0;
    for (auto& [k, total] : keys) {
      double a = h_small.count(k) ? h_small[k] : 0, b = other->count(k) ? (*other)[k] : 0;
      double e = (a + b) / 2;
      if (e < 5) continue;
      stat += (a - e) * (a - e) / e + (b - e) * (b - e) / e;
      ++bins;
    }
    double p = bins > 1 ? test::ChiSquareSurvival(stat, bins - 1) : 1.0;
    EXPECT_GT(p, kAlpha) << "bins=" << bins << " stat=" << stat;
  }
  // By contrast, the plain sampler's work does depend on the exponent (shows the test has power):
  // it draws nothing for exponent 0 and a random amount otherwise.
  double mean_small = 0, mean_large = 0;
  for (int i = 0; i < n; ++i) {
    gen.Reset();
    (void)BernoulliExp(gen, 0, 1000);
    mean_small += gen.count();
    gen.Reset();
    (void)BernoulliExp(gen, 3999, 1000);
    mean_large += gen.count();
  }
  // (Words are fetched eight at a time: the difference is >= 8 words per call.)
  EXPECT_GT(std::fabs(mean_small - mean_large) / n, 4);
}

}  // namespace
}  // namespace dpkit::random
