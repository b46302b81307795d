// Empirical DP audits of the analytics engine on neighbouring tables (tests/lib/audit.h).
// Each audit asserts that the epsilon lower bound estimated from samples does not exceed the
// query's claimed epsilon (tolerance 0); the false-positive rate is alpha = 1e-6 per audit.
// The samples come from the execute step (ExecuteQuery): charging is not under test here.
// A deliberately broken variant (contribution bounding skipped, noise calibrated as if it had
// been applied) shows the audit has the power to catch the bug this engine guards against.
#include <cmath>

#include "dpkit/analytics/partition_selection.h"
#include "dpkit/analytics/query.h"
#include "dpkit/io/csv.h"
#include "dpkit/random/samplers.h"
#include "gtest/gtest.h"
#include "lib/audit.h"

namespace dpkit::analytics {
namespace {

// D: 20 users with one row in a and one in b. D' adds user 999 with 10 rows in each of a, b, c.
io::Table Base(bool with_heavy_user) {
  std::string csv = "uid,g,x\n";
  for (int u = 0; u < 20; ++u) {
    csv += std::to_string(u) + ",a,10\n" + std::to_string(u) + ",b,20\n";
  }
  if (with_heavy_user) {
    for (int k = 0; k < 10; ++k) csv += "999,a,1000\n999,b,1000\n999,c,1000\n";
  }
  return *io::ReadCsvString(csv);
}

test::AuditOptions Options() {
  test::AuditOptions o;
  o.selection_samples = 20000;
  o.test_samples = 200000;
  o.alpha = 1e-6;
  return o;
}

TEST(QueryAuditTest, BoundedCountsOverTwoGroups) {
  io::Table d = Base(false), d2 = Base(true);
  io::Schema schema;
  schema.privacy_unit = "uid";
  QuerySpec spec;
  spec.group_by = {"g"};
  spec.public_keys["g"] = {"a", "b", "c"};
  spec.aggregates = {{AggregateFunction::kCount}};
  spec.max_groups_per_unit = 2;
  spec.max_rows_per_group = 3;
  spec.epsilon = 1.0;
  auto run = [&](const io::Table& t) {
    return [&t, &schema, &spec](random::BitGenerator& gen) -> int64_t {
      ExecutionOptions e;
      e.rng = &gen;
      auto r = ExecuteQuery(t, schema, spec, ledger::Receipt(), e);
      // Outcome: the released counts of a and b added (the heavy user can add 3 to both).
      return static_cast<int64_t>(r->rows[0].values[0].value + r->rows[1].values[0].value);
    };
  };
  auto result = test::AuditNeighbours(run(d), run(d2), Options());
  EXPECT_LE(result.epsilon_lower_bound, spec.epsilon) << result.ToString();
  // The audit is not vacuous: it sees a real loss.
  EXPECT_GT(result.epsilon_lower_bound, 0.3) << result.ToString();
}

// Broken: counts computed without contribution bounding, noise calibrated for the claimed
// bound (L0 = 2, Linf = 3): the heavy user moves a + b by 20 instead of 6.
TEST(QueryAuditTest, AuditCatchesMissingContributionBounding) {
  auto noise = random::DiscreteLaplaceSampler::Create(6.0);  // L0 * Linf / epsilon
  ASSERT_TRUE(noise.ok());
  auto run = [&](int64_t true_sum) {
    return [&, true_sum](random::BitGenerator& gen) -> int64_t {
      return true_sum + noise->Sample(gen) + noise->Sample(gen);
    };
  };
  auto result = test::AuditNeighbours(run(40), run(60), Options());
  EXPECT_GT(result.epsilon_lower_bound, 1.0) << result.ToString();
}

TEST(QueryAuditTest, ClampedSum) {
  io::Table d = Base(false), d2 = Base(true);
  io::Schema schema;
  schema.privacy_unit = "uid";
  QuerySpec spec;
  spec.aggregates = {{AggregateFunction::kSum, "x", 0.0, 50.0}};
  spec.max_groups_per_unit = 1;
  spec.max_rows_per_group = 2;
  spec.epsilon = 1.0;
  auto run = [&](const io::Table& t) {
    return [&t, &schema, &spec](random::BitGenerator& gen) -> int64_t {
      ExecutionOptions e;
      e.rng = &gen;
      auto r = ExecuteQuery(t, schema, spec, ledger::Receipt(), e);
      return test::BinOf(r->rows[0].values[0].value, 10.0);
    };
  };
  auto result = test::AuditNeighbours(run(d), run(d2), Options());
  EXPECT_LE(result.epsilon_lower_bound, spec.epsilon) << result.ToString();
  EXPECT_GT(result.epsilon_lower_bound, 0.3) << result.ToString();
}

// Partition selection alone: a group with n units vs n + 1 (around the threshold, where the
// keep probability moves most), (epsilon, delta) claimed.
TEST(QueryAuditTest, PartitionSelectionAroundThreshold) {
  PartitionSelectionOptions o;
  o.epsilon = 1.0;
  o.delta = 1e-3;
  auto sel = PartitionSelector::Create(o);
  ASSERT_TRUE(sel.ok());
  int64_t n = sel->MedianThreshold();
  auto run = [&](int64_t units) {
    return [&, units](random::BitGenerator& gen) -> int64_t { return sel->ShouldKeep(units, gen) ? 1 : 0; };
  };
  test::AuditOptions opt = Options();
  opt.delta = o.delta;
  for (int64_t m : {int64_t{0}, n - 3, n, n + 3}) {
    if (m < 0) continue;
    auto result = test::AuditNeighbours(run(m + 1), run(m), opt);
    EXPECT_LE(result.epsilon_lower_bound, o.epsilon) << "n=" << m << " " << result.ToString();
  }
}

TEST(QueryAuditTest, QuantileTree) {
  io::Table d = Base(false), d2 = Base(true);
  io::Schema schema;
  schema.privacy_unit = "uid";
  QuerySpec spec;
  spec.aggregates = {{AggregateFunction::kQuantile, "x", 0.0, 1000.0, 0.5}};
  spec.max_groups_per_unit = 1;
  spec.max_rows_per_group = 3;
  spec.epsilon = 1.0;
  auto run = [&](const io::Table& t) {
    return [&t, &schema, &spec](random::BitGenerator& gen) -> int64_t {
      ExecutionOptions e;
      e.rng = &gen;
      auto r = ExecuteQuery(t, schema, spec, ledger::Receipt(), e);
      return test::BinOf(r->rows[0].values[0].value, 1000.0 / 64);
    };
  };
  test::AuditOptions opt = Options();
  opt.selection_samples = 4000;
  opt.test_samples = 20000;  // each run draws 4368 node noises
  auto result = test::AuditNeighbours(run(d), run(d2), opt);
  EXPECT_LE(result.epsilon_lower_bound, spec.epsilon) << result.ToString();
}

}  // namespace
}  // namespace dpkit::analytics
