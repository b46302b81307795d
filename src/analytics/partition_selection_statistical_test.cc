#include <cmath>

#include "dpkit/analytics/partition_selection.h"
#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"
#include "lib/stats.h"

namespace dpkit::analytics {
namespace {

PartitionSelector Make(PartitionSelectionStrategy s, double eps, double delta, int64_t l0 = 1) {
  auto sel = PartitionSelector::Create({eps, delta, l0, s});
  EXPECT_TRUE(sel.ok()) << sel.status();
  return *sel;
}

// Statistical: observed keep frequencies match KeepProbability. Two-sided binomial test,
// alpha = 1e-6 per (strategy, n) pair; 12 pairs, family-wise < 1.2e-5. Fixed seed.
TEST(PartitionSelectionStatisticalTest, KeepFrequencyMatchesProbability) {
  random::testing::SeededRng rng(2024);
  const int trials = 200000;
  for (auto s : {PartitionSelectionStrategy::kTruncatedGeometric,
                 PartitionSelectionStrategy::kLaplaceThreshold,
                 PartitionSelectionStrategy::kGaussianThreshold}) {
    auto sel = Make(s, 1.0, 1e-3);
    int64_t m = sel.MedianThreshold();
    for (int64_t n : {m - 2, m, m + 2, m + 6}) {
      double p = sel.KeepProbability(n);
      int64_t kept = 0;
      for (int i = 0; i < trials; ++i) kept += sel.ShouldKeep(n, rng);
      if (p == 0 || p == 1) {
        EXPECT_EQ(kept, p == 0 ? 0 : trials);
        continue;
      }
      if (trials * p * (1 - p) < 100) continue;  // normal approximation not valid
      double pv = test::BinomialTwoSidedPValue(kept, trials, p);
      EXPECT_GT(pv, 1e-6) << PartitionSelectionStrategyName(s) << " n=" << n << " p=" << p
                          << " kept=" << kept;
    }
  }
}

}  // namespace
}  // namespace dpkit::analytics
