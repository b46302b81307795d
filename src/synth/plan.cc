#include "dpkit/synth/plan.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "dpkit/accounting/zcdp.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/release/budget_split.h"
#include "dpkit/synth/derived_columns.h"
#include "dpkit/synth/hierarchy.h"
#include "synth/dp_bins.h"

namespace dpkit::synth {
namespace {

bool IsNumeric(io::DataType t) {
  return t == io::DataType::kInt64 || t == io::DataType::kDouble || t == io::DataType::kDate;
}

// How one column's domain is obtained, from its schema entry (or none) alone.
absl::StatusOr<ColumnPlan> PlanColumn(const std::string& name, const io::ColumnSchema* cs,
                                      const SynthOptions& o) {
  ColumnPlan c;
  c.name = name;
  c.type = cs != nullptr ? cs->type : io::DataType::kString;
  c.encoding.name = name;
  c.encoding.null_category = cs == nullptr || cs->nullable;
  if (cs != nullptr && !cs->categories.empty()) {
    c.source = DomainSource::kDeclaredCategories;  // complete: no "other" code
    c.encoding.categories = cs->categories;
  } else if (c.type == io::DataType::kBool) {
    c.source = DomainSource::kDeclaredCategories;
    c.encoding.categories = {"false", "true"};
  } else if (IsNumeric(c.type) && !cs->bins.empty()) {
    c.source = DomainSource::kDeclaredBins;
    c.encoding.bin_edges = cs->bins;
    c.lower = cs->bins.front();
    c.upper = cs->bins.back();
  } else if (IsNumeric(c.type)) {
    if (!cs->has_bounds()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column '", name, "' (", io::DataTypeName(c.type),
          ") needs public \"lower\"/\"upper\" bounds or \"bins\" in the schema: bounds read off "
          "the data are not private. Add them to the schema file (--schema)"));
    }
    c.lower = *cs->lower;
    c.upper = *cs->upper;
    if (!(c.upper > c.lower)) {
      return absl::InvalidArgumentError(absl::StrCat("column '", name,
                                                     "': upper bound must exceed lower, got [",
                                                     FormatDouble(c.lower), ", ",
                                                     FormatDouble(c.upper), "]"));
    }
    const bool integral = c.type != io::DataType::kDouble;
    if (integral && std::floor(c.upper) - std::ceil(c.lower) + 1 <= o.numeric_bins) {
      c.source = DomainSource::kIntegers;
      c.lower = std::ceil(c.lower);
      c.upper = std::floor(c.upper);
      c.encoding.bin_edges = internal::IntegerEdges(c.lower, c.upper);
    } else {
      c.source = DomainSource::kQuantiles;
    }
  } else {
    c.source = DomainSource::kPartition;
    c.encoding.other_category = true;
  }
  return c;
}

// Splits the budget over the columns that need DP preprocessing by their public shares, and
// delta evenly over the partition-selection columns (see plan.h).
absl::Status SplitBudget(SynthPlan& p) {
  const SynthOptions& o = p.options;
  double total_shares = 0;
  int need_delta = 0;
  for (const ColumnPlan& c : p.columns) {
    total_shares += c.budget_shares();
    need_delta += c.source == DomainSource::kPartition;
  }
  p.delta_preprocessing = need_delta > 0 ? o.partition_delta_fraction * o.delta : 0;
  DPKIT_ASSIGN_OR_RETURN(p.rho_total,
                         accounting::ZcdpRhoForEpsilon(o.epsilon, o.delta - p.delta_preprocessing));
  p.rho_mechanism = p.rho_total;
  if (total_shares == 0) return absl::OkStatus();
  std::vector<double> weights;  // per preprocessed column, then the mechanism
  for (const ColumnPlan& c : p.columns) {
    if (c.needs_preprocessing()) {
      weights.push_back(o.preprocessing_fraction * c.budget_shares() / total_shares);
    }
  }
  weights.push_back(1 - o.preprocessing_fraction);
  DPKIT_ASSIGN_OR_RETURN(std::vector<double> rho, release::SplitBudget(p.rho_total, weights));
  const double delta_col = need_delta > 0 ? p.delta_preprocessing / need_delta : 0.0;
  size_t k = 0;
  for (ColumnPlan& c : p.columns) {
    if (!c.needs_preprocessing()) continue;
    c.rho = rho[k++];
    if (c.source == DomainSource::kPartition) c.delta = delta_col;
    p.rho_preprocessing += c.rho;
  }
  p.rho_mechanism = rho.back();
  return absl::OkStatus();
}

}  // namespace

double ColumnPlan::budget_shares() const {
  if (source == DomainSource::kPartition) return kPartitionShares;
  return source == DomainSource::kQuantiles ? 1.0 : 0.0;
}

const char* DomainSourceName(DomainSource s) {
  switch (s) {
    case DomainSource::kDeclaredCategories: return "declared categories";
    case DomainSource::kDeclaredBins: return "declared bins";
    case DomainSource::kIntegers: return "one bin per integer in the declared bounds";
    case DomainSource::kQuantiles: return "DP bins within the declared bounds";
    case DomainSource::kPartition: return "private partition selection";
    case DomainSource::kDomainFile: return "domain file";
  }
  return "?";
}

namespace {

// `names` without the schema's derived columns, which go to p.derived; each of their date
// columns must be among the remaining (modelled) names.
absl::StatusOr<std::vector<std::string>> TakeDerived(const io::Schema& schema,
                                                     std::vector<std::string> names,
                                                     SynthPlan& p) {
  for (const std::string& name : names) {
    const io::ColumnSchema* cs = schema.Find(name);
    if (cs != nullptr && cs->derived.has_value()) p.derived.push_back(*cs);
  }
  std::erase_if(names, [&](const std::string& n) {
    return std::any_of(p.derived.begin(), p.derived.end(),
                       [&](const io::ColumnSchema& d) { return d.name == n; });
  });
  for (const io::ColumnSchema& d : p.derived) DPKIT_RETURN_IF_ERROR(CheckDatesModelled(d, names));
  return names;
}

}  // namespace

absl::StatusOr<SynthPlan> PlanSynth(const std::vector<std::string>& columns,
                                    const io::Schema& schema, const SynthOptions& options) {
  DPKIT_RETURN_IF_ERROR(ValidateOptions(options));
  DPKIT_RETURN_IF_ERROR(schema.Validate());
  SynthPlan p;
  p.options = options;
  p.unit = schema.privacy_unit;
  if (!p.unit.empty() && std::find(columns.begin(), columns.end(), p.unit) == columns.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("privacy unit column '", p.unit, "' is not in the data's header"));
  }
  for (const std::string& name : columns) {
    if (name != p.unit) p.output_columns.push_back(name);
  }
  p.hierarchies = schema.hierarchies;
  DPKIT_ASSIGN_OR_RETURN(const io::Schema modelled, CombinedSchema(schema));
  DPKIT_ASSIGN_OR_RETURN(std::vector<std::string> names, CombinedColumnNames(schema, columns));
  DPKIT_ASSIGN_OR_RETURN(names, TakeDerived(schema, std::move(names), p));
  std::vector<std::string> undeclared;
  for (const std::string& name : names) {
    if (name == p.unit) continue;
    const io::ColumnSchema* cs = modelled.Find(name);
    if (cs == nullptr) undeclared.push_back(absl::StrCat("'", name, "'"));
    DPKIT_ASSIGN_OR_RETURN(ColumnPlan c, PlanColumn(name, cs, options));
    p.columns.push_back(std::move(c));
  }
  if (p.columns.empty()) return absl::InvalidArgumentError("no columns to synthesise");
  if (!undeclared.empty()) {
    p.notes.push_back(absl::StrCat(
        "column(s) ", absl::StrJoin(undeclared, ", "),
        " not declared in a schema: modelled as text categories with private partition "
        "selection (public default; declare their types, bounds or categories to change it)"));
  }
  if (!schema.null_tokens.empty()) p.null_token = schema.null_tokens.front();
  DPKIT_RETURN_IF_ERROR(SplitBudget(p));
  return p;
}

absl::StatusOr<SynthPlan> PlanSynthEncoded(const io::Domain& domain, const SynthOptions& options) {
  DPKIT_RETURN_IF_ERROR(ValidateOptions(options));
  if (domain.num_attributes() < 1) return absl::InvalidArgumentError("the domain has no attributes");
  SynthPlan p;
  p.options = options;
  p.domain_file_size = domain.num_attributes();
  for (int a = 0; a < domain.num_attributes(); ++a) {
    ColumnPlan c;
    c.name = domain.name(a);
    c.type = io::DataType::kInt64;
    c.source = DomainSource::kDomainFile;
    p.columns.push_back(std::move(c));
  }
  DPKIT_ASSIGN_OR_RETURN(p.rho_total,
                         accounting::ZcdpRhoForEpsilon(options.epsilon, options.delta));
  p.rho_mechanism = p.rho_total;
  return p;
}

std::vector<PrivacyMap> SynthPlan::privacy_maps() const {
  const std::string name = absl::StrCat("synth/", MethodName(options.method));
  if (delta_preprocessing > 0) {
    // (delta_pre, rho_total)-approximate zCDP -> (epsilon, delta): epsilon at delta - delta_pre.
    absl::StatusOr<double> eps =
        accounting::ZcdpEpsilon(rho_total, options.delta - delta_preprocessing);
    return {PrivacyMap::ApproxDp(eps.ok() ? *eps : options.epsilon, options.delta, name)};
  }
  return {PrivacyMap::Zcdp(rho_total, name)};
}

std::vector<std::string> SynthPlan::steps() const {
  std::vector<std::string> s;
  if (!unit.empty()) {
    s.push_back(absl::StrCat("keep one uniformly random row per '", unit,
                             "' (rows without a unit are dropped); the unit is not synthesised"));
  }
  for (const ColumnPlan& c : columns) {
    std::string line = absl::StrCat("column '", c.name, "' (", io::DataTypeName(c.type),
                                    "): ", DomainSourceName(c.source));
    if (c.rho > 0) absl::StrAppend(&line, absl::StrFormat(", rho %.4g", c.rho));
    if (c.delta > 0) absl::StrAppend(&line, absl::StrFormat(", delta %.3g", c.delta));
    s.push_back(std::move(line));
  }
  s.push_back(absl::StrFormat("%s with rho %.4g (of rho_total %.4g from epsilon=%g, delta=%g)",
                              MethodName(options.method), rho_mechanism, rho_total,
                              options.epsilon, options.delta));
  for (const io::Hierarchy& h : hierarchies) {
    s.push_back(absl::StrCat("hierarchy ", absl::StrJoin(h.columns, " -> "), ": modelled as '",
                             HierarchyColumnName(h), "' (", h.values.size(),
                             " listed combinations, public), split after sampling"));
  }
  for (const io::ColumnSchema& d : derived) s.push_back(DescribeDerivation(d));
  for (const std::string& n : notes) s.push_back(absl::StrCat("note: ", n));
  return s;
}

release::ReleasePlan SynthPlan::ToRelease(const std::string& dataset,
                                          const std::string& operation) const {
  release::ReleasePlan r;
  r.operation = operation;
  r.budget = {dataset, unit};
  r.neighbouring = neighbouring();
  r.maps = privacy_maps();
  r.steps = steps();
  return r;
}

}  // namespace dpkit::synth
