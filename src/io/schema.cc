#include "dpkit/io/schema.h"

#include <cmath>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "io/derivation_json.h"
#include "io/hierarchy_json.h"
#include "nlohmann/json.hpp"

namespace dpkit::io {
namespace {

using Json = nlohmann::ordered_json;

absl::Status SchemaError(std::string_view source, std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(source), ": ", std::string(where), std::string(what)));
}

std::string Where(const std::string& column) {
  return column.empty() ? std::string() : absl::StrCat("column '", column, "': ");
}

// A bound: number, or "YYYY-MM-DD" for date columns.
absl::StatusOr<double> ParseBound(const Json& v, DataType type, std::string_view source,
                                  const std::string& column, const char* key) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string() && type == DataType::kDate) {
    int64_t days;
    const std::string s = v.get<std::string>();
    if (ParseDate(s, &days)) return static_cast<double>(days);
    return SchemaError(source, Where(column),
                       absl::StrCat("'", key, "' must be a date YYYY-MM-DD, got '", s, "'"));
  }
  return SchemaError(source, Where(column),
                     absl::StrCat("'", key, "' must be a number",
                                  type == DataType::kDate ? " or a YYYY-MM-DD date" : "", ", got ",
                                  v.dump()));
}


}  // namespace

absl::Status ColumnSchema::Validate() const {
  const std::string where = absl::StrCat("column '", name, "': ");
  if (name.empty()) return absl::InvalidArgumentError("schema column name must not be empty");
  if (lower.has_value() && !std::isfinite(*lower)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "lower bound must be finite, got ", FormatDouble(*lower)));
  }
  if (upper.has_value() && !std::isfinite(*upper)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "upper bound must be finite, got ", FormatDouble(*upper)));
  }
  if (lower.has_value() && upper.has_value() && *lower > *upper) {
    return absl::InvalidArgumentError(absl::StrCat(where, "lower bound ", FormatDouble(*lower),
                                                   " is greater than upper bound ",
                                                   FormatDouble(*upper)));
  }
  if (type == DataType::kString && (lower.has_value() || upper.has_value())) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "bounds are only allowed on int64, double and date columns"));
  }
  if (type == DataType::kString && !bins.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "bins are only allowed on int64, double and date columns"));
  }
  absl::flat_hash_set<std::string> seen;
  for (const std::string& c : categories) {
    if (!seen.insert(c).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, "duplicate category '", c, "'"));
    }
  }
  if (!bins.empty()) {
    if (bins.size() < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "bins need at least 2 edges, got ", bins.size()));
    }
    for (size_t i = 0; i < bins.size(); ++i) {
      if (!std::isfinite(bins[i])) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "bin edge ", i, " must be finite, got ", FormatDouble(bins[i])));
      }
      if (i > 0 && !(bins[i] > bins[i - 1])) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, "bin edges must be strictly increasing, got ", FormatDouble(bins[i - 1]),
            " then ", FormatDouble(bins[i])));
      }
    }
  }
  return absl::OkStatus();
}

const ColumnSchema* Schema::Find(std::string_view name) const {
  for (const ColumnSchema& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> Schema::ColumnNames() const {
  std::vector<std::string> names;
  for (const ColumnSchema& c : columns) names.push_back(c.name);
  return names;
}

absl::StatusOr<const ColumnSchema*> Schema::Get(std::string_view name) const {
  if (const ColumnSchema* c = Find(name)) return c;
  return absl::NotFoundError(absl::StrCat("unknown column '", std::string(name),
                                          "' in schema (available: ",
                                          absl::StrJoin(ColumnNames(), ", "), ")"));
}

absl::Status Schema::Validate() const {
  absl::flat_hash_set<std::string> seen;
  for (const ColumnSchema& c : columns) {
    DPKIT_RETURN_IF_ERROR(c.Validate());
    if (!seen.insert(c.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate schema column '", c.name, "'"));
    }
  }
  if (!privacy_unit.empty() && Find(privacy_unit) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("privacy_unit '", privacy_unit, "' is not a schema column (available: ",
                     absl::StrJoin(ColumnNames(), ", "), ")"));
  }
  DPKIT_RETURN_IF_ERROR(internal::ValidateDerivations(*this));
  return internal::ValidateHierarchies(*this);
}

absl::Status Schema::CheckTable(const Table& table) const {
  for (const ColumnSchema& c : columns) {
    absl::StatusOr<const Column*> col = table.ColumnByName(c.name);
    if (!col.ok()) {
      return absl::NotFoundError(absl::StrCat("schema column '", c.name,
                                              "' is not in the table (available: ",
                                              absl::StrJoin(table.ColumnNames(), ", "), ")"));
    }
    if ((*col)->type() != c.type) {
      return absl::FailedPreconditionError(
          absl::StrCat("column '", c.name, "' has type ", DataTypeName((*col)->type()),
                       " but the schema declares ", DataTypeName(c.type)));
    }
    if (!c.nullable && (*col)->has_nulls()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "column '", c.name, "' has ", (*col)->null_count(),
          " null values but the schema declares it not nullable"));
    }
  }
  if (!privacy_unit.empty() && !table.HasColumn(privacy_unit)) {
    return absl::NotFoundError(absl::StrCat("privacy unit column '", privacy_unit,
                                            "' is not in the table (available: ",
                                            absl::StrJoin(table.ColumnNames(), ", "), ")"));
  }
  return absl::OkStatus();
}

std::string Schema::ToJson() const {
  Json root = Json::object();
  if (!privacy_unit.empty()) root["privacy_unit"] = privacy_unit;
  if (!null_tokens.empty()) root["null_tokens"] = null_tokens;
  Json cols = Json::array();
  for (const ColumnSchema& c : columns) {
    Json j = Json::object();
    j["name"] = c.name;
    j["type"] = DataTypeName(c.type);
    auto bound = [&](double v) -> Json {
      if (c.type == DataType::kDate && std::floor(v) == v) return FormatDate(static_cast<int64_t>(v));
      if (c.type == DataType::kInt64 && std::floor(v) == v && std::fabs(v) < 9e15) {
        return static_cast<int64_t>(v);
      }
      return v;
    };
    if (c.lower) j["lower"] = bound(*c.lower);
    if (c.upper) j["upper"] = bound(*c.upper);
    if (!c.categories.empty()) j["categories"] = c.categories;
    if (!c.bins.empty()) j["bins"] = c.bins;
    if (!c.nullable) j["nullable"] = false;
    if (!c.pii.empty()) j["pii"] = c.pii;
    if (c.derived) j["derived"] = internal::DerivationToJson(*c.derived);
    cols.push_back(std::move(j));
  }
  root["columns"] = std::move(cols);
  if (!hierarchies.empty()) root["hierarchies"] = internal::HierarchiesToJson(hierarchies);
  return root.dump(2) + "\n";
}

absl::StatusOr<Schema> Schema::FromJson(std::string_view json, std::string_view source) {
  Json root = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return SchemaError(source, "",
                       "not valid JSON; expected {\"columns\": [{\"name\": ..., \"type\": ...}]}");
  }
  if (!root.is_object()) return SchemaError(source, "", "top level must be a JSON object");
  Schema schema;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string& key = it.key();
    const Json& v = it.value();
    if (key == "privacy_unit") {
      if (!v.is_string() && !v.is_null()) {
        return SchemaError(source, "", "'privacy_unit' must be a column name (string)");
      }
      if (v.is_string()) schema.privacy_unit = v.get<std::string>();
    } else if (key == "null_tokens") {
      if (!v.is_array()) return SchemaError(source, "", "'null_tokens' must be an array of strings");
      for (const Json& t : v) {
        if (!t.is_string()) {
          return SchemaError(source, "", absl::StrCat("'null_tokens' entries must be strings, got ",
                                                      t.dump()));
        }
        schema.null_tokens.push_back(t.get<std::string>());
      }
    } else if (key == "columns") {
      if (!v.is_array()) return SchemaError(source, "", "'columns' must be an array of objects");
    } else if (key == "hierarchies") {
      DPKIT_ASSIGN_OR_RETURN(schema.hierarchies, internal::HierarchiesFromJson(v, source));
    } else {
      return SchemaError(source, "",
                         absl::StrCat("unknown key '", key,
                                      "' (allowed: columns, privacy_unit, null_tokens, "
                                      "hierarchies)"));
    }
  }
  if (!root.contains("columns")) {
    return SchemaError(source, "", "missing 'columns' (an array of {\"name\", \"type\"} objects)");
  }
  int index = 0;
  for (const Json& jc : root["columns"]) {
    ++index;
    if (!jc.is_object()) {
      return SchemaError(source, "", absl::StrCat("columns[", index - 1, "] must be an object"));
    }
    ColumnSchema c;
    if (!jc.contains("name") || !jc["name"].is_string()) {
      return SchemaError(source, "",
                         absl::StrCat("columns[", index - 1, "] needs a string 'name'"));
    }
    c.name = jc["name"].get<std::string>();
    const std::string where = Where(c.name);
    if (!jc.contains("type") || !jc["type"].is_string()) {
      return SchemaError(source, where,
                         "needs a 'type' (one of int64, double, string, date, bool)");
    }
    absl::StatusOr<DataType> type = ParseDataType(jc["type"].get<std::string>());
    if (!type.ok()) return SchemaError(source, where, std::string(type.status().message()));
    c.type = *type;
    for (auto it = jc.begin(); it != jc.end(); ++it) {
      const std::string& key = it.key();
      const Json& v = it.value();
      if (key == "name" || key == "type") continue;
      if (key == "lower" || key == "upper") {
        absl::StatusOr<double> b = ParseBound(v, c.type, source, c.name, key.c_str());
        if (!b.ok()) return b.status();
        (key == "lower" ? c.lower : c.upper) = *b;
      } else if (key == "categories") {
        if (!v.is_array()) return SchemaError(source, where, "'categories' must be an array");
        for (const Json& cat : v) {
          if (cat.is_string()) {
            c.categories.push_back(cat.get<std::string>());
          } else if (cat.is_number_integer()) {
            c.categories.push_back(cat.dump());
          } else if (cat.is_boolean()) {
            c.categories.push_back(cat.get<bool>() ? "true" : "false");
          } else {
            return SchemaError(source, where,
                               absl::StrCat("categories must be strings or integers, got ",
                                            cat.dump()));
          }
        }
      } else if (key == "bins") {
        if (!v.is_array()) return SchemaError(source, where, "'bins' must be an array of numbers");
        for (const Json& e : v) {
          absl::StatusOr<double> b = ParseBound(e, c.type, source, c.name, "bins");
          if (!b.ok()) return b.status();
          c.bins.push_back(*b);
        }
      } else if (key == "nullable") {
        if (!v.is_boolean()) return SchemaError(source, where, "'nullable' must be true or false");
        c.nullable = v.get<bool>();
      } else if (key == "pii") {
        if (!v.is_string()) return SchemaError(source, where, "'pii' must be a string");
        c.pii = v.get<std::string>();
      } else if (key == "derived") {
        DPKIT_ASSIGN_OR_RETURN(c.derived, internal::DerivationFromJson(
                                              v, absl::StrCat(std::string(source), ": ", where)));
      } else {
        return SchemaError(
            source, where,
            absl::StrCat("unknown key '", key,
                         "' (allowed: name, type, lower, upper, categories, bins, nullable, "
                         "pii, derived)"));
      }
    }
    schema.columns.push_back(std::move(c));
  }
  absl::Status s = schema.Validate();
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(std::string(source), ": ", s.message()));
  return schema;
}

absl::StatusOr<Schema> LoadSchema(const std::string& path, Env* env) {
  absl::StatusOr<std::string> text = env->ReadFile(path);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) {
      return absl::NotFoundError(
          absl::StrCat("schema file not found: ", path, " (", text.status().message(), ")"));
    }
    return text.status();
  }
  return Schema::FromJson(*text, path);
}

absl::Status SaveSchema(const Schema& schema, const std::string& path, Env* env) {
  DPKIT_RETURN_IF_ERROR(schema.Validate());
  return env->WriteFileAtomically(path, schema.ToJson());
}

Schema InferSchema(const Table& table) {
  Schema schema;
  for (const Column& c : table.columns()) {
    ColumnSchema cs;
    cs.name = c.name();
    cs.type = c.type();
    schema.columns.push_back(std::move(cs));
  }
  return schema;
}

}  // namespace dpkit::io
