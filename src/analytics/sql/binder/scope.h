// The tables a statement reads — the FROM table, optionally joined with one table — as one
// column layout, built from the tables' schemas and column names alone (public inputs), with
// name resolution for column references and the join itself, which runs only after the charge.
//
// JOIN semantics (docs/sql.md): an inner join ON <FROM table's privacy unit> = <JOIN table's
// column k>. The joined rows keep the FROM table's privacy unit, and contribution bounding
// bounds each unit's joined rows, so a release is DP with respect to any change confined to
// the joined rows of one unit. That covers the JOIN table's own neighbouring relation only if
// one of its units reaches one FROM unit:
//   - the JOIN table has no privacy unit (rows are units): a row has one k, so it joins one
//     unit — the release protects one row of it;
//   - its privacy unit is k: all rows of one of its units join the same FROM unit;
//   - its privacy unit is another column: one of its units may reach several FROM units, which
//     the bounding does not limit — refused (join on its privacy unit instead).
// Layout: the FROM table's columns, then the JOIN table's, without k when it has the FROM
// unit's name, a column whose name the FROM table also has renamed "<join alias>.<name>".
#ifndef DPKIT_SRC_ANALYTICS_SQL_BINDER_SCOPE_H_
#define DPKIT_SRC_ANALYTICS_SQL_BINDER_SCOPE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analytics/sql/parser/ast.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"

namespace dpkit::analytics::sql {

class TableScope {
 public:
  // Where a layout column comes from.
  struct Source {
    bool from_join = false;  // false: the FROM table
    int column = 0;          // index in that table
  };

  // `join_table` is null when the statement has no JOIN. Only names, types and schemas of the
  // tables are used. Errors (InvalidArgument) point into `text`.
  static absl::StatusOr<TableScope> Make(const SelectStatement& stmt, const std::string& text,
                                         const io::Table& from_table, const io::Schema& from_schema,
                                         const io::Table* join_table,
                                         const io::Schema* join_schema);

  // Layout index of a column reference ([table.]name).
  absl::StatusOr<int> Resolve(const Expr& ref) const;
  const Source& source(int index) const { return sources_[index]; }
  const std::vector<std::string>& names() const { return names_; }
  // The FROM table's schema with the JOIN table's column schemas (renamed as in the layout).
  const io::Schema& schema() const { return schema_; }

  // The joined table (or a copy of the FROM table). Given zero-row slices it is the empty,
  // typed table that binding and planning use; given the data it is the join (after the charge).
  absl::StatusOr<io::Table> Materialize(const io::Table& from_table,
                                        const io::Table* join_table) const;

 private:
  absl::StatusOr<int> ResolveIn(bool join_side, const Expr& ref) const;

  std::string text_;
  std::vector<std::string> from_names_, join_names_;  // table name and alias, lower case
  std::vector<std::string> from_columns_, join_columns_;
  std::vector<std::string> names_;
  std::vector<Source> sources_;
  std::optional<int> join_key_;  // JOIN table's key column (and the FROM unit's index below)
  int from_key_ = -1;
  io::Schema schema_;
};

}  // namespace dpkit::analytics::sql

#endif  // DPKIT_SRC_ANALYTICS_SQL_BINDER_SCOPE_H_
