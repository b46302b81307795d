#include "dpkit/synth/derived_columns.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"

namespace dpkit::synth {
namespace {

// An operand's date column in `table`, or nullptr for a fixed date.
absl::StatusOr<const io::Column*> OperandColumn(const io::ColumnSchema& c,
                                                const io::DateOperand& d,
                                                const io::Table& table) {
  if (d.column.empty()) return nullptr;
  absl::StatusOr<const io::Column*> col = table.ColumnByName(d.column);
  if (!col.ok() || (*col)->type() != io::DataType::kDate) {
    return absl::InvalidArgumentError(absl::StrCat("derived column '", c.name, "' needs the date column '",
                                                   d.column, "' among the synthesised columns"));
  }
  return *col;
}

const char* UnitName(io::TimeUnit u) {
  switch (u) {
    case io::TimeUnit::kYears: return "years";
    case io::TimeUnit::kMonths: return "months";
    case io::TimeUnit::kDays: return "days";
  }
  return "?";
}

std::string OperandText(const io::DateOperand& d) {
  return d.column.empty() ? io::FormatDate(d.day) : absl::StrCat("'", d.column, "'");
}

}  // namespace

std::vector<io::ColumnSchema> DerivedColumns(const io::Schema& schema) {
  std::vector<io::ColumnSchema> out;
  for (const io::ColumnSchema& c : schema.columns) {
    if (c.derived.has_value()) out.push_back(c);
  }
  return out;
}

absl::StatusOr<io::Column> DeriveColumn(const io::ColumnSchema& column, const io::Table& table) {
  const io::Derivation& d = *column.derived;
  DPKIT_ASSIGN_OR_RETURN(const io::Column* from, OperandColumn(column, d.from, table));
  DPKIT_ASSIGN_OR_RETURN(const io::Column* to, OperandColumn(column, d.to, table));
  const double lo = column.lower.value_or(-std::numeric_limits<double>::infinity());
  const double hi = column.upper.value_or(std::numeric_limits<double>::infinity());
  const int64_t n = table.num_rows();
  std::vector<int64_t> values(static_cast<size_t>(n), 0);
  std::vector<uint8_t> valid(static_cast<size_t>(n), 1);
  for (int64_t r = 0; r < n; ++r) {
    if ((from != nullptr && from->IsNull(r)) || (to != nullptr && to->IsNull(r))) {
      valid[r] = 0;
      continue;
    }
    const int64_t f = from != nullptr ? from->int64_values()[r] : d.from.day;
    const int64_t t = to != nullptr ? to->int64_values()[r] : d.to.day;
    const double v = static_cast<double>(io::WholeUnitsBetween(d.unit, f, t));
    values[r] = static_cast<int64_t>(std::min(std::max(v, std::ceil(lo)), std::floor(hi)));
  }
  return io::Column::Int64(column.name, std::move(values), std::move(valid));
}

absl::Status CheckDatesModelled(const io::ColumnSchema& column,
                                const std::vector<std::string>& modelled) {
  for (const io::DateOperand* op : {&column.derived->from, &column.derived->to}) {
    if (op->column.empty() ||
        std::find(modelled.begin(), modelled.end(), op->column) != modelled.end()) {
      continue;
    }
    return absl::InvalidArgumentError(absl::StrCat("column '", column.name, "' is derived from '",
                                                   op->column,
                                                   "', which is not in the data or not synthesised"));
  }
  return absl::OkStatus();
}

std::string DescribeDerivation(const io::ColumnSchema& column) {
  const io::Derivation& d = *column.derived;
  return absl::StrCat("'", column.name, "' = whole ", UnitName(d.unit), " from ",
                      OperandText(d.from), " to ", OperandText(d.to),
                      " (public rule in the schema; computed from the synthetic rows, no budget)");
}

}  // namespace dpkit::synth
