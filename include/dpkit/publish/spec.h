// The publication spec: the PUBLIC description of a set of census/survey tables to release.
//
// Everything a release plan needs comes from here, never from the data (../shared/DESIGN.md,
// "Public and private inputs"): the geography hierarchy and its codes, the variables and their
// categories, the tables, the privacy unit, the total budget and its split. A spec is a JSON
// file (keys are checked strictly, so a typo is an error, not a silently ignored option):
//
//   {
//     "title": "ACS 2019 excerpt",                      // optional, shown in outputs
//     "dataset": "acs2019",                             // the ledger's budget name (optional
//                                                       // here; then --dataset is required)
//     "null_tokens": ["", "N"],                         // cell texts read as null (default [""])
//     "privacy_unit": "person",                         // or {"column": "household_id",
//                                                       //     "max_rows_per_unit": 8}
//     "geography": {
//       "column": "PUMA",
//       "codes": ["01-01301", "06-07502"],              // or "codes_file": "pumas.txt" (one code
//                                                       // a line, '#' comments; relative to the
//                                                       // spec file)
//       "levels": [{"name": "nation", "prefix": 0, "code": "US"},
//                  {"name": "state",  "prefix": 2},
//                  {"name": "puma",   "prefix": 8}]
//     },
//     "variables": [
//       {"name": "SEX",  "type": "int64", "categories": ["1", "2"]},
//       {"name": "AGE",  "column": "AGEP", "type": "int64", "bins": [0, 18, 65, 100]},
//       {"name": "HISP", "type": "int64",
//        "categories": [{"label": "no", "values": ["0"]}, {"label": "yes", "values": ["1", "2"]}],
//        "other_category": "unknown"}
//     ],
//     "tables": [
//       {"name": "sex_by_age", "variables": ["SEX", "AGE"], "share": 2},
//       {"name": "hispanic",   "variables": ["HISP"]},
//       {"name": "households", "variables": [], "count": "units"}
//     ],
//     "budget": {"rho": 1.0, "level_shares": {"nation": 1, "state": 1, "puma": 2}},
//                                                       // or {"epsilon": 1, "delta": 1e-6, ...}
//     "error_bars": {"level": 0.9, "replicates": 200}
//   }
//
// GEOGRAPHY. The unit of a row at level L is the first `prefix` characters of its geography code
// (prefix 0: one unit for everything, named by the level's "code", default the level name).
// Prefixes strictly increase down the hierarchy, so every unit has one parent (the 2020 Census
// GEOIDs nest this way: state 2, county 5, tract 11, block 15 characters). Only the listed codes
// exist: a unit with no people is still published, and a row whose code is not listed is outside
// the published universe.
//
// VARIABLES. A cell is parsed under the variable's type (int64, double or string); a cell that
// does not parse is null (no error). "categories" are listed values (as text; "01" and "1" are the
// same int64) or labelled groups of values; "bins" are numeric edges e0 < ... < ek giving the
// categories [e_i, e_{i+1}). A null, unparseable or unlisted value falls into "other_category"
// when one is named, otherwise its row is outside the published universe (for every table).
//
// TABLES are cross-tabulations of variables (none: the total) at every geography level. "count"
// is "persons" (rows, the default) or "units" (privacy units, e.g. households: each counted once,
// by its first retained row). "share" weights a table's part of each level's budget.
//
// PRIVACY UNIT. "person": neighbouring data sets differ in one row. {"column",
// "max_rows_per_unit"}: they differ in all rows of one unit (e.g. a household); at most
// max_rows_per_unit rows per unit are used (the rest dropped uniformly at random), which is the L2
// sensitivity of a person table at one level. Rows with a null unit id are not used.
//
// BUDGET. rho (zCDP) or (epsilon, delta) (converted to the largest rho that implies it). Level
// and table shares are relative weights (default equal): measurement (level L, table T) gets
// rho * share(L) / sum(level shares) * share(T) / sum(table shares).
#ifndef DPKIT_PUBLISH_SPEC_H_
#define DPKIT_PUBLISH_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/io/table.h"

namespace dpkit::publish {

struct GeographyLevelSpec {
  std::string name;
  int prefix = 0;    // characters of the geography code that name a unit at this level
  std::string code;  // name of the single unit when prefix == 0 ("" = `name`)
  double share = 1;  // relative budget weight of this level
};

struct GeographySpec {
  std::string column;
  std::vector<std::string> codes;  // the public universe of geography codes
  std::vector<GeographyLevelSpec> levels;
};

// One published category of a variable: listed values, or a numeric range [lower, upper).
struct CategorySpec {
  std::string label;
  std::vector<std::string> values;
  std::optional<double> lower;
  std::optional<double> upper;
};

struct VariableSpec {
  std::string name;                           // used by tables and in column headers
  std::string column;                         // CSV column
  io::DataType type = io::DataType::kString;  // kInt64, kDouble or kString
  std::vector<CategorySpec> categories;
  std::optional<std::string> other_category;  // label of the catch-all category, if any

  // Labels in published order (categories, then other_category).
  std::vector<std::string> Labels() const;
};

enum class CountedEntity { kPersons, kUnits };
const char* CountedEntityName(CountedEntity entity);  // "persons", "units"

struct TableSpec {
  std::string name;                    // also the output file name (<name>.csv)
  std::vector<std::string> variables;  // variable names; empty = the total
  CountedEntity count = CountedEntity::kPersons;
  double share = 1;
};

struct PrivacyUnitSpec {
  std::string column;             // "" = each row is a person and its own unit
  int64_t max_rows_per_unit = 1;  // public bound on rows used per unit
};

struct BudgetSpec {
  std::optional<double> rho;
  double epsilon = 0;  // used when rho is not set
  double delta = 0;
};

struct ErrorBarSpec {
  double level = 0.9;    // coverage of each cell's interval
  int replicates = 200;  // simulated re-runs of the post-processing
};

struct PublicationSpec {
  std::string title;
  std::string dataset;  // default ledger dataset name ("" = must be given to Publish)
  std::vector<std::string> null_tokens = {""};
  PrivacyUnitSpec privacy_unit;
  GeographySpec geography;
  std::vector<VariableSpec> variables;
  std::vector<TableSpec> tables;
  BudgetSpec budget;
  ErrorBarSpec error_bars;

  // nullptr if absent.
  const VariableSpec* FindVariable(std::string_view name) const;

  // Every check that needs no data: names unique and file-safe, codes unique and long enough,
  // prefixes increasing, categories non-empty and distinct, values parse under their type, bins
  // increasing, tables name known variables, shares and budget positive, "units" tables only
  // with a unit column. InvalidArgument naming the key and the bad value.
  absl::Status Validate() const;

  // Parses and validates a spec; `source` prefixes messages, `base_dir` resolves codes_file.
  static absl::StatusOr<PublicationSpec> FromJson(std::string_view json, std::string_view source,
                                                  const std::string& base_dir,
                                                  Env* env = Env::Default());
};

// Reads and parses a spec file (NotFound if missing).
absl::StatusOr<PublicationSpec> LoadSpec(const std::string& path, Env* env = Env::Default());

}  // namespace dpkit::publish

#endif  // DPKIT_PUBLISH_SPEC_H_
