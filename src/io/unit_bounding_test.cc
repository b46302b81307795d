#include "dpkit/io/unit_bounding.h"

#include <map>
#include <string>
#include <vector>

#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"

namespace dpkit::io {
namespace {

Table People() {
  // unit a: 4 rows, b: 1 row, NULL: 1 row.
  std::vector<std::string> unit = {"a", "b", "a", "", "a", "a"};
  std::vector<uint8_t> valid = {1, 1, 1, 0, 1, 1};
  std::vector<int64_t> value = {0, 1, 2, 3, 4, 5};
  return Table::Make({Column::String("id", unit, valid), Column::Int64("v", value)}).value();
}

TEST(UnitBoundingTest, KeepsAtMostKRowsPerUnitAndDropsNullUnits) {
  random::testing::SeededRng gen(1);
  for (int64_t k : {1, 2, 10}) {
    auto t = BoundRowsPerUnit(People(), {.unit = "id", .max_rows_per_unit = k,
                                         .drop_unit_column = false}, gen);
    ASSERT_TRUE(t.ok()) << t.status();
    std::map<std::string, int> per_unit;
    const Column& id = *t->ColumnByName("id").value();
    for (int64_t r = 0; r < t->num_rows(); ++r) {
      ASSERT_FALSE(id.IsNull(r));
      ++per_unit[id.StringAt(r)];
    }
    EXPECT_EQ(per_unit["a"], std::min<int64_t>(k, 4));
    EXPECT_EQ(per_unit["b"], 1);
  }
}

TEST(UnitBoundingTest, DropsTheUnitColumnAndKeepsRowOrder) {
  random::testing::SeededRng gen(2);
  auto t = BoundRowsPerUnit(People(), {.unit = "id", .max_rows_per_unit = 4}, gen);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->ColumnNames(), std::vector<std::string>{"v"});
  const Column& v = t->column(0);
  ASSERT_EQ(v.size(), 5);
  for (int64_t r = 1; r < v.size(); ++r) EXPECT_LT(v.int64_values()[r - 1], v.int64_values()[r]);
}

TEST(UnitBoundingTest, ChoosesEachRowOfAUnitEquallyOften) {
  random::testing::SeededRng gen(3);
  std::map<int64_t, int> kept;
  const int kTrials = 4000;
  for (int i = 0; i < kTrials; ++i) {
    auto t = BoundRowsPerUnit(People(), {.unit = "id", .max_rows_per_unit = 1}, gen).value();
    for (int64_t r = 0; r < t.num_rows(); ++r) ++kept[t.column(0).int64_values()[r]];
  }
  // Unit a's rows 0, 2, 4, 5 are each kept with probability 1/4: 1000 +- 5 sd (sd ~ 27).
  for (int64_t row : {0, 2, 4, 5}) EXPECT_NEAR(kept[row], kTrials / 4, 140) << row;
  EXPECT_EQ(kept[1], kTrials);
}

TEST(UnitBoundingTest, Errors) {
  random::testing::SeededRng gen(4);
  EXPECT_EQ(BoundRowsPerUnit(People(), {.unit = "nope"}, gen).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(BoundRowsPerUnit(People(), {.unit = "id", .max_rows_per_unit = 0}, gen).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dpkit::io
