// Internal: the column key "derived" (dpkit/io/schema.h, struct Derivation) read from and
// written to JSON, and checked against the schema's columns.
#ifndef DPKIT_SRC_IO_DERIVATION_JSON_H_
#define DPKIT_SRC_IO_DERIVATION_JSON_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/io/schema.h"
#include "nlohmann/json.hpp"

namespace dpkit::io::internal {

// `v` is the value of a column's "derived": {"whole": "years"|"months"|"days", "from": ...,
// "to": ...}, each operand a column name or a "YYYY-MM-DD" date. InvalidArgument prefixed with
// `where` ("<source>: column 'x': ") naming the offending key (structure only; the checks
// against the other columns are ValidateDerivations').
absl::StatusOr<Derivation> DerivationFromJson(const nlohmann::ordered_json& v,
                                              std::string_view where);
nlohmann::ordered_json DerivationToJson(const Derivation& d);

// The rules of Schema::Validate for derived columns.
absl::Status ValidateDerivations(const Schema& schema);

}  // namespace dpkit::io::internal

#endif  // DPKIT_SRC_IO_DERIVATION_JSON_H_
