// Binder: resolves a parsed statement against a catalog of tables (CSV data + schema) into a
// QuerySpec for the engine plus the post-processing the SQL layer applies to noisy results
// (HAVING, ORDER BY, LIMIT). Attaches bounds, the privacy unit and public keys from the schema.
#ifndef DPKIT_SRC_ANALYTICS_SQL_BINDER_BINDER_H_
#define DPKIT_SRC_ANALYTICS_SQL_BINDER_BINDER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
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

// One output column of the SELECT list.
struct OutputColumn {
  std::string name;
  bool is_key = false;
  int index = 0;  // into QuerySpec::group_by (key) or QuerySpec::aggregates (aggregate)
  std::string expr_text;  // e.g. "AVG(age)" for HAVING/ORDER BY matching
};

struct BoundQuery {
  bool explain = false;
  std::shared_ptr<const CatalogTable> source;  // the (joined) table the engine reads
  std::shared_ptr<CatalogTable> owned;         // set when the binder built a joined table
  QuerySpec spec;
  std::vector<OutputColumn> outputs;
  const Expr* where = nullptr;   // into the statement (must outlive the BoundQuery)
  const Expr* having = nullptr;
  // Resolves column references of WHERE against `source` (handles aliases and join renames).
  std::function<absl::StatusOr<int>(const Expr&)> resolver;
  std::vector<OrderItem> order_by;
  std::optional<long long> limit;
};

absl::StatusOr<BoundQuery> Bind(const SelectStatement& stmt, const std::string& text,
                                const Catalog& catalog, const QueryDefaults& defaults);

}  // namespace dpkit::analytics::sql

#endif  // DPKIT_SRC_ANALYTICS_SQL_BINDER_BINDER_H_
