// CategoryMatcher: maps the cells of a typed column to a variable's published categories.
//
// A cell falls into the category that lists its value (compared as values of the declared
// type: int64 1 matches "01") or whose bin [lower, upper) holds it. A null cell (null token, or
// unparseable under the declared type: io's private_data rule) or an unlisted value falls into
// the variable's other_category when it has one, and otherwise into none (kNoCategory: the row is
// outside the published universe).
#ifndef DPKIT_SRC_PUBLISH_CATEGORY_MATCHER_H_
#define DPKIT_SRC_PUBLISH_CATEGORY_MATCHER_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "dpkit/io/table.h"
#include "dpkit/publish/spec.h"
#include "publish/typed_value.h"

namespace dpkit::publish {

inline constexpr int kNoCategory = -1;

class CategoryMatcher {
 public:
  // The variable must be valid (PublicationSpec::Validate).
  explicit CategoryMatcher(const VariableSpec& variable);

  // The category of every row of `column` (read with the variable's declared type).
  // InvalidArgument if the column's type is not the variable's.
  absl::StatusOr<std::vector<int>> Match(const io::Column& column) const;

 private:
  int MatchKey(const std::string& key) const;
  int MatchNumber(const TypedValue& value) const;

  const VariableSpec& variable_;
  int other_ = kNoCategory;
  absl::flat_hash_map<std::string, int> by_key_;  // TypedValue::Key() of listed values
};

}  // namespace dpkit::publish

#endif  // DPKIT_SRC_PUBLISH_CATEGORY_MATCHER_H_
