#include "dpkit/synth/hierarchy.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::synth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

io::Schema Geo(bool unlisted_null) {
  io::Schema s;
  s.privacy_unit = "id";
  s.columns = {{.name = "id", .type = io::DataType::kInt64},
               {.name = "zip", .type = io::DataType::kString},
               {.name = "age", .type = io::DataType::kInt64, .lower = 0, .upper = 9},
               {.name = "city", .type = io::DataType::kString, .nullable = false},
               {.name = "state", .type = io::DataType::kString, .nullable = false}};
  s.hierarchies = {{.columns = {"zip", "city", "state"},
                    .values = {{"021**", "Boston", "MA"},
                               {"041**", "Portland", "ME"},
                               {"972**", "Portland", "OR"}},
                    .unlisted_null = unlisted_null}};
  return s;
}

std::string C(std::vector<std::string> v) {  // a combination as HierarchyCategories writes it
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "\x1f" : "") + v[i];
  return s;
}

// Rows of (zip, city, state); "-" is NULL.
io::Table Rows(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> cols(3);
  std::vector<std::vector<uint8_t>> valid(3);
  std::vector<int64_t> id;
  for (const auto& r : rows) {
    id.push_back(static_cast<int64_t>(id.size()));
    for (size_t c = 0; c < 3; ++c) {
      cols[c].push_back(r[c] == "-" ? "" : r[c]);
      valid[c].push_back(r[c] != "-");
    }
  }
  return *io::Table::Make({io::Column::Int64("id", id), io::Column::String("zip", cols[0], valid[0]),
                           io::Column::String("city", cols[1], valid[1]),
                           io::Column::String("state", cols[2], valid[2])});
}

std::vector<std::string> Values(const io::Column& c) {
  std::vector<std::string> out;
  for (int64_t r = 0; r < c.size(); ++r) out.push_back(c.IsNull(r) ? "-" : c.StringAt(r));
  return out;
}

TEST(HierarchyTest, CategoriesAreTheEntriesThenTheCoarserLevels) {
  const io::Schema geo = Geo(false);
  const io::Hierarchy& h = geo.hierarchies[0];
  EXPECT_EQ(HierarchyColumnName(h), "zip+city+state");
  EXPECT_THAT(HierarchyCategories(h),
              ElementsAre(C({"021**", "Boston", "MA"}), C({"041**", "Portland", "ME"}),
                          C({"972**", "Portland", "OR"}), C({"other", "Boston", "MA"}),
                          C({"other", "Portland", "ME"}), C({"other", "Portland", "OR"}),
                          C({"other", "other", "MA"}), C({"other", "other", "ME"}),
                          C({"other", "other", "OR"}), C({"other", "other", "other"})));
  EXPECT_EQ(HierarchyCategories(Geo(true).hierarchies[0]).size(), 3u);
}

TEST(HierarchyTest, SchemaAndNamesGetOneColumnInPlaceOfTheFirst) {
  absl::StatusOr<io::Schema> s = CombinedSchema(Geo(true));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(s->ColumnNames(), ElementsAre("id", "zip+city+state", "age"));
  EXPECT_TRUE(s->hierarchies.empty());
  const io::ColumnSchema& c = *s->Find("zip+city+state");
  EXPECT_EQ(c.categories.size(), 3u);
  EXPECT_TRUE(c.nullable);  // zip is nullable
  EXPECT_TRUE(s->Validate().ok());
  EXPECT_THAT(*CombinedColumnNames(Geo(true), {"age", "state", "zip", "city"}),
              ElementsAre("age", "zip+city+state"));
  EXPECT_THAT(std::string(CombinedColumnNames(Geo(true), {"zip", "state"}).status().message()),
              HasSubstr("hierarchy column 'city' is not among the synthesised columns"));
  io::Schema clash = Geo(true);
  clash.columns.push_back({.name = "zip+city+state"});
  EXPECT_THAT(std::string(CombinedSchema(clash).status().message()), HasSubstr("already a column"));
}

TEST(HierarchyTest, UnlistedRowsKeepTheirFinestListedLevel) {
  const io::Table t = Rows({{"021**", "Boston", "MA"},      // listed
                            {"972**", "Portland", "OR"},    // listed (same city, other state)
                            {"999**", "Portland", "ME"},    // city level
                            {"972**", "Portland", "ME"},    // city level: inconsistent ZIP3
                            {"021**", "Quincy", "MA"},      // state level
                            {"021**", "Boston", "TX"},      // nothing listed
                            {"-", "Boston", "MA"},          // NULL ZIP3: city level
                            {"021**", "Boston", "-"},       // NULL state: nothing to match
                            {"-", "-", "-"}});              // all NULL
  absl::StatusOr<io::Table> coarser = CombineHierarchies(Geo(false), t);
  ASSERT_TRUE(coarser.ok()) << coarser.status();
  EXPECT_THAT(coarser->ColumnNames(), ElementsAre("id", "zip+city+state"));
  absl::StatusOr<io::Table> back = SplitHierarchies(Geo(false), *coarser);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_THAT(back->ColumnNames(), ElementsAre("id", "zip", "city", "state"));
  EXPECT_THAT(Values(*back->ColumnByName("zip").value()),
              ElementsAre("021**", "972**", "other", "other", "other", "other", "other", "other", "-"));
  EXPECT_THAT(Values(*back->ColumnByName("city").value()),
              ElementsAre("Boston", "Portland", "Portland", "Portland", "other", "other", "Boston",
                          "other", "-"));
  EXPECT_THAT(Values(*back->ColumnByName("state").value()),
              ElementsAre("MA", "OR", "ME", "ME", "MA", "other", "MA", "other", "-"));

  // "null": the list is complete; anything else is NULL in every level.
  absl::StatusOr<io::Table> strict = CombineHierarchies(Geo(true), t);
  ASSERT_TRUE(strict.ok()) << strict.status();
  absl::StatusOr<io::Table> split = SplitHierarchies(Geo(true), *strict);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_THAT(Values(*split->ColumnByName("city").value()),
              ElementsAre("Boston", "Portland", "-", "-", "-", "-", "-", "-", "-"));
  EXPECT_THAT(Values(*split->ColumnByName("zip").value()),
              ElementsAre("021**", "972**", "-", "-", "-", "-", "-", "-", "-"));
}

// A row's combined value depends on that row alone: a table with one more row (a neighbour)
// combines to the same column plus one value.
TEST(HierarchyTest, RowByRowSoNeighboursStayNeighbours) {
  const std::vector<std::vector<std::string>> rows = {
      {"021**", "Boston", "MA"}, {"041**", "Portland", "ME"}, {"123**", "Zzyzx", "CA"}};
  for (bool strict : {false, true}) {
    io::Table d = Rows({rows[0], rows[1]});
    io::Table d2 = Rows(rows);
    const io::Column a = CombineHierarchies(Geo(strict), d)->column(1);
    const io::Column b = CombineHierarchies(Geo(strict), d2)->column(1);
    ASSERT_EQ(b.size(), a.size() + 1);
    for (int64_t r = 0; r < a.size(); ++r) EXPECT_EQ(a.FormatValue(r), b.FormatValue(r));
    EXPECT_EQ(b.dictionary(), a.dictionary());  // the categories are the schema's, not the data's
  }
}

}  // namespace
}  // namespace dpkit::synth
