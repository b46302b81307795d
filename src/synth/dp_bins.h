// Internal: DP bins of a numeric or date column with public bounds (DomainSource::kQuantiles of
// dpkit/synth/plan.h).
//
// MEASUREMENT (the only access to the data): one histogram with the discrete Gaussian mechanism
// on every cell (mechanisms::NoiseFactory; a row falls in exactly one cell, so adding or
// removing a row changes one count by 1: L2 sensitivity 1). Values are clamped into the declared
// [lower, upper] first. The cells are public:
//   - an integral column (int64, date) whose bounds span at most `grid` integers: one cell per
//     integer, each also a candidate point;
//   - otherwise `grid` equal cells of [lower, upper], and candidate points: lower, upper and, for
//     int64/double columns whose range contains it, 0. A row equal to a candidate is counted in
//     the candidate's own cell, not in the grid cell around it.
//
// POST-PROCESSING of the noisy counts (no further privacy cost):
//   1. range: from each end, cells are trimmed while the upper confidence bound of their
//      noisy mass, sum + 3 sigma sqrt(cells), stays within 1% of the noisy total; the declared
//      range beyond the first cell that cannot be trimmed is left empty (values there are
//      clamped in: at most 1% of the rows per end, barring a 3-sigma event);
//   2. heavy values: candidate points inside the range whose noisy count reaches
//      max(4 sigma, total / bins) — a value that alone would fill a bin, and that noise does not
//      produce: 4 sigma is passed by pure noise with probability 3.2e-5 per cell — become bins of
//      their own (the largest bins/2 of them), decoded as the value itself;
//   3. quantile bins: the other mass in the range is cut at equal shares (cumulative noisy
//      counts, made non-decreasing) into bins - (heavy values) bins at grid-cell boundaries.
// Integral columns get integer edges (a bin [e, f) holds the integers e..f-1) and a last edge of
// (last integer) + 1/2, so no output exceeds the range; a heavy double v is the bin
// [v, nextafter(v)), which io::Encoder decodes to v.
#ifndef DPKIT_SRC_SYNTH_DP_BINS_H_
#define DPKIT_SRC_SYNTH_DP_BINS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/io/table.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::synth::internal {

// One bin per integer of [lower, upper] (both integers): edges lower, ..., upper, upper + 1/2.
std::vector<double> IntegerEdges(double lower, double upper);

// The public cells of a column's histogram (see the file comment).
struct HistogramCells {
  double lower = 0, upper = 0;
  bool integral = false;
  std::vector<double> grid;            // grid.size() - 1 cells [grid[i], grid[i+1])
  std::vector<double> points;          // candidate points, ascending
  std::vector<int> point_cell;         // the grid cell each point lies in
};
HistogramCells PlanCells(io::DataType type, double lower, double upper, int grid);

// Noisy counts: grid[i] for rows in grid cell i and not equal to a point, point[j] for point j.
struct NoisyHistogram {
  std::vector<double> grid;
  std::vector<double> point;
  double sigma = 0;
};
absl::StatusOr<NoisyHistogram> MeasureHistogram(const io::Column& column,
                                                const HistogramCells& cells,
                                                const mechanisms::IntegerNoise& mechanism,
                                                random::BitGenerator& gen);

struct DpBins {
  std::vector<double> edges;   // strictly increasing, >= 2
  double lower = 0, upper = 0;  // the range found (within the declared bounds)
  std::vector<double> heavy;   // heavy values with bins of their own
};
// Post-processing: steps 1-3 of the file comment, into at most `bins` bins.
DpBins BinsFromHistogram(const HistogramCells& cells, const NoisyHistogram& hist, int bins);

}  // namespace dpkit::synth::internal

#endif  // DPKIT_SRC_SYNTH_DP_BINS_H_
