#include "publish/category_matcher.h"

#include "absl/strings/str_cat.h"
#include "publish/typed_value.h"

namespace dpkit::publish {

CategoryMatcher::CategoryMatcher(const VariableSpec& variable) : variable_(variable) {
  for (size_t i = 0; i < variable.categories.size(); ++i) {
    for (const std::string& value : variable.categories[i].values) {
      if (auto typed = ParseTypedValue(value, variable.type)) by_key_[typed->Key()] = i;
    }
  }
  if (variable.other_category.has_value()) other_ = static_cast<int>(variable.categories.size());
}

int CategoryMatcher::MatchKey(const std::string& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? other_ : it->second;
}

int CategoryMatcher::MatchNumber(const TypedValue& value) const {
  const double x = value.Numeric();
  for (size_t i = 0; i < variable_.categories.size(); ++i) {
    const CategorySpec& c = variable_.categories[i];
    if (c.lower.has_value() && *c.lower <= x && x < *c.upper) return static_cast<int>(i);
  }
  return MatchKey(value.Key());
}

absl::StatusOr<std::vector<int>> CategoryMatcher::Match(const io::Column& column) const {
  if (column.type() != variable_.type) {
    return absl::InvalidArgumentError(absl::StrCat("variable '", variable_.name, "': column '",
                                                   column.name(), "' was not read as ",
                                                   io::DataTypeName(variable_.type)));
  }
  std::vector<int> out(static_cast<size_t>(column.size()), other_);
  if (variable_.type == io::DataType::kString) {
    std::vector<int> of_code;  // one lookup per distinct value
    for (const std::string& value : column.dictionary()) of_code.push_back(MatchKey(value));
    for (int64_t r = 0; r < column.size(); ++r) {
      if (!column.IsNull(r)) out[r] = of_code[column.codes()[r]];
    }
    return out;
  }
  TypedValue value;
  value.type = variable_.type;
  for (int64_t r = 0; r < column.size(); ++r) {
    if (column.IsNull(r)) continue;
    if (variable_.type == io::DataType::kInt64) {
      value.int_value = column.int64_values()[r];
    } else {
      value.double_value = column.double_values()[r];
    }
    out[r] = MatchNumber(value);
  }
  return out;
}

}  // namespace dpkit::publish
