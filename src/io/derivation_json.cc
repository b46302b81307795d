#include "io/derivation_json.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"

namespace dpkit::io::internal {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kUnitNames[] = {"years", "months", "days"};  // TimeUnit order

absl::Status Error(std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(where), "'derived': ", std::string(what)));
}

absl::StatusOr<DateOperand> OperandFromJson(const Json& v, std::string_view where,
                                            const char* key) {
  if (!v.is_string()) {
    return Error(where, absl::StrCat("'", key, "' must be a date column or a YYYY-MM-DD date"));
  }
  DateOperand d;
  const std::string s = v.get<std::string>();
  if (!ParseDate(s, &d.day)) d.column = s;
  return d;
}

Json OperandToJson(const DateOperand& d) {
  return d.column.empty() ? Json(FormatDate(d.day)) : Json(d.column);
}

// An operand that names a column names a date column of the schema that is not derived.
absl::Status CheckOperand(const Schema& schema, const ColumnSchema& c, const DateOperand& d) {
  if (d.column.empty()) return absl::OkStatus();
  const ColumnSchema* src = schema.Find(d.column);
  if (src == nullptr || src->type != DataType::kDate || src->derived.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "column '", c.name, "' is derived from '", d.column,
        "', which must be a date column of the schema that is not itself derived"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Derivation> DerivationFromJson(const Json& v, std::string_view where) {
  if (!v.is_object()) {
    return Error(where, "must be an object {\"whole\": \"years\", \"from\": ..., \"to\": ...}");
  }
  Derivation d;
  for (const char* key : {"whole", "from", "to"}) {
    if (!v.contains(key)) return Error(where, absl::StrCat("missing '", key, "'"));
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& key = it.key();
    if (key == "whole") {
      const std::string unit = it.value().is_string() ? it.value().get<std::string>() : "";
      int u = 0;
      while (u < 3 && unit != kUnitNames[u]) ++u;
      if (u == 3) return Error(where, "'whole' must be \"years\", \"months\" or \"days\"");
      d.unit = static_cast<TimeUnit>(u);
    } else if (key == "from" || key == "to") {
      DPKIT_ASSIGN_OR_RETURN((key == "from" ? d.from : d.to),
                             OperandFromJson(it.value(), where, key.c_str()));
    } else {
      return Error(where, absl::StrCat("unknown key '", key, "' (allowed: whole, from, to)"));
    }
  }
  return d;
}

Json DerivationToJson(const Derivation& d) {
  Json j = Json::object();
  j["whole"] = kUnitNames[static_cast<int>(d.unit)];
  j["from"] = OperandToJson(d.from);
  j["to"] = OperandToJson(d.to);
  return j;
}

absl::Status ValidateDerivations(const Schema& schema) {
  for (const ColumnSchema& c : schema.columns) {
    if (!c.derived.has_value()) continue;
    const std::string where = absl::StrCat("column '", c.name, "': ");
    if (c.type != DataType::kInt64 || c.name == schema.privacy_unit ||
        !(c.pii.empty() || c.pii == "none") || !c.categories.empty() || !c.bins.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "a derived column must be an int64 column without categories, bins or a \"pii\" "
                 "role other than \"none\" (and not the privacy unit)"));
    }
    if (c.derived->from.column.empty() && c.derived->to.column.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "'derived' needs a date column as 'from' or 'to' (both are dates)"));
    }
    DPKIT_RETURN_IF_ERROR(CheckOperand(schema, c, c.derived->from));
    DPKIT_RETURN_IF_ERROR(CheckOperand(schema, c, c.derived->to));
  }
  return absl::OkStatus();
}

}  // namespace dpkit::io::internal
