// The exact tables of a publication, counted from the private data file.
//
// Step 3 of the release protocol: CountTables runs only after the ledger charge, and its result
// is private (it is measured with noise, never shown). The file is read with io's private_data
// rules: only the columns the spec names, each with its declared type (geography and unit ids
// as text); a cell that does not parse under its type is null; errors name the file, the column
// and the kind of problem, never a cell or a line. Then:
//   1. universe: rows whose geography code is listed and whose every table variable has a
//      category (see category_matcher.h) — the same rows for every table;
//   2. bounding (with a unit column): io::BoundRowsPerUnit keeps at most max_rows_per_unit
//      rows of each unit, a uniformly random subset; rows with a null unit id are dropped;
//   3. counting: every kept row in one cell of each person table, each unit once (its first
//      kept row) in each unit table, at every level.
#ifndef DPKIT_SRC_PUBLISH_DATA_TABLES_H_
#define DPKIT_SRC_PUBLISH_DATA_TABLES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/publish/estimate.h"
#include "dpkit/publish/plan.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::publish {

// The file columns the plan reads (geography, unit, variables), without duplicates.
std::vector<std::string> RequiredColumns(const PublicationSpec& spec);

// Before the charge: reads only the header line (no person's record) and checks that every
// required column is there (NotFound naming the first missing one).
absl::Status CheckDataHeader(const PublicationSpec& spec, const std::string& path,
                             Env* env = Env::Default());

// After the charge: the exact, bounded counts of every table at every level.
absl::StatusOr<TableSet> CountTables(const PublicationPlan& plan, const std::string& path,
                                     random::BitGenerator& gen, Env* env = Env::Default());

}  // namespace dpkit::publish

#endif  // DPKIT_SRC_PUBLISH_DATA_TABLES_H_
