#include "dpkit/io/table.h"

#include <charconv>
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/io/civil_date.h"
#include "io/number_format.h"

namespace dpkit::io {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

template <typename T>
std::vector<T> TakeVec(const std::vector<T>& v, const std::vector<int64_t>& rows) {
  std::vector<T> out;
  if (v.empty()) return out;
  out.reserve(rows.size());
  for (int64_t r : rows) out.push_back(v[r]);
  return out;
}

template <typename T>
std::vector<T> SliceVec(const std::vector<T>& v, int64_t offset, int64_t length) {
  if (v.empty()) return {};
  return std::vector<T>(v.begin() + offset, v.begin() + offset + length);
}

// Drops an all-valid mask.
void NormaliseValidity(std::vector<uint8_t>* valid) {
  for (uint8_t v : *valid) {
    if (v == 0) return;
  }
  valid->clear();
}

}  // namespace

const char* DataTypeName(DataType type) {
  switch (type) {
    case DataType::kInt64:
      return "int64";
    case DataType::kDouble:
      return "double";
    case DataType::kString:
      return "string";
    case DataType::kDate:
      return "date";
    case DataType::kBool:
      return "bool";
  }
  return "unknown";
}

absl::StatusOr<DataType> ParseDataType(std::string_view name) {
  const std::string n = ToLower(name);
  if (n == "int64" || n == "int" || n == "integer") return DataType::kInt64;
  if (n == "double" || n == "float" || n == "float64") return DataType::kDouble;
  if (n == "string" || n == "str" || n == "categorical") return DataType::kString;
  if (n == "date") return DataType::kDate;
  if (n == "bool" || n == "boolean") return DataType::kBool;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown type '", std::string(name),
                   "'; use one of int64, double, string, date, bool"));
}

bool ParseDate(std::string_view t, int64_t* days) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  auto digits = [&](int from, int n, int* out) {
    int v = 0;
    for (int i = from; i < from + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, m, d;
  if (!digits(0, 4, &y) || !digits(5, 2, &m) || !digits(8, 2, &d)) return false;
  static constexpr int kDaysIn[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  int max_day = kDaysIn[m - 1] + ((m == 2 && IsLeapYear(y)) ? 1 : 0);
  if (d > max_day) return false;
  *days = DaysFromCivil(y, m, d);
  return true;
}

std::string FormatDate(int64_t days) {
  const CivilDate c = CivilFromDays(days);
  char buf[32];
  if (c.year >= 0 && c.year <= 9999) {
    std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02d", static_cast<long long>(c.year), c.month,
                  c.day);
  } else {
    std::snprintf(buf, sizeof(buf), "%lld-%02d-%02d", static_cast<long long>(c.year), c.month,
                  c.day);
  }
  return buf;
}

Column Column::Int64(std::string name, std::vector<int64_t> values, std::vector<uint8_t> valid) {
  Column c;
  c.name_ = std::move(name);
  c.type_ = DataType::kInt64;
  c.ints_ = std::move(values);
  c.valid_ = std::move(valid);
  NormaliseValidity(&c.valid_);
  for (size_t i = 0; i < c.valid_.size(); ++i) {
    if (!c.valid_[i]) c.ints_[i] = 0;
  }
  return c;
}

Column Column::Double(std::string name, std::vector<double> values, std::vector<uint8_t> valid) {
  Column c;
  c.name_ = std::move(name);
  c.type_ = DataType::kDouble;
  c.doubles_ = std::move(values);
  c.valid_ = std::move(valid);
  NormaliseValidity(&c.valid_);
  for (size_t i = 0; i < c.valid_.size(); ++i) {
    if (!c.valid_[i]) c.doubles_[i] = kNaN;
  }
  return c;
}

Column Column::Date(std::string name, std::vector<int64_t> days, std::vector<uint8_t> valid) {
  Column c = Int64(std::move(name), std::move(days), std::move(valid));
  c.type_ = DataType::kDate;
  return c;
}

Column Column::Bool(std::string name, std::vector<int64_t> values01, std::vector<uint8_t> valid) {
  Column c = Int64(std::move(name), std::move(values01), std::move(valid));
  c.type_ = DataType::kBool;
  for (int64_t& v : c.ints_) v = v != 0 ? 1 : 0;
  return c;
}

absl::StatusOr<Column> Column::StringFromCodes(std::string name, std::vector<int32_t> codes,
                                               std::vector<std::string> dictionary,
                                               std::vector<uint8_t> valid) {
  if (!valid.empty() && valid.size() != codes.size()) {
    return absl::InvalidArgumentError(absl::StrCat("column '", name, "': validity mask has ",
                                                   valid.size(), " entries for ", codes.size(),
                                                   " codes"));
  }
  absl::flat_hash_set<std::string_view> seen;
  for (const std::string& d : dictionary) {
    if (!seen.insert(d).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("column '", name, "': duplicate dictionary entry '", d, "'"));
    }
  }
  const int64_t dict_size = static_cast<int64_t>(dictionary.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    if (!valid.empty() && !valid[i]) {
      codes[i] = -1;
      continue;
    }
    if (codes[i] < 0 || codes[i] >= dict_size) {
      return absl::InvalidArgumentError(absl::StrCat("column '", name, "', row ", i, ": code ",
                                                     codes[i], " outside dictionary of size ",
                                                     dict_size));
    }
  }
  Column c;
  c.name_ = std::move(name);
  c.type_ = DataType::kString;
  c.codes_ = std::move(codes);
  c.dictionary_ = std::move(dictionary);
  c.valid_ = std::move(valid);
  NormaliseValidity(&c.valid_);
  return c;
}

Column Column::String(std::string name, const std::vector<std::string>& values,
                      std::vector<uint8_t> valid) {
  Column c;
  c.name_ = std::move(name);
  c.type_ = DataType::kString;
  absl::flat_hash_map<std::string_view, int32_t> index;
  c.codes_.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!valid.empty() && !valid[i]) {
      c.codes_[i] = -1;
      continue;
    }
    auto [it, inserted] =
        index.try_emplace(values[i], static_cast<int32_t>(c.dictionary_.size()));
    if (inserted) c.dictionary_.push_back(values[i]);
    c.codes_[i] = it->second;
  }
  c.valid_ = std::move(valid);
  NormaliseValidity(&c.valid_);
  return c;
}

int64_t Column::size() const {
  switch (type_) {
    case DataType::kDouble:
      return static_cast<int64_t>(doubles_.size());
    case DataType::kString:
      return static_cast<int64_t>(codes_.size());
    default:
      return static_cast<int64_t>(ints_.size());
  }
}

int64_t Column::null_count() const {
  int64_t n = 0;
  for (uint8_t v : valid_) n += v == 0;
  return n;
}

double Column::NumericAt(int64_t row) const {
  if (IsNull(row)) return kNaN;
  switch (type_) {
    case DataType::kDouble:
      return doubles_[row];
    case DataType::kString:
      return kNaN;
    default:
      return static_cast<double>(ints_[row]);
  }
}

std::string Column::FormatValue(int64_t row) const {
  if (IsNull(row)) return "";
  switch (type_) {
    case DataType::kInt64:
      return std::to_string(ints_[row]);
    case DataType::kDouble: {
      const double v = doubles_[row];
      if (std::isnan(v)) return "nan";
      if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
      char buf[64];
      return std::string(buf, internal::FormatFiniteDouble(buf, buf + sizeof(buf), v));
    }
    case DataType::kString:
      return dictionary_[codes_[row]];
    case DataType::kDate:
      return FormatDate(ints_[row]);
    case DataType::kBool:
      return ints_[row] ? "true" : "false";
  }
  return "";
}

Column Column::Take(const std::vector<int64_t>& rows) const {
  Column c;
  c.name_ = name_;
  c.type_ = type_;
  c.ints_ = TakeVec(ints_, rows);
  c.doubles_ = TakeVec(doubles_, rows);
  c.codes_ = TakeVec(codes_, rows);
  c.dictionary_ = dictionary_;
  c.valid_ = TakeVec(valid_, rows);
  NormaliseValidity(&c.valid_);
  return c;
}

Column Column::Slice(int64_t offset, int64_t length) const {
  const int64_t n = size();
  offset = std::clamp<int64_t>(offset, 0, n);
  length = std::clamp<int64_t>(length, 0, n - offset);
  Column c;
  c.name_ = name_;
  c.type_ = type_;
  c.ints_ = SliceVec(ints_, offset, length);
  c.doubles_ = SliceVec(doubles_, offset, length);
  c.codes_ = SliceVec(codes_, offset, length);
  c.dictionary_ = dictionary_;
  c.valid_ = SliceVec(valid_, offset, length);
  NormaliseValidity(&c.valid_);
  return c;
}

absl::StatusOr<Table> Table::Make(std::vector<Column> columns) {
  Table t;
  for (Column& c : columns) {
    absl::Status s = t.AddColumn(std::move(c));
    if (!s.ok()) return s;
  }
  return t;
}

std::vector<std::string> Table::ColumnNames() const {
  std::vector<std::string> names;
  names.reserve(columns_.size());
  for (const Column& c : columns_) names.push_back(c.name());
  return names;
}

absl::StatusOr<int> Table::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].name() == name) return static_cast<int>(i);
  }
  return absl::NotFoundError(absl::StrCat("unknown column '", std::string(name),
                                          "' (available: ", absl::StrJoin(ColumnNames(), ", "),
                                          ")"));
}

absl::StatusOr<const Column*> Table::ColumnByName(std::string_view name) const {
  absl::StatusOr<int> i = ColumnIndex(name);
  if (!i.ok()) return i.status();
  return &columns_[*i];
}

bool Table::HasColumn(std::string_view name) const {
  for (const Column& c : columns_) {
    if (c.name() == name) return true;
  }
  return false;
}

absl::Status Table::AddColumn(Column column) {
  if (column.name().empty()) return absl::InvalidArgumentError("column name must not be empty");
  if (HasColumn(column.name())) {
    return absl::InvalidArgumentError(
        absl::StrCat("duplicate column name '", column.name(), "'"));
  }
  if (!columns_.empty() && column.size() != num_rows_) {
    return absl::InvalidArgumentError(absl::StrCat("column '", column.name(), "' has ",
                                                   column.size(), " rows, table has ", num_rows_));
  }
  num_rows_ = column.size();
  columns_.push_back(std::move(column));
  return absl::OkStatus();
}

absl::Status Table::ReplaceColumn(Column column) {
  absl::StatusOr<int> i = ColumnIndex(column.name());
  if (!i.ok()) return i.status();
  if (column.size() != num_rows_) {
    return absl::InvalidArgumentError(absl::StrCat("column '", column.name(), "' has ",
                                                   column.size(), " rows, table has ", num_rows_));
  }
  columns_[*i] = std::move(column);
  return absl::OkStatus();
}

absl::StatusOr<Table> Table::SelectColumns(const std::vector<std::string>& names) const {
  Table t;
  for (const std::string& n : names) {
    absl::StatusOr<int> i = ColumnIndex(n);
    if (!i.ok()) return i.status();
    absl::Status s = t.AddColumn(columns_[*i]);
    if (!s.ok()) return s;
  }
  if (names.empty()) t.num_rows_ = 0;
  return t;
}

absl::StatusOr<Table> Table::TakeRows(const std::vector<int64_t>& rows) const {
  for (int64_t r : rows) {
    if (r < 0 || r >= num_rows_) {
      return absl::OutOfRangeError(
          absl::StrCat("row ", r, " out of range for a table of ", num_rows_, " rows"));
    }
  }
  Table t;
  t.num_rows_ = static_cast<int64_t>(rows.size());
  t.columns_.reserve(columns_.size());
  for (const Column& c : columns_) t.columns_.push_back(c.Take(rows));
  return t;
}

Table Table::SliceRows(int64_t offset, int64_t length) const {
  Table t;
  offset = std::clamp<int64_t>(offset, 0, num_rows_);
  length = std::clamp<int64_t>(length, 0, num_rows_ - offset);
  t.num_rows_ = length;
  for (const Column& c : columns_) t.columns_.push_back(c.Slice(offset, length));
  return t;
}

}  // namespace dpkit::io
