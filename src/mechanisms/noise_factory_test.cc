#include "dpkit/mechanisms/noise_factory.h"

#include <cstdint>
#include <vector>

#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"

namespace dpkit::mechanisms {
namespace {

TEST(NoiseFactoryTest, SecureAndZeroReportTheSameMechanism) {
  const DiscreteGaussianOptions o{.sigma = 3.0, .l2_sensitivity = 1};
  auto secure = SecureNoise().DiscreteGaussian(o);
  auto zero = testing::ZeroNoise().DiscreteGaussian(o);
  ASSERT_TRUE(secure.ok() && zero.ok());
  EXPECT_EQ((*secure)->privacy_map().ToJson(), (*zero)->privacy_map().ToJson());
  EXPECT_EQ((*secure)->noise_scale(), (*zero)->noise_scale());
  EXPECT_TRUE(SecureNoise().adds_noise());
  EXPECT_FALSE(testing::ZeroNoise().adds_noise());
}

TEST(NoiseFactoryTest, ZeroNoiseReturnsInputs) {
  random::testing::SeededRng gen(1);
  auto n = testing::ZeroNoise().DiscreteLaplace({.epsilon = 0.1, .l1_sensitivity = 1});
  ASSERT_TRUE(n.ok());
  std::vector<int64_t> v = {5, -7, 0};
  (*n)->AddNoise(absl::MakeSpan(v), gen);
  EXPECT_EQ(v, (std::vector<int64_t>{5, -7, 0}));
  auto r = testing::ZeroNoise().Laplace({.epsilon = 1, .l1_sensitivity = 1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*(*r)->AddNoise(2.5, gen), 2.5);
  EXPECT_FALSE((*r)->AddNoise(std::nan(""), gen).ok());
  auto s = testing::ZeroNoise().Selection({.epsilon = 1, .sensitivity = 1});
  ASSERT_TRUE(s.ok());
  const std::vector<double> scores = {1, 9, 9, 3};
  EXPECT_EQ(*(*s)->Select(scores, gen), 1u);
}

TEST(NoiseFactoryTest, SecureNoiseAddsNoiseAndValidates) {
  random::testing::SeededRng gen(2);
  auto n = SecureNoise().DiscreteLaplace({.epsilon = 0.01, .l1_sensitivity = 1});
  ASSERT_TRUE(n.ok());
  int changed = 0;
  for (int i = 0; i < 100; ++i) changed += (*n)->AddNoise(0, gen) != 0;
  EXPECT_GT(changed, 90);  // P(noise == 0) = tanh(eps/2) ~ 0.005 per draw
  EXPECT_FALSE(SecureNoise().Laplace({.epsilon = -1, .l1_sensitivity = 1}).ok());
}

}  // namespace
}  // namespace dpkit::mechanisms
