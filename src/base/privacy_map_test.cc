#include "dpkit/base/privacy_map.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit {
namespace {

TEST(PrivacyMapTest, JsonRoundTrip) {
  for (const PrivacyMap& m :
       {PrivacyMap::PureDp(0.5, "randomized_response"), PrivacyMap::ApproxDp(1, 1e-6),
        PrivacyMap::Zcdp(0.125), PrivacyMap::Laplace(2.0), PrivacyMap::Gaussian(3.5),
        PrivacyMap::SubsampledGaussian(1.1, 0.004, 14000)}) {
    ASSERT_TRUE(m.Validate().ok()) << m.ToString();
    auto back = PrivacyMap::FromJson(m.ToJson());
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->ToJson(), m.ToJson());
    EXPECT_EQ(back->ToString(), m.ToString());
  }
  PrivacyMap rdp;
  rdp.kind = PrivacyMapKind::kRdpCurve;
  rdp.rdp_orders = {2, 4};
  rdp.rdp_epsilons = {0.1, 0.3};
  EXPECT_TRUE(PrivacyMap::FromJson(rdp.ToJson()).ok());
}

TEST(PrivacyMapTest, ValidationNamesTheField) {
  EXPECT_THAT(PrivacyMap::PureDp(-1).Validate().message(),
              ::testing::HasSubstr("epsilon must be finite and > 0, got -1"));
  EXPECT_FALSE(PrivacyMap::ApproxDp(1, 1.5).Validate().ok());
  EXPECT_FALSE(PrivacyMap::SubsampledGaussian(1, 0, 10).Validate().ok());
  EXPECT_FALSE(PrivacyMap::SubsampledGaussian(1, 0.1, 0).Validate().ok());
  EXPECT_FALSE(PrivacyMap::FromJson("{not json").ok());
  EXPECT_FALSE(PrivacyMap::FromJson(R"({"kind":"bogus"})").ok());
  EXPECT_EQ(PrivacyMap::FromJson("[1]").status().code(), absl::StatusCode::kDataLoss);
}

// A fractional repetition count was truncated (1.99 charged as 1): it must be refused, with the
// field named, as must zero, negative and absurdly large counts.
TEST(PrivacyMapTest, RepetitionsMustBeAWholeNumberInRange) {
  for (const char* bad : {"1.99", "0", "-3", "0.5", "1e30", "18446744073709551615", "\"2\"",
                          "1099511627777"}) {
    auto m = PrivacyMap::FromJson(
        absl::StrCat(R"({"kind":"laplace","noise_multiplier":2,"repetitions":)", bad, "}"));
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kDataLoss) << bad;
    EXPECT_THAT(m.status().message(), ::testing::HasSubstr("'repetitions' must be an integer"))
        << bad;
  }
  auto whole = PrivacyMap::FromJson(R"({"kind":"laplace","noise_multiplier":2,"repetitions":3.0})");
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->repetitions, 3);
  auto max = PrivacyMap::FromJson(
      R"({"kind":"laplace","noise_multiplier":2,"repetitions":1099511627776})");
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_EQ(max->repetitions, PrivacyMap::kMaxRepetitions);
  PrivacyMap huge = PrivacyMap::Laplace(2);
  huge.repetitions = PrivacyMap::kMaxRepetitions + 1;
  EXPECT_THAT(huge.Validate().message(), ::testing::HasSubstr("repetitions must be an integer"));
}

}  // namespace
}  // namespace dpkit
