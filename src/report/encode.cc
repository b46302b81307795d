#include "report/encode.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/io/table.h"
#include "dpkit/random/samplers.h"

namespace dpkit::report::internal {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

absl::Status CheckShape(const TextTable& t, const char* role) {
  if (t.names.size() != t.columns.size()) {
    return absl::InternalError(absl::StrCat(role, " table ", t.source, ": ", t.names.size(),
                                            " names but ", t.columns.size(), " columns"));
  }
  for (size_t c = 0; c < t.columns.size(); ++c) {
    if (t.columns[c].size() != t.num_rows()) {
      return DataError(absl::StrCat(role, " table ", t.source, ": column '", t.names[c], "' has ",
                                    t.columns[c].size(), " rows, expected ", t.num_rows()));
    }
  }
  return absl::OkStatus();
}

// Maps every real column to its index in `t`; errors name missing and extra columns.
absl::StatusOr<std::vector<int>> Align(const TextTable& real, const TextTable& t,
                                       const char* role) {
  absl::flat_hash_map<std::string, int> index;
  for (size_t c = 0; c < t.names.size(); ++c) index[t.names[c]] = static_cast<int>(c);
  std::vector<int> out;
  std::vector<std::string> missing;
  for (const auto& name : real.names) {
    auto it = index.find(name);
    if (it == index.end()) {
      missing.push_back(name);
    } else {
      out.push_back(it->second);
    }
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(role, " table ", t.source, " lacks column '", missing[0], "' of the real table",
                     missing.size() > 1 ? absl::StrCat(" (and ", missing.size() - 1, " more)") : "",
                     "; both tables must have the same columns"));
  }
  if (t.names.size() != real.names.size()) {
    for (const auto& name : t.names) {
      if (!Contains(real.names, name)) {
        return absl::FailedPreconditionError(absl::StrCat(
            role, " table ", t.source, " has column '", name,
            "' that the real table lacks; both tables must have the same columns"));
      }
    }
    return absl::FailedPreconditionError(
        absl::StrCat(role, " table ", t.source, " has duplicate column names"));
  }
  return out;
}

bool IsInteger(double v) { return std::floor(v) == v && std::abs(v) < 9e15; }

// Every non-empty cell is a date YYYY-MM-DD, and at least one is present.
bool AllDates(const std::vector<std::string>& cells) {
  bool any = false;
  int64_t days;
  for (const auto& cell : cells) {
    if (cell.empty()) continue;
    if (!io::ParseDate(cell, &days)) return false;
    any = true;
  }
  return any;
}

}  // namespace

bool ParseNumber(const std::string& text, double* out) {
  size_t b = 0, e = text.size();
  while (b < e && (text[b] == ' ' || text[b] == '\t')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t' || text[e - 1] == '\r')) --e;
  if (b == e) return false;
  const char* first = text.data() + b;
  if (*first == '+') ++first;
  double v;
  auto [ptr, ec] = std::from_chars(first, text.data() + e, v);
  if (ec != std::errc() || ptr != text.data() + e || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool ParseValue(const std::string& text, bool is_date, double* out) {
  if (!is_date) return ParseNumber(text, out);
  int64_t days;
  if (!io::ParseDate(text, &days)) return false;
  *out = static_cast<double>(days);
  return true;
}

std::vector<size_t> SampleIndices(size_t n, size_t k, random::BitGenerator& rng) {
  std::vector<size_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = i;
  k = std::min(k, n);
  for (size_t i = 0; i < k; ++i) {
    const size_t j = i + random::UniformUint64(rng, n - i);
    std::swap(idx[i], idx[j]);
  }
  idx.resize(k);
  return idx;
}

absl::StatusOr<Encoded> Encode(const TextTable& real, const TextTable& synthetic,
                               const TextTable* holdout, const EvaluationOptions& options) {
  DPKIT_RETURN_IF_ERROR(CheckShape(real, "real"));
  DPKIT_RETURN_IF_ERROR(CheckShape(synthetic, "synthetic"));
  if (holdout != nullptr) DPKIT_RETURN_IF_ERROR(CheckShape(*holdout, "holdout"));
  if (real.names.empty() || real.num_rows() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("real table ", real.source, " has no rows; nothing to compare against"));
  }
  if (synthetic.num_rows() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("synthetic table ", synthetic.source, " has no rows"));
  }
  {
    absl::flat_hash_set<std::string> seen;
    for (const auto& n : real.names) {
      if (!seen.insert(n).second) {
        return DataError(absl::StrCat("real table ", real.source, " has duplicate column '", n,
                                      "'; rename one of them"));
      }
    }
  }
  for (const auto* list : {&options.categorical, &options.numeric, &options.identifier_columns}) {
    for (const auto& name : *list) {
      if (!Contains(real.names, name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown column '", name, "': the real table ", real.source,
                         " has no such column"));
      }
    }
  }

  Encoded enc;
  enc.has_holdout = holdout != nullptr;
  DPKIT_ASSIGN_OR_RETURN(enc.synthetic.column_of, Align(real, synthetic, "synthetic"));
  if (holdout) {
    DPKIT_ASSIGN_OR_RETURN(enc.holdout.column_of, Align(real, *holdout, "holdout"));
  }
  const size_t ncol = real.names.size();
  enc.real.column_of.resize(ncol);
  for (size_t c = 0; c < ncol; ++c) enc.real.column_of[c] = static_cast<int>(c);

  struct Source {
    const TextTable* table;
    Part* part;
    const char* role;
  };
  std::vector<Source> sources = {{&real, &enc.real, "real"},
                                 {&synthetic, &enc.synthetic, "synthetic"}};
  if (holdout) sources.push_back({holdout, &enc.holdout, "holdout"});
  for (auto& s : sources) {
    s.part->rows = s.table->num_rows();
    s.part->code.resize(ncol);
    s.part->num.resize(ncol);
  }

  enc.cols.resize(ncol);
  for (size_t c = 0; c < ncol; ++c) {
    EncodedColumn& col = enc.cols[c];
    col.name = real.names[c];
    const auto& cells = real.columns[c];
    // Kind inference on the real column.
    bool numeric = true;
    bool all_integer = true;
    size_t present = 0;
    absl::flat_hash_set<double> distinct;
    for (const auto& cell : cells) {
      if (cell.empty()) continue;
      double v;
      if (!ParseNumber(cell, &v)) {
        numeric = false;
        break;
      }
      ++present;
      all_integer = all_integer && IsInteger(v);
      if (distinct.size() <= static_cast<size_t>(options.max_integer_levels_as_categorical)) {
        distinct.insert(v);
      }
    }
    if (present == 0) numeric = false;
    if (numeric && all_integer &&
        distinct.size() <= static_cast<size_t>(options.max_integer_levels_as_categorical)) {
      numeric = false;
    }
    // Dates are ordered values (compared in days), when every table holds dates only.
    col.is_date = !numeric && AllDates(cells);
    for (size_t si = 1; col.is_date && si < sources.size(); ++si) {
      col.is_date = AllDates(sources[si].table->columns[sources[si].part->column_of[c]]) ||
                    sources[si].table->num_rows() == 0;
    }
    numeric = numeric || col.is_date;
    if (Contains(options.categorical, col.name)) numeric = col.is_date = false;
    // Numeric in the real table but not in the other tables (e.g. a synthesizer generalised
    // ZIP codes to "537**" or mapped rare values to "other"): compare the column as categories.
    for (size_t si = 1; numeric && !col.is_date && si < sources.size(); ++si) {
      const auto& src = sources[si].table->columns[sources[si].part->column_of[c]];
      for (const auto& cell : src) {
        double v;
        if (!cell.empty() && !ParseNumber(cell, &v)) {
          numeric = false;
          break;
        }
      }
    }
    if (Contains(options.numeric, col.name)) {
      for (size_t r = 0; r < cells.size(); ++r) {
        double v;
        if (!cells[r].empty() && !ParseValue(cells[r], col.is_date, &v)) {
          return DataError(absl::StrCat("real table ", real.source, ", column '", col.name,
                                        "', row ", r + 1, ": '", cells[r],
                                        "' is not a number, but the column was declared numeric"));
        }
      }
      numeric = true;
    }
    auto id_it =
        std::find(options.identifier_columns.begin(), options.identifier_columns.end(), col.name);
    if (id_it != options.identifier_columns.end()) {
      col.identifier = true;
      const size_t i = id_it - options.identifier_columns.begin();
      col.identifier_reason = i < options.identifier_entities.size() &&
                                      !options.identifier_entities[i].empty()
                                  ? options.identifier_entities[i]
                                  : "identifier";
      // Identifiers are compared as text (PII replay), never as numbers: a synthetic table's
      // fresh ids need not have the real ids' format.
      numeric = col.is_date = false;
    }
    col.kind = numeric ? ColumnKind::kNumeric : ColumnKind::kCategorical;


    if (numeric) {
      std::vector<double> sorted;
      sorted.reserve(cells.size());
      for (const auto& cell : cells) {
        double v;
        if (ParseValue(cell, col.is_date, &v)) sorted.push_back(v);
      }
      std::sort(sorted.begin(), sorted.end());
      if (!sorted.empty()) {
        col.lo = sorted.front();
        col.hi = sorted.back();
      }
      const int bins = std::max(1, options.numeric_bins);
      for (int j = 1; j < bins && !sorted.empty(); ++j) {
        const double q = sorted[std::min(sorted.size() - 1, sorted.size() * j / bins)];
        if (q > col.lo && (col.edges.empty() || q > col.edges.back())) col.edges.push_back(q);
      }
      col.levels = static_cast<int32_t>(col.edges.size()) + 2;
      for (auto& s : sources) {
        const auto& src = s.table->columns[s.part->column_of[c]];
        auto& num = s.part->num[c];
        auto& code = s.part->code[c];
        num.resize(src.size());
        code.resize(src.size());
        for (size_t r = 0; r < src.size(); ++r) {
          double v;
          if (src[r].empty()) {
            num[r] = std::nan("");
            code[r] = col.levels - 1;
          } else if (ParseValue(src[r], col.is_date, &v)) {
            num[r] = v;
            code[r] = static_cast<int32_t>(
                std::upper_bound(col.edges.begin(), col.edges.end(), v) - col.edges.begin());
          } else {
            return DataError(absl::StrCat(
                s.role, " table ", s.table->source, ", column '", col.name, "', row ", r + 1,
                ": '", src[r], "' is not a number, but the column is numeric in the real table; "
                "fix the value or pass --categorical ", col.name));
          }
        }
      }
    } else {
      absl::flat_hash_map<std::string, int32_t> dict;
      for (auto& s : sources) {
        const auto& src = s.table->columns[s.part->column_of[c]];
        auto& code = s.part->code[c];
        code.resize(src.size());
        for (size_t r = 0; r < src.size(); ++r) {
          auto [it, inserted] = dict.try_emplace(src[r], static_cast<int32_t>(col.dict.size()));
          if (inserted) col.dict.push_back(src[r]);
          code[r] = it->second;
        }
      }
      col.levels = static_cast<int32_t>(col.dict.size());
      // A text column whose values are (nearly) unique per row identifies rows: treat it as an
      // identifier unless the caller said otherwise.
      if (!col.identifier && real.num_rows() >= 50) {
        absl::flat_hash_set<int32_t> real_distinct(enc.real.code[c].begin(),
                                                   enc.real.code[c].end());
        if (real_distinct.size() > 0.9 * real.num_rows()) {
          col.identifier = true;
          col.identifier_reason = "unique per row";
        }
      }
    }
  }
  return enc;
}

}  // namespace dpkit::report::internal
