// The privacy a training run reports equals the accountant's value for the same q, sigma and
// steps; calibration meets its target.
#include "dpkit/train/privacy.h"

#include "dpkit/accounting/accountant.h"
#include "dpkit/random/seeded_rng.h"
#include "dpkit/train/dp_sgd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::train {
namespace {

namespace nn = torch::nn;
using ::testing::HasSubstr;

TEST(DpSgdPrivacy, TrainingRunEqualsTheAccountantsValue) {
  torch::manual_seed(1);
  nn::Sequential model(nn::Linear(3, 2));
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.1));
  random::testing::SeededRng rng(3);
  const double q = 0.2, nm = 1.1;
  auto e = DpSgdEngine::Create(model, opt, {.noise_multiplier = nm, .sampling_rate = q, .max_steps = 7},
                               40, rng);
  ASSERT_TRUE(e.ok());
  torch::Tensor x = torch::randn({40, 3});
  torch::Tensor y = torch::randint(0, 2, {40}, torch::kLong);
  for (int i = 0; i < 7; ++i) ASSERT_TRUE((*e)->Step(x, y, CrossEntropyLoss()).ok());
  auto spent = (*e)->PrivacySpent();
  ASSERT_TRUE(spent.ok());
  const double nm_eff = (*e)->effective_noise_multiplier();
  EXPECT_GE(nm_eff, nm);
  EXPECT_LE(nm_eff, nm * 1.000001);
  for (auto kind : {accounting::AccountantKind::kRdp}) {
    auto acc = accounting::CreateAccountant(kind);
    ASSERT_TRUE(acc.ok());
    ASSERT_TRUE((*acc)->Add(PrivacyMap::SubsampledGaussian(nm_eff, q, 7)).ok());
    auto want = (*acc)->Epsilon(1e-5);
    ASSERT_TRUE(want.ok());
    auto got = DpSgdEpsilon(spent->noise_multiplier, spent->sampling_rate, spent->repetitions, 1e-5, kind);
    ASSERT_TRUE(got.ok());
    EXPECT_DOUBLE_EQ(*got, *want);
    // The requested multiplier would be (slightly) less private: we never under-report.
    auto nominal = DpSgdEpsilon(nm, q, 7, 1e-5, kind);
    ASSERT_TRUE(nominal.ok());
    EXPECT_LE(*got, *nominal);
  }
}

TEST(DpSgdPrivacy, CalibrationMeetsTheTargetTightly) {
  CalibrationOptions o{.target_epsilon = 3.0, .delta = 1e-5, .sampling_rate = 256.0 / 32561,
                       .steps = 20 * 127};
  auto cal = CalibrateNoiseMultiplier(o);
  ASSERT_TRUE(cal.ok()) << cal.status();
  EXPECT_LE(cal->epsilon, 3.0);
  auto looser = DpSgdEpsilon(cal->noise_multiplier * (1 - 2 * o.tolerance), o.sampling_rate,
                             o.steps, o.delta);
  ASSERT_TRUE(looser.ok());
  EXPECT_GT(*looser, 3.0);
  EXPECT_GT(cal->noise_multiplier, 0.5);
  EXPECT_LT(cal->noise_multiplier, 2.0);
}

TEST(DpSgdPrivacy, InfeasibleEpsilonNamesTheSmallestFeasibleOne) {
  auto cal = CalibrateNoiseMultiplier({.target_epsilon = 1e-3, .delta = 1e-5,
                                       .sampling_rate = 0.5, .steps = 1000,
                                       .max_noise_multiplier = 5});
  ASSERT_FALSE(cal.ok());
  EXPECT_EQ(cal.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(cal.status().message(), HasSubstr("too small"));
  EXPECT_THAT(cal.status().message(), HasSubstr("smallest feasible epsilon"));
  EXPECT_FALSE(CalibrateNoiseMultiplier({.target_epsilon = -1}).ok());
}

TEST(DpSgdPrivacy, EpsilonCurveEqualsTheAccountant) {
  auto curve = DpSgdEpsilonCurve::Create(1.1, 0.01);
  ASSERT_TRUE(curve.ok()) << curve.status();
  for (int64_t steps : {1, 100, 5000}) {
    auto a = curve->Epsilon(steps, 1e-5);
    auto b = DpSgdEpsilon(1.1, 0.01, steps, 1e-5);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NEAR(*a, *b, 1e-9 * *b) << steps;
  }
}

TEST(DpSgdPrivacy, MaxStepsWithinBudget) {
  auto steps = MaxStepsWithinBudget(1.0, 0.01, 2.0, 1e-5, 100000);
  ASSERT_TRUE(steps.ok());
  ASSERT_GT(*steps, 0);
  auto at = DpSgdEpsilon(1.0, 0.01, *steps, 1e-5);
  auto past = DpSgdEpsilon(1.0, 0.01, *steps + 1, 1e-5);
  ASSERT_TRUE(at.ok() && past.ok());
  EXPECT_LE(*at, 2.0);
  EXPECT_GT(*past, 2.0);
}

}  // namespace
}  // namespace dpkit::train
