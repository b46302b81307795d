#include "dpkit/base/math.h"

#include <cmath>

#include "gtest/gtest.h"

namespace dpkit {
namespace {

TEST(MathTest, NormalQuantileInvertsCdf) {
  EXPECT_DOUBLE_EQ(NormalQuantile(0.5), 0.0);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(NormalQuantile(0.025), -1.959963984540054, 1e-13);
  EXPECT_NEAR(NormalQuantile(1e-10), -6.361340902404056, 1e-12);
  for (double p : {1e-300, 1e-20, 1e-6, 0.01, 0.3, 0.7, 0.99, 1 - 1e-12}) {
    double x = NormalQuantile(p);
    double back = NormalCdf(x);
    EXPECT_NEAR(back / p, 1.0, 1e-10) << p;
  }
  EXPECT_TRUE(std::isinf(NormalQuantile(0)));
  EXPECT_TRUE(std::isinf(NormalQuantile(1)));
}

}  // namespace
}  // namespace dpkit
