#include "dpkit/release/release.h"

#include <cstdio>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace dpkit::release {
namespace {

std::string TempLedger(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/release_test";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::filesystem::remove(path);
  return path;
}

ReleasePlan Plan(const std::string& dataset, const std::string& unit, double epsilon) {
  ReleasePlan p;
  p.operation = "test release";
  p.budget = {dataset, unit};
  p.neighbouring = NeighbouringRelation(unit);
  p.maps = {PrivacyMap::PureDp(epsilon, "test")};
  return p;
}

TEST(ReleaseTest, NamedLedgerIsNeverCreated) {
  auto c = LedgerCharger::OpenExisting(TempLedger("missing.db"), {});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
}

TEST(ReleaseTest, NoBudgetIsNotFoundAndNothingIsCreated) {
  const std::string path = TempLedger("nobudget.db");
  {
    auto c = LedgerCharger::CreateNew(path, {"a", "id"}, ledger::Budget::EpsilonDelta(1, 0),
                                      accounting::AccountantKind::kBasic, {});
    ASSERT_TRUE(c.ok()) << c.status();
  }
  auto c = LedgerCharger::OpenExisting(path, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Charge(Plan("b", "id", 0.5)).status().code(), absl::StatusCode::kNotFound);
  // Another unit of the same dataset is not covered by its budget.
  EXPECT_EQ((*c)->Charge(Plan("a", "email", 0.5)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*c)->ledger().ListBudgets().value().size(), 1u);
}

TEST(ReleaseTest, CreateNewRefusesAnExistingFile) {
  const std::string path = TempLedger("exists.db");
  ASSERT_TRUE(LedgerCharger::CreateNew(path, {"a", ""}, ledger::Budget::EpsilonDelta(1, 0),
                                       accounting::AccountantKind::kBasic, {})
                  .ok());
  EXPECT_EQ(LedgerCharger::CreateNew(path, {"a", ""}, ledger::Budget::EpsilonDelta(1, 0),
                                     accounting::AccountantKind::kBasic, {})
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(ReleaseTest, ChargesTheBudgetAndRecordsAnInsecureSeed) {
  const std::string path = TempLedger("charge.db");
  auto c = LedgerCharger::CreateNew(path, {"a", "id"}, ledger::Budget::EpsilonDelta(1, 0),
                                    accounting::AccountantKind::kBasic, {.insecure_seed = true});
  ASSERT_TRUE(c.ok());
  auto r = (*c)->Charge(Plan("a", "id", 0.75));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(r->remaining.epsilon, 0.25);
  EXPECT_EQ((*c)->Charge(Plan("a", "id", 0.5)).status().code(),
            absl::StatusCode::kResourceExhausted);
  auto history = (*c)->ledger().History("a", "id");
  ASSERT_TRUE(history.ok());
  EXPECT_NE(history->front().operation.find("NOT PRIVATE"), std::string::npos);
  EXPECT_TRUE(history->front().insecure_seed);
  EXPECT_EQ(*(*c)->BudgetedUnit("a"), "id");
}

TEST(ReleaseTest, FailureAfterChargeIsNeverBudgetExhausted) {
  ledger::Receipt r;
  r.charge_id = 7;
  r.dataset = "a";
  r.unit = "id";
  absl::Status s = ChargedFailure(absl::ResourceExhaustedError("disk full"), r);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(s.message()).find("charge #7"), std::string::npos);
  EXPECT_EQ(ChargedFailure(absl::NotFoundError("x"), r).code(), absl::StatusCode::kNotFound);
}

TEST(ReleaseTest, PlanTextListsMapsAndSteps) {
  ReleasePlan p = Plan("a", "", 1);
  p.steps = {"count rows"};
  const std::string t = p.ToText();
  EXPECT_NE(t.find("add/remove one row"), std::string::npos);
  EXPECT_NE(t.find("1. count rows"), std::string::npos);
  EXPECT_NE(t.find("pure_dp"), std::string::npos);
}

}  // namespace
}  // namespace dpkit::release
