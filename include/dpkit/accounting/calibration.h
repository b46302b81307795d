// DP-SGD privacy and the inverse problems: epsilon of a training schedule, epsilon for a delta
// and delta for an epsilon over any list of PrivacyMaps, and the noise multiplier that reaches a
// target (epsilon, delta).
//
// DP-SGD schedule (TF Privacy's compute_dp_sgd_privacy convention): sampling rate
// q = batch_size / examples (Poisson sampling, add/remove neighbours), steps =
// ceil(epochs * examples / batch_size).
//
// Noise-multiplier search: epsilon is non-increasing in the noise multiplier for every
// accountant here, so the search brackets the answer by doubling/halving and bisects in
// log(noise multiplier) until the bracket is within `relative_tolerance`; it returns the upper
// end of the bracket, which is verified to meet the target (never a value that misses it). For
// the PLD accountant the RDP answer (cheap, always >= the PLD one) seeds the bracket.
// Deterministic and thread-safe.
#ifndef DPKIT_ACCOUNTING_CALIBRATION_H_
#define DPKIT_ACCOUNTING_CALIBRATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/base/privacy_map.h"

namespace dpkit::accounting {

struct DpSgdSchedule {
  int64_t examples = 0;    // training set size N
  int64_t batch_size = 0;  // expected batch size B (Poisson sampling with q = B / N)
  double epochs = 0;
};

// The schedule as one PrivacyMap (kSubsampledGaussian, repetitions = steps). Validates
// examples >= 1, 1 <= batch_size <= examples, epochs > 0 and noise_multiplier > 0.
absl::StatusOr<PrivacyMap> DpSgdPrivacyMap(const DpSgdSchedule& schedule,
                                           double noise_multiplier);

// Epsilon (resp. delta) of the composition of `maps` with a fresh accountant of `kind`.
absl::StatusOr<double> ComposedEpsilon(const std::vector<PrivacyMap>& maps, double delta,
                                       AccountantKind kind,
                                       const AccountantOptions& options = AccountantOptions());
absl::StatusOr<double> ComposedDelta(const std::vector<PrivacyMap>& maps, double epsilon,
                                     AccountantKind kind,
                                     const AccountantOptions& options = AccountantOptions());

struct NoiseMultiplierResult {
  double noise_multiplier = 0;  // meets the target
  double epsilon = 0;           // its epsilon at the target delta
  int evaluations = 0;          // accountant evaluations used
};

// Smallest noise multiplier (within relative_tolerance) such that `steps` Poisson-subsampled
// Gaussian steps at `sampling_rate` are (target_epsilon, delta)-DP under accountant `kind`.
// OutOfRange if even noise multiplier 1e6 does not reach the target.
absl::StatusOr<NoiseMultiplierResult> NoiseMultiplierForEpsilon(
    double target_epsilon, double delta, double sampling_rate, int64_t steps, AccountantKind kind,
    const AccountantOptions& options = AccountantOptions(), double relative_tolerance = 1e-3);

}  // namespace dpkit::accounting

#endif  // DPKIT_ACCOUNTING_CALIBRATION_H_
