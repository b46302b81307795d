#include "mechanisms/grid.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/validation.h"
#include "random/ct.h"

namespace dpkit::mechanisms::internal {

using random::uint128;

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
  // x = mantissa 2^(e_x - 1075) from its bits, so x / 2^e = mantissa 2^shift; then integer
  // shifts and masks only (random/ct.h): no branch or FP operation whose time depends on x
  // (subnormals, zero and huge values take the same instructions).
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  const uint64_t negative = random::ct::Barrier(0 - (bits >> 63));
  const uint64_t biased = (bits >> 52) & 0x7FF;
  const uint64_t normal = ~random::ct::EqualMask(biased, 0);
  const uint64_t mantissa = (bits & ((uint64_t{1} << 52) - 1)) | (normal & (uint64_t{1} << 52));
  const int64_t shift =
      static_cast<int64_t>(biased | (~normal & 1)) - 1075 - static_cast<int64_t>(exponent);
  const uint128 limit = uint128{1} << kGridIndexBits;
  // shift >= 0: exact; beyond 2^120 (mantissa < 2^53, so certainly when shift > 67) clamped.
  const uint64_t left = static_cast<uint64_t>(shift) & 127;
  const uint128 scaled = random::ct::ShiftLeft(mantissa, left);
  const uint64_t too_big = random::ct::LessMask(67, static_cast<uint64_t>(shift)) |
                           ~random::ct::LessMask(scaled, limit + 1);
  const uint128 up = random::ct::Select(too_big, limit, scaled);
  // shift < 0: round half up, i.e. (m + 2^(k-1)) >> k for x >= 0 and -((m + 2^(k-1) - 1) >> k)
  // for x < 0, k = -shift (0 once k >= 128).
  const uint64_t k = static_cast<uint64_t>(-shift);
  const uint64_t k_small = random::ct::LessMask(k, 128);
  const uint128 half = random::ct::ShiftLeft(1, (k - 1) & 127) - (negative & 1);
  const uint128 down =
      random::ct::Select(k_small, random::ct::ShiftRight(mantissa + half, k & 127), 0);
  const uint64_t is_left = ~random::ct::LessMask(static_cast<uint64_t>(shift) ^ (uint64_t{1} << 63),
                                                 uint64_t{1} << 63);  // shift >= 0
  const uint128 magnitude = random::ct::Select(is_left, up, down);
  // Negate by mask: (m ^ -1) + 1 = -m.
  const uint128 sign = random::ct::Select(negative, ~uint128{0}, 0);
  return static_cast<int128>((magnitude ^ sign) - sign);
}

int64_t AddSaturating(int64_t value, int64_t noise) {
  int64_t out;
  if (__builtin_add_overflow(value, noise, &out)) {
    out = noise > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return out;
}

int128 AddClamped(int128 a, int64_t b) {
  // |a| <= 2^126, |b| < 2^63: a + b does not overflow; clamped by comparisons in the unsigned
  // order of (value + 2^127).
  constexpr uint128 kBias = uint128{1} << 127;
  constexpr uint128 kLimit = uint128{1} << 126;
  const uint128 s = static_cast<uint128>(a + b) + kBias;
  const uint128 hi = kBias + kLimit, lo = kBias - kLimit;
  uint128 r = random::ct::Select(random::ct::LessMask(hi, s), hi, s);
  r = random::ct::Select(random::ct::LessMask(r, lo), lo, r);
  return static_cast<int128>(r - kBias);
}

double ReleaseOnGrid(double x, int exponent, int64_t noise) {
  // |x| >= 2^(e + 117): x is a multiple of 2^e whose ulp, 2^(ilogb(x) - 52) >= 2^(e + 65),
  // exceeds 4 |noise| 2^e (|noise| < 2^63), so the nearest double to x + noise 2^e is x itself
  // (also next to a power of two, where the spacing below x is half its ulp). The test reads
  // the exponent bits (zero and subnormals have tiny ones) and its outcome is visible in the
  // output, so the branch reveals nothing more.
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  const int64_t x_exponent = static_cast<int64_t>((bits >> 52) & 0x7FF) - 1023;
  if (x_exponent - exponent >= 117) return x;
  // Otherwise |x / 2^e| < 2^118: exact in int128 with the noise added (ToGrid does not clamp
  // it). The conversion to double rounds to nearest and depends only on the released value;
  // ldexp by e is exact (2^-940 <= 2^e, |result| < 2^1020).
  const int128 idx = ToGrid(x, exponent) + noise;
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

Interval GridInterval(double y, int64_t m, int exponent, double level) {
  const Bounds b = ReleaseInterval(y, m, exponent);
  return {.lower = b.lower, .upper = b.upper, .level = level, .exact = true};
}

Interval IntegerInterval(int64_t y, int64_t m, double level) {
  return {.lower = static_cast<double>(y) - static_cast<double>(m),
          .upper = static_cast<double>(y) + static_cast<double>(m),
          .level = level,
          .exact = true};
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
