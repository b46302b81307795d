// The ledger file's integrity: the tamper-evident charge chain, the expected chain head,
// empty and truncated files, the upgrade of schema-version-1 files, insecure-seed charges and
// the budget limits. Real SQLite files, edited behind the ledger's back with a raw connection.
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dpkit/ledger/ledger.h"
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

// Budget epsilon = 1 with ten charges of epsilon 0.1 (spent 1).
class ChainTest : public LedgerTest {
 protected:
  void SetUp() override {
    auto ledger = OpenLedger();
    ASSERT_TRUE(
        ledger->CreateBudget("d", "u", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).ok());
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(
          ledger->Charge("d", "u", {PrivacyMap::PureDp(0.1)}, absl::StrCat("q", i)).ok());
    }
    auto head = ledger->Head();
    ASSERT_TRUE(head.ok());
    head_ = *head;
  }
  // Runs `sql` with the append-only triggers dropped, as a tamperer would.
  void Tamper(const std::string& sql) {
    RawDb raw(path_);
    ASSERT_EQ(raw.Exec("DROP TRIGGER charges_append_only_delete; "
                       "DROP TRIGGER charges_append_only_update; "
                       "DROP TRIGGER budgets_immutable_update;" + sql +
                       "; CREATE TRIGGER charges_append_only_delete BEFORE DELETE ON charges "
                       "BEGIN SELECT RAISE(ABORT, 'x'); END; CREATE TRIGGER "
                       "charges_append_only_update BEFORE UPDATE ON charges BEGIN SELECT "
                       "RAISE(ABORT, 'x'); END; CREATE TRIGGER budgets_immutable_update BEFORE "
                       "UPDATE ON budgets BEGIN SELECT RAISE(ABORT, 'x'); END;"),
              SQLITE_OK);
  }
  absl::Status Check(VerifyOptions options = {}) {
    auto ledger = Ledger::Open(path_, {.create_if_missing = false});
    if (!ledger.ok()) return ledger.status();
    return (*ledger)->Verify(options).status();
  }
  ChainHead head_;
};

TEST_F(ChainTest, IntactLedgerVerifiesAndReportsItsHead) {
  EXPECT_EQ(head_.id, 10);
  auto ledger = OpenLedger();
  auto report = ledger->Verify({.expect_head = head_});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->num_charges, 10);
  EXPECT_EQ(report->num_budgets, 1);
  EXPECT_EQ(report->head.ToString(), head_.ToString());
  EXPECT_THAT(report->chain_origin, HasSubstr("every charge is chained"));
  auto parsed = ChainHead::Parse(head_.ToString());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->hash, head_.hash);
  EXPECT_FALSE(ChainHead::Parse("10:abc").ok());
  EXPECT_FALSE(ChainHead::Parse(head_.hash).ok());
}

// The issue's reproduction: delete the last 5 charges (spent drops from 1 to 0.5).
TEST_F(ChainTest, DeletedLastChargesAreDetected) {
  Tamper("DELETE FROM charges WHERE id > 5");
  absl::Status s = Check();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("the last 5 charge row(s) were deleted"));
  // Also resetting SQLite's id counter leaves nothing in the file to show it; the chain head
  // kept elsewhere does.
  Tamper("UPDATE sqlite_sequence SET seq = 5 WHERE name = 'charges'");
  EXPECT_TRUE(Check().ok());
  s = Check({.expect_head = head_});
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("expected chain head #10 is missing"));
}

TEST_F(ChainTest, DeletedMiddleChargeIsDetected) {
  Tamper("DELETE FROM charges WHERE id = 4");
  absl::Status s = Check();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("charge ids jump from #3 to #5"));
  // Renumbering the rows to hide the gap breaks the hashes instead.
  Tamper("UPDATE charges SET id = id - 1 WHERE id > 4");
  s = Check();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("does not match its hash"));
}

TEST_F(ChainTest, EditedChargeOrBudgetIsDetected) {
  const std::string original = RawDb(path_).QueryText("SELECT privacy_maps FROM charges WHERE id = 3");
  Tamper("UPDATE charges SET privacy_maps = '[{\"kind\":\"pure_dp\",\"epsilon\":0.01}]' "
         "WHERE id = 3");
  EXPECT_THAT(Check().message(), HasSubstr("charge #3 does not match its hash"));
  Tamper("UPDATE charges SET privacy_maps = '" + original + "' WHERE id = 3");
  EXPECT_TRUE(Check().ok());
  Tamper("UPDATE budgets SET epsilon = 100");
  EXPECT_THAT(Check().message(), HasSubstr("charge #1 does not match its hash"));
}

TEST_F(ChainTest, RewrittenChainFailsTheExpectedHead) {
  // A tamperer who recomputes every hash after editing charge #2 passes the file-only check.
  Tamper("UPDATE charges SET operation = 'edited' WHERE id = 2");
  RawDb raw(path_);
  std::string prev = internal::kGenesisHash;
  std::vector<std::pair<int64_t, std::string>> fixed;
  ASSERT_TRUE(internal::ForEachChainedRow(*internal::Db::Open(path_, false).value(),
                                          [&](const internal::ChainedRow& row,
                                              const std::string&) {
                                            prev = internal::ChainHash(prev, row);
                                            fixed.emplace_back(row.id, prev);
                                            return absl::OkStatus();
                                          })
                  .ok());
  std::string sql;
  for (const auto& [id, hash] : fixed) {
    sql += "UPDATE charges SET hash = '" + hash + "' WHERE id = " + std::to_string(id) + ";";
  }
  Tamper(sql);
  EXPECT_TRUE(Check().ok());
  absl::Status s = Check({.expect_head = head_});
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("the ledger was rewritten up to that charge"));
}

// A file truncated to 0 bytes was silently re-initialised (budget gone, "intact").
TEST_F(LedgerTest, EmptyOrTruncatedFileIsCorruptionNeverANewLedger) {
  {
    auto ledger = OpenLedger();
    ASSERT_TRUE(
        ledger->CreateBudget("d", "u", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).ok());
    ASSERT_TRUE(ledger->Charge("d", "u", {PrivacyMap::PureDp(0.5)}, "q").ok());
  }
  const std::string full = ReadAll(path_);
  for (size_t size : {size_t{0}, size_t{100}, full.size() / 2}) {
    std::filesystem::remove(path_ + "-wal");
    std::filesystem::remove(path_ + "-shm");
    std::ofstream(path_, std::ios::binary | std::ios::trunc).write(full.data(), size);
    for (bool create : {true, false}) {
      auto l = Ledger::Open(path_, {.create_if_missing = create});
      ASSERT_FALSE(l.ok()) << size;
      EXPECT_EQ(l.status().code(), absl::StatusCode::kDataLoss) << size << l.status();
      EXPECT_THAT(l.status().message(), HasSubstr("is corrupted")) << size;
      EXPECT_EQ(std::filesystem::file_size(path_), size) << "the damaged file was modified";
    }
  }
}

TEST_F(LedgerTest, NewLedgerAppearsCompleteAndLeavesNoTemporaryFile) {
  auto ledger = OpenLedger();
  ASSERT_NE(ledger, nullptr);
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().string().find(".creating."), std::string::npos) << entry.path();
  }
}

// The schema of version 1 (dpkit <= commit 6e1d8c2), a fixture standing for existing files.
constexpr char kVersion1Ledger[] = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE datasets(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_us INTEGER NOT NULL);
CREATE TABLE privacy_units(id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  name TEXT NOT NULL, created_us INTEGER NOT NULL, UNIQUE(dataset_id, name));
CREATE TABLE budgets(id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL UNIQUE REFERENCES privacy_units(id),
  accountant TEXT NOT NULL, epsilon REAL NOT NULL, delta REAL NOT NULL, rho REAL NOT NULL,
  created_us INTEGER NOT NULL);
CREATE TABLE charges(id INTEGER PRIMARY KEY AUTOINCREMENT, budget_id INTEGER NOT NULL REFERENCES budgets(id),
  ts_us INTEGER NOT NULL, status TEXT NOT NULL, mechanism TEXT NOT NULL, privacy_maps TEXT NOT NULL,
  operation TEXT NOT NULL, caller TEXT NOT NULL, epsilon_spent REAL NOT NULL, delta_spent REAL NOT NULL,
  rho_spent REAL NOT NULL, note TEXT NOT NULL DEFAULT '');
CREATE INDEX charges_by_budget ON charges(budget_id, status, id);
CREATE TRIGGER charges_append_only_update BEFORE UPDATE ON charges
  BEGIN SELECT RAISE(ABORT, 'ledger charges are append-only'); END;
CREATE TRIGGER charges_append_only_delete BEFORE DELETE ON charges
  BEGIN SELECT RAISE(ABORT, 'ledger charges are append-only'); END;
INSERT INTO meta VALUES ('application', 'dpkit-ledger'), ('schema_version', '1'),
  ('created_at', '2024-01-01T00:00:00.000000Z');
INSERT INTO datasets VALUES (1, 'adult', 0);
INSERT INTO privacy_units VALUES (1, 1, 'user_id', 0);
INSERT INTO budgets VALUES (1, 1, 'basic', 2, 0, 0, 0);
INSERT INTO charges(budget_id, ts_us, status, mechanism, privacy_maps, operation, caller,
  epsilon_spent, delta_spent, rho_spent) VALUES
  (1, 1, 'charged', 'laplace', '[{"kind":"pure_dp","epsilon":0.5}]', 'q1', 'alice', 0.5, 0, 0),
  (1, 2, 'charged', 'laplace', '[{"kind":"pure_dp","epsilon":0.25}]', 'q2', 'alice', 0.75, 0, 0);
)sql";

TEST_F(LedgerTest, Version1LedgerIsUpgradedAndChainedOnOpen) {
  {
    RawDb raw(path_);
    ASSERT_EQ(raw.Exec(kVersion1Ledger), SQLITE_OK);
  }
  auto ledger = OpenLedger({.create_if_missing = false});
  ASSERT_NE(ledger, nullptr);
  RawDb raw(path_);
  EXPECT_EQ(raw.QueryText("SELECT value FROM meta WHERE key='schema_version'"), "2");
  auto report = ledger->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->num_charges, 2);
  EXPECT_THAT(report->chain_origin, HasSubstr("upgraded from schema version 1"));
  EXPECT_THAT(report->chain_origin, HasSubstr("over the 2 charge(s) already recorded"));
  auto st = ledger->Status("adult", "user_id");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->spent.epsilon, 0.75);
  auto r = ledger->Charge("adult", "user_id", {PrivacyMap::PureDp(0.25)}, "q3");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->charge_id, 3);
  EXPECT_TRUE(ledger->CheckIntegrity().ok());
  // Still append-only after the upgrade.
  EXPECT_NE(raw.Exec("UPDATE charges SET hash = ''"), SQLITE_OK);
}

// `--insecure-seed` releases: flagged in the row (and its hash), counted in full.
TEST_F(LedgerTest, InsecureSeedChargesAreRecordedAndCountInFull) {
  auto ledger = OpenLedger();
  ASSERT_TRUE(
      ledger->CreateBudget("d", "u", Budget::EpsilonDelta(1, 0), AccountantKind::kBasic).ok());
  auto r = ledger->Charge("d", "u", {PrivacyMap::PureDp(0.25)}, "seeded",
                          ChargeOptions{.caller = "ci", .insecure_seed = true});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->insecure_seed);
  EXPECT_EQ(r->spent.epsilon, 0.25);
  ASSERT_TRUE(ledger->Charge("d", "u", {PrivacyMap::PureDp(0.25)}, "secure").ok());
  auto st = ledger->Status("d", "u");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->num_insecure_seed, 1);
  EXPECT_EQ(st->spent.epsilon, 0.5);
  auto history = ledger->History("d", "u");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_TRUE((*history)[0].insecure_seed);
  EXPECT_EQ((*history)[0].caller, "ci");
  EXPECT_FALSE((*history)[1].insecure_seed);
  auto j = nlohmann::json::parse(*ledger->ExportJson());
  EXPECT_EQ(j["budgets"][0]["num_insecure_seed"], 1);
  EXPECT_EQ(j["budgets"][0]["charges"][0]["insecure_seed"], true);
  EXPECT_EQ(j["chain_head"]["id"], 2);
  EXPECT_EQ(j["chain_head"]["hash"], (*history)[1].hash);
  // The flag is covered by the chain: clearing it is tampering.
  RawDb raw(path_);
  ASSERT_EQ(raw.Exec("DROP TRIGGER charges_append_only_update; UPDATE charges SET "
                     "insecure_seed = 0"),
            SQLITE_OK);
  EXPECT_THAT(ledger->CheckIntegrity().message(), HasSubstr("charge #1 does not match its hash"));
}

TEST(BudgetLimitsTest, AbsurdBudgetsAreRejectedWithTheLimit) {
  const struct {
    Budget budget;
    AccountantKind kind;
    const char* want;
  } cases[] = {
      {Budget::EpsilonDelta(1e300, 0), AccountantKind::kBasic,
       "budget epsilon must be in [1e-06, 1000], got 1e+300"},
      {Budget::EpsilonDelta(1e-300, 0), AccountantKind::kBasic,
       "budget epsilon must be in [1e-06, 1000], got 1e-300"},
      {Budget::EpsilonDelta(1, 0.999999), AccountantKind::kBasic,
       "budget delta must be in [1e-30, 0.01], got 0.999999"},
      {Budget::Rho(1e9), AccountantKind::kZcdp, "budget rho must be in [1e-12, 100000], got"},
  };
  for (const auto& c : cases) {
    absl::Status s = ValidateBudget(c.budget, c.kind);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.want;
    EXPECT_THAT(s.message(), HasSubstr(c.want));
  }
  EXPECT_TRUE(ValidateBudget(Budget::EpsilonDelta(1000, 0.01), AccountantKind::kBasic).ok());
}

// Running out of delta was reported as "needs epsilon=inf".
TEST_F(LedgerTest, RunningOutOfDeltaSaysSo) {
  auto ledger = OpenLedger();
  ASSERT_TRUE(ledger->CreateBudget("d", "u", Budget::EpsilonDelta(1, 1e-6), AccountantKind::kBasic)
                  .ok());
  ASSERT_TRUE(ledger->Charge("d", "u", {PrivacyMap::ApproxDp(0.1, 1e-6)}, "first").ok());
  auto r = ledger->Charge("d", "u", {PrivacyMap::ApproxDp(0.1, 1e-6)}, "second");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr("delta budget exhausted"));
  EXPECT_THAT(r.status().message(), HasSubstr("needs delta=2e-06 at epsilon=1"));
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("inf")));
}

// Stored charges whose repetitions add up beyond PrivacyMap::kMaxRepetitions still compose.
TEST_F(LedgerTest, RepetitionsBeyondTheMapLimitFoldInGroups) {
  auto ledger = OpenLedger();
  ASSERT_TRUE(
      ledger->CreateBudget("d", "u", Budget::EpsilonDelta(10, 1e-6), AccountantKind::kRdp).ok());
  PrivacyMap m = PrivacyMap::Gaussian(1e8);
  m.repetitions = PrivacyMap::kMaxRepetitions;
  ASSERT_TRUE(ledger->Charge("d", "u", {m}, "a").ok());
  ASSERT_TRUE(ledger->Charge("d", "u", {m}, "b").ok());
  auto fresh = OpenLedger();  // folds both stored charges at once
  auto st = fresh->Status("d", "u");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_GT(st->spent.epsilon, 0);
  EXPECT_TRUE(fresh->CheckIntegrity().ok());
}

}  // namespace
}  // namespace dpkit::ledger
