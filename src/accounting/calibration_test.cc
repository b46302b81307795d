#include "dpkit/accounting/calibration.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::accounting {
namespace {

using ::testing::HasSubstr;

AccountantOptions TfOptions() {
  AccountantOptions o;
  o.rdp_orders = TfPrivacyRdpOrders();
  return o;
}

TEST(DpSgdTest, ScheduleFollowsTfPrivacy) {
  auto m = DpSgdPrivacyMap({60000, 150, 15}, 1.3);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, PrivacyMapKind::kSubsampledGaussian);
  EXPECT_EQ(m->repetitions, 6000);
  EXPECT_DOUBLE_EQ(m->sampling_rate, 0.0025);
  // 60 epochs of 60000 at batch 256: ceil(14062.5) = 14063 steps.
  EXPECT_EQ(DpSgdPrivacyMap({60000, 256, 60}, 1.1)->repetitions, 14063);
  // TF Privacy reference (compute_dp_sgd_privacy): eps = 0.7242234026 with TF's orders.
  auto e = ComposedEpsilon({*m}, 1e-5, AccountantKind::kRdp, TfOptions());
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(*e, 0.7242234026, 1e-8);
}

TEST(DpSgdTest, RejectsBadSchedules) {
  auto bad = DpSgdPrivacyMap({100, 200, 1}, 1.0);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("batch_size must be <= examples (100), got 200"));
  auto bad_epochs = DpSgdPrivacyMap({100, 10, -1}, 1.0);
  ASSERT_FALSE(bad_epochs.ok());
  EXPECT_THAT(bad_epochs.status().message(), HasSubstr("epochs must be finite and > 0, got -1"));
  auto bad_nm = DpSgdPrivacyMap({100, 10, 1}, 0);
  ASSERT_FALSE(bad_nm.ok());
  EXPECT_THAT(bad_nm.status().message(), HasSubstr("noise_multiplier"));
}

TEST(ComposedTest, ErrorsNameTheMap) {
  auto e = ComposedEpsilon({PrivacyMap::PureDp(1), PrivacyMap::ApproxDp(1, 1e-6)}, 1e-5,
                           AccountantKind::kRdp);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("map 2 (approx_dp"));
}

TEST(NoiseMultiplierTest, InvertsTheTfReference) {
  // The TF reference (sigma 1.3 -> eps 0.7242234026): searching for that epsilon returns 1.3.
  auto r = NoiseMultiplierForEpsilon(0.7242234026, 1e-5, 0.0025, 6000, AccountantKind::kRdp,
                                     TfOptions(), 1e-4);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->noise_multiplier, 1.3, 1.3 * 2e-4);
  EXPECT_LE(r->epsilon, 0.7242234026 + 1e-12);
  EXPECT_GE(r->noise_multiplier, 1.3 * (1 - 1e-9));  // never below the true answer
}

TEST(NoiseMultiplierTest, MonotoneAndMeetsTarget) {
  double prev = 1e9;
  for (double target : {0.5, 1.0, 2.0, 8.0}) {
    auto r = NoiseMultiplierForEpsilon(target, 1e-5, 0.01, 1000, AccountantKind::kRdp);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_LE(r->epsilon, target);
    EXPECT_LT(r->noise_multiplier, prev);
    prev = r->noise_multiplier;
    // Within tolerance: 0.1% less noise misses the target.
    auto below = ComposedEpsilon(
        {PrivacyMap::SubsampledGaussian(r->noise_multiplier * (1 - 2e-3), 0.01, 1000)}, 1e-5,
        AccountantKind::kRdp);
    EXPECT_GT(*below, target);
  }
}

TEST(NoiseMultiplierTest, PldNeedsNoMoreNoiseThanRdp) {
  auto rdp = NoiseMultiplierForEpsilon(1.0, 1e-5, 0.01, 500, AccountantKind::kRdp);
  auto pld = NoiseMultiplierForEpsilon(1.0, 1e-5, 0.01, 500, AccountantKind::kPld);
  ASSERT_TRUE(rdp.ok() && pld.ok()) << pld.status();
  EXPECT_LE(pld->noise_multiplier, rdp->noise_multiplier);
  EXPECT_LE(pld->epsilon, 1.0);
  EXPECT_LT(pld->noise_multiplier, 0.97 * rdp->noise_multiplier);  // PLD is tighter here
}

TEST(NoiseMultiplierTest, UnreachableAndInvalid) {
  // delta below the zero-noise floor: 1e6 steps at q = 1 can never reach eps 1e-6 at 1e-12.
  auto r = NoiseMultiplierForEpsilon(1e-9, 1e-12, 1.0, 1000000000, AccountantKind::kRdp);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(r.status().message(), HasSubstr("no noise multiplier up to 1e6"));
  auto bad = NoiseMultiplierForEpsilon(-1, 1e-5, 0.01, 10, AccountantKind::kRdp);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("target_epsilon must be finite and > 0, got -1"));
  auto bad_q = NoiseMultiplierForEpsilon(1, 1e-5, 0, 10, AccountantKind::kRdp);
  ASSERT_FALSE(bad_q.ok());
  EXPECT_THAT(bad_q.status().message(), HasSubstr("sampling_rate must be in (0, 1], got 0"));
}

}  // namespace
}  // namespace dpkit::accounting
