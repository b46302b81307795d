// Private helpers: exact arithmetic on the power-of-two grids used by the real-valued
// mechanisms, selection and sparse vector (see docs/mechanisms/README.md, "Exact noise on a
// grid").
#ifndef DPKIT_SRC_MECHANISMS_GRID_H_
#define DPKIT_SRC_MECHANISMS_GRID_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "dpkit/mechanisms/interval.h"
#include "dpkit/random/samplers.h"

namespace dpkit::mechanisms::internal {

using int128 = __int128;

// Default number of grid steps per power of two of the sensitivity and the noise scale:
// lambda = 2^(floor(log2 min(sensitivity, scale)) - 20) (see GridExponent).
inline constexpr int kDefaultGranularityBits = 20;
inline constexpr int kMaxGranularityBits = 40;
// Selection and sparse vector compare grid indices clamped to [-2^kGridIndexBits,
// 2^kGridIndexBits] (scores beyond ~1e30 noise scales compare as equal); released values are
// never clamped (ReleaseOnGrid).
inline constexpr int kGridIndexBits = 120;
// The samplers' ranges in grid units, with a factor-2 margin for the rounding up of scales:
// discrete Laplace scale <= 2^50, discrete Gaussian sigma <= 2^24 (dpkit/random/samplers.h).
inline constexpr double kMaxLaplaceScaleSteps = 0x1.0p49;
inline constexpr double kMaxGaussianSigmaSteps = 0x1.0p23;
// Noise scales (and so granularities) are restricted to [2^-900, 2^900] so that every grid
// value is a normal double and nothing overflows.
inline constexpr double kMinScale = 0x1.0p-900;
inline constexpr double kMaxScale = 0x1.0p900;

// The most a real-valued mechanism's noise may exceed the requested scale through grid effects
// (sensitivity rounded up to whole grid steps, the sampler's rounding) before it refuses.
inline constexpr double kMaxNoiseInflation = 0.01;

// OK when `used` <= `requested` (1 + kMaxNoiseInflation); otherwise InvalidArgument saying so
// (`what` names the scale, e.g. "Laplace noise of scale l1_sensitivity/epsilon").
absl::Status CheckNoiseScale(double used, double requested, const char* what);

// floor(log2(scale)) - bits, for finite scale > 0 (selection and sparse vector: lambda from the
// sensitivity alone).
int GranularityExponent(double scale, int bits);

// e such that lambda = 2^e = 2^(floor(log2(min(sensitivity, scale))) - bits): both the
// sensitivity and the noise scale span at least 2^bits grid steps, so rounding the sensitivity
// up to whole steps (CeilToGrid) adds at most a factor 1 + 2^-bits to the noise -- unless the
// noise scale would then exceed `max_scale_steps` steps (the sampler's range), in which case e
// is the smallest exponent with scale / 2^e <= max_scale_steps and the factor is
// 1 + 1/ceil(sensitivity / 2^e). sensitivity and scale must be finite and > 0, max_scale_steps
// a power of two.
int GridExponent(double sensitivity, double scale, int bits, double max_scale_steps);

// round_half_up(x / 2^e), x finite, clamped to [-2^120, 2^120]. Rounding is monotone and
// commutes with shifts by grid multiples, so a function with sensitivity D (a multiple of
// 2^e) keeps sensitivity D after rounding, and in general gets sensitivity
// ceil(D / 2^e) * 2^e.
int128 ToGrid(double x, int exponent);
// value + noise, saturating at the int64 range (the integer mechanisms' release; saturation is
// post-processing and shows in the output).
int64_t AddSaturating(int64_t value, int64_t noise);
// Saturating int128 + int64 within +-2^126.
int128 AddClamped(int128 a, int64_t b);

// The released value of the real-valued mechanisms: the double nearest to
// 2^e * (round_half_up(x / 2^e) + noise), computed exactly for every finite x (no clamping).
// The integer x_g + noise is the private release; rounding it to a double is post-processing.
double ReleaseOnGrid(double x, int exponent, int64_t noise);

// [y - r, y + r] rounded outwards, r = (m + 1/2) 2^e + ulp(y) / 2: contains the true value
// whenever |noise| <= m, y = ReleaseOnGrid(x, e, noise) (the ulp term covers the rounding of
// the release to a double).
struct Bounds {
  double lower;
  double upper;
};
Bounds ReleaseInterval(double y, int64_t m, int exponent);

// The exact confidence intervals of the additive mechanisms, given the smallest m with
// P(|noise| <= m) >= level: ReleaseInterval for a grid release y, [y - m, y + m] for an integer
// release.
Interval GridInterval(double y, int64_t m, int exponent, double level);
Interval IntegerInterval(int64_t y, int64_t m, double level);

// ceil(x / 2^e) for finite x > 0; InvalidArgument naming `name` if it exceeds 2^52.
absl::StatusOr<int64_t> CeilToGrid(double x, int exponent, const char* name);

// The largest num / 2^k <= x with num < 2^53 and k <= 62 (so num, den fit in uint64), for
// finite x in [2^-40, 2^40]; InvalidArgument naming `name` otherwise.
absl::StatusOr<random::Rational> RationalAtMost(double x, const char* name);

}  // namespace dpkit::mechanisms::internal

#endif  // DPKIT_SRC_MECHANISMS_GRID_H_
