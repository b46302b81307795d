#include "dpkit/synth/synthesizer.h"

#include <string>
#include <vector>

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

// 100 units; unit u0 has 50 extra rows of a city nobody else lives in.
io::Table Data() {
  std::string csv = "id,age,city\n";
  for (int i = 0; i < 400; ++i) csv += "u" + std::to_string(i) + "," + std::to_string(i % 10) + ",A\n";
  for (int i = 0; i < 50; ++i) csv += "u0,3,Zzyzx\n";
  io::CsvReadOptions o;
  o.private_data = true;
  o.schema = Schema();
  return *io::ReadCsvString(csv, o);
}

SynthOptions Options() {
  SynthOptions o;
  o.method = Method::kMst;
  o.epsilon = 1;
  o.delta = 1e-6;
  return o;
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
