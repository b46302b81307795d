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

// A charge of exactly the budget's delta must not look over budget: delta of pure/approx-only
// compositions is the exact sum (regression: a numerical inversion returned 1.0000000000126e-6).
TEST(BasicAccountantTest, ApproxDeltaIsExact) {
  auto a = Make(AccountantKind::kBasic);
  ASSERT_TRUE(a->Add(PrivacyMap::Laplace(50.0)).ok());  // epsilon 0.02
  ASSERT_TRUE(a->Add(PrivacyMap::ApproxDp(0.98, 1e-6)).ok());
  EXPECT_EQ(*a->Delta(1.0), 1e-6);
  EXPECT_EQ(*a->Delta(0.5), 1.0);  // epsilons do not fit
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

namespace dpkit::accounting {
namespace {

// The PLD accountant's answer is the smallest of its bounds, and ExplainEpsilon says which:
// `privacy dpsgd --accountant pld` printed the raw PLD (inf, or 22.87 where RDP gives 0.0035).
TEST(PldAccountantTest, ExplainEpsilonNamesTheBoundThatAnswered) {
  auto a = Make(AccountantKind::kPld);
  ASSERT_TRUE(a->Add(PrivacyMap::SubsampledGaussian(10, 0.001, 1)).ok());
  auto ans = a->ExplainEpsilon(1e-5);
  ASSERT_TRUE(ans.ok()) << ans.status();
  EXPECT_EQ(ans->bound, "RDP bound");
  EXPECT_NEAR(ans->epsilon, 0.0035066, 1e-6);
  EXPECT_EQ(ans->epsilon, *a->Epsilon(1e-5));
  ASSERT_TRUE(ans->pld.has_value());
  EXPECT_GE(ans->pld->epsilon.upper, ans->epsilon);
  double smallest = INFINITY;
  for (const auto& c : ans->candidates) smallest = std::min(smallest, c.epsilon);
  EXPECT_EQ(smallest, ans->epsilon);
  EXPECT_EQ(ans->candidates.size(), 3u);

  auto rdp = Make(AccountantKind::kRdp);
  ASSERT_TRUE(rdp->Add(PrivacyMap::Gaussian(2)).ok());
  auto plain = rdp->ExplainEpsilon(1e-5);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->bound, "rdp accountant");
  EXPECT_FALSE(plain->pld.has_value());
}

TEST(PldAccountantTest, TighterThanRdpForDpSgd) {
  auto pld = Make(AccountantKind::kPld);
  auto rdp = Make(AccountantKind::kRdp);
  const PrivacyMap m = PrivacyMap::SubsampledGaussian(1.0, 0.01, 1000);
  ASSERT_TRUE(pld->Add(m).ok());
  ASSERT_TRUE(rdp->Add(m).ok());
  const double e_pld = *pld->Epsilon(1e-5), e_rdp = *rdp->Epsilon(1e-5);
  EXPECT_LT(e_pld, e_rdp);
  EXPECT_THAT(pld->Notes(), testing::Contains(HasSubstr("PRV accountant")));
  EXPECT_THAT(pld->Notes(), testing::Contains(HasSubstr("answer from: PLD upper bound")));
  // Round trip epsilon -> delta -> epsilon is consistent (both are upper bounds).
  const double d = *pld->Delta(e_pld);
  EXPECT_LE(d, 1e-5 * 1.01);
  auto c = pld->Clone();
  EXPECT_NEAR(*c->Epsilon(1e-5), e_pld, 1e-12);
}

TEST(PldAccountantTest, MixedMapsUseRdpForTheRest) {
  auto a = Make(AccountantKind::kPld);
  ASSERT_TRUE(a->Add(PrivacyMap::Gaussian(2.0)).ok());
  ASSERT_TRUE(a->Add(PrivacyMap::Zcdp(0.01)).ok());
  PrivacyMap dg = PrivacyMap::Gaussian(3.0);
  dg.kind = PrivacyMapKind::kDiscreteGaussian;
  ASSERT_TRUE(a->Add(dg).ok());
  ASSERT_TRUE(a->Add(PrivacyMap::ApproxDp(0.1, 1e-7)).ok());
  const double e = *a->Epsilon(1e-5);
  EXPECT_TRUE(std::isfinite(e));
  // Never worse than basic composition of the same maps.
  auto basic = Make(AccountantKind::kBasic);
  for (const PrivacyMap& m : {PrivacyMap::Gaussian(2.0), PrivacyMap::Zcdp(0.01), dg,
                              PrivacyMap::ApproxDp(0.1, 1e-7)}) {
    ASSERT_TRUE(basic->Add(m).ok());
  }
  EXPECT_LE(e, *basic->Epsilon(1e-5) + 1e-12);
  EXPECT_THAT(a->Notes(), testing::Contains(HasSubstr("composed by RDP")));
}

TEST(PldAccountantTest, PureDpOnlyUsesBasicAtDeltaZero) {
  auto a = Make(AccountantKind::kPld);
  ASSERT_TRUE(a->Add(PrivacyMap::PureDp(0.5)).ok());
  ASSERT_TRUE(a->Add(PrivacyMap::PureDp(0.25)).ok());
  EXPECT_DOUBLE_EQ(*a->Epsilon(0.0), 0.75);
  EXPECT_LT(*a->Epsilon(1e-3), 0.75);  // RR composition is tighter than the sum at delta > 0
}

// Extreme parameters: never crash, never hang, always a sound (<= RDP) finite-or-inf answer.
TEST(PldAccountantTest, ExtremeParametersStaySound) {
  struct Case {
    double nm, q;
    int64_t steps;
  };
  for (const Case& c : {Case{1.0, 1e-9, 10000}, Case{1.0, 0.999999, 100}, Case{0.05, 0.01, 1000},
                        Case{1.0, 0.01, 1000000000}, Case{1000.0, 0.5, 10}}) {
    auto pld = Make(AccountantKind::kPld);
    auto rdp = Make(AccountantKind::kRdp);
    const PrivacyMap m = PrivacyMap::SubsampledGaussian(c.nm, c.q, c.steps);
    ASSERT_TRUE(pld->Add(m).ok());
    ASSERT_TRUE(rdp->Add(m).ok());
    auto e = pld->Epsilon(1e-6);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_FALSE(std::isnan(*e));
    EXPECT_LE(*e, *rdp->Epsilon(1e-6) + 1e-12) << m.ToString();
    auto d = pld->Delta(1.0);
    ASSERT_TRUE(d.ok());
    EXPECT_GE(*d, 0);
    EXPECT_LE(*d, 1);
  }
  auto tiny = Make(AccountantKind::kPld);
  PrivacyMap p = PrivacyMap::PureDp(1e-8);
  p.repetitions = 1000000;
  ASSERT_TRUE(tiny->Add(p).ok());
  auto e = tiny->Epsilon(1e-6);
  ASSERT_TRUE(e.ok());
  EXPECT_LE(*e, 1e-2 + 1e-12);  // at most the basic sum
}

}  // namespace
}  // namespace dpkit::accounting
