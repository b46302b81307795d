#include "dpkit/publish/spec.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "nlohmann/json.hpp"
#include "publish/typed_value.h"

namespace dpkit::publish {
namespace {

using Json = nlohmann::ordered_json;

absl::Status SpecError(std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(where), ": ", std::string(what)));
}

// Unknown keys are errors, so a typo ("levles") is never silently ignored.
absl::Status CheckObject(const Json& j, std::string_view where,
                         const std::vector<std::string>& allowed) {
  if (!j.is_object()) return SpecError(where, absl::StrCat("must be an object, got ", j.dump()));
  for (const auto& [key, value] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return SpecError(where, absl::StrCat("unknown key '", key,
                                           "' (allowed: ", absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

// InvalidArgument naming the first of `keys` that `j` lacks.
absl::Status Require(const Json& j, std::string_view where,
                     std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (!j.contains(key)) return SpecError(where, absl::StrCat("'", key, "' is required"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> GetInteger(const Json& j, std::string_view where) {
  if (!j.is_number_integer()) {
    return SpecError(where, absl::StrCat("must be an integer, got ", j.dump()));
  }
  return j.get<int64_t>();
}

absl::StatusOr<std::string> GetString(const Json& j, std::string_view where) {
  if (!j.is_string()) return SpecError(where, absl::StrCat("must be a string, got ", j.dump()));
  return j.get<std::string>();
}

absl::StatusOr<double> GetNumber(const Json& j, std::string_view where) {
  if (!j.is_number()) return SpecError(where, absl::StrCat("must be a number, got ", j.dump()));
  return j.get<double>();
}

absl::StatusOr<std::vector<std::string>> GetStrings(const Json& j, std::string_view where) {
  if (!j.is_array()) return SpecError(where, absl::StrCat("must be a list, got ", j.dump()));
  std::vector<std::string> out;
  for (const Json& e : j) {
    // Numbers are accepted as their text ("1" and 1 both name category 1).
    if (e.is_number_integer()) {
      out.push_back(e.dump());
      continue;
    }
    DPKIT_ASSIGN_OR_RETURN(std::string s, GetString(e, where));
    out.push_back(std::move(s));
  }
  return out;
}

bool IsFileSafeName(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> ReadCodesFile(const std::string& path, Env* env) {
  DPKIT_ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  std::vector<std::string> codes;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    codes.emplace_back(line);
  }
  return codes;
}

absl::StatusOr<GeographySpec> ParseGeography(const Json& j, const std::string& base_dir, Env* env) {
  DPKIT_RETURN_IF_ERROR(CheckObject(j, "geography", {"column", "codes", "codes_file", "levels"}));
  GeographySpec g;
  DPKIT_RETURN_IF_ERROR(Require(j, "geography", {"column", "levels"}));
  DPKIT_ASSIGN_OR_RETURN(g.column, GetString(j["column"], "geography.column"));
  if (j.contains("codes") == j.contains("codes_file")) {
    return SpecError("geography", "give exactly one of 'codes' (a list) and 'codes_file'");
  }
  if (j.contains("codes")) {
    DPKIT_ASSIGN_OR_RETURN(g.codes, GetStrings(j["codes"], "geography.codes"));
  } else {
    DPKIT_ASSIGN_OR_RETURN(std::string file, GetString(j["codes_file"], "geography.codes_file"));
    if (!file.empty() && file[0] != '/' && !base_dir.empty()) file = base_dir + "/" + file;
    DPKIT_ASSIGN_OR_RETURN(g.codes, ReadCodesFile(file, env));
  }
  if (!j["levels"].is_array()) return SpecError("geography.levels", "must be a list");
  for (const Json& l : j["levels"]) {
    DPKIT_RETURN_IF_ERROR(
        CheckObject(l, "geography.levels[]", {"name", "prefix", "code", "share"}));
    GeographyLevelSpec level;
    DPKIT_RETURN_IF_ERROR(Require(l, "geography.levels[]", {"name", "prefix"}));
    DPKIT_ASSIGN_OR_RETURN(level.name, GetString(l["name"], "geography.levels[].name"));
    DPKIT_ASSIGN_OR_RETURN(const int64_t prefix,
                           GetInteger(l["prefix"], "geography.levels[].prefix"));
    level.prefix = static_cast<int>(std::clamp<int64_t>(prefix, -1, 1 << 20));
    if (l.contains("code")) {
      DPKIT_ASSIGN_OR_RETURN(level.code, GetString(l["code"], "geography.levels[].code"));
    }
    if (l.contains("share")) {
      DPKIT_ASSIGN_OR_RETURN(level.share, GetNumber(l["share"], "geography.levels[].share"));
    }
    g.levels.push_back(std::move(level));
  }
  return g;
}

absl::StatusOr<CategorySpec> ParseCategory(const Json& j, std::string_view where) {
  CategorySpec c;
  if (j.is_string() || j.is_number_integer()) {
    c.label = j.is_string() ? j.get<std::string>() : j.dump();
    c.values = {c.label};
    return c;
  }
  DPKIT_RETURN_IF_ERROR(CheckObject(j, where, {"label", "values"}));
  DPKIT_RETURN_IF_ERROR(Require(j, where, {"label", "values"}));
  DPKIT_ASSIGN_OR_RETURN(c.label, GetString(j["label"], where));
  DPKIT_ASSIGN_OR_RETURN(c.values, GetStrings(j["values"], where));
  return c;
}

std::string BinLabel(double lo, double hi, io::DataType type) {
  if (type == io::DataType::kInt64 && lo == std::floor(lo) && hi == std::floor(hi)) {
    return absl::StrCat(static_cast<int64_t>(lo), "-", static_cast<int64_t>(hi) - 1);
  }
  return absl::StrCat("[", FormatDouble(lo), ",", FormatDouble(hi), ")");
}

absl::StatusOr<VariableSpec> ParseVariable(const Json& j) {
  DPKIT_RETURN_IF_ERROR(CheckObject(
      j, "variables[]", {"name", "column", "type", "categories", "bins", "other_category"}));
  VariableSpec v;
  DPKIT_RETURN_IF_ERROR(Require(j, "variables[]", {"name", "type"}));
  DPKIT_ASSIGN_OR_RETURN(v.name, GetString(j["name"], "variables[].name"));
  const std::string where = absl::StrCat("variable '", v.name, "'");
  v.column = v.name;
  if (j.contains("column")) {
    DPKIT_ASSIGN_OR_RETURN(v.column, GetString(j["column"], where));
  }
  DPKIT_ASSIGN_OR_RETURN(std::string type, GetString(j["type"], where));
  DPKIT_ASSIGN_OR_RETURN(v.type, io::ParseDataType(type));
  if (j.contains("categories") == j.contains("bins")) {
    return SpecError(where, "give exactly one of 'categories' and 'bins'");
  }
  if (j.contains("categories")) {
    if (!j["categories"].is_array()) return SpecError(where, "'categories' must be a list");
    for (const Json& c : j["categories"]) {
      DPKIT_ASSIGN_OR_RETURN(CategorySpec cat, ParseCategory(c, where));
      v.categories.push_back(std::move(cat));
    }
  } else {
    if (!j["bins"].is_array()) return SpecError(where, "'bins' must be a list of numbers");
    std::vector<double> edges;
    for (const Json& e : j["bins"]) {
      DPKIT_ASSIGN_OR_RETURN(double x, GetNumber(e, where));
      edges.push_back(x);
    }
    for (size_t i = 0; i + 1 < edges.size(); ++i) {
      v.categories.push_back(
          {BinLabel(edges[i], edges[i + 1], v.type), {}, edges[i], edges[i + 1]});
    }
    if (edges.size() < 2) return SpecError(where, "'bins' needs at least 2 edges");
  }
  if (j.contains("other_category")) {
    DPKIT_ASSIGN_OR_RETURN(v.other_category, GetString(j["other_category"], where));
  }
  return v;
}

absl::StatusOr<TableSpec> ParseTable(const Json& j) {
  DPKIT_RETURN_IF_ERROR(CheckObject(j, "tables[]", {"name", "variables", "count", "share"}));
  TableSpec t;
  DPKIT_RETURN_IF_ERROR(Require(j, "tables[]", {"name", "variables"}));
  DPKIT_ASSIGN_OR_RETURN(t.name, GetString(j["name"], "tables[].name"));
  const std::string where = absl::StrCat("table '", t.name, "'");
  DPKIT_ASSIGN_OR_RETURN(t.variables, GetStrings(j["variables"], where));
  if (j.contains("count")) {
    DPKIT_ASSIGN_OR_RETURN(std::string count, GetString(j["count"], where));
    if (count == "persons") {
      t.count = CountedEntity::kPersons;
    } else if (count == "units") {
      t.count = CountedEntity::kUnits;
    } else {
      return SpecError(where,
                       absl::StrCat("'count' must be \"persons\" or \"units\", got '", count, "'"));
    }
  }
  if (j.contains("share")) {
    DPKIT_ASSIGN_OR_RETURN(t.share, GetNumber(j["share"], where));
  }
  return t;
}

absl::StatusOr<PrivacyUnitSpec> ParsePrivacyUnit(const Json& j) {
  PrivacyUnitSpec u;
  if (j.is_string()) {
    if (j.get<std::string>() != "person") {
      return SpecError("privacy_unit", absl::StrCat("must be \"person\" or an object "
                                                    "{\"column\", \"max_rows_per_unit\"}, got ",
                                                    j.dump()));
    }
    return u;
  }
  DPKIT_RETURN_IF_ERROR(CheckObject(j, "privacy_unit", {"column", "max_rows_per_unit"}));
  DPKIT_RETURN_IF_ERROR(Require(j, "privacy_unit", {"column", "max_rows_per_unit"}));
  DPKIT_ASSIGN_OR_RETURN(u.column, GetString(j["column"], "privacy_unit.column"));
  DPKIT_ASSIGN_OR_RETURN(u.max_rows_per_unit,
                         GetInteger(j["max_rows_per_unit"], "privacy_unit.max_rows_per_unit"));
  return u;
}

absl::Status ParseBudget(const Json& j, PublicationSpec& spec) {
  DPKIT_RETURN_IF_ERROR(CheckObject(j, "budget", {"rho", "epsilon", "delta", "level_shares"}));
  if (j.contains("rho") == (j.contains("epsilon") || j.contains("delta"))) {
    return SpecError("budget", "give either 'rho' or both 'epsilon' and 'delta'");
  }
  if (j.contains("rho")) {
    DPKIT_ASSIGN_OR_RETURN(double rho, GetNumber(j["rho"], "budget.rho"));
    spec.budget.rho = rho;
  } else {
    if (!j.contains("epsilon") || !j.contains("delta")) {
      return SpecError("budget", "'epsilon' needs 'delta' (and vice versa)");
    }
    DPKIT_ASSIGN_OR_RETURN(spec.budget.epsilon, GetNumber(j["epsilon"], "budget.epsilon"));
    DPKIT_ASSIGN_OR_RETURN(spec.budget.delta, GetNumber(j["delta"], "budget.delta"));
  }
  if (!j.contains("level_shares")) return absl::OkStatus();
  const Json& shares = j["level_shares"];
  if (!shares.is_object()) return SpecError("budget.level_shares", "must be an object");
  for (const auto& [name, value] : shares.items()) {
    auto it = std::find_if(spec.geography.levels.begin(), spec.geography.levels.end(),
                           [&](const GeographyLevelSpec& l) { return l.name == name; });
    if (it == spec.geography.levels.end()) {
      return SpecError("budget.level_shares", absl::StrCat("unknown level '", name, "'"));
    }
    DPKIT_ASSIGN_OR_RETURN(it->share, GetNumber(value, "budget.level_shares"));
  }
  return absl::OkStatus();
}

absl::Status ParseErrorBars(const Json& j, ErrorBarSpec& e) {
  DPKIT_RETURN_IF_ERROR(CheckObject(j, "error_bars", {"level", "replicates"}));
  if (j.contains("level")) {
    DPKIT_ASSIGN_OR_RETURN(e.level, GetNumber(j["level"], "error_bars.level"));
  }
  if (j.contains("replicates")) {
    DPKIT_ASSIGN_OR_RETURN(const int64_t replicates,
                           GetInteger(j["replicates"], "error_bars.replicates"));
    e.replicates = static_cast<int>(std::clamp<int64_t>(replicates, 0, 1 << 30));
  }
  return absl::OkStatus();
}

absl::Status ValidateGeography(const GeographySpec& g) {
  if (g.column.empty()) return SpecError("geography.column", "must not be empty");
  if (g.codes.empty()) return SpecError("geography.codes", "must list at least one code");
  if (g.levels.empty()) return SpecError("geography.levels", "must list at least one level");
  absl::flat_hash_set<std::string> names;
  for (size_t i = 0; i < g.levels.size(); ++i) {
    const GeographyLevelSpec& l = g.levels[i];
    if (!IsFileSafeName(l.name)) {
      return SpecError("geography.levels[].name",
                       absl::StrCat("'", l.name, "' must be letters, digits, '_', '-' or '.'"));
    }
    if (!names.insert(l.name).second) {
      return SpecError("geography.levels", absl::StrCat("duplicate level '", l.name, "'"));
    }
    if (l.prefix < 0 || (i > 0 && l.prefix <= g.levels[i - 1].prefix)) {
      return SpecError(
          absl::StrCat("level '", l.name, "'"),
          absl::StrCat("prefix must be >= 0 and larger than the level above's, got ", l.prefix));
    }
    DPKIT_RETURN_IF_ERROR(
        ValidatePositiveFinite(absl::StrCat("share of level '", l.name, "'"), l.share));
  }
  absl::flat_hash_set<std::string> codes;
  const size_t min_length = g.levels.back().prefix;
  for (const std::string& code : g.codes) {
    if (!codes.insert(code).second) {
      return SpecError("geography.codes", absl::StrCat("duplicate code '", code, "'"));
    }
    if (code.size() < min_length) {
      return SpecError("geography.codes",
                       absl::StrCat("code '", code, "' is shorter than the prefix ", min_length,
                                    " of level '", g.levels.back().name, "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCategory(const VariableSpec& v, const CategorySpec& c,
                              absl::flat_hash_set<std::string>& seen_values) {
  const std::string where = absl::StrCat("variable '", v.name, "', category '", c.label, "'");
  if (c.lower.has_value()) {
    if (v.type == io::DataType::kString) return SpecError(where, "bins need a numeric type");
    if (!(std::isfinite(*c.lower) && std::isfinite(*c.upper) && *c.lower < *c.upper)) {
      return SpecError(where, "bin edges must be finite and strictly increasing");
    }
    return absl::OkStatus();
  }
  if (c.values.empty()) return SpecError(where, "lists no values");
  for (const std::string& value : c.values) {
    std::optional<TypedValue> typed = ParseTypedValue(value, v.type);
    if (!typed.has_value()) {
      return SpecError(
          where, absl::StrCat("value '", value, "' is not a valid ", io::DataTypeName(v.type)));
    }
    if (!seen_values.insert(typed->Key()).second) {
      return SpecError(where, absl::StrCat("value '", value, "' is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateVariable(const VariableSpec& v) {
  const std::string where = absl::StrCat("variable '", v.name, "'");
  if (v.name.empty() || v.column.empty()) return SpecError(where, "name and column must be set");
  if (v.type != io::DataType::kInt64 && v.type != io::DataType::kDouble &&
      v.type != io::DataType::kString) {
    return SpecError(where, absl::StrCat("type must be int64, double or string, got ",
                                         io::DataTypeName(v.type)));
  }
  if (v.categories.empty()) return SpecError(where, "has no categories");
  absl::flat_hash_set<std::string> values;
  for (const CategorySpec& c : v.categories) {
    DPKIT_RETURN_IF_ERROR(ValidateCategory(v, c, values));
  }
  absl::flat_hash_set<std::string> labels;
  for (const std::string& label : v.Labels()) {
    if (label.empty()) return SpecError(where, "a category label is empty");
    if (!labels.insert(label).second) {
      return SpecError(where, absl::StrCat("duplicate category label '", label, "'"));
    }
  }
  return absl::OkStatus();
}

constexpr int64_t kMaxCellsPerTable = int64_t{1} << 20;

absl::Status ValidateTable(const PublicationSpec& spec, const TableSpec& t) {
  const std::string where = absl::StrCat("table '", t.name, "'");
  if (!IsFileSafeName(t.name)) {
    return SpecError(where, "name must be letters, digits, '_', '-' or '.' (it names a file)");
  }
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite(absl::StrCat("share of ", where), t.share));
  absl::flat_hash_set<std::string> seen;
  int64_t cells = 1;
  for (const std::string& name : t.variables) {
    const VariableSpec* v = spec.FindVariable(name);
    if (v == nullptr) return SpecError(where, absl::StrCat("unknown variable '", name, "'"));
    if (!seen.insert(name).second) {
      return SpecError(where, absl::StrCat("variable '", name, "' appears twice"));
    }
    cells *= static_cast<int64_t>(v->Labels().size());
    if (cells > kMaxCellsPerTable) {
      return SpecError(where, absl::StrCat("has more than ", kMaxCellsPerTable, " cells"));
    }
  }
  if (t.count == CountedEntity::kUnits && spec.privacy_unit.column.empty()) {
    return SpecError(where, "\"count\": \"units\" needs a privacy unit column (privacy_unit)");
  }
  return absl::OkStatus();
}

// Every file column is read with one type: geography codes and unit ids as text.
absl::Status ValidateColumnTypes(const PublicationSpec& spec) {
  absl::flat_hash_map<std::string, io::DataType> types = {
      {spec.geography.column, io::DataType::kString}};
  if (!spec.privacy_unit.column.empty()) types[spec.privacy_unit.column] = io::DataType::kString;
  for (const VariableSpec& v : spec.variables) {
    auto [it, inserted] = types.try_emplace(v.column, v.type);
    if (!inserted && it->second != v.type) {
      return SpecError(
          absl::StrCat("variable '", v.name, "'"),
          absl::StrCat("column '", v.column, "' is also read as ", io::DataTypeName(it->second),
                       " (geography codes and unit ids "
                       "are strings); give every use of a column one type"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBudget(const BudgetSpec& b) {
  if (b.rho.has_value()) return ValidatePositiveFinite("budget.rho", *b.rho);
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("budget.epsilon", b.epsilon));
  return ValidateOpenUnitInterval("budget.delta", b.delta);
}

absl::Status ValidateErrorBars(const ErrorBarSpec& e) {
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("error_bars.level", e.level));
  // The interval is an order statistic of the replicates: it needs ceil(level (R+1)) <= R.
  if (e.replicates < 10 || e.replicates > 100000 ||
      std::ceil(e.level * (e.replicates + 1)) > e.replicates) {
    return SpecError("error_bars.replicates",
                     absl::StrCat("must be in [10, 100000] and large enough for level ",
                                  FormatDouble(e.level), ", got ", e.replicates));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> VariableSpec::Labels() const {
  std::vector<std::string> labels;
  for (const CategorySpec& c : categories) labels.push_back(c.label);
  if (other_category.has_value()) labels.push_back(*other_category);
  return labels;
}

const char* CountedEntityName(CountedEntity entity) {
  return entity == CountedEntity::kPersons ? "persons" : "units";
}

const VariableSpec* PublicationSpec::FindVariable(std::string_view name) const {
  for (const VariableSpec& v : variables) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

absl::Status PublicationSpec::Validate() const {
  DPKIT_RETURN_IF_ERROR(ValidateGeography(geography));
  if (privacy_unit.column.empty() && privacy_unit.max_rows_per_unit != 1) {
    return SpecError("privacy_unit", "a person is one row: max_rows_per_unit must be 1");
  }
  DPKIT_RETURN_IF_ERROR(
      ValidateAtLeast("privacy_unit.max_rows_per_unit", privacy_unit.max_rows_per_unit, 1));
  absl::flat_hash_set<std::string> names;
  for (const VariableSpec& v : variables) {
    DPKIT_RETURN_IF_ERROR(ValidateVariable(v));
    if (!names.insert(v.name).second) {
      return SpecError("variables", absl::StrCat("duplicate variable '", v.name, "'"));
    }
  }
  DPKIT_RETURN_IF_ERROR(ValidateColumnTypes(*this));
  if (tables.empty()) return SpecError("tables", "must list at least one table");
  names.clear();
  for (const TableSpec& t : tables) {
    DPKIT_RETURN_IF_ERROR(ValidateTable(*this, t));
    if (!names.insert(t.name).second) {
      return SpecError("tables", absl::StrCat("duplicate table '", t.name, "'"));
    }
  }
  DPKIT_RETURN_IF_ERROR(ValidateBudget(budget));
  return ValidateErrorBars(error_bars);
}

absl::StatusOr<PublicationSpec> PublicationSpec::FromJson(std::string_view json,
                                                          std::string_view source,
                                                          const std::string& base_dir, Env* env) {
  Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return SpecError(source, "not valid JSON");
  auto parse = [&]() -> absl::StatusOr<PublicationSpec> {
    DPKIT_RETURN_IF_ERROR(
        CheckObject(j, "spec",
                    {"title", "dataset", "null_tokens", "privacy_unit", "geography", "variables",
                     "tables", "budget", "error_bars"}));
    PublicationSpec spec;
    if (j.contains("title")) {
      DPKIT_ASSIGN_OR_RETURN(spec.title, GetString(j["title"], "title"));
    }
    if (j.contains("dataset")) {
      DPKIT_ASSIGN_OR_RETURN(spec.dataset, GetString(j["dataset"], "dataset"));
    }
    if (j.contains("null_tokens")) {
      DPKIT_ASSIGN_OR_RETURN(spec.null_tokens, GetStrings(j["null_tokens"], "null_tokens"));
    }
    DPKIT_RETURN_IF_ERROR(
        Require(j, "spec", {"privacy_unit", "geography", "variables", "tables", "budget"}));
    DPKIT_ASSIGN_OR_RETURN(spec.privacy_unit, ParsePrivacyUnit(j["privacy_unit"]));
    DPKIT_ASSIGN_OR_RETURN(spec.geography, ParseGeography(j["geography"], base_dir, env));
    if (!j["variables"].is_array()) return SpecError("variables", "must be a list");
    for (const Json& v : j["variables"]) {
      DPKIT_ASSIGN_OR_RETURN(VariableSpec var, ParseVariable(v));
      spec.variables.push_back(std::move(var));
    }
    if (!j["tables"].is_array()) return SpecError("tables", "must be a list");
    for (const Json& t : j["tables"]) {
      DPKIT_ASSIGN_OR_RETURN(TableSpec table, ParseTable(t));
      spec.tables.push_back(std::move(table));
    }
    DPKIT_RETURN_IF_ERROR(ParseBudget(j["budget"], spec));
    if (j.contains("error_bars")) {
      DPKIT_RETURN_IF_ERROR(ParseErrorBars(j["error_bars"], spec.error_bars));
    }
    DPKIT_RETURN_IF_ERROR(spec.Validate());
    return spec;
  };
  absl::StatusOr<PublicationSpec> spec = parse();
  if (!spec.ok() && spec.status().code() == absl::StatusCode::kInvalidArgument) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(source), ": ", spec.status().message()));
  }
  return spec;
}

absl::StatusOr<PublicationSpec> LoadSpec(const std::string& path, Env* env) {
  DPKIT_ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  const size_t slash = path.find_last_of('/');
  const std::string base_dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return PublicationSpec::FromJson(text, path, base_dir, env);
}

}  // namespace dpkit::publish
