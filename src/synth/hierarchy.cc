#include "dpkit/synth/hierarchy.h"

#include <algorithm>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "dpkit/base/status.h"

namespace dpkit::synth {
namespace {

constexpr char kOther[] = "other";

// Levels [from, end) of `values`, the `from` finer levels written "other".
std::string Coarsened(const std::vector<std::string>& values, size_t from) {
  std::vector<std::string> v(from, kOther);
  v.insert(v.end(), values.begin() + static_cast<std::ptrdiff_t>(from), values.end());
  return absl::StrJoin(v, io::kHierarchySeparator);
}

// The hierarchy's columns in `table`, in hierarchy order.
absl::StatusOr<std::vector<const io::Column*>> Levels(const io::Hierarchy& h,
                                                      const io::Table& table) {
  std::vector<const io::Column*> levels;
  for (const std::string& c : h.columns) {
    DPKIT_ASSIGN_OR_RETURN(const io::Column* col, table.ColumnByName(c));
    if (col->type() != io::DataType::kString) {
      return absl::InvalidArgumentError(absl::StrCat("hierarchy column '", c, "' is not text"));
    }
    levels.push_back(col);
  }
  return levels;
}

// One row's code in `codes` (the combined categories' index): listed, else the finest listed
// coarser level (only "coarser" hierarchies list those), else -1 (NULL).
int32_t RowCode(const io::Hierarchy& h, const std::vector<const io::Column*>& levels, int64_t r,
                const absl::flat_hash_map<std::string, int32_t>& codes) {
  std::vector<std::string> v(levels.size());
  size_t null_from = levels.size();  // levels at or after the last NULL cannot match
  for (size_t i = 0; i < levels.size(); ++i) {
    if (levels[i]->IsNull(r)) {
      null_from = i;
    } else {
      v[i] = levels[i]->StringAt(r);
    }
  }
  const bool all_null = std::all_of(levels.begin(), levels.end(),
                                    [&](const io::Column* c) { return c->IsNull(r); });
  if (all_null) return -1;
  const size_t first = null_from == levels.size() ? 0 : null_from + 1;
  for (size_t from = first; from <= levels.size(); ++from) {
    if (from > 0 && h.unlisted_null) break;
    auto it = codes.find(Coarsened(v, from));
    if (it != codes.end()) return it->second;
  }
  return -1;
}

absl::StatusOr<io::Column> Combine(const io::Hierarchy& h, const io::Table& table) {
  DPKIT_ASSIGN_OR_RETURN(std::vector<const io::Column*> levels, Levels(h, table));
  const std::vector<std::string> categories = HierarchyCategories(h);
  absl::flat_hash_map<std::string, int32_t> codes;
  for (size_t i = 0; i < categories.size(); ++i) codes[categories[i]] = static_cast<int32_t>(i);
  std::vector<int32_t> out(static_cast<size_t>(table.num_rows()), 0);
  std::vector<uint8_t> valid(out.size(), 1);
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    const int32_t code = RowCode(h, levels, r, codes);
    if (code < 0) {
      valid[r] = 0;
    } else {
      out[r] = code;
    }
  }
  return io::Column::StringFromCodes(HierarchyColumnName(h), std::move(out), categories,
                                     std::move(valid));
}

// The combined column `col` as the hierarchy's columns, finest first.
absl::StatusOr<std::vector<io::Column>> Split(const io::Hierarchy& h, const io::Column& col) {
  const size_t k = h.columns.size();
  std::vector<std::vector<std::string>> dicts(k);
  std::vector<std::vector<int32_t>> remap(k);  // combined code -> level code
  std::vector<absl::flat_hash_map<std::string, int32_t>> index(k);
  for (const std::string& d : col.dictionary()) {
    std::vector<std::string> parts = absl::StrSplit(d, io::kHierarchySeparator);
    if (parts.size() != k) {
      return absl::InvalidArgumentError(absl::StrCat("column '", col.name(), "': value is not a ",
                                                     k, "-level combination"));
    }
    for (size_t i = 0; i < k; ++i) {
      auto [it, added] = index[i].try_emplace(parts[i], static_cast<int32_t>(dicts[i].size()));
      if (added) dicts[i].push_back(parts[i]);
      remap[i].push_back(it->second);
    }
  }
  std::vector<io::Column> out;
  for (size_t i = 0; i < k; ++i) {
    std::vector<int32_t> codes(static_cast<size_t>(col.size()), 0);
    for (int64_t r = 0; r < col.size(); ++r) {
      if (!col.IsNull(r)) codes[r] = remap[i][col.codes()[r]];
    }
    DPKIT_ASSIGN_OR_RETURN(io::Column c, io::Column::StringFromCodes(h.columns[i], std::move(codes),
                                                                     dicts[i], col.validity()));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

std::string HierarchyColumnName(const io::Hierarchy& h) { return absl::StrJoin(h.columns, "+"); }

std::vector<std::string> HierarchyCategories(const io::Hierarchy& h) {
  std::vector<std::string> out;
  absl::flat_hash_set<std::string> seen;
  auto add = [&](std::string s) {
    if (seen.insert(s).second) out.push_back(std::move(s));
  };
  for (const auto& v : h.values) add(absl::StrJoin(v, io::kHierarchySeparator));
  if (h.unlisted_null) return out;
  for (size_t from = 1; from <= h.columns.size(); ++from) {
    for (const auto& v : h.values) add(Coarsened(v, from));
  }
  return out;
}

absl::StatusOr<io::Schema> CombinedSchema(const io::Schema& schema) {
  io::Schema out = schema;
  out.hierarchies.clear();
  for (const io::Hierarchy& h : schema.hierarchies) {
    io::ColumnSchema combined{.name = HierarchyColumnName(h), .type = io::DataType::kString,
                              .categories = HierarchyCategories(h), .nullable = false};
    if (schema.Find(combined.name) != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "hierarchy column name '", combined.name, "' is already a column of the schema"));
    }
    for (const std::string& c : h.columns) {
      if (const io::ColumnSchema* cs = schema.Find(c)) combined.nullable |= cs->nullable;
    }
    auto first = std::find_if(out.columns.begin(), out.columns.end(),
                              [&](const io::ColumnSchema& c) { return c.name == h.columns[0]; });
    *first = std::move(combined);
    std::erase_if(out.columns, [&](const io::ColumnSchema& c) {
      return std::find(h.columns.begin() + 1, h.columns.end(), c.name) != h.columns.end();
    });
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> CombinedColumnNames(
    const io::Schema& schema, const std::vector<std::string>& names) {
  std::vector<std::string> out = names;
  for (const io::Hierarchy& h : schema.hierarchies) {
    for (const std::string& c : h.columns) {
      if (std::find(out.begin(), out.end(), c) == out.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "hierarchy column '", c, "' is not among the synthesised columns (",
            absl::StrJoin(names, ", "), ")"));
      }
    }
    auto first = std::find_first_of(out.begin(), out.end(), h.columns.begin(), h.columns.end());
    *first = HierarchyColumnName(h);
    std::erase_if(out, [&](const std::string& n) {
      return std::find(h.columns.begin(), h.columns.end(), n) != h.columns.end();
    });
  }
  return out;
}

absl::StatusOr<io::Table> CombineHierarchies(const io::Schema& schema, const io::Table& table) {
  DPKIT_ASSIGN_OR_RETURN(std::vector<std::string> names,
                         CombinedColumnNames(schema, table.ColumnNames()));
  std::vector<io::Column> cols;
  for (const std::string& n : names) {
    auto h = std::find_if(schema.hierarchies.begin(), schema.hierarchies.end(),
                          [&](const io::Hierarchy& x) { return HierarchyColumnName(x) == n; });
    if (h == schema.hierarchies.end()) {
      cols.push_back(*table.ColumnByName(n).value());
      continue;
    }
    DPKIT_ASSIGN_OR_RETURN(io::Column c, Combine(*h, table));
    cols.push_back(std::move(c));
  }
  return io::Table::Make(std::move(cols));
}

absl::StatusOr<io::Table> SplitHierarchies(const io::Schema& schema, const io::Table& table) {
  std::vector<io::Column> cols;
  for (const io::Column& col : table.columns()) {
    auto h = std::find_if(schema.hierarchies.begin(), schema.hierarchies.end(),
                          [&](const io::Hierarchy& x) { return HierarchyColumnName(x) == col.name(); });
    if (h == schema.hierarchies.end()) {
      cols.push_back(col);
      continue;
    }
    DPKIT_ASSIGN_OR_RETURN(std::vector<io::Column> levels, Split(*h, col));
    for (io::Column& c : levels) cols.push_back(std::move(c));
  }
  return io::Table::Make(std::move(cols));
}

}  // namespace dpkit::synth
