// Internal: the DP preprocessing step of a synthesizer fit (see dpkit/synth/synthesizer.h):
// completes a column's planned encoding from its data with the planned budget, through
// NoiseFactory mechanisms only.
#ifndef DPKIT_SRC_SYNTH_PREPROCESS_H_
#define DPKIT_SRC_SYNTH_PREPROCESS_H_

#include <string>

#include "absl/status/status.h"
#include "dpkit/io/table.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/synth/plan.h"

namespace dpkit::synth::internal {

// kQuantiles: DP quantile bin edges; kPartition: privately selected categories. Fills
// `plan->encoding` and returns a one-line description of the (DP) result; no-op for public
// sources. The column's l2 sensitivity is 1 (one row, add/remove).
absl::StatusOr<std::string> CompleteEncoding(const io::Column& column, const SynthOptions& options,
                                             const mechanisms::NoiseFactory& noise,
                                             random::BitGenerator& gen, ColumnPlan* plan);

}  // namespace dpkit::synth::internal

#endif  // DPKIT_SRC_SYNTH_PREPROCESS_H_
