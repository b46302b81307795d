// Unit tests: budget accounting (spent == configured, preprocessing included), argument checks,
// MST/AIM structure on small data, the synthesizer on typed tables.
#include <cmath>

#include "dpkit/accounting/zcdp.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/schema.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/samplers.h"
#include "dpkit/random/seeded_rng.h"
#include "dpkit/synth/mechanisms.h"
#include "dpkit/synth/synthesizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::synth {
namespace {

// Correlated categorical data: b copies a half the time, c depends on b.
EncodedData SmallData(int64_t n, uint64_t seed) {
  random::testing::SeededRng rng(seed);
  EncodedData d;
  d.names = {"a", "b", "c", "d"};
  d.domain = {3, 4, 2, 5};
  d.columns.assign(4, std::vector<int32_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    const int a = random::UniformUint64(rng, 3);
    const int b = random::BernoulliDouble(rng, 0.5) ? a : random::UniformUint64(rng, 4);
    const int c = b >= 2 ? 1 : random::UniformUint64(rng, 2);
    d.columns[0][r] = a;
    d.columns[1][r] = b;
    d.columns[2][r] = c;
    d.columns[3][r] = random::UniformUint64(rng, 5);
  }
  return d;
}

double ChargesSum(const FitReport& r) {
  double s = 0;
  for (const auto& c : r.charges) s += c.rho;
  return s;
}

TEST(MstTest, SpendsExactlyTheBudgetAndMeasuresATree) {
  const EncodedData data = SmallData(5000, 1);
  random::testing::SeededRng rng(2);
  MstOptions o;
  o.rho = 0.5;
  auto r = FitMst(data, o, rng);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->report.rho_spent, 0.5, 1e-9);
  EXPECT_LE(r->report.rho_spent, 0.5 * (1 + 1e-12));
  EXPECT_NEAR(ChargesSum(r->report), r->report.rho_spent, 1e-12);
  // 4 one-way + 3 tree edges measured, 3 selections.
  EXPECT_EQ(r->report.measured.size(), 7u);
  EXPECT_EQ(r->report.rounds, 3);
  EXPECT_EQ(r->report.privacy_map().kind, PrivacyMapKind::kZcdp);
  // The strong a-b dependence is found at this budget.
  bool has_ab = false;
  for (const auto& c : r->report.measured) has_ab |= c == Clique{0, 1};
  EXPECT_TRUE(has_ab);
  auto synth = r->model.SampleData(1000, rng, data.names);
  ASSERT_TRUE(synth.ok());
  EXPECT_TRUE(synth->Validate().ok());
}

TEST(AimTest, SpendsExactlyTheBudget) {
  const EncodedData data = SmallData(5000, 3);
  for (double rho : {0.01, 1.0}) {
    random::testing::SeededRng rng(4);
    AimOptions o;
    o.rho = rho;
    auto r = FitAim(data, o, rng);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_NEAR(r->report.rho_spent, rho, 1e-9 * rho);
    EXPECT_LE(r->report.rho_spent, rho * (1 + 1e-12));
    EXPECT_NEAR(ChargesSum(r->report), r->report.rho_spent, 1e-12);
    EXPECT_GE(r->report.rounds, 1);
    // The 1-way marginals twice (sigma0 > 1e-3 * 5000 rows at both budgets: top-up), then rounds.
    EXPECT_EQ(r->report.measured.size(), 8u + r->report.rounds);
  }
}

// Rho spent on the 1-way marginals before the rounds, and how many were measured.
std::pair<double, int> OneWaySpend(const FitReport& r) {
  double rho = 0;
  int n = 0;
  for (const auto& c : r.charges) {
    if (c.what.rfind("measure (", 0) != 0) break;  // the first selection ends them
    rho += c.rho;
    ++n;
  }
  return {rho, n};
}

// Noisy 1-way marginals (sigma0 = sqrt(16 d / (2 * 0.9 rho)) = 59.6 for 5000 rows) are measured
// again and pooled, up to oneway_max_share of rho; precise ones (large rho), or with the
// top-up off, only once at sigma0 (the paper).
TEST(AimTest, TopsUpNoisyOneWayMarginals) {
  const EncodedData data = SmallData(5000, 3);
  for (double rel : {1e-3, 0.0}) {
    for (double rho : {0.01, 100.0}) {
      random::testing::SeededRng rng(4);
      AimOptions o;
      o.rho = rho;
      o.oneway_rel_sigma = rel;
      auto r = FitAim(data, o, rng);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_LE(r->report.rho_spent, rho * (1 + 1e-12));
      const auto [spent, n] = OneWaySpend(r->report);
      const double sigma0 = std::sqrt(16 * 4 / (2 * 0.9 * rho));
      if (rel > 0 && rho < 1) {
        EXPECT_EQ(n, 8);
        EXPECT_LE(spent, 0.25 * rho * (1 + 1e-9));
        EXPECT_GE(spent, 0.24 * rho);
      } else {
        EXPECT_EQ(n, 4);
        EXPECT_NEAR(spent, 4 / (2 * sigma0 * sigma0), 1e-3 * spent);
      }
    }
  }
}

// Rare values (noisy 1-way count < 3 sigma) are merged before AIM's rounds and sampled back in
// proportion to their noisy counts: exact counts here (no noise), so value v of 1..19, held by 2v
// rows, is drawn with probability v / 190 among the rare values (not 1/19 each).
TEST(AimTest, MergedRareValuesAreSampledInProportionToTheirCounts) {
  EncodedData d;
  d.names = {"r", "x"};
  d.domain = {20, 2};
  d.columns.assign(2, {});
  for (int v = 0; v < 20; ++v) {
    const int rows = v == 0 ? 4000 : 2 * v;
    for (int i = 0; i < rows; ++i) {
      d.columns[0].push_back(v);
      d.columns[1].push_back(i % 2);
    }
  }
  AimOptions o;
  o.rho = 0.001;  // sigma of the 1-way measurement >> 38: every value but 0 is rare
  o.noise = &mechanisms::testing::ZeroNoise();
  random::testing::SeededRng rng(5);
  auto fit = FitAim(d, o, rng);
  ASSERT_TRUE(fit.ok()) << fit.status();
  auto out = fit->model.SampleData(200000, rng, d.names);
  ASSERT_TRUE(out.ok()) << out.status();
  std::vector<double> count(20, 0);
  for (int32_t v : out->columns[0]) ++count[v];
  double rare = 0;
  for (int v = 1; v < 20; ++v) rare += count[v];
  ASSERT_GT(rare, 5000);
  for (int v = 1; v < 20; ++v) {
    const double p = v / 190.0;  // binomial given the rare total; 5 sd: false alarm < 1e-5
    EXPECT_NEAR(count[v], rare * p, 5 * std::sqrt(rare * p * (1 - p))) << "value " << v;
  }
}

TEST(AimTest, RejectsBadOptions) {
  const EncodedData data = SmallData(100, 3);
  random::testing::SeededRng rng(4);
  AimOptions o;
  o.rho = -1;
  EXPECT_THAT(std::string(FitAim(data, o, rng).status().message()),
              ::testing::HasSubstr("rho must be finite and > 0, got -1"));
  o.rho = 1;
  o.workload = {{0, 7}};
  EXPECT_FALSE(FitAim(data, o, rng).ok());
  o.workload = {{0, 1}};
  o.weights = {1, 2};
  EXPECT_FALSE(FitAim(data, o, rng).ok());
  o.weights = {};
  o.oneway_max_share = 1;
  EXPECT_THAT(std::string(FitAim(data, o, rng).status().message()),
              ::testing::HasSubstr("oneway_max_share in [0, 1)"));
  o.oneway_max_share = 0.25;
  o.oneway_rel_sigma = -1;
  EXPECT_FALSE(FitAim(data, o, rng).ok());
}

TEST(EncodedDataTest, ValidateNamesBadCode) {
  EncodedData d = SmallData(10, 1);
  d.columns[2][7] = 9;
  auto st = d.Validate();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("column 'c', row 8: value 9"));
}

TEST(EncodedDataTest, WorkloadErrorIsZeroForIdenticalData) {
  const EncodedData d = SmallData(1000, 1);
  auto e = WorkloadError(d, d, AllKWay(4, 3));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, 0.0);
  EXPECT_EQ(AllKWay(14, 3).size(), 364u);
}

// A typed table exercising every preprocessing path.
io::Table TypedTable(int64_t n) {
  random::testing::SeededRng rng(9);
  std::vector<int64_t> age(n), pid(n);
  std::vector<double> income(n);
  std::vector<std::string> city(n), sex(n);
  const char* cities[] = {"Paris", "Lyon", "Nice", "Lille"};
  for (int64_t r = 0; r < n; ++r) {
    pid[r] = r / 2;  // two rows per person
    age[r] = 18 + random::UniformUint64(rng, 60);
    income[r] = 1000.0 * age[r] + 100.0 * random::UniformUint64(rng, 100);
    city[r] = r == 0 ? "Atlantis" : cities[random::UniformUint64(rng, 4)];  // one rare value
    sex[r] = random::BernoulliDouble(rng, 0.5) ? "F" : "M";
  }
  return *io::Table::Make({io::Column::Int64("pid", pid), io::Column::Int64("age", age),
                           io::Column::Double("income", income), io::Column::String("city", city),
                           io::Column::String("sex", sex)});
}

TEST(SynthesizerTest, TotalSpendIncludingPreprocessingEqualsTheBudget) {
  const io::Table table = TypedTable(4000);
  auto schema = io::Schema::FromJson(R"({
    "privacy_unit": "pid",
    "columns": [
      {"name": "pid", "type": "int64"},
      {"name": "age", "type": "int64", "lower": 18, "upper": 80},
      {"name": "income", "type": "double", "lower": 0, "upper": 100000},
      {"name": "city", "type": "string"},
      {"name": "sex", "type": "string", "categories": ["F", "M"], "nullable": false}
    ]})");
  ASSERT_TRUE(schema.ok()) << schema.status();
  for (Method m : {Method::kMst, Method::kAim}) {
    random::testing::SeededRng rng(5);
    SynthOptions o;
    o.method = m;
    o.epsilon = 2;
    o.delta = 1e-6;
    auto plan = PlanSynth(table.ColumnNames(), *schema, o);
    ASSERT_TRUE(plan.ok()) << plan.status();
    auto s = Synthesizer::Fit(*plan, table, mechanisms::SecureNoise(), rng);
    ASSERT_TRUE(s.ok()) << s.status();
    const SynthReport& r = s->report();
    EXPECT_THAT(r.neighbouring, ::testing::HasSubstr("'pid'"));
    ASSERT_EQ(r.columns.size(), 4u);  // unit column dropped
    EXPECT_GT(r.rho_preprocessing, 0);
    EXPECT_GT(r.delta_preprocessing, 0);  // city needed partition selection
    EXPECT_NEAR(r.rho_spent, r.rho_total, 1e-9 * r.rho_total);
    EXPECT_LE(r.rho_spent, r.rho_total * (1 + 1e-12));
    EXPECT_NEAR(r.rho_spent, r.rho_preprocessing + r.fit.rho_spent, 1e-15);
    // The whole release is (epsilon, delta)-DP and uses all of epsilon.
    EXPECT_LE(r.epsilon_spent, 2.0 * (1 + 1e-9));
    EXPECT_NEAR(r.epsilon_spent, 2.0, 1e-6);
    ASSERT_EQ(plan->privacy_maps().size(), 1u);
    EXPECT_EQ(plan->privacy_maps()[0].kind, PrivacyMapKind::kApproxDp);
    // The rare city is not released; the common ones are.
    EXPECT_THAT(r.columns[2].encoding, ::testing::HasSubstr("4 values kept"));
    auto synth = s->Sample(500, rng);
    ASSERT_TRUE(synth.ok()) << synth.status();
    EXPECT_EQ(synth->num_rows(), 500);
    EXPECT_EQ(synth->ColumnNames(), (std::vector<std::string>{"age", "income", "city", "sex"}));
    const io::Column& age = synth->column(0);
    for (int64_t row = 0; row < 500; ++row) {
      ASSERT_FALSE(age.IsNull(row) && false);
      if (!age.IsNull(row)) {
        EXPECT_GE(age.int64_values()[row], 18);
        EXPECT_LE(age.int64_values()[row], 81);
      }
      EXPECT_NE(synth->column(2).IsNull(row) ? "" : synth->column(2).StringAt(row), "Atlantis");
    }
    EXPECT_THAT(r.ToJson(), ::testing::HasSubstr("\"rho_spent\""));
  }
}

TEST(SynthesizerTest, NumericColumnWithoutBoundsIsAClearError) {
  const io::Table table = TypedTable(100);
  io::Schema schema;
  schema.columns.push_back({.name = "pid", .type = io::DataType::kInt64});
  auto s = PlanSynth(table.ColumnNames(), schema, {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()),
              ::testing::HasSubstr("column 'pid' (int64) needs public \"lower\"/\"upper\""));
}

TEST(SynthesizerTest, RejectsBadPrivacyParameters) {
  const io::Table table = TypedTable(100);
  SynthOptions o;
  o.epsilon = -1;
  EXPECT_THAT(std::string(PlanSynth(table.ColumnNames(), {}, o).status().message()),
              ::testing::HasSubstr("epsilon must be finite and > 0, got -1"));
  o.epsilon = 1;
  o.delta = 1.5;
  EXPECT_FALSE(PlanSynth(table.ColumnNames(), {}, o).ok());
  EXPECT_FALSE(ParseMethod("gan").ok());
}

}  // namespace
}  // namespace dpkit::synth
