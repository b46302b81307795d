#include "mechanisms/grid.h"

#include <cmath>
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/validation.h"

namespace dpkit::mechanisms::internal {

int GranularityExponent(double scale, int bits) { return std::ilogb(scale) - bits; }

int GridExponent(double sensitivity, double scale, int bits, double max_scale_steps) {
  const int fine = GranularityExponent(std::min(sensitivity, scale), bits);
  // The smallest e with scale / 2^e <= max_scale_steps (a power of two): ceil(log2 scale) - k.
  const bool power_of_two = std::ldexp(1.0, std::ilogb(scale)) == scale;
  const int ceil_log2 = std::ilogb(scale) + (power_of_two ? 0 : 1);
  // Never below 2^-940, so every grid value stays a normal double.
  const int floor_e = GranularityExponent(kMinScale, kMaxGranularityBits);
  return std::max({fine, ceil_log2 - std::ilogb(max_scale_steps), floor_e});
}

absl::Status CheckNoiseScale(double used, double requested, const char* what) {
  if (used <= requested * (1 + kMaxNoiseInflation)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "the exact sampler cannot add ", what, " = ", FormatDouble(requested),
      " within 1%: its range forces a coarse output grid and the noise would be ",
      FormatDouble(used), " (", FormatDouble(100 * (used / requested - 1)),
      "% more); use a larger epsilon (or delta)"));
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


int128 AddClamped(int128 a, int64_t b) {
  const int128 limit = static_cast<int128>(1) << 126;
  int128 s = a + b;  // |a| <= 2^126, |b| < 2^63: no overflow
  if (s > limit) return limit;
  if (s < -limit) return -limit;
  return s;
}

double ReleaseOnGrid(double x, int exponent, int64_t noise) {
  // |x| >= 2^(e + 117): x is a multiple of 2^e whose ulp, 2^(ilogb(x) - 52) >= 2^(e + 65),
  // exceeds 4 |noise| 2^e (|noise| < 2^63), so the nearest double to x + noise 2^e is x itself
  // (also next to a power of two, where the spacing below x is half its ulp).
  if (x != 0 && std::ilogb(x) - exponent >= 117) return x;
  // Otherwise |x / 2^e| < 2^118: exact in int128 with the noise added. The conversion to
  // double rounds to nearest; ldexp by e is exact (2^-940 <= 2^e, |result| < 2^1020).
  const double v = std::ldexp(x, -exponent);
  double r = std::floor(v);
  if (v - r >= 0.5) r += 1;  // v - floor(v) is exact for doubles
  const int128 idx = static_cast<int128>(r) + noise;
  return std::ldexp(static_cast<double>(idx), exponent);
}

Bounds ReleaseInterval(double y, int64_t m, int exponent) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const double half = std::ldexp(static_cast<double>(m) + 0.5, exponent);
  const double ay = std::fabs(y);
  const double half_ulp = 0.5 * (std::nextafter(ay, kInf) - ay);
  const double r = std::nextafter(half + half_ulp, kInf);
  return {std::nextafter(y - r, -kInf), std::nextafter(y + r, kInf)};
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
