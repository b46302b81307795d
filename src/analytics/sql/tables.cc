#include "dpkit/analytics/sql_tables.h"

#include <map>
#include <memory>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "analytics/sql/binder/binder.h"
#include "analytics/sql/parser/parser.h"
#include "dpkit/base/status.h"

namespace dpkit::analytics {
namespace {

using Entry = SqlCatalog::Entry;

io::ColumnSchema DoubleColumn(const std::string& name) {
  io::ColumnSchema c;
  c.name = name;
  c.type = io::DataType::kDouble;
  return c;
}

// A text column as doubles: each distinct value parsed once by the CSV reader under the same
// rules as a declared double column of private data (a value that is not a number is NULL).
absl::StatusOr<io::Column> TextAsDouble(const io::Column& text) {
  std::string csv = "v\n";
  for (const std::string& value : text.dictionary()) {
    io::AppendCsvField(value, ',', "", &csv);
    csv += '\n';
  }
  io::CsvReadOptions o;
  io::Schema schema;
  schema.columns.push_back(DoubleColumn("v"));
  o.schema = schema;
  o.private_data = true;
  o.num_threads = 1;
  DPKIT_ASSIGN_OR_RETURN(io::Table parsed, io::ReadCsvString(csv, o));
  const io::Column& by_code = parsed.column(0);
  std::vector<double> values(static_cast<size_t>(text.size()), 0.0);
  std::vector<uint8_t> valid(values.size(), 0);
  for (size_t i = 0; i < values.size(); ++i) {
    const int32_t code = text.codes()[i];
    if (code < 0 || by_code.IsNull(code)) continue;
    values[i] = by_code.double_values()[code];
    valid[i] = 1;
  }
  return io::Column::Double(text.name(), std::move(values), std::move(valid));
}

// The source named `table` (case-insensitively), or InvalidArgument listing the sources.
absl::StatusOr<const CsvTableSource*> FindSource(const std::vector<CsvTableSource>& sources,
                                                 const std::string& table) {
  std::vector<std::string> names;
  for (const CsvTableSource& s : sources) {
    if (absl::AsciiStrToLower(s.name) == absl::AsciiStrToLower(table)) return &s;
    names.push_back(s.name);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown table '", table, "' (available: ",
                                                 absl::StrJoin(names, ", "), ")"));
}

}  // namespace

absl::StatusOr<LoadedTables> LoadCsvTablesForQuery(const std::string& sql,
                                                   const std::vector<CsvTableSource>& sources,
                                                   const io::CsvReadOptions& dialect) {
  DPKIT_ASSIGN_OR_RETURN(sql::SelectStatement stmt, sql::ParseSql(sql));
  std::vector<std::string> read = {stmt.from.name};
  if (stmt.join) read.push_back(stmt.join->table.name);
  LoadedTables out;
  std::map<std::string, std::shared_ptr<Entry>> tables;
  sql::Catalog view;
  for (const std::string& name : read) {
    DPKIT_ASSIGN_OR_RETURN(const CsvTableSource* source, FindSource(sources, name));
    if (tables.count(source->name)) continue;
    io::CsvReadOptions o = dialect;
    o.schema = source->schema;
    o.private_data = true;
    o.owner_diagnostics = false;
    auto entry = std::make_shared<Entry>();
    if (source->text.empty()) {
      DPKIT_ASSIGN_OR_RETURN(entry->table, io::ReadCsv(source->path, o));
    } else {
      o.source_name = source->path.empty() ? source->name : source->path;
      DPKIT_ASSIGN_OR_RETURN(entry->table, io::ReadCsvString(source->text, o));
    }
    entry->schema = source->schema.value_or(io::Schema());
    entry->name = source->name;
    entry->dataset = source->dataset.empty() ? source->name : source->dataset;
    if (!source->schema) {
      out.notes.push_back(absl::StrCat(
          "table '", source->name, "' has no schema: its rows are the privacy units "
          "(neighbouring: add/remove one row), and its columns are text unless the query uses "
          "them as numbers"));
    }
    view[source->name] = entry;
    tables[source->name] = std::move(entry);
  }
  DPKIT_ASSIGN_OR_RETURN(std::set<sql::TableColumn> numeric,
                         sql::NumericColumns(stmt, sql, view));
  for (const sql::TableColumn& tc : numeric) {
    Entry& e = *tables.at(tc.table);
    if (e.schema.Find(tc.column) != nullptr) continue;  // declared: its type rules
    DPKIT_ASSIGN_OR_RETURN(int index, e.table.ColumnIndex(tc.column));
    DPKIT_ASSIGN_OR_RETURN(io::Column as_double, TextAsDouble(e.table.column(index)));
    DPKIT_RETURN_IF_ERROR(e.table.ReplaceColumn(std::move(as_double)));
    e.schema.columns.push_back(DoubleColumn(tc.column));
    out.notes.push_back(absl::StrCat(
        "column '", tc.column, "' of table '", tc.table, "' is not in a schema: read as a number "
        "(double) because the query uses it as one; its cells that are not numbers are NULL"));
  }
  view.clear();
  for (auto& [name, e] : tables) {
    DPKIT_RETURN_IF_ERROR(
        out.catalog.AddTable(name, std::move(e->table), std::move(e->schema), e->dataset));
  }
  return out;
}

}  // namespace dpkit::analytics
