#include "analytics/sql/executor/executor.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "analytics/sql/executor/filter.h"
#include "analytics/sql/parser/parser.h"
#include "analytics/testing_hooks.h"
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
        char* end = nullptr;
        double d = std::strtod(row_[i].key.c_str(), &end);
        if (!row_[i].key.empty() && end && *end == '\0') {
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

}  // namespace

absl::StatusOr<SqlResult> Execute(BoundQuery& bound, const SqlPlan& plan,
                                  const ExecutionOptions& options, const std::string& text,
                                  bool zero_noise) {
  SqlResult out;
  out.plan = plan.engine_plan;
  out.explain_text = plan.explain_text;
  for (const auto& o : bound.outputs) {
    out.column_names.push_back(o.name);
    out.column_is_key.push_back(o.is_key);
  }
  if (bound.explain) {
    out.explain = true;
    return out;
  }
  if (bound.where) {
    DPKIT_ASSIGN_OR_RETURN(bound.spec.row_filter,
                           EvaluateFilter(*bound.where, bound.source->table, bound.resolver, text));
  }
  absl::StatusOr<QueryResult> r =
      zero_noise ? testing::RunQueryWithoutNoise(bound.source->table, bound.source->schema, bound.spec, options)
                 : RunQuery(bound.source->table, bound.source->schema, bound.spec, options);
  if (!r.ok()) return r.status();
  out.plan = r->plan;
  out.notes = r->notes;
  for (const auto& row : r->rows) {
    std::vector<SqlCell> cells;
    for (const auto& o : bound.outputs) {
      SqlCell c;
      c.is_key = o.is_key;
      if (o.is_key) c.key = row.keys[o.index];
      else c.value = row.values[o.index];
      cells.push_back(std::move(c));
    }
    if (bound.having) {
      HavingEvaluator h(bound.outputs, cells, text);
      DPKIT_ASSIGN_OR_RETURN(HValue v, h.Eval(*bound.having));
      if (v.type != HValue::kBool) {
        return absl::InvalidArgumentError(SqlErrorAt(text, bound.having->position, "HAVING needs a condition"));
      }
      if (v.truth != 1) continue;
    }
    out.rows.push_back(std::move(cells));
  }
  if (!bound.order_by.empty()) {
    std::vector<std::pair<int, bool>> keys;  // column, descending
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
    std::stable_sort(out.rows.begin(), out.rows.end(), [&](const auto& a, const auto& b) {
      for (auto [c, desc] : keys) {
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
  if (bound.limit && static_cast<long long>(out.rows.size()) > *bound.limit) {
    out.rows.resize(static_cast<size_t>(*bound.limit));
  }
  return out;
}

}  // namespace dpkit::analytics::sql
