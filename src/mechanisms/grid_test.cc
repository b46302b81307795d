// Unit tests of the branch-free grid arithmetic (grid.h) against floating-point references.
#include "mechanisms/grid.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"

namespace dpkit::mechanisms::internal {
namespace {

// The definition: x / 2^e clamped to +-2^120, rounded half up.
int128 ReferenceToGrid(double x, int exponent) {
  const long double limit = std::ldexp(1.0L, kGridIndexBits);
  long double v = std::ldexp(static_cast<long double>(x), -exponent);
  v = std::min(std::max(v, -limit), limit);
  long double r = std::floor(v);
  if (v - r >= 0.5L) r += 1;
  return static_cast<int128>(r);
}

double RandomDouble(random::BitGenerator& gen) {
  uint64_t bits = gen.NextU64();
  if ((bits & 0x7FF0000000000000ULL) == 0x7FF0000000000000ULL) bits &= ~(uint64_t{1} << 62);
  double x;
  std::memcpy(&x, &bits, sizeof(x));
  return x;
}

TEST(GridTest, ToGridMatchesTheDefinition) {
  random::testing::SeededRng rng(11);
  const double specials[] = {0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994,
                             std::numeric_limits<double>::denorm_min(),
                             -std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(),
                             0x1.0p120, -0x1.0p120, 0x1.8p119, 123456.5, -123456.5};
  for (int exponent : {-940, -200, -21, -1, 0, 1, 20, 300, 900}) {
    for (double x : specials) {
      for (double scale : {1.0, std::ldexp(1.0, exponent)}) {
        const double v = x * scale;
        if (!std::isfinite(v)) continue;
        EXPECT_EQ(ToGrid(v, exponent), ReferenceToGrid(v, exponent)) << v << " e=" << exponent;
      }
    }
    for (int i = 0; i < 20000; ++i) {
      const double x = i % 2 == 0 ? RandomDouble(rng)
                                  : std::ldexp(static_cast<double>(rng.NextU64() >> 11) *
                                                   (i % 4 == 1 ? 1 : -1),
                                               exponent - 53 + static_cast<int>(i % 80));
      EXPECT_EQ(ToGrid(x, exponent), ReferenceToGrid(x, exponent)) << x << " e=" << exponent;
    }
  }
}

TEST(GridTest, AddClampedSaturatesAt2To126) {
  const int128 limit = static_cast<int128>(1) << 126;
  EXPECT_EQ(AddClamped(5, -7), -2);
  EXPECT_EQ(AddClamped(limit, 1), limit);
  EXPECT_EQ(AddClamped(-limit, -1), -limit);
  EXPECT_EQ(AddClamped(limit - 3, 2), limit - 1);
  EXPECT_EQ(AddClamped(-limit + 3, std::numeric_limits<int64_t>::min()), -limit);
}

}  // namespace
}  // namespace dpkit::mechanisms::internal
