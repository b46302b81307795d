// The measurement step: the plan's discrete Gaussian mechanisms applied to every cell.
//
// Used on the exact tables (the release, after the charge) and on the released tables (the
// error-bar simulation, which is post-processing). Noise comes only from the plan's mechanisms
// (built through a mechanisms::NoiseFactory), never from a sampler called here.
#ifndef DPKIT_SRC_PUBLISH_MEASURE_H_
#define DPKIT_SRC_PUBLISH_MEASURE_H_

#include "dpkit/publish/estimate.h"
#include "dpkit/publish/plan.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::publish {

// `counts` holds integers (shaped like TableSet::Zeros(plan)).
TableSet Measure(const PublicationPlan& plan, const TableSet& counts, random::BitGenerator& gen);

}  // namespace dpkit::publish

#endif  // DPKIT_SRC_PUBLISH_MEASURE_H_
