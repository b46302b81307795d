// Derived columns (io::Derivation, column key "derived") for synthesis: a column the data owner
// declares as computed from date columns, e.g. an age from the date of birth at a fixed date,
// is not modelled; it is computed from the synthetic dates after sampling, so that it agrees
// with them in every synthetic row (a model of the two columns separately loses most of that
// agreement: the generated customers' age and date of birth correlate -1.00 in the input and
// -0.88 in AIM's output at epsilon 1).
//
// PRIVACY. The rule is public (the schema); the computation reads the synthetic table only,
// never the real column, so it is post-processing of the synthesizer's output and costs no
// budget. A real column that does not follow the rule is not detected (that would read it).
#ifndef DPKIT_SYNTH_DERIVED_COLUMNS_H_
#define DPKIT_SYNTH_DERIVED_COLUMNS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"

namespace dpkit::synth {

// The schema's derived columns, in schema order.
std::vector<io::ColumnSchema> DerivedColumns(const io::Schema& schema);

// `column` (which has `derived`) computed row by row from the date columns of `table`: whole
// units from "from" to "to" (io::WholeUnitsBetween), NULL when an operand is NULL, clamped to
// the column's declared bounds. InvalidArgument naming the column when an operand column is
// not in `table` or is not a date column.
absl::StatusOr<io::Column> DeriveColumn(const io::ColumnSchema& column, const io::Table& table);

// OK when every date column `column` (which has `derived`) is computed from is among
// `modelled`; else InvalidArgument "column 'age' is derived from 'dob', which is not in the data
// or not synthesised" (checked at planning, before any charge).
absl::Status CheckDatesModelled(const io::ColumnSchema& column,
                                const std::vector<std::string>& modelled);

// One line for a plan or report: "'age' = whole years from 'date_of_birth' to 2025-06-30
// (public rule in the schema; computed from the synthetic rows, no budget)".
std::string DescribeDerivation(const io::ColumnSchema& column);

}  // namespace dpkit::synth

#endif  // DPKIT_SYNTH_DERIVED_COLUMNS_H_
