#include "dpkit/publish/spec.h"

#include <cmath>
#include <string>

#include "absl/strings/str_replace.h"
#include "dpkit/accounting/zcdp.h"
#include "dpkit/publish/geography.h"
#include "dpkit/publish/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "publish/test_util.h"
#include "publish/typed_value.h"

namespace dpkit::publish {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<PublicationSpec> Parse(const std::string& json) {
  return PublicationSpec::FromJson(json, "spec.json", "");
}

// The small spec with one substring replaced.
std::string Edited(const std::string& from, const std::string& to) {
  std::string json = testing::SmallSpecJson(1.0);
  EXPECT_THAT(json, HasSubstr(from));
  return absl::StrReplaceAll(json, {{from, to}});
}

TEST(SpecTest, ParsesTheSmallSpec) {
  const PublicationSpec spec = testing::SmallSpec(0.5, /*households=*/true);
  EXPECT_EQ(spec.dataset, "small");
  EXPECT_EQ(spec.privacy_unit.column, "hh");
  EXPECT_EQ(spec.privacy_unit.max_rows_per_unit, 3);
  ASSERT_EQ(spec.geography.levels.size(), 4u);
  EXPECT_EQ(spec.geography.levels[3].share, 2);
  EXPECT_EQ(*spec.budget.rho, 0.5);
  const VariableSpec* age = spec.FindVariable("AGE");
  ASSERT_NE(age, nullptr);
  EXPECT_EQ(age->Labels(), (std::vector<std::string>{"0-17", "18-64", "65-119"}));
  const VariableSpec* race = spec.FindVariable("RACE");
  EXPECT_EQ(race->Labels(), (std::vector<std::string>{"1", "2", "3+", "unknown"}));
  EXPECT_EQ(spec.tables.back().count, CountedEntity::kUnits);
}

TEST(SpecTest, RejectsWhatItCannotPlan) {
  const std::pair<std::string, std::string> cases[][2] = {
      {{"\"title\"", "\"titel\""}, {"unknown key 'titel'", ""}},
      {{"\"AA02\", \"AB01\"", "\"AA01\", \"AB01\""}, {"duplicate code 'AA01'", ""}},
      {{"\"CC07\"]", "\"CC7\"]"}, {"shorter than the prefix 4", ""}},
      {{"\"prefix\": 2}", "\"prefix\": 1}"}, {"prefix must be >= 0 and larger", ""}},
      {{"[0, 18, 65, 120]", "[0, 65, 18]"}, {"strictly increasing", ""}},
      {{"[3, 4]", "[3, \"x\"]"}, {"value 'x' is not a valid int64", ""}},
      {{"[3, 4]", "[3, 2]"}, {"value '2' is listed twice", ""}},
      {{"[\"SEX\", \"RACE\"]", "[\"SEX\", \"RAC\"]"}, {"unknown variable 'RAC'", ""}},
      {{"\"rho\": 1", "\"rho\": -1"}, {"budget.rho must be finite and > 0", ""}},
      {{"\"rho\": 1", "\"rho\": 1, \"epsilon\": 1"}, {"either 'rho' or both", ""}},
      {{"\"replicates\": 50", "\"replicates\": 5"}, {"error_bars.replicates", ""}},
      {{"\"name\": \"race\"", "\"name\": \"../race\""}, {"names a file", ""}},
      {{"\"variables\": []}", "\"variables\": [], \"count\": \"units\"}"},
       {"needs a privacy unit column", ""}},
      {{"\"name\": \"AGE\", \"type\"", "\"name\": \"AGE\", \"column\": \"tract\", \"type\""},
       {"column 'tract' is also read as string", ""}},
  };
  for (const auto& c : cases) {
    absl::StatusOr<PublicationSpec> spec = Parse(Edited(c[0].first, c[0].second));
    ASSERT_FALSE(spec.ok()) << c[1].first;
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(spec.status().message(), HasSubstr(c[1].first));
    EXPECT_THAT(spec.status().message(), HasSubstr("spec.json"));
  }
}

TEST(SpecTest, ReadsCodesFromAFileNextToTheSpec) {
  const std::string dir = ::testing::TempDir();
  ASSERT_TRUE(Env::Default()
                  ->WriteFileAtomically(dir + "/codes.txt",
                                        "# tracts\nAA01\nAA02\n\nAB01\nBA01\nBA02\nBA03\nCC07\n")
                  .ok());
  const std::string json =
      Edited(R"("codes": ["AA01", "AA02", "AB01", "BA01", "BA02", "BA03", "CC07"])",
             R"("codes_file": "codes.txt")");
  absl::StatusOr<PublicationSpec> spec = PublicationSpec::FromJson(json, "spec.json", dir);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->geography.codes, testing::SmallSpec(1).geography.codes);
}

TEST(TypedValueTest, ParsesUnderTheDeclaredType) {
  EXPECT_EQ(ParseTypedValue("01", io::DataType::kInt64)->Key(), "1");
  EXPECT_EQ(ParseTypedValue("+7", io::DataType::kInt64)->Key(), "7");
  EXPECT_FALSE(ParseTypedValue("+-7", io::DataType::kInt64).has_value());
  EXPECT_FALSE(ParseTypedValue("1.5", io::DataType::kInt64).has_value());
  EXPECT_FALSE(ParseTypedValue("abc", io::DataType::kInt64).has_value());
  EXPECT_FALSE(ParseTypedValue("", io::DataType::kDouble).has_value());
  EXPECT_FALSE(ParseTypedValue("inf", io::DataType::kDouble).has_value());
  EXPECT_EQ(ParseTypedValue("2.50", io::DataType::kDouble)->Key(),
            ParseTypedValue("2.5", io::DataType::kDouble)->Key());
  EXPECT_EQ(ParseTypedValue(" x", io::DataType::kString)->Key(), " x");
}

TEST(GeographyTest, NestsUnitsByCodePrefix) {
  const PublicationSpec spec = testing::SmallSpec(1);
  absl::StatusOr<GeographyTree> tree = GeographyTree::Create(spec.geography);
  ASSERT_TRUE(tree.ok()) << tree.status();
  ASSERT_EQ(tree->num_levels(), 4);
  EXPECT_EQ(tree->num_units(0), 1);
  EXPECT_EQ(tree->unit_code(0, 0), "US");
  EXPECT_EQ(tree->num_units(1), 3);  // A, B, C
  EXPECT_EQ(tree->num_units(2), 4);  // AA, AB, BA, CC
  EXPECT_EQ(tree->num_units(3), 7);
  EXPECT_EQ(tree->children(1, 1), std::make_pair(2, 3));  // B -> BA
  EXPECT_EQ(tree->children(2, 2), std::make_pair(3, 6));  // BA -> BA01..BA03
  const int leaf = tree->LeafUnitOf("BA02");
  EXPECT_EQ(tree->unit_code(3, leaf), "BA02");
  EXPECT_EQ(tree->unit_code(2, tree->AncestorOf(leaf, 2)), "BA");
  EXPECT_EQ(tree->unit_code(1, tree->AncestorOf(leaf, 1)), "B");
  EXPECT_EQ(tree->parent(3, leaf), tree->AncestorOf(leaf, 2));
  EXPECT_EQ(tree->LeafUnitOf("ZZ99"), -1);
}

TEST(PlanTest, SplitsTheBudgetAndReportsEveryMap) {
  const PublicationSpec spec = testing::SmallSpec(2.0, /*households=*/true);
  absl::StatusOr<PublicationPlan> plan = PlanPublication(spec, "small", mechanisms::SecureNoise());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->measurements.size(), 4u * 5u);
  double total = 0;
  for (const PrivacyMap& m : plan->release.maps) {
    EXPECT_EQ(m.kind, PrivacyMapKind::kDiscreteGaussian);
    total += accounting::GaussianZcdp(m.noise_multiplier);
  }
  EXPECT_LE(total, 2.0);
  EXPECT_GT(total, 2.0 * (1 - 1e-6));
  // Level shares 1:1:1:2 and table shares 1:2:1:1:1: tract x sex_by_age gets 2/5 * 2/6.
  EXPECT_NEAR(plan->measurement(3, 1).rho, 2.0 * 2 / 5 * 2 / 6, 1e-8);
  // A person table with a unit of up to 3 rows has L2 sensitivity 3; a unit table 1.
  EXPECT_EQ(plan->tables[1].sensitivity, 3);
  EXPECT_EQ(plan->tables[4].sensitivity, 1);
  EXPECT_NEAR(plan->measurement(3, 1).noise->noise_scale(),
              3 / std::sqrt(2 * plan->measurement(3, 1).rho), 1e-6);
  EXPECT_EQ(plan->release.budget.LedgerUnit(), "hh");
  EXPECT_EQ(plan->release.neighbouring, "add/remove all rows of one 'hh'");
  EXPECT_THAT(plan->ToText(), HasSubstr("tract sex_by_age 7x6 3"));
  EXPECT_THAT(plan->ToJson(), HasSubstr("\"agrees_with\""));
}

}  // namespace
}  // namespace dpkit::publish
