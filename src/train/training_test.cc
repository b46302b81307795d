// PlanTraining (public schedule, calibration through accounting, the noise mechanism's map) and
// RunTraining (epochs, per-epoch epsilon, test metrics).
#include "dpkit/train/training.h"

#include "dpkit/accounting/calibration.h"
#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::train {
namespace {

using ::testing::HasSubstr;

torch::nn::Sequential Linear(int64_t in, int64_t out) { return *BuildModel("linear", in, out); }

TEST(PlanTraining, InfeasibleEpsilonSuggestsSettings) {
  auto p = PlanTraining({.epsilon = 0.01, .delta = 1e-5, .rows = 30000, .epochs = 50,
                         .batch_size = 1000, .max_noise_multiplier = 10},
                        Linear(3, 2), mechanisms::SecureNoise());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("epsilon 0.01 is too small for 50 epochs"));
  EXPECT_THAT(p.status().message(), HasSubstr("smallest feasible epsilon"));
}

TEST(PlanTraining, ChecksThePublicPlanningSize) {
  auto d = PlanTraining({.delta = 0.1, .rows = 100, .batch_size = 10}, Linear(3, 2),
                        mechanisms::SecureNoise());
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("delta < 1/N"));
  auto none = PlanTraining({.rows = 0}, Linear(3, 2), mechanisms::SecureNoise());
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("rows"));
  auto big = PlanTraining({.rows = 100, .batch_size = 200}, Linear(3, 2), mechanisms::SecureNoise());
  ASSERT_FALSE(big.ok());
  EXPECT_THAT(big.status().message(), HasSubstr("exceeds the planned number of rows"));
}

TEST(PlanTraining, ChargesWhatTheNoiseMechanismReports) {
  auto model = Linear(3, 2);
  TrainingOptions o{.epsilon = 3, .rows = 1000, .epochs = 2, .batch_size = 100};
  auto p = PlanTraining(o, model, mechanisms::SecureNoise());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->steps_per_epoch, 10);
  EXPECT_EQ(p->steps, 20);
  EXPECT_DOUBLE_EQ(p->sampling_rate, 0.1);
  EXPECT_EQ(p->privacy.ToJson(), p->noise->SubsampledPrivacyMap(0.1, 20).ToJson());
  EXPECT_GE(p->privacy.noise_multiplier, p->noise_multiplier);
  EXPECT_LE(p->planned_epsilon, 3);
  EXPECT_GT(p->planned_epsilon, 2.9);  // calibration is tight
  auto want = accounting::NoiseMultiplierForEpsilon(3, 1e-5, 0.1, 20,
                                                    accounting::AccountantKind::kRdp);
  ASSERT_TRUE(want.ok());
  EXPECT_DOUBLE_EQ(p->noise_multiplier, want->noise_multiplier);
  // The zero-noise factory plans the same release.
  auto zero = PlanTraining(o, model, mechanisms::testing::ZeroNoise());
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->privacy.ToJson(), p->privacy.ToJson());
  EXPECT_FALSE(zero->noise->adds_noise());
}

TEST(RunTraining, TrainsEveryEpochAndReportsTestMetrics) {
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({200, 3});
  torch::Tensor y = (x.select(1, 0) > 0).to(torch::kLong);
  EncodedData data{x, y, 0};
  auto model = Linear(3, 2);
  TrainingOptions o{.epsilon = 5, .rows = 200, .epochs = 2, .batch_size = 50,
                    .learning_rate = 0.5};
  auto plan = PlanTraining(o, model, mechanisms::SecureNoise());
  ASSERT_TRUE(plan.ok());
  random::testing::SeededRng rng(1);
  int epochs_seen = 0;
  auto res = RunTraining(*plan, o, model, data, data, TaskKind::kClassification, 1, rng,
                         {.on_epoch = [&](const EpochReport&) { ++epochs_seen; }});
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(epochs_seen, 2);
  ASSERT_EQ(res->epochs.size(), 2u);
  EXPECT_EQ(res->epochs[1].steps, plan->steps);
  EXPECT_LE(res->epochs[0].epsilon_spent, res->epochs[1].epsilon_spent);
  EXPECT_NEAR(res->epsilon_spent, plan->planned_epsilon, 1e-9);
  EXPECT_GT(res->epochs.back().test_accuracy, 0.6);
  EXPECT_EQ(res->epochs.back().test_rmse, -1);
  // Without test data there are no metrics.
  auto again = RunTraining(*plan, o, model, data, {}, TaskKind::kClassification, 1, rng);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->epochs.back().test_accuracy, -1);
}

}  // namespace
}  // namespace dpkit::train
