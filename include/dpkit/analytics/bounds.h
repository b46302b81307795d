// DP approximate bounds of a numeric column (for clamping when no public bounds exist).
//
// Mechanism: after contribution bounding (at most `max_rows_per_unit` rows per privacy unit, or
// one row per row without a unit), the non-null values are counted in a log-scale histogram —
// bins +-[2^k, 2^(k+1)) for k = -10..62 and a zero bin (|x| < 2^-10) — each count gets exact
// noise from the discrete Laplace mechanism (dpkit/mechanisms) for L1 sensitivity
// max_rows_per_unit (the histogram vector), and the bounds are the outer edges of the lowest and highest bins whose
// noisy count exceeds the level that noise alone passes with probability 1e-3 over all bins
// (the approach of Google's differential-privacy library's ApproxBounds).
// Privacy claim: epsilon-DP (pure) w.r.t. adding/removing one privacy unit (or one row).
// The result is a power of two (or 0) on each side: it covers the bulk of the data, not
// necessarily its extremes; values outside are clamped by the caller.
#ifndef DPKIT_ANALYTICS_BOUNDS_H_
#define DPKIT_ANALYTICS_BOUNDS_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/io/table.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::analytics {

struct ApproximateBoundsOptions {
  double epsilon = 0;
  std::string privacy_unit;        // column; empty = rows are units
  int64_t max_rows_per_unit = 1;   // rows of one unit counted (chosen at random)
  // The single noise layer (testing::ZeroNoise() only in tests).
  const mechanisms::NoiseFactory* noise = &mechanisms::SecureNoise();
};

struct ApproximateBoundsResult {
  double lower = 0;
  double upper = 0;
  PrivacyMap privacy_map;
};

// FailedPrecondition when no bin stands out from the noise (too few rows for the budget).
absl::StatusOr<ApproximateBoundsResult> ApproximateBounds(const io::Table& table,
                                                          const std::string& column,
                                                          const ApproximateBoundsOptions& options,
                                                          random::BitGenerator& gen);

// The privacy cost ApproximateBounds will report, known before running it (for charging first).
absl::StatusOr<PrivacyMap> ApproximateBoundsPrivacyMap(const ApproximateBoundsOptions& options);

}  // namespace dpkit::analytics

#endif  // DPKIT_ANALYTICS_BOUNDS_H_
