#include "dpkit/publish/publish.h"

#include <filesystem>
#include <string>

#include "dpkit/io/csv.h"
#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "publish/data_tables.h"
#include "publish/test_util.h"

namespace dpkit::publish {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class PublishTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/publish_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    data_ = dir_ + "/persons.csv";
    ASSERT_TRUE(Env::Default()->WriteFileAtomically(data_, testing::RandomPersonsCsv(500, 4)).ok());
  }

  PublishOptions Options() {
    PublishOptions o;
    o.data = data_;
    o.out_dir = dir_ + "/out";
    o.notice = [this](const std::string& line) { notices_ += line + "\n"; };
    return o;
  }

  std::vector<std::string> Written() {
    std::vector<std::string> files;
    if (!std::filesystem::exists(dir_ + "/out")) return files;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/out")) {
      files.push_back(e.path().filename().string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  std::string dir_, data_, notices_;
  random::testing::SeededRng rng_{99};
};

TEST_F(PublishTest, ZeroNoiseReleasesTheExactTablesAndChargesANewLedger) {
  const PublicationSpec spec = testing::SmallSpec(1.0, /*households=*/true);
  absl::StatusOr<PublishResult> r =
      Publish(spec, Options(), mechanisms::testing::ZeroNoise(), rng_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(notices_, HasSubstr("NOTICE: no --ledger given: created a NEW ledger"));
  EXPECT_EQ(Written(), (std::vector<std::string>{"households.csv", "ledger.db", "plan.json",
                                                 "race.csv", "release.json", "sex_by_age.csv",
                                                 "sex_by_race.csv", "summary.html", "total.csv"}));
  // The nation's row of total.csv: the exact count and a zero margin of error.
  absl::StatusOr<io::Table> total = io::ReadCsv(dir_ + "/out/total.csv");
  ASSERT_TRUE(total.ok()) << total.status();
  EXPECT_EQ(total->ColumnNames(),
            (std::vector<std::string>{"level", "code", "total", "total moe"}));
  EXPECT_EQ(total->num_rows(), 1 + 3 + 4 + 7);
  absl::StatusOr<PublicationPlan> plan =
      PlanPublication(spec, "small", mechanisms::testing::ZeroNoise());
  random::testing::SeededRng same_bounding(99);
  const TableSet exact = *CountTables(*plan, data_, same_bounding);
  EXPECT_EQ(total->column(2).int64_values()[0], exact.values[0][0][0]);
  EXPECT_EQ(total->column(3).int64_values()[0], 0);
  // The ledger holds one charge of the plan's maps, per household.
  auto ledger = ledger::Ledger::Open(dir_ + "/out/ledger.db", {.create_if_missing = false});
  ASSERT_TRUE(ledger.ok());
  auto history = (*ledger)->History("small", "hh");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].maps.size(), 4u * 5u);
  EXPECT_NEAR((*ledger)->Status("small", "hh")->spent.rho, 1.0, 1e-6);
}

TEST_F(PublishTest, AnEpsilonDeltaBudgetIsConvertedAndFitsItsNewLedgerExactly) {
  PublicationSpec spec = testing::SmallSpec(1.0);
  spec.budget = {.rho = std::nullopt, .epsilon = 2, .delta = 1e-6};
  absl::StatusOr<PublishResult> r = Publish(spec, Options(), mechanisms::SecureNoise(), rng_);
  ASSERT_TRUE(r.ok()) << r.status();
  auto status =
      (*ledger::Ledger::Open(dir_ + "/out/ledger.db"))->Status("small", ledger::kRowLevelUnit);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->budget.epsilon, 2);
  EXPECT_LE(status->spent.epsilon, 2);
  EXPECT_GT(status->spent.epsilon, 2 - 1e-6);
}

TEST_F(PublishTest, DryRunSpendsAndWritesNothing) {
  PublishOptions o = Options();
  o.dry_run = true;
  absl::StatusOr<PublishResult> r =
      Publish(testing::SmallSpec(1.0), o, mechanisms::SecureNoise(), rng_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->plan_text, HasSubstr("discrete_gaussian"));
  EXPECT_FALSE(r->receipt.has_value());
  EXPECT_TRUE(Written().empty());
}

TEST_F(PublishTest, NamedLedgerWithoutBudgetIsRefusedBeforeReadingData) {
  const std::string path = dir_ + "/ledger.db";
  ASSERT_TRUE(ledger::Ledger::Open(path).ok());  // an empty ledger
  PublishOptions o = Options();
  o.ledger = path;
  absl::StatusOr<PublishResult> r =
      Publish(testing::SmallSpec(1.0), o, mechanisms::SecureNoise(), rng_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("budget init"));
  EXPECT_TRUE(Written().empty());
  EXPECT_TRUE((*ledger::Ledger::Open(path))->ListBudgets()->empty());
}

TEST_F(PublishTest, ExhaustedBudgetReleasesNothing) {
  const std::string path = dir_ + "/ledger.db";
  {
    auto l = ledger::Ledger::Open(path);
    ASSERT_TRUE((*l)->CreateBudget("small", ledger::kRowLevelUnit, ledger::Budget::Rho(0.5),
                                   accounting::AccountantKind::kZcdp)
                    .ok());
  }
  PublishOptions o = Options();
  o.ledger = path;
  absl::StatusOr<PublishResult> r =
      Publish(testing::SmallSpec(1.0), o, mechanisms::SecureNoise(), rng_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Written().empty());
  // Within budget it goes through, charged to the named ledger.
  r = Publish(testing::SmallSpec(0.5), o, mechanisms::SecureNoise(), rng_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ledger_path, path);
  EXPECT_TRUE(notices_.empty());
}

TEST_F(PublishTest, ExistingLedgerInTheOutputFolderIsAnError) {
  std::filesystem::create_directories(dir_ + "/out");
  ASSERT_TRUE(ledger::Ledger::Open(dir_ + "/out/ledger.db").ok());
  absl::StatusOr<PublishResult> r =
      Publish(testing::SmallSpec(1.0), Options(), mechanisms::SecureNoise(), rng_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(PublishTest, MalformedDataAfterTheChargeSaysWhatWasSpent) {
  ASSERT_TRUE(Env::Default()
                  ->WriteFileAtomically(data_, "tract,hh,SEX,AGE,RACE\nAA01,h,F,1,1\nAA01,secret\n")
                  .ok());
  absl::StatusOr<PublishResult> r =
      Publish(testing::SmallSpec(1.0), Options(), mechanisms::SecureNoise(), rng_);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("the ledger was charged"));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("secret")));
  EXPECT_EQ(Written(), std::vector<std::string>{"ledger.db"});
}

TEST_F(PublishTest, MissingColumnIsFoundBeforeTheCharge) {
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(data_, "tract,SEX,AGE\nAA01,F,1\n").ok());
  absl::StatusOr<PublishResult> r =
      Publish(testing::SmallSpec(1.0), Options(), mechanisms::SecureNoise(), rng_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("column 'RACE'"));
  EXPECT_TRUE(Written().empty());
}

TEST_F(PublishTest, ExampleSpecOnTheNistAcsExcerpt) {
  const std::string data = std::string(DPKIT_SHARED_DATA_DIR) + "/nist-acs-excerpts/ma2019.csv";
  if (!std::filesystem::exists(data)) GTEST_SKIP() << data << " is absent";
  absl::StatusOr<PublicationSpec> spec =
      LoadSpec(std::string(DPKIT_SOURCE_DIR) + "/examples/publish/acs_ma2019.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  PublishOptions o = Options();
  o.data = data;
  absl::StatusOr<PublishResult> r = Publish(*spec, o, mechanisms::SecureNoise(), rng_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->files.size(), spec->tables.size() + 3);
}

}  // namespace
}  // namespace dpkit::publish
