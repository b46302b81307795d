#include "dpkit/publish/estimate.h"

#include <cmath>
#include <string>

#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "publish/consistency_check.h"
#include "publish/data_tables.h"
#include "publish/measure.h"
#include "publish/nnls.h"
#include "publish/test_util.h"

namespace dpkit::publish {
namespace {

using ::testing::IsEmpty;

// Exact tables of a random person file for the small spec.
TableSet RandomTruth(const PublicationPlan& plan, int rows, uint64_t seed) {
  const std::string path = ::testing::TempDir() + "/estimate_persons.csv";
  EXPECT_TRUE(
      Env::Default()->WriteFileAtomically(path, testing::RandomPersonsCsv(rows, seed)).ok());
  random::testing::SeededRng rng(seed);
  absl::StatusOr<TableSet> truth = CountTables(plan, path, rng);
  EXPECT_TRUE(truth.ok()) << truth.status();
  return *truth;
}

struct Case {
  double rho;
  bool households;
  int rows;
};

class EstimateTest : public ::testing::TestWithParam<Case> {};

TEST_P(EstimateTest, EveryConstraintHoldsOnEveryCell) {
  const Case c = GetParam();
  absl::StatusOr<PublicationPlan> plan =
      PlanPublication(testing::SmallSpec(c.rho, c.households), "small", mechanisms::SecureNoise());
  ASSERT_TRUE(plan.ok()) << plan.status();
  auto estimator = TopDownEstimator::Create(*plan);
  ASSERT_TRUE(estimator.ok()) << estimator.status();
  const TableSet truth = RandomTruth(*plan, c.rows, 5);
  EXPECT_THAT(testing::ConsistencyViolations(*plan, truth), IsEmpty()) << "exact counts";
  random::testing::SeededRng rng(17);
  for (int trial = 0; trial < 5; ++trial) {
    const TableSet noisy = Measure(*plan, truth, rng);
    absl::StatusOr<TableSet> released = (*estimator)->Estimate(noisy);
    ASSERT_TRUE(released.ok()) << released.status();
    EXPECT_THAT(testing::ConsistencyViolations(*plan, *released), IsEmpty());
  }
}

INSTANTIATE_TEST_SUITE_P(Budgets, EstimateTest,
                         ::testing::Values(Case{0.01, false, 300}, Case{1, false, 300},
                                           Case{100, false, 2000}, Case{0.05, true, 500},
                                           Case{5, true, 50}));

TEST(ConsistencyCheckTest, FindsEachKindOfViolation) {
  absl::StatusOr<PublicationPlan> plan =
      PlanPublication(testing::SmallSpec(1), "small", mechanisms::SecureNoise());
  ASSERT_TRUE(plan.ok());
  const TableSet truth = RandomTruth(*plan, 300, 13);
  ASSERT_THAT(testing::ConsistencyViolations(*plan, truth), IsEmpty());
  TableSet broken = truth;
  broken.values[3][3][0] += 0.5;  // a tract's race cell: not an integer, breaks its district
  EXPECT_EQ(testing::ConsistencyViolations(*plan, broken).size(), 1u + 1u + 3u);
  broken = truth;
  broken.values[0][1][0] -= 1;  // the nation's sex_by_age: children and the total disagree
  EXPECT_EQ(testing::ConsistencyViolations(*plan, broken).size(), 1u + 3u);
}

TEST(EstimateZeroNoiseTest, ReturnsTheExactTables) {
  absl::StatusOr<PublicationPlan> plan = PlanPublication(testing::SmallSpec(1, /*households=*/true),
                                                         "small", mechanisms::testing::ZeroNoise());
  ASSERT_TRUE(plan.ok()) << plan.status();
  const TableSet truth = RandomTruth(*plan, 400, 9);
  random::testing::SeededRng rng(1);
  auto estimator = TopDownEstimator::Create(*plan);
  ASSERT_TRUE(estimator.ok());
  absl::StatusOr<TableSet> released = (*estimator)->Estimate(Measure(*plan, truth, rng));
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(released->values, truth.values);
}

TEST(EstimateTest, ConsistencyPoolsTheTablesTotalsAtTheTop) {
  absl::StatusOr<PublicationPlan> plan =
      PlanPublication(testing::SmallSpec(0.5), "small", mechanisms::SecureNoise());
  ASSERT_TRUE(plan.ok());
  const TableSet truth = RandomTruth(*plan, 3000, 21);
  auto estimator = TopDownEstimator::Create(*plan);
  ASSERT_TRUE(estimator.ok());
  random::testing::SeededRng rng(23);
  const int top = 0;
  double raw_error = 0, released_error = 0;
  for (int trial = 0; trial < 100; ++trial) {
    const TableSet noisy = Measure(*plan, truth, rng);
    const TableSet released = *(*estimator)->Estimate(noisy);
    // The nation total: every table's total is an estimate of it; consistency pools them.
    raw_error += std::abs(noisy.values[top][0][0] - truth.values[top][0][0]);
    released_error += std::abs(released.values[top][0][0] - truth.values[top][0][0]);
  }
  EXPECT_LT(released_error, raw_error);
}

TEST(ConstrainedNnlsTest, ChildrenSumToParentWhenNothingIsClipped) {
  // Three children, one cell each, equal weights: x = y + (P - sum y) / 3.
  Eigen::SparseMatrix<double> a(1, 3);
  for (int k = 0; k < 3; ++k) a.insert(0, k) = 1;
  auto nnls = ConstrainedNnls::Create(a, Eigen::VectorXd::Ones(3));
  ASSERT_TRUE(nnls.ok());
  const Eigen::VectorXd y = Eigen::Vector3d(10, 20, 30);
  const Eigen::VectorXd b = Eigen::VectorXd::Constant(1, 66);
  const Eigen::VectorXd z = nnls->Solve(y, b, 1e-9, 100000);
  EXPECT_NEAR(z[0], 12, 1e-6);
  EXPECT_NEAR(z[1], 22, 1e-6);
  EXPECT_NEAR(z[2], 32, 1e-6);
}

TEST(ConstrainedNnlsTest, ClipsAndRedistributes) {
  // min (x0+5)^2 + (x1-10)^2 s.t. x0 + x1 = 4, x >= 0: x = (0, 4).
  Eigen::SparseMatrix<double> a(1, 2);
  a.insert(0, 0) = 1;
  a.insert(0, 1) = 1;
  auto nnls = ConstrainedNnls::Create(a, Eigen::VectorXd::Ones(2));
  ASSERT_TRUE(nnls.ok());
  const Eigen::VectorXd z =
      nnls->Solve(Eigen::Vector2d(-5, 10), Eigen::VectorXd::Constant(1, 4), 1e-9, 100000);
  EXPECT_NEAR(z[0], 0, 1e-6);
  EXPECT_NEAR(z[1], 4, 1e-6);
}

}  // namespace
}  // namespace dpkit::publish
