#include "analytics/sql/binder/scope.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "analytics/sql/parser/parser.h"
#include "dpkit/base/status.h"

namespace dpkit::analytics::sql {
namespace {

std::vector<std::string> Names(const TableRef& ref) {
  std::vector<std::string> names = {absl::AsciiStrToLower(ref.name)};
  if (!ref.alias.empty()) names.push_back(absl::AsciiStrToLower(ref.alias));
  return names;
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

int IndexOf(const std::vector<std::string>& v, const std::string& x) {
  auto it = std::find(v.begin(), v.end(), x);
  return it == v.end() ? -1 : static_cast<int>(it - v.begin());
}

absl::Status ErrorAt(const std::string& text, int position, const std::string& message) {
  return absl::InvalidArgumentError(SqlErrorAt(text, position, message));
}

}  // namespace

absl::StatusOr<TableScope> TableScope::Make(const SelectStatement& stmt, const std::string& text,
                                            const io::Table& from_table,
                                            const io::Schema& from_schema,
                                            const io::Table* join_table,
                                            const io::Schema* join_schema) {
  TableScope s;
  s.text_ = text;
  s.from_names_ = Names(stmt.from);
  s.from_columns_ = from_table.ColumnNames();
  s.schema_ = from_schema;
  for (int i = 0; i < static_cast<int>(s.from_columns_.size()); ++i) {
    s.names_.push_back(s.from_columns_[i]);
    s.sources_.push_back({false, i});
  }
  if (!stmt.join) return s;
  const JoinClause& j = *stmt.join;
  s.join_names_ = Names(j.table);
  s.join_columns_ = join_table->ColumnNames();
  auto side = [&](const Expr& e) -> int {  // 0 FROM, 1 JOIN, -1 unqualified, -2 unknown
    if (e.table.empty()) return -1;
    const std::string q = absl::AsciiStrToLower(e.table);
    if (Contains(s.from_names_, q)) return 0;
    if (Contains(s.join_names_, q)) return 1;
    return -2;
  };
  const Expr* fk = j.left.get();
  const Expr* jk = j.right.get();
  if (side(*fk) == 1 || side(*jk) == 0) std::swap(fk, jk);
  if (side(*fk) == -2 || side(*jk) == -2) {
    return ErrorAt(text, j.left->position, "JOIN ... ON refers to an unknown table or alias");
  }
  if (from_schema.privacy_unit.empty()) {
    return ErrorAt(text, j.left->position,
                   absl::StrCat("JOIN needs a privacy unit in the schema of '", stmt.from.name,
                                "' so each joined row still belongs to one person"));
  }
  if (fk->name != from_schema.privacy_unit) {
    return ErrorAt(text, fk->position,
                   absl::StrCat("JOIN must be ON the privacy unit column '",
                                from_schema.privacy_unit, "' of '", stmt.from.name, "' (got '",
                                fk->name, "')"));
  }
  s.from_key_ = IndexOf(s.from_columns_, fk->name);
  const int join_key = IndexOf(s.join_columns_, jk->name);
  if (s.from_key_ < 0 || join_key < 0) {
    const bool from_missing = s.from_key_ < 0;
    return ErrorAt(text, (from_missing ? fk : jk)->position,
                   absl::StrCat("unknown column '", (from_missing ? fk : jk)->name, "' in '",
                                (from_missing ? stmt.from.name : j.table.name), "'"));
  }
  const std::string& join_unit = join_schema->privacy_unit;
  if (!join_unit.empty() && join_unit != jk->name) {
    return ErrorAt(
        text, jk->position,
        absl::StrCat("JOIN: table '", j.table.name, "' has privacy unit '", join_unit,
                     "' but is joined on '", jk->name, "': the rows of one ", join_unit,
                     " may reach several '", from_schema.privacy_unit, "' of '", stmt.from.name,
                     "', which contribution bounding does not limit. Join ON the privacy units "
                     "of both tables"));
  }
  s.join_key_ = join_key;
  const std::string alias = j.table.alias.empty() ? j.table.name : j.table.alias;
  for (int i = 0; i < static_cast<int>(s.join_columns_.size()); ++i) {
    const std::string& c = s.join_columns_[i];
    if (i == join_key && c == fk->name) continue;  // the key once
    const std::string name = Contains(s.from_columns_, c) ? absl::StrCat(alias, ".", c) : c;
    s.names_.push_back(name);
    s.sources_.push_back({true, i});
    if (const io::ColumnSchema* cs = join_schema->Find(c)) {
      io::ColumnSchema renamed = *cs;
      renamed.name = name;
      s.schema_.columns.push_back(std::move(renamed));
    }
  }
  return s;
}

absl::StatusOr<int> TableScope::ResolveIn(bool join_side, const Expr& ref) const {
  const int column = IndexOf(join_side ? join_columns_ : from_columns_, ref.name);
  if (column < 0) {
    return ErrorAt(text_, ref.position,
                   absl::StrCat("unknown column '", ref.name, "' in table '", ref.table, "'"));
  }
  if (join_side && join_key_ == column) {
    // The key may have been left out of the layout: it equals the FROM table's unit.
    for (size_t i = 0; i < sources_.size(); ++i) {
      if (sources_[i].from_join && sources_[i].column == column) return static_cast<int>(i);
    }
    return from_key_;
  }
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (sources_[i].from_join == join_side && sources_[i].column == column) {
      return static_cast<int>(i);
    }
  }
  return absl::InternalError("column missing from the join layout");
}

absl::StatusOr<int> TableScope::Resolve(const Expr& ref) const {
  if (!ref.table.empty()) {
    const std::string q = absl::AsciiStrToLower(ref.table);
    if (Contains(from_names_, q)) return ResolveIn(false, ref);
    if (Contains(join_names_, q)) return ResolveIn(true, ref);
    return ErrorAt(text_, ref.position, absl::StrCat("unknown table or alias '", ref.table, "'"));
  }
  if (Contains(from_columns_, ref.name)) return ResolveIn(false, ref);
  if (Contains(join_columns_, ref.name)) return ResolveIn(true, ref);
  return ErrorAt(text_, ref.position,
                 absl::StrCat("unknown column '", ref.name, "' (available: ",
                              absl::StrJoin(names_, ", "), ")"));
}

absl::StatusOr<io::Table> TableScope::Materialize(const io::Table& from_table,
                                                  const io::Table* join_table) const {
  if (!join_key_) return from_table;
  const io::Column& fc = from_table.column(from_key_);
  const io::Column& jc = join_table->column(*join_key_);
  // Keys are matched by their text, so an int64 unit matches a string column holding it.
  absl::flat_hash_map<std::string, std::vector<int64_t>> index;
  for (int64_t i = 0; i < join_table->num_rows(); ++i) {
    if (!jc.IsNull(i)) index[jc.FormatValue(i)].push_back(i);
  }
  std::vector<int64_t> from_rows, join_rows;
  for (int64_t i = 0; i < from_table.num_rows(); ++i) {
    if (fc.IsNull(i)) continue;
    auto it = index.find(fc.FormatValue(i));
    if (it == index.end()) continue;
    for (int64_t k : it->second) {
      from_rows.push_back(i);
      join_rows.push_back(k);
    }
  }
  std::vector<io::Column> columns;
  for (size_t i = 0; i < sources_.size(); ++i) {
    const Source& src = sources_[i];
    io::Column c = src.from_join ? join_table->column(src.column).Take(join_rows)
                                 : from_table.column(src.column).Take(from_rows);
    c.set_name(names_[i]);
    columns.push_back(std::move(c));
  }
  return io::Table::Make(std::move(columns));
}

}  // namespace dpkit::analytics::sql
