// Private helpers: exact arithmetic on the power-of-two grids used by the real-valued
// mechanisms, selection and sparse vector (see docs/mechanisms/README.md, "Exact noise on a
// grid").
#ifndef DPKIT_SRC_MECHANISMS_GRID_H_
#define DPKIT_SRC_MECHANISMS_GRID_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "dpkit/random/samplers.h"

namespace dpkit::mechanisms::internal {

using int128 = __int128;

// Default number of grid steps per power of two of the noise scale: lambda = 2^(floor(log2
// scale) - 20), i.e. between 2^20 and 2^21 grid steps per noise scale unit.
inline constexpr int kDefaultGranularityBits = 20;
inline constexpr int kMaxGranularityBits = 40;
// Grid indices are clamped to [-2^kGridIndexBits, 2^kGridIndexBits].
inline constexpr int kGridIndexBits = 120;
// Noise scales (and so granularities) are restricted to [2^-900, 2^900] so that every grid
// value is a normal double and nothing overflows.
inline constexpr double kMinScale = 0x1.0p-900;
inline constexpr double kMaxScale = 0x1.0p900;

// e such that lambda = 2^e = 2^(floor(log2(scale)) - bits). scale must be finite and > 0.
int GranularityExponent(double scale, int bits);

// round_half_up(x / 2^e), x finite, clamped to [-2^120, 2^120]. Rounding is monotone and
// commutes with shifts by grid multiples, so a function with sensitivity D (a multiple of
// 2^e) keeps sensitivity D after rounding, and in general gets sensitivity
// ceil(D / 2^e) * 2^e.
int128 ToGrid(double x, int exponent);
// The double nearest to idx * 2^e (exact when |idx| < 2^53).
double FromGrid(int128 idx, int exponent);
// Saturating int128 + int64 within +-2^126.
int128 AddClamped(int128 a, int64_t b);

// ceil(x / 2^e) for finite x > 0; InvalidArgument naming `name` if it exceeds 2^52.
absl::StatusOr<int64_t> CeilToGrid(double x, int exponent, const char* name);

// The largest num / 2^k <= x with num < 2^53 and k <= 62 (so num, den fit in uint64), for
// finite x in [2^-40, 2^40]; InvalidArgument naming `name` otherwise.
absl::StatusOr<random::Rational> RationalAtMost(double x, const char* name);

}  // namespace dpkit::mechanisms::internal

#endif  // DPKIT_SRC_MECHANISMS_GRID_H_
