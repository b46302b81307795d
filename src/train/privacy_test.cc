// The privacy a training run reports equals the accountant's value for the same q, sigma and
// steps; the per-epoch curve and the step limit agree with the accountant.
#include "dpkit/train/privacy.h"

#include "dpkit/accounting/calibration.h"
#include "dpkit/random/seeded_rng.h"
#include "dpkit/train/dp_sgd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::train {
namespace {

namespace nn = torch::nn;
using accounting::AccountantKind;

double Epsilon(double nm, double q, int64_t steps, double delta) {
  auto e = accounting::ComposedEpsilon({PrivacyMap::SubsampledGaussian(nm, q, steps)}, delta,
                                       AccountantKind::kRdp);
  EXPECT_TRUE(e.ok()) << e.status();
  return *e;
}

TEST(DpSgdPrivacy, TrainingRunReportsTheNoiseMechanismsMap) {
  torch::manual_seed(1);
  nn::Sequential model(nn::Linear(3, 2));
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.1));
  random::testing::SeededRng rng(3);
  const double q = 0.2, nm = 1.1;
  auto noise = DpSgdNoise(mechanisms::SecureNoise(), model, {}, nm);
  ASSERT_TRUE(noise.ok());
  auto e = DpSgdEngine::Create(model, opt, {.noise = *noise, .sampling_rate = q, .max_steps = 7},
                               40, rng);
  ASSERT_TRUE(e.ok());
  torch::Tensor x = torch::randn({40, 3});
  torch::Tensor y = torch::randint(0, 2, {40}, torch::kLong);
  for (int i = 0; i < 7; ++i) ASSERT_TRUE((*e)->Step(x, y, CrossEntropyLoss()).ok());
  auto spent = (*e)->PrivacySpent();
  ASSERT_TRUE(spent.ok());
  const PrivacyMap want = (*noise)->SubsampledPrivacyMap(q, 7);
  EXPECT_EQ(spent->ToJson(), want.ToJson());
  const double nm_eff = (*e)->effective_noise_multiplier();
  EXPECT_GE(nm_eff, nm);
  EXPECT_LE(nm_eff, nm * 1.001);
  // The requested multiplier would be (slightly) less private: we never under-report.
  EXPECT_LE(Epsilon(nm_eff, q, 7, 1e-5), Epsilon(nm, q, 7, 1e-5));
}

TEST(DpSgdPrivacy, EpsilonCurveEqualsTheAccountant) {
  auto curve = DpSgdEpsilonCurve::Create(1.1, 0.01);
  ASSERT_TRUE(curve.ok()) << curve.status();
  for (int64_t steps : {1, 100, 5000}) {
    auto a = curve->Epsilon(steps, 1e-5);
    ASSERT_TRUE(a.ok());
    const double b = Epsilon(1.1, 0.01, steps, 1e-5);
    EXPECT_NEAR(*a, b, 1e-9 * b) << steps;
  }
}

TEST(DpSgdPrivacy, MaxStepsWithinBudget) {
  auto steps = MaxStepsWithinBudget(1.0, 0.01, 2.0, 1e-5, 100000);
  ASSERT_TRUE(steps.ok());
  ASSERT_GT(*steps, 0);
  EXPECT_LE(Epsilon(1.0, 0.01, *steps, 1e-5), 2.0);
  EXPECT_GT(Epsilon(1.0, 0.01, *steps + 1, 1e-5), 2.0);
}

}  // namespace
}  // namespace dpkit::train
