// Binder: resolves a parsed statement against a catalog of tables (data + schema) into a
// QuerySpec for the engine plus the post-processing the SQL layer applies to noisy results
// (HAVING, ORDER BY, LIMIT). Attaches bounds, the privacy unit and public keys from the schema.
// Binding reads no row of any table: it works on the tables' zero-row slices (names, types,
// schemas), and the JOIN itself runs in the executor, after the charge (scope.h).
#ifndef DPKIT_SRC_ANALYTICS_SQL_BINDER_BINDER_H_
#define DPKIT_SRC_ANALYTICS_SQL_BINDER_BINDER_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analytics/sql/binder/scope.h"
#include "analytics/sql/parser/ast.h"
#include "dpkit/analytics/query.h"
#include "dpkit/analytics/sql.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"

namespace dpkit::analytics::sql {

using CatalogTable = SqlCatalog::Entry;

// Table name -> table. Names are matched case-insensitively.
using Catalog = std::map<std::string, std::shared_ptr<const CatalogTable>>;

// Session defaults, overridden by the query's WITH clause.
struct QueryDefaults {
  std::optional<double> epsilon;
  std::optional<double> delta;
  int64_t max_groups_per_unit = 1;
  int64_t max_rows_per_group = 1;
  double confidence = 0.95;
  NoiseKind noise = NoiseKind::kLaplace;
};

// The session defaults of ExecuteSql's options.
QueryDefaults DefaultsOf(const SqlOptions& options);

// One output column of the SELECT list.
struct OutputColumn {
  std::string name;
  bool is_key = false;
  bool numeric_key = false;  // a key of a numeric column (by its type, not its values)
  int index = 0;  // into QuerySpec::group_by (key) or QuerySpec::aggregates (aggregate)
  std::string expr_text;  // e.g. "AVG(age)" for HAVING/ORDER BY matching
};

// A table the statement reads: each is one budget charged (its dataset, its privacy unit).
struct TableRead {
  std::string name;  // as registered in the catalog
  std::shared_ptr<const CatalogTable> entry;
};

struct BoundQuery {
  bool explain = false;
  std::vector<TableRead> reads;  // the FROM table, then the JOIN table if it is another one
  std::shared_ptr<const CatalogTable> from;
  std::shared_ptr<const CatalogTable> join;  // null without JOIN
  std::shared_ptr<const TableScope> scope;
  // The zero-row (joined) table and its schema: all that binding and planning see.
  CatalogTable shape;
  QuerySpec spec;
  std::vector<OutputColumn> outputs;
  const Expr* where = nullptr;   // into the statement (must outlive the BoundQuery)
  const Expr* having = nullptr;
  std::vector<OrderItem> order_by;
  std::optional<long long> limit;
};

absl::StatusOr<BoundQuery> Bind(const SelectStatement& stmt, const std::string& text,
                                const Catalog& catalog, const QueryDefaults& defaults);

// A column of a table the statement reads.
struct TableColumn {
  std::string table;   // catalog name
  std::string column;
  bool operator<(const TableColumn& o) const {
    return table != o.table ? table < o.table : column < o.column;
  }
};

// The columns the statement uses as numbers: aggregated by SUM, AVG, VARIANCE, STDDEV, MEDIAN
// or PERCENTILE; compared with a number (=, <>, <, <=, >, >=, BETWEEN, IN); operands of
// arithmetic or unary minus in WHERE. From the text and the tables' column names alone.
absl::StatusOr<std::set<TableColumn>> NumericColumns(const SelectStatement& stmt,
                                                     const std::string& text,
                                                     const Catalog& catalog);

}  // namespace dpkit::analytics::sql

#endif  // DPKIT_SRC_ANALYTICS_SQL_BINDER_BINDER_H_
