// Unit tests of the calibration formulas against independently computed reference values.
//
// Reference values were computed with mpmath at 50 significant digits (not with this code):
//   analytic sigma: bisection on Balle & Wang's exact delta(eps, sigma) with mpmath's erfc;
//   discrete Gaussian tails/deltas: explicit finite summation of exp(-k^2/(2 sigma^2)) over
//   60 sigma + 100 terms with mpmath.fsum (mpmath.nsum's extrapolation was found inaccurate for
//   sigma >= 50, so it is not used).
// The classic values are sqrt(2 ln(1.25/delta)) * Delta / eps by hand (mpmath to 17 digits).
#include "dpkit/mechanisms/calibration.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::mechanisms {
namespace {

using ::testing::HasSubstr;

TEST(CalibrationTest, AnalyticGaussianMatchesReference) {
  struct Case {
    double eps, delta, sens, sigma;
  };
  const Case cases[] = {
      {1, 1e-5, 1, 3.7306316348159418},   {0.5, 1e-6, 1, 8.0576184807250443},
      {3, 1e-9, 2, 3.8874485270239386},   {0.1, 1e-5, 1, 30.749566131977448},
      {10, 1e-6, 1, 0.54108683181836598},
  };
  for (const auto& c : cases) {
    auto s = AnalyticGaussianSigma(c.eps, c.delta, c.sens);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_NEAR(*s / c.sigma, 1.0, 1e-9) << c.eps << " " << c.delta;
    EXPECT_GE(*s, c.sigma * (1 - 1e-12));  // never less noise than needed
    // The calibrated sigma meets the target and is tight.
    EXPECT_LE(GaussianDelta(c.eps, *s, c.sens), c.delta);
    EXPECT_GT(GaussianDelta(c.eps, *s * (1 - 1e-6), c.sens), c.delta);
  }
}

TEST(CalibrationTest, ClassicGaussianMatchesHandComputed) {
  auto s = ClassicGaussianSigma(0.5, 1e-5, 1);
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(*s, 9.6896105252107788, 1e-12);
  s = ClassicGaussianSigma(0.9, 1e-6, 3);
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(*s, 17.662675089501579, 1e-12);
  // The analytic calibration never needs more noise than the classic one.
  EXPECT_LT(*AnalyticGaussianSigma(0.9, 1e-6, 3), *s);
}

TEST(CalibrationTest, ClassicGaussianRefusesEpsilonAtLeastOne) {
  auto s = ClassicGaussianSigma(1.0, 1e-5, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("epsilon < 1"));
  EXPECT_THAT(s.status().message(), HasSubstr("got epsilon=1"));
  EXPECT_THAT(s.status().message(), HasSubstr("analytic"));
}

TEST(CalibrationTest, GaussianDeltaMatchesReference) {
  EXPECT_NEAR(GaussianDelta(1, 3.0, 1) / 0.00020751220205273613, 1, 1e-10);
  EXPECT_NEAR(GaussianDelta(0.5, 10.0, 1) / 6.8565824558387266e-9, 1, 1e-8);
  EXPECT_NEAR(GaussianDelta(2, 1.5, 1) / 0.00066002969577242664, 1, 1e-10);
  // Depends on sigma / Delta only.
  EXPECT_NEAR(GaussianDelta(1, 6.0, 2) / GaussianDelta(1, 3.0, 1), 1, 1e-12);
  // Huge epsilon: no overflow, delta -> 0.
  EXPECT_GE(GaussianDelta(800, 1.0, 1), 0.0);
  EXPECT_LT(GaussianDelta(800, 1.0, 1), 1e-100);
}

TEST(CalibrationTest, GaussianEpsilonInvertsDelta) {
  for (double sigma : {0.7, 3.0, 25.0}) {
    auto eps = GaussianEpsilon(sigma, 1e-6, 1);
    ASSERT_TRUE(eps.ok());
    EXPECT_LE(GaussianDelta(*eps, sigma, 1), 1e-6);
    EXPECT_GT(GaussianDelta(*eps * (1 - 1e-9), sigma, 1), 1e-6 * (1 - 1e-6));
    auto back = AnalyticGaussianSigma(*eps, 1e-6, 1);
    ASSERT_TRUE(back.ok());
    EXPECT_NEAR(*back / sigma, 1, 1e-8);
  }
}

TEST(CalibrationTest, DiscreteGaussianTailMatchesReference) {
  // Both code paths: direct summation (sigma < 32) and Euler-Maclaurin (sigma >= 32).
  EXPECT_NEAR(DiscreteGaussianTail(0.5, 0.0) / 0.10671464647902605, 1, 1e-12);
  EXPECT_NEAR(DiscreteGaussianTail(2.0, 3.5) / 0.038487606424974553, 1, 1e-12);
  EXPECT_NEAR(DiscreteGaussianTail(50.0, 120.0) / 0.0079753821511054675, 1, 1e-10);
  EXPECT_NEAR(DiscreteGaussianTail(50.0, -10.2) / 0.58316752937611816, 1, 1e-12);
  EXPECT_NEAR(DiscreteGaussianTail(1000.0, 3000.0) / 0.0013476832153861177, 1, 1e-10);
  EXPECT_EQ(DiscreteGaussianTail(3.0, INFINITY), 0.0);
  EXPECT_EQ(DiscreteGaussianTail(3.0, -INFINITY), 1.0);
}

TEST(CalibrationTest, DiscreteGaussianTailPathsAgreeAtTheBoundary) {
  // sigma just below 32 (summation) and at 32 (Euler-Maclaurin) give nearly the same tails.
  for (double x : {-40.0, 0.0, 10.0, 64.0, 150.0}) {
    double a = DiscreteGaussianTail(std::nextafter(32.0, 0.0), x);
    double b = DiscreteGaussianTail(32.0, x);
    EXPECT_NEAR(a / b, 1, 1e-11) << x;
  }
}

TEST(CalibrationTest, DiscreteGaussianDeltaMatchesReference) {
  struct Case {
    double eps, sigma;
    int64_t sens;
    double delta;
  };
  const Case cases[] = {
      {1, 0.8, 1, 0.18990139792857075},       {1, 3.0, 1, 0.0002177830522631044},
      {0.5, 10.0, 1, 6.9343703475178679e-9},  {2, 1.5, 2, 0.089622254405347336},
      {0.3, 40.0, 5, 0.00039453734019174752}, {1, 50.0, 3, 6.7388803784968669e-65},
  };
  for (const auto& c : cases) {
    EXPECT_NEAR(DiscreteGaussianDelta(c.eps, c.sigma, c.sens) / c.delta, 1, 1e-8)
        << c.eps << " " << c.sigma << " " << c.sens;
  }
  // The discrete Gaussian can be (slightly) less private than the continuous one at the same
  // sigma: this is why the mechanisms check CKS20 Theorem 7 themselves.
  EXPECT_GT(DiscreteGaussianDelta(1, 3.0, 1), GaussianDelta(1, 3.0, 1));
}

TEST(CalibrationTest, DiscreteGaussianEpsilonInvertsDelta) {
  auto eps = DiscreteGaussianEpsilon(3.0, 1e-5, 1);
  ASSERT_TRUE(eps.ok());
  EXPECT_LE(DiscreteGaussianDelta(*eps, 3.0, 1), 1e-5);
  EXPECT_GT(DiscreteGaussianDelta(*eps * 0.999, 3.0, 1), 1e-5);
}

TEST(CalibrationTest, RhoAndLaplaceScale) {
  EXPECT_DOUBLE_EQ(GaussianRho(2.0, 1.0), 0.125);
  auto b = LaplaceScale(0.5, 2.0);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, 4.0);  // exact quotient: not bumped
  b = LaplaceScale(0.3, 1.0);
  EXPECT_GE(static_cast<long double>(*b) * 0.3L, 1.0L);  // never below 1/0.3
  EXPECT_LE(*b, std::nextafter(1 / 0.3, 5.0));
}

TEST(CalibrationTest, ValidationNamesParameterAndValue) {
  EXPECT_EQ(LaplaceScale(-1, 1).status().message(), "epsilon must be finite and > 0, got -1");
  EXPECT_EQ(LaplaceScale(NAN, 1).status().message(), "epsilon must be finite and > 0, got nan");
  EXPECT_EQ(LaplaceScale(1, 0).status().message(), "l1_sensitivity must be finite and > 0, got 0");
  EXPECT_EQ(AnalyticGaussianSigma(1, 0, 1).status().message(), "delta must be in (0, 1), got 0");
  EXPECT_EQ(AnalyticGaussianSigma(1, 1, 1).status().message(), "delta must be in (0, 1), got 1");
  EXPECT_EQ(AnalyticGaussianSigma(INFINITY, 0.1, 1).status().message(),
            "epsilon must be finite and > 0, got inf");
  EXPECT_EQ(AnalyticGaussianSigma(1, 0.1, -2).status().message(),
            "l2_sensitivity must be finite and > 0, got -2");
  EXPECT_EQ(ParseGaussianCalibration("fancy").status().message(),
            "calibration must be 'analytic' or 'classic', got 'fancy'");
  EXPECT_EQ(*ParseGaussianCalibration("classic"), GaussianCalibration::kClassic);
}

}  // namespace
}  // namespace dpkit::mechanisms
