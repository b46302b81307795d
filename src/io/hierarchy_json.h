// Internal: the schema key "hierarchies" (dpkit/io/schema.h, struct Hierarchy) read from and
// written to JSON, and checked against the schema's columns.
#ifndef DPKIT_SRC_IO_HIERARCHY_JSON_H_
#define DPKIT_SRC_IO_HIERARCHY_JSON_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/io/schema.h"
#include "nlohmann/json.hpp"

namespace dpkit::io::internal {

// `v` is the value of "hierarchies": an array of {"columns": [...], "values": [[...], ...]}
// objects. InvalidArgument naming the hierarchy and the offending key (structure only; the
// checks against the columns are ValidateHierarchies').
absl::StatusOr<std::vector<Hierarchy>> HierarchiesFromJson(const nlohmann::ordered_json& v,
                                                           std::string_view source);
nlohmann::ordered_json HierarchiesToJson(const std::vector<Hierarchy>& hierarchies);

// The rules of Schema::Validate for schema.hierarchies.
absl::Status ValidateHierarchies(const Schema& schema);

}  // namespace dpkit::io::internal

#endif  // DPKIT_SRC_IO_HIERARCHY_JSON_H_
