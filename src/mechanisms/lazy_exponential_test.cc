// Statistical and audit tests of the lazy exponential mechanism (dense and lazy scores).
//
// Statistical: chi^2 goodness of fit of 200k draws against the exact EM probabilities; each
// test fails a correct sampler with probability 1e-6 (p-value threshold).
// Audit: on neighbouring score vectors (every score moved by at most the sensitivity), the
// empirical epsilon lower bound (tests/lib/audit.h, alpha = 1e-6) must not exceed the claimed
// pure epsilon (tolerance 0); a deliberately broken mechanism (epsilon doubled) is caught.
#include <cmath>

#include "dpkit/mechanisms/lazy_exponential.h"

#include "dpkit/base/status.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"
#include "lib/audit.h"
#include "lib/stats.h"

namespace dpkit::mechanisms {
namespace {

constexpr double kPValueThreshold = 1e-6;

absl::StatusOr<int> ExponentialMechanism(const std::vector<double>& scores, double eps,
                                         double sens, random::BitGenerator& gen) {
  DPKIT_ASSIGN_OR_RETURN(auto m, LazyExponentialMechanism::Create({eps, sens}));
  return m.Select(scores, gen);
}

absl::StatusOr<int> LazySelect(const std::vector<double>& upper,
                               const LazyExponentialMechanism::ScoreFn& score, double eps,
                               double sens, random::BitGenerator& gen) {
  DPKIT_ASSIGN_OR_RETURN(auto m, LazyExponentialMechanism::Create({eps, sens}));
  return m.Select(upper, score, [](const std::vector<int>&) { return absl::OkStatus(); }, gen);
}

std::vector<double> EmProbabilities(const std::vector<double>& s, double eps, double sens) {
  double mx = *std::max_element(s.begin(), s.end()), z = 0;
  std::vector<double> p(s.size());
  for (size_t i = 0; i < s.size(); ++i) z += p[i] = std::exp(eps * (s[i] - mx) / (2 * sens));
  for (double& v : p) v /= z;
  return p;
}

TEST(SelectionStatisticalTest, ExponentialMechanismMatchesItsDistribution) {
  const std::vector<double> scores = {0, 1.5, 3, 2.2, -4, 3, 0.5};
  random::testing::SeededRng rng(11);
  std::vector<int64_t> counts(scores.size(), 0);
  for (int t = 0; t < 200000; ++t) {
    auto i = ExponentialMechanism(scores, 1.3, 1.0, rng);
    ASSERT_TRUE(i.ok());
    ++counts[*i];
  }
  const auto r = test::ChiSquareCounts(counts, EmProbabilities(scores, 1.3, 1.0));
  EXPECT_GT(r.p_value, kPValueThreshold) << r.ToString();
}

TEST(SelectionStatisticalTest, LazyMechanismHasTheSameDistributionAndScoresLazily) {
  const std::vector<double> scores = {0,   1.5, 3,   2.2, -40, 3,    0.5,  -100,
                                      -50, -60, -70, -80, -90, -110, -120, -130};
  std::vector<double> upper = scores;
  for (size_t i = 0; i < upper.size(); ++i) upper[i] += 0.7 * i;  // loose but valid bounds
  random::testing::SeededRng rng(12);
  std::vector<int64_t> counts(scores.size(), 0);
  std::vector<int64_t> evaluations(scores.size(), 0);
  for (int t = 0; t < 200000; ++t) {
    auto i = LazySelect(
        upper,
        [&](int k) -> absl::StatusOr<double> {
          ++evaluations[k];
          return scores[k];
        },
        2.0, 1.5, rng);
    ASSERT_TRUE(i.ok());
    ++counts[*i];
  }
  const auto r = test::ChiSquareCounts(counts, EmProbabilities(scores, 2.0, 1.5));
  EXPECT_GT(r.p_value, kPValueThreshold) << r.ToString();
  // Candidates outside the first batch of 8 (by bound) whose bound is far below the best score
  // are never scored (first-stage acceptance probability < e^-30); the top ones always are.
  for (int k = 9; k < 16; ++k) EXPECT_EQ(evaluations[k], 0) << k;
  EXPECT_EQ(evaluations[5], 200000);
}

TEST(SelectionStatisticalTest, LazyMechanismRejectsAViolatedBound) {
  random::testing::SeededRng rng(1);
  auto i = LazySelect({0.0}, [](int) -> absl::StatusOr<double> { return 5.0; }, 1.0, 1.0, rng);
  EXPECT_FALSE(i.ok());
}

// Neighbouring score vectors: D has scores s, D' has s shifted by +-sensitivity adversarially.
TEST(SelectionAuditTest, EmpiricalEpsilonWithinClaim) {
  const double eps = 1.0, sens = 1.0;
  const std::vector<double> d = {0, 0, 0, 0};
  const std::vector<double> dp = {1, -1, -1, -1};  // each score moved by <= 1
  test::AuditOptions opt;
  opt.selection_samples = 50000;
  opt.test_samples = 300000;
  auto run = [&](const std::vector<double>& s, double e) {
    return [s, e, sens](random::BitGenerator& g) -> int64_t {
      return *ExponentialMechanism(s, e, sens, g);
    };
  };
  const auto ok = test::AuditNeighbours(run(d, eps), run(dp, eps), opt);
  EXPECT_LE(ok.epsilon_lower_bound, eps) << ok.ToString();
  EXPECT_GT(ok.epsilon_lower_bound, 0.5 * eps) << "audit too weak: " << ok.ToString();
  // Power: a mechanism that secretly uses 2 * epsilon is detected.
  const auto broken = test::AuditNeighbours(run(d, 2 * eps), run(dp, 2 * eps), opt);
  EXPECT_GT(broken.epsilon_lower_bound, eps) << broken.ToString();
}

TEST(LazyExponentialTest, ZeroNoiseReturnsTheBestCandidate) {
  random::testing::SeededRng rng(3);
  auto m = testing::ZeroNoise().LazyExponential({.epsilon = 0.1, .sensitivity = 1});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m->Select(std::vector<double>{1, 7, 3, 7}, rng), 1);
  EXPECT_FALSE(LazyExponentialMechanism::Create({.epsilon = 0, .sensitivity = 1}).ok());
}

}  // namespace
}  // namespace dpkit::mechanisms
