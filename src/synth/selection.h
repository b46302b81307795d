// Lazy exponential mechanism (private to synth; used by AIM, tested directly).
#ifndef DPKIT_SRC_SYNTH_SELECTION_H_
#define DPKIT_SRC_SYNTH_SELECTION_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::synth::internal {

// Same output distribution as synth::ExponentialMechanism(scores, epsilon, sensitivity), where
// scores[i] = score(i) <= upper[i], but score(i) is called only for candidates that need it.
// `prefetch` is called with batches of candidates about to be scored (to score them in
// parallel); it may do nothing. InternalError if a score exceeds its upper bound.
absl::StatusOr<int> LazyExponentialMechanism(
    const std::vector<double>& upper, const std::function<absl::StatusOr<double>(int)>& score,
    const std::function<absl::Status(const std::vector<int>&)>& prefetch, double epsilon,
    double sensitivity, random::BitGenerator& gen);

}  // namespace dpkit::synth::internal

#endif  // DPKIT_SRC_SYNTH_SELECTION_H_
