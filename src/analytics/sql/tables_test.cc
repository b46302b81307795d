#include "dpkit/analytics/sql_tables.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::analytics {
namespace {

using ::testing::HasSubstr;

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string dir = ::testing::TempDir() + "/sql_tables_test";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

const io::ColumnSchema* Declared(const LoadedTables& t, const std::string& table,
                                 const std::string& column) {
  return t.catalog.entries().at(table)->schema.Find(column);
}

// Types come from the schema, else from the query text: a column used as a number (aggregated,
// compared with a number, in arithmetic) is a double whose non-numbers are NULL; any other
// undeclared column is text. The cells never decide.
TEST(SqlTablesTest, UndeclaredColumnsAreTextUnlessTheQueryUsesThemAsNumbers) {
  const std::string c = WriteFile("c.csv", "id,score,name\n1,5,x\n2,abc,y\n3,7,z\n");
  const std::string o = WriteFile("o.csv", "cid,amount,note\n1,2.5,a\n2,oops,b\n3,1e999,c\n");
  io::Schema cs;
  cs.privacy_unit = "id";
  io::ColumnSchema id;
  id.name = "id";
  id.type = io::DataType::kInt64;
  cs.columns.push_back(id);
  std::vector<CsvTableSource> sources = {{"c", c, "", cs}, {"o", o, "orders", std::nullopt},
                                         {"unread", "/nonexistent.csv", "", std::nullopt}};
  auto t = LoadCsvTablesForQuery(
      "SELECT SUM(o.amount BETWEEN 0 AND 10) FROM c JOIN o ON c.id = o.cid "
      "WHERE score + 1 > 3 AND name = 'x' WITH EPSILON 1",
      sources, io::CsvReadOptions());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->catalog.TableNames(), (std::vector<std::string>{"c", "o"}));  // unread: not opened
  EXPECT_EQ(t->catalog.entries().at("o")->dataset, "orders");
  ASSERT_NE(Declared(*t, "o", "amount"), nullptr);
  EXPECT_EQ(Declared(*t, "o", "amount")->type, io::DataType::kDouble);
  ASSERT_NE(Declared(*t, "c", "score"), nullptr);
  EXPECT_EQ(Declared(*t, "c", "score")->type, io::DataType::kDouble);
  EXPECT_EQ(Declared(*t, "c", "name"), nullptr);
  const io::Table& ct = t->catalog.entries().at("c")->table;
  EXPECT_EQ(ct.column(*ct.ColumnIndex("name")).type(), io::DataType::kString);
  const io::Column& score = ct.column(*ct.ColumnIndex("score"));
  EXPECT_FALSE(score.IsNull(0));
  EXPECT_TRUE(score.IsNull(1));  // "abc"
  const io::Table& ot = t->catalog.entries().at("o")->table;
  const io::Column& amount = ot.column(*ot.ColumnIndex("amount"));
  EXPECT_DOUBLE_EQ(amount.double_values()[0], 2.5);
  EXPECT_TRUE(amount.IsNull(1));  // "oops"
  EXPECT_TRUE(amount.IsNull(2));  // not finite
  ASSERT_EQ(t->notes.size(), 3u);
  EXPECT_THAT(t->notes[0], HasSubstr("table 'o' has no schema"));
  EXPECT_THAT(t->notes[1], HasSubstr("column 'score' of table 'c' is not in a schema"));
}

TEST(SqlTablesTest, UnknownTableIsAnErrorBeforeAnyFileIsRead) {
  auto t = LoadCsvTablesForQuery("SELECT COUNT(*) FROM nope WITH EPSILON 1",
                                 {{"c", "/nonexistent.csv", "", std::nullopt}},
                                 io::CsvReadOptions());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("unknown table 'nope' (available: c)"));
}

// In-memory CSV text is read under the same rules as a file.
TEST(SqlTablesTest, TextSourcesReadLikeFiles) {
  const std::string csv = "id,score\n1,5\n2,abc\n";
  std::vector<CsvTableSource> sources = {{"c", WriteFile("t.csv", csv), "", std::nullopt},
                                         {"m", "memory", "", std::nullopt, csv}};
  auto file = LoadCsvTablesForQuery("SELECT SUM(score BETWEEN 0 AND 9) FROM c WITH EPSILON 1",
                                    sources, io::CsvReadOptions());
  auto text = LoadCsvTablesForQuery("SELECT SUM(score BETWEEN 0 AND 9) FROM m WITH EPSILON 1",
                                    sources, io::CsvReadOptions());
  ASSERT_TRUE(file.ok() && text.ok()) << file.status() << text.status();
  const io::Column& a = file->catalog.entries().at("c")->table.column(1);
  const io::Column& b = text->catalog.entries().at("m")->table.column(1);
  EXPECT_EQ(a.validity(), (std::vector<uint8_t>{1, 0}));  // "abc" is NULL (NaN placeholder)
  EXPECT_EQ(b.validity(), a.validity());
  EXPECT_EQ(b.double_values()[0], a.double_values()[0]);
  EXPECT_EQ(file->notes.size(), text->notes.size());
}

}  // namespace
}  // namespace dpkit::analytics
