#include "io/hierarchy_json.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dpkit::io::internal {
namespace {

using Json = nlohmann::ordered_json;

absl::Status Error(std::string_view source, size_t h, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(source), ": hierarchies[", h, "]: ", std::string(what)));
}

absl::StatusOr<std::vector<std::string>> Strings(const Json& v, std::string_view source, size_t h,
                                                 const char* key) {
  if (!v.is_array()) return Error(source, h, absl::StrCat("'", key, "' must be an array of strings"));
  std::vector<std::string> out;
  for (const Json& s : v) {
    if (!s.is_string()) {
      return Error(source, h, absl::StrCat("'", key, "' entries must be strings, got ", s.dump()));
    }
    out.push_back(s.get<std::string>());
  }
  return out;
}

std::string Name(size_t h, const Hierarchy& hi) {
  return absl::StrCat("hierarchy ", h, " (", absl::StrJoin(hi.columns, " -> "), ")");
}

// Columns: >= 2, string columns of the schema, not the unit, not already in a hierarchy.
absl::Status CheckColumns(const Schema& schema, size_t h, absl::flat_hash_set<std::string>* used) {
  const Hierarchy& hi = schema.hierarchies[h];
  if (hi.columns.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(Name(h, hi), ": needs at least 2 columns"));
  }
  for (const std::string& c : hi.columns) {
    const ColumnSchema* cs = schema.Find(c);
    if (cs == nullptr || cs->type != DataType::kString || c == schema.privacy_unit) {
      return absl::InvalidArgumentError(absl::StrCat(
          Name(h, hi), ": '", c, "' must be a string column of the schema (not the privacy unit)"));
    }
    if (!used->insert(c).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(Name(h, hi), ": column '", c, "' is in more than one hierarchy"));
    }
  }
  return absl::OkStatus();
}

// Entries: >= 1, of the hierarchy's width, distinct, within declared categories, no 0x1F.
absl::Status CheckValues(const Schema& schema, size_t h) {
  const Hierarchy& hi = schema.hierarchies[h];
  if (hi.values.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(Name(h, hi), ": 'values' is empty"));
  }
  absl::flat_hash_set<std::vector<std::string>> seen;
  for (const std::vector<std::string>& v : hi.values) {
    const std::string entry = absl::StrCat("[", absl::StrJoin(v, ", "), "]");
    if (v.size() != hi.columns.size()) {
      return absl::InvalidArgumentError(absl::StrCat(Name(h, hi), ": entry ", entry, " has ",
                                                     v.size(), " values, expected ",
                                                     hi.columns.size()));
    }
    if (!seen.insert(v).second) {
      return absl::InvalidArgumentError(absl::StrCat(Name(h, hi), ": duplicate entry ", entry));
    }
    for (size_t i = 0; i < v.size(); ++i) {
      const std::vector<std::string>& cats = schema.Find(hi.columns[i])->categories;
      const bool declared = cats.empty() || std::find(cats.begin(), cats.end(), v[i]) != cats.end();
      if (!declared || v[i].find(kHierarchySeparator) != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            Name(h, hi), ": value '", v[i], "' of entry ", entry,
            declared ? " holds the byte 0x1F" : " is not among the column's declared categories"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Hierarchy>> HierarchiesFromJson(const Json& v, std::string_view source) {
  if (!v.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(source), ": 'hierarchies' must be an array of {\"columns\", \"values\"}"));
  }
  std::vector<Hierarchy> out;
  for (size_t h = 0; h < v.size(); ++h) {
    const Json& jh = v[h];
    if (!jh.is_object()) return Error(source, h, "must be an object");
    Hierarchy hi;
    for (auto it = jh.begin(); it != jh.end(); ++it) {
      if (it.key() == "columns") {
        auto cols = Strings(it.value(), source, h, "columns");
        if (!cols.ok()) return cols.status();
        hi.columns = *std::move(cols);
      } else if (it.key() == "values") {
        if (!it.value().is_array()) return Error(source, h, "'values' must be an array of arrays");
        for (const Json& e : it.value()) {
          auto entry = Strings(e, source, h, "values");
          if (!entry.ok()) return entry.status();
          hi.values.push_back(*std::move(entry));
        }
      } else if (it.key() == "unlisted") {
        const Json& u = it.value();
        if (!u.is_string() || (u != "coarser" && u != "null")) {
          return Error(source, h, "'unlisted' must be \"coarser\" or \"null\"");
        }
        hi.unlisted_null = u == "null";
      } else {
        return Error(source, h, absl::StrCat("unknown key '", it.key(),
                                             "' (allowed: columns, values, unlisted)"));
      }
    }
    out.push_back(std::move(hi));
  }
  return out;
}

Json HierarchiesToJson(const std::vector<Hierarchy>& hierarchies) {
  Json out = Json::array();
  for (const Hierarchy& h : hierarchies) {
    Json j = Json::object();
    j["columns"] = h.columns;
    j["values"] = h.values;
    j["unlisted"] = h.unlisted_null ? "null" : "coarser";
    out.push_back(std::move(j));
  }
  return out;
}

absl::Status ValidateHierarchies(const Schema& schema) {
  absl::flat_hash_set<std::string> used;
  for (size_t h = 0; h < schema.hierarchies.size(); ++h) {
    absl::Status s = CheckColumns(schema, h, &used);
    if (s.ok()) s = CheckValues(schema, h);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace dpkit::io::internal
