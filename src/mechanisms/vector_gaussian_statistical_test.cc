// Statistical tests of the vector Gaussian mechanism (fixed seeds; each check states its
// false-positive rate alpha: a correct implementation fails it with probability alpha).
#include <cmath>
#include <vector>

#include "dpkit/mechanisms/vector_gaussian.h"
#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"
#include "lib/stats.h"

namespace dpkit::mechanisms {
namespace {

using random::testing::SeededRng;

constexpr double kAlpha = 1e-3;

// The integer draws are discrete Gaussian N_Z(0, sigma_g^2): chi^2 goodness of fit on a
// moderate grid sigma (alpha = 1e-3).
TEST(VectorGaussianStatistical, DrawsAreDiscreteGaussian) {
  // inflation 0.2 with C = 1, d = 1: gamma = 2^-3, sigma_g = 1 * (8 + 1) = 9.
  auto m = VectorGaussian(SecureNoise(), {.noise_multiplier = 1.0, .l2_sensitivity = 1.0,
                                          .dimension = 1, .max_sensitivity_inflation = 0.2});
  ASSERT_TRUE(m.ok()) << m.status();
  const double s = m->grid_sigma();
  ASSERT_NEAR(s, 9.0, 1e-6);
  SeededRng rng(77);
  std::vector<int64_t> z(200000);
  m->SampleNoise(rng, absl::MakeSpan(z));
  double norm = 0;
  for (int64_t k = -300; k <= 300; ++k) norm += std::exp(-double(k * k) / (2 * s * s));
  auto r = test::ChiSquareIntegers(
      z, [&](int64_t k) { return std::exp(-double(k * k) / (2 * s * s)) / norm; });
  EXPECT_GT(r.p_value, kAlpha) << r.ToString();
}

// Released noise in value units is N(0, noise_scale^2) to the test's resolution: KS and a
// two-sided chi^2 test of the variance (alpha = 1e-3 each). A zero input isolates the noise.
TEST(VectorGaussianStatistical, ReleasedNoiseHasTheCalibratedScale) {
  const int64_t d = 20000;
  const double nm = 1.3, C = 2.0;
  auto m = VectorGaussian(SecureNoise(), {.noise_multiplier = nm, .l2_sensitivity = C,
                                          .dimension = d});
  ASSERT_TRUE(m.ok()) << m.status();
  const double sigma = m->noise_scale();
  EXPECT_GE(sigma, nm * C);
  EXPECT_LE(sigma, nm * C * 1.001 * (1 + 1e-9));
  SeededRng rng(20240611);
  std::vector<int64_t> z(d);
  m->SampleNoise(rng, absl::MakeSpan(z));
  std::vector<double> released(d, 0.0);
  ASSERT_TRUE(m->AddNoise(absl::MakeSpan(released), z).ok());
  auto ks = test::KolmogorovSmirnov(released, [&](double x) { return test::NormalCdf(x / sigma); });
  EXPECT_GT(ks.p_value, kAlpha) << "KS statistic " << ks.statistic;
  double ss = 0;
  for (double x : released) ss += x * x / (sigma * sigma);
  const double upper = test::ChiSquareSurvival(ss, static_cast<double>(d));
  EXPECT_GT(2 * std::min(upper, 1 - upper), kAlpha) << "sum of squares / sigma^2 = " << ss;
}

}  // namespace
}  // namespace dpkit::mechanisms
