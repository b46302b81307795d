#include "dpkit/io/table.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::io {
namespace {

using ::testing::HasSubstr;

Table ThreeColumns() {
  std::vector<Column> cols;
  cols.push_back(Column::Int64("a", {1, 2, 3, 4}));
  cols.push_back(Column::Double("b", {0.5, 1.5, 2.5, 3.5}, {1, 0, 1, 1}));
  cols.push_back(Column::String("c", {"x", "y", "x", "z"}));
  return *Table::Make(std::move(cols));
}

TEST(DataTypeTest, NamesRoundTrip) {
  for (DataType t : {DataType::kInt64, DataType::kDouble, DataType::kString, DataType::kDate,
                     DataType::kBool}) {
    EXPECT_EQ(*ParseDataType(DataTypeName(t)), t);
  }
  EXPECT_EQ(*ParseDataType("Integer"), DataType::kInt64);
  EXPECT_EQ(*ParseDataType("categorical"), DataType::kString);
  absl::StatusOr<DataType> bad = ParseDataType("decimal");
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("unknown type 'decimal'"));
}

TEST(DateTest, ParseFormatRoundTripAndValidation) {
  int64_t d;
  ASSERT_TRUE(ParseDate("1970-01-01", &d));
  EXPECT_EQ(d, 0);
  ASSERT_TRUE(ParseDate("2000-03-01", &d));
  EXPECT_EQ(d, 11017);
  EXPECT_TRUE(ParseDate("2000-02-29", &d));   // 400-year leap
  EXPECT_FALSE(ParseDate("1900-02-29", &d));  // 100-year non-leap
  EXPECT_FALSE(ParseDate("2021-13-01", &d));
  EXPECT_FALSE(ParseDate("2021-04-31", &d));
  EXPECT_FALSE(ParseDate("2021-4-30", &d));
  EXPECT_FALSE(ParseDate("2021-04-30T00", &d));
  // Every day from 1600 to 2400 round-trips and consecutive dates are consecutive numbers.
  int64_t prev;
  ASSERT_TRUE(ParseDate("1600-01-01", &prev));
  for (int64_t day = prev + 1; day < prev + 292000; ++day) {
    const std::string s = FormatDate(day);
    int64_t back;
    ASSERT_TRUE(ParseDate(s, &back)) << s;
    ASSERT_EQ(back, day) << s;
  }
}

TEST(TableTest, ColumnByNameListsAvailableColumns) {
  Table t = ThreeColumns();
  EXPECT_EQ(*t.ColumnIndex("b"), 1);
  absl::StatusOr<const Column*> c = t.ColumnByName("nope");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(c.status().message(), "unknown column 'nope' (available: a, b, c)");
}

TEST(TableTest, MakeRejectsLengthMismatchAndDuplicates) {
  std::vector<Column> cols;
  cols.push_back(Column::Int64("a", {1, 2}));
  cols.push_back(Column::Int64("b", {1}));
  EXPECT_THAT(std::string(Table::Make(cols).status().message()), HasSubstr("'b' has 1 rows"));
  cols[1] = Column::Int64("a", {1, 2});
  EXPECT_THAT(std::string(Table::Make(cols).status().message()),
              HasSubstr("duplicate column name 'a'"));
}

TEST(TableTest, NullsAndPlaceholders) {
  Table t = ThreeColumns();
  const Column& b = t.column(1);
  EXPECT_TRUE(b.has_nulls());
  EXPECT_TRUE(b.IsNull(1));
  EXPECT_TRUE(std::isnan(b.double_values()[1]));
  EXPECT_EQ(b.null_count(), 1);
  EXPECT_EQ(b.FormatValue(1), "");
  EXPECT_TRUE(std::isnan(b.NumericAt(1)));
  EXPECT_EQ(b.NumericAt(2), 2.5);
  // An all-valid mask is dropped.
  Column c = Column::Int64("x", {1, 2}, {1, 1});
  EXPECT_FALSE(c.has_nulls());
  EXPECT_TRUE(c.validity().empty());
}

TEST(TableTest, StringColumnsAreDictionaryEncoded) {
  Table t = ThreeColumns();
  const Column& c = t.column(2);
  EXPECT_EQ(c.dictionary(), (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(c.codes(), (std::vector<int32_t>{0, 1, 0, 2}));
  EXPECT_EQ(c.StringAt(3), "z");
  absl::StatusOr<Column> bad = Column::StringFromCodes("s", {0, 3}, {"a", "b"});
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("code 3 outside dictionary"));
  absl::StatusOr<Column> dup = Column::StringFromCodes("s", {0}, {"a", "a"});
  EXPECT_THAT(std::string(dup.status().message()), HasSubstr("duplicate dictionary entry 'a'"));
  absl::StatusOr<Column> nulls = Column::StringFromCodes("s", {0, 99}, {"a"}, {1, 0});
  ASSERT_TRUE(nulls.ok());
  EXPECT_EQ(nulls->codes()[1], -1);
}

TEST(TableTest, TakeSliceSelect) {
  Table t = ThreeColumns();
  absl::StatusOr<Table> taken = t.TakeRows({3, 1, 1});
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->num_rows(), 3);
  EXPECT_EQ(taken->column(0).int64_values(), (std::vector<int64_t>{4, 2, 2}));
  EXPECT_TRUE(taken->column(1).IsNull(1));
  EXPECT_EQ(taken->column(2).StringAt(0), "z");
  EXPECT_EQ(t.TakeRows({4}).status().code(), absl::StatusCode::kOutOfRange);
  Table s = t.SliceRows(2, 100);
  EXPECT_EQ(s.num_rows(), 2);
  EXPECT_FALSE(s.column(1).has_nulls());
  EXPECT_EQ(s.column(0).int64_values(), (std::vector<int64_t>{3, 4}));
  absl::StatusOr<Table> sel = t.SelectColumns({"c", "a"});
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(sel->ColumnNames(), (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(t.SelectColumns({"q"}).status().code(), absl::StatusCode::kNotFound);
}

TEST(TableTest, AddAndReplaceColumns) {
  Table t = ThreeColumns();
  EXPECT_TRUE(t.AddColumn(Column::Bool("d", {1, 0, 1, 0})).ok());
  EXPECT_FALSE(t.AddColumn(Column::Bool("e", {1})).ok());
  EXPECT_TRUE(t.ReplaceColumn(Column::Int64("a", {9, 9, 9, 9})).ok());
  EXPECT_EQ(t.column(0).int64_values()[0], 9);
  EXPECT_EQ(t.ReplaceColumn(Column::Int64("zz", {1, 2, 3, 4})).code(),
            absl::StatusCode::kNotFound);
}

TEST(TableTest, FormatValue) {
  std::vector<Column> cols;
  cols.push_back(Column::Double("d", {0.1, 1e21, -0.0, 123456789.125}));
  cols.push_back(Column::Date("t", {0, 18321, -719528, 1}));
  cols.push_back(Column::Bool("b", {1, 0, 5, 0}));
  Table t = *Table::Make(std::move(cols));
  EXPECT_EQ(t.column(0).FormatValue(0), "0.1");
  EXPECT_EQ(t.column(0).FormatValue(1), "1e+21");
  EXPECT_EQ(t.column(0).FormatValue(3), "123456789.125");
  EXPECT_EQ(t.column(1).FormatValue(1), "2020-02-29");
  EXPECT_EQ(t.column(1).FormatValue(2), "0000-01-01");
  EXPECT_EQ(t.column(2).FormatValue(2), "true");
}

}  // namespace
}  // namespace dpkit::io
