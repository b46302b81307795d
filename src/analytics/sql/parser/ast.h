// AST of dpkit's SQL dialect (see docs/sql.md).
//
//   [EXPLAIN] SELECT <item> [, <item>]*
//   FROM <table> [AS a] [[INNER] JOIN <table> [AS b] ON a.col = b.col]
//   [WHERE <expr>] [GROUP BY <col> [, <col>]*] [HAVING <expr>] [ORDER BY <name> [ASC|DESC], ...]
//   [LIMIT n]
//   [WITH <option> <value> [, ...]]      options: EPSILON, DELTA, MAX_GROUPS, MAX_ROWS, CONFIDENCE,
//                                           MECHANISM ('laplace'|'gaussian')
//   items: group keys, COUNT(*), COUNT(col), COUNT(DISTINCT <unit>), SUM/AVG/MEAN/VARIANCE/VAR/
//          STDDEV/STD/MEDIAN(col), PERCENTILE(col, p) / QUANTILE(col, p), MIN/MAX(col) (as quantiles
//          0 and 1 of the clamped domain), each with optional bounds: SUM(col BETWEEN lo AND hi).
#ifndef DPKIT_SRC_ANALYTICS_SQL_PARSER_AST_H_
#define DPKIT_SRC_ANALYTICS_SQL_PARSER_AST_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dpkit::analytics::sql {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind {
  kColumn,    // [table.]name
  kLiteral,   // number, string, TRUE/FALSE, NULL
  kStar,      // * (only inside COUNT(*))
  kFunction,  // name(args) [DISTINCT], optional BETWEEN bounds for aggregates
  kUnary,     // NOT e, -e
  kBinary,    // e op e: + - * / = <> < <= > >= AND OR LIKE
  kIn,        // e [NOT] IN (list)
  kBetween,   // e [NOT] BETWEEN a AND b
  kIsNull,    // e IS [NOT] NULL
};

enum class LiteralType { kNull, kInt, kDouble, kString, kBool };

struct Literal {
  LiteralType type = LiteralType::kNull;
  long long int_value = 0;
  double double_value = 0;
  std::string string_value;
  bool bool_value = false;
};

struct Expr {
  ExprKind kind;
  int position = 0;  // byte offset in the query text, for error messages
  // kColumn
  std::string table;
  std::string name;  // column name, function name (upper-cased), or operator
  // kLiteral
  Literal literal;
  // kFunction / kUnary / kBinary / kIn / kBetween / kIsNull
  std::vector<ExprPtr> args;
  bool distinct = false;  // COUNT(DISTINCT x)
  bool negated = false;   // NOT IN, NOT BETWEEN, IS NOT NULL
  // Aggregate bounds given inline: SUM(x BETWEEN 0 AND 100).
  std::optional<double> lower, upper;

  std::string ToString() const;
};

struct SelectItem {
  ExprPtr expr;
  std::string alias;  // empty if none
};

struct TableRef {
  std::string name;
  std::string alias;
};

struct JoinClause {
  TableRef table;
  ExprPtr left;   // column ref
  ExprPtr right;  // column ref
};

struct OrderItem {
  std::string name;  // output column name or alias
  bool descending = false;
};

struct QueryOption {
  std::string name;  // upper-cased
  Literal value;
  int position = 0;
};

struct SelectStatement {
  bool explain = false;
  std::vector<SelectItem> items;
  TableRef from;
  std::optional<JoinClause> join;
  ExprPtr where;
  std::vector<ExprPtr> group_by;
  ExprPtr having;
  std::vector<OrderItem> order_by;
  std::optional<long long> limit;
  std::vector<QueryOption> options;
};

}  // namespace dpkit::analytics::sql

#endif  // DPKIT_SRC_ANALYTICS_SQL_PARSER_AST_H_
