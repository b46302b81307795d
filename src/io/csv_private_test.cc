// CsvReadOptions::private_data: the reading rules of a DP release (no types from cells, bad
// cells become NULL, no cell text or position in errors).
#include <string>

#include "dpkit/io/csv.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::io {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CsvReadOptions Private(bool owner = false) {
  CsvReadOptions o;
  o.source_name = "orders.csv";
  o.private_data = true;
  o.owner_diagnostics = owner;
  o.schema = Schema{};
  o.schema->columns.push_back({.name = "n", .type = DataType::kInt64});
  o.schema->columns.push_back({.name = "x", .type = DataType::kDouble, .nullable = false});
  return o;
}

TEST(CsvPrivateTest, UndeclaredColumnsAreTextWhateverTheirCells) {
  auto t = ReadCsvString("n,x,email,k\n1,2.5,u0@x.com,7\n2,3,u1@x.com,8\n", Private());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ColumnByName("k").value()->type(), DataType::kString);
  EXPECT_EQ(t->ColumnByName("n").value()->type(), DataType::kInt64);
}

TEST(CsvPrivateTest, UnparsableCellsAreNullAndNonNullableRowsAreDropped) {
  CsvReadStats stats;
  auto t = ReadCsvString("n,x\n1,2.5\nabc,3\n4,inf\n5,u0@x.com\n6,\n7,8\n", Private(), &stats);
  ASSERT_TRUE(t.ok()) << t.status();
  // Rows 4,inf / 5,u0@x.com / 6,(empty) have a NULL in non-nullable x: dropped.
  ASSERT_EQ(t->num_rows(), 3);
  const Column& n = *t->ColumnByName("n").value();
  EXPECT_FALSE(n.IsNull(0));
  EXPECT_TRUE(n.IsNull(1));  // 'abc' in an int64 column
  EXPECT_EQ(n.int64_values()[2], 7);
  EXPECT_EQ(stats.dropped_rows, 3);
}

TEST(CsvPrivateTest, ErrorsNameNoCellAndNoLine) {
  auto t = ReadCsvString("n,x\n1,2\n\"u0@x.com\"junk,3\n", Private());
  ASSERT_FALSE(t.ok());
  const std::string msg(t.status().message());
  EXPECT_THAT(msg, HasSubstr("orders.csv: column 'n'"));
  EXPECT_THAT(msg, Not(HasSubstr("junk")));
  EXPECT_THAT(msg, Not(HasSubstr("orders.csv:3")));
  EXPECT_THAT(msg, HasSubstr("withheld"));
  t = ReadCsvString("n,x\n1,2\n3,4,5\n", Private());
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), Not(HasSubstr(":3")));
}

TEST(CsvPrivateTest, OwnerDiagnosticsShowWhereAndWhat) {
  auto t = ReadCsvString("n,x\n1,2\n\"u0@x.com\"junk,3\n", Private(/*owner=*/true));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("orders.csv:3"));
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("junk"));
}

}  // namespace
}  // namespace dpkit::io
