#include "dpkit/accounting/zcdp.h"

#include <cmath>

#include "dpkit/accounting/composition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::accounting {
namespace {

using ::testing::HasSubstr;

TEST(ZcdpTest, CostsFromBunSteinke) {
  EXPECT_DOUBLE_EQ(PureDpToZcdp(1.0), 0.5);           // BS16 Prop 1.4
  EXPECT_DOUBLE_EQ(GaussianZcdp(2.0), 1.0 / 8.0);     // BS16 Prop 1.6
}

TEST(ZcdpTest, ClassicConversionFormula) {
  // BS16 Prop 1.3: eps = rho + 2 sqrt(rho ln(1/delta)).
  auto e = ZcdpEpsilon(0.5, 1e-5, ZcdpConversion::kClassic);
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(*e, 0.5 + 2 * std::sqrt(0.5 * std::log(1e5)), 1e-12);
}

TEST(ZcdpTest, Cks20IsBetweenExactGaussianAndClassic) {
  // A Gaussian with noise multiplier s is exactly 1/(2 s^2)-zCDP, so no conversion from rho
  // can beat its exact (Balle-Wang) epsilon; CKS20 must be tighter than the classic bound.
  for (double nm : {0.5, 1.0, 3.0, 10.0}) {
    for (double delta : {1e-3, 1e-6, 1e-12}) {
      const double rho = GaussianZcdp(nm);
      auto exact = GaussianEpsilon(nm, delta);
      auto cks = ZcdpEpsilon(rho, delta);
      auto classic = ZcdpEpsilon(rho, delta, ZcdpConversion::kClassic);
      ASSERT_TRUE(exact.ok() && cks.ok() && classic.ok());
      EXPECT_LE(*exact, *cks + 1e-12) << nm << " " << delta;
      EXPECT_LT(*cks, *classic) << nm << " " << delta;
    }
  }
}

TEST(ZcdpTest, Cks20ClosedFormAtGivenOrder) {
  // At a fixed alpha the CKS20 Cor. 13 objective is explicit; the optimum is <= it.
  const double rho = 0.1, delta = 1e-6, a = 8.0;
  const double at_a =
      a * rho + (std::log(1 / delta) + (a - 1) * std::log(1 - 1 / a) - std::log(a)) / (a - 1);
  auto e = ZcdpEpsilon(rho, delta);
  ASSERT_TRUE(e.ok());
  EXPECT_LE(*e, at_a + 1e-12);
  // ... and no order does better than the optimum (scan of alpha in (1, 1000]).
  for (double b = 1.01; b < 1000; b *= 1.01) {
    const double at_b =
        b * rho + (std::log(1 / delta) + (b - 1) * std::log(1 - 1 / b) - std::log(b)) / (b - 1);
    EXPECT_GE(at_b, *e - 1e-9) << b;
  }
}

TEST(ZcdpTest, RoundTripBothConversions) {
  for (ZcdpConversion c : {ZcdpConversion::kClassic, ZcdpConversion::kCks20}) {
    for (double rho : {1e-4, 0.01, 0.5, 4.0}) {
      for (double delta : {1e-2, 1e-6, 1e-12}) {
        auto e = ZcdpEpsilon(rho, delta, c);
        ASSERT_TRUE(e.ok());
        if (*e == 0) continue;  // already (0, delta)-DP: nothing to invert
        auto d = ZcdpDelta(rho, *e, c);
        ASSERT_TRUE(d.ok());
        EXPECT_NEAR(std::log(*d), std::log(delta), 1e-6) << rho << " " << delta;
      }
    }
  }
}

TEST(ZcdpTest, EdgeCasesAndErrors) {
  EXPECT_EQ(*ZcdpEpsilon(0.0, 1e-5), 0.0);
  EXPECT_TRUE(std::isinf(*ZcdpEpsilon(0.1, 0.0)));
  EXPECT_EQ(*ZcdpDelta(0.5, 0.0, ZcdpConversion::kClassic), 1.0);
  auto bad = ZcdpEpsilon(-0.1, 1e-5);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("rho must be finite and >= 0, got -0.1"));
  auto bad_eps = ZcdpDelta(0.1, std::nan(""));
  ASSERT_FALSE(bad_eps.ok());
  EXPECT_THAT(bad_eps.status().message(), HasSubstr("epsilon"));
  // Extreme rho values stay finite and ordered.
  auto tiny = ZcdpEpsilon(1e-18, 1e-10);
  auto huge = ZcdpEpsilon(1e6, 1e-10);
  ASSERT_TRUE(tiny.ok() && huge.ok());
  EXPECT_GT(*tiny, 0);
  EXPECT_LT(*tiny, 1e-7);
  EXPECT_GT(*huge, 1e6);
  EXPECT_TRUE(std::isfinite(*huge));
}

TEST(ZcdpTest, RhoForEpsilonIsTheLargestFittingRho) {
  for (double eps : {0.01, 0.5, 1.0, 8.0, 100.0}) {
    for (double delta : {1e-12, 1e-6, 1e-3}) {
      auto rho = ZcdpRhoForEpsilon(eps, delta);
      ASSERT_TRUE(rho.ok()) << rho.status();
      EXPECT_LE(*ZcdpEpsilon(*rho, delta), eps);           // never overspends
      EXPECT_GT(*ZcdpEpsilon(*rho * (1 + 1e-6), delta), eps);  // and leaves nothing on the table
      const double l = std::log(1 / delta), classic_root = std::sqrt(l + eps) - std::sqrt(l);
      EXPECT_GE(*rho, classic_root * classic_root * (1 - 1e-8));  // at least the classic rho
    }
  }
  // Known value: rho = 0.5 gives eps(CKS20, delta=1e-6) ~ 5.12; the inverse returns ~0.5.
  auto rho = ZcdpRhoForEpsilon(*ZcdpEpsilon(0.5, 1e-6), 1e-6);
  ASSERT_TRUE(rho.ok());
  EXPECT_NEAR(*rho, 0.5, 1e-8);
}

TEST(ZcdpTest, RhoForEpsilonRejectsBadInputs) {
  EXPECT_THAT(ZcdpRhoForEpsilon(0, 1e-6).status().message(), HasSubstr("epsilon"));
  EXPECT_THAT(ZcdpRhoForEpsilon(std::nan(""), 1e-6).status().message(), HasSubstr("epsilon"));
  EXPECT_THAT(ZcdpRhoForEpsilon(1, 0).status().message(), HasSubstr("delta"));
  EXPECT_THAT(ZcdpRhoForEpsilon(1, 1).status().message(), HasSubstr("delta"));
}

}  // namespace
}  // namespace dpkit::accounting
