#include "dpkit/base/validation.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace dpkit {

std::string FormatDouble(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  // %.17g round-trips; prefer the shortest representation that round-trips.
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

absl::Status ValidatePositiveFinite(std::string_view name, double value) {
  if (!std::isfinite(value) || !(value > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(name), " must be finite and > 0, got ", FormatDouble(value)));
  }
  return absl::OkStatus();
}

absl::Status ValidateNonNegativeFinite(std::string_view name, double value) {
  if (!std::isfinite(value) || !(value >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(name), " must be finite and >= 0, got ", FormatDouble(value)));
  }
  return absl::OkStatus();
}

absl::Status ValidateFinite(std::string_view name, double value) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(name), " must be finite, got ", FormatDouble(value)));
  }
  return absl::OkStatus();
}

absl::Status ValidateOpenUnitInterval(std::string_view name, double value) {
  if (!(value > 0 && value < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(name), " must be in (0, 1), got ", FormatDouble(value)));
  }
  return absl::OkStatus();
}

absl::Status ValidateDelta(std::string_view name, double value, bool allow_zero) {
  if (allow_zero) {
    if (!(value >= 0 && value < 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(name), " must be in [0, 1), got ", FormatDouble(value)));
    }
    return absl::OkStatus();
  }
  return ValidateOpenUnitInterval(name, value);
}

absl::Status ValidateInOpenRange(std::string_view name, double value, double lo, double hi) {
  if (!std::isfinite(value) || !(value > lo && value < hi)) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(name), " must be in (", FormatDouble(lo), ", ",
                                                   FormatDouble(hi), "), got ",
                                                   FormatDouble(value)));
  }
  return absl::OkStatus();
}

absl::Status ValidateBounds(std::string_view lower_name, double lower, std::string_view upper_name,
                            double upper) {
  if (!std::isfinite(lower)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(lower_name), " must be finite, got ", FormatDouble(lower)));
  }
  if (!std::isfinite(upper)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(upper_name), " must be finite, got ", FormatDouble(upper)));
  }
  if (lower > upper) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(lower_name), " (", FormatDouble(lower),
                                                   ") must be <= ", std::string(upper_name), " (",
                                                   FormatDouble(upper), ")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateAtLeast(std::string_view name, int64_t value, int64_t min_value) {
  if (value < min_value) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(name), " must be >= ", min_value, ", got ", value));
  }
  return absl::OkStatus();
}

}  // namespace dpkit
