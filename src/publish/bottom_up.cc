#include "publish/bottom_up.h"

namespace dpkit::publish {
namespace {

double MeasurementVariance(const PublicationPlan& plan, int level, int table) {
  const double sigma = plan.measurement(level, table).noise->noise_scale();
  return sigma * sigma;
}

}  // namespace

UnitVariances CombinedVariances(const PublicationPlan& plan) {
  const GeographyTree& geo = plan.geography;
  const int levels = geo.num_levels();
  UnitVariances variance(levels);
  for (int l = levels - 1; l >= 0; --l) {
    for (size_t t = 0; t < plan.tables.size(); ++t) {
      const double own = MeasurementVariance(plan, l, static_cast<int>(t));
      std::vector<double>& v = variance[l].emplace_back(geo.num_units(l), own);
      if (l + 1 == levels) continue;
      for (int u = 0; u < geo.num_units(l); ++u) {
        const auto [first, last] = geo.children(l, u);
        double children = 0;
        for (int k = first; k < last; ++k) children += variance[l + 1][t][k];
        v[u] = 1 / (1 / own + 1 / children);
      }
    }
  }
  return variance;
}

TableSet CombineBottomUp(const PublicationPlan& plan, const UnitVariances& variance,
                         const TableSet& noisy) {
  const GeographyTree& geo = plan.geography;
  TableSet combined = noisy;
  for (int l = geo.num_levels() - 2; l >= 0; --l) {
    for (size_t t = 0; t < plan.tables.size(); ++t) {
      const int cells = plan.tables[t].layout.num_cells();
      const double own = MeasurementVariance(plan, l, static_cast<int>(t));
      for (int u = 0; u < geo.num_units(l); ++u) {
        const auto [first, last] = geo.children(l, u);
        double children_variance = 0;
        for (int k = first; k < last; ++k) children_variance += variance[l + 1][t][k];
        for (int c = 0; c < cells; ++c) {
          double sum = 0;
          for (int k = first; k < last; ++k) sum += combined.at(l + 1, t, k, cells, c);
          double& z = combined.at(l, t, u, cells, c);
          z = variance[l][t][u] * (z / own + sum / children_variance);
        }
      }
    }
  }
  return combined;
}

}  // namespace dpkit::publish
