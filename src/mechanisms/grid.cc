#include "mechanisms/grid.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/validation.h"

namespace dpkit::mechanisms::internal {

int GranularityExponent(double scale, int bits) {
  int e;
  std::frexp(scale, &e);  // scale = m * 2^e, m in [0.5, 1): floor(log2(scale)) = e - 1
  return e - 1 - bits;
}

int128 ToGrid(double x, int exponent) {
  const double limit = std::ldexp(1.0, kGridIndexBits);
  double v = std::ldexp(x, -exponent);  // exact (power-of-two scaling) unless it over/underflows
  if (!(v < limit)) v = limit;
  if (!(v > -limit)) v = -limit;
  double r = std::floor(v);
  if (v - r >= 0.5) r += 1;  // v - floor(v) is exact for doubles
  return static_cast<int128>(r);
}

double FromGrid(int128 idx, int exponent) { return std::ldexp(static_cast<double>(idx), exponent); }

int128 AddClamped(int128 a, int64_t b) {
  const int128 limit = static_cast<int128>(1) << 126;
  int128 s = a + b;  // |a| <= 2^126, |b| < 2^63: no overflow
  if (s > limit) return limit;
  if (s < -limit) return -limit;
  return s;
}

absl::StatusOr<int64_t> CeilToGrid(double x, int exponent, const char* name) {
  double v = std::ceil(std::ldexp(x, -exponent));
  if (!(v <= 0x1.0p52)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, "=", FormatDouble(x), " is too large relative to the noise scale (", name,
        "/granularity = ", FormatDouble(v), " > 2^52); lower epsilon or granularity_bits"));
  }
  return static_cast<int64_t>(v);
}

absl::StatusOr<random::Rational> RationalAtMost(double x, const char* name) {
  if (!std::isfinite(x) || !(x >= 0x1.0p-40) || !(x <= 0x1.0p40)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be in [2^-40, 2^40], got ", FormatDouble(x)));
  }
  int e;
  std::frexp(x, &e);  // x = f 2^e, f in [0.5, 1)
  int k = 52 - e;     // x 2^k = f 2^52 < 2^52
  if (k > 62) k = 62;
  if (k < 0) k = 0;
  uint64_t num = static_cast<uint64_t>(std::floor(std::ldexp(x, k)));
  uint64_t den = uint64_t{1} << k;
  while (den > 1 && (num & 1) == 0) {
    num >>= 1;
    den >>= 1;
  }
  return random::Rational{num, den};
}

}  // namespace dpkit::mechanisms::internal
