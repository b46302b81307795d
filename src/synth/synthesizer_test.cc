#include "dpkit/synth/synthesizer.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "dpkit/base/env.h"
#include "dpkit/io/csv.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::synth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

io::Schema Schema() {
  io::Schema s;
  s.privacy_unit = "id";
  s.columns.push_back({.name = "id", .type = io::DataType::kString});
  s.columns.push_back({.name = "age", .type = io::DataType::kInt64, .lower = 0, .upper = 9});
  s.columns.push_back({.name = "city", .type = io::DataType::kString});
  return s;
}

// `csv` read as private data under `schema` (its null tokens too).
absl::StatusOr<io::Table> Read(const std::string& csv, const io::Schema& schema) {
  io::CsvReadOptions o;
  o.private_data = true;
  o.schema = schema;
  if (!schema.null_tokens.empty()) o.null_tokens = schema.null_tokens;
  return io::ReadCsvString(csv, o);
}

// 100 units; unit u0 has 50 extra rows of a city nobody else lives in.
io::Table Data() {
  std::string csv = "id,age,city\n";
  for (int i = 0; i < 400; ++i) csv += "u" + std::to_string(i) + "," + std::to_string(i % 10) + ",A\n";
  for (int i = 0; i < 50; ++i) csv += "u0,3,Zzyzx\n";
  return *Read(csv, Schema());
}

SynthOptions Options() {
  SynthOptions o;
  o.method = Method::kMst;
  o.epsilon = 1;
  o.delta = 1e-6;
  return o;
}

// MST at epsilon 4 for `table` under `schema`.
absl::StatusOr<SynthPlan> PlanAtEpsilon4(const io::Table& table, const io::Schema& schema) {
  SynthOptions o = Options();
  o.epsilon = 4;
  return PlanSynth(table.ColumnNames(), schema, o);
}

TEST(SynthesizerTest, ZeroNoiseFitIsPerUnit) {
  const io::Table t = Data();
  auto plan = PlanSynth(t.ColumnNames(), Schema(), Options());
  ASSERT_TRUE(plan.ok()) << plan.status();
  random::testing::SeededRng gen(1);
  auto s = Synthesizer::Fit(*plan, t, mechanisms::testing::ZeroNoise(), gen);
  ASSERT_TRUE(s.ok()) << s.status();
  // One row per unit: the 50 rows of u0's rare city count once, below the selection threshold.
  EXPECT_NEAR(s->report().fit.estimated_rows, 400, 1e-6);
  const std::string json = s->report().ToJson();
  EXPECT_THAT(json, Not(HasSubstr("input_rows")));
  EXPECT_THAT(json, Not(HasSubstr("seconds")));
  EXPECT_THAT(json, Not(HasSubstr("Zzyzx")));
  EXPECT_EQ(s->report().neighbouring, "add/remove all rows of one 'id'");
  EXPECT_EQ(s->column_names(), (std::vector<std::string>{"age", "city"}));
}

// Declared categories are the complete domain (no "other"; a value outside them is NULL, and
// drops its row in a column that is not nullable); DP-binned output stays within the range the
// report states, point masses survive, and nulls are written as the schema's null token.
TEST(SynthesizerTest, DeclaredDomainsAreCompleteAndOutputStaysInBounds) {
  io::Schema schema;
  schema.null_tokens = {"N"};
  schema.columns.push_back({.name = "seg", .type = io::DataType::kString,
                            .categories = {"A", "B"}, .nullable = false});
  schema.columns.push_back({.name = "tier", .type = io::DataType::kString,
                            .categories = {"gold"}});
  schema.columns.push_back(
      {.name = "x", .type = io::DataType::kDouble, .lower = -500, .upper = 500});
  std::string csv = "seg,tier,x\n";
  for (int i = 0; i < 4000; ++i) {
    const std::string seg = i % 50 == 0 ? "Q" : (i % 3 == 0 ? "A" : "B");
    const std::string tier = i % 2 == 0 ? "gold" : "N";
    const std::string x = i % 5 < 3 ? "0" : std::to_string(-20 + (i * 7) % 41);
    csv += seg + "," + tier + "," + x + "\n";
  }
  auto table = Read(csv, schema);
  ASSERT_TRUE(table.ok()) << table.status();
  auto plan = PlanAtEpsilon4(*table, schema);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->null_token, "N");
  random::testing::SeededRng gen(3);
  auto s = Synthesizer::Fit(*plan, *table, mechanisms::SecureNoise(), gen);
  ASSERT_TRUE(s.ok()) << s.status();
  const SynthReport& r = s->report();
  ASSERT_EQ(r.columns.size(), 3u);
  EXPECT_FALSE(r.columns[0].other);
  EXPECT_EQ(r.columns[0].domain_size, 2);  // A, B: no "other", no null code
  ASSERT_TRUE(r.columns[2].lower.has_value() && r.columns[2].upper.has_value());
  EXPECT_GE(*r.columns[2].lower, -500);
  EXPECT_LE(*r.columns[2].upper, 500);
  auto out = s->Sample(5000, gen);
  ASSERT_TRUE(out.ok()) << out.status();
  auto seg = out->ColumnByName("seg");
  auto x = out->ColumnByName("x");
  ASSERT_TRUE(seg.ok() && x.ok());
  int zeros = 0;
  for (int64_t row = 0; row < out->num_rows(); ++row) {
    ASSERT_FALSE((*seg)->IsNull(row));
    const std::string v = (*seg)->FormatValue(row);
    EXPECT_TRUE(v == "A" || v == "B") << v;
    if ((*x)->IsNull(row)) continue;  // x is nullable: noise can give its null code mass
    const double xv = (*x)->NumericAt(row);
    EXPECT_GE(xv, *r.columns[2].lower);
    EXPECT_LE(xv, *r.columns[2].upper);
    zeros += xv == 0;
  }
  EXPECT_GT(zeros, 0.5 * out->num_rows());  // 60% zeros in the data, decoded exactly
  const std::string path = ::testing::TempDir() + "/synth_null_token.csv";
  ASSERT_TRUE(s->SampleToCsv(path, 200, gen).ok());
  auto text = Env::Default()->ReadFile(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, HasSubstr(",N,"));  // tier's nulls, as the schema writes them
  EXPECT_THAT(*text, Not(HasSubstr("other")));
}

// The schema's public structure: a hierarchy is modelled as one column and split after
// sampling, a derived column is computed from the synthetic dates; the output keeps the input's
// column order, and every row holds a listed combination and an age that fits its date.
TEST(SynthesizerTest, HierarchiesAndDerivedColumnsShapeTheOutput) {
  io::Schema schema;
  schema.privacy_unit = "id";
  int64_t ref = 0;
  ASSERT_TRUE(io::ParseDate("2025-06-30", &ref));
  schema.columns = {
      {.name = "id", .type = io::DataType::kString},
      {.name = "city", .type = io::DataType::kString},
      {.name = "age", .type = io::DataType::kInt64, .lower = 18, .upper = 90,
       .derived = io::Derivation{.unit = io::TimeUnit::kYears, .from = {.column = "dob"},
                                 .to = {.day = ref}}},
      {.name = "dob", .type = io::DataType::kDate, .lower = ref - 365 * 70, .upper = ref - 365 * 19},
      {.name = "state", .type = io::DataType::kString}};
  schema.hierarchies = {{.columns = {"city", "state"},
                         .values = {{"Boston", "MA"}, {"Portland", "ME"}, {"Portland", "OR"}},
                         .unlisted_null = true}};
  std::string csv = "id,city,age,dob,state\n";
  // The fourth place is not listed ("null": it becomes NULL); the real ages are all 999.
  const char* cities[] = {"Boston", "Portland", "Portland", "Portland"};
  const char* states[] = {"MA", "ME", "OR", "MA"};
  for (int i = 0; i < 3000; ++i) {
    csv += absl::StrCat("u", i, ",", cities[i % 4], ",999,", 1960 + i % 40, "-0", 1 + i % 9,
                        "-15,", states[i % 4], "\n");
  }
  auto table = Read(csv, schema);
  ASSERT_TRUE(table.ok()) << table.status();
  auto plan = PlanAtEpsilon4(*table, schema);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->columns.size(), 2u);  // city+state, dob
  EXPECT_EQ(plan->columns[0].name, "city+state");
  EXPECT_EQ(plan->output_columns, (std::vector<std::string>{"city", "age", "dob", "state"}));
  random::testing::SeededRng gen(5);
  auto s = Synthesizer::Fit(*plan, *table, mechanisms::SecureNoise(), gen);
  ASSERT_TRUE(s.ok()) << s.status();
  auto out = s->Sample(2000, gen);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->ColumnNames(), plan->output_columns);
  const io::Column& city = out->column(0);
  const io::Column& age = out->column(1);
  const io::Column& dob = out->column(2);
  const io::Column& state = out->column(3);
  for (int64_t r = 0; r < out->num_rows(); ++r) {
    if (!city.IsNull(r)) {
      const std::string pair = absl::StrCat(city.FormatValue(r), ",", state.FormatValue(r));
      EXPECT_TRUE(pair == "Boston,MA" || pair == "Portland,ME" || pair == "Portland,OR") << pair;
    }
    ASSERT_EQ(age.IsNull(r), dob.IsNull(r));
    if (dob.IsNull(r)) continue;
    const int64_t years = io::WholeUnitsBetween(io::TimeUnit::kYears, dob.int64_values()[r], ref);
    EXPECT_EQ(age.int64_values()[r], std::clamp<int64_t>(years, 18, 90));  // never the real 999
  }
  const std::string path = ::testing::TempDir() + "/synth_structure.csv";
  ASSERT_TRUE(s->SampleToCsv(path, 50, gen).ok());
  auto text = Env::Default()->ReadFile(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->substr(0, text->find('\n')), "city,age,dob,state");
  // A derived column whose date column is not in the data is refused at planning.
  EXPECT_THAT(PlanSynth({"id", "city", "age", "state"}, schema, Options()).status().message(),
              HasSubstr("'age' is derived from 'dob', which is not in the data"));
}

TEST(SynthesizerTest, FitRejectsDataOfAnotherType) {
  io::Schema s = Schema();
  s.columns[1].type = io::DataType::kDouble;
  auto plan = PlanSynth({"id", "age", "city"}, s, Options());
  ASSERT_TRUE(plan.ok());
  random::testing::SeededRng gen(2);
  EXPECT_FALSE(Synthesizer::Fit(*plan, Data(), mechanisms::testing::ZeroNoise(), gen).ok());
}

}  // namespace
}  // namespace dpkit::synth
