// Statistical tests of DP-SGD's noise (end to end through a step) and sampling (fixed seeds; each check states its
// false-positive rate alpha: a correct implementation fails it with probability alpha).
#include <cmath>
#include <mutex>
#include <vector>

#include "dpkit/random/seeded_rng.h"
#include "dpkit/train/dp_sgd.h"
#include "gtest/gtest.h"
#include "lib/stats.h"
#include "train/step_draws.h"

namespace dpkit::train {
namespace {

namespace nn = torch::nn;
using random::testing::SeededRng;

constexpr double kAlpha = 1e-3;

// Zero-gradient model: every input is 0, so Linear(d, 1, no bias) has per-example gradient 0
// and each SGD(lr = 1) step moves the weights by exactly -noise / (q N). The weights after the
// step therefore show the summed noise: N(0, sigma^2) per coordinate, sigma = the mechanism's
// noise_scale() (nm * C times at most the documented 1e-3 grid inflation), divided by q N.
TEST(DpSgdNoise, SummedNoiseHasTheCalibratedScale) {
  const int64_t d = 4000, N = 100;
  const double q = 0.1, nm = 1.3, C = 2.0;
  nn::Sequential model(nn::Linear(nn::LinearOptions(d, 1).bias(false)));
  SeededRng rng(20240611);
  std::vector<double> samples;
  double sigma = 0;
  for (int step = 0; step < 5; ++step) {
    {
      torch::NoGradGuard g;
      for (auto& p : model->parameters()) p.zero_();
    }
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(1.0));
    auto noise = DpSgdNoise(mechanisms::SecureNoise(), model, {.max_grad_norm = C}, nm);
    ASSERT_TRUE(noise.ok()) << noise.status();
    auto e = DpSgdEngine::Create(model, opt,
                                 {.noise = *noise, .sampling_rate = q, .max_steps = 1,
                                  .clipping = {.max_grad_norm = C}},
                                 N, rng);
    ASSERT_TRUE(e.ok()) << e.status();
    sigma = (*e)->noise()->noise_scale();
    auto r = (*e)->Step(torch::zeros({N, d}), torch::zeros({N}), MseLoss());
    ASSERT_TRUE(r.ok()) << r.status();
    torch::Tensor w = model->parameters()[0].detach().to(torch::kDouble).flatten() * (q * N);
    for (int64_t i = 0; i < d; ++i) samples.push_back(-w[i].item<double>());
  }
  EXPECT_GE(sigma, nm * C);
  EXPECT_LE(sigma, nm * C * 1.001 * (1 + 1e-9));
  // KS against N(0, sigma^2). alpha = 1e-3.
  auto ks = test::KolmogorovSmirnov(samples, [&](double x) { return test::NormalCdf(x / sigma); });
  EXPECT_GT(ks.p_value, kAlpha) << "KS statistic " << ks.statistic;
  // Variance: sum x^2 / sigma^2 ~ chi^2(n); two-sided, alpha = 1e-3.
  double ss = 0;
  for (double x : samples) ss += x * x / (sigma * sigma);
  const double n = static_cast<double>(samples.size());
  double upper = test::ChiSquareSurvival(ss, n);
  double two_sided = 2 * std::min(upper, 1 - upper);
  EXPECT_GT(two_sided, kAlpha) << "sum of squares / sigma^2 = " << ss << " for n = " << n;
}

// Poisson sampling: batch sizes are Binomial(N, q) and every example is equally likely to be
// chosen (alpha = 1e-3 each).
TEST(DpSgdSampling, PoissonBatchesAreBinomialAndUniform) {
  SeededRng rng(5);
  const int64_t N = 1000, reps = 400;
  const double q = 0.05;
  int64_t total = 0;
  std::vector<int64_t> hits(N, 0);
  for (int r = 0; r < reps; ++r) {
    auto idx = PoissonSampleIndices(rng, N, q);
    total += static_cast<int64_t>(idx.size());
    for (int64_t i : idx) ++hits[i];
  }
  EXPECT_GT(test::BinomialTwoSidedPValue(total, N * reps, q), kAlpha);
  // Per-decile counts are uniform.
  std::vector<int64_t> deciles(10, 0);
  for (int64_t i = 0; i < N; ++i) deciles[i / 100] += hits[i];
  auto chi = test::ChiSquareCounts(deciles, std::vector<double>(10, 0.1));
  EXPECT_GT(chi.p_value, kAlpha) << chi.ToString();
}

// The exact tie path of Poisson sampling: every 16-bit draw equals m = floor(q 2^16), so each
// row joins with probability r = q 2^16 - m = 0.25 through random::BernoulliDouble (alpha 1e-3).
TEST(DpSgdSampling, TiesJoinWithTheRemainingProbability) {
  class TieRng final : public random::BitGenerator {
   public:
    uint64_t NextU64() override { return bits_.NextU64(); }
    void Fill(void* out, size_t n) override {
      auto* p = static_cast<uint8_t*>(out);
      for (size_t i = 0; i < n; ++i) p[i] = i % 2 == 0 ? 0x34 : 0x12;  // 0x1234
    }
    bool IsSecure() const override { return false; }

   private:
    SeededRng bits_{11};
  } rng;
  const int64_t n = 20000;
  const double q = (0x1234 + 0.25) / 65536;
  const auto idx = PoissonSampleIndices(rng, n, q);
  EXPECT_GT(test::BinomialTwoSidedPValue(static_cast<int64_t>(idx.size()), n, 0.25), kAlpha);
}

// A seeded stream behind a lock: thread-safe, so the drawer may share it between threads.
class LockedSeededRng final : public random::BitGenerator {
 public:
  explicit LockedSeededRng(uint64_t seed) : rng_(seed) {}
  uint64_t NextU64() override {
    std::lock_guard<std::mutex> l(mu_);
    return rng_.NextU64();
  }
  void Fill(void* out, size_t n) override {
    std::lock_guard<std::mutex> l(mu_);
    rng_.Fill(out, n);
  }
  bool IsSecure() const override { return false; }

 private:
  std::mutex mu_;
  SeededRng rng_;
};

// Noise drawn by four threads sharing the generator is still i.i.d. N_Z(0, sigma_g^2): the sum
// of squares over 3 steps x 30,000 coordinates is chi^2 (two-sided, alpha = 1e-3).
TEST(DpSgdNoise, NoiseDrawnInParallelHasTheGridSigma) {
  auto mech = mechanisms::VectorGaussian(mechanisms::SecureNoise(),
                                         {.noise_multiplier = 0.9, .dimension = 30000});
  ASSERT_TRUE(mech.ok());
  LockedSeededRng rng(77);
  internal::StepDrawer drawer(rng, 10, 0.5, &*mech, 4, /*prefetch=*/true);
  double ss = 0, n = 0;
  for (int step = 0; step < 3; ++step) {
    for (int64_t z : drawer.Next(step < 2).noise) {
      const double v = static_cast<double>(z) / mech->grid_sigma();
      ss += v * v;
      ++n;
    }
  }
  const double upper = test::ChiSquareSurvival(ss, n);
  EXPECT_GT(2 * std::min(upper, 1 - upper), kAlpha) << "sum of squares " << ss << ", n " << n;
}

}  // namespace
}  // namespace dpkit::train
