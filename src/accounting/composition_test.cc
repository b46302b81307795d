#include "dpkit/accounting/composition.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::accounting {
namespace {

using ::testing::HasSubstr;

TEST(SequentialTest, SumsAndCapsDelta) {
  auto r = ComposeSequential({{0.5, 1e-6}, {0.25, 0}, {1.0, 1e-5}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(r->epsilon, 1.75);
  EXPECT_DOUBLE_EQ(r->delta, 1.1e-5);
  auto capped = ComposeSequential({{1, 0.7}, {1, 0.7}});
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->delta, 1.0);
}

TEST(SequentialTest, RejectsBadParts) {
  auto r = ComposeSequential({{0.5, 0}, {-1, 0}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("parts[1].epsilon"));
  EXPECT_THAT(r.status().message(), HasSubstr("-1"));
  auto nan = ComposeSequential({{0.5, std::nan("")}});
  ASSERT_FALSE(nan.ok());
  EXPECT_THAT(nan.status().message(), HasSubstr("parts[0].delta"));
}

TEST(ParallelTest, TakesMaxAndNeverExceedsSequential) {
  std::vector<EpsilonDelta> parts = {{0.5, 1e-6}, {0.25, 1e-5}, {1.0, 0}};
  auto par = ComposeParallel(parts);
  auto seq = ComposeSequential(parts);
  ASSERT_TRUE(par.ok() && seq.ok());
  EXPECT_DOUBLE_EQ(par->epsilon, 1.0);
  EXPECT_DOUBLE_EQ(par->delta, 1e-5);
  EXPECT_LE(par->epsilon, seq->epsilon);
  EXPECT_LE(par->delta, seq->delta);
}

TEST(AdvancedTest, MatchesDrv10Formula) {
  // DRV10 Thm III.3 with eps=0.1, k=100, delta'=1e-6:
  // sqrt(2*100*ln(1e6))*0.1 + 100*0.1*(e^0.1-1).
  auto r = ComposeAdvanced({0.1, 1e-8}, 100, 1e-6);
  ASSERT_TRUE(r.ok()) << r.status();
  const double want = std::sqrt(200 * std::log(1e6)) * 0.1 + 10 * std::expm1(0.1);
  EXPECT_NEAR(r->epsilon, want, 1e-12);
  EXPECT_NEAR(r->delta, 100 * 1e-8 + 1e-6, 1e-18);
  // For few large-epsilon steps basic composition is tighter and is returned.
  auto few = ComposeAdvanced({2.0, 0}, 2, 1e-6);
  ASSERT_TRUE(few.ok());
  EXPECT_DOUBLE_EQ(few->epsilon, 4.0);
  EXPECT_EQ(few->delta, 0.0);
  EXPECT_FALSE(ComposeAdvanced({0.1, 0}, 0, 1e-6).ok());
  EXPECT_FALSE(ComposeAdvanced({0.1, 0}, 10, 0).ok());
}

// Direct (naive, linear-space) evaluation of the KOV15 Thm 3.3 sum for small k.
double NaiveKovDelta(double e0, double d0, int k, double eps) {
  double s = 0;
  for (int l = 0; l <= k; ++l) {
    if ((k - 2 * l) * e0 <= eps) continue;
    const double c = std::exp(std::lgamma(k + 1) - std::lgamma(l + 1) - std::lgamma(k - l + 1));
    s += c * (std::exp((k - l) * e0) - std::exp(eps + l * e0));
  }
  s /= std::pow(1 + std::exp(e0), k);
  return 1 - std::pow(1 - d0, k) * (1 - s);
}

TEST(OptimalCompositionTest, SingleMechanismIsRandomizedResponse) {
  // k = 1: delta(eps) = (e^e0 - e^eps) / (1 + e^e0) for eps < e0, exactly RR's hockey stick.
  auto d = OptimalCompositionDelta({1.0, 0}, 1, 0.5);
  ASSERT_TRUE(d.ok());
  EXPECT_NEAR(*d, (std::exp(1.0) - std::exp(0.5)) / (1 + std::exp(1.0)), 1e-15);
  auto at_e0 = OptimalCompositionDelta({1.0, 1e-6}, 1, 1.0);
  ASSERT_TRUE(at_e0.ok());
  EXPECT_NEAR(*at_e0, 1e-6, 1e-18);
}

TEST(OptimalCompositionTest, MatchesNaiveSum) {
  for (int k : {2, 5, 20, 60}) {
    for (double eps : {0.0, 0.3, 1.0, 2.5}) {
      auto d = OptimalCompositionDelta({0.2, 1e-7}, k, eps);
      ASSERT_TRUE(d.ok());
      EXPECT_NEAR(*d, NaiveKovDelta(0.2, 1e-7, k, eps), 1e-12) << "k=" << k << " eps=" << eps;
    }
  }
}

TEST(OptimalCompositionTest, NeverWorseThanAdvancedOrBasic) {
  for (int64_t k : {10, 100, 1000, 100000}) {
    const EpsilonDelta step{0.05, 1e-9};
    auto adv = ComposeAdvanced(step, k, 1e-6);
    ASSERT_TRUE(adv.ok());
    auto opt = OptimalCompositionEpsilon(step, k, adv->delta);
    ASSERT_TRUE(opt.ok()) << opt.status();
    EXPECT_LE(*opt, adv->epsilon + 1e-9) << "k=" << k;
    EXPECT_LE(*opt, step.epsilon * k + 1e-9);
    // Round trip: delta at the returned epsilon is within the target.
    auto back = OptimalCompositionDelta(step, k, *opt);
    ASSERT_TRUE(back.ok());
    EXPECT_LE(*back, adv->delta * (1 + 1e-9));
  }
}

TEST(OptimalCompositionTest, UnreachableDeltaIsInfinite) {
  // 10 mechanisms with delta0 = 1e-3 need delta >= 1 - (1-1e-3)^10 ~ 9.96e-3.
  auto e = OptimalCompositionEpsilon({0.1, 1e-3}, 10, 1e-3);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(std::isinf(*e));
}

TEST(GaussianTest, IssueReferenceValue) {
  // Issue #3: Gaussian sigma = sqrt(3) composed 3 times (= one Gaussian with sigma 1):
  // delta(eps = 1) = Phi(-0.5) - e Phi(-1.5) = 0.126936 (Balle & Wang 2018, Thm 8).
  auto d = GaussianDelta(1.0, 1.0);
  ASSERT_TRUE(d.ok());
  EXPECT_NEAR(*d, 0.126936, 1e-6);
  // Phi(-0.5) = 0.3085375387259869, Phi(-1.5) = 0.0668072012688581 (standard tables).
  EXPECT_NEAR(*d, 0.3085375387259869 - std::exp(1.0) * 0.0668072012688581, 1e-13);
}

TEST(GaussianTest, EpsilonDeltaRoundTripAndMonotone) {
  double prev = 1e300;
  for (double nm : {0.3, 0.7, 1.0, 2.0, 5.0, 30.0}) {
    for (double delta : {1e-3, 1e-5, 1e-10, 1e-30}) {
      auto e = GaussianEpsilon(nm, delta);
      ASSERT_TRUE(e.ok());
      auto back = GaussianDelta(nm, *e);
      ASSERT_TRUE(back.ok());
      EXPECT_LE(*back, delta * (1 + 1e-9)) << nm << " " << delta;
      if (*e > 1e-9) {
        EXPECT_GE(*back, delta * (1 - 1e-6)) << nm << " " << delta;
      }
    }
    auto e = GaussianEpsilon(nm, 1e-5);
    ASSERT_TRUE(e.ok());
    EXPECT_LT(*e, prev);  // more noise, less epsilon
    prev = *e;
  }
}

TEST(GaussianTest, EdgeCasesAndErrors) {
  auto zero = GaussianEpsilon(1.0, 0.0);
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(std::isinf(*zero));
  auto huge_noise = GaussianEpsilon(1e6, 0.5);
  ASSERT_TRUE(huge_noise.ok());
  EXPECT_EQ(*huge_noise, 0.0);
  auto bad = GaussianEpsilon(-1, 1e-5);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("noise_multiplier must be finite and > 0, got -1"));
  auto bad_delta = GaussianEpsilon(1, 1.5);
  ASSERT_FALSE(bad_delta.ok());
  EXPECT_THAT(bad_delta.status().message(), HasSubstr("delta must be in [0, 1), got 1.5"));
  // Tiny noise multiplier: epsilon is large but finite and the round trip holds.
  auto small = GaussianEpsilon(1e-3, 1e-5);
  ASSERT_TRUE(small.ok());
  EXPECT_TRUE(std::isfinite(*small));
  EXPECT_GT(*small, 1e4);
}

}  // namespace
}  // namespace dpkit::accounting
