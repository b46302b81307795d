// Statistical tests: every mechanism's output distribution against its exact distribution,
// confidence-interval coverage, and the selection mechanisms' data-independent work.
//
// False-positive rate: every hypothesis test below fails a correct implementation with
// probability at most alpha = 1e-6 (threshold: p-value < 1e-6; p-values from the chi^2
// distribution with the stated degrees of freedom, the asymptotic Kolmogorov distribution, or
// the normal approximation to the binomial with n p (1-p) >= 100, each valid at these sample
// sizes). There are fewer than 40 hypothesis tests in this file, so the family-wise rate for a
// fresh seed is < 4e-5. Seeds are fixed, so the suite is deterministic.
//
// Sample sizes: 10^6 for the additive mechanisms and randomized response (where tails matter);
// 2 * 10^5 for selection and sparse vector outputs (5-way categorical distributions: at this size
// a deviation of 0.005 in any probability is detected with power > 0.99) and 6 * 10^4 for the
// deliberately slow refinement path, which keeps the tier within its time budget.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <vector>

#include "dpkit/mechanisms/calibration.h"
#include "dpkit/mechanisms/gaussian.h"
#include "dpkit/mechanisms/laplace.h"
#include "dpkit/mechanisms/randomized_response.h"
#include "dpkit/mechanisms/selection.h"
#include "dpkit/mechanisms/sparse_vector.h"
#include "dpkit/random/samplers.h"
#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"
#include "lib/counting_generator.h"
#include "lib/stats.h"
#include "random/bit_pool.h"
#include "random/exp_weights.h"

namespace dpkit::mechanisms {
namespace {

constexpr double kAlpha = 1e-6;
constexpr int kN = 1'000'000;
constexpr int kSelectionN = 200'000;

// Exact CDF of the discrete Laplace with scale t: P(N <= k).
double DiscreteLaplaceCdf(double t, double k) {
  const double p = std::exp(-1 / t);
  k = std::floor(k);
  if (k >= 0) return 1 - std::exp(-(k + 1) / t) / (1 + p);
  return std::exp(k / t) / (1 + p);  // p^{-k} / (1 + p)
}

double DiscreteLaplacePmf(double t, int64_t k) {
  const double p = std::exp(-1 / t);
  return (1 - p) / (1 + p) * std::exp(-std::fabs(static_cast<double>(k)) / t);
}

// ---------------------------------------------------------------------------------------------
// Additive mechanisms

TEST(LaplaceStatisticalTest, RealValuedNoiseIsExactLatticeLaplace) {
  auto m = LaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = 1});
  ASSERT_TRUE(m.ok());
  random::testing::SeededRng rng(201);
  const double lambda = m->granularity();
  const double t = m->noise_scale() / lambda;  // scale in grid units
  const double x = 0.3;                        // not on the grid
  const double x_g = std::floor(x / lambda + 0.5);
  std::vector<double> noise(kN);
  for (int i = 0; i < kN; ++i) noise[i] = *m->AddNoise(x, rng) / lambda - x_g;
  // KS against the exact lattice CDF (conservative for a discrete distribution).
  auto ks = test::KolmogorovSmirnov(noise, [&](double k) { return DiscreteLaplaceCdf(t, k); });
  EXPECT_GT(ks.p_value, kAlpha) << "D=" << ks.statistic;
  // Variance 2p/(1-p)^2 in grid units: sample variance within 4.9 sd (kurtosis of Laplace = 6:
  // sd of the sample variance = var * sqrt(5 / n)).
  double sum = 0, sum2 = 0;
  for (double v : noise) {
    sum += v;
    sum2 += v * v;
  }
  const double var = sum2 / kN - (sum / kN) * (sum / kN);
  const double expected = std::pow(m->noise_stddev() / lambda, 2);
  EXPECT_LT(std::fabs(var - expected) / (expected * std::sqrt(5.0 / kN)), 4.9);
}

TEST(GaussianStatisticalTest, RealValuedNoiseIsExactLatticeGaussian) {
  auto m = GaussianMechanism::Create({.epsilon = 1, .delta = 1e-5, .l2_sensitivity = 1});
  ASSERT_TRUE(m.ok());
  random::testing::SeededRng rng(202);
  const double lambda = m->granularity();
  const double sigma_g = m->noise_scale() / lambda;
  const double x = -2.75;
  const double x_g = std::floor(x / lambda + 0.5);
  std::vector<double> noise(kN);
  for (int i = 0; i < kN; ++i) noise[i] = *m->AddNoise(x, rng) / lambda - x_g;
  auto ks = test::KolmogorovSmirnov(
      noise, [&](double k) { return 1 - DiscreteGaussianTail(sigma_g, std::floor(k)); });
  EXPECT_GT(ks.p_value, kAlpha) << "D=" << ks.statistic;
}

TEST(DiscreteLaplaceStatisticalTest, IntegerMechanismMatchesPmf) {
  auto m = DiscreteLaplaceMechanism::Create({.epsilon = 0.5, .l1_sensitivity = 1});
  ASSERT_TRUE(m.ok());
  random::testing::SeededRng rng(203);
  std::vector<int64_t> noise(kN);
  for (int i = 0; i < kN; ++i) noise[i] = m->AddNoise(100, rng) - 100;
  const double t = m->noise_scale();
  auto r = test::ChiSquareIntegers(noise, [&](int64_t k) { return DiscreteLaplacePmf(t, k); });
  EXPECT_GT(r.p_value, kAlpha) << r.ToString();
}

TEST(DiscreteGaussianStatisticalTest, IntegerMechanismMatchesPmf) {
  auto m = DiscreteGaussianMechanism::Create({.epsilon = 1, .delta = 1e-5, .l2_sensitivity = 1});
  ASSERT_TRUE(m.ok());
  random::testing::SeededRng rng(204);
  std::vector<int64_t> noise(kN);
  for (int i = 0; i < kN; ++i) noise[i] = m->AddNoise(-7, rng) + 7;
  const double s = m->noise_scale();
  auto r = test::ChiSquareIntegers(noise, [&](int64_t k) {
    return DiscreteGaussianTail(s, static_cast<double>(k) - 1) -
           DiscreteGaussianTail(s, static_cast<double>(k));
  });
  EXPECT_GT(r.p_value, kAlpha) << r.ToString();
}

// Coverage of the confidence intervals: the number of intervals that contain the true value
// must be consistent (two-sided binomial test) with the EXACT coverage of the lattice interval,
// which is itself >= the nominal level.
TEST(ConfidenceIntervalStatisticalTest, CoverageMatchesExactLevel) {
  random::testing::SeededRng rng(205);
  const int n = 200'000;
  {
    auto m = LaplaceMechanism::Create({.epsilon = 0.8, .l1_sensitivity = 2});
    const double x = 12.345;
    auto ci0 = *m->ConfidenceInterval(0, 0.9);
    const double lambda = m->granularity(), t = m->noise_scale() / lambda;
    const double half_m = std::round(ci0.HalfWidth() / lambda - 0.5);  // m
    const double exact = 1 - 2 * std::exp(-(half_m + 1) / t) / (1 + std::exp(-1 / t));
    EXPECT_GE(exact, 0.9);
    int64_t covered = 0;
    for (int i = 0; i < n; ++i) {
      double y = *m->AddNoise(x, rng);
      covered += m->ConfidenceInterval(y, 0.9)->Contains(x);
    }
    EXPECT_GT(test::BinomialTwoSidedPValue(covered, n, exact), kAlpha) << covered;
  }
  {
    auto m = GaussianMechanism::Create({.epsilon = 0.5, .delta = 1e-6, .l2_sensitivity = 1});
    const double x = -1000.5;
    int64_t covered = 0;
    for (int i = 0; i < n; ++i) {
      double y = *m->AddNoise(x, rng);
      covered += m->ConfidenceInterval(y, 0.95)->Contains(x);
    }
    // The lattice is 2^-20 sigma fine: exact coverage is 0.95 to within 1e-6.
    EXPECT_GT(test::BinomialTwoSidedPValue(covered, n, 0.95), kAlpha) << covered;
  }
  {
    auto m = DiscreteGaussianMechanism::Create({.sigma = 2.0, .l2_sensitivity = 1});
    auto ci0 = *m->ConfidenceInterval(0, 0.8);
    const double half = ci0.upper;  // m
    const double exact = 1 - 2 * DiscreteGaussianTail(m->noise_scale(), half);
    EXPECT_GE(exact, 0.8);
    int64_t covered = 0;
    for (int i = 0; i < n; ++i) {
      int64_t y = m->AddNoise(5, rng);
      covered += m->ConfidenceInterval(y, 0.8)->Contains(5);
    }
    EXPECT_GT(test::BinomialTwoSidedPValue(covered, n, exact), kAlpha) << covered;
  }
  {
    auto m = DiscreteLaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = 1});
    // 95% interval is +-3 (unit test): exact coverage 1 - 2 e^-4 / (1 + e^-1).
    const double exact = 1 - 2 * std::exp(-4.0) / (1 + std::exp(-1.0));
    int64_t covered = 0;
    for (int i = 0; i < n; ++i) {
      int64_t y = m->AddNoise(0, rng);
      covered += m->ConfidenceInterval(y, 0.95)->Contains(0);
    }
    EXPECT_GT(test::BinomialTwoSidedPValue(covered, n, exact), kAlpha) << covered;
  }
}

// ---------------------------------------------------------------------------------------------
// Selection

std::vector<double> ExpWeights(const std::vector<double>& scores, double coef) {
  const double best = *std::max_element(scores.begin(), scores.end());
  std::vector<double> w;
  for (double s : scores) w.push_back(std::exp(coef * (s - best)));
  return w;
}

std::vector<double> Normalise(std::vector<double> w) {
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  for (double& x : w) x /= total;
  return w;
}

// Exact permute-and-flip distribution by enumerating all permutations.
std::vector<double> PermuteAndFlipProbabilities(const std::vector<double>& w) {
  const size_t n = w.size();
  std::vector<size_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  std::vector<double> p(n, 0);
  double count = 0;
  do {
    double none_before = 1;
    for (size_t r = 0; r < n; ++r) {
      p[perm[r]] += none_before * w[perm[r]];
      none_before *= 1 - w[perm[r]];
    }
    count += 1;
  } while (std::next_permutation(perm.begin(), perm.end()));
  for (double& x : p) x /= count;
  return p;
}

std::vector<int64_t> SelectionCounts(const SelectionMechanism& m, const std::vector<double>& scores,
                                     int n, uint64_t seed) {
  random::testing::SeededRng rng(seed);
  std::vector<int64_t> counts(scores.size(), 0);
  for (int i = 0; i < n; ++i) ++counts[*m.Select(scores, rng)];
  return counts;
}

TEST(SelectionStatisticalTest, ExponentialMechanismAndRnmGumbelMatchExactProbabilities) {
  const std::vector<double> scores = {0, 1, 2.5, -1, 2};
  for (auto kind : {SelectionKind::kExponential, SelectionKind::kReportNoisyMaxGumbel}) {
    for (bool monotonic : {false, true}) {
      auto m = SelectionMechanism::Create(
          {.kind = kind, .epsilon = 1, .sensitivity = 1, .monotonic = monotonic});
      ASSERT_TRUE(m.ok());
      const double coef = m->epsilon() / (monotonic ? 1 : 2);
      auto probs = Normalise(ExpWeights(scores, coef));
      auto counts = SelectionCounts(*m, scores, kSelectionN, 206 + monotonic);
      auto r = test::ChiSquareCounts(counts, probs);
      EXPECT_GT(r.p_value, kAlpha) << SelectionKindName(kind) << " " << r.ToString();
    }
  }
}

TEST(SelectionStatisticalTest, PermuteAndFlipAndRnmExponentialMatchExactProbabilities) {
  const std::vector<double> scores = {0, 1, 2.5, -1, 2};
  for (auto kind : {SelectionKind::kPermuteAndFlip, SelectionKind::kReportNoisyMaxExponential}) {
    auto m = SelectionMechanism::Create({.kind = kind, .epsilon = 2, .sensitivity = 1.5});
    ASSERT_TRUE(m.ok());
    const double coef = m->epsilon() / (2 * 1.5);
    auto probs = PermuteAndFlipProbabilities(ExpWeights(scores, coef));
    auto counts = SelectionCounts(*m, scores, kSelectionN, 208);
    auto r = test::ChiSquareCounts(counts, probs);
    EXPECT_GT(r.p_value, kAlpha) << SelectionKindName(kind) << " " << r.ToString();
  }
}

// The selection kernels' exact path (normally taken with probability < 2^-95 per decision) is
// exercised by widening the fast path's error bound so that almost every decision falls to it;
// the output distributions must still be exact.
TEST(SelectionStatisticalTest, ExactPathIsExact) {
  using random::internal::ExpArg;
  const std::vector<ExpArg> args = {{1, 0}, {0, uint64_t{1} << 63}, {0, 0}, {3, 12345}};
  std::vector<double> w;
  for (const auto& a : args) w.push_back(std::exp(-(a.k + std::ldexp(double(a.frac), -64))));
  int64_t exact = 0;
  const random::internal::ExactPathProbe probe{.extra_error_ulps = ~random::uint128{0} - 1024,
                                               .exact_decisions = &exact};
  random::testing::SeededRng rng(209);
  random::internal::BitPool pool(rng);
  std::vector<int64_t> em(4, 0), first(5, 0);
  const int n = 20'000;  // the exact path is slow by design; 4 categories need few samples
  for (int i = 0; i < n; ++i) {
    ++em[random::internal::SampleExpWeights(args, pool, probe)];
    ++first[random::internal::FirstBernoulliExpSuccess(args, pool, probe)];
  }
  EXPECT_EQ(exact, 5 * n);  // every decision: one for EM, four for permute-and-flip
  auto r = test::ChiSquareCounts(em, Normalise(w));
  EXPECT_GT(r.p_value, kAlpha) << r.ToString();
  // First success in order: w_i prod_{j<i} (1 - w_j); index 4 = none (impossible: w_2 = 1).
  std::vector<double> pf;
  double none = 1;
  for (double x : w) {
    pf.push_back(none * x);
    none *= 1 - x;
  }
  EXPECT_EQ(first[4], 0);
  first.resize(4);
  r = test::ChiSquareCounts(first, pf);
  EXPECT_GT(r.p_value, kAlpha) << r.ToString();
}

using test::CountingGenerator;

// Two-sample chi^2 homogeneity p-value of two histograms (bins with expected count < 5 are
// dropped; 1 if fewer than two bins remain, i.e. the histograms are (nearly) point masses).
double HomogeneityPValue(const std::map<int64_t, int64_t>& a, const std::map<int64_t, int64_t>& b,
                         bool* identical_support) {
  std::map<int64_t, std::pair<double, double>> keys;
  for (auto& [k, v] : a) keys[k].first = v;
  for (auto& [k, v] : b) keys[k].second = v;
  double stat = 0;
  int bins = 0;
  *identical_support = true;
  for (auto& [k, ab] : keys) {
    if ((ab.first == 0) != (ab.second == 0)) *identical_support = false;
    const double e = (ab.first + ab.second) / 2;
    if (e < 5) continue;
    stat += (ab.first - e) * (ab.first - e) / e + (ab.second - e) * (ab.second - e) / e;
    ++bins;
  }
  return bins > 1 ? test::ChiSquareSurvival(stat, bins - 1) : 1.0;
}

// Scores are secret: the work (random words drawn) must have the same distribution whatever the
// scores. Score vectors: all equal, one dominant candidate, a wide spread, and huge values.
TEST(SelectionTimingStatisticalTest, WorkDoesNotDependOnScores) {
  const std::vector<std::vector<double>> score_sets = {
      {0, 0, 0, 0, 0, 0, 0, 0},
      {1000, 0, 0, 0, 0, 0, 0, 0},
      {0, 1, 2, 3, 4, 5, 6, 7},
      {1e12, -1e12, 3.5, 7e11, -2, 0.25, 1e-9, 42}};
  random::testing::SeededRng base(210);
  CountingGenerator gen(base);
  const int n = 20'000;
  for (auto kind : {SelectionKind::kExponential, SelectionKind::kPermuteAndFlip}) {
    auto m = SelectionMechanism::Create({.kind = kind, .epsilon = 1, .sensitivity = 1});
    std::vector<std::map<int64_t, int64_t>> hists;
    for (const auto& scores : score_sets) {
      std::map<int64_t, int64_t> h;
      for (int i = 0; i < n; ++i) {
        gen.Reset();
        (void)*m->Select(scores, gen);
        ++h[gen.count()];
      }
      hists.push_back(h);
    }
    for (size_t s = 1; s < hists.size(); ++s) {
      bool same_support;
      double p = HomogeneityPValue(hists[0], hists[s], &same_support);
      EXPECT_GT(p, kAlpha) << SelectionKindName(kind) << " score set " << s;
    }
    if (kind == SelectionKind::kExponential) {
      // One 128-bit uniform, always (fetched with the pool's first eight words).
      for (const auto& h : hists) {
        ASSERT_EQ(h.size(), 1u);
        EXPECT_EQ(h.begin()->first, 8);
      }
    }
  }
  // Power: textbook rejection sampling (uniform proposal, accept with random::BernoulliExp)
  // draws a number of words that depends on the scores, and this test detects it.
  auto naive = [&](const std::vector<double>& scores) {
    std::map<int64_t, int64_t> h;
    const double best = *std::max_element(scores.begin(), scores.end());
    for (int i = 0; i < n; ++i) {
      gen.Reset();
      while (true) {
        size_t c = random::UniformUint64(gen, scores.size());
        auto gap = static_cast<uint64_t>(std::llround((best - scores[c]) * 1024));
        if (random::BernoulliExp(gen, gap, 2048)) break;
      }
      ++h[gen.count()];
    }
    return h;
  };
  bool same_support;
  EXPECT_LT(HomogeneityPValue(naive(score_sets[0]), naive(score_sets[1]), &same_support), kAlpha);
}

// ---------------------------------------------------------------------------------------------
// Sparse vector

// P(first "above" answer at query i | rho) for continuous Laplace noise (the lattice is 2^-20
// of the sensitivity fine, so the discrete probabilities differ by < 1e-5, far below what
// 2 * 10^5 samples resolve).
TEST(SparseVectorStatisticalTest, AnswerPatternMatchesExactProbabilities) {
  SparseVectorOptions o{.epsilon = 1, .sensitivity = 1, .threshold = 0.5, .max_above = 1};
  auto proto = SparseVector::Create(o);
  ASSERT_TRUE(proto.ok());
  const std::vector<double> queries = {-1, 0.5, 0, 2};
  const double b1 = proto->threshold_noise_scale(), b2 = proto->query_noise_scale();
  auto lap_cdf = [](double x, double b) {
    return x < 0 ? 0.5 * std::exp(x / b) : 1 - 0.5 * std::exp(-x / b);
  };
  // outcome i in [0, 4): first above at query i; 4: none.
  std::vector<double> probs(queries.size() + 1, 0);
  const int steps = 400'000;
  const double lim = 60 * b1, h = 2 * lim / steps;
  for (int s = 0; s <= steps; ++s) {
    const double rho = -lim + s * h;
    const double weight =
        (s == 0 || s == steps ? 0.5 : 1) * h * std::exp(-std::fabs(rho) / b1) / (2 * b1);
    double below_so_far = 1;
    for (size_t i = 0; i < queries.size(); ++i) {
      // above iff q + nu >= T + rho iff nu >= T + rho - q
      const double p_above = 1 - lap_cdf(o.threshold + rho - queries[i], b2);
      probs[i] += weight * below_so_far * p_above;
      below_so_far *= 1 - p_above;
    }
    probs[queries.size()] += weight * below_so_far;
  }
  random::testing::SeededRng rng(211);
  std::vector<int64_t> counts(queries.size() + 1, 0);
  for (int i = 0; i < kSelectionN; ++i) {
    auto svt = *SparseVector::Create(o);
    auto answers = *svt.Run(queries, rng);
    size_t first = queries.size();
    for (size_t j = 0; j < answers.size(); ++j) {
      if (answers[j]) {
        first = j;
        break;
      }
    }
    ++counts[first];
  }
  auto r = test::ChiSquareCounts(counts, Normalise(probs));
  EXPECT_GT(r.p_value, kAlpha) << r.ToString();
}

// ---------------------------------------------------------------------------------------------
// Randomized response

TEST(RandomizedResponseStatisticalTest, ReportsMatchExactProbabilities) {
  random::testing::SeededRng rng(212);
  auto binary = RandomizedResponse::Create({.epsilon = 0.7});
  int64_t kept = 0;
  for (int i = 0; i < kN; ++i) kept += binary->RandomizeBit(true, rng);
  EXPECT_GT(test::BinomialTwoSidedPValue(kept, kN, binary->keep_probability()), kAlpha);
  EXPECT_NEAR(binary->keep_probability(), std::exp(0.7) / (1 + std::exp(0.7)), 1e-12);

  auto k = RandomizedResponse::Create({.epsilon = 1.3, .categories = 5});
  std::vector<int64_t> counts(5, 0);
  for (int i = 0; i < kN; ++i) ++counts[*k->Randomize(2, rng)];
  const double p = k->keep_probability(), q = k->other_probability();
  auto r = test::ChiSquareCounts(counts, {q, q, p, q, q});
  EXPECT_GT(r.p_value, kAlpha) << r.ToString();
}

TEST(RandomizedResponseStatisticalTest, FrequencyEstimatorIsUnbiased) {
  // 2000 surveys of 1000 respondents with true counts (600, 300, 100); the mean estimate over
  // surveys must match the truth within 4.9 standard errors.
  auto k = RandomizedResponse::Create({.epsilon = 1, .categories = 3});
  random::testing::SeededRng rng(213);
  const int surveys = 2000;
  const int64_t truth[] = {600, 300, 100};
  std::vector<double> sum(3, 0), sum_sd(3, 0);
  int covered = 0;
  for (int s = 0; s < surveys; ++s) {
    std::vector<int64_t> observed(3, 0);
    for (int v = 0; v < 3; ++v) {
      for (int64_t i = 0; i < truth[v]; ++i) ++observed[*k->Randomize(v, rng)];
    }
    auto est = *k->EstimateFrequencies(observed, 0.95);
    for (int v = 0; v < 3; ++v) {
      sum[v] += est[v].count;
      sum_sd[v] += est[v].stddev;
    }
    covered += est[1].interval.Contains(300);
  }
  for (int v = 0; v < 3; ++v) {
    const double mean = sum[v] / surveys;
    const double se = (sum_sd[v] / surveys) / std::sqrt(static_cast<double>(surveys));
    EXPECT_LT(std::fabs(mean - truth[v]) / se, 4.9) << v << " mean " << mean;
  }
  // Normal-approximation interval: coverage close to 95% (binomial test at the nominal level;
  // the approximation error at n = 1000 is well below what 2000 surveys resolve).
  EXPECT_GT(test::BinomialTwoSidedPValue(covered, surveys, 0.95), kAlpha) << covered;
}

}  // namespace
}  // namespace dpkit::mechanisms
