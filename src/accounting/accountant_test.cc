#include "dpkit/accounting/accountant.h"

#include <cmath>

#include "dpkit/accounting/composition.h"
#include "dpkit/accounting/zcdp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::accounting {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<Accountant> Make(AccountantKind kind) {
  auto a = CreateAccountant(kind);
  EXPECT_TRUE(a.ok()) << a.status();
  return std::move(a).value();
}

TEST(AccountantKindTest, NamesRoundTrip) {
  for (AccountantKind k : {AccountantKind::kBasic, AccountantKind::kZcdp, AccountantKind::kRdp,
                           AccountantKind::kPld}) {
    auto parsed = ParseAccountantKind(AccountantKindName(k));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, k);
  }
  auto bad = ParseAccountantKind("moments");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("unknown accountant 'moments'"));
  EXPECT_THAT(bad.status().message(), HasSubstr("basic, zcdp, rdp, pld"));
}

TEST(BasicAccountantTest, EmptyIsFree) {
  auto a = Make(AccountantKind::kBasic);
  EXPECT_EQ(*a->Epsilon(1e-6), 0.0);
  EXPECT_EQ(*a->Delta(0.0), 0.0);
}

TEST(BasicAccountantTest, PureAndApproxAdd) {
  auto a = Make(AccountantKind::kBasic);
  ASSERT_TRUE(a->Add(PrivacyMap::PureDp(0.5)).ok());
  ASSERT_TRUE(a->Add(PrivacyMap::ApproxDp(0.25, 1e-6)).ok());
  PrivacyMap lap = PrivacyMap::Laplace(4.0);  // eps = 1/4 per use
  lap.repetitions = 4;
  ASSERT_TRUE(a->Add(lap).ok());
  EXPECT_DOUBLE_EQ(*a->Epsilon(1e-6), 1.75);
  EXPECT_DOUBLE_EQ(*a->Epsilon(0.5), 1.75);
  // Below the approx-DP delta nothing can be certified.
  EXPECT_TRUE(std::isinf(*a->Epsilon(1e-7)));
  // Delta: exactly the approx deltas once epsilon covers the sum, 1 below it.
  EXPECT_NEAR(*a->Delta(1.75), 1e-6, 1e-15);
  EXPECT_EQ(*a->Delta(1.7), 1.0);
}

TEST(BasicAccountantTest, GaussianRepetitionsAreOneGaussian) {
  // Issue #3 reference: Gaussian sigma = sqrt(3) composed 3 times -> delta(1) = 0.126936.
  auto a = Make(AccountantKind::kBasic);
  PrivacyMap g = PrivacyMap::Gaussian(std::sqrt(3.0));
  g.repetitions = 3;
  ASSERT_TRUE(a->Add(g).ok());
  auto d = a->Delta(1.0);
  ASSERT_TRUE(d.ok());
  EXPECT_NEAR(*d, 0.126936, 2e-6);
  auto e = a->Epsilon(0.126936);
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(*e, 1.0, 1e-4);
}

TEST(BasicAccountantTest, SplitsDeltaAcrossGaussians) {
  auto a = Make(AccountantKind::kBasic);
  ASSERT_TRUE(a->Add(PrivacyMap::Gaussian(2.0)).ok());
  ASSERT_TRUE(a->Add(PrivacyMap::Gaussian(4.0)).ok());
  ASSERT_TRUE(a->Add(PrivacyMap::ApproxDp(0.1, 1e-6)).ok());
  const double delta = 1e-5;
  const double share = (delta - 1e-6) / 2;
  const double want = *GaussianEpsilon(2.0, share) + *GaussianEpsilon(4.0, share) + 0.1;
  EXPECT_NEAR(*a->Epsilon(delta), want, 1e-10);
  EXPECT_THAT(a->Notes(), testing::Contains(HasSubstr("splits the delta")));
  // Epsilon <-> Delta round trip.
  auto d = a->Delta(want);
  ASSERT_TRUE(d.ok());
  EXPECT_NEAR(*d, delta, delta * 1e-6);
}

TEST(BasicAccountantTest, ZcdpMapsUseCks20) {
  auto a = Make(AccountantKind::kBasic);
  PrivacyMap z = PrivacyMap::Zcdp(0.05);
  z.repetitions = 2;
  ASSERT_TRUE(a->Add(z).ok());
  EXPECT_NEAR(*a->Epsilon(1e-6), *ZcdpEpsilon(0.1, 1e-6), 1e-12);
}

TEST(BasicAccountantTest, RejectsInvalidMapsAndKeepsState) {
  auto a = Make(AccountantKind::kBasic);
  ASSERT_TRUE(a->Add(PrivacyMap::PureDp(1.0)).ok());
  auto st = a->Add(PrivacyMap::PureDp(-2.0));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("epsilon must be finite and > 0, got -2"));
  EXPECT_EQ(*a->Epsilon(0), 1.0);
  auto bad_query = a->Epsilon(1.0);
  ASSERT_FALSE(bad_query.ok());
  EXPECT_THAT(bad_query.status().message(), HasSubstr("delta must be in [0, 1), got 1"));
  auto bad_eps = a->Delta(-1);
  ASSERT_FALSE(bad_eps.ok());
  EXPECT_THAT(bad_eps.status().message(), HasSubstr("epsilon must be finite and >= 0, got -1"));
}

TEST(BasicAccountantTest, CloneIsIndependent) {
  auto a = Make(AccountantKind::kBasic);
  ASSERT_TRUE(a->Add(PrivacyMap::PureDp(1.0)).ok());
  auto b = a->Clone();
  ASSERT_TRUE(b->Add(PrivacyMap::PureDp(1.0)).ok());
  EXPECT_EQ(*a->Epsilon(0), 1.0);
  EXPECT_EQ(*b->Epsilon(0), 2.0);
  EXPECT_EQ(b->kind(), AccountantKind::kBasic);
}

TEST(ZcdpAccountantTest, RhosAdd) {
  auto a = Make(AccountantKind::kZcdp);
  ASSERT_TRUE(a->Add(PrivacyMap::PureDp(0.2)).ok());        // 0.02
  ASSERT_TRUE(a->Add(PrivacyMap::Gaussian(5.0)).ok());      // 0.02
  PrivacyMap z = PrivacyMap::Zcdp(0.01);
  z.repetitions = 6;                                        // 0.06
  ASSERT_TRUE(a->Add(z).ok());
  const double rho = 0.1;
  EXPECT_NEAR(*a->Epsilon(1e-6), *ZcdpEpsilon(rho, 1e-6), 1e-12);
  EXPECT_NEAR(*a->Delta(1.0), *ZcdpDelta(rho, 1.0), 1e-15);
  EXPECT_THAT(a->Notes(), testing::Contains(HasSubstr("rho = 0.1")));
}

TEST(ZcdpAccountantTest, ClassicConversionSelectable) {
  AccountantOptions opts;
  opts.zcdp_conversion = ZcdpConversion::kClassic;
  auto a = CreateAccountant(AccountantKind::kZcdp, opts);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->Add(PrivacyMap::Zcdp(0.5)).ok());
  EXPECT_NEAR(*(*a)->Epsilon(1e-5), 0.5 + 2 * std::sqrt(0.5 * std::log(1e5)), 1e-12);
}

TEST(ZcdpAccountantTest, RejectsWhatItCannotCompose) {
  auto a = Make(AccountantKind::kZcdp);
  auto st = a->Add(PrivacyMap::ApproxDp(1.0, 1e-6));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("basic or pld"));
  auto sub = a->Add(PrivacyMap::SubsampledGaussian(1.0, 0.01, 100));
  ASSERT_FALSE(sub.ok());
  EXPECT_THAT(sub.message(), HasSubstr("rdp or pld"));
  // Nothing was added.
  EXPECT_EQ(*a->Epsilon(1e-6), 0.0);
  // q = 1 is just a Gaussian.
  ASSERT_TRUE(a->Add(PrivacyMap::SubsampledGaussian(1.0, 1.0, 2)).ok());
  EXPECT_NEAR(*a->Epsilon(1e-6), *ZcdpEpsilon(1.0, 1e-6), 1e-12);
}

}  // namespace
}  // namespace dpkit::accounting
