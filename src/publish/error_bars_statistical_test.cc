// Coverage of the simulated error bars (error_bars.h), a statistical test.
//
// A fixed truth (a random person file for the small spec) is released kReleases times, each with
// its own noise and its own simulated margins of error; a release's coverage is the share of all
// its cells (every level and table) whose true count lies in [count - moe, count + moe]. The
// releases are independent, so by the CLT their mean coverage m has standard error s / sqrt(R).
// Claim: the mean coverage is in [low, high] — at least the nominal 90% up to the simulation's
// own error (low = 0.87), and not much more when the noise is large (high = 0.95); when sigma
// is below 1 the errors are mostly 0 or 1 and an integer margin that covers 90% covers more,
// so high = 1 there. The test fails when m + z s / sqrt(R) < low or m - z s / sqrt(R) > high,
// z = 3.719 (one-sided 1e-4 each): if the claim holds it fails with probability <= 2e-4 (and
// fixed seeds make each run deterministic).
#include <cmath>
#include <string>
#include <vector>

#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"
#include "publish/data_tables.h"
#include "publish/error_bars.h"
#include "publish/measure.h"
#include "publish/test_util.h"

namespace dpkit::publish {
namespace {

constexpr int kReleases = 30;
constexpr double kZ = 3.719;

double Coverage(const TableSet& truth, const TableSet& released, const TableSet& moe) {
  double covered = 0, cells = 0;
  for (size_t l = 0; l < truth.values.size(); ++l) {
    for (size_t t = 0; t < truth.values[l].size(); ++t) {
      for (size_t i = 0; i < truth.values[l][t].size(); ++i) {
        covered +=
            std::abs(released.values[l][t][i] - truth.values[l][t][i]) <= moe.values[l][t][i];
        cells += 1;
      }
    }
  }
  return covered / cells;
}

struct Case {
  double rho;
  int rows;
  double high;  // upper bound on the mean coverage
};

class CoverageTest : public ::testing::TestWithParam<Case> {};

TEST_P(CoverageTest, NinetyPercentMarginsCoverNinetyPercentOfCells) {
  const Case c = GetParam();
  absl::StatusOr<PublicationPlan> plan =
      PlanPublication(testing::SmallSpec(c.rho, /*households=*/false, /*replicates=*/100), "small",
                      mechanisms::SecureNoise());
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::string path = ::testing::TempDir() + "/coverage.csv";
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(path, testing::RandomPersonsCsv(c.rows, 8)).ok());
  random::testing::SeededRng rng(31);
  const TableSet truth = *CountTables(*plan, path, rng);
  auto estimator = TopDownEstimator::Create(*plan);
  ASSERT_TRUE(estimator.ok());
  std::vector<double> coverage;
  for (int r = 0; r < kReleases; ++r) {
    const TableSet released = *(*estimator)->Estimate(Measure(*plan, truth, rng));
    absl::StatusOr<ErrorBars> bars = SimulateErrorBars(*plan, **estimator, released, rng);
    ASSERT_TRUE(bars.ok()) << bars.status();
    coverage.push_back(Coverage(truth, released, bars->moe));
  }
  double mean = 0, var = 0;
  for (double f : coverage) mean += f / kReleases;
  for (double f : coverage) var += (f - mean) * (f - mean) / (kReleases - 1);
  const double se = std::sqrt(var / kReleases);
  std::cout << "rho " << c.rho << ": mean coverage " << mean << " (se " << se << ")\n";
  EXPECT_GE(mean + kZ * se, 0.87);
  EXPECT_LE(mean - kZ * se, c.high);
}

INSTANTIATE_TEST_SUITE_P(Budgets, CoverageTest,
                         ::testing::Values(Case{0.05, 2000, 0.95}, Case{1, 2000, 0.95},
                                           Case{20, 2000, 1.0}));

}  // namespace
}  // namespace dpkit::publish
