// Reading the CSV tables a DP SQL query reads, as private data, typed from public inputs only.
//
// Column types come from the table's schema. A column the schema does not declare (every
// column of a table given without a schema) follows a public default rule that depends on the
// query text and the column names only, never on a cell: it is text, unless the query uses it
// as a number — aggregated by SUM, AVG, VARIANCE, STDDEV, MEDIAN or PERCENTILE, compared with a
// number, or in arithmetic in WHERE — and then it is a double whose cells that are not numbers
// (as the CSV reader parses a declared double column) are NULL. A table without a schema has
// no privacy unit: its rows are the units.
// Files are read with io::CsvReadOptions::private_data: errors name the file and the column and
// the kind of problem, never a cell or a line number. The notes say what the default rule
// assumed; they derive from public inputs, so they may be shown before the charge.
#ifndef DPKIT_ANALYTICS_SQL_TABLES_H_
#define DPKIT_ANALYTICS_SQL_TABLES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/analytics/sql.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/schema.h"

namespace dpkit::analytics {

struct CsvTableSource {
  std::string name;                  // the table's name in queries
  std::string path;                  // CSV file (may be gzip-compressed)
  std::string dataset;               // its budget's dataset in the ledger; "" = name
  std::optional<io::Schema> schema;  // the public schema, if one is given
  // CSV text held by the caller (e.g. a DataFrame written by the Python package), read under
  // the same rules instead of `path` when not empty; `path` then only names it in messages.
  std::string_view text;
};

struct LoadedTables {
  SqlCatalog catalog;              // the tables the query reads
  std::vector<std::string> notes;  // what the default typing rule assumed
};

// Reads the sources that `sql` reads (the others are not opened). `dialect` gives the CSV
// dialect (delimiter, header, column names, null tokens); schema and private_data are set here.
// InvalidArgument when the query names a table that is not among the sources.
absl::StatusOr<LoadedTables> LoadCsvTablesForQuery(const std::string& sql,
                                                   const std::vector<CsvTableSource>& sources,
                                                   const io::CsvReadOptions& dialect);

}  // namespace dpkit::analytics

#endif  // DPKIT_ANALYTICS_SQL_TABLES_H_
