#include "dpkit/analytics/sql.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "analytics/sql/binder/binder.h"
#include "analytics/sql/executor/executor.h"
#include "analytics/sql/parser/parser.h"
#include "analytics/sql/planner/planner.h"
#include "dpkit/base/status.h"

namespace dpkit::analytics {

absl::Status SqlCatalog::AddTable(const std::string& name, io::Table table, io::Schema schema,
                                  const std::string& dataset) {
  if (name.empty()) return absl::InvalidArgumentError("table name must not be empty");
  for (const auto& [n, e] : tables_) {
    if (absl::AsciiStrToLower(n) == absl::AsciiStrToLower(name)) {
      return absl::InvalidArgumentError(absl::StrCat("table '", name, "' registered twice"));
    }
  }
  DPKIT_RETURN_IF_ERROR(schema.CheckTable(table));
  auto e = std::make_shared<Entry>();
  e->table = std::move(table);
  e->schema = std::move(schema);
  e->name = name;
  e->dataset = dataset.empty() ? name : dataset;
  tables_[name] = std::move(e);
  return absl::OkStatus();
}

std::vector<std::string> SqlCatalog::TableNames() const {
  std::vector<std::string> names;
  for (const auto& [n, e] : tables_) names.push_back(n);
  return names;
}

absl::StatusOr<SqlResult> ExecuteSql(const std::string& text, const SqlCatalog& catalog,
                                     const SqlOptions& o, release::Charger* charger,
                                     const ExecutionOptions& exec) {
  DPKIT_ASSIGN_OR_RETURN(sql::SelectStatement stmt, sql::ParseSql(text));
  DPKIT_ASSIGN_OR_RETURN(sql::BoundQuery bound,
                         sql::Bind(stmt, text, catalog.entries(), sql::DefaultsOf(o)));
  DPKIT_ASSIGN_OR_RETURN(sql::SqlPlan plan, sql::PlanSql(bound));
  return sql::Execute(bound, plan, charger, exec, text);
}

absl::StatusOr<SqlStatementInfo> InspectSql(const std::string& text) {
  DPKIT_ASSIGN_OR_RETURN(sql::SelectStatement stmt, sql::ParseSql(text));
  SqlStatementInfo info;
  info.explain = stmt.explain;
  info.tables.push_back(stmt.from.name);
  if (stmt.join) info.tables.push_back(stmt.join->table.name);
  return info;
}

}  // namespace dpkit::analytics
