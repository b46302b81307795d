// Public hierarchies (io::Hierarchy, schema key "hierarchies") for synthesis: the columns of a
// hierarchy, e.g. zip -> city -> state from a gazetteer, are modelled as one column whose
// categories are the combinations the hierarchy lists, so that the synthetic rows only hold
// combinations that exist (a city in its state, a ZIP3 in its city) and the mechanism spends
// no budget on combinations that cannot occur.
//
// A combination is the levels' values, finest first, joined by the byte 0x1F. With "unlisted":
// "coarser" (the default) a row whose combination is not listed is kept at the finest coarser
// level that is listed: ("021**", "Quincy", "MA") with ("Quincy", "MA") not the suffix of any
// entry but ("MA") one becomes ("other", "other", "MA"); with nothing listed, all "other". With
// "unlisted": "null" the list is the complete domain and such a row is NULL in every level (as
// a value outside declared categories, synth/plan.h).
//
// PRIVACY. Everything here is a function of the public schema and of one row at a time: the
// categories come from the schema, never from the data, and a row's combined value depends on
// that row only, so neighbouring tables (one row or one unit added or removed) stay neighbours
// and the synthesizer's guarantee (synthesizer.h) is unchanged. Splitting a synthetic table is
// post-processing.
#ifndef DPKIT_SYNTH_HIERARCHY_H_
#define DPKIT_SYNTH_HIERARCHY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"

namespace dpkit::synth {

// The combined column's name: the hierarchy's columns joined by '+' ("zip+city+state").
std::string HierarchyColumnName(const io::Hierarchy& h);

// The combined column's categories (see the file comment): the listed combinations in order,
// then with "coarser" each coarser-level combination (a proper suffix of an entry, finer levels
// "other"; finer levels first, then entry order) and the all-"other" combination, each once.
std::vector<std::string> HierarchyCategories(const io::Hierarchy& h);

// `schema` with each hierarchy's columns replaced, at the place of its first column, by one
// string column (HierarchyColumnName, declared categories HierarchyCategories, nullable when any
// of its columns is) and no hierarchies. InvalidArgument if a combined name is already a column.
absl::StatusOr<io::Schema> CombinedSchema(const io::Schema& schema);

// `names` (a header) with each hierarchy's columns replaced by its combined column at the place
// of the first of them. InvalidArgument naming the column when a hierarchy's columns are not
// all in `names`.
absl::StatusOr<std::vector<std::string>> CombinedColumnNames(const io::Schema& schema,
                                                             const std::vector<std::string>& names);

// Row by row, each hierarchy's columns of `table` become its combined column (placed as in
// CombinedColumnNames; the other columns are kept). A row whose levels are all NULL is NULL.
absl::StatusOr<io::Table> CombineHierarchies(const io::Schema& schema, const io::Table& table);

// The inverse, for a synthetic table: each combined column becomes the hierarchy's columns
// (finest first, at its place); NULL becomes NULL in every level.
absl::StatusOr<io::Table> SplitHierarchies(const io::Schema& schema, const io::Table& table);

}  // namespace dpkit::synth

#endif  // DPKIT_SYNTH_HIERARCHY_H_
