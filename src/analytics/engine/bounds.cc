#include "analytics/engine/bounds.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dpkit/analytics/bounds.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::analytics::engine {

// Approximate min/max of a value column from a noisy log-scale histogram of the kept rows.
absl::StatusOr<std::pair<double, double>> PrivateBounds(const io::Table& table,
                                                        const BoundedRows& bounded,
                                                        int column_index,
                                                        const std::string& column_name,
                                                        const StatisticNoise& noise,
                                                        random::BitGenerator& gen) {
  // Bins: negative [-(2^(k+1)), -2^k) for k = 62..-10, zero (|x| < 2^-10), positive
  // [2^k, 2^(k+1)) for k = -10..62.
  constexpr int kMin = -10, kMax = 62, kSide = kMax - kMin + 1;
  std::vector<int64_t> hist(2 * kSide + 1, 0);
  const io::Column& col = table.column(column_index);
  bounded.ForEachKept(0, bounded.words(), [&](int64_t r, int32_t) {
    if (col.IsNull(r)) return;
    double x = col.NumericAt(r);
    int bin;
    double ax = std::fabs(x);
    if (ax < std::ldexp(1.0, kMin)) {
      bin = kSide;
    } else {
      int k = std::clamp(static_cast<int>(std::floor(std::log2(ax))), kMin, kMax);
      bin = x > 0 ? kSide + 1 + (k - kMin) : kSide - 1 - (k - kMin);
    }
    ++hist[bin];
  });
  noise.Add(absl::MakeSpan(hist), gen);
  // A bin is significant if its noisy count exceeds what noise alone reaches with prob 1e-3
  // over all bins.
  double tau = noise.HalfWidth(2e-3 / static_cast<double>(hist.size()));
  int first = -1, last = -1;
  for (int b = 0; b < static_cast<int>(hist.size()); ++b) {
    if (static_cast<double>(hist[b]) > tau) {
      if (first < 0) first = b;
      last = b;
    }
  }
  if (first < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "could not find bounds for column '", column_name,
        "' privately (too few rows for the budget); give \"lower\"/\"upper\" in the schema or "
        "the query"));
  }
  auto edge = [&](int b, bool upper) -> double {
    if (b == kSide) return 0.0;
    if (b > kSide) {
      int k = b - kSide - 1 + kMin;
      return std::ldexp(1.0, upper ? k + 1 : k);
    }
    int k = kSide - 1 - b + kMin;
    return -std::ldexp(1.0, upper ? k : k + 1);
  };
  double lo = edge(first, false), hi = edge(last, true);
  if (!(hi > lo)) hi = lo + 1;
  return std::make_pair(lo, hi);
}

}  // namespace dpkit::analytics::engine

namespace dpkit::analytics {

namespace {

// The log histogram's noise: one unit adds at most max_rows_per_unit rows, each to one bin.
absl::StatusOr<engine::StatisticNoise> BoundsNoise(const ApproximateBoundsOptions& o) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("bounds epsilon", o.epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("max_rows_per_unit", o.max_rows_per_unit, 1));
  if (o.noise == nullptr) return absl::InvalidArgumentError("bounds need a NoiseFactory");
  const int64_t rows = o.privacy_unit.empty() ? 1 : o.max_rows_per_unit;
  return engine::StatisticNoise::Create(*o.noise, {NoiseKind::kLaplace, o.epsilon, 0, rows, 1});
}

}  // namespace

absl::StatusOr<PrivacyMap> ApproximateBoundsPrivacyMap(const ApproximateBoundsOptions& o) {
  DPKIT_ASSIGN_OR_RETURN(engine::StatisticNoise noise, BoundsNoise(o));
  PrivacyMap m = noise.privacy_map();
  m.mechanism = "approximate_bounds";
  return m;
}

absl::StatusOr<ApproximateBoundsResult> ApproximateBounds(const io::Table& table,
                                                          const std::string& column,
                                                          const ApproximateBoundsOptions& o,
                                                          random::BitGenerator& gen) {
  DPKIT_ASSIGN_OR_RETURN(engine::StatisticNoise noise, BoundsNoise(o));
  PrivacyMap map = noise.privacy_map();
  map.mechanism = "approximate_bounds";
  auto idx = table.ColumnIndex(column);
  if (!idx.ok()) return absl::InvalidArgumentError(std::string(idx.status().message()));
  if (table.column(*idx).type() == io::DataType::kString) {
    return absl::InvalidArgumentError(absl::StrCat("column '", column, "' is not numeric"));
  }
  engine::ResolvedQuery rq;
  QuerySpec spec;
  spec.max_groups_per_unit = 1;
  spec.max_rows_per_group = 1;
  if (!o.privacy_unit.empty()) {
    auto u = table.ColumnIndex(o.privacy_unit);
    if (!u.ok()) return absl::InvalidArgumentError(std::string(u.status().message()));
    rq.unit_index = *u;
    spec.max_rows_per_group = o.max_rows_per_unit;
  }
  DPKIT_ASSIGN_OR_RETURN(engine::BoundedRows bounded, engine::BoundContributions(table, spec, rq, gen.NextU64(), 2));
  DPKIT_ASSIGN_OR_RETURN(auto b, engine::PrivateBounds(table, bounded, *idx, column, noise, gen));
  return ApproximateBoundsResult{b.first, b.second, map};
}

}  // namespace dpkit::analytics
