#include "analytics/sql/executor/filter.h"

#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "analytics/sql/parser/parser.h"
#include "dpkit/base/status.h"

namespace dpkit::analytics::sql {
namespace {

// Three-valued truth: 0 false, 1 true, 2 unknown (NULL).
constexpr uint8_t kFalse = 0, kTrue = 1, kNull = 2;

// A vectorised value: numbers (NaN marks NULL via the `null` mask), strings (dictionary codes),
// booleans (three-valued) or a scalar literal.
struct Vec {
  enum Type { kNum, kStr, kBool } type = kNum;
  bool scalar = false;
  // kNum
  std::vector<double> num;
  double num_scalar = 0;
  // kStr: per-row codes into dict (-1 NULL), or a scalar string
  const std::vector<int32_t>* codes = nullptr;
  const std::vector<std::string>* dict = nullptr;
  std::string str_scalar;
  // kBool
  std::vector<uint8_t> truth;
  uint8_t truth_scalar = kNull;
  // NULL mask for kNum/kStr vectors (1 = null); scalar NULL literal when scalar && is_null.
  std::vector<uint8_t> null;
  bool scalar_null = false;
  bool is_date = false;  // kNum holding days since 1970-01-01
};

bool LikeMatch(const std::string& s, const std::string& p, size_t i = 0, size_t j = 0) {
  while (j < p.size()) {
    if (p[j] == '%') {
      for (size_t k = i; k <= s.size(); ++k) {
        if (LikeMatch(s, p, k, j + 1)) return true;
      }
      return false;
    }
    if (i >= s.size()) return false;
    if (p[j] != '_' && p[j] != s[i]) return false;
    ++i;
    ++j;
  }
  return i == s.size();
}

class Evaluator {
 public:
  Evaluator(const io::Table& t, const ColumnResolver& r, const std::string& text)
      : t_(t), resolve_(r), text_(text), n_(static_cast<size_t>(t.num_rows())) {}

  absl::StatusOr<Vec> Eval(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kColumn:
        return EvalColumn(e);
      case ExprKind::kLiteral:
        return EvalLiteral(e);
      case ExprKind::kUnary:
        return EvalUnary(e);
      case ExprKind::kBinary:
        return EvalBinary(e);
      case ExprKind::kIn:
        return EvalIn(e);
      case ExprKind::kBetween: {
        // a BETWEEN b AND c  ==  a >= b AND a <= c
        DPKIT_ASSIGN_OR_RETURN(Vec a, Eval(*e.args[0]));
        DPKIT_ASSIGN_OR_RETURN(Vec lo, Eval(*e.args[1]));
        DPKIT_ASSIGN_OR_RETURN(Vec hi, Eval(*e.args[2]));
        DPKIT_ASSIGN_OR_RETURN(Vec ge, Compare(a, lo, ">=", e));
        DPKIT_ASSIGN_OR_RETURN(Vec le, Compare(a, hi, "<=", e));
        Vec r = Logic(ge, le, "AND");
        return e.negated ? Not(r) : r;
      }
      case ExprKind::kIsNull: {
        DPKIT_ASSIGN_OR_RETURN(Vec a, Eval(*e.args[0]));
        Vec r;
        r.type = Vec::kBool;
        if (a.scalar) {
          r.scalar = true;
          bool is_null = a.type == Vec::kBool ? a.truth_scalar == kNull : a.scalar_null;
          r.truth_scalar = (is_null != e.negated) ? kTrue : kFalse;
          return r;
        }
        r.truth.resize(n_);
        for (size_t i = 0; i < n_; ++i) {
          bool is_null = a.type == Vec::kBool ? a.truth[i] == kNull : (!a.null.empty() && a.null[i]);
          r.truth[i] = (is_null != e.negated) ? kTrue : kFalse;
        }
        return r;
      }
      case ExprKind::kFunction:
        return Error(e, absl::StrCat("function ", e.name, "() is not allowed in WHERE (aggregates "
                                     "belong in SELECT or HAVING)"));
      case ExprKind::kStar:
        return Error(e, "'*' is not allowed here");
    }
    return Error(e, "unsupported expression");
  }

  absl::Status Error(const Expr& e, const std::string& msg) {
    return absl::InvalidArgumentError(SqlErrorAt(text_, e.position, msg));
  }

 private:
  absl::StatusOr<Vec> EvalColumn(const Expr& e) {
    DPKIT_ASSIGN_OR_RETURN(int idx, resolve_(e));
    const io::Column& c = t_.column(idx);
    Vec v;
    if (c.type() == io::DataType::kString) {
      v.type = Vec::kStr;
      v.codes = &c.codes();
      v.dict = &c.dictionary();
    } else if (c.type() == io::DataType::kBool) {
      v.type = Vec::kBool;
      v.truth.resize(n_);
      for (size_t i = 0; i < n_; ++i) {
        v.truth[i] = c.IsNull(static_cast<int64_t>(i)) ? kNull
                                                       : (c.int64_values()[i] ? kTrue : kFalse);
      }
      return v;
    } else {
      v.type = Vec::kNum;
      v.is_date = c.type() == io::DataType::kDate;
      v.num.resize(n_);
      for (size_t i = 0; i < n_; ++i) v.num[i] = c.NumericAt(static_cast<int64_t>(i));
    }
    if (c.has_nulls()) {
      v.null.resize(n_);
      for (size_t i = 0; i < n_; ++i) v.null[i] = c.IsNull(static_cast<int64_t>(i)) ? 1 : 0;
    }
    return v;
  }

  absl::StatusOr<Vec> EvalLiteral(const Expr& e) {
    Vec v;
    v.scalar = true;
    switch (e.literal.type) {
      case LiteralType::kNull:
        v.type = Vec::kNum;
        v.scalar_null = true;
        break;
      case LiteralType::kInt:
        v.num_scalar = static_cast<double>(e.literal.int_value);
        break;
      case LiteralType::kDouble:
        v.num_scalar = e.literal.double_value;
        break;
      case LiteralType::kString:
        v.type = Vec::kStr;
        v.str_scalar = e.literal.string_value;
        break;
      case LiteralType::kBool:
        v.type = Vec::kBool;
        v.truth_scalar = e.literal.bool_value ? kTrue : kFalse;
        break;
    }
    return v;
  }

  static Vec Not(const Vec& a) {
    Vec r;
    r.type = Vec::kBool;
    auto f = [](uint8_t x) -> uint8_t { return x == kNull ? kNull : (x == kTrue ? kFalse : kTrue); };
    if (a.scalar) {
      r.scalar = true;
      r.truth_scalar = f(a.truth_scalar);
      return r;
    }
    r.truth.resize(a.truth.size());
    for (size_t i = 0; i < a.truth.size(); ++i) r.truth[i] = f(a.truth[i]);
    return r;
  }

  Vec Logic(const Vec& a, const Vec& b, const std::string& op) {
    auto f = [&](uint8_t x, uint8_t y) -> uint8_t {
      if (op == "AND") {
        if (x == kFalse || y == kFalse) return kFalse;
        if (x == kNull || y == kNull) return kNull;
        return kTrue;
      }
      if (x == kTrue || y == kTrue) return kTrue;
      if (x == kNull || y == kNull) return kNull;
      return kFalse;
    };
    Vec r;
    r.type = Vec::kBool;
    if (a.scalar && b.scalar) {
      r.scalar = true;
      r.truth_scalar = f(a.truth_scalar, b.truth_scalar);
      return r;
    }
    r.truth.resize(n_);
    for (size_t i = 0; i < n_; ++i) {
      r.truth[i] = f(a.scalar ? a.truth_scalar : a.truth[i], b.scalar ? b.truth_scalar : b.truth[i]);
    }
    return r;
  }

  absl::StatusOr<Vec> EvalUnary(const Expr& e) {
    DPKIT_ASSIGN_OR_RETURN(Vec a, Eval(*e.args[0]));
    if (e.name == "NOT") {
      if (a.type != Vec::kBool) return Error(e, "NOT needs a boolean expression");
      return Not(a);
    }
    if (a.type != Vec::kNum) return Error(e, "unary '-' needs a number");
    if (a.scalar) {
      a.num_scalar = -a.num_scalar;
      return a;
    }
    for (auto& x : a.num) x = -x;
    return a;
  }

  absl::StatusOr<Vec> EvalBinary(const Expr& e) {
    const std::string& op = e.name;
    DPKIT_ASSIGN_OR_RETURN(Vec a, Eval(*e.args[0]));
    DPKIT_ASSIGN_OR_RETURN(Vec b, Eval(*e.args[1]));
    if (op == "AND" || op == "OR") {
      if (a.type != Vec::kBool || b.type != Vec::kBool) {
        return Error(e, absl::StrCat(op, " needs boolean operands"));
      }
      return Logic(a, b, op);
    }
    if (op == "+" || op == "-" || op == "*" || op == "/") {
      if (a.type != Vec::kNum || b.type != Vec::kNum) {
        return Error(e, absl::StrCat("'", op, "' needs numeric operands"));
      }
      auto f = [&](double x, double y) {
        if (op == "+") return x + y;
        if (op == "-") return x - y;
        if (op == "*") return x * y;
        return y == 0 ? std::nan("") : x / y;  // division by zero is NULL
      };
      Vec r;
      r.type = Vec::kNum;
      if (a.scalar && b.scalar) {
        r.scalar = true;
        r.scalar_null = a.scalar_null || b.scalar_null;
        r.num_scalar = f(a.num_scalar, b.num_scalar);
        return r;
      }
      r.num.resize(n_);
      r.null.assign(n_, 0);
      for (size_t i = 0; i < n_; ++i) {
        bool na = a.scalar ? a.scalar_null : (!a.null.empty() && a.null[i]);
        bool nb = b.scalar ? b.scalar_null : (!b.null.empty() && b.null[i]);
        double v = f(a.scalar ? a.num_scalar : a.num[i], b.scalar ? b.num_scalar : b.num[i]);
        r.num[i] = v;
        r.null[i] = (na || nb || std::isnan(v)) ? 1 : 0;
      }
      return r;
    }
    if (op == "LIKE") {
      if (a.type != Vec::kStr || b.type != Vec::kStr || !b.scalar) {
        return Error(e, "LIKE needs a string column and a string pattern");
      }
      return StringPredicate(a, [&](const std::string& s) { return LikeMatch(s, b.str_scalar); });
    }
    return Compare(a, b, op, e);
  }

  // Applies a predicate to a string vector via its dictionary.
  Vec StringPredicate(const Vec& a, const std::function<bool(const std::string&)>& pred) {
    Vec r;
    r.type = Vec::kBool;
    if (a.scalar) {
      r.scalar = true;
      r.truth_scalar = a.scalar_null ? kNull : (pred(a.str_scalar) ? kTrue : kFalse);
      return r;
    }
    std::vector<uint8_t> per_code(a.dict->size());
    for (size_t k = 0; k < a.dict->size(); ++k) per_code[k] = pred((*a.dict)[k]) ? kTrue : kFalse;
    r.truth.resize(n_);
    for (size_t i = 0; i < n_; ++i) {
      int32_t c = (*a.codes)[i];
      r.truth[i] = c < 0 ? kNull : per_code[static_cast<size_t>(c)];
    }
    return r;
  }

  absl::StatusOr<Vec> Compare(const Vec& a, const Vec& b, const std::string& op, const Expr& e) {
    auto cmp = [&](auto x, auto y) -> bool {
      if (op == "=") return x == y;
      if (op == "<>") return x != y;
      if (op == "<") return x < y;
      if (op == "<=") return x <= y;
      if (op == ">") return x > y;
      return x >= y;
    };
    if ((a.scalar && a.scalar_null) || (b.scalar && b.scalar_null)) {
      Vec r;
      r.type = Vec::kBool;
      r.scalar = true;
      r.truth_scalar = kNull;  // comparison with NULL is unknown
      return r;
    }
    // A date column compared with a 'YYYY-MM-DD' literal compares days.
    if (a.type == Vec::kNum && a.is_date && b.type == Vec::kStr && b.scalar) {
      int64_t days;
      if (!io::ParseDate(b.str_scalar, &days)) {
        return Error(e, absl::StrCat("'", b.str_scalar, "' is not a date (YYYY-MM-DD)"));
      }
      Vec d;
      d.scalar = true;
      d.num_scalar = static_cast<double>(days);
      return Compare(a, d, op, e);
    }
    if (b.type == Vec::kNum && b.is_date && a.type == Vec::kStr && a.scalar) {
      return Compare(b, a, Flip(op), e);
    }
    if (a.type == Vec::kStr && b.type == Vec::kStr) {
      if (a.scalar && !b.scalar) return Compare(b, a, Flip(op), e);
      if (b.scalar) {
        return StringPredicate(a, [&](const std::string& s) { return cmp(s, b.str_scalar); });
      }
      // Column vs column: compare texts row by row.
      Vec r;
      r.type = Vec::kBool;
      r.truth.resize(n_);
      for (size_t i = 0; i < n_; ++i) {
        int32_t x = (*a.codes)[i], y = (*b.codes)[i];
        r.truth[i] = (x < 0 || y < 0) ? kNull : (cmp((*a.dict)[x], (*b.dict)[y]) ? kTrue : kFalse);
      }
      return r;
    }
    if (a.type == Vec::kBool && b.type == Vec::kBool && (op == "=" || op == "<>")) {
      Vec r;
      r.type = Vec::kBool;
      auto f = [&](uint8_t x, uint8_t y) -> uint8_t {
        if (x == kNull || y == kNull) return kNull;
        return cmp(x, y) ? kTrue : kFalse;
      };
      if (a.scalar && b.scalar) {
        r.scalar = true;
        r.truth_scalar = f(a.truth_scalar, b.truth_scalar);
        return r;
      }
      r.truth.resize(n_);
      for (size_t i = 0; i < n_; ++i) {
        r.truth[i] = f(a.scalar ? a.truth_scalar : a.truth[i], b.scalar ? b.truth_scalar : b.truth[i]);
      }
      return r;
    }
    if (a.type != Vec::kNum || b.type != Vec::kNum) {
      return Error(e, absl::StrCat("cannot compare ", TypeName(a), " with ", TypeName(b),
                                   " (quote strings: 'text'; dates compare as 'YYYY-MM-DD' only "
                                   "against date columns)"));
    }
    Vec r;
    r.type = Vec::kBool;
    if (a.scalar && b.scalar) {
      r.scalar = true;
      r.truth_scalar = cmp(a.num_scalar, b.num_scalar) ? kTrue : kFalse;
      return r;
    }
    r.truth.resize(n_);
    for (size_t i = 0; i < n_; ++i) {
      bool na = a.scalar ? false : (!a.null.empty() && a.null[i]);
      bool nb = b.scalar ? false : (!b.null.empty() && b.null[i]);
      if (na || nb) {
        r.truth[i] = kNull;
        continue;
      }
      r.truth[i] = cmp(a.scalar ? a.num_scalar : a.num[i], b.scalar ? b.num_scalar : b.num[i]) ? kTrue
                                                                                              : kFalse;
    }
    return r;
  }

  absl::StatusOr<Vec> EvalIn(const Expr& e) {
    DPKIT_ASSIGN_OR_RETURN(Vec a, Eval(*e.args[0]));
    Vec acc;
    acc.type = Vec::kBool;
    acc.scalar = true;
    acc.truth_scalar = kFalse;
    for (size_t i = 1; i < e.args.size(); ++i) {
      DPKIT_ASSIGN_OR_RETURN(Vec item, Eval(*e.args[i]));
      DPKIT_ASSIGN_OR_RETURN(Vec eq, Compare(a, item, "=", e));
      acc = Logic(acc, eq, "OR");
    }
    return e.negated ? Not(acc) : acc;
  }

  static std::string Flip(const std::string& op) {
    if (op == "<") return ">";
    if (op == ">") return "<";
    if (op == "<=") return ">=";
    if (op == ">=") return "<=";
    return op;
  }
  static const char* TypeName(const Vec& v) {
    return v.type == Vec::kNum ? "a number" : (v.type == Vec::kStr ? "a string" : "a boolean");
  }

  const io::Table& t_;
  const ColumnResolver& resolve_;
  const std::string& text_;
  size_t n_;
};

}  // namespace

absl::StatusOr<std::vector<uint8_t>> EvaluateFilter(const Expr& where, const io::Table& table,
                                                    const ColumnResolver& resolve,
                                                    const std::string& text) {
  Evaluator ev(table, resolve, text);
  DPKIT_ASSIGN_OR_RETURN(auto v, ev.Eval(where));
  if (v.type != Vec::kBool) return ev.Error(where, "WHERE needs a boolean condition");
  std::vector<uint8_t> mask(static_cast<size_t>(table.num_rows()));
  for (size_t i = 0; i < mask.size(); ++i) {
    mask[i] = (v.scalar ? v.truth_scalar : v.truth[i]) == kTrue ? 1 : 0;
  }
  return mask;
}

}  // namespace dpkit::analytics::sql
