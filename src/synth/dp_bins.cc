#include "synth/dp_bins.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/types/span.h"
#include "dpkit/base/status.h"

namespace dpkit::synth::internal {
namespace {

constexpr double kRangeZ = 3.0;      // the range trims a tail only when, at 3 standard deviations,
constexpr double kRangeLoss = 0.01;  // it holds at most 1% of the noisy total
constexpr double kHeavyZ = 4.0;      // heavy value: a count noise alone reaches w.p. 3.2e-5

// Grid cell of x (already clamped into the grid's span): the i with grid[i] <= x < grid[i+1].
int CellOf(const std::vector<double>& grid, double x) {
  const int n = static_cast<int>(grid.size()) - 1;
  const int i = static_cast<int>(std::upper_bound(grid.begin(), grid.end(), x) - grid.begin()) - 1;
  return std::clamp(i, 0, n - 1);
}

// The first cell (from the front, or from the back with `reverse`) that cannot be trimmed: the
// first at which the upper confidence bound of the mass counted so far, cum + kRangeZ sigma
// sqrt(noisy cells), exceeds kRangeLoss * total (noise in a sum of k cells has standard
// deviation sigma sqrt(k)). So the tail cut off holds at most 1% of the rows unless a 3-sigma
// event happened; with more noise, less is trimmed. -1 if every cell could be trimmed.
int RangeEnd(const std::vector<double>& merged, const std::vector<int>& noisy_cells, double sigma,
             double total, bool reverse) {
  const int n = static_cast<int>(merged.size());
  const double allowed = kRangeLoss * std::max(0.0, total);
  double cum = 0, cells = 0;
  for (int k = 0; k < n; ++k) {
    const int i = reverse ? n - 1 - k : k;
    cum += merged[i];
    cells += noisy_cells[i];
    if (cum + kRangeZ * sigma * std::sqrt(cells) > allowed) return i;
  }
  return -1;
}

// Grid cell boundaries (indices into cells.grid) cutting q[a..b] into `parts` equal shares of
// its cumulative mass (made non-decreasing: noise can make a count negative).
std::vector<int> QuantileCuts(const std::vector<double>& q, int a, int b, int parts) {
  std::vector<double> cum;
  double run = 0, best = 0;
  for (int i = a; i <= b; ++i) {
    run += q[i];
    best = std::max(best, run);
    cum.push_back(best);
  }
  std::vector<int> cuts;
  const double total = cum.empty() ? 0 : cum.back();
  if (!(total > 0)) return cuts;
  int k = 1;
  for (int i = a; i < b && k < parts; ++i) {
    if (cum[i - a] < total * k / parts) continue;
    cuts.push_back(i + 1);
    while (k < parts && cum[i - a] >= total * k / parts) ++k;
  }
  return cuts;
}

// Integer edges of the range [first, last]: `inner` edges kept inside it, last edge last + 1/2.
std::vector<double> IntegralEdges(std::vector<double> inner, double first, double last) {
  std::vector<double> edges = {first};
  for (double e : inner) {
    if (e > first && e <= last) edges.push_back(e);
  }
  edges.push_back(last + 0.5);
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  return edges;
}

}  // namespace

std::vector<double> IntegerEdges(double lower, double upper) {
  std::vector<double> edges;
  for (double v = lower; v <= upper; v += 1) edges.push_back(v);
  edges.push_back(upper + 0.5);
  return edges;
}

HistogramCells PlanCells(io::DataType type, double lower, double upper, int grid) {
  HistogramCells c;
  c.integral = type != io::DataType::kDouble;
  c.lower = c.integral ? std::ceil(lower) : lower;
  c.upper = c.integral ? std::floor(upper) : upper;
  const double span = c.integral ? c.upper - c.lower + 1 : c.upper - c.lower;
  if (c.integral && span <= grid) {  // one cell per integer, each a candidate point
    for (double v = c.lower; v <= c.upper + 1; v += 1) c.grid.push_back(v);
    for (double v = c.lower; v <= c.upper; v += 1) c.points.push_back(v);
  } else {
    for (int i = 0; i <= grid; ++i) c.grid.push_back(c.lower + span * i / grid);
    c.points = {c.lower, c.upper};
    if (type != io::DataType::kDate && c.lower < 0 && 0 < c.upper) c.points.push_back(0);
    std::sort(c.points.begin(), c.points.end());
    c.points.erase(std::unique(c.points.begin(), c.points.end()), c.points.end());
  }
  for (double p : c.points) c.point_cell.push_back(CellOf(c.grid, p));
  return c;
}

absl::StatusOr<NoisyHistogram> MeasureHistogram(const io::Column& column,
                                                const HistogramCells& cells,
                                                const mechanisms::IntegerNoise& mechanism,
                                                random::BitGenerator& gen) {
  const size_t n_grid = cells.grid.size() - 1;
  // With one cell per integer every row is counted at its point: the grid cells hold none.
  const bool unit_cells = cells.points.size() == n_grid;
  std::vector<int64_t> grid(n_grid, 0), point(cells.points.size(), 0);
  for (int64_t row = 0; row < column.size(); ++row) {
    if (column.IsNull(row)) continue;
    const double v = column.NumericAt(row);
    if (std::isnan(v)) continue;
    const double x = std::clamp(v, cells.lower, cells.upper);
    const auto it = std::lower_bound(cells.points.begin(), cells.points.end(), x);
    if (it != cells.points.end() && *it == x) {
      ++point[it - cells.points.begin()];
    } else {
      ++grid[CellOf(cells.grid, x)];
    }
  }
  mechanism.AddNoise(absl::MakeSpan(point), gen);
  if (!unit_cells) mechanism.AddNoise(absl::MakeSpan(grid), gen);
  NoisyHistogram h;
  h.grid.assign(grid.begin(), grid.end());
  h.point.assign(point.begin(), point.end());
  h.sigma = mechanism.noise_scale();
  return h;
}

DpBins BinsFromHistogram(const HistogramCells& cells, const NoisyHistogram& hist, int bins) {
  const int n = static_cast<int>(hist.grid.size());
  const bool unit_cells = cells.points.size() == static_cast<size_t>(n);
  std::vector<double> merged = hist.grid;
  std::vector<int> noisy_cells(n, unit_cells ? 0 : 1);
  for (size_t j = 0; j < cells.points.size(); ++j) {
    merged[cells.point_cell[j]] += hist.point[j];
    ++noisy_cells[cells.point_cell[j]];
  }
  // 1. The data's range.
  double all = 0;
  for (double m : merged) all += m;
  int a = RangeEnd(merged, noisy_cells, hist.sigma, all, false);
  int b = RangeEnd(merged, noisy_cells, hist.sigma, all, true);
  if (a < 0 || b < 0 || a > b) a = 0, b = n - 1;
  double total = 0;
  for (int i = a; i <= b; ++i) total += merged[i];
  // 2. Heavy values.
  std::vector<int> heavy;
  for (size_t j = 0; j < cells.points.size(); ++j) {
    const int cell = cells.point_cell[j];
    if (cell >= a && cell <= b && hist.point[j] >= std::max(kHeavyZ * hist.sigma, total / bins)) {
      heavy.push_back(static_cast<int>(j));
    }
  }
  std::sort(heavy.begin(), heavy.end(),
            [&](int x, int y) { return hist.point[x] > hist.point[y]; });
  if (heavy.size() > static_cast<size_t>(bins / 2)) heavy.resize(bins / 2);
  // 3. Quantile bins of the rest.
  std::vector<double> q = merged;
  for (int j : heavy) q[cells.point_cell[j]] -= hist.point[j];
  const int parts = std::max(1, bins - static_cast<int>(heavy.size()));
  std::vector<double> inner;
  for (int cut : QuantileCuts(q, a, b, parts)) inner.push_back(cells.grid[cut]);
  DpBins out;
  for (int j : heavy) out.heavy.push_back(cells.points[j]);
  std::sort(out.heavy.begin(), out.heavy.end());
  if (cells.integral) {
    out.lower = std::ceil(cells.grid[a]);
    out.upper = std::min(cells.upper, std::ceil(cells.grid[b + 1]) - 1);
    for (double& e : inner) e = std::ceil(e);
    for (double v : out.heavy) {
      inner.push_back(v);
      inner.push_back(v + 1);
    }
    out.edges = IntegralEdges(std::move(inner), out.lower, out.upper);
    return out;
  }
  out.lower = cells.grid[a];
  out.upper = cells.grid[b + 1];
  double top = out.upper;
  for (double v : out.heavy) {
    const double next = std::nextafter(v, std::numeric_limits<double>::infinity());
    inner.push_back(v);
    inner.push_back(next);
    top = std::max(top, next);
  }
  out.edges = {out.lower};
  for (double e : inner) {
    if (e > out.lower && e < top) out.edges.push_back(e);
  }
  out.edges.push_back(top);
  std::sort(out.edges.begin(), out.edges.end());
  out.edges.erase(std::unique(out.edges.begin(), out.edges.end()), out.edges.end());
  return out;
}

}  // namespace dpkit::synth::internal
