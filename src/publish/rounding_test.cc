#include "publish/rounding.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <vector>

#include "dpkit/random/samplers.h"
#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"

namespace dpkit::publish {
namespace {

double L1(const std::vector<int64_t>& x, const std::vector<double>& t) {
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) d += std::abs(static_cast<double>(x[i]) - t[i]);
  return d;
}

std::vector<double> RandomTargets(random::BitGenerator& rng, size_t n, double scale) {
  std::vector<double> t(n);
  for (double& v : t) v = (random::UniformDouble01(rng) - 0.2) * scale;  // some negative
  return t;
}

// Smallest L1 cost over all non-negative integer matrices with the given margins (brute force).
double BruteForceMargins(const std::vector<double>& t, int rows, int cols,
                         const std::vector<int64_t>& row_sums,
                         const std::vector<int64_t>& col_sums) {
  std::vector<int64_t> x(t.size(), 0);
  double best = INFINITY;
  std::function<void(size_t)> fill = [&](size_t i) {
    if (i == x.size()) {
      for (int r = 0; r < rows; ++r) {
        int64_t s = 0;
        for (int c = 0; c < cols; ++c) s += x[r * cols + c];
        if (s != row_sums[r]) return;
      }
      for (int c = 0; c < cols; ++c) {
        int64_t s = 0;
        for (int r = 0; r < rows; ++r) s += x[r * cols + c];
        if (s != col_sums[c]) return;
      }
      best = std::min(best, L1(x, t));
      return;
    }
    const int r = static_cast<int>(i) / cols, c = static_cast<int>(i) % cols;
    for (int64_t v = 0; v <= std::min(row_sums[r], col_sums[c]); ++v) {
      x[i] = v;
      fill(i + 1);
    }
  };
  fill(0);
  return best;
}

TEST(RoundToSumTest, HitsTheSumAndIsL1Optimal) {
  random::testing::SeededRng rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t n = 1 + random::UniformInt(rng, 0, 6);
    const std::vector<double> t = RandomTargets(rng, n, 8);
    const int64_t total = random::UniformInt(rng, 0, 30);
    const std::vector<int64_t> x = RoundToSum(t, total);
    EXPECT_EQ(std::accumulate(x.begin(), x.end(), int64_t{0}), total);
    for (int64_t v : x) EXPECT_GE(v, 0);
    // No single +1/-1 exchange lowers the cost (enough for a separable convex objective).
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) {
        if (i == j || x[j] == 0) continue;
        std::vector<int64_t> y = x;
        ++y[i];
        --y[j];
        EXPECT_GE(L1(y, t) + 1e-9, L1(x, t));
      }
    }
  }
}

TEST(RoundToMarginsTest, KeepsEveryMarginAndMatchesBruteForce) {
  random::testing::SeededRng rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    const int rows = 1 + static_cast<int>(random::UniformInt(rng, 0, 2));
    const int cols = 1 + static_cast<int>(random::UniformInt(rng, 0, 2));
    // Margins from a random integer matrix, targets near it.
    std::vector<int64_t> base(rows * cols);
    for (int64_t& v : base) v = random::UniformInt(rng, 0, 3);
    std::vector<int64_t> row_sums(rows, 0), col_sums(cols, 0);
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        row_sums[r] += base[r * cols + c];
        col_sums[c] += base[r * cols + c];
      }
    }
    std::vector<double> t = RandomTargets(rng, base.size(), 4);
    const std::vector<int64_t> x = RoundToMargins(t, rows, cols, row_sums, col_sums);
    for (int r = 0; r < rows; ++r) {
      int64_t s = 0;
      for (int c = 0; c < cols; ++c) s += x[r * cols + c];
      EXPECT_EQ(s, row_sums[r]);
    }
    for (int c = 0; c < cols; ++c) {
      int64_t s = 0;
      for (int r = 0; r < rows; ++r) s += x[r * cols + c];
      EXPECT_EQ(s, col_sums[c]);
    }
    for (int64_t v : x) EXPECT_GE(v, 0);
    EXPECT_NEAR(L1(x, t), BruteForceMargins(t, rows, cols, row_sums, col_sums), 1e-9);
  }
}

TEST(RoundToMarginsTest, LargeProblemsStayExact) {
  random::testing::SeededRng rng(3);
  const int rows = 40, cols = 25;
  std::vector<double> t(rows * cols);
  std::vector<int64_t> row_sums(rows, 0), col_sums(cols, 0);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const int64_t v = random::UniformInt(rng, 0, 50);
      row_sums[r] += v;
      col_sums[c] += v;
      t[r * cols + c] = v + (random::UniformDouble01(rng) - 0.5) * 6;
    }
  }
  const std::vector<int64_t> x = RoundToMargins(t, rows, cols, row_sums, col_sums);
  for (int r = 0; r < rows; ++r) {
    EXPECT_EQ(std::accumulate(x.begin() + r * cols, x.begin() + (r + 1) * cols, int64_t{0}),
              row_sums[r]);
  }
  for (int64_t v : x) EXPECT_GE(v, 0);
}

}  // namespace
}  // namespace dpkit::publish
