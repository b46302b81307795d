#include "dpkit/analytics/partition_selection.h"

#include <cmath>

#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/stats.h"

namespace dpkit::analytics {
namespace {

using ::testing::HasSubstr;

PartitionSelector Make(PartitionSelectionStrategy s, double eps, double delta, int64_t l0 = 1) {
  auto sel = PartitionSelector::Create({eps, delta, l0, s});
  EXPECT_TRUE(sel.ok()) << sel.status();
  return *sel;
}

TEST(PartitionSelectionTest, Validation) {
  EXPECT_THAT(PartitionSelector::Create({-1, 1e-6, 1}).status().message(),
              HasSubstr("epsilon must be finite and > 0, got -1"));
  EXPECT_FALSE(PartitionSelector::Create({1, 0, 1}).ok());
  EXPECT_FALSE(PartitionSelector::Create({1, 1e-6, 0}).ok());
}

// Exact check of the (eps, delta) condition for neighbouring counts n-1 and n (L0 = 1): for both
// outcomes, P[keep | n] <= e^eps P[keep | n-1] + delta and vice versa.
TEST(PartitionSelectionTest, KeepProbabilitiesSatisfyDpExactly) {
  for (auto s : {PartitionSelectionStrategy::kTruncatedGeometric,
                 PartitionSelectionStrategy::kLaplaceThreshold,
                 PartitionSelectionStrategy::kGaussianThreshold}) {
    for (double eps : {0.1, 1.0, 3.0}) {
      for (double delta : {1e-9, 1e-5}) {
        auto sel = Make(s, eps, delta);
        double e = std::exp(eps);
        for (int64_t n = 1; n < 5000; ++n) {
          double p1 = sel.KeepProbability(n), p0 = sel.KeepProbability(n - 1);
          double tol = 1e-12;
          EXPECT_LE(p1, e * p0 + delta + tol) << PartitionSelectionStrategyName(s) << " n=" << n;
          EXPECT_LE(p0, e * p1 + delta + tol);
          EXPECT_LE(1 - p0, e * (1 - p1) + delta + tol);
          EXPECT_LE(1 - p1, e * (1 - p0) + delta + tol);
        }
        // A partition with a single unit appears with probability at most delta.
        EXPECT_LE(sel.KeepProbability(1), delta * (1 + 1e-9));
        EXPECT_EQ(sel.KeepProbability(0), 0.0);
      }
    }
  }
}

TEST(PartitionSelectionTest, TruncatedGeometricIsTheBestOfTheThree) {
  auto tg = Make(PartitionSelectionStrategy::kTruncatedGeometric, 1, 1e-6);
  auto lap = Make(PartitionSelectionStrategy::kLaplaceThreshold, 1, 1e-6);
  auto gau = Make(PartitionSelectionStrategy::kGaussianThreshold, 1, 1e-6);
  EXPECT_LE(tg.MedianThreshold(), lap.MedianThreshold());
  EXPECT_LE(tg.MedianThreshold(), gau.MedianThreshold());
  // With eps=1, delta=1e-6 a group needs about 14 units (ln(1/2delta)/eps + 1).
  EXPECT_GE(tg.MedianThreshold(), 10);
  EXPECT_LE(tg.MedianThreshold(), 16);
  EXPECT_THAT(tg.Describe(), HasSubstr("truncated_geometric"));
}

TEST(PartitionSelectionTest, MorePartitionsPerUnitNeedMoreUnits) {
  auto one = Make(PartitionSelectionStrategy::kTruncatedGeometric, 1, 1e-6, 1);
  auto four = Make(PartitionSelectionStrategy::kTruncatedGeometric, 1, 1e-6, 4);
  EXPECT_GT(four.MedianThreshold(), one.MedianThreshold());
  EXPECT_LE(four.KeepProbability(1), 1e-6 / 4 * (1 + 1e-9));
}

}  // namespace
}  // namespace dpkit::analytics
