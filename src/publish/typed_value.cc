#include "publish/typed_value.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/validation.h"
#include "fast_float/fast_float.h"

namespace dpkit::publish {
namespace {

std::string_view WithoutPlus(std::string_view text) {
  return !text.empty() && text[0] == '+' ? text.substr(1) : text;
}

}  // namespace

std::string TypedValue::Key() const {
  switch (type) {
    case io::DataType::kInt64:
      return absl::StrCat(int_value);
    case io::DataType::kDouble:
      return FormatDouble(double_value);
    default:
      return text;
  }
}

double TypedValue::Numeric() const {
  switch (type) {
    case io::DataType::kInt64:
      return static_cast<double>(int_value);
    case io::DataType::kDouble:
      return double_value;
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

std::optional<TypedValue> ParseTypedValue(std::string_view text, io::DataType type) {
  TypedValue v;
  v.type = type;
  if (type == io::DataType::kString) {
    v.text = std::string(text);
    return v;
  }
  const std::string_view digits = WithoutPlus(text);
  if (digits.empty()) return std::nullopt;
  if (digits.size() < text.size() && (digits[0] == '+' || digits[0] == '-')) return std::nullopt;
  const char* end = digits.data() + digits.size();
  if (type == io::DataType::kInt64) {
    auto r = std::from_chars(digits.data(), end, v.int_value);
    if (r.ec != std::errc() || r.ptr != end) return std::nullopt;
    return v;
  }
  if (type != io::DataType::kDouble) return std::nullopt;
  auto r = fast_float::from_chars(digits.data(), end, v.double_value);
  if (r.ec != std::errc() || r.ptr != end || !std::isfinite(v.double_value)) return std::nullopt;
  if (v.double_value == 0) v.double_value = 0;  // -0 and 0 are one value
  return v;
}

}  // namespace dpkit::publish
