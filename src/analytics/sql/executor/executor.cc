#include "analytics/sql/executor/executor.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "analytics/charging.h"
#include "analytics/sql/executor/filter.h"
#include "analytics/sql/parser/parser.h"
#include "dpkit/base/status.h"

namespace dpkit::analytics::sql {
namespace {

// A value in HAVING evaluation: number, string or truth (0/1/2 = false/true/unknown).
struct HValue {
  enum Type { kNum, kStr, kBool } type = kNum;
  double num = 0;
  std::string str;
  int truth = 2;
};

class HavingEvaluator {
 public:
  HavingEvaluator(const std::vector<OutputColumn>& outs, const std::vector<SqlCell>& row,
                  const std::string& text)
      : outs_(outs), row_(row), text_(text) {}

  absl::StatusOr<HValue> Eval(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kLiteral: {
        HValue v;
        if (e.literal.type == LiteralType::kInt) v.num = static_cast<double>(e.literal.int_value);
        else if (e.literal.type == LiteralType::kDouble) v.num = e.literal.double_value;
        else if (e.literal.type == LiteralType::kString) {
          v.type = HValue::kStr;
          v.str = e.literal.string_value;
        } else if (e.literal.type == LiteralType::kBool) {
          v.type = HValue::kBool;
          v.truth = e.literal.bool_value ? 1 : 0;
        } else {
          return Error(e, "NULL is not supported in HAVING");
        }
        return v;
      }
      case ExprKind::kColumn:
      case ExprKind::kFunction:
        return Lookup(e);
      case ExprKind::kUnary: {
        DPKIT_ASSIGN_OR_RETURN(HValue a, Eval(*e.args[0]));
        if (e.name == "NOT") {
          if (a.type != HValue::kBool) return Error(e, "NOT needs a condition");
          a.truth = a.truth == 2 ? 2 : 1 - a.truth;
          return a;
        }
        a.num = -a.num;
        return a;
      }
      case ExprKind::kBinary: {
        DPKIT_ASSIGN_OR_RETURN(HValue a, Eval(*e.args[0]));
        DPKIT_ASSIGN_OR_RETURN(HValue b, Eval(*e.args[1]));
        HValue r;
        const std::string& op = e.name;
        if (op == "AND" || op == "OR") {
          r.type = HValue::kBool;
          if (op == "AND") r.truth = (a.truth == 0 || b.truth == 0) ? 0 : ((a.truth == 2 || b.truth == 2) ? 2 : 1);
          else r.truth = (a.truth == 1 || b.truth == 1) ? 1 : ((a.truth == 2 || b.truth == 2) ? 2 : 0);
          return r;
        }
        if (op == "+" || op == "-" || op == "*" || op == "/") {
          if (op == "+") r.num = a.num + b.num;
          if (op == "-") r.num = a.num - b.num;
          if (op == "*") r.num = a.num * b.num;
          if (op == "/") r.num = a.num / b.num;
          return r;
        }
        r.type = HValue::kBool;
        bool res;
        if (a.type == HValue::kStr || b.type == HValue::kStr) {
          if (a.type != b.type) return Error(e, "cannot compare a string with a number in HAVING");
          res = Cmp(a.str, b.str, op);
        } else {
          res = Cmp(a.num, b.num, op);
        }
        r.truth = res ? 1 : 0;
        return r;
      }
      default:
        return Error(e, "unsupported expression in HAVING");
    }
  }

 private:
  template <typename T>
  static bool Cmp(const T& x, const T& y, const std::string& op) {
    if (op == "=") return x == y;
    if (op == "<>") return x != y;
    if (op == "<") return x < y;
    if (op == "<=") return x <= y;
    if (op == ">") return x > y;
    return x >= y;
  }

  absl::StatusOr<HValue> Lookup(const Expr& e) {
    std::string text = e.ToString();
    for (size_t i = 0; i < outs_.size(); ++i) {
      bool match = e.kind == ExprKind::kColumn ? (outs_[i].name == e.name || outs_[i].expr_text == text)
                                               : outs_[i].expr_text == text;
      if (!match) continue;
      HValue v;
      if (row_[i].is_key) {
        // Keys of numeric columns are numbers (their type is public); NULL stays text.
        char* end = nullptr;
        double d = std::strtod(row_[i].key.c_str(), &end);
        if (outs_[i].numeric_key && !row_[i].key.empty() && end && *end == '\0') {
          v.num = d;
        } else {
          v.type = HValue::kStr;
          v.str = row_[i].key;
        }
      } else {
        v.num = row_[i].value.value;
      }
      return v;
    }
    return Error(e, absl::StrCat("HAVING can only use SELECT outputs (noisy values); '", text,
                                 "' is not in the SELECT list"));
  }

  absl::Status Error(const Expr& e, const std::string& msg) {
    return absl::InvalidArgumentError(SqlErrorAt(text_, e.position, msg));
  }

  const std::vector<OutputColumn>& outs_;
  const std::vector<SqlCell>& row_;
  const std::string& text_;
};

// The query text on one line, as the ledger records it.
std::string Operation(const std::string& text) {
  std::vector<std::string> words = absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  return absl::StrCat("dpkit query: ", absl::StrJoin(words, " "));
}

// ORDER BY items as (output column, descending).
using OrderKeys = std::vector<std::pair<int, bool>>;

absl::StatusOr<OrderKeys> ResolveOrderBy(const BoundQuery& bound) {
  OrderKeys keys;
  for (const auto& o : bound.order_by) {
    int col = -1;
    char* end = nullptr;
    long ord = std::strtol(o.name.c_str(), &end, 10);
    if (end && *end == '\0' && ord >= 1 && ord <= static_cast<long>(bound.outputs.size())) {
      col = static_cast<int>(ord - 1);
    }
    for (size_t i = 0; i < bound.outputs.size() && col < 0; ++i) {
      if (bound.outputs[i].name == o.name || bound.outputs[i].expr_text == o.name) col = static_cast<int>(i);
    }
    if (col < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("ORDER BY ", o.name, ": not an output column (use a SELECT alias or ordinal)"));
    }
    keys.emplace_back(col, o.descending);
  }
  return keys;
}

// Whether a row passes HAVING (no HAVING: every row).
absl::StatusOr<bool> PassesHaving(const BoundQuery& bound, const std::vector<SqlCell>& cells,
                                  const std::string& text) {
  if (!bound.having) return true;
  HavingEvaluator h(bound.outputs, cells, text);
  DPKIT_ASSIGN_OR_RETURN(HValue v, h.Eval(*bound.having));
  if (v.type != HValue::kBool) {
    return absl::InvalidArgumentError(SqlErrorAt(text, bound.having->position, "HAVING needs a condition"));
  }
  return v.truth == 1;
}

// Step 3, after the charge: join, filter, engine, post-processing.
absl::Status ExecuteCharged(BoundQuery& bound, const ExecutionOptions& options,
                            const std::string& text, SqlResult* out) {
  const io::Table* table = &bound.from->table;
  io::Table joined;
  if (bound.join) {
    DPKIT_ASSIGN_OR_RETURN(joined, bound.scope->Materialize(bound.from->table, &bound.join->table));
    table = &joined;
  }
  DPKIT_RETURN_IF_ERROR(ApplyWhere(*table, text, &bound));
  absl::StatusOr<QueryResult> r =
      ExecuteQuery(*table, bound.shape.schema, bound.spec, out->receipts.front(), options);
  if (!r.ok()) return r.status();
  return PostProcess(bound, *r, text, out);
}

}  // namespace

// One charge per table read: its dataset and privacy unit (docs/sql.md).
std::vector<TableCharge> TableCharges(const BoundQuery& bound, const QueryPlan& plan,
                                      const std::string& text) {
  std::vector<TableCharge> charges;
  for (const TableRead& read : bound.reads) {
    TableCharge c;
    c.table = read.name;
    c.plan = ToReleasePlan(plan, {read.entry->dataset, read.entry->schema.privacy_unit},
                           Operation(text));
    charges.push_back(std::move(c));
  }
  return charges;
}

SqlResult ResultShell(const BoundQuery& bound, const SqlPlan& plan,
                      const std::vector<TableCharge>& charges) {
  SqlResult out;
  out.plan = plan.engine_plan;
  out.explain_text = plan.explain_text;
  for (const auto& o : bound.outputs) {
    out.column_names.push_back(o.name);
    out.column_is_key.push_back(o.is_key);
  }
  for (const TableCharge& c : charges) out.releases.push_back(c.plan);
  return out;
}

absl::Status ApplyWhere(const io::Table& table, const std::string& text, BoundQuery* bound) {
  if (!bound->where) return absl::OkStatus();
  const TableScope& scope = *bound->scope;
  ColumnResolver resolve = [&scope](const Expr& e) { return scope.Resolve(e); };
  DPKIT_ASSIGN_OR_RETURN(bound->spec.row_filter,
                         EvaluateFilter(*bound->where, table, resolve, text));
  return absl::OkStatus();
}

absl::Status CheckPostProcessing(const BoundQuery& bound, const std::string& text) {
  DPKIT_RETURN_IF_ERROR(ResolveOrderBy(bound).status());
  std::vector<SqlCell> placeholder(bound.outputs.size());
  for (size_t i = 0; i < bound.outputs.size(); ++i) {
    placeholder[i].is_key = bound.outputs[i].is_key;
    placeholder[i].key = bound.outputs[i].numeric_key ? "0" : "";
  }
  return PassesHaving(bound, placeholder, text).status();
}

absl::Status PostProcess(const BoundQuery& bound, const QueryResult& engine,
                         const std::string& text, SqlResult* out) {
  DPKIT_ASSIGN_OR_RETURN(OrderKeys order, ResolveOrderBy(bound));
  out->plan = engine.plan;
  out->notes = engine.notes;
  for (const auto& row : engine.rows) {
    std::vector<SqlCell> cells;
    for (const auto& o : bound.outputs) {
      SqlCell c;
      c.is_key = o.is_key;
      if (o.is_key) c.key = row.keys[o.index];
      else c.value = row.values[o.index];
      cells.push_back(std::move(c));
    }
    DPKIT_ASSIGN_OR_RETURN(bool keep, PassesHaving(bound, cells, text));
    if (keep) out->rows.push_back(std::move(cells));
  }
  if (!order.empty()) {
    std::stable_sort(out->rows.begin(), out->rows.end(), [&](const auto& a, const auto& b) {
      for (auto [c, desc] : order) {
        int cmp = 0;
        if (a[c].is_key) {
          char *ea = nullptr, *eb = nullptr;
          double da = std::strtod(a[c].key.c_str(), &ea), db = std::strtod(b[c].key.c_str(), &eb);
          if (ea && *ea == '\0' && eb && *eb == '\0' && !a[c].key.empty() && !b[c].key.empty()) {
            cmp = da < db ? -1 : (da > db ? 1 : 0);
          } else {
            cmp = a[c].key < b[c].key ? -1 : (a[c].key > b[c].key ? 1 : 0);
          }
        } else {
          cmp = a[c].value.value < b[c].value.value ? -1 : (a[c].value.value > b[c].value.value ? 1 : 0);
        }
        if (cmp != 0) return desc ? cmp > 0 : cmp < 0;
      }
      return false;
    });
  }
  if (bound.limit && static_cast<long long>(out->rows.size()) > *bound.limit) {
    out->rows.resize(static_cast<size_t>(*bound.limit));
  }
  return absl::OkStatus();
}

absl::StatusOr<SqlResult> Execute(BoundQuery& bound, const SqlPlan& plan,
                                  release::Charger* charger, const ExecutionOptions& options,
                                  const std::string& text) {
  const std::vector<TableCharge> charges = TableCharges(bound, plan.engine_plan, text);
  SqlResult out = ResultShell(bound, plan, charges);
  if (bound.explain) {
    out.explain = true;
    absl::StrAppend(&out.explain_text, PreviewTables(charger, charges),
                    "(EXPLAIN spends no budget)\n");
    return out;
  }
  if (charger == nullptr) {
    return absl::InvalidArgumentError(
        "a query releases data and is charged to a privacy budget: no budget ledger was given");
  }
  // Everything checkable is checked before the charge.
  DPKIT_RETURN_IF_ERROR(CheckPostProcessing(bound, text));
  DPKIT_ASSIGN_OR_RETURN(out.receipts, ChargeTables(*charger, charges));
  absl::Status status = ExecuteCharged(bound, options, text, &out);
  if (!status.ok()) {
    for (const ledger::Receipt& r : out.receipts) status = release::ChargedFailure(status, r);
    return status;
  }
  return out;
}

}  // namespace dpkit::analytics::sql
