#include "dpkit/publish/plan.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/accounting/zcdp.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "nlohmann/json.hpp"
#include "publish/table_order.h"

namespace dpkit::publish {
namespace {

using Json = nlohmann::ordered_json;

// Room left for floating-point rounding when the ledger adds the measurements' rho up.
constexpr double kRoundingMargin = 1e-9;

int VariableId(const PublicationSpec& spec, const std::string& name) {
  for (size_t i = 0; i < spec.variables.size(); ++i) {
    if (spec.variables[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

TableLayout LayoutOf(const PublicationSpec& spec, const std::vector<int>& variables) {
  std::vector<int> sizes;
  for (int v : variables) sizes.push_back(static_cast<int>(spec.variables[v].Labels().size()));
  return TableLayout(variables, std::move(sizes));
}

std::vector<std::string> CellLabels(const PublicationSpec& spec, const TableLayout& layout) {
  if (layout.variables().empty()) return {"total"};
  std::vector<std::vector<std::string>> labels;
  for (int v : layout.variables()) labels.push_back(spec.variables[v].Labels());
  std::vector<std::string> out;
  for (int cell = 0; cell < layout.num_cells(); ++cell) {
    const std::vector<int> categories = layout.Categories(cell);
    std::vector<std::string> parts;
    for (size_t i = 0; i < categories.size(); ++i) {
      parts.push_back(
          absl::StrCat(spec.variables[layout.variables()[i]].name, "=", labels[i][categories[i]]));
    }
    out.push_back(absl::StrJoin(parts, ";"));
  }
  return out;
}

std::vector<TablePlan> BuildTables(const PublicationSpec& spec) {
  std::vector<TablePlan> tables;
  for (const TableSpec& t : spec.tables) {
    TablePlan plan;
    plan.name = t.name;
    std::vector<int> variables;
    for (const std::string& name : t.variables) variables.push_back(VariableId(spec, name));
    plan.layout = LayoutOf(spec, variables);
    plan.cell_labels = CellLabels(spec, plan.layout);
    plan.count = t.count;
    plan.sensitivity = t.count == CountedEntity::kPersons ? spec.privacy_unit.max_rows_per_unit : 1;
    plan.family = t.count == CountedEntity::kPersons ? 0 : 1;
    tables.push_back(std::move(plan));
  }
  return tables;
}

absl::StatusOr<std::vector<TableFamily>> BuildFamilies(const PublicationSpec& spec,
                                                       std::vector<TablePlan>& tables) {
  std::vector<TableFamily> families;
  for (CountedEntity count : {CountedEntity::kPersons, CountedEntity::kUnits}) {
    std::vector<int> ids;
    std::vector<std::vector<int>> variables;
    std::vector<std::string> names;
    for (size_t t = 0; t < tables.size(); ++t) {
      if (tables[t].count != count) continue;
      ids.push_back(static_cast<int>(t));
      variables.push_back(tables[t].layout.variables());
      names.push_back(tables[t].name);
    }
    if (ids.empty()) continue;
    DPKIT_ASSIGN_OR_RETURN(ConsistencyOrder order, OrderForConsistency(variables, names));
    TableFamily family;
    family.count = count;
    for (size_t i = 0; i < order.order.size(); ++i) {
      family.order.push_back(ids[order.order[i]]);
      family.source.push_back(order.source[i] < 0 ? -1 : ids[order.source[i]]);
      family.separators.push_back(LayoutOf(spec, order.separator[i]));
      tables[ids[order.order[i]]].family = static_cast<int>(families.size());
    }
    families.push_back(std::move(family));
  }
  return families;
}

absl::StatusOr<std::vector<Measurement>> BuildMeasurements(const PublicationSpec& spec,
                                                           const std::vector<TablePlan>& tables,
                                                           double rho,
                                                           const mechanisms::NoiseFactory& noise) {
  double level_total = 0, table_total = 0;
  for (const GeographyLevelSpec& l : spec.geography.levels) level_total += l.share;
  for (const TableSpec& t : spec.tables) table_total += t.share;
  std::vector<Measurement> measurements;
  for (size_t l = 0; l < spec.geography.levels.size(); ++l) {
    for (size_t t = 0; t < tables.size(); ++t) {
      Measurement m;
      m.level = static_cast<int>(l);
      m.table = static_cast<int>(t);
      m.rho = rho * (1 - kRoundingMargin) * (spec.geography.levels[l].share / level_total) *
              (spec.tables[t].share / table_total);
      absl::StatusOr<std::unique_ptr<mechanisms::IntegerNoise>> mechanism =
          noise.DiscreteGaussian({.rho = m.rho, .l2_sensitivity = tables[t].sensitivity});
      if (!mechanism.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("table '", tables[t].name, "' at level '", spec.geography.levels[l].name,
                         "': rho share ", FormatDouble(m.rho),
                         " cannot be measured: ", mechanism.status().message()));
      }
      m.noise = std::move(*mechanism);
      measurements.push_back(std::move(m));
    }
  }
  return measurements;
}

std::string Operation(const PublicationSpec& spec, double rho) {
  return absl::StrCat("publish", spec.title.empty() ? "" : absl::StrCat(" '", spec.title, "'"),
                      ": ", spec.tables.size(), " table(s) x ", spec.geography.levels.size(),
                      " geography level(s), discrete Gaussian, rho=", FormatDouble(rho));
}

std::vector<std::string> Steps(const PublicationPlan& plan) {
  const PublicationSpec& spec = plan.spec;
  const std::string unit =
      spec.privacy_unit.column.empty()
          ? "each row is one person (no bounding)"
          : absl::StrCat("rows grouped by '", spec.privacy_unit.column, "'; at most ",
                         spec.privacy_unit.max_rows_per_unit,
                         " rows per unit kept (the rest dropped uniformly at random)");
  return {
      absl::StrCat("read the columns named by the spec, each cell parsed under its declared "
                   "type (unparseable cells are null); rows whose geography code is not listed, "
                   "or whose value of a table variable has no category, are outside the "
                   "published universe"),
      absl::StrCat("bound contributions: ", unit),
      absl::StrCat("measure every table at every level with discrete Gaussian noise (",
                   plan.measurements.size(), " measurements, below)"),
      "post-process (no privacy cost): weighted least squares top-down (level by level, "
      "children summing to their parent, tables agreeing on shared margins), non-negativity, "
      "then a controlled rounding to integers that keeps every constraint",
      absl::StrCat("error bars: ", spec.error_bars.replicates,
                   " simulated re-runs of the post-processing on fresh noise around the released "
                   "tables, ",
                   FormatDouble(spec.error_bars.level * 100), "% margins of error"),
  };
}

}  // namespace

absl::StatusOr<PublicationPlan> PlanPublication(const PublicationSpec& spec,
                                                const std::string& dataset,
                                                const mechanisms::NoiseFactory& noise) {
  DPKIT_RETURN_IF_ERROR(spec.Validate());
  if (dataset.empty()) return absl::InvalidArgumentError("dataset name must not be empty");
  PublicationPlan plan;
  plan.spec = spec;
  DPKIT_ASSIGN_OR_RETURN(plan.geography, GeographyTree::Create(spec.geography));
  plan.tables = BuildTables(spec);
  DPKIT_ASSIGN_OR_RETURN(plan.families, BuildFamilies(spec, plan.tables));
  if (spec.budget.rho.has_value()) {
    plan.rho = *spec.budget.rho;
  } else {
    DPKIT_ASSIGN_OR_RETURN(plan.rho,
                           accounting::ZcdpRhoForEpsilon(spec.budget.epsilon, spec.budget.delta));
  }
  DPKIT_ASSIGN_OR_RETURN(plan.measurements, BuildMeasurements(spec, plan.tables, plan.rho, noise));
  plan.release.operation = Operation(spec, plan.rho);
  plan.release.budget = {dataset, spec.privacy_unit.column};
  plan.release.neighbouring = release::NeighbouringRelation(spec.privacy_unit.column);
  for (const Measurement& m : plan.measurements) {
    PrivacyMap map = m.noise->privacy_map();
    map.mechanism = absl::StrCat("publish/", plan.tables[m.table].name, "@",
                                 plan.geography.level_name(m.level));
    plan.release.maps.push_back(std::move(map));
  }
  plan.release.steps = Steps(plan);
  return plan;
}

std::string PublicationPlan::ToText() const {
  std::string text = release.ToText();
  absl::StrAppend(&text, "  total: rho=", FormatDouble(rho), "-zCDP",
                  spec.budget.rho
                      ? ""
                      : absl::StrCat(" (from epsilon=", FormatDouble(spec.budget.epsilon),
                                     ", delta=", FormatDouble(spec.budget.delta), ")"),
                  "\n  measurements (level, table, units x cells, sensitivity, rho, sigma):\n");
  for (const Measurement& m : measurements) {
    const TablePlan& t = tables[m.table];
    absl::StrAppend(&text, "    ", geography.level_name(m.level), " ", t.name, " ",
                    geography.num_units(m.level), "x", t.layout.num_cells(), " ", t.sensitivity,
                    " ", FormatDouble(m.rho), " ", FormatDouble(m.noise->noise_scale()), "\n");
  }
  return text;
}

std::string PublicationPlan::ToJson() const {
  Json j;
  j["title"] = spec.title;
  j["operation"] = release.operation;
  j["dataset"] = release.budget.dataset;
  j["privacy_unit"] = release.budget.LedgerUnit();
  j["neighbouring"] = release.neighbouring;
  j["rho"] = rho;
  if (!spec.budget.rho) j["epsilon_delta"] = {spec.budget.epsilon, spec.budget.delta};
  for (int l = 0; l < geography.num_levels(); ++l) {
    j["levels"].push_back({{"name", geography.level_name(l)},
                           {"prefix", spec.geography.levels[l].prefix},
                           {"units", geography.num_units(l)}});
  }
  for (const TablePlan& t : tables) {
    j["tables"].push_back({{"name", t.name},
                           {"count", CountedEntityName(t.count)},
                           {"sensitivity", t.sensitivity},
                           {"cells", t.cell_labels}});
  }
  for (const TableFamily& f : families) {
    Json order;
    for (size_t i = 0; i < f.order.size(); ++i) {
      order.push_back({{"table", tables[f.order[i]].name},
                       {"agrees_with", f.source[i] < 0 ? "" : tables[f.source[i]].name}});
    }
    j["consistency"].push_back({{"count", CountedEntityName(f.count)}, {"order", order}});
  }
  for (size_t i = 0; i < measurements.size(); ++i) {
    const Measurement& m = measurements[i];
    j["measurements"].push_back({{"level", geography.level_name(m.level)},
                                 {"table", tables[m.table].name},
                                 {"rho", m.rho},
                                 {"sigma", m.noise->noise_scale()},
                                 {"privacy_map", Json::parse(release.maps[i].ToJson())}});
  }
  j["error_bars"] = {{"level", spec.error_bars.level}, {"replicates", spec.error_bars.replicates}};
  j["steps"] = release.steps;
  return j.dump(2);
}

}  // namespace dpkit::publish
