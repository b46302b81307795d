// Unit tests: validation messages, privacy maps, noise scales, confidence intervals and
// deterministic properties of every mechanism.
#include <cmath>
#include <limits>
#include <utility>

#include "dpkit/mechanisms/calibration.h"
#include "dpkit/mechanisms/gaussian.h"
#include "dpkit/mechanisms/laplace.h"
#include "dpkit/mechanisms/randomized_response.h"
#include "dpkit/mechanisms/selection.h"
#include "dpkit/mechanisms/sparse_vector.h"
#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::mechanisms {
namespace {

using ::testing::HasSubstr;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// ---------------------------------------------------------------------------------------------
// Laplace

TEST(LaplaceTest, ValidationNamesParameterAndValue) {
  EXPECT_EQ(Message(LaplaceMechanism::Create({.epsilon = 0, .l1_sensitivity = 1}).status()),
            "epsilon must be finite and > 0, got 0");
  EXPECT_EQ(Message(LaplaceMechanism::Create({.epsilon = -1, .l1_sensitivity = 1}).status()),
            "epsilon must be finite and > 0, got -1");
  EXPECT_EQ(Message(LaplaceMechanism::Create({.epsilon = kNan, .l1_sensitivity = 1}).status()),
            "epsilon must be finite and > 0, got nan");
  EXPECT_EQ(Message(LaplaceMechanism::Create({.epsilon = kInf, .l1_sensitivity = 1}).status()),
            "epsilon must be finite and > 0, got inf");
  EXPECT_EQ(Message(LaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = 0}).status()),
            "l1_sensitivity must be finite and > 0, got 0");
  EXPECT_EQ(Message(LaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = -3}).status()),
            "l1_sensitivity must be finite and > 0, got -3");
  EXPECT_THAT(
      Message(LaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = 1, .granularity_bits = 41})
                  .status()),
      HasSubstr("granularity_bits must be in [0, 40], got 41"));
  EXPECT_THAT(
      Message(LaplaceMechanism::Create({.epsilon = 1e-300, .l1_sensitivity = 1e300}).status()),
      HasSubstr("overflows"));
  auto m = LaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = 1});
  ASSERT_TRUE(m.ok());
  random::testing::SeededRng rng(1);
  EXPECT_EQ(Message(m->AddNoise(kNan, rng).status()), "value must be finite, got nan");
  EXPECT_EQ(Message(m->AddNoise(-kInf, rng).status()), "value must be finite, got -inf");
  EXPECT_EQ(Message(m->ConfidenceInterval(0, 1.0).status()),
            "confidence level must be in (0, 1), got 1");
}

TEST(LaplaceTest, PrivacyMapScaleAndGrid) {
  for (double eps : {0.1, 1.0, 3.7}) {
    for (double sens : {1.0, 0.3, 1000.0}) {
      auto m = LaplaceMechanism::Create({.epsilon = eps, .l1_sensitivity = sens});
      ASSERT_TRUE(m.ok());
      // Claim holds (<= requested) and is tight (grid effects ~ 2^-20).
      EXPECT_LE(m->epsilon(), eps);
      EXPECT_GT(m->epsilon(), eps * (1 - 4e-6));
      PrivacyMap map = m->privacy_map();
      EXPECT_EQ(map.kind, PrivacyMapKind::kDiscreteLaplace);
      EXPECT_TRUE(map.Validate().ok());
      EXPECT_GE(1 / map.noise_multiplier, m->epsilon() * (1 - 1e-15));  // conservative
      EXPECT_NEAR(1 / map.noise_multiplier, eps, eps * 4e-6);
      EXPECT_GE(m->noise_scale(), sens / eps);
      EXPECT_LT(m->noise_scale(), sens / eps * (1 + 4e-6));
      EXPECT_NEAR(m->noise_stddev(), std::sqrt(2.0) * m->noise_scale(), 1e-6 * m->noise_scale());
      const double lambda = m->granularity();
      int e;
      EXPECT_EQ(std::frexp(lambda, &e), 0.5);  // a power of two
      // Both the sensitivity and the scale span >= 2^20 grid steps.
      EXPECT_LE(lambda, std::min(sens, sens / eps) / (1 << 20));
      EXPECT_GT(lambda, std::min(sens, sens / eps) / (1 << 21));
      EXPECT_GE(m->grid_sensitivity() * lambda, sens);
      EXPECT_LT((m->grid_sensitivity() - 1) * lambda, sens);
    }
  }
}

TEST(LaplaceTest, OutputsLieOnTheGrid) {
  auto m = LaplaceMechanism::Create({.epsilon = 0.7, .l1_sensitivity = 1.3});
  ASSERT_TRUE(m.ok());
  random::testing::SeededRng rng(2);
  for (double x : {0.0, 1.0, 0.123456789, -5e6, 1e-300}) {
    for (int i = 0; i < 200; ++i) {
      double y = *m->AddNoise(x, rng);
      double k = y / m->granularity();
      EXPECT_EQ(k, std::floor(k)) << x;
    }
  }
}

// Noise scale far above Delta/epsilon when Delta/epsilon was large: epsilon = 1e-8, Delta = 1e8
// gave b = 8.59e17 instead of 1e16 (the sensitivity was rounded up to one coarse grid step).
TEST(LaplaceTest, NoiseScaleStaysAtDeltaOverEpsilonForTinyEpsilon) {
  for (const auto& [eps, sens] : {std::pair{1e-8, 1e8}, {1e-10, 1e10}, {1e-6, 3.0}, {1e-9, 0.7}}) {
    auto m = LaplaceMechanism::Create({.epsilon = eps, .l1_sensitivity = sens});
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_GE(m->noise_scale(), sens / eps);
    EXPECT_LT(m->noise_scale(), sens / eps * (1 + 1e-4)) << eps;
    EXPECT_LE(m->epsilon(), eps);
  }
  // Where the sampler's range cannot give the scale within 1%, a clear refusal.
  auto tiny = LaplaceMechanism::Create({.epsilon = 1e-15, .l1_sensitivity = 1});
  EXPECT_EQ(tiny.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tiny.status().message(), HasSubstr("the exact sampler cannot add Laplace noise"));
}

TEST(GaussianTest, NoiseScaleStaysAtTheCalibratedSigmaForLargeSigmaOverDelta) {
  for (const auto& [eps, sens] : {std::pair{1e-8, 1e8}, {1e-3, 3.0}, {0.01, 1e10}}) {
    auto m = GaussianMechanism::Create({.epsilon = eps, .delta = 1e-6, .l2_sensitivity = sens});
    ASSERT_TRUE(m.ok()) << m.status();
    auto sigma = GaussianSigma(GaussianCalibration::kAnalytic, eps, 1e-6, sens);
    ASSERT_TRUE(sigma.ok());
    EXPECT_GE(m->noise_scale(), *sigma * (1 - 1e-9));
    EXPECT_LT(m->noise_scale(), *sigma * 1.01) << eps;
  }
}

// 1e50 was released as 2^100 (clamped) with an "exact" interval excluding it. Huge values are
// released exactly as the mechanism defines them: the double nearest to lambda (x_g + N).
TEST(LaplaceTest, HugeValuesAreReleasedNotClamped) {
  auto laplace = LaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = 1});
  auto gauss = GaussianMechanism::Create({.epsilon = 1, .delta = 1e-6, .l2_sensitivity = 1});
  ASSERT_TRUE(laplace.ok() && gauss.ok());
  random::testing::SeededRng rng(3);
  const double lambda = laplace->granularity();
  for (double x : {1e50, -1e50, 1e300, -std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::max(), std::ldexp(lambda, 117),
                   std::ldexp(1.5 * lambda, 116), std::ldexp(lambda, 60) + 3 * lambda}) {
    for (int i = 0; i < 50; ++i) {
      for (bool use_gauss : {false, true}) {
        const double y = use_gauss ? *gauss->AddNoise(x, rng) : *laplace->AddNoise(x, rng);
        ASSERT_TRUE(std::isfinite(y)) << x;
        // Noise of scale ~1 on a value this large moves it by a few of its ulps at most.
        EXPECT_LE(std::fabs(y - x), 64 * std::fabs(std::nextafter(x, 0.0) - x) + 100) << x;
        auto ci = use_gauss ? gauss->ConfidenceInterval(y, 0.95)
                            : laplace->ConfidenceInterval(y, 0.95);
        ASSERT_TRUE(ci.ok());
        if (std::fabs(x) >= 1e40) EXPECT_TRUE(ci->Contains(x)) << x << " -> " << y;
      }
    }
  }
  EXPECT_EQ(*laplace->AddNoise(1e50, rng), 1e50);
}

TEST(LaplaceTest, HugeValuesKeepNoiseAndDoNotOverflow) {
  auto m = LaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = 256});
  ASSERT_TRUE(m.ok());
  random::testing::SeededRng rng(3);
  // 2^60: the neighbour 2^60 + 256 is the next-but-one double; the noise (scale 256) is still
  // visible in the released doubles.
  const double x = 0x1.0p60;
  int differ = 0;
  for (int i = 0; i < 200; ++i) differ += *m->AddNoise(x, rng) != x;
  EXPECT_GT(differ, 100);
  // Far beyond the noise, values come back unchanged (never clamped, never inf/nan).
  for (double big : {1e300, -1e300, std::numeric_limits<double>::max()}) {
    EXPECT_EQ(*m->AddNoise(big, rng), big);
  }
}

TEST(LaplaceTest, ConfidenceIntervalIsExactQuantile) {
  auto m = LaplaceMechanism::Create({.epsilon = 0.5, .l1_sensitivity = 1});
  ASSERT_TRUE(m.ok());
  for (double level : {0.5, 0.9, 0.95, 0.999999}) {
    auto ci = m->ConfidenceInterval(10.0, level);
    ASSERT_TRUE(ci.ok());
    EXPECT_TRUE(ci->exact);
    EXPECT_TRUE(ci->Contains(10.0));
    // Continuous Laplace: P(|L| <= m) = 1 - exp(-m/b)  =>  m = b ln(1/(1-level)).
    const double expected = m->noise_scale() * std::log(1 / (1 - level));
    EXPECT_NEAR(ci->HalfWidth(), expected, 2e-5 * expected + 4 * m->granularity()) << level;
  }
}

TEST(DiscreteLaplaceTest, ValidationAndMap) {
  EXPECT_EQ(Message(DiscreteLaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = 0}).status()),
            "l1_sensitivity must be an integer >= 1, got 0");
  EXPECT_EQ(Message(DiscreteLaplaceMechanism::Create({.epsilon = -2}).status()),
            "epsilon must be finite and > 0, got -2");
  auto m = DiscreteLaplaceMechanism::Create({.epsilon = 0.5, .l1_sensitivity = 3});
  ASSERT_TRUE(m.ok());
  EXPECT_LE(m->epsilon(), 0.5);
  EXPECT_GT(m->epsilon(), 0.5 * (1 - 1e-10));
  EXPECT_NEAR(m->noise_scale(), 6.0, 1e-9);
  EXPECT_EQ(m->privacy_map().kind, PrivacyMapKind::kDiscreteLaplace);
  EXPECT_NEAR(m->privacy_map().noise_multiplier, 2.0, 1e-9);
}

TEST(DiscreteLaplaceTest, HandComputedConfidenceInterval) {
  // t = 1: P(|N| > m) = 2 e^-(m+1) / (1 + e^-1). For 95%: m = 3 (2e^-4/1.3679 = 0.0268 <= 0.05,
  // while m = 2 gives 0.0728).
  auto m = DiscreteLaplaceMechanism::Create({.epsilon = 1, .l1_sensitivity = 1});
  ASSERT_TRUE(m.ok());
  auto ci = m->ConfidenceInterval(7, 0.95);
  ASSERT_TRUE(ci.ok());
  EXPECT_EQ(ci->lower, 4);
  EXPECT_EQ(ci->upper, 10);
  // 50%: m = 0 (P(N = 0) = (1-p)/(1+p) = 0.4621 < 0.5) -> m = 1 (0.4621 + 2 * 0.17 = 0.80).
  ci = m->ConfidenceInterval(7, 0.5);
  EXPECT_EQ(ci->lower, 6);
  EXPECT_EQ(ci->upper, 8);
}

TEST(DiscreteLaplaceTest, SaturatesInsteadOfOverflowing) {
  auto m = DiscreteLaplaceMechanism::Create({.epsilon = 0.01, .l1_sensitivity = 1});
  ASSERT_TRUE(m.ok());
  random::testing::SeededRng rng(4);
  bool saw_max = false;
  for (int i = 0; i < 100; ++i) {
    int64_t y = m->AddNoise(std::numeric_limits<int64_t>::max() - 5, rng);
    saw_max |= y == std::numeric_limits<int64_t>::max();
    EXPECT_GT(y, std::numeric_limits<int64_t>::max() - 20000);
  }
  EXPECT_TRUE(saw_max);
}

// ---------------------------------------------------------------------------------------------
// Gaussian

TEST(GaussianTest, ValidationNamesParameterAndValue) {
  EXPECT_EQ(Message(GaussianMechanism::Create({.l2_sensitivity = 1}).status()),
            "set exactly one privacy target: (epsilon, delta), rho, or sigma; got none");
  GaussianOptions both{.epsilon = 1, .delta = 1e-5, .rho = 0.5, .l2_sensitivity = 1};
  EXPECT_EQ(Message(GaussianMechanism::Create(both).status()),
            "set exactly one privacy target: (epsilon, delta), rho, or sigma; got more than one");
  EXPECT_EQ(
      Message(GaussianMechanism::Create({.epsilon = 1, .delta = 0, .l2_sensitivity = 1}).status()),
      "delta must be in (0, 1), got 0");
  EXPECT_EQ(
      Message(
          GaussianMechanism::Create({.epsilon = 1, .delta = 1.5, .l2_sensitivity = 1}).status()),
      "delta must be in (0, 1), got 1.5");
  EXPECT_EQ(
      Message(
          GaussianMechanism::Create({.epsilon = -1, .delta = 1e-5, .l2_sensitivity = 1}).status()),
      "epsilon must be finite and > 0, got -1");
  EXPECT_EQ(Message(GaussianMechanism::Create({.epsilon = 1, .delta = 1e-5, .l2_sensitivity = kNan})
                        .status()),
            "l2_sensitivity must be finite and > 0, got nan");
  EXPECT_EQ(Message(GaussianMechanism::Create({.rho = -0.5, .l2_sensitivity = 1}).status()),
            "rho must be finite and > 0, got -0.5");
  EXPECT_EQ(Message(GaussianMechanism::Create({.sigma = 0.0, .l2_sensitivity = 1}).status()),
            "sigma must be finite and > 0, got 0");
  GaussianOptions classic{.epsilon = 2,
                          .delta = 1e-5,
                          .l2_sensitivity = 1,
                          .calibration = GaussianCalibration::kClassic};
  EXPECT_THAT(Message(GaussianMechanism::Create(classic).status()),
              HasSubstr("only valid for epsilon < 1"));
}

TEST(GaussianTest, AnalyticCalibrationMapAndExactDelta) {
  auto m = GaussianMechanism::Create({.epsilon = 1, .delta = 1e-5, .l2_sensitivity = 2});
  ASSERT_TRUE(m.ok());
  // Continuous analytic sigma for (1, 1e-5) is 3.7306316 per unit sensitivity.
  EXPECT_GE(m->noise_scale(), 2 * 3.7306316348159418 * (1 - 1e-12));
  EXPECT_LT(m->noise_scale(), 2 * 3.7306316348159418 * 1.001);
  EXPECT_LE(m->DeltaForEpsilon(1), 1e-5);
  PrivacyMap map = m->privacy_map();
  EXPECT_EQ(map.kind, PrivacyMapKind::kDiscreteGaussian);
  EXPECT_TRUE(map.Validate().ok());
  EXPECT_NEAR(map.noise_multiplier, m->noise_scale() / 2, 1e-5);
  EXPECT_NEAR(m->rho(), 1 / (2 * map.noise_multiplier * map.noise_multiplier), 1e-9);
  EXPECT_EQ(m->epsilon(), 1);
  EXPECT_EQ(m->delta(), 1e-5);
}

TEST(GaussianTest, ClassicAndRhoAndSigmaTargets) {
  auto classic = GaussianMechanism::Create({.epsilon = 0.5,
                                            .delta = 1e-5,
                                            .l2_sensitivity = 1,
                                            .calibration = GaussianCalibration::kClassic});
  ASSERT_TRUE(classic.ok());
  EXPECT_GE(classic->noise_scale(), 9.6896105252107788);
  EXPECT_LT(classic->noise_scale(), 9.6896105252107788 * (1 + 1e-5));
  auto rho = GaussianMechanism::Create({.rho = 0.125, .l2_sensitivity = 1});
  ASSERT_TRUE(rho.ok());
  EXPECT_LE(rho->rho(), 0.125);
  EXPECT_GT(rho->rho(), 0.125 * (1 - 1e-5));
  EXPECT_EQ(rho->epsilon(), 0);
  auto sigma = GaussianMechanism::Create({.sigma = 10.0, .l2_sensitivity = 1});
  ASSERT_TRUE(sigma.ok());
  EXPECT_GE(sigma->noise_scale(), 10.0);
  EXPECT_LT(sigma->noise_scale(), 10.0 * (1 + 1e-5));
}

TEST(GaussianTest, ConfidenceIntervalMatchesNormalQuantile) {
  auto m = GaussianMechanism::Create({.sigma = 4.0, .l2_sensitivity = 1});
  ASSERT_TRUE(m.ok());
  // 95%: 1.959964 sigma.
  auto ci = m->ConfidenceInterval(100, 0.95);
  ASSERT_TRUE(ci.ok());
  EXPECT_NEAR(ci->HalfWidth(), 1.959963984540054 * m->noise_scale(), 1e-4);
  EXPECT_TRUE(ci->Contains(100));
  random::testing::SeededRng rng(5);
  double y = *m->AddNoise(0.1, rng);
  EXPECT_EQ(std::fmod(y, m->granularity()), 0.0);
}

TEST(DiscreteGaussianTest, AddsNoiseWhenDiscreteDeltaExceedsContinuous) {
  // At sigma = 3 the discrete Gaussian's delta(1) = 2.1778e-4 exceeds the continuous one,
  // 2.0751e-4. Asking for exactly the continuous delta at sigma = 3 must give sigma > 3.
  const double delta = 0.00020751220205273613;
  auto m = DiscreteGaussianMechanism::Create({.epsilon = 1, .delta = delta, .l2_sensitivity = 1});
  ASSERT_TRUE(m.ok());
  EXPECT_GT(m->noise_scale(), 3.0);
  EXPECT_LT(m->noise_scale(), 3.1);
  EXPECT_LE(m->DeltaForEpsilon(1), delta);
  auto fixed = DiscreteGaussianMechanism::Create({.sigma = 3.0, .l2_sensitivity = 1});
  ASSERT_TRUE(fixed.ok());
  EXPECT_NEAR(fixed->DeltaForEpsilon(1) / 0.0002177830522631044, 1, 1e-6);
  EXPECT_EQ(
      Message(DiscreteGaussianMechanism::Create({.sigma = 3.0, .l2_sensitivity = 0}).status()),
      "l2_sensitivity must be an integer >= 1, got 0");
  EXPECT_THAT(Message(DiscreteGaussianMechanism::Create({.sigma = 1e9}).status()),
              HasSubstr("outside the supported range"));
}

TEST(DiscreteGaussianTest, HandComputedInterval) {
  // sigma = 0.5: P(N=0) = 1/Z, Z = 1 + 2(e^-2 + e^-8 + ...) = 1.2714; P(|N| <= 1) = 0.99966.
  auto m = DiscreteGaussianMechanism::Create({.sigma = 0.5, .l2_sensitivity = 1});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->ConfidenceInterval(3, 0.7)->lower, 3);  // P(N = 0) = 0.7865 >= 0.7
  EXPECT_EQ(m->ConfidenceInterval(3, 0.9)->lower, 2);
  EXPECT_EQ(m->ConfidenceInterval(3, 0.9999)->lower, 1);
  EXPECT_LT(m->noise_stddev(), 0.5);  // the discrete Gaussian's variance is < sigma^2
}

// ---------------------------------------------------------------------------------------------
// Selection

TEST(SelectionTest, ValidationNamesParameterAndValue) {
  EXPECT_EQ(Message(SelectionMechanism::Create({.epsilon = 0, .sensitivity = 1}).status()),
            "epsilon must be finite and > 0, got 0");
  EXPECT_EQ(Message(SelectionMechanism::Create({.epsilon = 1, .sensitivity = kNan}).status()),
            "sensitivity must be finite and > 0, got nan");
  EXPECT_THAT(Message(SelectionMechanism::Create({.epsilon = 1e-20, .sensitivity = 1}).status()),
              HasSubstr("epsilon must be in [2^-40, 2^40]"));
  auto m = SelectionMechanism::Create({.epsilon = 1, .sensitivity = 1});
  ASSERT_TRUE(m.ok());
  random::testing::SeededRng rng(6);
  EXPECT_EQ(Message(m->Select({}, rng).status()), "scores must not be empty");
  EXPECT_EQ(Message(m->Select({1.0, 2.0, kNan}, rng).status()), "score 2 must be finite, got nan");
  EXPECT_EQ(Message(ParseSelectionKind("softmax").status()),
            "unknown selection mechanism 'softmax'; expected exponential, permute_and_flip, "
            "report_noisy_max_gumbel or report_noisy_max_exponential");
}

TEST(SelectionTest, EpsilonRoundedDownAndIdentities) {
  for (auto kind :
       {SelectionKind::kExponential, SelectionKind::kPermuteAndFlip,
        SelectionKind::kReportNoisyMaxGumbel, SelectionKind::kReportNoisyMaxExponential}) {
    auto m = SelectionMechanism::Create({.kind = kind, .epsilon = 0.3, .sensitivity = 1.7});
    ASSERT_TRUE(m.ok());
    EXPECT_LE(m->epsilon(), 0.3);
    EXPECT_GT(m->epsilon(), 0.3 * (1 - 1e-10));
    EXPECT_EQ(m->privacy_map().kind, PrivacyMapKind::kPureDp);
    EXPECT_EQ(m->privacy_map().mechanism, SelectionKindName(kind));
    EXPECT_EQ(*ParseSelectionKind(SelectionKindName(kind)), kind);
  }
  EXPECT_EQ(SelectionMechanism::Create(
                {.kind = SelectionKind::kReportNoisyMaxGumbel, .epsilon = 1, .sensitivity = 1})
                ->implementation(),
            SelectionKind::kExponential);
  EXPECT_EQ(SelectionMechanism::Create(
                {.kind = SelectionKind::kReportNoisyMaxExponential, .epsilon = 1, .sensitivity = 1})
                ->implementation(),
            SelectionKind::kPermuteAndFlip);
}

TEST(SelectionTest, LargeGapsAlwaysPickTheBest) {
  random::testing::SeededRng rng(7);
  for (auto kind : {SelectionKind::kExponential, SelectionKind::kPermuteAndFlip}) {
    auto m = SelectionMechanism::Create({.kind = kind, .epsilon = 1, .sensitivity = 1});
    std::vector<double> scores = {-1e6, 5e5, 1e300, -1e300, 3.0};
    for (int i = 0; i < 100; ++i) EXPECT_EQ(*m->Select(scores, rng), 2u);
  }
}

// ---------------------------------------------------------------------------------------------
// Sparse vector

TEST(SparseVectorTest, ValidationAndSplit) {
  EXPECT_EQ(
      Message(SparseVector::Create({.epsilon = 1, .sensitivity = 1, .max_above = 0}).status()),
      "max_above must be in [1, 2^20], got 0");
  EXPECT_EQ(
      Message(SparseVector::Create({.epsilon = 1, .sensitivity = 1, .threshold = kInf}).status()),
      "threshold must be finite, got inf");
  EXPECT_EQ(Message(SparseVector::Create(
                        {.epsilon = 1, .sensitivity = 1, .threshold_epsilon_fraction = 1.5})
                        .status()),
            "threshold_epsilon_fraction must be in (0, 1), got 1.5");
  auto m = SparseVector::Create({.epsilon = 1, .sensitivity = 1, .max_above = 1});
  ASSERT_TRUE(m.ok());
  EXPECT_LE(m->epsilon(), 1.0);
  EXPECT_GT(m->epsilon(), 1 - 1e-9);
  // Lyu et al.: eps1 : eps2 = 1 : 2^(2/3).
  EXPECT_NEAR(m->query_epsilon() / m->threshold_epsilon(), std::cbrt(4.0), 1e-6);
  EXPECT_NEAR(m->threshold_noise_scale(), 1 / m->threshold_epsilon(), 1e-6);
  EXPECT_NEAR(m->query_noise_scale(), 2 / m->query_epsilon(), 1e-6);
  EXPECT_EQ(m->privacy_map().kind, PrivacyMapKind::kPureDp);
}

TEST(SparseVectorTest, StopsAfterMaxAboveAndRejectsNan) {
  auto m =
      SparseVector::Create({.epsilon = 1000, .sensitivity = 1, .threshold = 10, .max_above = 2});
  ASSERT_TRUE(m.ok());
  random::testing::SeededRng rng(8);
  EXPECT_EQ(Message(m->Next(kNan, rng).status()), "query value must be finite, got nan");
  EXPECT_EQ(m->answered(), 0);
  // With epsilon = 1000 the noise is tiny: answers follow the true comparison.
  auto answers = m->Run({0, 3, 50, 1, 70, 80}, rng);
  ASSERT_TRUE(answers.ok());
  EXPECT_EQ(*answers, (std::vector<bool>{false, false, true, false, true}));
  EXPECT_TRUE(m->exhausted());
  auto more = m->Next(100, rng);
  EXPECT_EQ(more.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(more.status()), HasSubstr("sparse vector exhausted"));
}

// ---------------------------------------------------------------------------------------------
// Randomized response

TEST(RandomizedResponseTest, ValidationAndProbabilities) {
  EXPECT_EQ(Message(RandomizedResponse::Create({.epsilon = 1, .categories = 1}).status()),
            "categories must be in [2, 2^40], got 1");
  EXPECT_EQ(Message(RandomizedResponse::Create({.epsilon = kNan}).status()),
            "epsilon must be finite and > 0, got nan");
  auto rr = RandomizedResponse::Create({.epsilon = std::log(3.0), .categories = 2});
  ASSERT_TRUE(rr.ok());
  EXPECT_LE(rr->epsilon(), std::log(3.0));
  EXPECT_NEAR(rr->keep_probability(), 0.75, 1e-12);
  EXPECT_NEAR(rr->other_probability(), 0.25, 1e-12);
  random::testing::SeededRng rng(9);
  EXPECT_EQ(Message(rr->Randomize(2, rng).status()), "value must be a category in [0, 2), got 2");
  auto k = RandomizedResponse::Create({.epsilon = std::log(6.0), .categories = 4});
  EXPECT_NEAR(k->keep_probability(), 6.0 / 9, 1e-12);
  EXPECT_NEAR(k->other_probability(), 1.0 / 9, 1e-12);
  EXPECT_EQ(k->privacy_map().mechanism, "kary_randomized_response");
}

TEST(RandomizedResponseTest, EstimatorIsUnbiasedOnExpectedCounts) {
  auto k = RandomizedResponse::Create({.epsilon = std::log(6.0), .categories = 4});
  ASSERT_TRUE(k.ok());
  // True counts (900, 300, 0, 1800) of n = 3000: expected reports n_v p + (n - n_v) q.
  const double p = 6.0 / 9, q = 1.0 / 9;
  const double truth[] = {900, 300, 0, 1800};
  std::vector<int64_t> observed;
  for (double t : truth) observed.push_back(std::llround(t * p + (3000 - t) * q));
  auto est = k->EstimateFrequencies(observed, 0.95);
  ASSERT_TRUE(est.ok());
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR((*est)[i].count, truth[i], 1.0) << i;
    EXPECT_FALSE((*est)[i].interval.exact);
    EXPECT_TRUE((*est)[i].interval.Contains(truth[i]));
  }
  EXPECT_EQ(Message(k->EstimateFrequencies({1, 2}, 0.95).status()),
            "expected 4 observed counts, got 2");
  EXPECT_EQ(Message(k->EstimateFrequencies({1, -2, 0, 0}, 0.95).status()),
            "observed count 1 must be >= 0, got -2");
}

}  // namespace
}  // namespace dpkit::mechanisms
