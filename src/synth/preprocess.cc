#include "synth/preprocess.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dpkit/base/status.h"

namespace dpkit::synth::internal {
namespace {

// Histogram of the column on `grid` equal cells of [lower, upper] (values outside are clamped
// into the end cells), with the discrete Gaussian mechanism (sensitivity 1) on every cell.
absl::StatusOr<std::vector<double>> NoisyHistogram(const io::Column& col, const ColumnPlan& p,
                                                   int grid,
                                                   const mechanisms::IntegerNoise& mechanism,
                                                   random::BitGenerator& gen) {
  std::vector<int64_t> counts(grid, 0);
  for (int64_t row = 0; row < col.size(); ++row) {
    if (col.IsNull(row)) continue;
    const double v = col.NumericAt(row);
    if (std::isnan(v)) continue;
    const double cell = std::floor((v - p.lower) / (p.upper - p.lower) * grid);
    ++counts[static_cast<int>(std::clamp(cell, 0.0, grid - 1.0))];
  }
  mechanism.AddNoise(absl::MakeSpan(counts), gen);
  std::vector<double> hist(grid);
  for (int i = 0; i < grid; ++i) hist[i] = std::max<double>(0, static_cast<double>(counts[i]));
  return hist;
}

// Bin edges at the k/bins quantiles of a noisy histogram's cumulative sum (post-processing).
std::vector<double> QuantileEdges(const std::vector<double>& hist, const ColumnPlan& p, int bins) {
  const int grid = static_cast<int>(hist.size());
  double total = 0;
  for (double h : hist) total += h;
  const bool integral = p.type != io::DataType::kDouble;
  std::vector<double> edges = {integral ? std::ceil(p.lower) : p.lower};
  double cum = 0;
  int k = 1;
  for (int cell = 0; cell < grid && k < bins; ++cell) {
    cum += hist[cell];
    while (k < bins && total > 0 && cum >= total * k / bins) {
      double edge = p.lower + (p.upper - p.lower) * (cell + 1) / grid;
      if (integral) edge = std::floor(edge);
      if (edge > edges.back() && edge < p.upper) edges.push_back(edge);
      ++k;
    }
  }
  const double top = integral ? std::floor(p.upper) + 1 : p.upper;
  if (top > edges.back()) edges.push_back(top);
  if (edges.size() < 2) edges.push_back(edges.back() + 1);
  return edges;
}

// Gaussian thresholding: values whose noisy count reaches 1 + sigma sqrt(2 ln(1/delta)).
std::vector<std::string> SelectPartitions(const io::Column& col,
                                          const mechanisms::IntegerNoise& mechanism,
                                          double threshold, random::BitGenerator& gen) {
  absl::flat_hash_map<std::string, int64_t> counts;
  for (int64_t row = 0; row < col.size(); ++row) {
    if (!col.IsNull(row)) ++counts[col.FormatValue(row)];
  }
  std::vector<std::string> kept;
  for (const auto& [value, n] : counts) {
    if (static_cast<double>(mechanism.AddNoise(n, gen)) >= threshold) kept.push_back(value);
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

}  // namespace

absl::StatusOr<std::string> CompleteEncoding(const io::Column& column, const SynthOptions& options,
                                             const mechanisms::NoiseFactory& noise,
                                             random::BitGenerator& gen, ColumnPlan* plan) {
  if (!plan->needs_preprocessing()) return std::string(DomainSourceName(plan->source));
  DPKIT_ASSIGN_OR_RETURN(auto mechanism,
                         noise.DiscreteGaussian({.rho = plan->rho, .l2_sensitivity = 1}));
  const double sigma = mechanism->noise_scale();
  if (plan->source == DomainSource::kQuantiles) {
    DPKIT_ASSIGN_OR_RETURN(std::vector<double> hist,
                           NoisyHistogram(column, *plan, options.quantile_grid, *mechanism, gen));
    plan->encoding.bin_edges = QuantileEdges(hist, *plan, options.numeric_bins);
    return absl::StrFormat("DP quantile bins (%d bins, sigma=%.3g)",
                           plan->encoding.bin_edges.size() - 1, sigma);
  }
  const double threshold = 1.0 + sigma * std::sqrt(2.0 * std::log(1.0 / plan->delta));
  plan->encoding.categories = SelectPartitions(column, *mechanism, threshold, gen);
  return absl::StrFormat("private partition selection (%d values kept, threshold %.1f; rest -> "
                         "other)",
                         plan->encoding.categories.size(), threshold);
}

}  // namespace dpkit::synth::internal
