#include "synth/preprocess.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "synth/dp_bins.h"

namespace dpkit::synth::internal {
namespace {

// A bin boundary or heavy value as the column's values are written (dates as YYYY-MM-DD).
std::string FormatValue(io::DataType type, double v) {
  if (type == io::DataType::kDate) return io::FormatDate(static_cast<int64_t>(std::floor(v)));
  return FormatDouble(v);
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

// `column` with the rows where keep[row] == 0 made NULL.
absl::StatusOr<io::Column> WithNulls(const io::Column& column, const std::vector<uint8_t>& keep) {
  std::vector<uint8_t> valid(keep.size());
  for (size_t r = 0; r < keep.size(); ++r) valid[r] = keep[r] && !column.IsNull(r);
  switch (column.type()) {
    case io::DataType::kString:
      return io::Column::StringFromCodes(column.name(), column.codes(), column.dictionary(),
                                         std::move(valid));
    case io::DataType::kDouble:
      return io::Column::Double(column.name(), column.double_values(), std::move(valid));
    case io::DataType::kDate:
      return io::Column::Date(column.name(), column.int64_values(), std::move(valid));
    case io::DataType::kBool:
      return io::Column::Bool(column.name(), column.int64_values(), std::move(valid));
    case io::DataType::kInt64:
      break;
  }
  return io::Column::Int64(column.name(), column.int64_values(), std::move(valid));
}

// 1 for the rows whose value is NULL or one of `categories` (compared as text).
std::vector<uint8_t> InCategories(const io::Column& column,
                                  const std::vector<std::string>& categories) {
  const absl::flat_hash_set<std::string> known(categories.begin(), categories.end());
  std::vector<uint8_t> in(static_cast<size_t>(column.size()), 1);
  for (int64_t r = 0; r < column.size(); ++r) {
    if (!column.IsNull(r)) in[r] = known.contains(column.FormatValue(r));
  }
  return in;
}

}  // namespace

absl::StatusOr<io::Table> ApplyDeclaredDomains(const SynthPlan& plan, const io::Table& table) {
  io::Table out = table;
  std::vector<int64_t> keep_rows;
  std::vector<uint8_t> keep(static_cast<size_t>(table.num_rows()), 1);
  for (const ColumnPlan& c : plan.columns) {
    DPKIT_ASSIGN_OR_RETURN(const io::Column* col, out.ColumnByName(c.name));
    if (c.source == DomainSource::kDeclaredCategories && col->type() != io::DataType::kBool) {
      DPKIT_ASSIGN_OR_RETURN(io::Column restricted,
                             WithNulls(*col, InCategories(*col, c.encoding.categories)));
      DPKIT_RETURN_IF_ERROR(out.ReplaceColumn(std::move(restricted)));
      DPKIT_ASSIGN_OR_RETURN(col, out.ColumnByName(c.name));
    }
    if (c.encoding.null_category) continue;
    for (int64_t r = 0; r < out.num_rows(); ++r) {
      if (col->IsNull(r)) keep[r] = 0;
    }
  }
  for (int64_t r = 0; r < out.num_rows(); ++r) {
    if (keep[r]) keep_rows.push_back(r);
  }
  if (static_cast<int64_t>(keep_rows.size()) == out.num_rows()) return out;
  return out.TakeRows(keep_rows);
}

absl::StatusOr<std::string> CompleteEncoding(const io::Column& column, const SynthOptions& options,
                                             const mechanisms::NoiseFactory& noise,
                                             random::BitGenerator& gen, ColumnPlan* plan) {
  if (!plan->needs_preprocessing()) return std::string(DomainSourceName(plan->source));
  DPKIT_ASSIGN_OR_RETURN(auto mechanism,
                         noise.DiscreteGaussian({.rho = plan->rho, .l2_sensitivity = 1}));
  const double sigma = mechanism->noise_scale();
  if (plan->source == DomainSource::kQuantiles) {
    const HistogramCells cells =
        PlanCells(plan->type, plan->lower, plan->upper, options.quantile_grid);
    DPKIT_ASSIGN_OR_RETURN(NoisyHistogram hist, MeasureHistogram(column, cells, *mechanism, gen));
    DpBins bins = BinsFromHistogram(cells, hist, options.numeric_bins);
    plan->encoding.bin_edges = std::move(bins.edges);
    plan->lower = bins.lower;
    plan->upper = bins.upper;
    std::vector<std::string> heavy;
    for (double v : bins.heavy) heavy.push_back(FormatValue(plan->type, v));
    return absl::StrFormat("DP bins (%d bins; range [%s, %s]; heavy values: %s; sigma=%.3g)",
                           plan->encoding.bin_edges.size() - 1,
                           FormatValue(plan->type, bins.lower),
                           FormatValue(plan->type, bins.upper),
                           heavy.empty() ? "none" : absl::StrJoin(heavy, ", "), sigma);
  }
  const double threshold = 1.0 + sigma * std::sqrt(2.0 * std::log(1.0 / plan->delta));
  plan->encoding.categories = SelectPartitions(column, *mechanism, threshold, gen);
  return absl::StrFormat("private partition selection (%d values kept, threshold %.1f; rest -> "
                         "other)",
                         plan->encoding.categories.size(), threshold);
}

}  // namespace dpkit::synth::internal
