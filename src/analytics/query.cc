#include "dpkit/analytics/query.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "analytics/charging.h"
#include "analytics/engine/bounds.h"
#include "analytics/engine/noise.h"
#include "analytics/engine/state.h"
#include "dpkit/base/math.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "nlohmann/json.hpp"

namespace dpkit::analytics {

using engine::int128;
using engine::kFixedPointOne;
using engine::kTreeBranching;
using engine::kTreeHeight;
using engine::kTreeLeaves;
using engine::NoiseSpec;
using engine::ResolvedQuery;
using engine::StatisticNoise;
using engine::ValueColumn;

const char* AggregateFunctionName(AggregateFunction f) {
  switch (f) {
    case AggregateFunction::kCount:
      return "count";
    case AggregateFunction::kCountDistinctUnits:
      return "count_distinct_units";
    case AggregateFunction::kSum:
      return "sum";
    case AggregateFunction::kMean:
      return "mean";
    case AggregateFunction::kVariance:
      return "variance";
    case AggregateFunction::kStddev:
      return "stddev";
    case AggregateFunction::kQuantile:
      return "quantile";
  }
  return "?";
}

const char* NoiseKindName(NoiseKind k) { return k == NoiseKind::kLaplace ? "laplace" : "gaussian"; }

namespace {

bool IsNumeric(io::DataType t) { return t != io::DataType::kString; }

std::string DefaultName(const AggregateSpec& a) {
  switch (a.function) {
    case AggregateFunction::kCount:
      return a.column.empty() ? "count" : absl::StrCat("count_", a.column);
    case AggregateFunction::kCountDistinctUnits:
      return "count_distinct_units";
    case AggregateFunction::kQuantile: {
      if (a.quantile == 0.5) return absl::StrCat("median_", a.column);
      int pct = static_cast<int>(std::lround(a.quantile * 100));
      if (std::fabs(a.quantile * 100 - pct) < 1e-9) return absl::StrCat("p", pct, "_", a.column);
      return absl::StrCat("q", FormatDouble(a.quantile), "_", a.column);
    }
    default:
      return absl::StrCat(AggregateFunctionName(a.function), "_", a.column);
  }
}

// One noisy integer statistic per group.
struct Sub {
  enum Kind { kRows, kColumnCount, kUnits, kCenteredSum, kCenteredSumSq, kRawSum, kTree };
  Kind kind;
  int value_column = -1;
  double epsilon = 0, delta = 0;
  std::string label;
  // Filled once bounds are known.
  int shift = 0;
  std::optional<StatisticNoise> noise;
};

struct AggPlan {
  int value_column = -1;
  std::vector<int> subs;
};

struct AutoBoundsPlan {
  int value_column;
  double epsilon;
  std::optional<StatisticNoise> noise;
};

struct Planned {
  ResolvedQuery rq;
  int64_t l0 = 1, linf = 1;
  std::vector<Sub> subs;
  std::vector<AggPlan> aggs;
  std::vector<std::string> names;
  std::optional<PartitionSelector> selector;
  std::vector<AutoBoundsPlan> auto_bounds;
  QueryPlan plan;
};

absl::StatusOr<ResolvedQuery> Resolve(const io::Table& table, const io::Schema& schema,
                                      const QuerySpec& spec, std::vector<int>* needs_auto_bounds) {
  ResolvedQuery rq;
  if (spec.aggregates.empty()) {
    return absl::InvalidArgumentError("a query needs at least one aggregate (e.g. COUNT(*))");
  }
  auto column_index = [&](const std::string& name, const char* where) -> absl::StatusOr<int> {
    auto idx = table.ColumnIndex(name);
    if (!idx.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", idx.status().message()));
    }
    return *idx;
  };
  for (const auto& g : spec.group_by) {
    DPKIT_ASSIGN_OR_RETURN(int idx, column_index(g, "GROUP BY"));
    if (std::find(rq.group_indices.begin(), rq.group_indices.end(), idx) != rq.group_indices.end()) {
      return absl::InvalidArgumentError(absl::StrCat("column '", g, "' appears twice in GROUP BY"));
    }
    rq.group_indices.push_back(idx);
    std::vector<std::string> keys;
    auto pk = spec.public_keys.find(g);
    if (pk != spec.public_keys.end()) {
      keys = pk->second;
    } else if (const io::ColumnSchema* cs = schema.Find(g); cs && !cs->categories.empty()) {
      keys = cs->categories;
    }
    rq.public_keys.push_back(std::move(keys));
  }
  if (!schema.privacy_unit.empty()) {
    DPKIT_ASSIGN_OR_RETURN(rq.unit_index, column_index(schema.privacy_unit, "privacy unit"));
    for (const auto& g : spec.group_by) {
      if (g == schema.privacy_unit) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cannot GROUP BY the privacy unit column '", g, "': every group would be one person"));
      }
    }
  }
  auto find_or_add = [&](ValueColumn vc) -> int {
    for (size_t i = 0; i < rq.value_columns.size(); ++i) {
      const auto& o = rq.value_columns[i];
      if (o.table_index == vc.table_index && o.count_only == vc.count_only &&
          (vc.count_only || (o.lower == vc.lower && o.upper == vc.upper))) {
        rq.value_columns[i].needs_tree |= vc.needs_tree;
        return static_cast<int>(i);
      }
    }
    rq.value_columns.push_back(vc);
    return static_cast<int>(rq.value_columns.size() - 1);
  };
  for (const auto& a : spec.aggregates) {
    if (a.function == AggregateFunction::kCountDistinctUnits) {
      rq.aggregate_value_column.push_back(-1);
      continue;
    }
    if (a.function == AggregateFunction::kCount) {
      if (a.column.empty()) {
        rq.aggregate_value_column.push_back(-1);
        continue;
      }
      DPKIT_ASSIGN_OR_RETURN(int idx, column_index(a.column, "COUNT"));
      ValueColumn vc;
      vc.name = a.column;
      vc.table_index = idx;
      vc.count_only = true;
      rq.aggregate_value_column.push_back(find_or_add(vc));
      continue;
    }
    const char* fname = AggregateFunctionName(a.function);
    DPKIT_ASSIGN_OR_RETURN(int idx, column_index(a.column, fname));
    const io::Column& col = table.column(idx);
    if (!IsNumeric(col.type())) {
      return absl::InvalidArgumentError(absl::StrCat(fname, "(", a.column, "): column '", a.column,
                                                     "' is ", io::DataTypeName(col.type()),
                                                     ", not numeric"));
    }
    if (a.function == AggregateFunction::kQuantile && !(a.quantile >= 0 && a.quantile <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("quantile must be in [0, 1], got ", FormatDouble(a.quantile)));
    }
    if (idx == rq.unit_index) {
      return absl::InvalidArgumentError(absl::StrCat(
          fname, "(", a.column, "): aggregating the privacy unit column is not allowed"));
    }
    ValueColumn vc;
    vc.name = a.column;
    vc.table_index = idx;
    vc.needs_tree = a.function == AggregateFunction::kQuantile;
    std::optional<double> lo = a.lower, hi = a.upper;
    if (!lo || !hi) {
      if (const io::ColumnSchema* cs = schema.Find(a.column); cs && cs->has_bounds()) {
        lo = lo ? lo : cs->lower;
        hi = hi ? hi : cs->upper;
      }
    }
    if (lo.has_value() != hi.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          fname, "(", a.column, ") has only one bound; give both lower and upper"));
    }
    bool auto_bounds = !lo.has_value();
    if (auto_bounds && !spec.allow_auto_bounds) {
      return absl::InvalidArgumentError(absl::StrCat(
          fname, "(", a.column, ") needs bounds: add \"lower\"/\"upper\" to column '", a.column,
          "' in the schema, or write ", absl::AsciiStrToUpper(fname), "(", a.column,
          " BETWEEN <lower> AND <upper>)"));
    }
    if (!auto_bounds) {
      DPKIT_RETURN_IF_ERROR(ValidateBounds(absl::StrCat(a.column, " lower bound"), *lo,
                                           absl::StrCat(a.column, " upper bound"), *hi));
      vc.lower = *lo;
      vc.upper = *hi;
      rq.aggregate_value_column.push_back(find_or_add(vc));
    } else {
      // Bounds found privately later; one auto-bounded value column per table column.
      vc.lower = std::nan("");
      vc.upper = std::nan("");
      int found = -1;
      for (size_t i = 0; i < rq.value_columns.size(); ++i) {
        if (rq.value_columns[i].table_index == idx && std::isnan(rq.value_columns[i].lower)) {
          found = static_cast<int>(i);
        }
      }
      if (found < 0) {
        rq.value_columns.push_back(vc);
        found = static_cast<int>(rq.value_columns.size() - 1);
        needs_auto_bounds->push_back(found);
      }
      rq.value_columns[found].needs_tree |= vc.needs_tree;
      rq.aggregate_value_column.push_back(found);
    }
  }
  return rq;
}

// Integer sensitivity of a sub-measurement before shifting (per group, one unit).
double RawSensitivity(Sub::Kind k, int64_t linf) {
  const double l = static_cast<double>(linf);
  switch (k) {
    case Sub::kRows:
    case Sub::kColumnCount:
      return l;
    case Sub::kUnits:
      return 1;
    case Sub::kCenteredSum:
    case Sub::kRawSum:
      return l * kFixedPointOne;
    case Sub::kCenteredSumSq:
      return l * kFixedPointOne * kFixedPointOne;
    case Sub::kTree:
      return l;
  }
  return l;
}

// Creates the noise of a sub-measurement. Its integer sensitivity does not depend on the
// clamping bounds (fixed point maps [lower, upper] onto the same integer range), so the noise
// and its privacy map are known before private bounds are found.
absl::Status MakeNoise(const QuerySpec& spec, int64_t l0, int64_t linf,
                       const mechanisms::NoiseFactory& factory, Sub* s) {
  NoiseSpec ns{spec.noise, s->epsilon, s->delta, 1, l0};
  if (s->kind == Sub::kTree) {
    // Each row adds 1 to one node per level: per group and level, one unit changes the node
    // counts by at most Linf in L1 and L2. Laplace: L1 <= height * Linf per group; Gaussian:
    // height * L0 blocks of L2 sensitivity Linf.
    ns.sensitivity = spec.noise == NoiseKind::kLaplace ? kTreeHeight * linf : linf;
    ns.blocks = spec.noise == NoiseKind::kLaplace ? l0 : l0 * kTreeHeight;
    DPKIT_ASSIGN_OR_RETURN(s->noise, StatisticNoise::Create(factory, ns));
    return absl::OkStatus();
  }
  double sens = RawSensitivity(s->kind, linf);
  DPKIT_ASSIGN_OR_RETURN(double ratio,
                         engine::NoisePerSensitivity(spec.noise, s->epsilon, s->delta, l0));
  // Shifted sensitivity: as fine as the samplers' scale range allows (Laplace scale <= 2^50,
  // Gaussian sigma <= 2^24), so quantisation error stays far below the noise.
  double target = spec.noise == NoiseKind::kLaplace ? std::min(0x1p30, 0x1p45 / ratio)
                                                    : std::min(0x1p21, 0x1p23 / ratio);
  target = std::max(1.0, target);
  s->shift = 0;
  if (s->kind == Sub::kCenteredSum || s->kind == Sub::kCenteredSumSq || s->kind == Sub::kRawSum) {
    if (sens > target) s->shift = static_cast<int>(std::ceil(std::log2(sens / target)));
  }
  ns.sensitivity = static_cast<int64_t>(std::ceil(std::ldexp(sens, -s->shift)));
  DPKIT_ASSIGN_OR_RETURN(s->noise, StatisticNoise::Create(factory, ns));
  return absl::OkStatus();
}

// Value units per integer unit of a sub-measurement's statistic.
double Unit(const Sub& s, const ValueColumn& vc) {
  switch (s.kind) {
    case Sub::kCenteredSum:
      return vc.scale() > 0 ? std::ldexp(1.0, s.shift) / vc.scale() : 0.0;
    case Sub::kCenteredSumSq:
      return vc.scale() > 0 ? std::ldexp(1.0, s.shift) / (vc.scale() * vc.scale()) : 0.0;
    case Sub::kRawSum:
      return vc.raw_scale() > 0 ? std::ldexp(1.0, s.shift) / vc.raw_scale() : 0.0;
    default:
      return 1.0;
  }
}

absl::StatusOr<Planned> MakePlan(const io::Table& table, const io::Schema& schema,
                                 const QuerySpec& spec, const mechanisms::NoiseFactory& factory) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", spec.epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", spec.delta, /*allow_zero=*/true));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("max_groups_per_unit", spec.max_groups_per_unit, 1));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("max_rows_per_group", spec.max_rows_per_group, 1));
  if (!(spec.confidence > 0 && spec.confidence < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("confidence must be in (0, 1), got ", FormatDouble(spec.confidence)));
  }
  if (!(spec.auto_bounds_fraction > 0 && spec.auto_bounds_fraction < 1)) {
    return absl::InvalidArgumentError("auto_bounds_fraction must be in (0, 1)");
  }
  DPKIT_RETURN_IF_ERROR(schema.CheckTable(table));
  Planned p;
  std::vector<int> needs_auto;
  DPKIT_ASSIGN_OR_RETURN(p.rq, Resolve(table, schema, spec, &needs_auto));
  const bool has_unit = p.rq.unit_index >= 0;
  p.l0 = has_unit ? spec.max_groups_per_unit : 1;
  p.linf = has_unit ? spec.max_rows_per_group : 1;
  const bool select_partitions = !spec.group_by.empty() && !p.rq.all_keys_public();
  for (const auto& a : spec.aggregates) {
    if (a.function == AggregateFunction::kCountDistinctUnits && !has_unit) {
      return absl::InvalidArgumentError(
          "COUNT(DISTINCT ...) needs a privacy unit: set \"privacy_unit\" in the schema (without "
          "one, every row is a unit and COUNT(*) gives the same answer)");
    }
  }
  if (select_partitions && !(spec.delta > 0)) {
    std::vector<std::string> priv;
    for (size_t i = 0; i < spec.group_by.size(); ++i) {
      if (p.rq.public_keys[i].empty()) priv.push_back(spec.group_by[i]);
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "GROUP BY ", absl::StrJoin(priv, ", "),
        " needs delta > 0 to select groups privately (a group that exists because of one person "
        "must be hidden with probability 1 - delta); give a delta (e.g. WITH DELTA 1e-6) or "
        "declare the key values public (\"categories\" in the schema)"));
  }
  if (spec.noise == NoiseKind::kGaussian && !(spec.delta > 0)) {
    return absl::InvalidArgumentError("Gaussian noise needs delta > 0 (e.g. WITH DELTA 1e-6)");
  }
  // ---- budget split ----
  const size_t n_agg = spec.aggregates.size();
  const double eps_share = spec.epsilon / static_cast<double>(n_agg + (select_partitions ? 1 : 0));
  double delta_ps = 0, delta_rest = 0;
  if (select_partitions) {
    delta_ps = spec.noise == NoiseKind::kGaussian ? spec.delta / 2 : spec.delta;
    delta_rest = spec.delta - delta_ps;
  } else if (spec.noise == NoiseKind::kGaussian) {
    delta_rest = spec.delta;
  }
  // Sub-measurements per aggregate.
  std::vector<double> agg_eps(n_agg, eps_share);
  std::set<int> auto_paid;
  for (size_t i = 0; i < n_agg; ++i) {
    int vc = p.rq.aggregate_value_column[i];
    if (vc >= 0 && std::find(needs_auto.begin(), needs_auto.end(), vc) != needs_auto.end() &&
        !auto_paid.count(vc)) {
      double e = agg_eps[i] * spec.auto_bounds_fraction;
      agg_eps[i] -= e;
      p.auto_bounds.push_back({vc, e, std::nullopt});
      auto_paid.insert(vc);
    }
  }
  std::map<int, int> tree_sub;  // value column -> sub index
  for (size_t i = 0; i < n_agg; ++i) {
    const AggregateSpec& a = spec.aggregates[i];
    AggPlan ap;
    ap.value_column = p.rq.aggregate_value_column[i];
    std::string name = a.output_name.empty() ? DefaultName(a) : a.output_name;
    p.names.push_back(name);
    auto add = [&](Sub::Kind k, double eps, const char* what) {
      Sub s;
      s.kind = k;
      s.value_column = ap.value_column;
      s.epsilon = eps;
      s.label = absl::StrCat(name, ": ", what);
      p.subs.push_back(std::move(s));
      ap.subs.push_back(static_cast<int>(p.subs.size() - 1));
    };
    switch (a.function) {
      case AggregateFunction::kCount:
        add(a.column.empty() ? Sub::kRows : Sub::kColumnCount, agg_eps[i], "count");
        break;
      case AggregateFunction::kCountDistinctUnits:
        add(Sub::kUnits, agg_eps[i], "distinct units");
        break;
      case AggregateFunction::kSum:
        add(Sub::kRawSum, agg_eps[i], "sum");
        break;
      case AggregateFunction::kMean:
        add(Sub::kColumnCount, agg_eps[i] / 2, "count");
        add(Sub::kCenteredSum, agg_eps[i] / 2, "centred sum");
        break;
      case AggregateFunction::kVariance:
      case AggregateFunction::kStddev:
        add(Sub::kColumnCount, agg_eps[i] / 3, "count");
        add(Sub::kCenteredSum, agg_eps[i] / 3, "centred sum");
        add(Sub::kCenteredSumSq, agg_eps[i] / 3, "centred sum of squares");
        break;
      case AggregateFunction::kQuantile: {
        auto it = tree_sub.find(ap.value_column);
        if (it == tree_sub.end()) {
          add(Sub::kTree, agg_eps[i], "quantile tree");
          tree_sub[ap.value_column] = ap.subs.back();
        } else {
          p.subs[it->second].epsilon += agg_eps[i];  // quantiles of one column share a tree
          p.subs[it->second].label += absl::StrCat(", ", name);
          ap.subs.push_back(it->second);
        }
        break;
      }
    }
    p.aggs.push_back(std::move(ap));
  }
  if (spec.noise == NoiseKind::kGaussian) {
    for (auto& s : p.subs) s.delta = delta_rest / static_cast<double>(p.subs.size());
  }
  if (select_partitions) {
    PartitionSelectionOptions o;
    o.epsilon = eps_share;
    o.delta = delta_ps;
    o.max_partitions_contributed = p.l0;
    o.strategy = spec.partition_selection;
    o.noise = &factory;
    DPKIT_ASSIGN_OR_RETURN(auto sel, PartitionSelector::Create(o));
    p.selector = std::move(sel);
  }
  for (auto& s : p.subs) DPKIT_RETURN_IF_ERROR(MakeNoise(spec, p.l0, p.linf, factory, &s));
  for (auto& ab : p.auto_bounds) {
    // The log histogram: a unit adds at most L0 * Linf rows, each to one bin.
    DPKIT_ASSIGN_OR_RETURN(
        ab.noise, StatisticNoise::Create(factory, {NoiseKind::kLaplace, ab.epsilon, 0, p.linf, p.l0}));
  }

  // ---- the public plan ----
  QueryPlan& qp = p.plan;
  qp.table_name = spec.table_name;
  qp.privacy_unit = has_unit ? schema.privacy_unit : "";
  qp.neighbouring = release::NeighbouringRelation(qp.privacy_unit);
  qp.group_by = spec.group_by;
  qp.public_keys = !spec.group_by.empty() && !select_partitions;
  qp.max_groups_per_unit = p.l0;
  qp.max_rows_per_group = p.linf;
  qp.noise = spec.noise;
  qp.confidence = spec.confidence;
  if (!spec.filter_text.empty()) qp.steps.push_back(absl::StrCat("filter rows: ", spec.filter_text));
  if (has_unit) {
    qp.steps.push_back(absl::StrCat("bound contributions: each ", schema.privacy_unit, " keeps at most ",
                                    p.l0, " group(s) and ", p.linf,
                                    " row(s) per group, chosen at random; rows with a null ",
                                    schema.privacy_unit, " are dropped"));
  }
  for (size_t v = 0; v < p.rq.value_columns.size(); ++v) {
    const auto& vc = p.rq.value_columns[v];
    if (vc.count_only) continue;
    if (std::isnan(vc.lower)) {
      qp.steps.push_back(absl::StrCat("find bounds for ", vc.name,
                                      " privately (approximate min/max from a noisy log-scale "
                                      "histogram), then clamp"));
    } else {
      qp.steps.push_back(absl::StrCat("clamp ", vc.name, " to [", FormatDouble(vc.lower), ", ",
                                      FormatDouble(vc.upper), "]"));
    }
  }
  if (!spec.group_by.empty()) {
    qp.steps.push_back(
        select_partitions
            ? absl::StrCat("select groups privately: ", p.selector->Describe())
            : absl::StrCat("release every declared key combination of ",
                           absl::StrJoin(spec.group_by, ", "), " (public keys; rows with other values dropped)"));
  }
  qp.steps.push_back(absl::StrCat("add ", NoiseKindName(spec.noise),
                                  " noise (exact discrete sampler) to each statistic; ",
                                  FormatDouble(spec.confidence * 100),
                                  "% confidence intervals cover noise error (not clamping/bounding bias)"));
  auto add_measurement = [&](std::string name, std::string mech, double eps, double delta,
                             double sens, double scale, PrivacyMap map) {
    Measurement m;
    m.name = std::move(name);
    m.mechanism = std::move(mech);
    m.epsilon = eps;
    m.delta = delta;
    m.sensitivity = sens;
    m.noise_scale = scale;
    m.privacy_map = std::move(map);
    qp.measurements.push_back(std::move(m));
  };
  if (p.selector) {
    add_measurement("partition selection", PartitionSelectionStrategyName(spec.partition_selection),
                    eps_share, delta_ps, 1, 0, p.selector->privacy_map());
  }
  for (const auto& ab : p.auto_bounds) {
    add_measurement(absl::StrCat("bounds of ", p.rq.value_columns[ab.value_column].name),
                    "discrete_laplace (log histogram)", ab.epsilon, 0, static_cast<double>(p.linf),
                    ab.noise->scale(), ab.noise->privacy_map());
  }
  for (const auto& s : p.subs) {
    double sens = RawSensitivity(s.kind, p.linf);
    double scale = s.noise->scale();
    if (s.kind == Sub::kTree) {
      sens = static_cast<double>(p.linf * kTreeHeight);
    } else if (s.value_column >= 0 && s.kind != Sub::kColumnCount) {
      // Value units; 0 (shown as "set by the private bounds") until private bounds are found.
      const double unit = Unit(s, p.rq.value_columns[s.value_column]);
      scale *= unit;
      sens = std::ceil(std::ldexp(sens, -s.shift)) * unit;
    }
    add_measurement(s.label, s.noise->mechanism(), s.epsilon, s.delta, sens, scale,
                    s.noise->privacy_map());
  }
  for (const auto& m : qp.measurements) {
    qp.epsilon += m.epsilon;
    qp.delta += m.delta;
  }
  return p;
}

}  // namespace

std::vector<PrivacyMap> QueryPlan::PrivacyMaps() const {
  std::vector<PrivacyMap> maps;
  for (const auto& m : measurements) maps.push_back(m.privacy_map);
  return maps;
}

std::string QueryPlan::ToText() const {
  std::string s = absl::StrCat("Query plan for table '", table_name, "'\n");
  absl::StrAppend(&s, "  privacy unit : ", privacy_unit.empty() ? "(none: each row)" : privacy_unit, "\n");
  absl::StrAppend(&s, "  neighbouring : ", neighbouring, "\n");
  absl::StrAppend(&s, "  budget       : epsilon=", FormatDouble(epsilon), " delta=", FormatDouble(delta),
                  " (sequential composition of the measurements below)\n");
  absl::StrAppend(&s, "Steps:\n");
  for (size_t i = 0; i < steps.size(); ++i) absl::StrAppend(&s, "  ", i + 1, ". ", steps[i], "\n");
  absl::StrAppend(&s, "Measurements:\n");
  for (const auto& m : measurements) {
    absl::StrAppend(&s, "  - ", m.name, "\n      mechanism=", m.mechanism,
                    " epsilon=", FormatDouble(m.epsilon), " delta=", FormatDouble(m.delta));
    if (m.sensitivity > 0) absl::StrAppend(&s, " sensitivity/group=", FormatDouble(m.sensitivity));
    if (m.noise_scale > 0) {
      absl::StrAppend(&s, " noise ", noise == NoiseKind::kLaplace ? "scale" : "sigma", "=",
                      FormatDouble(m.noise_scale));
    } else if (m.mechanism.find("partition") == std::string::npos &&
               m.name != "partition selection") {
      absl::StrAppend(&s, " noise scale set by the private bounds");
    }
    absl::StrAppend(&s, "\n      privacy map: ", m.privacy_map.ToString(), "\n");
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Release

namespace {

struct Interval {
  double lo, hi;
};

Interval Divide(Interval num, Interval den) {  // den.lo > 0
  double c[4] = {num.lo / den.lo, num.lo / den.hi, num.hi / den.lo, num.hi / den.hi};
  return {*std::min_element(c, c + 4), *std::max_element(c, c + 4)};
}

// round(v / 2^shift), halves rounded up. Like floor, this map is monotone and commutes with
// adding multiples of 2^shift, so |Shifted(a) - Shifted(b)| <= ceil(|a - b| / 2^shift): the
// shifted statistic's sensitivity is the shifted sensitivity rounded up.
int128 Shifted(int128 v, int shift) {
  if (shift <= 0) return v;
  return (v + (int128{1} << (shift - 1))) >> shift;  // arithmetic shift: floor
}

int64_t Saturate(int128 v) {
  const int128 mx = std::numeric_limits<int64_t>::max() / 4;
  if (v > mx) return static_cast<int64_t>(mx);
  if (v < -mx) return static_cast<int64_t>(-mx);
  return static_cast<int64_t>(v);
}

struct NoisyStat {
  double value;      // in value units
  double half;       // CI half-width (value units) at the requested per-component alpha
  double stddev;     // noise std dev (value units)
};

NoisyStat Release(const Sub& s, const ValueColumn* vc, int128 exact, double alpha,
                  random::BitGenerator& gen) {
  int64_t stat = Saturate(Shifted(exact, s.shift));
  int64_t noisy = s.noise->Add(stat, gen);
  double unit = vc ? Unit(s, *vc) : 1.0;
  if (s.kind == Sub::kRows || s.kind == Sub::kUnits || s.kind == Sub::kColumnCount) unit = 1.0;
  return {static_cast<double>(noisy) * unit, s.noise->HalfWidth(alpha) * unit,
          s.noise->stddev() * unit};
}

// Quantile tree: noisy node counts at levels 1..3, then estimates and a simultaneous CI.
struct TreeEstimate {
  std::vector<double> cdf_raw;   // per leaf: noisy prefix count (leaves 0..i)
  std::vector<int> nodes_used;   // per leaf: number of noisy nodes in the prefix sum
  double total = 0;
};

TreeEstimate NoisyTree(const engine::ValueAccumulator& acc, const Sub& s, random::BitGenerator& gen) {
  std::vector<std::vector<int64_t>> level(kTreeHeight + 1);
  int nodes = 1;
  for (int l = 1; l <= kTreeHeight; ++l) {
    nodes *= kTreeBranching;
    level[l].assign(static_cast<size_t>(nodes), 0);
  }
  for (const auto& [leaf, c] : acc.leaves) {
    int idx = static_cast<int>(leaf);
    for (int l = kTreeHeight; l >= 1; --l) {
      level[l][static_cast<size_t>(idx)] += c;
      idx /= kTreeBranching;
    }
  }
  for (int l = 1; l <= kTreeHeight; ++l) {
    for (auto& v : level[l]) v = s.noise->Add(v, gen);
  }
  TreeEstimate t;
  t.cdf_raw.resize(kTreeLeaves);
  t.nodes_used.resize(kTreeLeaves);
  for (int64_t v : level[1]) t.total += static_cast<double>(v);
  for (int i = 0; i < kTreeLeaves; ++i) {
    // Prefix of i+1 leaves in base 16: d1 level-1 nodes, then d2 level-2 nodes inside node d1,
    // then d3 level-3 nodes.
    int count = i + 1;
    int d1 = count / 256, d2 = (count / 16) % 16, d3 = count % 16;
    double sum = 0;
    int used = 0;
    for (int j = 0; j < d1; ++j, ++used) sum += static_cast<double>(level[1][j]);
    if (d1 < 16) {
      for (int j = 0; j < d2; ++j, ++used) sum += static_cast<double>(level[2][d1 * 16 + j]);
      for (int j = 0; j < d3; ++j, ++used) sum += static_cast<double>(level[3][(d1 * 16 + d2) * 16 + j]);
    }
    t.cdf_raw[i] = sum;
    t.nodes_used[i] = used;
  }
  return t;
}

// Half-widths of sums of k = 0..48 node noises, simultaneous over all prefixes and the total.
std::vector<double> TreeErrorBounds(const Sub& s, double alpha) {
  const double a = alpha / (kTreeLeaves + 1);
  std::vector<double> e(49, 0);
  for (int k = 1; k < 49; ++k) e[k] = s.noise->SumHalfWidth(k, a);
  return e;
}

ReleasedValue QuantileFromTree(const TreeEstimate& t, const std::vector<double>& e,
                               const ValueColumn& vc, double q, double alpha) {
  const double width = (vc.upper - vc.lower) / kTreeLeaves;
  // Point estimate from the monotone (running max) CDF.
  double target = q * t.total;
  int est = kTreeLeaves - 1;
  double run = -1e300;
  for (int i = 0; i < kTreeLeaves; ++i) {
    run = std::max(run, t.cdf_raw[i]);
    if (run >= target) {
      est = i;
      break;
    }
  }
  // Simultaneous bounds over all 4096 prefixes and the total (union bound; see TreeErrorBounds).
  const double e_total = e[16];
  int lo_leaf = kTreeLeaves - 1, hi_leaf = kTreeLeaves - 1;
  bool lo_found = false;
  for (int i = 0; i < kTreeLeaves; ++i) {
    double c = t.cdf_raw[i];
    double err = e[t.nodes_used[i]];
    if (!lo_found && c + err >= q * (t.total - e_total)) {
      lo_leaf = i;
      lo_found = true;
    }
    if (c - err >= q * (t.total + e_total)) {
      hi_leaf = i;
      break;
    }
  }
  ReleasedValue rv;
  rv.value = q == 0 ? vc.lower : std::min(vc.upper, vc.lower + (est + 0.5) * width);
  if (q == 1) rv.value = std::min(vc.upper, vc.lower + (est + 1) * width);
  rv.ci_lower = std::max(vc.lower, vc.lower + lo_leaf * width);
  rv.ci_upper = std::min(vc.upper, vc.lower + (hi_leaf + 1) * width);
  if (rv.ci_lower > rv.value) rv.ci_lower = std::max(vc.lower, rv.value - width);
  if (rv.ci_upper < rv.value) rv.ci_upper = std::min(vc.upper, rv.value + width);
  double z = NormalQuantile(1 - alpha / 2);
  rv.noise_scale = (rv.ci_upper - rv.ci_lower) / (2 * z);
  return rv;
}

int CompareKeys(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) continue;
    char* ea = nullptr;
    char* eb = nullptr;
    double da = std::strtod(a[i].c_str(), &ea), db = std::strtod(b[i].c_str(), &eb);
    bool na = !a[i].empty() && ea && *ea == '\0', nb = !b[i].empty() && eb && *eb == '\0';
    if (na && nb && da != db) return da < db ? -1 : 1;
    return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

absl::StatusOr<QueryResult> ReleaseState(Planned& p, const PartialAggregates::State& state,
                                         const QuerySpec& spec, random::BitGenerator& gen) {
  QueryResult result;
  result.plan = p.plan;
  result.key_names = spec.group_by;
  result.value_names = p.names;
  const double alpha = 1 - spec.confidence;
  // Groups to release.
  std::vector<const engine::GroupState*> groups;
  std::vector<engine::GroupState> synthesized;  // declared keys absent from the data
  if (!spec.group_by.empty() && p.rq.all_keys_public()) {
    size_t combos = 1;
    for (const auto& k : p.rq.public_keys) {
      combos *= k.size();
      if (combos > 1'000'000) {
        return absl::InvalidArgumentError("more than 10^6 public key combinations in GROUP BY");
      }
    }
    synthesized.reserve(combos);
    std::vector<size_t> idx(p.rq.public_keys.size(), 0);
    for (size_t c = 0; c < combos; ++c) {
      std::vector<std::string> keys;
      for (size_t i = 0; i < idx.size(); ++i) keys.push_back(p.rq.public_keys[i][idx[i]]);
      auto it = state.groups.find(absl::StrJoin(keys, std::string(1, '\x1f')));
      if (it != state.groups.end()) {
        groups.push_back(&it->second);
      } else {
        engine::GroupState g;
        g.keys = keys;
        g.values.resize(p.rq.value_columns.size());
        synthesized.push_back(std::move(g));
        groups.push_back(&synthesized.back());
      }
      for (size_t i = idx.size(); i-- > 0;) {
        if (++idx[i] < p.rq.public_keys[i].size()) break;
        idx[i] = 0;
      }
    }
  } else if (spec.group_by.empty()) {
    auto it = state.groups.find("");
    if (it != state.groups.end()) {
      groups.push_back(&it->second);
    } else {
      engine::GroupState g;
      g.values.resize(p.rq.value_columns.size());
      synthesized.push_back(std::move(g));
      groups.push_back(&synthesized.back());
    }
  } else {
    for (const auto& [key, g] : state.groups) {
      if (p.selector->ShouldKeep(g.units, gen)) groups.push_back(&g);
    }
  }
  std::sort(groups.begin(), groups.end(), [](const engine::GroupState* a, const engine::GroupState* b) {
    return CompareKeys(a->keys, b->keys) < 0;
  });
  std::map<int, std::vector<double>> tree_bounds;  // per tree sub: prefix error bounds
  for (const engine::GroupState* g : groups) {
    ResultRow row;
    row.keys = g->keys;
    std::map<int, TreeEstimate> trees;  // per tree sub, drawn once per group
    for (size_t a = 0; a < spec.aggregates.size(); ++a) {
      const AggregateSpec& as = spec.aggregates[a];
      const AggPlan& ap = p.aggs[a];
      const ValueColumn* vc = ap.value_column >= 0 ? &p.rq.value_columns[ap.value_column] : nullptr;
      const engine::ValueAccumulator empty;
      const engine::ValueAccumulator& acc =
          (vc && static_cast<size_t>(ap.value_column) < g->values.size()) ? g->values[ap.value_column] : empty;
      ReleasedValue rv;
      switch (as.function) {
        case AggregateFunction::kCount:
        case AggregateFunction::kCountDistinctUnits: {
          const Sub& s = p.subs[ap.subs[0]];
          int128 exact = s.kind == Sub::kRows ? g->rows : (s.kind == Sub::kUnits ? g->units : acc.n);
          NoisyStat n = Release(s, nullptr, exact, alpha, gen);
          // Counts are clamped at 0 (post-processing); the interval is clamped likewise.
          rv.value = std::max(0.0, n.value);
          rv.noise_scale = n.stddev;
          rv.ci_lower = std::max(0.0, n.value - n.half);
          rv.ci_upper = std::max(0.0, n.value + n.half);
          break;
        }
        case AggregateFunction::kSum: {
          const Sub& s = p.subs[ap.subs[0]];
          NoisyStat n = Release(s, vc, acc.raw_sum, alpha, gen);
          rv = {n.value, n.stddev, n.value - n.half, n.value + n.half};
          break;
        }
        case AggregateFunction::kMean: {
          NoisyStat c = Release(p.subs[ap.subs[0]], vc, acc.n, alpha / 2, gen);
          NoisyStat s = Release(p.subs[ap.subs[1]], vc, acc.sum, alpha / 2, gen);
          double mid = vc->mid();
          rv.value = std::clamp(mid + s.value / std::max(1.0, c.value), vc->lower, vc->upper);
          if (c.value - c.half <= 0) {
            rv.ci_lower = vc->lower;
            rv.ci_upper = vc->upper;
          } else {
            Interval m = Divide({s.value - s.half, s.value + s.half}, {c.value - c.half, c.value + c.half});
            rv.ci_lower = std::clamp(mid + m.lo, vc->lower, vc->upper);
            rv.ci_upper = std::clamp(mid + m.hi, vc->lower, vc->upper);
          }
          double cc = std::max(1.0, c.value);
          rv.noise_scale = std::sqrt(s.stddev * s.stddev / (cc * cc) +
                                     (s.value * s.value) * c.stddev * c.stddev / (cc * cc * cc * cc));
          break;
        }
        case AggregateFunction::kVariance:
        case AggregateFunction::kStddev: {
          NoisyStat c = Release(p.subs[ap.subs[0]], vc, acc.n, alpha / 3, gen);
          NoisyStat s = Release(p.subs[ap.subs[1]], vc, acc.sum, alpha / 3, gen);
          NoisyStat ss = Release(p.subs[ap.subs[2]], vc, acc.sum_sq, alpha / 3, gen);
          const double r2 = vc->radius() * vc->radius();
          double cc = std::max(1.0, c.value);
          double m1 = s.value / cc, m2 = std::max(0.0, ss.value) / cc;
          double var = std::clamp(m2 - m1 * m1, 0.0, r2);
          double lo = 0, hi = r2;
          if (c.value - c.half > 0) {
            Interval e1 = Divide({s.value - s.half, s.value + s.half}, {c.value - c.half, c.value + c.half});
            Interval e2 = Divide({std::max(0.0, ss.value - ss.half), std::max(0.0, ss.value + ss.half)},
                                 {c.value - c.half, c.value + c.half});
            double sq_max = std::max(e1.lo * e1.lo, e1.hi * e1.hi);
            double sq_min = (e1.lo <= 0 && e1.hi >= 0) ? 0.0 : std::min(e1.lo * e1.lo, e1.hi * e1.hi);
            lo = std::clamp(e2.lo - sq_max, 0.0, r2);
            hi = std::clamp(e2.hi - sq_min, 0.0, r2);
          }
          double sd = std::sqrt(ss.stddev * ss.stddev + 4 * m1 * m1 * s.stddev * s.stddev) / cc;
          if (as.function == AggregateFunction::kVariance) {
            rv = {var, sd, std::min(lo, var), std::max(hi, var)};
          } else {
            double stdv = std::sqrt(var);
            rv = {stdv, stdv > 0 ? sd / (2 * stdv) : std::sqrt(sd), std::sqrt(std::min(lo, var)),
                  std::sqrt(std::max(hi, var))};
          }
          break;
        }
        case AggregateFunction::kQuantile: {
          int sub = ap.subs[0];
          auto it = trees.find(sub);
          if (it == trees.end()) it = trees.emplace(sub, NoisyTree(acc, p.subs[sub], gen)).first;
          auto eb = tree_bounds.find(sub);
          if (eb == tree_bounds.end()) eb = tree_bounds.emplace(sub, TreeErrorBounds(p.subs[sub], alpha)).first;
          rv = QuantileFromTree(it->second, eb->second, *vc, as.quantile, alpha);
          break;
        }
      }
      row.values.push_back(rv);
    }
    result.rows.push_back(std::move(row));
  }
  if (p.rq.unit_index >= 0) {
    result.notes.push_back("rows whose privacy unit is null are dropped before bounding");
  }
  return result;
}

// Finds the private bounds of auto-bounded value columns (the plan's measurements then show
// the noise scales in value units); notes the bounds found (DP values).
absl::Status ResolveAutoBounds(const io::Table& table, const engine::BoundedRows& bounded,
                               random::BitGenerator& gen, Planned* p,
                               std::vector<std::string>* notes) {
  for (auto& ab : p->auto_bounds) {
    ValueColumn& vc = p->rq.value_columns[ab.value_column];
    DPKIT_ASSIGN_OR_RETURN(auto b, engine::PrivateBounds(table, bounded, vc.table_index, vc.name,
                                                         *ab.noise, gen));
    vc.lower = b.first;
    vc.upper = b.second;
    notes->push_back(absl::StrCat("bounds for ", vc.name, " found privately: [",
                                  FormatDouble(vc.lower), ", ", FormatDouble(vc.upper), "]"));
    for (auto& m : p->plan.measurements) {
      for (const auto& s : p->subs) {
        if (s.label != m.name || s.value_column != ab.value_column) continue;
        if (s.kind == Sub::kColumnCount || s.kind == Sub::kTree) continue;
        const double unit = Unit(s, vc);
        m.noise_scale = s.noise->scale() * unit;
        m.sensitivity = std::ceil(std::ldexp(RawSensitivity(s.kind, p->linf), -s.shift)) * unit;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckExecutionOptions(const ExecutionOptions& options) {
  if (options.rng == nullptr) return absl::InvalidArgumentError("ExecutionOptions.rng is required");
  if (options.noise == nullptr) {
    return absl::InvalidArgumentError("ExecutionOptions.noise is required");
  }
  return absl::OkStatus();
}

// Step 3 of the release protocol: bound, aggregate, add noise. Only after the charge.
absl::StatusOr<QueryResult> Execute(Planned p, const io::Table& table, const QuerySpec& spec,
                                    const ExecutionOptions& options) {
  random::BitGenerator& gen = *options.rng;
  const uint64_t salt = gen.NextU64();
  std::vector<std::string> bound_notes;
  PartialAggregates::State state;
  state.group_columns = spec.group_by;
  if (p.auto_bounds.empty()) {
    state.value_columns = p.rq.value_columns;
    DPKIT_RETURN_IF_ERROR(engine::BoundAndAccumulate(table, spec, p.rq, salt, options.threads, &state));
  } else {  // the bounds come from the kept rows, before accumulating
    DPKIT_ASSIGN_OR_RETURN(auto bounded, engine::BoundContributions(table, spec, p.rq, salt, options.threads));
    DPKIT_RETURN_IF_ERROR(ResolveAutoBounds(table, bounded, gen, &p, &bound_notes));
    state.value_columns = p.rq.value_columns;
    engine::Accumulate(table, p.rq, bounded, options.threads, &state);
  }
  DPKIT_ASSIGN_OR_RETURN(QueryResult result, ReleaseState(p, state, spec, gen));
  result.notes.insert(result.notes.begin(), bound_notes.begin(), bound_notes.end());
  return result;
}

// What the ledger records for a query run through the C++ API.
std::string Operation(const QuerySpec& spec) {
  std::vector<std::string> aggs;
  for (const auto& a : spec.aggregates) aggs.push_back(a.output_name.empty() ? DefaultName(a) : a.output_name);
  return absl::StrCat("analytics query on '", spec.table_name, "': ", absl::StrJoin(aggs, ", "),
                      spec.group_by.empty() ? "" : absl::StrCat(" by ", absl::StrJoin(spec.group_by, ", ")));
}

// Charges `p` to (dataset, its privacy unit); the receipt of the one charge.
absl::StatusOr<ledger::Receipt> ChargeQuery(const Planned& p, const QuerySpec& spec,
                                            const std::string& dataset,
                                            release::Charger& charger) {
  TableCharge c;
  c.table = spec.table_name.empty() ? dataset : spec.table_name;
  c.plan = ToReleasePlan(p.plan, {dataset, p.plan.privacy_unit}, Operation(spec));
  DPKIT_ASSIGN_OR_RETURN(std::vector<ledger::Receipt> receipts, ChargeTables(charger, {c}));
  return receipts.front();
}

}  // namespace

absl::StatusOr<QueryPlan> PlanQuery(const io::Table& table, const io::Schema& schema,
                                    const QuerySpec& spec) {
  DPKIT_ASSIGN_OR_RETURN(Planned p, MakePlan(table, schema, spec, mechanisms::SecureNoise()));
  return p.plan;
}

release::ReleasePlan ToReleasePlan(const QueryPlan& plan, const release::BudgetKey& budget,
                                   const std::string& operation) {
  release::ReleasePlan r;
  r.operation = operation;
  r.budget = budget;
  r.neighbouring = release::NeighbouringRelation(budget.unit);
  r.maps = plan.PrivacyMaps();
  r.steps = plan.steps;
  return r;
}

absl::StatusOr<QueryResult> RunQuery(const io::Table& table, const io::Schema& schema,
                                     const QuerySpec& spec, const std::string& dataset,
                                     release::Charger& charger, const ExecutionOptions& options) {
  DPKIT_RETURN_IF_ERROR(CheckExecutionOptions(options));
  DPKIT_ASSIGN_OR_RETURN(Planned p, MakePlan(table, schema, spec, *options.noise));
  DPKIT_ASSIGN_OR_RETURN(ledger::Receipt receipt, ChargeQuery(p, spec, dataset, charger));
  absl::StatusOr<QueryResult> r = Execute(std::move(p), table, spec, options);
  if (!r.ok()) return release::ChargedFailure(r.status(), receipt);
  r->receipts = {receipt};
  return r;
}

absl::StatusOr<QueryResult> ExecuteQuery(const io::Table& table, const io::Schema& schema,
                                         const QuerySpec& spec, const ledger::Receipt& charge,
                                         const ExecutionOptions& options) {
  DPKIT_RETURN_IF_ERROR(CheckExecutionOptions(options));
  DPKIT_ASSIGN_OR_RETURN(Planned p, MakePlan(table, schema, spec, *options.noise));
  DPKIT_ASSIGN_OR_RETURN(QueryResult r, Execute(std::move(p), table, spec, options));
  r.receipts = {charge};
  return r;
}

// ---------------------------------------------------------------------------------------------
// Partial aggregates

PartialAggregates::PartialAggregates() : state_(std::make_unique<State>()) {}
PartialAggregates::~PartialAggregates() = default;
PartialAggregates::PartialAggregates(PartialAggregates&&) noexcept = default;
PartialAggregates& PartialAggregates::operator=(PartialAggregates&&) noexcept = default;
PartialAggregates::PartialAggregates(const PartialAggregates& o)
    : state_(std::make_unique<State>(*o.state_)) {}
PartialAggregates& PartialAggregates::operator=(const PartialAggregates& o) {
  state_ = std::make_unique<State>(*o.state_);
  return *this;
}

absl::StatusOr<PartialAggregates> PartialAggregates::Compute(const io::Table& slice,
                                                            const io::Schema& schema,
                                                            const QuerySpec& spec, uint64_t salt) {
  DPKIT_ASSIGN_OR_RETURN(Planned p, MakePlan(slice, schema, spec, mechanisms::SecureNoise()));
  if (!p.auto_bounds.empty()) {
    return absl::InvalidArgumentError(
        "partial aggregates need explicit bounds for every value column (auto bounds need a "
        "global pass)");
  }
  PartialAggregates out;
  State& st = *out.state_;
  st.group_columns = spec.group_by;
  st.value_columns = p.rq.value_columns;
  st.privacy_unit = schema.privacy_unit;
  st.max_groups_per_unit = p.l0;
  st.max_rows_per_group = p.linf;
  st.salt = salt;
  DPKIT_RETURN_IF_ERROR(engine::BoundAndAccumulate(slice, spec, p.rq, salt, 1, &st));
  return out;
}

absl::Status PartialAggregates::Merge(const PartialAggregates& other) {
  const State& o = *other.state_;
  State& s = *state_;
  if (s.group_columns != o.group_columns || s.value_columns.size() != o.value_columns.size() ||
      s.privacy_unit != o.privacy_unit || s.salt != o.salt ||
      s.max_groups_per_unit != o.max_groups_per_unit || s.max_rows_per_group != o.max_rows_per_group) {
    return absl::InvalidArgumentError(
        "cannot merge partial aggregates of different queries (group columns, value columns, "
        "privacy unit, bounding or salt differ)");
  }
  for (size_t v = 0; v < s.value_columns.size(); ++v) {
    const auto& a = s.value_columns[v];
    const auto& b = o.value_columns[v];
    if (a.name != b.name || a.lower != b.lower || a.upper != b.upper || a.count_only != b.count_only) {
      return absl::InvalidArgumentError("cannot merge partial aggregates: value columns differ");
    }
  }
  s.input_rows += o.input_rows;
  s.dropped_rows += o.dropped_rows;
  for (const auto& [key, g] : o.groups) {
    auto it = s.groups.find(key);
    if (it == s.groups.end()) {
      s.groups.emplace(key, g);
    } else {
      engine::MergeGroup(g, &it->second);
    }
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, PartialAggregates>> PartialAggregates::SplitByGroup() const {
  std::vector<std::pair<std::string, PartialAggregates>> out;
  out.reserve(state_->groups.size());
  for (const auto& [key, group] : state_->groups) {
    PartialAggregates one;
    State& s = *one.state_;
    s.group_columns = state_->group_columns;
    s.value_columns = state_->value_columns;
    s.privacy_unit = state_->privacy_unit;
    s.max_groups_per_unit = state_->max_groups_per_unit;
    s.max_rows_per_group = state_->max_rows_per_group;
    s.salt = state_->salt;
    s.groups.emplace(key, group);
    out.emplace_back(key, std::move(one));
  }
  return out;
}

namespace {
std::string I128ToString(int128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  unsigned __int128 u = neg ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string s;
  while (u > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (neg) s.push_back('-');
  return std::string(s.rbegin(), s.rend());
}
absl::StatusOr<int128> I128FromString(const std::string& s) {
  if (s.empty()) return DataError("empty integer in partial aggregates");
  size_t i = 0;
  bool neg = s[0] == '-';
  if (neg) i = 1;
  unsigned __int128 u = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return DataError("malformed integer in partial aggregates");
    u = u * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return neg ? -static_cast<int128>(u) : static_cast<int128>(u);
}
}  // namespace

std::string PartialAggregates::Serialize() const {
  const State& s = *state_;
  nlohmann::json j;
  j["format"] = "dpkit.partial_aggregates.v1";
  j["group_columns"] = s.group_columns;
  j["privacy_unit"] = s.privacy_unit;
  j["max_groups_per_unit"] = s.max_groups_per_unit;
  j["max_rows_per_group"] = s.max_rows_per_group;
  j["salt"] = std::to_string(s.salt);
  j["input_rows"] = s.input_rows;
  j["dropped_rows"] = s.dropped_rows;
  nlohmann::json vcs = nlohmann::json::array();
  for (const auto& vc : s.value_columns) {
    vcs.push_back({{"name", vc.name}, {"index", vc.table_index}, {"lower", vc.lower},
                   {"upper", vc.upper}, {"count_only", vc.count_only}, {"tree", vc.needs_tree}});
  }
  j["value_columns"] = vcs;
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& [key, g] : s.groups) {
    nlohmann::json vals = nlohmann::json::array();
    for (const auto& v : g.values) {
      nlohmann::json leaves = nlohmann::json::array();
      for (const auto& [leaf, c] : v.leaves) leaves.push_back({leaf, c});
      vals.push_back({{"n", v.n}, {"sum", I128ToString(v.sum)}, {"sum_sq", I128ToString(v.sum_sq)},
                      {"raw_sum", I128ToString(v.raw_sum)}, {"leaves", leaves}});
    }
    groups.push_back({{"keys", g.keys}, {"units", g.units}, {"rows", g.rows}, {"values", vals}});
  }
  j["groups"] = groups;
  return j.dump();
}

absl::StatusOr<PartialAggregates> PartialAggregates::Deserialize(const std::string& bytes) {
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != "dpkit.partial_aggregates.v1") {
    return DataError("not a dpkit partial aggregate (format dpkit.partial_aggregates.v1)");
  }
  PartialAggregates out;
  State& s = *out.state_;
  try {
    s.group_columns = j.at("group_columns").get<std::vector<std::string>>();
    s.privacy_unit = j.at("privacy_unit").get<std::string>();
    s.max_groups_per_unit = j.at("max_groups_per_unit").get<int64_t>();
    s.max_rows_per_group = j.at("max_rows_per_group").get<int64_t>();
    s.salt = std::stoull(j.at("salt").get<std::string>());
    s.input_rows = j.at("input_rows").get<int64_t>();
    s.dropped_rows = j.at("dropped_rows").get<int64_t>();
    for (const auto& v : j.at("value_columns")) {
      ValueColumn vc;
      vc.name = v.at("name").get<std::string>();
      vc.table_index = v.at("index").get<int>();
      vc.lower = v.at("lower").is_null() ? std::nan("") : v.at("lower").get<double>();
      vc.upper = v.at("upper").is_null() ? std::nan("") : v.at("upper").get<double>();
      vc.count_only = v.at("count_only").get<bool>();
      vc.needs_tree = v.at("tree").get<bool>();
      s.value_columns.push_back(vc);
    }
    for (const auto& g : j.at("groups")) {
      engine::GroupState gs;
      gs.keys = g.at("keys").get<std::vector<std::string>>();
      gs.units = g.at("units").get<int64_t>();
      gs.rows = g.at("rows").get<int64_t>();
      for (const auto& v : g.at("values")) {
        engine::ValueAccumulator a;
        a.n = v.at("n").get<int64_t>();
        DPKIT_ASSIGN_OR_RETURN(a.sum, I128FromString(v.at("sum").get<std::string>()));
        DPKIT_ASSIGN_OR_RETURN(a.sum_sq, I128FromString(v.at("sum_sq").get<std::string>()));
        DPKIT_ASSIGN_OR_RETURN(a.raw_sum, I128FromString(v.at("raw_sum").get<std::string>()));
        for (const auto& l : v.at("leaves")) a.leaves[l.at(0).get<uint32_t>()] = l.at(1).get<int64_t>();
        gs.values.push_back(std::move(a));
      }
      std::string key = absl::StrJoin(gs.keys, std::string(1, '\x1f'));
      s.groups.emplace(std::move(key), std::move(gs));
    }
  } catch (const std::exception& e) {
    return DataError(absl::StrCat("malformed partial aggregate: ", e.what()));
  }
  return out;
}

namespace {
// The plan of `spec` for releasing `partials` (checked to be of the same query).
absl::StatusOr<Planned> PlanPartialsRelease(const PartialAggregates& partials,
                                            const io::Table& schema_table, const io::Schema& schema,
                                            const QuerySpec& spec, const ExecutionOptions& options) {
  DPKIT_RETURN_IF_ERROR(CheckExecutionOptions(options));
  DPKIT_ASSIGN_OR_RETURN(Planned p, MakePlan(schema_table, schema, spec, *options.noise));
  if (p.rq.value_columns.size() != partials.state().value_columns.size()) {
    return absl::InvalidArgumentError("partial aggregates were computed for a different query");
  }
  return p;
}
}  // namespace

absl::StatusOr<QueryResult> ReleasePartials(const PartialAggregates& partials,
                                            const io::Table& schema_table, const io::Schema& schema,
                                            const QuerySpec& spec, const std::string& dataset,
                                            release::Charger& charger,
                                            const ExecutionOptions& options) {
  DPKIT_ASSIGN_OR_RETURN(Planned p,
                         PlanPartialsRelease(partials, schema_table, schema, spec, options));
  DPKIT_ASSIGN_OR_RETURN(ledger::Receipt receipt, ChargeQuery(p, spec, dataset, charger));
  absl::StatusOr<QueryResult> r = ReleaseState(p, partials.state(), spec, *options.rng);
  if (!r.ok()) return release::ChargedFailure(r.status(), receipt);
  r->receipts = {receipt};
  return r;
}

absl::StatusOr<QueryResult> ReleaseChargedPartials(const PartialAggregates& partials,
                                                   const io::Table& schema_table,
                                                   const io::Schema& schema, const QuerySpec& spec,
                                                   const ledger::Receipt& charge,
                                                   const ExecutionOptions& options) {
  DPKIT_ASSIGN_OR_RETURN(Planned p,
                         PlanPartialsRelease(partials, schema_table, schema, spec, options));
  DPKIT_ASSIGN_OR_RETURN(QueryResult r, ReleaseState(p, partials.state(), spec, *options.rng));
  r.receipts = {charge};
  return r;
}

}  // namespace dpkit::analytics
