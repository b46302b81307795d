// Audit tier: empirical epsilon lower bounds on neighbouring inputs (tests/lib/audit.h) for
// every mechanism, deliberately broken mechanisms that the audit must catch (its power), and
// Mironov's floating-point attack on textbook Laplace sampling.
//
// False-positive rate: each audit of a correct mechanism fails with probability <= alpha = 1e-6
// (the audit's lower bound holds with confidence 1 - alpha, see audit.h), so the tolerance on
// "epsilon_lb <= claimed epsilon" is 0. Power checks assert epsilon_lb > claimed for mechanisms
// whose true epsilon is about twice the claim; with the sample sizes below the audit's bound is
// within ~10% of the true event ratio, so they pass with overwhelming probability (and with the
// fixed seeds, deterministically).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "dpkit/mechanisms/gaussian.h"
#include "dpkit/mechanisms/laplace.h"
#include "dpkit/mechanisms/randomized_response.h"
#include "dpkit/mechanisms/selection.h"
#include "dpkit/mechanisms/sparse_vector.h"
#include "dpkit/random/samplers.h"
#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"
#include "lib/audit.h"

namespace dpkit::mechanisms {
namespace {

using test::AuditOptions;
using test::BinOf;

// Runs the audit and prints its result (so the empirical bounds appear in the test log).
test::AuditResult RunAudit(const test::OutcomeSampler& on_d, const test::OutcomeSampler& on_d_prime,
                           const AuditOptions& options) {
  test::AuditResult r = test::AuditNeighbours(on_d, on_d_prime, options);
  std::printf("  audit[%s]: %s\n", ::testing::UnitTest::GetInstance()->current_test_info()->name(),
              r.ToString().c_str());
  return r;
}

// Outcome keys for real-valued outputs: bins of 1/8 of the noise scale.
AuditOptions RealOptions(uint64_t seed, double delta = 0) {
  AuditOptions o;
  o.selection_samples = 100'000;
  o.test_samples = 1'000'000;
  o.delta = delta;
  o.seed = seed;
  return o;
}

AuditOptions DiscreteOptions(uint64_t seed) {
  AuditOptions o;
  o.selection_samples = 50'000;
  o.test_samples = 200'000;
  o.seed = seed;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Laplace and Gaussian (real-valued, on the grid)

TEST(LaplaceAuditTest, EmpiricalEpsilonWithinClaim) {
  auto m = *LaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = 1});
  auto r = RunAudit([&](random::BitGenerator& g) { return BinOf(*m.AddNoise(0, g), 0.125); },
                    [&](random::BitGenerator& g) { return BinOf(*m.AddNoise(1, g), 0.125); },
                    RealOptions(301));
  EXPECT_LE(r.epsilon_lower_bound, m.epsilon()) << r.ToString();
  // Tail events have likelihood ratio exactly e^eps: the audit gets close to the claim.
  EXPECT_GT(r.epsilon_lower_bound, 0.9) << r.ToString();
}

TEST(LaplaceAuditTest, CatchesHalfTheNoise) {
  // A broken mechanism that adds half the noise its epsilon = 1 claim needs.
  auto broken = *LaplaceMechanism::Create({.epsilon = 2, .l1_sensitivity = 1});
  auto r = RunAudit([&](random::BitGenerator& g) { return BinOf(*broken.AddNoise(0, g), 0.125); },
                    [&](random::BitGenerator& g) { return BinOf(*broken.AddNoise(1, g), 0.125); },
                    RealOptions(302));
  EXPECT_GT(r.epsilon_lower_bound, 1.0) << r.ToString();
}

TEST(GaussianAuditTest, EmpiricalEpsilonWithinClaim) {
  const double delta = 1e-5;
  auto m = *GaussianMechanism::Create({.epsilon = 1, .delta = delta, .l2_sensitivity = 1});
  const double w = m.noise_scale() / 8;
  auto r = RunAudit([&](random::BitGenerator& g) { return BinOf(*m.AddNoise(0, g), w); },
                    [&](random::BitGenerator& g) { return BinOf(*m.AddNoise(1, g), w); },
                    RealOptions(303, delta));
  EXPECT_LE(r.epsilon_lower_bound, 1.0) << r.ToString();
}

TEST(GaussianAuditTest, CatchesHalfTheNoise) {
  const double delta = 1e-5;
  auto good = *GaussianMechanism::Create({.epsilon = 1, .delta = delta, .l2_sensitivity = 1});
  auto broken = *GaussianMechanism::Create({.sigma = good.noise_scale() / 2, .l2_sensitivity = 1});
  const double w = broken.noise_scale() / 8;
  auto r = RunAudit([&](random::BitGenerator& g) { return BinOf(*broken.AddNoise(0, g), w); },
                    [&](random::BitGenerator& g) { return BinOf(*broken.AddNoise(1, g), w); },
                    RealOptions(304, delta));
  EXPECT_GT(r.epsilon_lower_bound, 1.0) << r.ToString();
}

TEST(DiscreteLaplaceAuditTest, EmpiricalEpsilonWithinClaim) {
  auto m = *DiscreteLaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = 2});
  auto r = RunAudit([&](random::BitGenerator& g) { return m.AddNoise(0, g); },
                    [&](random::BitGenerator& g) { return m.AddNoise(2, g); }, RealOptions(305));
  EXPECT_LE(r.epsilon_lower_bound, m.epsilon()) << r.ToString();
  EXPECT_GT(r.epsilon_lower_bound, 0.9) << r.ToString();
}

TEST(DiscreteGaussianAuditTest, EmpiricalEpsilonWithinClaim) {
  const double delta = 1e-5;
  auto m = *DiscreteGaussianMechanism::Create({.epsilon = 1, .delta = delta, .l2_sensitivity = 1});
  auto r =
      RunAudit([&](random::BitGenerator& g) { return m.AddNoise(0, g); },
               [&](random::BitGenerator& g) { return m.AddNoise(1, g); }, RealOptions(306, delta));
  EXPECT_LE(r.epsilon_lower_bound, 1.0) << r.ToString();
}

// ---------------------------------------------------------------------------------------------
// Selection. Neighbouring score vectors (each score moves by the sensitivity 1):
//   D = (0, 1, 1, 1, 1), D' = (1, 0, 0, 0, 0).
// For the exponential mechanism at eps = 1, P_D'(0) = e^.5 / (e^.5 + 4) = 0.292 and
// P_D(0) = 1 / (1 + 4 e^.5) = 0.132: ratio 2.22 (ln = 0.80). A mechanism that forgets the factor
// 2 (true epsilon 2) has ratio 4.80 (ln = 1.57).

const std::vector<double> kScoresD = {0, 1, 1, 1, 1};
const std::vector<double> kScoresDPrime = {1, 0, 0, 0, 0};

test::AuditResult AuditSelection(const SelectionMechanism& m, uint64_t seed) {
  return RunAudit(
      [&](random::BitGenerator& g) { return static_cast<int64_t>(*m.Select(kScoresD, g)); },
      [&](random::BitGenerator& g) { return static_cast<int64_t>(*m.Select(kScoresDPrime, g)); },
      DiscreteOptions(seed));
}

TEST(SelectionAuditTest, EveryMechanismWithinClaim) {
  uint64_t seed = 310;
  for (auto kind :
       {SelectionKind::kExponential, SelectionKind::kPermuteAndFlip,
        SelectionKind::kReportNoisyMaxGumbel, SelectionKind::kReportNoisyMaxExponential}) {
    auto m = *SelectionMechanism::Create({.kind = kind, .epsilon = 1, .sensitivity = 1});
    auto r = AuditSelection(m, seed++);
    EXPECT_LE(r.epsilon_lower_bound, m.epsilon()) << SelectionKindName(kind) << " " << r.ToString();
    EXPECT_GT(r.epsilon_lower_bound, 0.5) << SelectionKindName(kind) << " " << r.ToString();
  }
}

TEST(SelectionAuditTest, CatchesMisusedMonotonicFlag) {
  // Claiming monotonic scores when they are not (D -> D' moves scores in both directions) is a
  // privacy bug: the mechanism then uses eps/Delta instead of eps/(2 Delta). The audit catches it.
  for (auto kind : {SelectionKind::kExponential, SelectionKind::kPermuteAndFlip}) {
    auto broken = *SelectionMechanism::Create(
        {.kind = kind, .epsilon = 1, .sensitivity = 1, .monotonic = true});
    auto r = AuditSelection(broken, 320 + static_cast<int>(kind));
    EXPECT_GT(r.epsilon_lower_bound, 1.0) << SelectionKindName(kind) << " " << r.ToString();
  }
}

// ---------------------------------------------------------------------------------------------
// Sparse vector: outcome = index of the first "above" answer (or the number of queries).

int64_t FirstAbove(const SparseVectorOptions& o, const std::vector<double>& queries,
                   random::BitGenerator& g) {
  auto svt = *SparseVector::Create(o);
  auto answers = *svt.Run(queries, g);
  for (size_t i = 0; i < answers.size(); ++i) {
    if (answers[i]) return static_cast<int64_t>(i);
  }
  return static_cast<int64_t>(queries.size());
}

TEST(SparseVectorAuditTest, EmpiricalEpsilonWithinClaim) {
  SparseVectorOptions o{.epsilon = 1, .sensitivity = 1, .threshold = 0, .max_above = 1};
  // Every query moves by the sensitivity, in opposite directions for the first and the rest.
  const std::vector<double> d = {-1, 0, 0, 0, 1}, d_prime = {0, -1, -1, -1, 0};
  auto r = RunAudit([&](random::BitGenerator& g) { return FirstAbove(o, d, g); },
                    [&](random::BitGenerator& g) { return FirstAbove(o, d_prime, g); },
                    RealOptions(330));
  auto proto = *SparseVector::Create(o);
  EXPECT_LE(r.epsilon_lower_bound, proto.epsilon()) << r.ToString();
}

TEST(SparseVectorAuditTest, CatchesMissingQueryNoise) {
  // A broken SVT without noise on the queries (a published bug pattern, Lyu et al. 2017 Alg. 5
  // and 6 discussion): "above at query 2" is possible for D and impossible for D'.
  const std::vector<double> d = {0, 1}, d_prime = {1, 0};
  auto broken = [&](const std::vector<double>& q, random::BitGenerator& g) -> int64_t {
    auto noise = *random::DiscreteLaplaceSampler::Create(1 << 20);  // Lap(1) on a 2^-20 grid
    const double rho = noise.Sample(g) / static_cast<double>(1 << 20);
    for (size_t i = 0; i < q.size(); ++i) {
      if (q[i] >= rho) return static_cast<int64_t>(i);
    }
    return static_cast<int64_t>(q.size());
  };
  auto r =
      RunAudit([&](random::BitGenerator& g) { return broken(d, g); },
               [&](random::BitGenerator& g) { return broken(d_prime, g); }, DiscreteOptions(331));
  EXPECT_GT(r.epsilon_lower_bound, 2.0) << r.ToString();
}

// ---------------------------------------------------------------------------------------------
// Randomized response

TEST(RandomizedResponseAuditTest, BinaryAndKaryWithinClaim) {
  auto binary = *RandomizedResponse::Create({.epsilon = 1.5});
  auto r =
      RunAudit([&](random::BitGenerator& g) { return *binary.Randomize(0, g); },
               [&](random::BitGenerator& g) { return *binary.Randomize(1, g); }, RealOptions(340));
  EXPECT_LE(r.epsilon_lower_bound, binary.epsilon()) << r.ToString();
  EXPECT_GT(r.epsilon_lower_bound, 1.4) << r.ToString();
  auto k = *RandomizedResponse::Create({.epsilon = 1.5, .categories = 6});
  r = RunAudit([&](random::BitGenerator& g) { return *k.Randomize(2, g); },
               [&](random::BitGenerator& g) { return *k.Randomize(5, g); }, RealOptions(341));
  EXPECT_LE(r.epsilon_lower_bound, k.epsilon()) << r.ToString();
  EXPECT_GT(r.epsilon_lower_bound, 1.3) << r.ToString();
}

// ---------------------------------------------------------------------------------------------
// Floating-point attack (Mironov 2012, "On Significance of the Least Significant Bits for
// Differential Privacy").
//
// Textbook Laplace: y = x + b * s * (-ln u), u uniform double in (0, 1], s a random sign,
// computed in double precision (implemented here, inside the test only).
// Claim: for x = 1 no output lies in (0, 0.5) unless it is a multiple of 2^-53. Proof: if
// fl(1 + eta) = y in (0, 0.5) then eta in (-1, -0.5) (eta <= -1 gives y <= 0 and eta >= -0.5 gives
// y >= 0.5, by monotonicity of rounding), so 1 + eta is computed exactly (Sterbenz) and
// y = 1 + eta, where eta is a double in (-1, -0.5), i.e. a multiple of 2^-53. For x = 0, y = eta
// is the noise itself, whose doubles in (0, 0.5) are mostly NOT multiples of 2^-53. Such an
// output proves the input was 0: the supports separate and the privacy loss is infinite.

bool MultipleOf2Pow53(double y) { return std::ldexp(y, 53) == std::floor(std::ldexp(y, 53)); }

double TextbookLaplace(double x, double b, random::BitGenerator& g) {
  const double u = (static_cast<double>(g.NextU64() >> 11) + 1) * 0x1.0p-53;  // (0, 1]
  const double sign = (g.NextU64() & 1) ? 1.0 : -1.0;
  return x + b * sign * -std::log(u);
}

TEST(FloatingPointAttackTest, TextbookLaplaceOutputsRevealTheInput) {
  random::testing::SeededRng rng(350);
  const int n = 1'000'000;
  int revealing_from_0 = 0, revealing_from_1 = 0;
  for (int i = 0; i < n; ++i) {
    double y0 = TextbookLaplace(0, 1, rng);
    revealing_from_0 += y0 > 0 && y0 < 0.5 && !MultipleOf2Pow53(y0);
    double y1 = TextbookLaplace(1, 1, rng);
    revealing_from_1 += y1 > 0 && y1 < 0.5 && !MultipleOf2Pow53(y1);
  }
  std::printf("  textbook Laplace: %d of %d outputs for x=0 are impossible for x=1\n",
              revealing_from_0, n);
  // More than half of the outputs in (0, 0.5) (probability 0.2) reveal x = 0 with certainty.
  EXPECT_GT(revealing_from_0, n / 20);
  EXPECT_EQ(revealing_from_1, 0);  // as proved above
}

TEST(FloatingPointAttackTest, DpkitLaplaceSupportsDoNotSeparate) {
  auto m = *LaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = 1});
  random::testing::SeededRng rng(351);
  const double lambda = m.granularity();
  const double t = m.noise_scale() / lambda;
  const double eps = m.epsilon();
  const int n = 1'000'000;
  int revealing = 0, off_grid = 0, ratio_violations = 0;
  for (int i = 0; i < n; ++i) {
    for (double x : {0.0, 1.0}) {
      const double y = *m.AddNoise(x, rng);
      const double k = y / lambda;  // both inputs are on the grid (lambda = 2^-20)
      off_grid += k != std::floor(k);
      revealing += x == 0 && y > 0 && y < 0.5 && !MultipleOf2Pow53(y);
      // Exact likelihood ratio of this output under inputs 0 and 1 (grid units 0 and 1/lambda):
      // |(|k - 1/lambda| - |k|) / t| <= D_g / t = eps.
      const double log_ratio = (std::fabs(k - 1 / lambda) - std::fabs(k)) / t;
      ratio_violations += std::fabs(log_ratio) > eps * (1 + 1e-12);
    }
  }
  EXPECT_EQ(off_grid, 0);
  EXPECT_EQ(revealing, 0);
  EXPECT_EQ(ratio_violations, 0);
  // And the audit's empirical bound stays within the claim (fine bins near the boundary).
  auto r = RunAudit([&](random::BitGenerator& g) { return BinOf(*m.AddNoise(0, g), 1.0 / 64); },
                    [&](random::BitGenerator& g) { return BinOf(*m.AddNoise(1, g), 1.0 / 64); },
                    RealOptions(352));
  EXPECT_LE(r.epsilon_lower_bound, eps) << r.ToString();
}

}  // namespace
}  // namespace dpkit::mechanisms
