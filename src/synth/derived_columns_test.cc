#include "dpkit/synth/derived_columns.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::synth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

int64_t Day(const char* ymd) {
  int64_t d = 0;
  EXPECT_TRUE(io::ParseDate(ymd, &d)) << ymd;
  return d;
}

io::Schema Customers() {
  io::Schema s;
  s.columns = {{.name = "dob", .type = io::DataType::kDate},
               {.name = "signup", .type = io::DataType::kDate},
               {.name = "age", .type = io::DataType::kInt64, .lower = 18, .upper = 90,
                .derived = io::Derivation{.unit = io::TimeUnit::kYears,
                                          .from = {.column = "dob"},
                                          .to = {.day = Day("2025-06-30")}}},
               {.name = "spend", .type = io::DataType::kDouble},
               {.name = "days_member_at_60", .type = io::DataType::kInt64,
                .derived = io::Derivation{.unit = io::TimeUnit::kDays,
                                          .from = {.column = "signup"},
                                          .to = {.column = "dob"}}}};
  return s;
}

io::Table Synthetic() {
  std::vector<io::Column> cols;
  cols.push_back(io::Column::Date(
      "dob", {Day("1990-06-30"), Day("1990-07-01"), Day("2020-01-01"), Day("1900-01-01"), 0},
      {1, 1, 1, 1, 0}));
  cols.push_back(io::Column::Date("signup", {Day("1990-06-20"), Day("1990-07-03"), 0, 0, 0}));
  return *io::Table::Make(std::move(cols));
}

TEST(DerivedColumnsTest, ListsTheSchemasDerivedColumnsInOrder) {
  std::vector<io::ColumnSchema> d = DerivedColumns(Customers());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].name, "age");
  EXPECT_EQ(d[1].name, "days_member_at_60");
}

TEST(DerivedColumnsTest, ComputedRowByRowNullWithADateAndClampedToTheBounds) {
  const io::Schema s = Customers();
  absl::StatusOr<io::Column> age = DeriveColumn(*s.Find("age"), Synthetic());
  ASSERT_TRUE(age.ok()) << age.status();
  EXPECT_EQ(age->name(), "age");
  EXPECT_EQ(age->type(), io::DataType::kInt64);
  // 35 on the birthday, 34 the day before it; 5 clamped up to 18, 125 down to 90; NULL dob.
  EXPECT_THAT(age->int64_values(), ElementsAre(35, 34, 18, 90, 0));
  EXPECT_THAT(age->validity(), ElementsAre(1, 1, 1, 1, 0));
  absl::StatusOr<io::Column> days = DeriveColumn(*s.Find("days_member_at_60"), Synthetic());
  ASSERT_TRUE(days.ok()) << days.status();
  EXPECT_EQ(days->int64_values()[0], 10);
  EXPECT_EQ(days->int64_values()[1], -2);  // unbounded: negative kept
}

TEST(DerivedColumnsTest, NeedsItsDateColumnsInTheTable) {
  io::Schema s = Customers();
  std::vector<io::Column> cols;
  cols.push_back(io::Column::Int64("dob", {1}));
  absl::StatusOr<io::Column> c = DeriveColumn(*s.Find("age"), *io::Table::Make(std::move(cols)));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("'age' needs the date column 'dob'"));
  EXPECT_THAT(DescribeDerivation(*s.Find("age")),
              HasSubstr("'age' = whole years from 'dob' to 2025-06-30"));
}

}  // namespace
}  // namespace dpkit::synth
