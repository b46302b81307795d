// A cell's text read under a declared column type (int64, double or string).
//
// The release protocol's rule for typed input: a cell that does not parse under its column's
// declared type is null — no error, no message (an error naming it would leak it). "01" and "+1"
// are the int64 1; doubles are parsed exactly (fast_float, round to nearest).
#ifndef DPKIT_SRC_PUBLISH_TYPED_VALUE_H_
#define DPKIT_SRC_PUBLISH_TYPED_VALUE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dpkit/io/table.h"

namespace dpkit::publish {

struct TypedValue {
  io::DataType type = io::DataType::kString;
  int64_t int_value = 0;
  double double_value = 0;
  std::string text;  // kString only

  // Canonical text: equal values have equal keys ("01" and "1" as int64 both give "1").
  std::string Key() const;
  // The numeric value (int64 or double); NaN for strings.
  double Numeric() const;
};

// nullopt when `text` is not a value of `type` (or is NaN/infinite for kDouble).
std::optional<TypedValue> ParseTypedValue(std::string_view text, io::DataType type);

}  // namespace dpkit::publish

#endif  // DPKIT_SRC_PUBLISH_TYPED_VALUE_H_
