#include <cmath>
#include <map>

#include "analytics/test_ledger.h"
#include "dpkit/analytics/query.h"
#include "dpkit/io/csv.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::analytics {
namespace {

using ::testing::HasSubstr;

io::Table MakeTable(const std::string& csv) {
  auto t = io::ReadCsvString(csv);
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

io::Schema UnitSchema(const std::string& unit) {
  io::Schema s;
  s.privacy_unit = unit;
  return s;
}

// The execute step with zero noise (exact pre-noise values; partition selection's median rule).
absl::StatusOr<QueryResult> RunWithoutNoise(const io::Table& t, const io::Schema& schema,
                                            const QuerySpec& spec, random::BitGenerator& rng) {
  ExecutionOptions exec;
  exec.rng = &rng;
  exec.noise = &mechanisms::testing::ZeroNoise();
  return ExecuteQuery(t, schema, spec, ledger::Receipt(), exec);
}

// A unit with rows in three groups keeps at most L0 of them (zero noise makes this exact).
TEST(EngineTest, MaxGroupsPerUnitIsEnforced) {
  std::string csv = "uid,g,x\n";
  for (int u = 0; u < 50; ++u) csv += std::to_string(u) + ",a,1\n";
  for (int u = 50; u < 100; ++u) csv += std::to_string(u) + ",b,1\n";
  csv += "7,b,1\n7,c,1\n";  // unit 7 has rows in a, b, c
  io::Table t = MakeTable(csv);
  io::Schema schema = UnitSchema("uid");
  QuerySpec spec;
  spec.group_by = {"g"};
  spec.public_keys["g"] = {"a", "b", "c"};
  spec.aggregates = {{AggregateFunction::kCountDistinctUnits}};
  spec.epsilon = 1;
  random::testing::SeededRng rng(1);
  for (int64_t l0 : {1, 2, 3}) {
    spec.max_groups_per_unit = l0;
    auto r = RunWithoutNoise(t, schema, spec, rng);
    ASSERT_TRUE(r.ok()) << r.status();
    double total = 0;
    for (const auto& row : r->rows) total += row.values[0].value;
    EXPECT_EQ(total, 100 + l0 - 1) << "l0=" << l0;
  }
}

TEST(EngineTest, RowLevelPrivacyWithoutUnit) {
  io::Table t = MakeTable("g,x\na,1\na,2\nb,3\n");
  QuerySpec spec;
  spec.aggregates = {{AggregateFunction::kSum, "x", 0.0, 10.0}, {AggregateFunction::kCount}};
  spec.epsilon = 1;
  random::testing::SeededRng rng(1);
  auto r = RunWithoutNoise(t, io::Schema(), spec, rng);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->rows[0].values[0].value, 6, 1e-8);
  EXPECT_DOUBLE_EQ(r->rows[0].values[1].value, 3);
  EXPECT_THAT(r->plan.neighbouring, HasSubstr("one row"));
  auto plan = PlanQuery(t, io::Schema(), spec);
  ASSERT_TRUE(plan.ok());
  EXPECT_DOUBLE_EQ(plan->epsilon, 1.0);
  EXPECT_EQ(plan->measurements.size(), 2u);
  // SUM's per-row sensitivity is max(|lower|, |upper|) = 10; Laplace scale 10 / 0.5 = 20.
  EXPECT_NEAR(plan->measurements[0].sensitivity, 10, 1e-6);
  EXPECT_NEAR(plan->measurements[0].noise_scale, 20, 1e-3);
}

// COUNT(*) on table 'orders' (uid 1 has two rows), run through the release protocol.
class ChargeTest : public ::testing::Test {
 protected:
  ChargeTest() : rng_(1) {
    spec_.table_name = "orders";
    spec_.aggregates = {{AggregateFunction::kCount}};
    exec_.rng = &rng_;
  }
  absl::StatusOr<QueryResult> Run(const io::Schema& schema, release::Charger& charger,
                                  const std::string& dataset = "orders") {
    return RunQuery(table_, schema, spec_, dataset, charger, exec_);
  }
  io::Table table_ = MakeTable("uid,x\n1,1\n1,2\n2,3\n");
  QuerySpec spec_;
  random::testing::SeededRng rng_;
  ExecutionOptions exec_;
};

TEST_F(ChargeTest, ChargesTheTablesBudgetBeforeReleasing) {
  spec_.epsilon = 0.75;
  auto charger = testing::TestLedger("charges.db", {{"orders", "uid"}}, 1.0, 1e-6);
  auto r = Run(UnitSchema("uid"), *charger);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->receipts.size(), 1u);
  EXPECT_EQ(r->receipts[0].unit, "uid");
  EXPECT_NEAR(r->receipts[0].remaining.epsilon, 0.25, 1e-9);
  auto history = charger->ledger().History("orders", "uid");
  ASSERT_TRUE(history.ok());
  EXPECT_THAT(history->back().operation, HasSubstr("analytics query on 'orders'"));
  // The budget cannot cover a second query: refused, nothing released.
  EXPECT_EQ(Run(UnitSchema("uid"), *charger).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(charger->ledger().History("orders", "uid")->back().status, "refused");
}

// A per-row release (no unit in the schema) is never charged to a per-unit budget, and the
// other way round: refused before anything is charged.
TEST_F(ChargeTest, RefusesABudgetOfAnotherPrivacyUnit) {
  spec_.epsilon = 0.5;
  auto per_uid = testing::TestLedger("per_uid.db", {{"orders", "uid"}}, 1.0, 1e-6);
  auto r = Run(io::Schema(), *per_uid);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("Declare \"privacy_unit\": \"uid\""));
  auto per_row = testing::TestLedger("per_row.db", {{"orders", ""}}, 1.0, 1e-6);
  r = Run(UnitSchema("uid"), *per_row);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("must be the same"));
  EXPECT_EQ(per_uid->ledger().Status("orders", "uid")->num_charges, 0);
  EXPECT_EQ(per_row->ledger().Status("orders", "(row)")->num_charges, 0);
  // No budget at all: NotFound naming the command that creates one.
  r = Run(io::Schema(), *per_row, "customers");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("dpkit budget init"));
}

// The plan charged is the mechanisms' own: maps of the discrete Laplace / Gaussian mechanisms,
// whose basic-composition cost is the plan's epsilon (up to the 1e-9 safety margin).
TEST(EngineTest, ChargedMapsAreTheMechanismsAndCostThePlannedEpsilon) {
  io::Table t = MakeTable("uid,x\n1,1\n2,2\n");
  for (NoiseKind noise : {NoiseKind::kLaplace, NoiseKind::kGaussian}) {
    QuerySpec spec;
    spec.aggregates = {{AggregateFunction::kCount}, {AggregateFunction::kMean, "x", 0.0, 10.0}};
    spec.epsilon = 1;
    spec.delta = noise == NoiseKind::kGaussian ? 1e-6 : 0;
    spec.noise = noise;
    spec.max_groups_per_unit = 2;
    auto plan = PlanQuery(t, UnitSchema("uid"), spec);
    ASSERT_TRUE(plan.ok()) << plan.status();
    for (const auto& m : plan->measurements) {
      EXPECT_EQ(m.privacy_map.kind, noise == NoiseKind::kLaplace ? PrivacyMapKind::kDiscreteLaplace
                                                               : PrivacyMapKind::kDiscreteGaussian);
      // Gaussian: one block per group a unit may touch (zCDP adds over the L0 groups).
      EXPECT_EQ(m.privacy_map.repetitions, noise == NoiseKind::kLaplace ? 1 : 2);
    }
    auto charger = testing::TestLedger("maps.db", {{"t", "uid"}}, 1.0, 1e-6);
    ExecutionOptions exec;
    random::testing::SeededRng rng(2);
    exec.rng = &rng;
    auto r = RunQuery(t, UnitSchema("uid"), spec, "t", *charger, exec);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_LE(r->receipts[0].spent.epsilon, 1.0) << NoiseKindName(noise);
    EXPECT_GT(r->receipts[0].spent.epsilon, 0.99) << NoiseKindName(noise);
  }
}

TEST(EngineTest, ValidationErrors) {
  io::Table t = MakeTable("g,x,s\na,1,u\n");
  QuerySpec spec;
  spec.epsilon = 1;
  EXPECT_THAT(PlanQuery(t, io::Schema(), spec).status().message(), HasSubstr("at least one aggregate"));
  spec.aggregates = {{AggregateFunction::kSum, "x"}};
  spec.allow_auto_bounds = false;
  EXPECT_THAT(PlanQuery(t, io::Schema(), spec).status().message(), HasSubstr("needs bounds"));
  spec.aggregates = {{AggregateFunction::kMean, "s", 0.0, 1.0}};
  EXPECT_THAT(PlanQuery(t, io::Schema(), spec).status().message(), HasSubstr("not numeric"));
  spec.aggregates = {{AggregateFunction::kSum, "x", 5.0, 1.0}};
  EXPECT_THAT(PlanQuery(t, io::Schema(), spec).status().message(), HasSubstr("must be <="));
  spec.aggregates = {{AggregateFunction::kQuantile, "x", 0.0, 1.0, 1.5}};
  EXPECT_THAT(PlanQuery(t, io::Schema(), spec).status().message(), HasSubstr("quantile must be in [0, 1]"));
  spec.aggregates = {{AggregateFunction::kCount}};
  spec.epsilon = std::nan("");
  EXPECT_THAT(PlanQuery(t, io::Schema(), spec).status().message(), HasSubstr("epsilon must be finite"));
  spec.epsilon = 1;
  spec.confidence = 1.5;
  EXPECT_THAT(PlanQuery(t, io::Schema(), spec).status().message(), HasSubstr("confidence"));
}

// Splitting the table by unit, computing partials separately, merging (after a serialisation
// round trip) and releasing gives exactly the one-pass result for the same random stream.
TEST(EngineTest, PartialAggregatesMergeToTheSameRelease) {
  std::string csv = "uid,g,x\n";
  std::string part[2] = {csv, csv};
  for (int u = 0; u < 400; ++u) {
    for (int k = 0; k < 1 + u % 4; ++k) {
      std::string line = std::to_string(u) + "," + (u % 3 == 0 ? "a" : (u % 3 == 1 ? "b" : "c")) +
                         "," + std::to_string((u * 37 + k * 11) % 100) + "\n";
      csv += line;
      part[u % 2] += line;
    }
  }
  io::Table whole = MakeTable(csv);
  io::Table p0 = MakeTable(part[0]), p1 = MakeTable(part[1]);
  io::Schema schema = UnitSchema("uid");
  QuerySpec spec;
  spec.group_by = {"g"};
  spec.public_keys["g"] = {"a", "b", "c"};
  spec.aggregates = {{AggregateFunction::kCount},
                     {AggregateFunction::kSum, "x", 0.0, 100.0},
                     {AggregateFunction::kVariance, "x", 0.0, 100.0},
                     {AggregateFunction::kQuantile, "x", 0.0, 100.0, 0.5}};
  spec.max_rows_per_group = 2;
  spec.epsilon = 2;

  auto charger = testing::TestLedger("partials.db", {{"t", "uid"}});
  random::testing::SeededRng rng_a(5);
  ExecutionOptions ea;
  ea.rng = &rng_a;
  auto one_pass = RunQuery(whole, schema, spec, "t", *charger, ea);
  ASSERT_TRUE(one_pass.ok()) << one_pass.status();

  random::testing::SeededRng rng_b(5);
  uint64_t salt = rng_b.NextU64();
  auto a = PartialAggregates::Compute(p0, schema, spec, salt);
  auto b = PartialAggregates::Compute(p1, schema, spec, salt);
  ASSERT_TRUE(a.ok() && b.ok());
  auto b2 = PartialAggregates::Deserialize(b->Serialize());
  ASSERT_TRUE(b2.ok()) << b2.status();
  ASSERT_TRUE(a->Merge(*b2).ok());
  ExecutionOptions eb;
  eb.rng = &rng_b;
  auto merged = ReleasePartials(*a, whole.SliceRows(0, 0), schema, spec, "t", *charger, eb);
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->rows.size(), one_pass->rows.size());
  for (size_t i = 0; i < merged->rows.size(); ++i) {
    EXPECT_EQ(merged->rows[i].keys, one_pass->rows[i].keys);
    for (size_t v = 0; v < merged->rows[i].values.size(); ++v) {
      EXPECT_EQ(merged->rows[i].values[v].value, one_pass->rows[i].values[v].value) << i << "," << v;
      EXPECT_EQ(merged->rows[i].values[v].ci_lower, one_pass->rows[i].values[v].ci_lower);
    }
  }
  // Merging partials of a different query is refused.
  QuerySpec other = spec;
  other.max_rows_per_group = 3;
  auto c = PartialAggregates::Compute(p1, schema, other, salt);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(a->Merge(*c).ok());
  EXPECT_FALSE(PartialAggregates::Deserialize("{\"format\":\"x\"}").ok());
}

TEST(EngineTest, PrivateAutoBoundsCoverTheData) {
  std::string csv = "x\n";
  for (int i = 0; i < 5000; ++i) csv += std::to_string(700 + (i * 7919) % 600) + "\n";
  io::Table t = MakeTable(csv);
  QuerySpec spec;
  spec.aggregates = {{AggregateFunction::kMean, "x"}};
  spec.epsilon = 1;
  random::testing::SeededRng rng(3);
  ExecutionOptions exec;
  exec.rng = &rng;
  auto plan = PlanQuery(t, io::Schema(), spec);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->measurements[0].name, "bounds of x");
  EXPECT_NEAR(plan->measurements[0].epsilon, 0.2, 1e-12);
  EXPECT_NEAR(plan->epsilon, 1.0, 1e-12);
  auto charger = testing::TestLedger("autobounds.db", {{"t", ""}});
  auto r = RunQuery(t, io::Schema(), spec, "t", *charger, exec);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_FALSE(r->notes.empty());
  EXPECT_THAT(r->notes[0], HasSubstr("bounds for x found privately: [512, 2048]"));
  EXPECT_NEAR(r->rows[0].values[0].value, 999.5, 5);
}

TEST(EngineTest, AutoBoundsFailClearlyOnTinyData) {
  io::Table t = MakeTable("x\n5\n");
  QuerySpec spec;
  spec.aggregates = {{AggregateFunction::kSum, "x"}};
  spec.epsilon = 0.1;
  random::testing::SeededRng rng(3);
  ExecutionOptions exec;
  exec.rng = &rng;
  auto charger = testing::TestLedger("tiny.db", {{"t", ""}});
  auto r = RunQuery(t, io::Schema(), spec, "t", *charger, exec);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("could not find bounds"));
  // It failed after the charge (the bounds are part of the release), and says so.
  EXPECT_THAT(r.status().message(), HasSubstr("the ledger was charged"));
}

}  // namespace
}  // namespace dpkit::analytics
