// Typed, column-oriented in-memory tables: what io reads from CSV and what every data module
// (pii, analytics, synth, train, report) consumes.
//
// A Table is a list of equally long Columns with unique names. Each Column has one DataType and
// stores its values in a typed vector plus an optional validity mask:
//   kInt64   int64_values()                      (value 0 in null slots)
//   kDouble  double_values()                     (NaN in null slots; NaN never appears in a
//                                                 valid slot unless the reader was told to allow
//                                                 non-finite values)
//   kString  codes() + dictionary()              (dictionary-encoded; code -1 in null slots)
//   kDate    int64_values() = days since 1970-01-01 (proleptic Gregorian; 0 in null slots)
//   kBool    int64_values() = 0 / 1              (0 in null slots)
// Always test IsNull(row) (or has_nulls()) before using a value: the placeholder in a null slot
// is never a real value.
//
// Dictionaries: codes index dictionary(); entries are unique. Readers fill the dictionary with
// any declared categories first (in declared order), then other values in order of first
// appearance, so the result does not depend on the number of reader threads.
//
// Thread safety: const methods are safe to call concurrently; Tables are cheap to move and
// deep-copied on copy.
#ifndef DPKIT_IO_TABLE_H_
#define DPKIT_IO_TABLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dpkit::io {

enum class DataType { kInt64, kDouble, kString, kDate, kBool };

// "int64", "double", "string", "date", "bool".
const char* DataTypeName(DataType type);
// Parses the names above (also accepts "int", "integer", "float", "float64", "str",
// "categorical", "boolean"); InvalidArgument naming the bad value otherwise.
absl::StatusOr<DataType> ParseDataType(std::string_view name);

// Dates: days since 1970-01-01 <-> "YYYY-MM-DD" (proleptic Gregorian calendar; the conversion
// is H. Hinnant's days_from_civil / civil_from_days algorithm). ParseDate is strict: exactly
// four-digit year, two-digit month and day, a valid day of that month.
bool ParseDate(std::string_view text, int64_t* days);
std::string FormatDate(int64_t days);

class Column {
 public:
  Column() = default;

  // Factories. `valid` is either empty (no nulls) or has one entry per value (1 = present,
  // 0 = null). Placeholders in null slots are normalised (0 / NaN / -1).
  static Column Int64(std::string name, std::vector<int64_t> values,
                      std::vector<uint8_t> valid = {});
  static Column Double(std::string name, std::vector<double> values,
                       std::vector<uint8_t> valid = {});
  static Column Date(std::string name, std::vector<int64_t> days, std::vector<uint8_t> valid = {});
  static Column Bool(std::string name, std::vector<int64_t> values01,
                     std::vector<uint8_t> valid = {});
  // Dictionary-encoded strings: every valid code must be in [0, dictionary.size()) and the
  // dictionary entries unique (checked).
  static absl::StatusOr<Column> StringFromCodes(std::string name, std::vector<int32_t> codes,
                                                std::vector<std::string> dictionary,
                                                std::vector<uint8_t> valid = {});
  // Builds the dictionary (first-appearance order) from plain values.
  static Column String(std::string name, const std::vector<std::string>& values,
                       std::vector<uint8_t> valid = {});

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  DataType type() const { return type_; }
  int64_t size() const;

  bool has_nulls() const { return !valid_.empty(); }
  bool IsNull(int64_t row) const { return !valid_.empty() && valid_[row] == 0; }
  int64_t null_count() const;
  // Empty when the column has no nulls, else one byte per row (1 = present).
  const std::vector<uint8_t>& validity() const { return valid_; }

  // kInt64, kDate, kBool.
  const std::vector<int64_t>& int64_values() const { return ints_; }
  // kDouble.
  const std::vector<double>& double_values() const { return doubles_; }
  // kString.
  const std::vector<int32_t>& codes() const { return codes_; }
  const std::vector<std::string>& dictionary() const { return dictionary_; }
  // kString: the value of a non-null row.
  const std::string& StringAt(int64_t row) const { return dictionary_[codes_[row]]; }

  // Numeric view of a non-null row for kInt64, kDouble, kDate (days) and kBool (0/1);
  // NaN for kString or a null row.
  double NumericAt(int64_t row) const;
  // The value as CSV text without quoting: integers in decimal, doubles in shortest
  // round-trip form, dates as YYYY-MM-DD, bools as true/false; "" for null.
  std::string FormatValue(int64_t row) const;

  // A new column with rows[i] of this one (rows must be in range; checked in debug builds).
  Column Take(const std::vector<int64_t>& rows) const;
  // Rows [offset, offset + length), clipped to the column.
  Column Slice(int64_t offset, int64_t length) const;

 private:
  std::string name_;
  DataType type_ = DataType::kInt64;
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<int32_t> codes_;
  std::vector<std::string> dictionary_;
  std::vector<uint8_t> valid_;
};

class Table {
 public:
  Table() = default;
  // Fails (InvalidArgument) if the columns differ in length or two share a name.
  static absl::StatusOr<Table> Make(std::vector<Column> columns);

  int64_t num_rows() const { return num_rows_; }
  int num_columns() const { return static_cast<int>(columns_.size()); }
  const std::vector<Column>& columns() const { return columns_; }
  const Column& column(int i) const { return columns_[i]; }
  std::vector<std::string> ColumnNames() const;

  // NotFound: "unknown column 'x' (available: a, b, c)".
  absl::StatusOr<int> ColumnIndex(std::string_view name) const;
  absl::StatusOr<const Column*> ColumnByName(std::string_view name) const;
  bool HasColumn(std::string_view name) const;

  // Appends a column (same length, new name) or replaces the column with the same name.
  absl::Status AddColumn(Column column);
  absl::Status ReplaceColumn(Column column);
  // A table with only the named columns, in the given order (NotFound for unknown names).
  absl::StatusOr<Table> SelectColumns(const std::vector<std::string>& names) const;
  // Row selection (train/test splits, partitions): rows must be in [0, num_rows).
  absl::StatusOr<Table> TakeRows(const std::vector<int64_t>& rows) const;
  // Rows [offset, offset + length), clipped to the table.
  Table SliceRows(int64_t offset, int64_t length) const;

 private:
  std::vector<Column> columns_;
  int64_t num_rows_ = 0;
};

}  // namespace dpkit::io

#endif  // DPKIT_IO_TABLE_H_
