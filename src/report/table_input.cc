#include "dpkit/report/table_input.h"

#include <algorithm>
#include <map>

#include "dpkit/pii/detectors.h"
#include "dpkit/pii/entity.h"

namespace dpkit::report {

TextTable FromIoTable(const io::Table& table, std::string source) {
  TextTable t;
  t.source = std::move(source);
  t.names = table.ColumnNames();
  t.columns.resize(table.num_columns());
  for (int c = 0; c < table.num_columns(); ++c) {
    const io::Column& col = table.column(c);
    auto& out = t.columns[c];
    out.resize(table.num_rows());
    for (int64_t r = 0; r < table.num_rows(); ++r) {
      if (col.IsNull(r)) continue;
      out[r] = col.type() == io::DataType::kString ? col.StringAt(r) : col.FormatValue(r);
    }
  }
  return t;
}

std::vector<IdentifierColumn> DetectIdentifierColumns(const io::Table& table, double min_share,
                                                      int sample) {
  using pii::EntityType;
  std::vector<IdentifierColumn> out;
  for (int c = 0; c < table.num_columns(); ++c) {
    const io::Column& col = table.column(c);
    if (col.type() != io::DataType::kString || table.num_rows() == 0) continue;
    std::vector<int64_t> rows;
    for (int64_t r = 0; r < table.num_rows(); ++r) {
      if (!col.IsNull(r)) rows.push_back(r);
    }
    if (rows.empty()) continue;
    const size_t n = std::min<size_t>(rows.size(), std::max(1, sample));
    std::map<EntityType, int> votes;
    for (size_t i = 0; i < n; ++i) {
      const int64_t r = rows[i * rows.size() / n];
      const pii::CellMatch m = pii::ClassifyCell(col.StringAt(r), col.name());
      ++votes[m.type];
    }
    for (const auto& [type, count] : votes) {
      const bool direct = type == EntityType::kEmail || type == EntityType::kPhone ||
                          type == EntityType::kCreditCard || type == EntityType::kUsSsn ||
                          type == EntityType::kIban || type == EntityType::kIpAddress ||
                          type == EntityType::kStreetAddress || type == EntityType::kPerson;
      if (direct && count >= min_share * n) {
        out.push_back({col.name(), pii::EntityTypeName(type), static_cast<double>(count) / n});
        break;
      }
    }
  }
  return out;
}

}  // namespace dpkit::report
