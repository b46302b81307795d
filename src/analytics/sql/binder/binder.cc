#include "analytics/sql/binder/binder.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "absl/container/flat_hash_map.h"
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

class Binder {
 public:
  Binder(const SelectStatement& stmt, const std::string& text, const Catalog& catalog,
         const QueryDefaults& defaults)
      : stmt_(stmt), text_(text), catalog_(catalog), defaults_(defaults) {}

  absl::StatusOr<BoundQuery> Run() {
    BoundQuery bq;
    bq.explain = stmt_.explain;
    DPKIT_ASSIGN_OR_RETURN(auto left, Lookup(stmt_.from));
    left_names_ = {Lower(stmt_.from.name)};
    if (!stmt_.from.alias.empty()) left_names_.push_back(Lower(stmt_.from.alias));
    if (stmt_.join) {
      DPKIT_ASSIGN_OR_RETURN(auto right, Lookup(stmt_.join->table));
      right_names_ = {Lower(stmt_.join->table.name)};
      if (!stmt_.join->table.alias.empty()) right_names_.push_back(Lower(stmt_.join->table.alias));
      DPKIT_ASSIGN_OR_RETURN(bq.owned, Join(*left, *right));
      bq.source = bq.owned;
    } else {
      bq.source = left;
    }
    source_ = bq.source.get();
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
    // WHERE: type-check now on an empty slice; the mask is computed by the executor.
    if (stmt_.where) {
      io::Table empty = source_->table.SliceRows(0, 0);
      auto check = EvaluateFilter(*stmt_.where, empty, Resolver(), text_);
      if (!check.ok()) return check.status();
      spec.filter_text = stmt_.where->ToString();
    }
    bq.where = stmt_.where.get();
    bq.having = stmt_.having.get();
    // A self-contained resolver for the executor (the Binder does not outlive Bind()).
    bq.resolver = [left = left_names_, right = right_names_, renamed = renamed_,
                   src = bq.source, text = text_](const Expr& e) -> absl::StatusOr<int> {
      std::string name = e.name;
      if (!e.table.empty()) {
        std::string q = Lower(e.table);
        bool is_right = std::find(right.begin(), right.end(), q) != right.end();
        if (is_right && renamed.count(name)) name = renamed.at(name);
      }
      auto idx = src->table.ColumnIndex(name);
      if (!idx.ok()) {
        return absl::InvalidArgumentError(SqlErrorAt(text, e.position, std::string(idx.status().message())));
      }
      return *idx;
    };
    bq.order_by = stmt_.order_by;
    bq.limit = stmt_.limit;
    return bq;
  }

  ColumnResolver Resolver() {
    return [this](const Expr& e) { return Resolve(e); };
  }

 private:
  absl::StatusOr<std::shared_ptr<const CatalogTable>> Lookup(const TableRef& ref) {
    for (const auto& [name, t] : catalog_) {
      if (Lower(name) == Lower(ref.name)) return t;
    }
    std::vector<std::string> names;
    for (const auto& [name, t] : catalog_) names.push_back(name);
    return absl::InvalidArgumentError(absl::StrCat("unknown table '", ref.name, "' (available: ",
                                                   absl::StrJoin(names, ", "), ")"));
  }

  absl::StatusOr<int> Resolve(const Expr& e) {
    std::string name = e.name;
    if (!e.table.empty()) {
      std::string q = Lower(e.table);
      bool is_left = std::find(left_names_.begin(), left_names_.end(), q) != left_names_.end();
      bool is_right = std::find(right_names_.begin(), right_names_.end(), q) != right_names_.end();
      if (!is_left && !is_right) {
        return ErrorAt(e.position, absl::StrCat("unknown table or alias '", e.table, "'"));
      }
      if (is_right && renamed_.count(name)) name = renamed_[name];
    }
    auto idx = source_->table.ColumnIndex(name);
    if (!idx.ok()) return ErrorAt(e.position, std::string(idx.status().message()));
    return *idx;
  }

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
    if (f == "SUM" || f == "AVG" || f == "MEAN" || f == "VARIANCE" || f == "VAR" ||
        f == "VAR_POP" || f == "STDDEV" || f == "STD" || f == "STDDEV_POP" || f == "MEDIAN") {
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
    if (f == "PERCENTILE" || f == "QUANTILE" || f == "PERCENTILE_CONT") {
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

  // Inner join on the left table's privacy unit.
  absl::StatusOr<std::shared_ptr<CatalogTable>> Join(const CatalogTable& l, const CatalogTable& r) {
    const JoinClause& j = *stmt_.join;
    auto side = [&](const Expr& e) -> int {  // 0 left, 1 right, -1 unknown
      if (e.table.empty()) return -1;
      std::string q = Lower(e.table);
      if (std::find(left_names_.begin(), left_names_.end(), q) != left_names_.end()) return 0;
      if (std::find(right_names_.begin(), right_names_.end(), q) != right_names_.end()) return 1;
      return -2;
    };
    const Expr* lk = j.left.get();
    const Expr* rk = j.right.get();
    if (side(*lk) == 1 || side(*rk) == 0) std::swap(lk, rk);
    if (side(*lk) == -2 || side(*rk) == -2) {
      return ErrorAt(j.left->position, "JOIN ... ON refers to an unknown table or alias");
    }
    if (l.schema.privacy_unit.empty()) {
      return ErrorAt(j.left->position,
                     absl::StrCat("JOIN needs a privacy unit in the schema of '", stmt_.from.name,
                                  "' so each joined row still belongs to one person"));
    }
    if (lk->name != l.schema.privacy_unit) {
      return ErrorAt(lk->position, absl::StrCat("JOIN must be ON the privacy unit column '",
                                                l.schema.privacy_unit, "' of '", stmt_.from.name,
                                                "' (got '", lk->name, "')"));
    }
    auto li = l.table.ColumnIndex(lk->name);
    auto ri = r.table.ColumnIndex(rk->name);
    if (!li.ok()) return ErrorAt(lk->position, std::string(li.status().message()));
    if (!ri.ok()) return ErrorAt(rk->position, std::string(ri.status().message()));
    const io::Column& lc = l.table.column(*li);
    const io::Column& rc = r.table.column(*ri);
    absl::flat_hash_map<std::string, std::vector<int64_t>> index;
    for (int64_t i = 0; i < r.table.num_rows(); ++i) {
      if (rc.IsNull(i)) continue;
      index[rc.FormatValue(i)].push_back(i);
    }
    std::vector<int64_t> lrows, rrows;
    for (int64_t i = 0; i < l.table.num_rows(); ++i) {
      if (lc.IsNull(i)) continue;
      auto it = index.find(lc.FormatValue(i));
      if (it == index.end()) continue;
      for (int64_t k : it->second) {
        lrows.push_back(i);
        rrows.push_back(k);
      }
    }
    auto out = std::make_shared<CatalogTable>();
    std::vector<io::Column> cols;
    for (const auto& c : l.table.columns()) cols.push_back(c.Take(lrows));
    std::string ralias = stmt_.join->table.alias.empty() ? stmt_.join->table.name : stmt_.join->table.alias;
    out->schema = l.schema;
    for (const auto& c : r.table.columns()) {
      if (c.name() == rk->name && rk->name == lk->name) continue;  // same key column once
      io::Column taken = c.Take(rrows);
      std::string name = c.name();
      if (l.table.HasColumn(name)) {
        renamed_[name] = absl::StrCat(ralias, ".", name);
        name = renamed_[name];
        taken.set_name(name);
      }
      if (const io::ColumnSchema* cs = r.schema.Find(c.name())) {
        io::ColumnSchema copy = *cs;
        copy.name = name;
        out->schema.columns.push_back(copy);
      }
      cols.push_back(std::move(taken));
    }
    DPKIT_ASSIGN_OR_RETURN(out->table, io::Table::Make(std::move(cols)));
    return out;
  }

  absl::Status ErrorAt(int pos, const std::string& msg) {
    return absl::InvalidArgumentError(SqlErrorAt(text_, pos, msg));
  }

  const SelectStatement& stmt_;
  const std::string& text_;
  const Catalog& catalog_;
  const QueryDefaults& defaults_;
  const CatalogTable* source_ = nullptr;
  std::vector<std::string> left_names_, right_names_;
  std::map<std::string, std::string> renamed_;
};

}  // namespace

absl::StatusOr<BoundQuery> Bind(const SelectStatement& stmt, const std::string& text,
                                const Catalog& catalog, const QueryDefaults& defaults) {
  Binder b(stmt, text, catalog, defaults);
  return b.Run();
}

}  // namespace dpkit::analytics::sql
