// Schemas: the public, data-independent description of a table that DP computations rely on.
//
// A schema file is a small JSON document written by the data owner:
//
//   {
//     "privacy_unit": "pid",                 // optional: the column identifying a person
//     "null_tokens": ["", "NA"],             // optional: cell texts read as null
//     "columns": [
//       {"name": "pid",    "type": "int64"},
//       {"name": "age",    "type": "int64",  "lower": 0, "upper": 100},
//       {"name": "income", "type": "double", "lower": 0, "upper": 500000, "nullable": true,
//        "bins": [0, 10000, 50000, 100000, 500000]},
//       {"name": "sex",    "type": "string", "categories": ["F", "M"]},
//       {"name": "visit",  "type": "date",   "lower": "2020-01-01", "upper": "2020-12-31"}
//     ]
//   }
//
// Keys are checked strictly (an unknown key such as "lowr" is an error, so typos are not
// silently ignored). Types: int64, double, string, date, bool (see table.h). Bounds are numbers
// (or "YYYY-MM-DD" strings for dates, stored as days since 1970-01-01). "categories" is the
// public key set of a categorical column (as text, e.g. "1" for an int64 column); "bins" are
// strictly increasing finite edges e0 < e1 < ... < ek defining k bins [e_i, e_{i+1}).
// "nullable" (default true) set to false makes a null in that column a data error.
//
// PRIVACY: bounds, categories and bins must come from public knowledge, never from the
// sensitive data itself: a minimum or maximum read off the data can reveal one person's value.
// InferSchema therefore infers only names, types and nullability, never bounds or categories.
// (Private discovery of bounds/categories is a DP computation that belongs in analytics/synth
// and is charged to the budget.)
//
// Neighbouring relation: with a privacy_unit column, neighbouring data sets differ in all rows
// of one unit; without one, in one row.
#ifndef DPKIT_IO_SCHEMA_H_
#define DPKIT_IO_SCHEMA_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/io/civil_date.h"
#include "dpkit/io/table.h"

namespace dpkit::io {

// A column computed from date columns by a public rule (column key "derived"), e.g.
//   {"name": "age", "type": "int64", "lower": 18, "upper": 90,
//    "derived": {"whole": "years", "from": "date_of_birth", "to": "2025-06-30"}}
// "whole" is "years", "months" or "days" (counted as io::WholeUnitsBetween counts them); "from"
// and "to" are each a date column of the schema or a "YYYY-MM-DD" date, at least one of them a
// column. The rule is the data owner's public knowledge of how the column was made, never
// inferred from the data. A synthesizer does not model a derived column: it computes it from the
// synthetic dates after sampling (NULL when a date is NULL, clamped to the column's bounds), so it
// costs no budget, agrees with its dates in every synthetic row, and the real column's values are
// never read.
struct DateOperand {
  std::string column;  // a date column, or empty for the fixed date `day`
  int64_t day = 0;     // days since 1970-01-01
};
struct Derivation {
  TimeUnit unit = TimeUnit::kYears;
  DateOperand from, to;
};

struct ColumnSchema {
  std::string name;
  DataType type = DataType::kString;
  std::optional<double> lower;  // inclusive public bounds (dates: days since 1970-01-01)
  std::optional<double> upper;
  std::vector<std::string> categories;  // public key set; empty = not declared
  std::vector<double> bins;             // bin edges; empty = not declared
  bool nullable = true;
  // Public role of a column holding personal data (schema key "pii"): an entity type name of
  // dpkit/pii/entity.h (e.g. "email", "phone", "person", "credit_card", "street_address") marks a
  // direct identifier that releases never model (the pipeline fills it with fresh fake values),
  // "free_text" marks text that is not synthesised, "none" a column that is not personal data
  // whatever its name, "" (default) a column whose role the header name decides.
  std::string pii;
  std::optional<Derivation> derived;  // schema key "derived": computed, not modelled (above)

  bool has_bounds() const { return lower.has_value() && upper.has_value(); }
  // InvalidArgument naming the column and the bad value: lower > upper, non-finite bounds,
  // duplicate categories, unsorted/non-finite bins, fewer than 2 edges, bounds or bins on a
  // string column.
  absl::Status Validate() const;
};

// A public hierarchy of text columns (schema key "hierarchies"), e.g. a gazetteer:
//   {"columns": ["zip", "city", "state"],            // finest level first
//    "values": [["021**", "Boston", "MA"], ...],     // the value combinations that exist
//    "unlisted": "coarser"}                          // or "null"; default "coarser"
// Each entry of `values` is one combination of the columns' values, finest level first; a
// suffix of an entry (e.g. ["Boston", "MA"], ["MA"]) is a value at a coarser level. Public
// knowledge (a USPS or census list), never read off the data. A synthesizer models the
// columns as one column whose categories are the combinations (synth/hierarchy.h): a row whose
// combination is not listed is kept at the finest coarser level that is listed, its finer
// levels written "other" ("coarser"), or is NULL in all of them ("null": the list is complete).
// The byte that joins a hierarchy's level values into one combined value (synth/hierarchy.h);
// hierarchy values must not contain it.
inline constexpr char kHierarchySeparator[] = "\x1f";

struct Hierarchy {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> values;
  bool unlisted_null = false;  // "unlisted": "null"
};

struct Schema {
  std::vector<ColumnSchema> columns;
  std::vector<Hierarchy> hierarchies;      // empty = none declared
  std::string privacy_unit;                 // empty = each row is its own unit
  std::vector<std::string> null_tokens;     // empty = use the reader's default ({""})

  // nullptr if absent.
  const ColumnSchema* Find(std::string_view name) const;
  // NotFound "unknown column 'x' in schema (available: a, b)".
  absl::StatusOr<const ColumnSchema*> Get(std::string_view name) const;
  std::vector<std::string> ColumnNames() const;

  // Every column valid, names unique, privacy_unit (if set) names a column; every derived column
  // is an int64 column (not the unit; no categories or bins; "pii" empty or "none") whose
  // operands are date columns of the schema that are not derived, at least one operand a
  // column; every hierarchy
  // has >= 2 columns that are distinct string columns of the schema (not the unit, in at most
  // one hierarchy), >= 1 entry, entries of the right width, no duplicate entries, values
  // within the columns' declared categories (if any) and free of the byte 0x1F.
  absl::Status Validate() const;
  // Checks that `table` has every schema column with the declared type, and that
  // privacy_unit exists. Does not check values against bounds (bounds are for clamping).
  absl::Status CheckTable(const Table& table) const;

  // JSON as described above (pretty-printed, columns in order).
  std::string ToJson() const;
  // Parses and validates. `source` (a file name) prefixes error messages.
  static absl::StatusOr<Schema> FromJson(std::string_view json,
                                         std::string_view source = "schema");
};

// Reads and validates a schema file (NotFound if missing, InvalidArgument if malformed, with the
// path and the offending key in the message).
absl::StatusOr<Schema> LoadSchema(const std::string& path, Env* env = Env::Default());
// Writes atomically through `env`.
absl::Status SaveSchema(const Schema& schema, const std::string& path, Env* env = Env::Default());

// Names and types from data (every column nullable). Never bounds, categories or bins (see
// PRIVACY above); the result is a starting point the data owner completes by hand.
Schema InferSchema(const Table& table);

}  // namespace dpkit::io

#endif  // DPKIT_IO_SCHEMA_H_
