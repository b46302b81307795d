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

// The plan's declared domains applied row by row (the rules of io::CsvReadOptions::private_data):
// a value outside a column's declared categories becomes NULL (they are its complete domain),
// and a row with a NULL in a column that is not nullable is dropped. `table` holds the plan's
// columns, in plan order.
absl::StatusOr<io::Table> ApplyDeclaredDomains(const SynthPlan& plan, const io::Table& table);

// kQuantiles: DP bins (synth/dp_bins.h), the plan's range narrowed to the one found; kPartition: privately selected categories. Fills
// `plan->encoding` and returns a one-line description of the (DP) result; no-op for public
// sources. The column's l2 sensitivity is 1 (one row, add/remove).
absl::StatusOr<std::string> CompleteEncoding(const io::Column& column, const SynthOptions& options,
                                             const mechanisms::NoiseFactory& noise,
                                             random::BitGenerator& gen, ColumnPlan* plan);

}  // namespace dpkit::synth::internal

#endif  // DPKIT_SRC_SYNTH_PREPROCESS_H_
