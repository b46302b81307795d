// VectorGaussianMechanism: grid, calibration, privacy maps, zero noise (deterministic).
#include "dpkit/mechanisms/vector_gaussian.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::mechanisms {
namespace {

using ::testing::HasSubstr;
using random::testing::SeededRng;

TEST(VectorGaussian, PowerOfTwoGridAndEffectiveNoiseMultiplier) {
  auto m = VectorGaussian(SecureNoise(),
                          {.noise_multiplier = 1.1, .l2_sensitivity = 2.0, .dimension = 10000});
  ASSERT_TRUE(m.ok()) << m.status();
  // gamma = the largest power of two <= 1e-3 * C / sqrt(d) = 2e-5.
  EXPECT_EQ(m->granularity(), std::ldexp(1.0, -16));
  EXPECT_LE(m->sensitivity_inflation(), 1e-3);
  EXPECT_GT(m->sensitivity_inflation(), 0.5e-3);
  EXPECT_GE(m->effective_noise_multiplier(), 1.1);
  EXPECT_LE(m->effective_noise_multiplier(), 1.1 * (1 + 1e-9));
  EXPECT_NEAR(m->noise_scale(), 1.1 * 2.0 * (1 + m->sensitivity_inflation()), 1e-9);
}

TEST(VectorGaussian, HugeDimensionsCoarsenTheGridButKeepTheMultiplier) {
  auto m = VectorGaussian(SecureNoise(),
                          {.noise_multiplier = 20, .l2_sensitivity = 1, .dimension = 100000000});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_GT(m->sensitivity_inflation(), 1e-3);
  EXPECT_LT(m->sensitivity_inflation(), 0.5);
  EXPECT_LE(m->grid_sigma(), 16777216.0);
  EXPECT_GE(m->effective_noise_multiplier(), 20);
}

TEST(VectorGaussian, RejectsBadOptionsNamingThem) {
  auto m = VectorGaussian(SecureNoise(), {.noise_multiplier = -1});
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("noise_multiplier must be finite and > 0, got -1"));
  EXPECT_FALSE(VectorGaussian(SecureNoise(), {.dimension = 0}).ok());
  EXPECT_FALSE(VectorGaussian(SecureNoise(), {.l2_sensitivity = 0}).ok());
  auto coarse = VectorGaussian(SecureNoise(), {.noise_multiplier = 1e6, .dimension = 1000000000});
  ASSERT_FALSE(coarse.ok());
  EXPECT_THAT(coarse.status().message(), HasSubstr("too coarse"));
}

TEST(VectorGaussian, SnapsToTheGridThenAddsTheDraws) {
  auto m = VectorGaussian(SecureNoise(),
                          {.noise_multiplier = 1, .l2_sensitivity = 1, .dimension = 3});
  ASSERT_TRUE(m.ok());
  const double g = m->granularity();
  std::vector<double> s = {0.0, 10 * g + 0.4 * g, -3 * g - 0.6 * g};
  std::vector<int64_t> z = {5, -2, 0};
  ASSERT_TRUE(m->AddNoise(absl::MakeSpan(s), z).ok());
  EXPECT_EQ(s[0], 5 * g);
  EXPECT_EQ(s[1], 8 * g);
  EXPECT_EQ(s[2], -4 * g);
  std::vector<float> wrong(4);
  EXPECT_FALSE(m->AddNoise(absl::MakeSpan(wrong), z).ok());
}

// The grid snapping must give the same values as the defining formula
// gamma (nearbyint(v 2^-e) + z) with ldexp, for grids from 2^-1020 to 2^996 and beyond the
// normal range, on values of every magnitude, halfway cases and non-finite values.
template <typename T>
void ExpectSnapMatchesLdexp(double l2_sensitivity) {
  auto m = VectorGaussian(SecureNoise(),
                          {.noise_multiplier = 1, .l2_sensitivity = l2_sensitivity, .dimension = 7});
  ASSERT_TRUE(m.ok()) << m.status();
  const double g = m->granularity();
  int e = 0;
  std::frexp(g, &e);
  --e;  // g = 2^e
  std::vector<T> v;
  for (double k : {0.0, 0.5, 1.5, 2.5, -0.5, -2.5, 3.49, 1e3 + 0.5, 12345.678}) {
    v.push_back(static_cast<T>(k * g));
  }
  SeededRng rng(11);
  for (int i = 0; i < 2000; ++i) {
    // Random bit patterns: every exponent, subnormals, infinities and NaNs included.
    if constexpr (sizeof(T) == 4) {
      const uint32_t bits = static_cast<uint32_t>(rng.NextU64());
      float f;
      std::memcpy(&f, &bits, sizeof(f));
      v.push_back(f);
    } else {
      const uint64_t bits = rng.NextU64();
      double d;
      std::memcpy(&d, &bits, sizeof(d));
      v.push_back(d);
    }
  }
  std::vector<int64_t> z(v.size());
  for (size_t i = 0; i < z.size(); ++i) z[i] = static_cast<int64_t>(i % 9) - 4;
  std::vector<T> want(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const double x = static_cast<double>(v[i]);
    const double index = std::isfinite(x) ? std::nearbyint(std::ldexp(x, -e)) : 0.0;
    want[i] = static_cast<T>(std::ldexp(index + static_cast<double>(z[i]), e));
  }
  // AddNoise takes dimension() values at a time.
  for (size_t start = 0; start + 7 <= v.size(); start += 7) {
    auto part = absl::MakeSpan(v).subspan(start, 7);
    ASSERT_TRUE(m->AddNoise(part, absl::MakeConstSpan(z).subspan(start, 7)).ok());
    for (size_t i = start; i < start + 7; ++i) {
      const bool same = std::memcmp(&v[i], &want[i], sizeof(T)) == 0;
      EXPECT_TRUE(same) << "C " << l2_sensitivity << " value " << i << ": " << v[i] << " vs "
                        << want[i];
    }
  }
}

TEST(VectorGaussian, SnappingEqualsTheLdexpFormulaBitForBit) {
  for (double c : {1.0, 2.0, 1e-300, 1e-305, 1e-320, 1e300}) {
    ExpectSnapMatchesLdexp<float>(c);
    ExpectSnapMatchesLdexp<double>(c);
  }
}

TEST(VectorGaussian, PrivacyMapsCarryTheEffectiveMultiplier) {
  auto m = VectorGaussian(SecureNoise(),
                          {.noise_multiplier = 0.9, .l2_sensitivity = 1, .dimension = 500});
  ASSERT_TRUE(m.ok());
  PrivacyMap one = m->privacy_map();
  EXPECT_EQ(one.kind, PrivacyMapKind::kDiscreteGaussian);
  EXPECT_EQ(one.noise_multiplier, m->effective_noise_multiplier());
  PrivacyMap run = m->SubsampledPrivacyMap(0.01, 700);
  EXPECT_EQ(run.kind, PrivacyMapKind::kSubsampledGaussian);
  EXPECT_EQ(run.noise_multiplier, m->effective_noise_multiplier());
  EXPECT_EQ(run.sampling_rate, 0.01);
  EXPECT_EQ(run.repetitions, 700);
  EXPECT_TRUE(run.Validate().ok());
}

TEST(VectorGaussian, ZeroNoiseKeepsCalibrationAndLeavesValuesUnchanged) {
  VectorGaussianOptions o{.noise_multiplier = 1.2, .l2_sensitivity = 3, .dimension = 7};
  auto secure = VectorGaussian(SecureNoise(), o);
  auto zero = VectorGaussian(testing::ZeroNoise(), o);
  ASSERT_TRUE(secure.ok() && zero.ok());
  EXPECT_TRUE(secure->adds_noise());
  EXPECT_FALSE(zero->adds_noise());
  EXPECT_EQ(zero->effective_noise_multiplier(), secure->effective_noise_multiplier());
  EXPECT_EQ(zero->granularity(), secure->granularity());
  SeededRng rng(3);
  std::vector<int64_t> z(7, 99);
  zero->SampleNoise(rng, absl::MakeSpan(z));
  EXPECT_EQ(z, std::vector<int64_t>(7, 0));
  std::vector<float> v = {0.1f, -2.5f, 3.3f, 0, 1, 2, 3};
  const std::vector<float> before = v;
  ASSERT_TRUE(zero->AddNoise(absl::MakeSpan(v), z).ok());
  EXPECT_EQ(v, before);
}

}  // namespace
}  // namespace dpkit::mechanisms
