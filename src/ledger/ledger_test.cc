// Unit tests for the ledger: real SQLite files in a fresh temp dir per test.
#include "dpkit/ledger/ledger.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/charge_chain.h"
#include "ledger/ledger_test_util.h"
#include "nlohmann/json.hpp"

namespace dpkit::ledger {
namespace {

using accounting::AccountantKind;
using ::testing::HasSubstr;
using testing_util::LedgerTest;
using testing_util::RawDb;
using testing_util::ReadAll;

TEST_F(LedgerTest, OpenCreatesWalDatabaseWithVersionedSchema) {
  auto ledger = OpenLedger();
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(ledger->path(), path_);
  RawDb raw(path_);
  EXPECT_EQ(raw.QueryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.QueryText("SELECT value FROM meta WHERE key='schema_version'"), "2");
  EXPECT_EQ(raw.QueryText("SELECT value FROM meta WHERE key='application'"), "dpkit-ledger");
  // Re-opening an existing ledger works and keeps it.
  ledger.reset();
  EXPECT_NE(OpenLedger(), nullptr);
}

TEST_F(LedgerTest, MissingFileIsNotFoundWhenNotCreating) {
  auto l = Ledger::Open(path_, {.create_if_missing = false});
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(l.status().message(), HasSubstr("does not exist"));
  EXPECT_THAT(l.status().message(), HasSubstr("dpkit budget init"));
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(LedgerTest, InvalidBudgetsAreRejectedWithTheBadValue) {
  auto ledger = OpenLedger();
  struct Case {
    Budget budget;
    AccountantKind kind;
    std::string want;
  };
  const Case cases[] = {
      {Budget::EpsilonDelta(-1, 1e-6), AccountantKind::kBasic, "epsilon must be finite and > 0, got -1"},
      {Budget::EpsilonDelta(NAN, 1e-6), AccountantKind::kBasic, "epsilon must be finite and > 0, got nan"},
      {Budget::EpsilonDelta(INFINITY, 0), AccountantKind::kBasic, "got inf"},
      {Budget::EpsilonDelta(1, 1), AccountantKind::kBasic, "delta"},
      {Budget::EpsilonDelta(1, -1e-9), AccountantKind::kBasic, "delta"},
      {Budget::EpsilonDelta(1, 0), AccountantKind::kRdp, "cannot certify pure DP"},
      {Budget::EpsilonDelta(1, 0), AccountantKind::kZcdp, "cannot certify pure DP"},
      {Budget::Rho(0.5), AccountantKind::kRdp, "rho budget needs the zcdp accountant"},
      {Budget::Rho(-0.5), AccountantKind::kZcdp, "rho must be finite and > 0, got -0.5"},
      {Budget{1, 1e-6, 0.5}, AccountantKind::kZcdp, "not both"},
      {Budget{}, AccountantKind::kBasic, "rho must be finite and > 0, got 0"},
  };
  for (const Case& c : cases) {
    absl::Status s = ledger->CreateBudget("adult", "user_id", c.budget, c.kind);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.want;
    EXPECT_THAT(s.message(), HasSubstr(c.want));
  }
  EXPECT_EQ(ledger->CreateBudget("", "u", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ledger->CreateBudget("a\nb", "u", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).code(),
      absl::StatusCode::kInvalidArgument);
  // Nothing was created by the failed calls.
  auto all = ledger->ListBudgets();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_F(LedgerTest, BudgetsCannotBeRecreated) {
  auto ledger = OpenLedger();
  ASSERT_TRUE(ledger->CreateBudget("adult", "user_id", Budget::EpsilonDelta(1, 1e-6),
                                   AccountantKind::kBasic)
                  .ok());
  absl::Status again =
      ledger->CreateBudget("adult", "user_id", Budget::EpsilonDelta(5, 1e-6), AccountantKind::kBasic);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.message(), HasSubstr("cannot be changed or reset"));
  // Another unit of the same dataset is a separate budget.
  EXPECT_TRUE(ledger->CreateBudget("adult", "", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).ok());
  auto all = ledger->ListBudgets("adult");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].unit, kRowLevelUnit);
  EXPECT_EQ((*all)[1].unit, "user_id");
}

TEST_F(LedgerTest, PureDpChargesUntilExhaustedThenRefusesWithRemainingInMessage) {
  auto ledger = OpenLedger();
  ASSERT_TRUE(
      ledger->CreateBudget("adult", "user_id", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic)
          .ok());
  for (int i = 1; i <= 4; ++i) {
    auto r = ledger->Charge("adult", "user_id", {PrivacyMap::PureDp(0.25, "laplace-count")},
                            "SELECT COUNT(*) FROM adult", "alice@test");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->spent.epsilon, 0.25 * i);
    EXPECT_EQ(r->spent.delta, 0);
    EXPECT_EQ(r->remaining.epsilon, 1 - 0.25 * i);
    EXPECT_EQ(r->cost.epsilon, 0.25);
    EXPECT_GT(r->charge_id, 0);
  }
  auto r = ledger->Charge("adult", "user_id", {PrivacyMap::PureDp(0.01)}, "one more", "alice@test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr("remaining epsilon=0 (at delta=0) of epsilon=1, delta=0"));
  EXPECT_THAT(r.status().message(), HasSubstr("nothing was charged"));

  auto st = ledger->Status("adult", "user_id");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->spent.epsilon, 1.0);
  EXPECT_EQ(st->remaining.epsilon, 0.0);
  EXPECT_EQ(st->num_charges, 4);
  EXPECT_EQ(st->num_refused, 1);

  auto hist = ledger->History("adult", "user_id");
  ASSERT_TRUE(hist.ok());
  ASSERT_EQ(hist->size(), 5u);
  EXPECT_EQ((*hist)[0].status, "charged");
  EXPECT_EQ((*hist)[0].operation, "SELECT COUNT(*) FROM adult");
  EXPECT_EQ((*hist)[0].caller, "alice@test");
  EXPECT_EQ((*hist)[0].mechanism, "laplace-count");
  ASSERT_EQ((*hist)[0].maps.size(), 1u);
  EXPECT_EQ((*hist)[0].maps[0].epsilon, 0.25);
  EXPECT_EQ((*hist)[4].status, "refused");
  EXPECT_THAT((*hist)[4].note, HasSubstr("exhausted"));
  EXPECT_EQ((*hist)[4].spent_after.epsilon, 1.0);  // a refusal spends nothing
}

TEST_F(LedgerTest, ApproxDpDeltaIsChargedToo) {
  auto ledger = OpenLedger();
  ASSERT_TRUE(
      ledger->CreateBudget("d", "u", Budget::EpsilonDelta(10, 1e-6), AccountantKind::kBasic).ok());
  auto r = ledger->Charge("d", "u", {PrivacyMap::ApproxDp(0.5, 6e-7)}, "q1");
  ASSERT_TRUE(r.ok()) << r.status();
  // A second charge of delta 6e-7 would make delta 1.2e-6 > 1e-6.
  auto p = ledger->Preview("d", "u", {PrivacyMap::ApproxDp(0.5, 6e-7)});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->fits);
  auto r2 = ledger->Charge("d", "u", {PrivacyMap::ApproxDp(0.5, 6e-7)}, "q2");
  EXPECT_EQ(r2.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(ledger->Charge("d", "u", {PrivacyMap::ApproxDp(0.5, 3e-7)}, "q3").ok());
}

TEST_F(LedgerTest, UnknownDatasetAndUnitListWhatExists) {
  auto ledger = OpenLedger();
  ASSERT_TRUE(
      ledger->CreateBudget("adult", "user_id", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).ok());
  ASSERT_TRUE(
      ledger->CreateBudget("census", "", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).ok());
  auto r = ledger->Charge("nope", "user_id", {PrivacyMap::PureDp(0.1)}, "q");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("unknown dataset 'nope'"));
  EXPECT_THAT(r.status().message(), HasSubstr("known datasets: 'adult', 'census'"));
  auto s = ledger->Status("adult", "household");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.status().message(), HasSubstr("its units: 'user_id'"));
  EXPECT_EQ(ledger->History("nope", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ledger->ListBudgets("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ledger->Preview("nope", "", {PrivacyMap::PureDp(1)}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(LedgerTest, InvalidMapsAreRejectedAndNothingIsRecorded) {
  auto ledger = OpenLedger();
  ASSERT_TRUE(ledger->CreateBudget("d", "u", Budget::EpsilonDelta(1, 1e-6), AccountantKind::kRdp).ok());
  EXPECT_EQ(ledger->Charge("d", "u", {}, "q").status().code(), absl::StatusCode::kInvalidArgument);
  auto bad = ledger->Charge("d", "u", {PrivacyMap::PureDp(NAN)}, "q");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("epsilon must be finite and > 0, got nan"));
  // The RDP accountant cannot compose approximate-DP maps: a usage error, not a refusal.
  auto approx = ledger->Charge("d", "u", {PrivacyMap::ApproxDp(0.1, 1e-9)}, "q");
  EXPECT_EQ(approx.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(approx.status().message(), HasSubstr("uses the rdp accountant"));
  auto hist = ledger->History("d", "u");
  ASSERT_TRUE(hist.ok());
  EXPECT_TRUE(hist->empty());
}

// The ledger's totals are exactly what the dataset's accountant says for the charged maps.
TEST_F(LedgerTest, SpendIsTheChosenAccountantsComposition) {
  auto ledger = OpenLedger();
  const double kDelta = 1e-6;
  for (AccountantKind kind : {AccountantKind::kBasic, AccountantKind::kZcdp, AccountantKind::kRdp}) {
    const std::string ds = accounting::AccountantKindName(kind);
    ASSERT_TRUE(ledger->CreateBudget(ds, "u", Budget::EpsilonDelta(100, kDelta), kind).ok());
    auto direct = accounting::CreateAccountant(kind);
    ASSERT_TRUE(direct.ok());
    for (int i = 0; i < 20; ++i) {
      const PrivacyMap m = PrivacyMap::Gaussian(5.0 + i % 3, "gaussian-sum");
      auto r = ledger->Charge(ds, "u", {m}, "sum");
      ASSERT_TRUE(r.ok()) << ds << ": " << r.status();
      ASSERT_TRUE((*direct)->Add(m).ok());
      auto eps = (*direct)->Epsilon(kDelta);
      ASSERT_TRUE(eps.ok());
      EXPECT_DOUBLE_EQ(r->spent.epsilon, *eps) << ds << " after " << i + 1;
      EXPECT_EQ(r->spent.delta, kDelta) << ds;  // epsilon is stated at the budget's delta
    }
  }
  // zCDP and RDP compose 20 Gaussians more tightly than basic composition.
  auto basic = ledger->Status("basic", "u");
  auto zcdp = ledger->Status("zcdp", "u");
  auto rdp = ledger->Status("rdp", "u");
  ASSERT_TRUE(basic.ok() && zcdp.ok() && rdp.ok());
  EXPECT_LT(zcdp->spent.epsilon, basic->spent.epsilon);
  EXPECT_LT(rdp->spent.epsilon, basic->spent.epsilon);
}

TEST_F(LedgerTest, RhoBudgetAddsRho) {
  auto ledger = OpenLedger();
  ASSERT_TRUE(ledger->CreateBudget("d", "u", Budget::Rho(0.5), AccountantKind::kZcdp).ok());
  // Gaussian with noise multiplier 2: rho = 1/8. Pure eps 0.5: rho = 0.125.
  auto r1 = ledger->Charge("d", "u", {PrivacyMap::Gaussian(2.0)}, "q1");
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_DOUBLE_EQ(r1->spent.rho, 0.125);
  auto r2 = ledger->Charge("d", "u", {PrivacyMap::PureDp(0.5), PrivacyMap::Zcdp(0.125)}, "q2");
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_DOUBLE_EQ(r2->spent.rho, 0.375);
  EXPECT_DOUBLE_EQ(r2->remaining.rho, 0.125);
  auto r3 = ledger->Charge("d", "u", {PrivacyMap::Zcdp(0.2)}, "q3");
  EXPECT_EQ(r3.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(r3.status().message(), HasSubstr("remaining rho=0.125"));
  auto r4 = ledger->Charge("d", "u", {PrivacyMap::ApproxDp(0.1, 1e-9)}, "q4");
  EXPECT_EQ(r4.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r4.status().message(), HasSubstr("no zCDP guarantee"));
  EXPECT_TRUE(ledger->Charge("d", "u", {PrivacyMap::Zcdp(0.125)}, "q5").ok());
}

TEST_F(LedgerTest, PreviewWritesNothing) {
  auto ledger = OpenLedger();
  ASSERT_TRUE(
      ledger->CreateBudget("d", "u", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).ok());
  ASSERT_TRUE(ledger->Charge("d", "u", {PrivacyMap::PureDp(0.5)}, "q").ok());
  auto p = ledger->Preview("d", "u", {PrivacyMap::PureDp(0.25), PrivacyMap::PureDp(0.125)});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->fits);
  EXPECT_EQ(p->spent_before.epsilon, 0.5);
  EXPECT_EQ(p->cost.epsilon, 0.375);
  EXPECT_EQ(p->spent_after.epsilon, 0.875);
  EXPECT_EQ(p->remaining_after.epsilon, 0.125);
  EXPECT_TRUE(p->message.empty());
  auto too_much = ledger->Preview("d", "u", {PrivacyMap::PureDp(0.75)});
  ASSERT_TRUE(too_much.ok());
  EXPECT_FALSE(too_much->fits);
  EXPECT_THAT(too_much->message, HasSubstr("remaining epsilon=0.5"));
  auto hist = ledger->History("d", "u");
  ASSERT_TRUE(hist.ok());
  EXPECT_EQ(hist->size(), 1u);
  auto st = ledger->Status("d", "u");
  EXPECT_EQ(st->spent.epsilon, 0.5);
}

TEST_F(LedgerTest, StatePersistsAcrossReopenAndAcrossHandles) {
  {
    auto ledger = OpenLedger();
    ASSERT_TRUE(
        ledger->CreateBudget("d", "u", Budget::EpsilonDelta(10, 1e-6), AccountantKind::kZcdp).ok());
    auto r0 = ledger->Charge("d", "u", {PrivacyMap::Gaussian(3)}, "q1");
    ASSERT_TRUE(r0.ok()) << r0.status();
  }
  auto a = OpenLedger();
  auto b = OpenLedger();
  auto sa = a->Status("d", "u");
  ASSERT_TRUE(sa.ok());
  EXPECT_EQ(sa->num_charges, 1);
  // Interleaved charges through two handles: each sees the other's (incremental cache refresh).
  auto ra = a->Charge("d", "u", {PrivacyMap::Gaussian(3)}, "qa");
  ASSERT_TRUE(ra.ok());
  auto rb = b->Charge("d", "u", {PrivacyMap::Gaussian(3)}, "qb");
  ASSERT_TRUE(rb.ok());
  EXPECT_GT(rb->spent.epsilon, ra->spent.epsilon);
  auto fresh = accounting::CreateAccountant(AccountantKind::kZcdp);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*fresh)->Add(PrivacyMap::Gaussian(3)).ok());
  EXPECT_DOUBLE_EQ(rb->spent.epsilon, *(*fresh)->Epsilon(1e-6));
  auto sa2 = a->Status("d", "u");
  EXPECT_EQ(sa2->num_charges, 3);
  EXPECT_DOUBLE_EQ(sa2->spent.epsilon, rb->spent.epsilon);
  EXPECT_TRUE(a->CheckIntegrity().ok());
}

// A fresh handle folds the whole history at once, grouping identical maps for rdp/zcdp; the
// result must agree with the charge-by-charge totals the receipts reported.
TEST_F(LedgerTest, ColdFoldOfHistoryMatchesIncrementalTotals) {
  auto a = OpenLedger();
  ASSERT_TRUE(
      a->CreateBudget("d", "u", Budget::EpsilonDelta(100, 1e-6), AccountantKind::kRdp).ok());
  double last = 0;
  for (int i = 0; i < 30; ++i) {
    const PrivacyMap m = PrivacyMap::Gaussian(i % 2 == 0 ? 10.0 : 20.0, "q" + std::to_string(i));
    auto r = a->Charge("d", "u", {m, m}, "q");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_GT(r->spent.epsilon, last);
    last = r->spent.epsilon;
  }
  auto b = OpenLedger();
  auto st = b->Status("d", "u");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_NEAR(st->spent.epsilon, last, 1e-9 * last);
  EXPECT_EQ(st->num_charges, 30);
  EXPECT_TRUE(b->CheckIntegrity().ok());
}

TEST_F(LedgerTest, TimestampsComeFromTheEnvClockAndCallerDefaults) {
  testing::FaultInjectionEnv env(Env::Default());
  env.SetNowMicros(1700000000123456);
  auto ledger = OpenLedger({.env = &env});
  ASSERT_TRUE(
      ledger->CreateBudget("d", "", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).ok());
  auto r = ledger->Charge("d", "", {PrivacyMap::PureDp(0.1)}, "q");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->timestamp_micros, 1700000000123456);
  EXPECT_EQ(r->unit, kRowLevelUnit);
  auto hist = ledger->History("d", "");
  ASSERT_EQ(hist->size(), 1u);
  EXPECT_EQ((*hist)[0].caller, DefaultCaller());
  EXPECT_THAT(DefaultCaller(), ::testing::MatchesRegex(".+@.+/[0-9]+"));
  auto json = ledger->ExportJson();
  ASSERT_TRUE(json.ok());
  EXPECT_THAT(*json, HasSubstr("2023-11-14T22:13:20.123456Z"));
}

TEST_F(LedgerTest, HistoryLimitReturnsMostRecentOldestFirst) {
  auto ledger = OpenLedger();
  ASSERT_TRUE(
      ledger->CreateBudget("d", "u", Budget::EpsilonDelta(100, 0), AccountantKind::kBasic).ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(ledger->Charge("d", "u", {PrivacyMap::PureDp(1)}, "q" + std::to_string(i)).ok());
  }
  auto hist = ledger->History("d", "u", {.limit = 3});
  ASSERT_TRUE(hist.ok());
  ASSERT_EQ(hist->size(), 3u);
  EXPECT_EQ((*hist)[0].operation, "q7");
  EXPECT_EQ((*hist)[2].operation, "q9");
  EXPECT_EQ((*hist)[2].spent_after.epsilon, 10);
}

TEST_F(LedgerTest, ExportJsonHasBudgetsAndFullAuditTrail) {
  auto ledger = OpenLedger();
  ASSERT_TRUE(
      ledger->CreateBudget("adult", "user_id", Budget::EpsilonDelta(3, 1e-6), AccountantKind::kRdp)
          .ok());
  ASSERT_TRUE(ledger->CreateBudget("other", "", Budget::Rho(1), AccountantKind::kZcdp).ok());
  auto trained = ledger->Charge("adult", "user_id",
                                {PrivacyMap::SubsampledGaussian(1.1, 0.01, 100)}, "train mlp",
                                "bob@host/1");
  ASSERT_TRUE(trained.ok()) << trained.status();
  ASSERT_FALSE(ledger->Charge("adult", "user_id", {PrivacyMap::Gaussian(0.1)}, "too much").ok());
  auto text = ledger->ExportJson();
  ASSERT_TRUE(text.ok()) << text.status();
  auto j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["format"], "dpkit-ledger-export");
  EXPECT_EQ(j["schema_version"], 2);
  ASSERT_EQ(j["budgets"].size(), 2u);
  const auto& b = j["budgets"][0];
  EXPECT_EQ(b["dataset"], "adult");
  EXPECT_EQ(b["unit"], "user_id");
  EXPECT_EQ(b["accountant"], "rdp");
  EXPECT_EQ(b["budget"]["epsilon"], 3.0);
  EXPECT_EQ(b["num_charges"], 1);
  EXPECT_EQ(b["num_refused"], 1);
  ASSERT_EQ(b["charges"].size(), 2u);
  EXPECT_EQ(b["charges"][0]["status"], "charged");
  EXPECT_EQ(b["charges"][0]["operation"], "train mlp");
  EXPECT_EQ(b["charges"][0]["caller"], "bob@host/1");
  EXPECT_EQ(b["charges"][0]["privacy_maps"][0]["kind"], "subsampled_gaussian");
  EXPECT_EQ(b["charges"][0]["privacy_maps"][0]["repetitions"], 100);
  EXPECT_EQ(b["charges"][1]["status"], "refused");
  EXPECT_EQ(j["budgets"][1]["budget"]["rho"], 1.0);
  // Filtered export.
  auto only = ledger->ExportJson("other");
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(nlohmann::json::parse(*only)["budgets"].size(), 1u);
}

TEST_F(LedgerTest, GarbageFileIsDataLossAndIsNotTouched) {
  {
    std::ofstream out(path_, std::ios::binary);
    for (int i = 0; i < 1000; ++i) out << "this is not a database " << i << "\n";
  }
  const std::string before = ReadAll(path_);
  auto l = Ledger::Open(path_);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(l.status().message(), HasSubstr("ledger file " + path_ + " is corrupted"));
  EXPECT_THAT(l.status().message(), HasSubstr("restore it from a backup"));
  EXPECT_EQ(ReadAll(path_), before);
}

TEST_F(LedgerTest, DamagedPagesAreDetectedOnOpen) {
  {
    auto ledger = OpenLedger();
    ASSERT_TRUE(
        ledger->CreateBudget("d", "u", Budget::EpsilonDelta(1000, 0), AccountantKind::kBasic).ok());
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(ledger
                      ->Charge("d", "u", {PrivacyMap::PureDp(1)},
                               "SELECT AVG(age) FROM adult WHERE education = 'Bachelors' -- " +
                                   std::to_string(i))
                      .ok());
    }
  }  // last connection closed: WAL checkpointed into the main file
  ASSERT_FALSE(std::filesystem::exists(path_ + "-wal") &&
               std::filesystem::file_size(path_ + "-wal") > 0);
  const auto size = std::filesystem::file_size(path_);
  ASSERT_GT(size, 4096u * 8);
  {
    // Overwrite a page in the middle (not the header page) with garbage.
    std::fstream f(path_, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>((size / 4096 / 2) * 4096));
    std::string junk(4096, '\xAB');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  const std::string before = ReadAll(path_);
  auto l = Ledger::Open(path_);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kDataLoss) << l.status();
  EXPECT_THAT(l.status().message(), HasSubstr("is corrupted"));
  EXPECT_EQ(ReadAll(path_), before);
}

TEST_F(LedgerTest, OtherSqliteDatabasesAndNewerSchemasAreRefused) {
  {
    RawDb raw(path_);
    ASSERT_EQ(raw.Exec("CREATE TABLE people(name TEXT)"), SQLITE_OK);
  }
  auto l = Ledger::Open(path_);
  EXPECT_EQ(l.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(l.status().message(), HasSubstr("not a dpkit ledger"));

  const std::string newer = dir_.File("newer.db");
  { ASSERT_TRUE(Ledger::Open(newer).ok()); }
  {
    RawDb raw(newer);
    ASSERT_EQ(raw.Exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'"), SQLITE_OK);
  }
  auto n = Ledger::Open(newer);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(n.status().message(), HasSubstr("upgrade dpkit"));
}

TEST_F(LedgerTest, LockedBeyondTimeoutIsUnavailableAndChargesNothing) {
  auto ledger = OpenLedger({.lock_timeout_ms = 100});
  ASSERT_TRUE(
      ledger->CreateBudget("d", "u", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).ok());
  {
    RawDb other(path_);
    ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);  // another writer holds the lock
    auto r = ledger->Charge("d", "u", {PrivacyMap::PureDp(0.5)}, "q");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(r.status().message(), HasSubstr("is locked by another process"));
    EXPECT_THAT(r.status().message(), HasSubstr("lock timeout"));
    // Readers are not blocked by a writer in WAL mode.
    auto st = ledger->Status("d", "u");
    ASSERT_TRUE(st.ok()) << st.status();
    EXPECT_EQ(st->num_charges, 0);
    ASSERT_EQ(other.Exec("ROLLBACK"), SQLITE_OK);
  }
  auto r = ledger->Charge("d", "u", {PrivacyMap::PureDp(0.5)}, "q");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->spent.epsilon, 0.5);
}

TEST_F(LedgerTest, ChargesAreAppendOnlyAndTamperingIsDetected) {
  {
    auto ledger = OpenLedger();
    ASSERT_TRUE(
        ledger->CreateBudget("d", "u", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).ok());
    ASSERT_TRUE(ledger->Charge("d", "u", {PrivacyMap::PureDp(0.5)}, "q").ok());
  }
  RawDb raw(path_);
  EXPECT_NE(raw.Exec("DELETE FROM charges"), SQLITE_OK);
  EXPECT_NE(raw.Exec("UPDATE charges SET privacy_maps = '[]'"), SQLITE_OK);
  EXPECT_NE(raw.Exec("UPDATE budgets SET epsilon = 100"), SQLITE_OK);
  {
    auto ledger = OpenLedger();
    EXPECT_TRUE(ledger->CheckIntegrity().ok());
  }
  // A row inserted behind the ledger's back, with a valid chain hash (whoever forged it
  // recomputed the chain), whose recorded total disagrees with composition.
  internal::ChainedRow forged;
  forged.id = 2;
  forged.dataset = "d";
  forged.unit = "u";
  forged.accountant = "basic";
  forged.budget_epsilon = 1;
  forged.status = "charged";
  forged.mechanism = "x";
  forged.privacy_maps = R"([{"kind":"pure_dp","epsilon":0.25}])";
  forged.operation = "forged";
  forged.caller = "mallory";
  forged.epsilon_spent = 0.5;
  const std::string hash = internal::ChainHash(raw.QueryText("SELECT hash FROM charges"), forged);
  ASSERT_EQ(raw.Exec("INSERT INTO charges(budget_id, ts_us, status, mechanism, privacy_maps, "
                     "operation, caller, epsilon_spent, delta_spent, rho_spent, hash) VALUES (1, "
                     "0, 'charged', 'x', '[{\"kind\":\"pure_dp\",\"epsilon\":0.25}]', "
                     "'forged', 'mallory', 0.5, 0, 0, '" + hash + "')"),
            SQLITE_OK);
  auto ledger = OpenLedger();
  absl::Status s = ledger->CheckIntegrity();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("re-composing its 2 charges gives epsilon=0.75"));
  // The full check also runs on open when asked.
  EXPECT_EQ(Ledger::Open(path_, {.integrity_check = IntegrityCheck::kFull}).status().code(),
            absl::StatusCode::kDataLoss);
  // And the spent total the ledger reports includes the extra row (never under-reports).
  auto st = ledger->Status("d", "u");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->spent.epsilon, 0.75);
}

TEST_F(LedgerTest, UnreadableStoredMapIsDataLoss) {
  {
    auto ledger = OpenLedger();
    ASSERT_TRUE(
        ledger->CreateBudget("d", "u", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).ok());
  }
  {
    RawDb raw(path_);
    ASSERT_EQ(raw.Exec("INSERT INTO charges(budget_id, ts_us, status, mechanism, privacy_maps, "
                       "operation, caller, epsilon_spent, delta_spent, rho_spent) VALUES (1, 0, "
                       "'charged', 'x', '[{\"kind\":\"warp_drive\"}]', 'q', 'c', 0, 0, 0)"),
              SQLITE_OK);
  }
  auto ledger = OpenLedger();
  auto r = ledger->Charge("d", "u", {PrivacyMap::PureDp(0.1)}, "q");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("charge #1 has unreadable privacy maps"));
  EXPECT_EQ(ledger->Status("d", "u").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace dpkit::ledger
