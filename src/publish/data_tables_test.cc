#include "publish/data_tables.h"

#include <string>

#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "publish/test_util.h"

namespace dpkit::publish {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Write(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/" + name;
  EXPECT_TRUE(Env::Default()->WriteFileAtomically(path, contents).ok());
  return path;
}

PublicationPlan Plan(bool households) {
  return *PlanPublication(testing::SmallSpec(1, households), "small",
                          mechanisms::testing::ZeroNoise());
}

// Cell index of (SEX, RACE) in sex_by_race: SEX in {F, M}, RACE in {1, 2, 3+, unknown}.
int SexRace(int sex, int race) { return sex * 4 + race; }

TEST(CountTablesTest, CountsTheUniverseAtEveryLevel) {
  const PublicationPlan plan = Plan(false);
  const std::string path = Write("count.csv",
                                 "tract,hh,SEX,AGE,RACE\n"
                                 "AA01,h1,F,30,1\n"
                                 "AA01,h1,M,70,04\n"   // 04 is the int64 4: category 3+
                                 "AA02,h2,F,5,9\n"     // unlisted race: 'unknown'
                                 "BA03,h3,F,40,x\n"    // unparseable race: null: 'unknown'
                                 "BA03,h3,M,abc,1\n"   // unparseable age: no category, dropped
                                 "ZZ99,h4,M,40,1\n"    // unlisted tract: dropped
                                 "CC07,h5,X,40,1\n");  // unlisted sex: dropped
  random::testing::SeededRng rng(1);
  absl::StatusOr<TableSet> t = CountTables(plan, path, rng);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->values[0][0], std::vector<double>{4});          // nation total
  EXPECT_EQ(t->values[1][0], (std::vector<double>{3, 1, 0}));  // regions A, B, C
  const std::vector<double>& tracts = t->values[3][0];
  EXPECT_EQ(tracts, (std::vector<double>{2, 1, 0, 0, 0, 1, 0}));
  const std::vector<double>& sex_by_race = t->values[0][2];
  EXPECT_EQ(sex_by_race[SexRace(0, 0)], 1);
  EXPECT_EQ(sex_by_race[SexRace(1, 2)], 1);
  EXPECT_EQ(sex_by_race[SexRace(0, 3)], 2);
}

TEST(CountTablesTest, BoundsRowsPerHouseholdAndCountsHouseholdsOnce) {
  const PublicationPlan plan = Plan(true);
  std::string csv = "tract,hh,SEX,AGE,RACE\n";
  for (int i = 0; i < 10; ++i) csv += "AA01,big,F,30,1\n";  // one unit of 10 rows: 3 kept
  csv += "AB01,small,M,30,2\nAB01,small,M,31,2\n";
  csv += "BA01,,F,30,1\n";  // null unit: dropped
  random::testing::SeededRng rng(2);
  absl::StatusOr<TableSet> t = CountTables(plan, Write("households.csv", csv), rng);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->values[0][0], std::vector<double>{5});             // persons: 3 + 2
  EXPECT_EQ(t->values[0][4], std::vector<double>{2});             // households
  EXPECT_EQ(t->values[2][4], (std::vector<double>{1, 1, 0, 0}));  // AA, AB, BA, CC
}

TEST(CheckDataHeaderTest, NamesTheMissingColumnOnly) {
  const PublicationSpec spec = testing::SmallSpec(1);
  EXPECT_TRUE(CheckDataHeader(spec, Write("ok.csv", "tract,SEX,AGE,RACE\nsecret,1,2,3\n")).ok());
  absl::Status s = CheckDataHeader(spec, Write("missing.csv", "tract,SEX,AGE\nAA01,F,secret\n"));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("column 'RACE'"));
  EXPECT_THAT(s.message(), Not(HasSubstr("secret")));
  // A malformed record after the header is not looked at before the charge.
  EXPECT_TRUE(
      CheckDataHeader(spec, Write("bad_body.csv", "tract,SEX,AGE,RACE\n\"unterminated\n")).ok());
}

TEST(CountTablesTest, ErrorsNameNoCellAndNoLine) {
  const PublicationPlan plan = Plan(false);
  random::testing::SeededRng rng(3);
  absl::StatusOr<TableSet> t = CountTables(
      plan, Write("ragged.csv", "tract,hh,SEX,AGE,RACE\nAA01,h,F,1,1\nAA01,h,F,secret\n"), rng);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), Not(HasSubstr("secret")));
  EXPECT_THAT(t.status().message(), Not(HasSubstr(":3")));
}

}  // namespace
}  // namespace dpkit::publish
