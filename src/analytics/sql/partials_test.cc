#include "dpkit/analytics/sql_partials.h"

#include <algorithm>
#include <string>
#include <vector>

#include "analytics/test_ledger.h"
#include "dpkit/analytics/sql_tables.h"
#include "dpkit/base/status.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::analytics {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kColumns = {"uid", "region", "amount", "age", "note", "extra"};

// 300 units with 1-8 rows each over 7 regions, rows of different units interleaved.
struct Row {
  int uid, region;
  double amount;
  int age;
  bool skip;
};
std::vector<Row> MakeRows() {
  std::vector<Row> rows;
  uint64_t x = 12345;
  auto next = [&x](int mod) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int>((x >> 33) % static_cast<uint64_t>(mod));
  };
  for (int pass = 0; pass < 8; ++pass) {
    for (int u = 0; u < 300; ++u) {
      if (pass >= 1 + u % 8) continue;
      rows.push_back({u, next(7), next(12000) / 100.0, next(90), next(10) == 0});
    }
  }
  return rows;
}

// CSV text of `rows` with `columns` (a subset of kColumns, in that order).
std::string Csv(const std::vector<Row>& rows, const std::vector<std::string>& columns) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + columns[i];
  out += '\n';
  for (const Row& r : rows) {
    std::vector<std::string> cells;
    for (const std::string& c : columns) {
      if (c == "uid") cells.push_back(std::to_string(r.uid));
      if (c == "region") cells.push_back("r" + std::to_string(r.region));
      if (c == "amount") cells.push_back(std::to_string(r.amount));
      if (c == "age") cells.push_back(std::to_string(r.age));
      if (c == "note") cells.push_back(r.skip ? "skip" : "keep");
      if (c == "extra") cells.push_back("x");
    }
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cells[i];
    out += '\n';
  }
  return out;
}

io::Schema TestSchema() {
  auto schema = io::Schema::FromJson(R"({"privacy_unit": "uid", "columns": [
      {"name": "uid", "type": "int64"}, {"name": "region", "type": "string"},
      {"name": "amount", "type": "double", "lower": 0, "upper": 100},
      {"name": "age", "type": "int64", "lower": 0, "upper": 100},
      {"name": "extra", "type": "string"}]})");
  EXPECT_TRUE(schema.ok()) << schema.status();
  return *schema;
}

const char* kSql =
    "SELECT region, COUNT(*) AS n, SUM(amount) AS s, AVG(amount), VARIANCE(age), "
    "MEDIAN(amount) FROM t WHERE age >= 20 AND note <> 'skip' GROUP BY region HAVING n > 5 "
    "ORDER BY s DESC WITH EPSILON 2, DELTA 1e-5, MAX_GROUPS 2, MAX_ROWS 2";

SlicedTable Shape() { return {"t", kColumns, TestSchema(), "d"}; }

absl::StatusOr<SqlResult> OnePass(const std::string& sql, release::Charger& charger,
                                  random::BitGenerator& rng) {
  const std::string text = Csv(MakeRows(), kColumns);
  CsvTableSource source{"t", "t", "d", TestSchema(), text};
  DPKIT_ASSIGN_OR_RETURN(LoadedTables tables, LoadCsvTablesForQuery(sql, {source}, {}));
  ExecutionOptions exec;
  exec.rng = &rng;
  return ExecuteSql(sql, tables.catalog, {}, &charger, exec);
}

// The slices of a hash partitioning by unit, each in table order, with the slice columns only.
std::vector<std::string> Slices(const SqlOverPartials& q, int n) {
  std::vector<std::vector<Row>> parts(n);
  for (const Row& r : MakeRows()) parts[(r.uid * 7919) % n].push_back(r);
  std::vector<std::string> out;
  for (const auto& p : parts) out.push_back(Csv(p, q.slice_columns()));
  return out;
}

// Computes every slice's partial, splits them by group and merges the pieces in reverse order.
PartialAggregates MergeBySliceAndGroup(const SqlOverPartials& q, uint64_t salt, int n) {
  std::vector<PartialAggregates> pieces;
  for (const std::string& text : Slices(q, n)) {
    CsvTableSource slice{"t", "slice", "d", q.slice_schema(), text};
    auto partial = ComputeSqlPartial(kSql, slice, {}, {}, salt);
    EXPECT_TRUE(partial.ok()) << partial.status();
    for (auto& [key, piece] : partial->SplitByGroup()) pieces.push_back(std::move(piece));
  }
  std::reverse(pieces.begin(), pieces.end());
  PartialAggregates merged = std::move(pieces.front());
  for (size_t i = 1; i < pieces.size(); ++i) EXPECT_TRUE(merged.Merge(pieces[i]).ok());
  return merged;
}

void ExpectSameRows(const SqlResult& a, const SqlResult& b) {
  ASSERT_EQ(a.column_names, b.column_names);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  ASSERT_GT(a.rows.size(), 0u);
  for (size_t r = 0; r < a.rows.size(); ++r) {
    for (size_t c = 0; c < a.column_names.size(); ++c) {
      EXPECT_EQ(a.rows[r][c].key, b.rows[r][c].key);
      EXPECT_EQ(a.rows[r][c].value.value, b.rows[r][c].value.value) << r << "," << c;
      EXPECT_EQ(a.rows[r][c].value.ci_lower, b.rows[r][c].value.ci_lower);
      EXPECT_EQ(a.rows[r][c].value.ci_upper, b.rows[r][c].value.ci_upper);
    }
  }
}

// Slices by unit, merged in any grouping, give ExecuteSql's release on the whole table for the
// same generator: same salt, kept rows, sums, selected groups and noise (secure-noise
// mechanisms driven by a seeded generator), and the same ReleasePlan charged.
TEST(SqlOverPartialsTest, SlicesReleaseWhatOnePassReleases) {
  auto one_ledger = testing::TestLedger("partials_one.db", {{"d", "uid"}});
  random::testing::SeededRng one_rng(7);
  auto one = OnePass(kSql, *one_ledger, one_rng);
  ASSERT_TRUE(one.ok()) << one.status();

  auto ledger = testing::TestLedger("partials_sliced.db", {{"d", "uid"}});
  auto q = SqlOverPartials::Plan(kSql, Shape(), {});
  ASSERT_TRUE(q.ok()) << q.status();
  random::testing::SeededRng rng(7);
  auto salt = q->Charge(*ledger, rng);
  ASSERT_TRUE(salt.ok()) << salt.status();
  ExecutionOptions exec;
  exec.rng = &rng;
  auto sliced = q->Release(MergeBySliceAndGroup(*q, *salt, 5), exec);
  ASSERT_TRUE(sliced.ok()) << sliced.status();
  ExpectSameRows(*one, *sliced);

  ASSERT_EQ(one->releases.size(), 1u);
  EXPECT_EQ(q->release_plan().operation, one->releases[0].operation);
  ASSERT_EQ(q->release_plan().maps.size(), one->releases[0].maps.size());
  for (size_t i = 0; i < q->release_plan().maps.size(); ++i) {
    EXPECT_EQ(q->release_plan().maps[i].ToJson(), one->releases[0].maps[i].ToJson());
  }
  EXPECT_EQ(q->release_plan().steps, one->releases[0].steps);
  ASSERT_EQ(sliced->receipts.size(), 1u);
  EXPECT_EQ(sliced->receipts[0].dataset, "d");
}

TEST(SqlOverPartialsTest, SlicesNeedOnlyTheColumnsTheStatementReads) {
  auto q = SqlOverPartials::Plan(kSql, Shape(), {});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->slice_columns(),
            (std::vector<std::string>{"uid", "region", "amount", "age", "note"}));
  ASSERT_TRUE(q->slice_schema().has_value());
  EXPECT_EQ(q->slice_schema()->ColumnNames(),
            (std::vector<std::string>{"uid", "region", "amount", "age"}));
  EXPECT_EQ(q->slice_schema()->privacy_unit, "uid");
}

// Plan -> Charge -> Release, once each, in that order; partials of another salt are refused.
TEST(SqlOverPartialsTest, ReleaseNeedsItsChargeAndHappensOnce) {
  auto ledger = testing::TestLedger("partials_protocol.db", {{"d", "uid"}});
  auto q = SqlOverPartials::Plan(kSql, Shape(), {});
  ASSERT_TRUE(q.ok()) << q.status();
  random::testing::SeededRng rng(1);
  ExecutionOptions exec;
  exec.rng = &rng;
  PartialAggregates guessed = MergeBySliceAndGroup(*q, 42, 2);
  EXPECT_EQ(q->Release(guessed, exec).status().code(), absl::StatusCode::kFailedPrecondition);
  auto salt = q->Charge(*ledger, rng);
  ASSERT_TRUE(salt.ok()) << salt.status();
  EXPECT_EQ(q->Charge(*ledger, rng).status().code(), absl::StatusCode::kFailedPrecondition);
  absl::Status wrong_salt = q->Release(guessed, exec).status();
  EXPECT_EQ(wrong_salt.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong_salt.message(), HasSubstr("the ledger was charged"));
  // The failed release used the charge.
  EXPECT_EQ(q->Release(MergeBySliceAndGroup(*q, *salt, 2), exec).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SqlOverPartialsTest, RefusedChargeDrawsNoSalt) {
  auto ledger = testing::TestLedger("partials_refused.db", {{"d", "uid"}}, /*epsilon=*/1);
  auto q = SqlOverPartials::Plan(kSql, Shape(), {});
  ASSERT_TRUE(q.ok()) << q.status();
  random::testing::SeededRng rng(1), fresh(1);
  EXPECT_EQ(q->Charge(*ledger, rng).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(rng.NextU64(), fresh.NextU64());
  ExecutionOptions exec;
  exec.rng = &rng;
  EXPECT_EQ(q->Release(PartialAggregates(), exec).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SqlOverPartialsTest, PlanRefusesWhatSlicesCannotRun) {
  auto join = SqlOverPartials::Plan(
      "SELECT COUNT(*) FROM t JOIN u ON t.uid = u.uid WITH EPSILON 1", Shape(), {});
  EXPECT_THAT(join.status().message(), HasSubstr("JOIN"));
  auto no_bounds = SqlOverPartials::Plan("SELECT SUM(x) FROM t WITH EPSILON 1",
                                         {"t", {"uid", "x"}, std::nullopt, ""}, {});
  EXPECT_THAT(no_bounds.status().message(), HasSubstr("bounds"));
  auto unknown = SqlOverPartials::Plan("SELECT COUNT(*) FROM t WHERE nope = 1 WITH EPSILON 1",
                                       Shape(), {});
  EXPECT_THAT(unknown.status().message(), HasSubstr("nope"));
}

TEST(SqlOverPartialsTest, ExplainSpendsNothing) {
  auto ledger = testing::TestLedger("partials_explain.db", {{"d", "uid"}});
  auto q = SqlOverPartials::Plan(std::string("EXPLAIN ") + kSql, Shape(), {});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_TRUE(q->explain());
  EXPECT_THAT(q->ExplainText(ledger.get()), HasSubstr("EXPLAIN spends no budget"));
  random::testing::SeededRng rng(1);
  EXPECT_EQ(q->Charge(*ledger, rng).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dpkit::analytics
