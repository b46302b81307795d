#include "publish/data_tables.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/unit_bounding.h"
#include "publish/category_matcher.h"

namespace dpkit::publish {
namespace {

// Per row of a table: its last-level geography unit and a category per table variable.
struct Classified {
  std::vector<int> leaf;                   // -1: code not listed
  std::vector<std::vector<int>> category;  // [variable id][row]; empty for unused variables
  std::vector<int64_t> universe;           // rows with a listed code and every category
};

std::vector<bool> UsedVariables(const PublicationPlan& plan) {
  std::vector<bool> used(plan.spec.variables.size(), false);
  for (const TablePlan& t : plan.tables) {
    for (int v : t.layout.variables()) used[v] = true;
  }
  return used;
}

io::Schema ReadSchema(const PublicationSpec& spec) {
  io::Schema schema;
  schema.null_tokens = spec.null_tokens;
  auto add = [&](const std::string& name, io::DataType type) {
    if (schema.Find(name) != nullptr) return;
    io::ColumnSchema column;
    column.name = name;
    column.type = type;
    schema.columns.push_back(std::move(column));
  };
  add(spec.geography.column, io::DataType::kString);
  if (!spec.privacy_unit.column.empty()) add(spec.privacy_unit.column, io::DataType::kString);
  for (const TableSpec& t : spec.tables) {
    for (const std::string& name : t.variables) {
      const VariableSpec* v = spec.FindVariable(name);
      add(v->column, v->type);
    }
  }
  return schema;
}

absl::StatusOr<Classified> Classify(const PublicationPlan& plan, const io::Table& table) {
  Classified out;
  DPKIT_ASSIGN_OR_RETURN(const io::Column* geo, table.ColumnByName(plan.spec.geography.column));
  std::vector<int> leaf_of_code;
  for (const std::string& code : geo->dictionary()) {
    leaf_of_code.push_back(plan.geography.LeafUnitOf(code));
  }
  out.leaf.assign(static_cast<size_t>(table.num_rows()), -1);
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    if (!geo->IsNull(r)) out.leaf[r] = leaf_of_code[geo->codes()[r]];
  }
  const std::vector<bool> used = UsedVariables(plan);
  out.category.resize(plan.spec.variables.size());
  for (size_t v = 0; v < used.size(); ++v) {
    if (!used[v]) continue;
    const VariableSpec& spec = plan.spec.variables[v];
    DPKIT_ASSIGN_OR_RETURN(const io::Column* column, table.ColumnByName(spec.column));
    DPKIT_ASSIGN_OR_RETURN(out.category[v], CategoryMatcher(spec).Match(*column));
  }
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    bool in = out.leaf[r] >= 0;
    for (size_t v = 0; v < used.size() && in; ++v) {
      in = !used[v] || out.category[v][r] != kNoCategory;
    }
    if (in) out.universe.push_back(r);
  }
  return out;
}

// Rows that stand for their unit in unit tables: the first kept row of each unit.
std::vector<bool> FirstRowOfUnit(const io::Table& table, const std::string& unit_column) {
  std::vector<bool> first(static_cast<size_t>(table.num_rows()), false);
  if (unit_column.empty()) return first;
  const io::Column& units = **table.ColumnByName(unit_column);
  std::vector<bool> seen(units.dictionary().size(), false);
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    if (units.IsNull(r) || seen[units.codes()[r]]) continue;
    seen[units.codes()[r]] = true;
    first[r] = true;
  }
  return first;
}

TableSet Count(const PublicationPlan& plan, const Classified& rows,
               const std::vector<bool>& unit_representative) {
  TableSet counts = TableSet::Zeros(plan);
  std::vector<int> categories;
  for (int64_t r : rows.universe) {
    for (size_t t = 0; t < plan.tables.size(); ++t) {
      const TablePlan& table = plan.tables[t];
      if (table.count == CountedEntity::kUnits && !unit_representative[r]) continue;
      categories.clear();
      for (int v : table.layout.variables()) categories.push_back(rows.category[v][r]);
      const int cell = table.layout.Index(categories);
      for (int l = 0; l < plan.geography.num_levels(); ++l) {
        counts.at(l, static_cast<int>(t), plan.geography.AncestorOf(rows.leaf[r], l),
                  table.layout.num_cells(), cell) += 1;
      }
    }
  }
  return counts;
}

io::CsvReadOptions ReadOptions(const PublicationSpec& spec) {
  io::CsvReadOptions options;
  options.schema = ReadSchema(spec);
  options.select_columns = RequiredColumns(spec);
  options.null_tokens = spec.null_tokens;
  options.private_data = true;
  return options;
}

}  // namespace

std::vector<std::string> RequiredColumns(const PublicationSpec& spec) {
  std::vector<std::string> names;
  for (const io::ColumnSchema& c : ReadSchema(spec).columns) names.push_back(c.name);
  return names;
}

absl::Status CheckDataHeader(const PublicationSpec& spec, const std::string& path, Env* env) {
  DPKIT_ASSIGN_OR_RETURN(std::string data, env->ReadFile(path));
  DPKIT_ASSIGN_OR_RETURN(data, io::MaybeGunzip(std::move(data), path));
  const size_t end = data.find('\n');
  io::CsvReadOptions options;
  options.private_data = true;
  options.source_name = path;
  DPKIT_ASSIGN_OR_RETURN(io::Table header,
                         io::ReadCsvString(std::string_view(data).substr(0, end), options));
  for (const std::string& name : RequiredColumns(spec)) {
    if (!header.HasColumn(name)) {
      return absl::NotFoundError(
          absl::StrCat(path, ": column '", name, "' named by the spec is not in the header"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TableSet> CountTables(const PublicationPlan& plan, const std::string& path,
                                     random::BitGenerator& gen, Env* env) {
  DPKIT_ASSIGN_OR_RETURN(io::Table table, io::ReadCsv(path, ReadOptions(plan.spec), env));
  DPKIT_ASSIGN_OR_RETURN(Classified rows, Classify(plan, table));
  const std::string& unit = plan.spec.privacy_unit.column;
  if (unit.empty()) return Count(plan, rows, FirstRowOfUnit(table, unit));
  DPKIT_ASSIGN_OR_RETURN(io::Table universe, table.TakeRows(rows.universe));
  DPKIT_ASSIGN_OR_RETURN(
      io::Table bounded,
      io::BoundRowsPerUnit(universe,
                           {.unit = unit,
                            .max_rows_per_unit = plan.spec.privacy_unit.max_rows_per_unit,
                            .drop_unit_column = false},
                           gen));
  DPKIT_ASSIGN_OR_RETURN(Classified kept, Classify(plan, bounded));
  return Count(plan, kept, FirstRowOfUnit(bounded, unit));
}

}  // namespace dpkit::publish
