#include "analytics/sql/binder/binder.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "analytics/sql/executor/filter.h"
#include "analytics/sql/parser/parser.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::analytics::sql {
namespace {

std::string Lower(std::string s) { return absl::AsciiStrToLower(s); }

// Aggregates of one numeric column, and quantiles (column, p).
bool IsOneColumnAggregate(const std::string& f) {
  for (const char* name : {"SUM", "AVG", "MEAN", "VARIANCE", "VAR", "VAR_POP", "STDDEV", "STD",
                           "STDDEV_POP", "MEDIAN"}) {
    if (f == name) return true;
  }
  return false;
}
bool IsQuantileAggregate(const std::string& f) {
  return f == "PERCENTILE" || f == "QUANTILE" || f == "PERCENTILE_CONT";
}

absl::StatusOr<TableRead> Lookup(const Catalog& catalog, const TableRef& ref) {
  for (const auto& [name, t] : catalog) {
    if (Lower(name) == Lower(ref.name)) return TableRead{name, t};
  }
  std::vector<std::string> names;
  for (const auto& [name, t] : catalog) names.push_back(name);
  return absl::InvalidArgumentError(absl::StrCat("unknown table '", ref.name, "' (available: ",
                                                 absl::StrJoin(names, ", "), ")"));
}

// The tables the statement reads, their scope and the zero-row (joined) table.
absl::Status BindTables(const SelectStatement& stmt, const std::string& text,
                        const Catalog& catalog, BoundQuery* bq) {
  DPKIT_ASSIGN_OR_RETURN(TableRead from, Lookup(catalog, stmt.from));
  bq->from = from.entry;
  bq->reads.push_back(from);
  io::Table from_shape = from.entry->table.SliceRows(0, 0);
  std::optional<io::Table> join_shape;
  if (stmt.join) {
    DPKIT_ASSIGN_OR_RETURN(TableRead join, Lookup(catalog, stmt.join->table));
    bq->join = join.entry;
    if (join.entry != from.entry) bq->reads.push_back(join);
    join_shape = join.entry->table.SliceRows(0, 0);
  }
  DPKIT_ASSIGN_OR_RETURN(
      TableScope scope,
      TableScope::Make(stmt, text, from_shape, from.entry->schema,
                       join_shape ? &*join_shape : nullptr, bq->join ? &bq->join->schema : nullptr));
  bq->scope = std::make_shared<const TableScope>(std::move(scope));
  DPKIT_ASSIGN_OR_RETURN(bq->shape.table,
                         bq->scope->Materialize(from_shape, join_shape ? &*join_shape : nullptr));
  bq->shape.schema = bq->scope->schema();
  bq->shape.name = from.name;
  bq->shape.dataset = from.entry->dataset;
  return absl::OkStatus();
}

class Binder {
 public:
  Binder(const SelectStatement& stmt, const std::string& text, const Catalog& catalog,
         const QueryDefaults& defaults)
      : stmt_(stmt), text_(text), catalog_(catalog), defaults_(defaults) {}

  absl::StatusOr<BoundQuery> Run() {
    BoundQuery bq;
    bq.explain = stmt_.explain;
    DPKIT_RETURN_IF_ERROR(BindTables(stmt_, text_, catalog_, &bq));
    source_ = &bq.shape;
    scope_ = bq.scope.get();
    QuerySpec& spec = bq.spec;
    spec.table_name = stmt_.join ? absl::StrCat(stmt_.from.name, " JOIN ", stmt_.join->table.name)
                                 : stmt_.from.name;
    // Options: defaults, then WITH.
    spec.max_groups_per_unit = defaults_.max_groups_per_unit;
    spec.max_rows_per_group = defaults_.max_rows_per_group;
    spec.confidence = defaults_.confidence;
    spec.noise = defaults_.noise;
    std::optional<double> eps = defaults_.epsilon, delta = defaults_.delta;
    for (const auto& opt : stmt_.options) {
      auto number = [&]() -> absl::StatusOr<double> {
        if (opt.value.type == LiteralType::kInt) return static_cast<double>(opt.value.int_value);
        if (opt.value.type == LiteralType::kDouble) return opt.value.double_value;
        return ErrorAt(opt.position, absl::StrCat(opt.name, " needs a number"));
      };
      auto word = [&]() -> absl::StatusOr<std::string> {
        if (opt.value.type == LiteralType::kString) return Lower(opt.value.string_value);
        return ErrorAt(opt.position, absl::StrCat(opt.name, " needs a word"));
      };
      if (opt.name == "EPSILON") {
        DPKIT_ASSIGN_OR_RETURN(double v, number());
        eps = v;
      } else if (opt.name == "DELTA") {
        DPKIT_ASSIGN_OR_RETURN(double v, number());
        delta = v;
      } else if (opt.name == "MAX_GROUPS" || opt.name == "MAX_PARTITIONS" || opt.name == "L0") {
        DPKIT_ASSIGN_OR_RETURN(double v, number());
        if (v < 1 || v != std::floor(v)) return ErrorAt(opt.position, "MAX_GROUPS must be an integer >= 1");
        spec.max_groups_per_unit = static_cast<int64_t>(v);
      } else if (opt.name == "MAX_ROWS" || opt.name == "MAX_CONTRIBUTIONS" || opt.name == "LINF") {
        DPKIT_ASSIGN_OR_RETURN(double v, number());
        if (v < 1 || v != std::floor(v)) return ErrorAt(opt.position, "MAX_ROWS must be an integer >= 1");
        spec.max_rows_per_group = static_cast<int64_t>(v);
      } else if (opt.name == "CONFIDENCE") {
        DPKIT_ASSIGN_OR_RETURN(spec.confidence, number());
      } else if (opt.name == "MECHANISM" || opt.name == "NOISE") {
        DPKIT_ASSIGN_OR_RETURN(std::string w, word());
        if (w == "laplace") {
          spec.noise = NoiseKind::kLaplace;
        } else if (w == "gaussian") {
          spec.noise = NoiseKind::kGaussian;
        } else {
          return ErrorAt(opt.position, "MECHANISM must be laplace or gaussian");
        }
      } else if (opt.name == "PARTITION_SELECTION") {
        DPKIT_ASSIGN_OR_RETURN(std::string w, word());
        if (w == "truncated_geometric") {
          spec.partition_selection = PartitionSelectionStrategy::kTruncatedGeometric;
        } else if (w == "laplace" || w == "laplace_threshold") {
          spec.partition_selection = PartitionSelectionStrategy::kLaplaceThreshold;
        } else if (w == "gaussian" || w == "gaussian_threshold") {
          spec.partition_selection = PartitionSelectionStrategy::kGaussianThreshold;
        } else {
          return ErrorAt(opt.position,
                         "PARTITION_SELECTION must be truncated_geometric, laplace or gaussian");
        }
      } else {
        return ErrorAt(opt.position,
                       absl::StrCat("unknown option ", opt.name,
                                    " (known: EPSILON, DELTA, MAX_GROUPS, MAX_ROWS, CONFIDENCE, "
                                    "MECHANISM, PARTITION_SELECTION)"));
      }
    }
    if (!eps) {
      return absl::InvalidArgumentError(
          "no privacy budget given: add WITH EPSILON <e> to the query or pass --epsilon");
    }
    spec.epsilon = *eps;
    spec.delta = delta.value_or(0.0);
    // GROUP BY.
    for (const auto& g : stmt_.group_by) {
      if (g->kind != ExprKind::kColumn) {
        return ErrorAt(g->position, "GROUP BY accepts column names only");
      }
      DPKIT_ASSIGN_OR_RETURN(int idx, Resolve(*g));
      spec.group_by.push_back(source_->table.column(idx).name());
    }
    // SELECT list.
    for (const auto& item : stmt_.items) {
      const Expr& e = *item.expr;
      OutputColumn out;
      out.expr_text = e.ToString();
      if (e.kind == ExprKind::kColumn) {
        DPKIT_ASSIGN_OR_RETURN(int idx, Resolve(e));
        const std::string& name = source_->table.column(idx).name();
        auto it = std::find(spec.group_by.begin(), spec.group_by.end(), name);
        if (it == spec.group_by.end()) {
          return ErrorAt(e.position, absl::StrCat("column '", e.name,
                                                  "' must appear in GROUP BY or inside an aggregate"));
        }
        out.is_key = true;
        out.numeric_key = source_->table.column(idx).type() != io::DataType::kString;
        out.index = static_cast<int>(it - spec.group_by.begin());
        out.name = item.alias.empty() ? e.name : item.alias;
      } else if (e.kind == ExprKind::kFunction) {
        DPKIT_ASSIGN_OR_RETURN(AggregateSpec agg, BindAggregate(e));
        agg.output_name = item.alias;
        out.index = static_cast<int>(spec.aggregates.size());
        out.name = item.alias.empty() ? DisplayName(e, agg) : item.alias;
        agg.output_name = out.name;
        spec.aggregates.push_back(std::move(agg));
      } else {
        return ErrorAt(e.position,
                       "SELECT items must be GROUP BY columns or aggregates (COUNT, SUM, AVG, "
                       "VARIANCE, STDDEV, MEDIAN, PERCENTILE)");
      }
      bq.outputs.push_back(std::move(out));
    }
    // Unique output names.
    for (size_t i = 0; i < bq.outputs.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (bq.outputs[i].name == bq.outputs[j].name) {
          bq.outputs[i].name = absl::StrCat(bq.outputs[i].name, "_", i + 1);
        }
      }
    }
    if (spec.aggregates.empty()) {
      return absl::InvalidArgumentError(
          "the SELECT list has no aggregate: DP queries release aggregates (e.g. COUNT(*)); listing "
          "key values alone would reveal which groups exist");
    }
    // WHERE: type-check now on the zero-row table; the mask is computed by the executor.
    if (stmt_.where) {
      auto check = EvaluateFilter(*stmt_.where, source_->table, Resolver(), text_);
      if (!check.ok()) return check.status();
      spec.filter_text = stmt_.where->ToString();
    }
    bq.where = stmt_.where.get();
    bq.having = stmt_.having.get();
    bq.order_by = stmt_.order_by;
    bq.limit = stmt_.limit;
    return bq;
  }

  ColumnResolver Resolver() {
    return [this](const Expr& e) { return Resolve(e); };
  }

 private:
  absl::StatusOr<int> Resolve(const Expr& e) { return scope_->Resolve(e); }

  absl::StatusOr<AggregateSpec> BindAggregate(const Expr& e) {
    AggregateSpec a;
    const std::string& f = e.name;
    auto column_arg = [&](size_t i) -> absl::StatusOr<std::string> {
      if (e.args.size() <= i || e.args[i]->kind != ExprKind::kColumn) {
        return ErrorAt(e.position, absl::StrCat(f, "() needs a column name argument"));
      }
      DPKIT_ASSIGN_OR_RETURN(int idx, Resolve(*e.args[i]));
      return source_->table.column(idx).name();
    };
    auto number_arg = [&](size_t i) -> absl::StatusOr<double> {
      if (e.args.size() <= i || e.args[i]->kind != ExprKind::kLiteral ||
          (e.args[i]->literal.type != LiteralType::kInt && e.args[i]->literal.type != LiteralType::kDouble)) {
        return ErrorAt(e.position, absl::StrCat(f, "() needs a number as argument ", i + 1));
      }
      const Literal& l = e.args[i]->literal;
      return l.type == LiteralType::kInt ? static_cast<double>(l.int_value) : l.double_value;
    };
    a.lower = e.lower;
    a.upper = e.upper;
    if (f == "COUNT") {
      if (e.args.size() != 1) return ErrorAt(e.position, "COUNT takes one argument");
      if (e.args[0]->kind == ExprKind::kStar) {
        if (e.distinct) return ErrorAt(e.position, "COUNT(DISTINCT *) is not supported");
        a.function = AggregateFunction::kCount;
        return a;
      }
      DPKIT_ASSIGN_OR_RETURN(std::string col, column_arg(0));
      if (e.distinct) {
        if (col != source_->schema.privacy_unit) {
          return ErrorAt(e.position, absl::StrCat(
              "COUNT(DISTINCT ", col, ") is only supported for the privacy unit column",
              source_->schema.privacy_unit.empty() ? std::string(" (the schema names none)")
                                                   : absl::StrCat(" '", source_->schema.privacy_unit, "'")));
        }
        a.function = AggregateFunction::kCountDistinctUnits;
        return a;
      }
      a.function = AggregateFunction::kCount;
      a.column = col;
      return a;
    }
    if (e.distinct) return ErrorAt(e.position, absl::StrCat(f, "(DISTINCT ...) is not supported"));
    if (IsOneColumnAggregate(f)) {
      if (e.args.size() != 1) return ErrorAt(e.position, absl::StrCat(f, " takes one argument"));
      DPKIT_ASSIGN_OR_RETURN(a.column, column_arg(0));
      if (f == "SUM") a.function = AggregateFunction::kSum;
      else if (f == "AVG" || f == "MEAN") a.function = AggregateFunction::kMean;
      else if (f == "VARIANCE" || f == "VAR" || f == "VAR_POP") a.function = AggregateFunction::kVariance;
      else if (f == "MEDIAN") {
        a.function = AggregateFunction::kQuantile;
        a.quantile = 0.5;
      } else {
        a.function = AggregateFunction::kStddev;
      }
      return a;
    }
    if (IsQuantileAggregate(f)) {
      if (e.args.size() != 2) {
        return ErrorAt(e.position, absl::StrCat(f, "(column, p) takes two arguments"));
      }
      DPKIT_ASSIGN_OR_RETURN(a.column, column_arg(0));
      DPKIT_ASSIGN_OR_RETURN(double p, number_arg(1));
      if (f == "PERCENTILE" && p > 1 && p <= 100) p /= 100;  // PERCENTILE(x, 90)
      if (!(p >= 0 && p <= 1)) {
        return ErrorAt(e.position, absl::StrCat(f, ": p must be in [0, 1] (or 0..100 for PERCENTILE), got ",
                                                FormatDouble(p)));
      }
      a.function = AggregateFunction::kQuantile;
      a.quantile = p;
      return a;
    }
    if (f == "MIN" || f == "MAX") {
      return ErrorAt(e.position, absl::StrCat(
          f, " cannot be released with differential privacy (one person decides it); use "
             "PERCENTILE(col, ", f == "MIN" ? "0.01" : "0.99", ") instead"));
    }
    return ErrorAt(e.position, absl::StrCat("unknown aggregate ", f,
                                            " (COUNT, SUM, AVG, VARIANCE, STDDEV, MEDIAN, PERCENTILE)"));
  }

  std::string DisplayName(const Expr& e, const AggregateSpec& a) {
    std::string f = absl::AsciiStrToLower(e.name);
    switch (a.function) {
      case AggregateFunction::kCount:
        return a.column.empty() ? "count" : absl::StrCat("count_", a.column);
      case AggregateFunction::kCountDistinctUnits:
        return absl::StrCat("count_distinct_", source_->schema.privacy_unit);
      case AggregateFunction::kQuantile:
        if (e.name == "MEDIAN") return absl::StrCat("median_", a.column);
        return absl::StrCat("p", FormatDouble(a.quantile * 100), "_", a.column);
      default:
        return absl::StrCat(f, "_", a.column);
    }
  }

  absl::Status ErrorAt(int pos, const std::string& msg) {
    return absl::InvalidArgumentError(SqlErrorAt(text_, pos, msg));
  }

  const SelectStatement& stmt_;
  const std::string& text_;
  const Catalog& catalog_;
  const QueryDefaults& defaults_;
  const CatalogTable* source_ = nullptr;  // the zero-row (joined) table
  const TableScope* scope_ = nullptr;
};

}  // namespace

QueryDefaults DefaultsOf(const SqlOptions& o) {
  QueryDefaults d;
  d.epsilon = o.epsilon;
  d.delta = o.delta;
  d.max_groups_per_unit = o.max_groups_per_unit;
  d.max_rows_per_group = o.max_rows_per_group;
  d.confidence = o.confidence;
  d.noise = o.noise;
  return d;
}

absl::StatusOr<BoundQuery> Bind(const SelectStatement& stmt, const std::string& text,
                                const Catalog& catalog, const QueryDefaults& defaults) {
  Binder b(stmt, text, catalog, defaults);
  return b.Run();
}

namespace {

bool IsNumberExpr(const Expr& e) {
  if (e.kind == ExprKind::kLiteral) {
    return e.literal.type == LiteralType::kInt || e.literal.type == LiteralType::kDouble;
  }
  if (e.kind == ExprKind::kUnary) return e.name == "-";
  return e.kind == ExprKind::kBinary &&
         (e.name == "+" || e.name == "-" || e.name == "*" || e.name == "/");
}

bool IsComparison(const std::string& op) {
  return op == "=" || op == "<>" || op == "<" || op == "<=" || op == ">" || op == ">=";
}

// Column references of a WHERE expression used as numbers.
void CollectNumericRefs(const Expr& e, std::vector<const Expr*>* refs) {
  auto add = [&](const Expr& x) {
    if (x.kind == ExprKind::kColumn) refs->push_back(&x);
  };
  if (IsNumberExpr(e)) {
    for (const auto& a : e.args) add(*a);
  } else if (e.kind == ExprKind::kBinary && IsComparison(e.name)) {
    if (IsNumberExpr(*e.args[1])) add(*e.args[0]);
    if (IsNumberExpr(*e.args[0])) add(*e.args[1]);
  } else if (e.kind == ExprKind::kBetween || e.kind == ExprKind::kIn) {
    for (size_t i = 1; i < e.args.size(); ++i) {
      if (IsNumberExpr(*e.args[i])) add(*e.args[0]);
    }
  }
  for (const auto& a : e.args) CollectNumericRefs(*a, refs);
}

}  // namespace

absl::StatusOr<std::set<TableColumn>> NumericColumns(const SelectStatement& stmt,
                                                     const std::string& text,
                                                     const Catalog& catalog) {
  BoundQuery bq;
  DPKIT_RETURN_IF_ERROR(BindTables(stmt, text, catalog, &bq));
  std::vector<const Expr*> refs;
  for (const auto& item : stmt.items) {
    const Expr& e = *item.expr;
    const bool numeric = e.kind == ExprKind::kFunction &&
                         (IsOneColumnAggregate(e.name) || IsQuantileAggregate(e.name));
    if (numeric && !e.args.empty() && e.args[0]->kind == ExprKind::kColumn) {
      refs.push_back(e.args[0].get());
    }
  }
  if (stmt.where) CollectNumericRefs(*stmt.where, &refs);
  std::string join_name;
  if (stmt.join) {
    DPKIT_ASSIGN_OR_RETURN(TableRead join, Lookup(catalog, stmt.join->table));
    join_name = join.name;
  }
  std::set<TableColumn> out;
  for (const Expr* ref : refs) {
    DPKIT_ASSIGN_OR_RETURN(int index, bq.scope->Resolve(*ref));
    const TableScope::Source& src = bq.scope->source(index);
    const CatalogTable& t = src.from_join ? *bq.join : *bq.from;
    out.insert({src.from_join ? join_name : bq.reads.front().name,
                t.table.column(src.column).name()});
  }
  return out;
}

}  // namespace dpkit::analytics::sql
