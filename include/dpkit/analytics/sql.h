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
// The pipeline is parser -> binder (names, types, bounds, unit) -> planner (bounding, noise,
// budget split; EXPLAIN) -> executor (filter, engine, HAVING/ORDER BY/LIMIT as post-processing
// of noisy values). EXPLAIN spends nothing.
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

namespace dpkit::analytics {

class SqlCatalog {
 public:
  // Registers a table; the schema's privacy unit and bounds govern every query on it.
  absl::Status AddTable(const std::string& name, io::Table table, io::Schema schema);
  std::vector<std::string> TableNames() const;

  struct Entry {
    io::Table table;
    io::Schema schema;
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
  std::string explain_text;  // EXPLAIN output (also filled for normal queries)
  QueryPlan plan;
  std::vector<std::string> column_names;
  std::vector<bool> column_is_key;
  std::vector<std::vector<SqlCell>> rows;
  std::vector<std::string> notes;
};

// Parses, binds and plans; for EXPLAIN returns the plan without touching the data or charging.
// Otherwise charges through options.charge, then runs.
absl::StatusOr<SqlResult> ExecuteSql(const std::string& sql, const SqlCatalog& catalog,
                                     const SqlOptions& sql_options,
                                     const ExecutionOptions& exec_options);

}  // namespace dpkit::analytics

#endif  // DPKIT_ANALYTICS_SQL_H_
