// Parameter validation helpers used by every factory (Create(options)).
//
// Each returns OK or InvalidArgument with a message that names the parameter and the bad value,
// formatted with full precision ("epsilon must be finite and > 0, got -1").
#ifndef DPKIT_BASE_VALIDATION_H_
#define DPKIT_BASE_VALIDATION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace dpkit {

// Formats a double with round-trip precision ("nan", "inf", "-inf" for non-finite values).
std::string FormatDouble(double value);

// value is finite and > 0.
absl::Status ValidatePositiveFinite(std::string_view name, double value);
// value is finite and >= 0.
absl::Status ValidateNonNegativeFinite(std::string_view name, double value);
// value is finite (may be negative).
absl::Status ValidateFinite(std::string_view name, double value);
// 0 < value < 1.
absl::Status ValidateOpenUnitInterval(std::string_view name, double value);
// 0 <= value < 1 (delta where 0 means "pure DP").
absl::Status ValidateDelta(std::string_view name, double value, bool allow_zero);
// lo < value < hi (both exclusive), value finite.
absl::Status ValidateInOpenRange(std::string_view name, double value, double lo, double hi);
// lower and upper finite with lower <= upper.
absl::Status ValidateBounds(std::string_view lower_name, double lower, std::string_view upper_name,
                            double upper);
// value >= min_value.
absl::Status ValidateAtLeast(std::string_view name, int64_t value, int64_t min_value);

}  // namespace dpkit

#endif  // DPKIT_BASE_VALIDATION_H_
