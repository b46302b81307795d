// Empirical privacy audit of DP-SGD: can an observer of the trained model tell whether one
// canary example was in the training set?
//
// Set-up (the worst case for DP-SGD, so the audit is as strong as possible for its size): a
// 1-parameter model w (Linear(1, 1), no bias, w0 = 0) and N-1 examples with zero gradient
// (x = 0); the canary is x = 1 with a huge target, so its clipped gradient is exactly -C and
// pushes w up by lr C / (q N) whenever Poisson sampling picks it. We train R models on D (no
// canary) and R on D' = D + canary with the full engine (Poisson sampling, clipping, grid
// noise, SGD), and threshold the final w. For each threshold t of a grid fixed in advance,
// TPR = P[w > t | D'] and FPR = P[w > t | D]; with Clopper-Pearson bounds (alpha / #thresholds
// per bound, Bonferroni), eps_lb = log((TPR_lower - delta) / FPR_upper) is a lower bound on
// the true epsilon that holds with probability >= 1 - 2 alpha.
//   * With DP on (noise calibrated by the RDP accountant to epsilon = 2), eps_lb must not exceed
//     2: if it did, the implementation would leak more than it claims (false alarm rate
//     <= 2 alpha = 2e-3 for a correct implementation).
//   * With DP off (clipping but no noise) the same attack must find eps_lb > 2: the audit has
//     the power to see a leak of the size it is meant to rule out.
#include <cmath>
#include <iostream>
#include <vector>

#include "dpkit/accounting/calibration.h"
#include "dpkit/random/seeded_rng.h"
#include "dpkit/train/dp_sgd.h"
#include "gtest/gtest.h"
#include "lib/stats.h"

namespace dpkit::train {
namespace {

namespace nn = torch::nn;
using random::testing::SeededRng;

constexpr int64_t kN = 10;       // training set size with the canary
constexpr double kQ = 0.5;
constexpr int64_t kSteps = 4;
constexpr double kC = 1.0;
constexpr double kLr = 1.0;
constexpr double kEpsilon = 2.0;
constexpr double kDelta = 1e-5;
constexpr int kRuns = 500;       // per world
constexpr double kAlpha = 1e-3;

double TrainOnce(bool with_canary, double noise_multiplier, SeededRng& rng) {
  torch::Tensor x = torch::zeros({kN, 1});
  torch::Tensor y = torch::zeros({kN});
  if (with_canary) {
    x[kN - 1][0] = 1.0;
    y[kN - 1] = 1e4;
  }
  nn::Sequential model(nn::Linear(nn::LinearOptions(1, 1).bias(false)));
  {
    torch::NoGradGuard g;
    model->parameters()[0].zero_();
  }
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(kLr));
  DpSgdNoiseMechanism noise;
  if (noise_multiplier > 0) {
    auto n = DpSgdNoise(mechanisms::SecureNoise(), model, {.max_grad_norm = kC}, noise_multiplier);
    EXPECT_TRUE(n.ok()) << n.status();
    noise = *n;
  }
  DpSgdOptions o{.noise = noise, .sampling_rate = kQ, .max_steps = kSteps,
                 .clipping = {.max_grad_norm = kC}, .prefetch = false,
                 .allow_no_noise_not_private = noise_multiplier == 0};
  // Without the canary the data set has N-1 rows; q and the normalisation use the public N.
  auto e = DpSgdEngine::Create(model, opt, o, kN, rng);
  EXPECT_TRUE(e.ok()) << e.status();
  for (int s = 0; s < kSteps; ++s) {
    auto r = (*e)->Step(x, y, MseLoss());
    EXPECT_TRUE(r.ok()) << r.status();
  }
  return model->parameters()[0].item<double>();
}

double EmpiricalEpsilon(double noise_multiplier, uint64_t seed) {
  SeededRng rng(seed);
  std::vector<double> in, out;
  for (int r = 0; r < kRuns; ++r) {
    in.push_back(TrainOnce(true, noise_multiplier, rng));
    out.push_back(TrainOnce(false, noise_multiplier, rng));
  }
  // Thresholds in units of one canary step (lr C / (q N)), fixed in advance.
  const double unit = kLr * kC / (kQ * kN);
  const std::vector<double> thresholds = {0.05, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0};
  const double a = kAlpha / thresholds.size();
  double best = 0;
  for (double t : thresholds) {
    int64_t tp = 0, fp = 0;
    for (double w : in) tp += w > t * unit;
    for (double w : out) fp += w > t * unit;
    const double tpr_lo = test::ClopperPearsonLower(tp, kRuns, 2 * a);
    const double fpr_hi = test::ClopperPearsonUpper(fp, kRuns, 2 * a);
    if (tpr_lo - kDelta > 0 && fpr_hi > 0) best = std::max(best, std::log((tpr_lo - kDelta) / fpr_hi));
  }
  return best;
}

TEST(DpSgdAudit, CanaryMembershipIsNotDetectableBeyondTheClaim) {
  auto cal = accounting::NoiseMultiplierForEpsilon(kEpsilon, kDelta, kQ, kSteps,
                                                   accounting::AccountantKind::kRdp);
  ASSERT_TRUE(cal.ok()) << cal.status();
  const double eps_lb = EmpiricalEpsilon(cal->noise_multiplier, 1234);
  std::cout << "noise multiplier " << cal->noise_multiplier << " (claimed epsilon "
            << cal->epsilon << "): empirical epsilon lower bound " << eps_lb << "\n";
  EXPECT_LE(eps_lb, kEpsilon);
}

TEST(DpSgdAudit, WithoutNoiseTheSameAttackDetectsTheCanary) {
  const double eps_lb = EmpiricalEpsilon(0.0, 4321);
  std::cout << "no noise: empirical epsilon lower bound " << eps_lb << "\n";
  EXPECT_GT(eps_lb, kEpsilon);
}

}  // namespace
}  // namespace dpkit::train
