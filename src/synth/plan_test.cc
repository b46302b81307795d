#include "dpkit/synth/plan.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::synth {
namespace {

using ::testing::HasSubstr;

io::Schema CustomerSchema() {
  io::Schema s;
  s.privacy_unit = "id";
  s.columns.push_back({.name = "id", .type = io::DataType::kInt64});
  s.columns.push_back({.name = "age", .type = io::DataType::kInt64, .lower = 18, .upper = 30});
  s.columns.push_back({.name = "income", .type = io::DataType::kDouble, .lower = 0, .upper = 1e5});
  s.columns.push_back({.name = "segment", .type = io::DataType::kString,
                       .categories = {"a", "b"}});
  s.columns.push_back({.name = "paid", .type = io::DataType::kBool});
  return s;
}

TEST(SynthPlanTest, DomainsComeFromTheSchemaOnly) {
  auto p = PlanSynth({"id", "age", "income", "segment", "paid", "city"}, CustomerSchema(), {});
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->columns.size(), 5u);  // the unit is not synthesised
  EXPECT_EQ(p->columns[0].source, DomainSource::kIntegers);
  EXPECT_EQ(p->columns[1].source, DomainSource::kQuantiles);
  EXPECT_EQ(p->columns[2].source, DomainSource::kDeclaredCategories);
  EXPECT_EQ(p->columns[3].source, DomainSource::kDeclaredCategories);
  // Undeclared: text with private partition selection, said in the notes.
  EXPECT_EQ(p->columns[4].source, DomainSource::kPartition);
  EXPECT_EQ(p->columns[4].type, io::DataType::kString);
  ASSERT_EQ(p->notes.size(), 1u);
  EXPECT_THAT(p->notes[0], HasSubstr("'city'"));
  EXPECT_EQ(p->neighbouring(), "add/remove all rows of one 'id'");
}

TEST(SynthPlanTest, BudgetSplitAddsUpAndIsCharged) {
  SynthOptions o;
  o.epsilon = 1;
  o.delta = 1e-6;
  auto p = PlanSynth({"id", "age", "income", "segment", "paid", "city"}, CustomerSchema(), o);
  ASSERT_TRUE(p.ok());
  // release::SplitBudget rounds every share down by at most 1e-12 (relative).
  EXPECT_LE(p->rho_preprocessing + p->rho_mechanism, p->rho_total);
  EXPECT_NEAR(p->rho_preprocessing + p->rho_mechanism, p->rho_total, 1e-11 * p->rho_total);
  EXPECT_NEAR(p->rho_preprocessing, 0.1 * p->rho_total, 1e-11 * p->rho_total);
  // By need: the partition-selection column ('city') gets kPartitionShares times the share of
  // the DP-bins column ('income').
  EXPECT_NEAR(p->columns[4].rho, kPartitionShares * p->columns[1].rho, 1e-11 * p->rho_total);
  EXPECT_DOUBLE_EQ(p->delta_preprocessing, 0.5e-6);
  const std::vector<PrivacyMap> maps = p->privacy_maps();
  ASSERT_EQ(maps.size(), 1u);
  EXPECT_EQ(maps[0].kind, PrivacyMapKind::kApproxDp);
  EXPECT_LE(maps[0].epsilon, 1.0);
  EXPECT_DOUBLE_EQ(maps[0].delta, 1e-6);
  const release::ReleasePlan r = p->ToRelease("customers", "test");
  EXPECT_EQ(r.budget.unit, "id");
  EXPECT_EQ(r.neighbouring, "add/remove all rows of one 'id'");
}

TEST(SynthPlanTest, PublicDomainsOnlyChargeZcdp) {
  io::Schema s = CustomerSchema();
  s.columns[2].lower.reset();
  s.columns[2].upper.reset();
  s.columns[2].bins = {0, 10, 100};
  auto p = PlanSynth({"id", "age", "income", "segment", "paid"}, s, {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->delta_preprocessing, 0);
  EXPECT_EQ(p->privacy_maps()[0].kind, PrivacyMapKind::kZcdp);
  EXPECT_DOUBLE_EQ(p->privacy_maps()[0].rho, p->rho_total);
}

TEST(SynthPlanTest, Errors) {
  io::Schema s = CustomerSchema();
  s.columns[2].upper.reset();
  auto p = PlanSynth({"id", "age", "income"}, s, {});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("'income'"));
  EXPECT_FALSE(PlanSynth({"age"}, CustomerSchema(), {}).ok());  // unit not in the header
  SynthOptions bad;
  bad.epsilon = -1;
  EXPECT_FALSE(PlanSynth({"id", "age"}, CustomerSchema(), bad).ok());
}

}  // namespace
}  // namespace dpkit::synth
