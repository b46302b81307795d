// Internal: private log-histogram bounds over already-bounded rows (see dpkit/analytics/bounds.h).
#ifndef DPKIT_SRC_ANALYTICS_ENGINE_BOUNDS_H_
#define DPKIT_SRC_ANALYTICS_ENGINE_BOUNDS_H_

#include <utility>

#include "absl/status/statusor.h"
#include "analytics/engine/noise.h"
#include "analytics/engine/state.h"

namespace dpkit::analytics::engine {

absl::StatusOr<std::pair<double, double>> PrivateBounds(const io::Table& table,
                                                        const BoundedRows& bounded,
                                                        int column_index,
                                                        const std::string& column_name,
                                                        const StatisticNoise& noise,
                                                        random::BitGenerator& gen);

}  // namespace dpkit::analytics::engine

#endif  // DPKIT_SRC_ANALYTICS_ENGINE_BOUNDS_H_
