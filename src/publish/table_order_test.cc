#include "publish/table_order.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::publish {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Every table after the first: its variables shared with earlier tables are all in its source,
// and the source comes earlier.
void ExpectRunningIntersection(const std::vector<std::vector<int>>& sets,
                               const ConsistencyOrder& order) {
  ASSERT_EQ(order.order.size(), sets.size());
  for (size_t i = 1; i < order.order.size(); ++i) {
    const auto& mine = sets[order.order[i]];
    std::vector<int> earlier_vars;
    for (size_t j = 0; j < i; ++j) {
      for (int v : sets[order.order[j]]) earlier_vars.push_back(v);
    }
    std::vector<int> shared;
    for (int v : mine) {
      if (std::count(earlier_vars.begin(), earlier_vars.end(), v)) shared.push_back(v);
    }
    std::sort(shared.begin(), shared.end());
    EXPECT_EQ(order.separator[i], shared);
    const auto source_pos =
        std::find(order.order.begin(), order.order.begin() + i, order.source[i]);
    ASSERT_NE(source_pos, order.order.begin() + i) << "source must come earlier";
    for (int v : shared)
      EXPECT_TRUE(std::count(sets[order.source[i]].begin(), sets[order.source[i]].end(), v));
  }
}

TEST(TableOrderTest, ChainsStarsAndTotalsHaveAnOrder) {
  const std::vector<std::vector<std::vector<int>>> families = {
      {{0, 1}, {1, 2}, {2, 3}},          // chain
      {{0, 1}, {0, 2}, {0, 3}, {}},      // star on 0, plus the total
      {{0, 1, 2}, {0, 1}, {1, 2}, {2}},  // margins of one big table
      {{0}, {0}},                        // the same table twice
      {{4}},
  };
  for (const auto& sets : families) {
    absl::StatusOr<ConsistencyOrder> order =
        OrderForConsistency(sets, std::vector<std::string>(sets.size(), "t"));
    ASSERT_TRUE(order.ok()) << order.status();
    ExpectRunningIntersection(sets, *order);
    EXPECT_EQ(order->source[0], -1);
    EXPECT_TRUE(order->separator[0].empty());
  }
}

TEST(TableOrderTest, RefusesACycle) {
  absl::StatusOr<ConsistencyOrder> order =
      OrderForConsistency({{0, 1}, {1, 2}, {2, 0}}, {"ab", "bc", "ca"});
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(order.status().message(), HasSubstr("'ab', 'bc', 'ca'"));
  EXPECT_THAT(order.status().message(), HasSubstr("cycle"));
}

TEST(TableOrderTest, ACoveringTableBreaksTheCycle) {
  absl::StatusOr<ConsistencyOrder> order =
      OrderForConsistency({{0, 1}, {1, 2}, {2, 0}, {0, 1, 2}}, {"ab", "bc", "ca", "abc"});
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_THAT(order->order, ElementsAre(3, 2, 1, 0));
}

}  // namespace
}  // namespace dpkit::publish
