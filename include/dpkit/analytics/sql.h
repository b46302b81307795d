// DP SQL: run `SELECT ... GROUP BY ...` queries against CSV-backed tables with differential
// privacy. Dialect (docs/sql.md):
//
//   [EXPLAIN] SELECT <key columns>, <aggregates>
//   FROM t [AS a] [JOIN u [AS b] ON a.<privacy unit> = b.<col>]
//   [WHERE <condition>] [GROUP BY <columns>] [HAVING <condition on released values>]
//   [ORDER BY <output> [ASC|DESC], ...] [LIMIT n]
//   [WITH EPSILON e, DELTA d, MAX_GROUPS k, MAX_ROWS m, CONFIDENCE c, MECHANISM laplace|gaussian,
//         PARTITION_SELECTION truncated_geometric|laplace|gaussian]
//
// Aggregates: COUNT(*), COUNT(col), COUNT(DISTINCT <privacy unit>), SUM, AVG/MEAN,
// VARIANCE/VAR, STDDEV/STD, MEDIAN, PERCENTILE(col, p) with p in [0,1] or 0..100,
// QUANTILE(col, p); bounds come from the schema or inline: SUM(income BETWEEN 0 AND 200000).
// The pipeline is parser -> binder (names, types, bounds, unit; no row is read) -> planner
// (bounding, noise, budget split; EXPLAIN) -> charge (the budget of every table read) ->
// executor (join, filter, engine, HAVING/ORDER BY/LIMIT as post-processing of noisy values).
// EXPLAIN spends nothing.
//
// Budgets (docs/sql.md): each table a query reads is one budget, (the table's dataset, its
// schema's privacy unit), charged the query's full cost with that unit's neighbouring relation
// ("add/remove all rows of one <unit>", or one row). A ledger budget kept for another unit is
// refused. A JOIN keeps the FROM table's unit; the JOIN table must have no privacy unit or have
// it as its join column (scope.h in src/analytics/sql/binder).
#ifndef DPKIT_ANALYTICS_SQL_H_
#define DPKIT_ANALYTICS_SQL_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/analytics/query.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/release/release.h"

namespace dpkit::analytics {

class SqlCatalog {
 public:
  // Registers a table; the schema's privacy unit and bounds govern every query on it, and a
  // query reading it is charged to the budget (`dataset`, the schema's privacy unit); dataset
  // "" = the table name.
  absl::Status AddTable(const std::string& name, io::Table table, io::Schema schema,
                        const std::string& dataset = "");
  std::vector<std::string> TableNames() const;

  struct Entry {
    io::Table table;
    io::Schema schema;
    std::string name;
    std::string dataset;
  };
  const std::map<std::string, std::shared_ptr<const Entry>>& entries() const { return tables_; }

 private:
  std::map<std::string, std::shared_ptr<const Entry>> tables_;
};

struct SqlOptions {
  // Used when the query has no WITH EPSILON / DELTA.
  std::optional<double> epsilon;
  std::optional<double> delta;
  int64_t max_groups_per_unit = 1;
  int64_t max_rows_per_group = 1;
  double confidence = 0.95;
  NoiseKind noise = NoiseKind::kLaplace;
};

struct SqlCell {
  bool is_key = false;
  std::string key;      // for key columns
  ReleasedValue value;  // for aggregate columns
};

struct SqlResult {
  bool explain = false;
  // The plan, and for EXPLAIN the budget preview of every table read.
  std::string explain_text;
  QueryPlan plan;
  std::vector<release::ReleasePlan> releases;  // one per table read (budget charged)
  std::vector<ledger::Receipt> receipts;       // the charges made (none for EXPLAIN)
  std::vector<std::string> column_names;
  std::vector<bool> column_is_key;
  std::vector<std::vector<SqlCell>> rows;
  std::vector<std::string> notes;
};

// The release protocol for one statement: parses, binds and plans from public inputs only.
// EXPLAIN returns the plan and previews every budget through `charger` (null: no preview),
// spending nothing. Otherwise `charger` is required: the budget of every table read is charged
// (all or none) before any row is read, then the query runs. A failure after the charge says
// what was spent (release::ChargedFailure).
absl::StatusOr<SqlResult> ExecuteSql(const std::string& sql, const SqlCatalog& catalog,
                                     const SqlOptions& sql_options, release::Charger* charger,
                                     const ExecutionOptions& exec_options);

// What a statement is, from its text alone (public): whether it is EXPLAIN, and the tables it
// reads as it names them (FROM, then JOIN). InvalidArgument for a syntax error.
struct SqlStatementInfo {
  bool explain = false;
  std::vector<std::string> tables;
};
absl::StatusOr<SqlStatementInfo> InspectSql(const std::string& sql);

}  // namespace dpkit::analytics

#endif  // DPKIT_ANALYTICS_SQL_H_
