// Vectorised evaluation of WHERE expressions over a table, with SQL three-valued logic
// (NULL compared with anything is unknown; rows whose predicate is not TRUE are filtered out).
// Supported: column refs, numeric/string/bool literals, + - * /, comparisons, AND/OR/NOT,
// [NOT] IN, [NOT] BETWEEN, IS [NOT] NULL, [NOT] LIKE ('%' and '_' wildcards). String columns are
// compared through their dictionaries (each distinct value evaluated once).
#ifndef DPKIT_SRC_ANALYTICS_SQL_EXECUTOR_FILTER_H_
#define DPKIT_SRC_ANALYTICS_SQL_EXECUTOR_FILTER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analytics/sql/parser/ast.h"
#include "dpkit/io/table.h"

namespace dpkit::analytics::sql {

// Maps a column reference to a table column index (or an error naming the column).
using ColumnResolver = std::function<absl::StatusOr<int>(const Expr& column_ref)>;

// 1 = keep. `text` is the query text (for error positions).
absl::StatusOr<std::vector<uint8_t>> EvaluateFilter(const Expr& where, const io::Table& table,
                                                    const ColumnResolver& resolve,
                                                    const std::string& text);

}  // namespace dpkit::analytics::sql

#endif  // DPKIT_SRC_ANALYTICS_SQL_EXECUTOR_FILTER_H_
