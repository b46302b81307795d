// Test-only entry points of the analytics engine. NOT PRIVATE: never reachable from the CLI.
#ifndef DPKIT_SRC_ANALYTICS_TESTING_HOOKS_H_
#define DPKIT_SRC_ANALYTICS_TESTING_HOOKS_H_

#include "dpkit/analytics/query.h"
#include "dpkit/analytics/sql.h"

namespace dpkit::analytics::testing {

// Runs a query with every noise draw replaced by zero and partition selection replaced by its
// deterministic median rule (keep a group iff its keep probability is >= 1/2). Used by the
// sqllogictest-style tests to check bounding, filtering, grouping and aggregation exactly.
absl::StatusOr<QueryResult> RunQueryWithoutNoise(const io::Table& table, const io::Schema& schema,
                                                 const QuerySpec& spec,
                                                 const ExecutionOptions& options);

// ExecuteSql with the same zero-noise replacement.
absl::StatusOr<SqlResult> ExecuteSqlWithoutNoise(const std::string& text, const SqlCatalog& catalog,
                                                 const SqlOptions& options,
                                                 const ExecutionOptions& exec);

}  // namespace dpkit::analytics::testing

#endif  // DPKIT_SRC_ANALYTICS_TESTING_HOOKS_H_
