#include "synth/dp_bins.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/samplers.h"
#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"

namespace dpkit::synth::internal {
namespace {

// DP bins of `column` with the discrete Gaussian at `rho` (secure noise, seeded generator).
DpBins Bins(const io::Column& column, io::DataType type, double lower, double upper, double rho,
            int bins = 32, uint64_t seed = 1) {
  const HistogramCells cells = PlanCells(type, lower, upper, 1024);
  auto mech = mechanisms::SecureNoise().DiscreteGaussian({.rho = rho, .l2_sensitivity = 1});
  EXPECT_TRUE(mech.ok()) << mech.status();
  random::testing::SeededRng gen(seed);
  auto hist = MeasureHistogram(column, cells, **mech, gen);
  EXPECT_TRUE(hist.ok()) << hist.status();
  return BinsFromHistogram(cells, *hist, bins);
}

void ExpectValidEdges(const DpBins& b, double lower, double upper) {
  ASSERT_GE(b.edges.size(), 2u);
  EXPECT_TRUE(std::is_sorted(b.edges.begin(), b.edges.end()));
  EXPECT_EQ(std::adjacent_find(b.edges.begin(), b.edges.end()), b.edges.end());
  EXPECT_GE(b.lower, lower);
  EXPECT_LE(b.upper, upper);
  EXPECT_EQ(b.edges.front(), b.lower);
}

// adult capital-gain's shape: 92% zeros, the rest spread over (0, 100000].
TEST(DpBinsTest, PointMassAtZeroGetsItsOwnBin) {
  random::testing::SeededRng gen(5);
  std::vector<double> v(20000);
  for (double& x : v) {
    x = random::UniformDouble01(gen) < 0.92 ? 0.0 : 1 + 99999 * random::UniformDouble01(gen);
  }
  const DpBins b = Bins(io::Column::Double("gain", v), io::DataType::kDouble, -1000, 100000, 0.01);
  ExpectValidEdges(b, -1000, 100000);
  ASSERT_EQ(b.heavy, std::vector<double>{0.0});
  // 0 is a bin of one value: [0, nextafter(0)).
  const auto it = std::find(b.edges.begin(), b.edges.end(), 0.0);
  ASSERT_NE(it, b.edges.end());
  ASSERT_NE(it + 1, b.edges.end());
  EXPECT_EQ(*(it + 1), std::nextafter(0.0, 1.0));
  // The empty negative part of the declared range is trimmed up to 0's cell.
  EXPECT_GT(b.lower, -1000 + 5 * 101000.0 / 1024);
  EXPECT_LE(b.lower, 0);
}

// A signed column well inside wide declared bounds: the range found is signed and tight (an
// empty tail is trimmed; the data's own cells are not, since each holds far more than 1%).
TEST(DpBinsTest, RangeIsSignedAndNarrowedToTheData) {
  random::testing::SeededRng gen(6);
  std::vector<int64_t> v(20000);
  for (int64_t& x : v) x = -40 + static_cast<int64_t>(random::UniformUint64(gen, 81));  // [-40, 40]
  const DpBins b = Bins(io::Column::Int64("lat", v), io::DataType::kInt64, -1000, 1000, 0.1);
  ExpectValidEdges(b, -1000, 1000);
  EXPECT_LE(b.lower, -40);
  EXPECT_GT(b.lower, -60);
  EXPECT_GE(b.upper, 40);
  EXPECT_LT(b.upper, 60);
  // Integral: integer edges, the last one half past the largest integer of the range.
  for (size_t i = 0; i + 1 < b.edges.size(); ++i) EXPECT_EQ(b.edges[i], std::floor(b.edges[i]));
  EXPECT_EQ(b.edges.back(), b.upper + 0.5);
}

// hours-per-week: a 40-hour peak among integers of a small range (one cell per integer).
TEST(DpBinsTest, HeavyIntegerValuesAmongUnitCells) {
  random::testing::SeededRng gen(7);
  std::vector<int64_t> v(20000);
  for (int64_t& x : v) {
    x = random::UniformDouble01(gen) < 0.47 ? 40 : 1 + static_cast<int64_t>(random::UniformUint64(gen, 99));
  }
  const DpBins b = Bins(io::Column::Int64("hours", v), io::DataType::kInt64, 1, 99, 0.01, 16);
  ExpectValidEdges(b, 1, 99);
  EXPECT_NE(std::find(b.heavy.begin(), b.heavy.end(), 40.0), b.heavy.end());
  EXPECT_NE(std::find(b.edges.begin(), b.edges.end(), 40.0), b.edges.end());
  EXPECT_NE(std::find(b.edges.begin(), b.edges.end(), 41.0), b.edges.end());
  EXPECT_LE(b.edges.size(), 17u);
}

// Without a point mass, noise alone does not make heavy values (4 sigma; seeds fixed).
TEST(DpBinsTest, NoHeavyValuesInUniformData) {
  random::testing::SeededRng gen(8);
  std::vector<double> v(5000);
  for (double& x : v) x = 1 + 998 * random::UniformDouble01(gen);
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const DpBins b = Bins(io::Column::Double("x", v), io::DataType::kDouble, -1000, 1000, 0.001,
                          32, seed);
    ExpectValidEdges(b, -1000, 1000);
    EXPECT_TRUE(b.heavy.empty());
  }
}

TEST(DpBinsTest, DateCellsHaveNoZeroCandidate) {
  const HistogramCells c = PlanCells(io::DataType::kDate, -20000, 20000, 100);
  EXPECT_EQ(c.points, (std::vector<double>{-20000, 20000}));
  const HistogramCells d = PlanCells(io::DataType::kDouble, -1, 1, 100);
  EXPECT_EQ(d.points, (std::vector<double>{-1, 0, 1}));
  EXPECT_EQ(IntegerEdges(3, 5), (std::vector<double>{3, 4, 5, 5.5}));
}

}  // namespace
}  // namespace dpkit::synth::internal
