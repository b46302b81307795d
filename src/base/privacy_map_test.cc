#include "dpkit/base/privacy_map.h"

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

}  // namespace
}  // namespace dpkit
