#include "publish/consistency_check.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace dpkit::publish::testing {
namespace {

std::vector<int> SharedVariables(const TableLayout& a, const TableLayout& b) {
  std::vector<int> shared;
  for (int v : a.variables()) {
    if (std::find(b.variables().begin(), b.variables().end(), v) != b.variables().end()) {
      shared.push_back(v);
    }
  }
  return shared;
}

// Margin of table t in unit u onto `margin`.
std::vector<double> Margin(const PublicationPlan& plan, const TableSet& tables, int level, int t,
                           int unit, const TableLayout& margin) {
  const TableLayout& layout = plan.tables[t].layout;
  const std::vector<int> projection = layout.ProjectionTo(margin);
  std::vector<double> out(margin.num_cells(), 0.0);
  for (int c = 0; c < layout.num_cells(); ++c) {
    out[projection[c]] +=
        tables.values[level][t][static_cast<size_t>(unit) * layout.num_cells() + c];
  }
  return out;
}

void CheckCells(const PublicationPlan& plan, const TableSet& tables,
                std::vector<std::string>& out) {
  for (size_t l = 0; l < tables.values.size(); ++l) {
    for (size_t t = 0; t < plan.tables.size(); ++t) {
      for (size_t i = 0; i < tables.values[l][t].size(); ++i) {
        const double v = tables.values[l][t][i];
        if (v < 0 || v != std::floor(v)) {
          out.push_back(absl::StrCat("level ", l, " table ", plan.tables[t].name, " cell ", i,
                                     " = ", v, " is not a non-negative integer"));
        }
      }
    }
  }
}

void CheckHierarchy(const PublicationPlan& plan, const TableSet& tables,
                    std::vector<std::string>& out) {
  const GeographyTree& geo = plan.geography;
  for (int l = 0; l + 1 < geo.num_levels(); ++l) {
    for (int u = 0; u < geo.num_units(l); ++u) {
      const auto [first, last] = geo.children(l, u);
      for (size_t t = 0; t < plan.tables.size(); ++t) {
        const int cells = plan.tables[t].layout.num_cells();
        for (int c = 0; c < cells; ++c) {
          double sum = 0;
          for (int k = first; k < last; ++k)
            sum += tables.values[l + 1][t][static_cast<size_t>(k) * cells + c];
          const double parent = tables.values[l][t][static_cast<size_t>(u) * cells + c];
          if (sum != parent) {
            out.push_back(absl::StrCat("table ", plan.tables[t].name, " cell ", c, ": children of ",
                                       geo.unit_code(l, u), " sum to ", sum, ", not ", parent));
          }
        }
      }
    }
  }
}

void CheckMargins(const PublicationPlan& plan, const TableSet& tables,
                  std::vector<std::string>& out) {
  for (int l = 0; l < plan.geography.num_levels(); ++l) {
    for (size_t a = 0; a < plan.tables.size(); ++a) {
      for (size_t b = a + 1; b < plan.tables.size(); ++b) {
        if (plan.tables[a].family != plan.tables[b].family) continue;
        std::vector<int> shared = SharedVariables(plan.tables[a].layout, plan.tables[b].layout);
        std::vector<int> sizes;
        for (int v : shared)
          sizes.push_back(static_cast<int>(plan.spec.variables[v].Labels().size()));
        const TableLayout margin(shared, sizes);
        for (int u = 0; u < plan.geography.num_units(l); ++u) {
          if (Margin(plan, tables, l, a, u, margin) != Margin(plan, tables, l, b, u, margin)) {
            out.push_back(absl::StrCat("tables ", plan.tables[a].name, " and ", plan.tables[b].name,
                                       " disagree in ", plan.geography.unit_code(l, u)));
          }
        }
      }
    }
  }
}

}  // namespace

std::vector<std::string> ConsistencyViolations(const PublicationPlan& plan,
                                               const TableSet& tables) {
  std::vector<std::string> out;
  CheckCells(plan, tables, out);
  CheckHierarchy(plan, tables, out);
  CheckMargins(plan, tables, out);
  return out;
}

}  // namespace dpkit::publish::testing
