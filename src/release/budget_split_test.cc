#include "dpkit/release/budget_split.h"

#include <algorithm>
#include <numeric>

#include "gtest/gtest.h"

namespace dpkit::release {
namespace {

TEST(BudgetSplitTest, SharesNeverExceedTheTotalInAnyOrder) {
  for (double total : {1.0, 0.1, 3.0, 1e-3, 7.77}) {
    for (const std::vector<double>& w :
         {std::vector<double>{0.02, 0.1, 0.88}, {1, 1, 1}, {1.0 / 3, 1.0 / 7, 0.5}, {5}}) {
      auto shares = SplitBudget(total, w);
      ASSERT_TRUE(shares.ok());
      std::vector<double> s = *shares;
      std::sort(s.begin(), s.end());
      do {
        EXPECT_LE(std::accumulate(s.begin(), s.end(), 0.0), total);
      } while (std::next_permutation(s.begin(), s.end()));
      EXPECT_NEAR(std::accumulate(s.begin(), s.end(), 0.0), total, 1e-11 * total);
    }
  }
}

TEST(BudgetSplitTest, Errors) {
  EXPECT_FALSE(SplitBudget(0, {1}).ok());
  EXPECT_FALSE(SplitBudget(1, {}).ok());
  EXPECT_FALSE(SplitBudget(1, {1, -1}).ok());
}

}  // namespace
}  // namespace dpkit::release
