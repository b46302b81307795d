#include "dpkit/io/schema.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

// GCC 12 warns about designated initializers that leave members defaulted.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace dpkit::io {
namespace {

using ::testing::HasSubstr;

constexpr char kExample[] = R"({
  "privacy_unit": "pid",
  "null_tokens": ["", "NA"],
  "columns": [
    {"name": "pid", "type": "int64", "nullable": false},
    {"name": "age", "type": "int64", "lower": 0, "upper": 100},
    {"name": "income", "type": "double", "lower": 0, "upper": 500000,
     "bins": [0, 10000, 50000, 100000, 500000]},
    {"name": "sex", "type": "string", "categories": ["F", "M"]},
    {"name": "educ", "type": "int64", "categories": [1, 2, 3]},
    {"name": "visit", "type": "date", "lower": "2020-01-01", "upper": "2020-12-31"}
  ]
})";

std::string Err(std::string_view json) {
  absl::StatusOr<Schema> s = Schema::FromJson(json, "s.json");
  EXPECT_FALSE(s.ok());
  if (s.ok()) return "";
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

TEST(SchemaTest, ParsesFullExample) {
  absl::StatusOr<Schema> s = Schema::FromJson(kExample);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->privacy_unit, "pid");
  EXPECT_EQ(s->null_tokens, (std::vector<std::string>{"", "NA"}));
  ASSERT_EQ(s->columns.size(), 6u);
  EXPECT_FALSE(s->columns[0].nullable);
  EXPECT_EQ(*s->columns[1].upper, 100);
  EXPECT_TRUE(s->columns[1].has_bounds());
  EXPECT_EQ(s->columns[2].bins.size(), 5u);
  EXPECT_EQ(s->columns[3].categories, (std::vector<std::string>{"F", "M"}));
  EXPECT_EQ(s->columns[4].categories, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(s->columns[5].type, DataType::kDate);
  EXPECT_EQ(*s->columns[5].lower, 18262);  // 2020-01-01
  EXPECT_EQ((*s->Get("sex"))->name, "sex");
  EXPECT_THAT(std::string(s->Get("zz").status().message()),
              HasSubstr("unknown column 'zz' in schema (available: pid, age"));
}

TEST(SchemaTest, JsonRoundTripAndFile) {
  Schema s = *Schema::FromJson(kExample);
  absl::StatusOr<Schema> back = Schema::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok()) << back.status() << s.ToJson();
  EXPECT_EQ(back->ToJson(), s.ToJson());
  EXPECT_THAT(s.ToJson(), HasSubstr("\"2020-12-31\""));
  char tmpl[] = "/tmp/dpkit_schema_XXXXXX";
  const std::string path = std::string(mkdtemp(tmpl)) + "/s.json";
  ASSERT_TRUE(SaveSchema(s, path).ok());
  absl::StatusOr<Schema> loaded = LoadSchema(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->ToJson(), s.ToJson());
  absl::StatusOr<Schema> missing = LoadSchema("/nonexistent/s.json");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("/nonexistent/s.json"));
}

TEST(SchemaTest, Errors) {
  EXPECT_THAT(Err("{"), HasSubstr("s.json: not valid JSON"));
  EXPECT_THAT(Err("[]"), HasSubstr("top level must be a JSON object"));
  EXPECT_THAT(Err(R"({"colums": []})"), HasSubstr("unknown key 'colums'"));
  EXPECT_THAT(Err(R"({"privacy_unit": "x"})"), HasSubstr("missing 'columns'"));
  EXPECT_THAT(Err(R"({"columns": [{"type": "int64"}]})"), HasSubstr("needs a string 'name'"));
  EXPECT_THAT(Err(R"({"columns": [{"name": "a"}]})"), HasSubstr("column 'a': needs a 'type'"));
  EXPECT_THAT(Err(R"({"columns": [{"name": "a", "type": "decimal"}]})"),
              HasSubstr("column 'a': unknown type 'decimal'"));
  EXPECT_THAT(Err(R"({"columns": [{"name": "a", "type": "int64", "lowr": 1}]})"),
              HasSubstr("column 'a': unknown key 'lowr'"));
  EXPECT_THAT(Err(R"({"columns": [{"name": "a", "type": "int64", "lower": 5, "upper": 1}]})"),
              HasSubstr("column 'a': lower bound 5 is greater than upper bound 1"));
  EXPECT_THAT(Err(R"({"columns": [{"name": "a", "type": "int64", "lower": "x"}]})"),
              HasSubstr("'lower' must be a number"));
  EXPECT_THAT(Err(R"({"columns": [{"name": "a", "type": "date", "lower": "2020-02-30"}]})"),
              HasSubstr("must be a date YYYY-MM-DD"));
  EXPECT_THAT(Err(R"({"columns": [{"name": "a", "type": "double", "bins": [1, 1]}]})"),
              HasSubstr("strictly increasing"));
  EXPECT_THAT(Err(R"({"columns": [{"name": "a", "type": "double", "bins": [1]}]})"),
              HasSubstr("at least 2 edges"));
  EXPECT_THAT(Err(R"({"columns": [{"name": "a", "type": "string", "lower": 1}]})"),
              HasSubstr("bounds are only allowed"));
  EXPECT_THAT(Err(R"({"columns": [{"name": "a", "type": "string", "categories": ["x", "x"]}]})"),
              HasSubstr("duplicate category 'x'"));
  EXPECT_THAT(Err(R"({"columns": [{"name": "a", "type": "int64"}, {"name": "a", "type": "int64"}]})"),
              HasSubstr("duplicate schema column 'a'"));
  EXPECT_THAT(Err(R"({"privacy_unit": "uid", "columns": [{"name": "a", "type": "int64"}]})"),
              HasSubstr("privacy_unit 'uid' is not a schema column"));
  EXPECT_THAT(Err(R"({"columns": [{"name": "a", "type": "int64", "nullable": "no"}]})"),
              HasSubstr("'nullable' must be true or false"));
}

TEST(SchemaTest, Hierarchies) {
  constexpr char kGeo[] = R"({"columns": [
      {"name": "zip", "type": "string"}, {"name": "city", "type": "string"},
      {"name": "state", "type": "string", "categories": ["MA", "ME", "OR"]}],
    "hierarchies": [{"columns": ["zip", "city", "state"], "unlisted": "null",
      "values": [["021**", "Boston", "MA"], ["041**", "Portland", "ME"],
                 ["972**", "Portland", "OR"]]}]})";
  absl::StatusOr<Schema> s = Schema::FromJson(kGeo);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->hierarchies.size(), 1u);
  EXPECT_EQ(s->hierarchies[0].columns, (std::vector<std::string>{"zip", "city", "state"}));
  EXPECT_EQ(s->hierarchies[0].values[2], (std::vector<std::string>{"972**", "Portland", "OR"}));
  EXPECT_TRUE(s->hierarchies[0].unlisted_null);
  absl::StatusOr<Schema> back = Schema::FromJson(s->ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ToJson(), s->ToJson());
  // "unlisted" defaults to "coarser".
  Schema t = *s;
  t.hierarchies[0].unlisted_null = false;
  EXPECT_THAT(t.ToJson(), HasSubstr("\"unlisted\": \"coarser\""));

  auto json = [](const std::string& h) {
    return absl::StrCat(R"({"privacy_unit": "id", "columns": [{"name": "id", "type": "string"},
      {"name": "a", "type": "string"}, {"name": "b", "type": "string", "categories": ["x"]},
      {"name": "n", "type": "int64"}], "hierarchies": [)", h, "]}");
  };
  auto with = [&](const std::string& h) { return Err(json(h)); };
  EXPECT_TRUE(Schema::FromJson(json(R"({"columns": ["a", "b"], "values": [["1", "x"]]})")).ok());
  EXPECT_THAT(with(R"({"columns": ["a"], "values": [["1"]]})"), HasSubstr("at least 2 columns"));
  EXPECT_THAT(with(R"({"columns": ["a", "n"], "values": [["1", "2"]]})"),
              HasSubstr("'n' must be a string column"));
  EXPECT_THAT(with(R"({"columns": ["a", "id"], "values": [["1", "2"]]})"),
              HasSubstr("'id' must be a string column of the schema (not the privacy unit)"));
  EXPECT_THAT(with(R"({"columns": ["a", "zz"], "values": [["1", "2"]]})"),
              HasSubstr("'zz' must be a string column"));
  EXPECT_THAT(with(R"({"columns": ["a", "b"], "values": [["1", "x"]]},
                     {"columns": ["b", "a"], "values": [["x", "1"]]})"),
              HasSubstr("column 'b' is in more than one hierarchy"));
  EXPECT_THAT(with(R"({"columns": ["a", "b"], "values": []})"), HasSubstr("'values' is empty"));
  EXPECT_THAT(with(R"({"columns": ["a", "b"], "values": [["1"]]})"),
              HasSubstr("entry [1] has 1 values, expected 2"));
  EXPECT_THAT(with(R"({"columns": ["a", "b"], "values": [["1", "x"], ["1", "x"]]})"),
              HasSubstr("duplicate entry [1, x]"));
  EXPECT_THAT(with(R"({"columns": ["a", "b"], "values": [["1", "y"]]})"),
              HasSubstr("value 'y' of entry [1, y] is not among the column's declared categories"));
  EXPECT_THAT(with(R"({"columns": ["a", "b"], "values": [["1\u001f2", "x"]]})"),
              HasSubstr("holds the byte 0x1F"));
  EXPECT_THAT(with(R"({"columns": ["a", "b"], "values": [["1", "x"]], "unlisted": "drop"})"),
              HasSubstr("'unlisted' must be \"coarser\" or \"null\""));
  EXPECT_THAT(with(R"({"columns": ["a", "b"], "valuez": []})"), HasSubstr("unknown key 'valuez'"));
  EXPECT_THAT(with(R"({"columns": ["a", 1], "values": []})"),
              HasSubstr("'columns' entries must be strings"));
}

TEST(SchemaTest, DerivedColumns) {
  constexpr char kAges[] = R"({"columns": [
      {"name": "dob", "type": "date"}, {"name": "end", "type": "date"},
      {"name": "age", "type": "int64", "lower": 18, "upper": 90,
       "derived": {"whole": "years", "from": "dob", "to": "2025-06-30"}},
      {"name": "stay", "type": "int64", "derived": {"whole": "days", "from": "dob", "to": "end"}}]})";
  absl::StatusOr<Schema> s = Schema::FromJson(kAges);
  ASSERT_TRUE(s.ok()) << s.status();
  const Derivation& age = *s->columns[2].derived;
  EXPECT_EQ(age.unit, TimeUnit::kYears);
  EXPECT_EQ(age.from.column, "dob");
  EXPECT_EQ(age.to.column, "");
  EXPECT_EQ(FormatDate(age.to.day), "2025-06-30");
  EXPECT_EQ(s->columns[3].derived->to.column, "end");
  EXPECT_FALSE(s->columns[0].derived.has_value());
  absl::StatusOr<Schema> back = Schema::FromJson(s->ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ToJson(), s->ToJson());
  EXPECT_THAT(s->ToJson(), HasSubstr("\"to\": \"2025-06-30\""));

  auto with = [](const std::string& column) {
    return Err(absl::StrCat(R"({"privacy_unit": "id", "columns": [{"name": "id", "type": "int64"},
      {"name": "dob", "type": "date"}, {"name": "n", "type": "int64"},)", column, "]}"));
  };
  auto derived = [&](const std::string& type, const std::string& rule) {
    return with(absl::StrCat(R"({"name": "x", "type": ")", type, R"(", "derived": )", rule, "}"));
  };
  EXPECT_THAT(derived("double", R"({"whole": "years", "from": "dob", "to": "2025-01-01"})"),
              HasSubstr("column 'x': a derived column must be an int64 column"));
  EXPECT_THAT(derived("int64", R"({"whole": "weeks", "from": "dob", "to": "2025-01-01"})"),
              HasSubstr("'whole' must be \"years\", \"months\" or \"days\""));
  EXPECT_THAT(derived("int64", R"({"whole": "years", "from": "dob"})"), HasSubstr("missing 'to'"));
  EXPECT_THAT(derived("int64", R"({"whole": "years", "from": "n", "to": "2025-01-01"})"),
              HasSubstr("derived from 'n', which must be a date column of the schema"));
  EXPECT_THAT(derived("int64", R"({"whole": "years", "from": "dobb", "to": "2025-01-01"})"),
              HasSubstr("derived from 'dobb'"));
  EXPECT_THAT(derived("int64", R"({"whole": "years", "from": "2000-01-01", "to": "2025-01-01"})"),
              HasSubstr("needs a date column as 'from' or 'to'"));
  EXPECT_THAT(derived("int64", R"({"whole": "years", "from": "dob", "to": 2025})"),
              HasSubstr("'to' must be a date column or a YYYY-MM-DD date"));
  EXPECT_THAT(derived("int64", R"({"whole": "years", "from": "dob", "to": "end", "by": 1})"),
              HasSubstr("unknown key 'by'"));
  EXPECT_THAT(derived("int64", R"("years")"), HasSubstr("'derived': must be an object"));
  EXPECT_THAT(with(R"({"name": "x", "type": "int64", "pii": "email",
                      "derived": {"whole": "years", "from": "dob", "to": "2025-01-01"}})"),
              HasSubstr("without categories, bins or a \"pii\" role other than \"none\""));
  // "pii": "none" (not personal data) is what a derived column is anyway.
  EXPECT_TRUE(Schema::FromJson(R"({"columns": [{"name": "dob", "type": "date"},
      {"name": "x", "type": "int64", "pii": "none",
       "derived": {"whole": "years", "from": "dob", "to": "2025-01-01"}}]})").ok());
}

TEST(SchemaTest, InferSchemaGivesTypesButNeverBounds) {
  std::vector<Column> cols;
  cols.push_back(Column::Int64("age", {30, 99}));
  cols.push_back(Column::String("sex", {"F", "M"}));
  Table t = *Table::Make(std::move(cols));
  Schema s = InferSchema(t);
  ASSERT_EQ(s.columns.size(), 2u);
  EXPECT_EQ(s.columns[0].type, DataType::kInt64);
  EXPECT_FALSE(s.columns[0].lower.has_value());
  EXPECT_FALSE(s.columns[0].upper.has_value());
  EXPECT_TRUE(s.columns[1].categories.empty());
  EXPECT_TRUE(s.CheckTable(t).ok());
}

TEST(SchemaTest, CheckTable) {
  std::vector<Column> cols;
  cols.push_back(Column::Int64("age", {30, 0}, {1, 0}));
  Table t = *Table::Make(std::move(cols));
  Schema s;
  s.columns.push_back({.name = "age", .type = DataType::kDouble});
  EXPECT_THAT(std::string(s.CheckTable(t).message()),
              HasSubstr("column 'age' has type int64 but the schema declares double"));
  s.columns[0].type = DataType::kInt64;
  s.columns[0].nullable = false;
  EXPECT_THAT(std::string(s.CheckTable(t).message()), HasSubstr("1 null values"));
  s.columns[0].nullable = true;
  s.columns.push_back({.name = "pid", .type = DataType::kInt64});
  EXPECT_THAT(std::string(s.CheckTable(t).message()),
              HasSubstr("schema column 'pid' is not in the table (available: age)"));
}

}  // namespace
}  // namespace dpkit::io
