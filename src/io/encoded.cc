#include "dpkit/io/encoded.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/io/csv.h"
#include "dpkit/random/samplers.h"
#include "nlohmann/json.hpp"

namespace dpkit::io {
namespace {

using Json = nlohmann::ordered_json;

constexpr int64_t kMaxAttrSize = std::numeric_limits<int32_t>::max();

int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(std::min(hc, 64u));
}

template <typename F>
void RunParallel(int n, F&& f) {
  if (n <= 1) {
    f(0);
    return;
  }
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back([&f, i] { f(i); });
  f(0);
  for (auto& t : threads) t.join();
}

absl::Status ValidateEncoding(const ColumnEncoding& e) {
  const std::string where = absl::StrCat("encoding of column '", e.name, "': ");
  if (e.name.empty()) return absl::InvalidArgumentError("encoding column name must not be empty");
  // A categorical column may have no kept category at all when every value is rare and maps to
  // "other" (e.g. after private partition selection).
  const bool categorical = !e.categories.empty() || (e.bin_edges.empty() && e.other_category);
  if (categorical == !e.bin_edges.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "set exactly one of categories or bin_edges"));
  }
  absl::flat_hash_set<std::string_view> seen;
  for (const std::string& c : e.categories) {
    if (!seen.insert(c).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, "duplicate category '", c, "'"));
    }
  }
  if (!e.bin_edges.empty()) {
    if (e.other_category) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "other_category applies to categories, not bins (out-of-range "
                              "values are clamped into the first/last bin)"));
    }
    if (e.bin_edges.size() < 2) {
      return absl::InvalidArgumentError(absl::StrCat(where, "need at least 2 bin edges"));
    }
    for (size_t i = 0; i < e.bin_edges.size(); ++i) {
      if (!std::isfinite(e.bin_edges[i]) || (i > 0 && !(e.bin_edges[i] > e.bin_edges[i - 1]))) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "bin edges must be finite and strictly increasing, got ",
                         FormatDouble(e.bin_edges[i]), " at position ", i));
      }
    }
  }
  if (e.size() > kMaxAttrSize) {
    return absl::InvalidArgumentError(absl::StrCat(where, "too many codes (", e.size(), ")"));
  }
  return absl::OkStatus();
}

int32_t BinOf(const std::vector<double>& edges, double v) {
  const int32_t k = static_cast<int32_t>(edges.size()) - 1;
  const auto it = std::upper_bound(edges.begin(), edges.end(), v);
  int32_t i = static_cast<int32_t>(it - edges.begin()) - 1;
  return std::clamp<int32_t>(i, 0, k - 1);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Domain

absl::StatusOr<Domain> Domain::Create(std::vector<std::string> names, std::vector<int64_t> sizes) {
  if (names.size() != sizes.size()) {
    return absl::InvalidArgumentError(absl::StrCat("domain has ", names.size(), " names but ",
                                                   sizes.size(), " sizes"));
  }
  absl::flat_hash_set<std::string_view> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) return absl::InvalidArgumentError("domain attribute name is empty");
    if (!seen.insert(names[i]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate domain attribute '", names[i], "'"));
    }
    if (sizes[i] < 1 || sizes[i] > kMaxAttrSize) {
      return absl::InvalidArgumentError(absl::StrCat("domain size of attribute '", names[i],
                                                     "' must be in [1, 2^31-1], got ", sizes[i]));
    }
  }
  Domain d;
  d.names_ = std::move(names);
  d.sizes_ = std::move(sizes);
  return d;
}

absl::StatusOr<Domain> Domain::FromJson(std::string_view json, std::string_view source) {
  const std::string src(source);
  Json root = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        src, ": not a domain JSON object; expected {\"attribute\": size, ...} as in "
             "Private-PGM's *-domain.json"));
  }
  std::vector<std::string> names;
  std::vector<int64_t> sizes;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const Json& v = it.value();
    if (!v.is_number_integer()) {
      return absl::InvalidArgumentError(absl::StrCat(src, ": size of attribute '", it.key(),
                                                     "' must be a positive integer, got ",
                                                     v.dump()));
    }
    names.push_back(it.key());
    sizes.push_back(v.get<int64_t>());
  }
  absl::StatusOr<Domain> d = Create(std::move(names), std::move(sizes));
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(src, ": ", d.status().message()));
  return d;
}

std::string Domain::ToJson() const {
  Json root = Json::object();
  for (size_t i = 0; i < names_.size(); ++i) root[names_[i]] = sizes_[i];
  return root.dump() + "\n";
}

absl::StatusOr<int> Domain::Index(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return absl::NotFoundError(absl::StrCat("unknown attribute '", std::string(name),
                                          "' (available: ", absl::StrJoin(names_, ", "), ")"));
}

absl::StatusOr<std::vector<int>> Domain::Indices(const std::vector<std::string>& names) const {
  std::vector<int> out;
  for (const std::string& n : names) {
    DPKIT_ASSIGN_OR_RETURN(int i, Index(n));
    if (std::find(out.begin(), out.end(), i) != out.end()) {
      return absl::InvalidArgumentError(absl::StrCat("attribute '", n, "' listed twice"));
    }
    out.push_back(i);
  }
  return out;
}

absl::StatusOr<Domain> Domain::Project(const std::vector<std::string>& names) const {
  DPKIT_ASSIGN_OR_RETURN(std::vector<int> idx, Indices(names));
  std::vector<int64_t> sizes;
  for (int i : idx) sizes.push_back(sizes_[i]);
  return Create(names, std::move(sizes));
}

absl::StatusOr<int64_t> Domain::NumCells(const std::vector<std::string>& names) const {
  DPKIT_ASSIGN_OR_RETURN(std::vector<int> idx, Indices(names));
  int64_t cells = 1;
  for (int i : idx) {
    if (cells > (int64_t{1} << 62) / sizes_[i]) {
      return absl::InvalidArgumentError(absl::StrCat("the domain of (", absl::StrJoin(names, ", "),
                                                     ") has more than 2^62 cells"));
    }
    cells *= sizes_[i];
  }
  return cells;
}

absl::StatusOr<Domain> LoadDomain(const std::string& path, Env* env) {
  absl::StatusOr<std::string> text = env->ReadFile(path);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) {
      return absl::NotFoundError(absl::StrCat("domain file not found: ", path));
    }
    return text.status();
  }
  return Domain::FromJson(*text, path);
}

absl::Status SaveDomain(const Domain& domain, const std::string& path, Env* env) {
  return env->WriteFileAtomically(path, domain.ToJson());
}

// ---------------------------------------------------------------------------------------------
// EncodedTable

absl::StatusOr<EncodedTable> EncodedTable::Create(Domain domain,
                                                  std::vector<std::vector<int32_t>> columns) {
  if (static_cast<int>(columns.size()) != domain.num_attributes()) {
    return absl::InvalidArgumentError(absl::StrCat("encoded table has ", columns.size(),
                                                   " columns but the domain has ",
                                                   domain.num_attributes(), " attributes"));
  }
  const int64_t n = columns.empty() ? 0 : static_cast<int64_t>(columns[0].size());
  for (int a = 0; a < domain.num_attributes(); ++a) {
    const std::vector<int32_t>& col = columns[a];
    if (static_cast<int64_t>(col.size()) != n) {
      return absl::InvalidArgumentError(absl::StrCat("attribute '", domain.name(a), "' has ",
                                                     col.size(), " rows, expected ", n));
    }
    const int32_t size = static_cast<int32_t>(domain.size(a));
    // Branch-free scan first; locate the offender only on failure.
    bool bad = false;
    for (int32_t v : col) bad |= static_cast<uint32_t>(v) >= static_cast<uint32_t>(size);
    if (bad) {
      for (size_t r = 0; r < col.size(); ++r) {
        if (col[r] < 0 || col[r] >= size) {
          return DataError(absl::StrCat("attribute '", domain.name(a), "': a code outside the domain 0..", size - 1,
                                        "; fix the data or the domain size"));
        }
      }
    }
  }
  EncodedTable t;
  t.domain_ = std::move(domain);
  t.columns_ = std::move(columns);
  t.num_rows_ = n;
  return t;
}

absl::StatusOr<EncodedTable> EncodedTable::FromTable(const Table& table, const Domain& domain) {
  std::vector<std::vector<int32_t>> cols;
  for (int a = 0; a < domain.num_attributes(); ++a) {
    absl::StatusOr<const Column*> c = table.ColumnByName(domain.name(a));
    if (!c.ok()) {
      return absl::NotFoundError(absl::StrCat("domain attribute '", domain.name(a),
                                              "' is not a column of the data (columns: ",
                                              absl::StrJoin(table.ColumnNames(), ", "), ")"));
    }
    const Column& col = **c;
    if (col.type() != DataType::kInt64 && col.type() != DataType::kBool) {
      return DataError(absl::StrCat("attribute '", domain.name(a), "' must hold integer codes 0..",
                                    domain.size(a) - 1, ", but the column has type ",
                                    DataTypeName(col.type())));
    }
    const int64_t n = col.size();
    const int64_t size = domain.size(a);
    if (col.has_nulls()) {
      for (int64_t r = 0; r < n; ++r) {
        if (col.IsNull(r)) {
          return DataError(absl::StrCat("attribute '", domain.name(a), "': a missing value; encoded data must have a code in "
                                        "every cell"));
        }
      }
    }
    std::vector<int32_t> codes(n);
    const int64_t* v = col.int64_values().data();
    bool bad = false;
    for (int64_t r = 0; r < n; ++r) {
      bad |= static_cast<uint64_t>(v[r]) >= static_cast<uint64_t>(size);
      codes[r] = static_cast<int32_t>(v[r]);
    }
    if (bad) {
      for (int64_t r = 0; r < n; ++r) {
        if (v[r] < 0 || v[r] >= size) {
          return DataError(absl::StrCat("attribute '", domain.name(a), "': a code outside the domain 0..", size - 1,
                                        "; fix the data or the domain size"));
        }
      }
    }
    cols.push_back(std::move(codes));
  }
  // Every code was checked above.
  EncodedTable t;
  t.domain_ = domain;
  t.columns_ = std::move(cols);
  t.num_rows_ = table.num_rows();
  return t;
}

absl::StatusOr<const std::vector<int32_t>*> EncodedTable::ColumnByName(std::string_view name) const {
  DPKIT_ASSIGN_OR_RETURN(int i, domain_.Index(name));
  return &columns_[i];
}

absl::StatusOr<EncodedTable> EncodedTable::TakeRows(const std::vector<int64_t>& rows) const {
  for (int64_t r : rows) {
    if (r < 0 || r >= num_rows_) {
      return absl::OutOfRangeError(
          absl::StrCat("row ", r, " out of range for an encoded table of ", num_rows_, " rows"));
    }
  }
  EncodedTable t;
  t.domain_ = domain_;
  t.num_rows_ = static_cast<int64_t>(rows.size());
  for (const auto& col : columns_) {
    std::vector<int32_t> c(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) c[i] = col[rows[i]];
    t.columns_.push_back(std::move(c));
  }
  return t;
}

EncodedTable EncodedTable::SliceRows(int64_t offset, int64_t length) const {
  offset = std::clamp<int64_t>(offset, 0, num_rows_);
  length = std::clamp<int64_t>(length, 0, num_rows_ - offset);
  EncodedTable t;
  t.domain_ = domain_;
  t.num_rows_ = length;
  for (const auto& col : columns_) {
    t.columns_.emplace_back(col.begin() + offset, col.begin() + offset + length);
  }
  return t;
}

Table EncodedTable::ToTable() const {
  std::vector<Column> cols;
  for (int a = 0; a < domain_.num_attributes(); ++a) {
    cols.push_back(Column::Int64(domain_.name(a),
                                 std::vector<int64_t>(columns_[a].begin(), columns_[a].end())));
  }
  absl::StatusOr<Table> t = Table::Make(std::move(cols));
  return t.ok() ? *std::move(t) : Table();
}

absl::StatusOr<EncodedTable> ReadEncodedCsv(const std::string& csv_path, const Domain& domain,
                                            Env* env, int num_threads) {
  CsvReadOptions layout;
  layout.num_threads = num_threads;
  return ReadEncodedCsv(csv_path, domain, layout, env);
}

absl::StatusOr<EncodedTable> ReadEncodedCsv(const std::string& csv_path, const Domain& domain,
                                            const CsvReadOptions& layout, Env* env) {
  CsvReadOptions opts = layout;
  opts.select_columns = domain.names();
  opts.private_data = true;  // a cell that is not an integer code drops its row; no cell text
  Schema schema;
  for (const std::string& n : domain.names()) {
    ColumnSchema cs;
    cs.name = n;
    cs.type = DataType::kInt64;
    cs.nullable = false;
    schema.columns.push_back(cs);
  }
  opts.schema = std::move(schema);
  absl::StatusOr<Table> table = ReadCsv(csv_path, opts, env);
  if (!table.ok()) return table.status();
  absl::StatusOr<EncodedTable> t = EncodedTable::FromTable(*table, domain);
  if (!t.ok()) {
    return absl::Status(t.status().code(), absl::StrCat(csv_path, ": ", t.status().message()));
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// Encoder

int64_t ColumnEncoding::size() const {
  const int64_t base = bin_edges.empty() ? static_cast<int64_t>(categories.size())
                                         : static_cast<int64_t>(bin_edges.size()) - 1;
  return std::max<int64_t>(base, 0) + (other_category ? 1 : 0) + (null_category ? 1 : 0);
}

absl::StatusOr<Encoder> Encoder::Create(std::vector<ColumnEncoding> encodings) {
  absl::flat_hash_set<std::string> seen;
  for (const ColumnEncoding& e : encodings) {
    DPKIT_RETURN_IF_ERROR(ValidateEncoding(e));
    if (!seen.insert(e.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("column '", e.name, "' encoded twice"));
    }
  }
  Encoder enc;
  enc.encodings_ = std::move(encodings);
  return enc;
}

absl::StatusOr<Encoder> Encoder::FromSchema(const Schema& schema,
                                            const std::vector<std::string>& columns) {
  std::vector<std::string> names = columns.empty() ? schema.ColumnNames() : columns;
  std::vector<ColumnEncoding> encs;
  for (const std::string& n : names) {
    DPKIT_ASSIGN_OR_RETURN(const ColumnSchema* cs, schema.Get(n));
    ColumnEncoding e;
    e.name = n;
    if (!cs->categories.empty()) {
      e.categories = cs->categories;
    } else if (!cs->bins.empty()) {
      e.bin_edges = cs->bins;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "declare \"categories\" or \"bins\" for column '", n,
          "' in the schema; inferring them from the data is not private"));
    }
    e.null_category = cs->nullable;
    encs.push_back(std::move(e));
  }
  return Create(std::move(encs));
}

Domain Encoder::domain() const {
  std::vector<std::string> names;
  std::vector<int64_t> sizes;
  for (const ColumnEncoding& e : encodings_) {
    names.push_back(e.name);
    sizes.push_back(e.size());
  }
  absl::StatusOr<Domain> d = Domain::Create(std::move(names), std::move(sizes));
  return d.ok() ? *std::move(d) : Domain();
}

absl::StatusOr<EncodedTable> Encoder::Encode(const Table& table) const {
  std::vector<std::vector<int32_t>> cols;
  for (const ColumnEncoding& e : encodings_) {
    DPKIT_ASSIGN_OR_RETURN(const Column* colp, table.ColumnByName(e.name));
    const Column& col = *colp;
    const int64_t n = col.size();
    std::vector<int32_t> codes(n);
    const int32_t ncat = static_cast<int32_t>(e.categories.size());
    const int32_t other_code = e.other_category ? ncat : -1;
    const int32_t null_code = e.null_category ? static_cast<int32_t>(e.size()) - 1 : -1;
    auto null_error = [&](int64_t) {
      return DataError(absl::StrCat("column '", e.name,
                                    "': a missing value, and the encoding has no null code; drop "
                                    "or fill missing values, or make the column nullable"));
    };
    auto value_error = [&](int64_t) {
      return DataError(absl::StrCat("column '", e.name,
                                    "': a value is not one of the declared categories; add it to the "
                                    "categories or enable an \"other\" category"));
    };
    if (!e.bin_edges.empty()) {
      if (col.type() == DataType::kString) {
        return absl::InvalidArgumentError(absl::StrCat(
            "column '", e.name, "' is a string column; bins apply to numeric and date columns"));
      }
      for (int64_t r = 0; r < n; ++r) {
        if (col.IsNull(r)) {
          if (null_code < 0) return null_error(r);
          codes[r] = null_code;
          continue;
        }
        const double v = col.NumericAt(r);
        if (std::isnan(v)) {
          return DataError(absl::StrCat("column '", e.name, "': NaN cannot be binned"));
        }
        codes[r] = BinOf(e.bin_edges, v);
      }
    } else if (col.type() == DataType::kString) {
      absl::flat_hash_map<std::string_view, int32_t> index;
      for (int32_t i = 0; i < ncat; ++i) index.emplace(e.categories[i], i);
      std::vector<int32_t> dict_code(col.dictionary().size());
      for (size_t d = 0; d < dict_code.size(); ++d) {
        auto it = index.find(col.dictionary()[d]);
        dict_code[d] = it == index.end() ? other_code : it->second;
      }
      for (int64_t r = 0; r < n; ++r) {
        if (col.IsNull(r)) {
          if (null_code < 0) return null_error(r);
          codes[r] = null_code;
          continue;
        }
        const int32_t c = dict_code[col.codes()[r]];
        if (c < 0) return value_error(r);
        codes[r] = c;
      }
    } else {
      absl::flat_hash_map<std::string, int32_t> index;
      for (int32_t i = 0; i < ncat; ++i) index.emplace(e.categories[i], i);
      absl::flat_hash_map<int64_t, int32_t> int_index;  // memo for integer-like columns
      const bool int_like = col.type() != DataType::kDouble;
      for (int64_t r = 0; r < n; ++r) {
        if (col.IsNull(r)) {
          if (null_code < 0) return null_error(r);
          codes[r] = null_code;
          continue;
        }
        int32_t c;
        if (int_like) {
          const int64_t v = col.int64_values()[r];
          auto it = int_index.find(v);
          if (it == int_index.end()) {
            auto f = index.find(col.FormatValue(r));
            it = int_index.emplace(v, f == index.end() ? other_code : f->second).first;
          }
          c = it->second;
        } else {
          auto f = index.find(col.FormatValue(r));
          c = f == index.end() ? other_code : f->second;
        }
        if (c < 0) return value_error(r);
        codes[r] = c;
      }
    }
    cols.push_back(std::move(codes));
  }
  absl::StatusOr<EncodedTable> t = EncodedTable::Create(domain(), std::move(cols));
  return t;
}

absl::StatusOr<Table> Encoder::Decode(const EncodedTable& encoded, random::BitGenerator& rng,
                                      const std::vector<DataType>& types) const {
  if (!types.empty() && types.size() != encodings_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("Decode: ", types.size(), " types for ",
                                                   encodings_.size(), " encoded columns"));
  }
  if (!(encoded.domain() == domain())) {
    return absl::InvalidArgumentError(
        "Decode: the encoded table's domain does not match this encoder's domain");
  }
  std::vector<Column> out;
  for (size_t i = 0; i < encodings_.size(); ++i) {
    const ColumnEncoding& e = encodings_[i];
    const std::vector<int32_t>& codes = encoded.column(static_cast<int>(i));
    const int64_t n = encoded.num_rows();
    // Categorical unless it has bin edges (a categorical column may keep no category at all).
    const bool categorical = e.bin_edges.empty();
    const DataType type = !types.empty() ? types[i]
                          : categorical  ? DataType::kString
                                         : DataType::kDouble;
    const int32_t ncat = static_cast<int32_t>(e.categories.size());
    const int32_t nbins = static_cast<int32_t>(e.bin_edges.size()) - 1;
    const int32_t base = categorical ? ncat : nbins;
    const int32_t other_code = e.other_category ? base : -1;
    const int32_t null_code = e.null_category ? static_cast<int32_t>(e.size()) - 1 : -1;
    std::vector<uint8_t> valid(n, 1);
    if (categorical) {
      if (type == DataType::kString) {
        std::vector<std::string> dict = e.categories;
        if (other_code >= 0) dict.push_back("other");
        std::vector<int32_t> c(n);
        for (int64_t r = 0; r < n; ++r) {
          if (codes[r] == null_code) {
            valid[r] = 0;
            c[r] = -1;
          } else {
            c[r] = codes[r];
          }
        }
        DPKIT_ASSIGN_OR_RETURN(Column col, Column::StringFromCodes(e.name, std::move(c),
                                                                    std::move(dict),
                                                                    std::move(valid)));
        out.push_back(std::move(col));
        continue;
      }
      // Typed categories: parse each category once.
      std::vector<int64_t> ivals(ncat, 0);
      std::vector<double> dvals(ncat, 0);
      std::vector<uint8_t> ok(ncat, 0);
      for (int32_t k = 0; k < ncat; ++k) {
        const std::string& t = e.categories[k];
        if (type == DataType::kDouble) {
          char* end = nullptr;
          dvals[k] = std::strtod(t.c_str(), &end);
          ok[k] = end != t.c_str() && *end == '\0';
        } else if (type == DataType::kDate) {
          ok[k] = ParseDate(t, &ivals[k]);
        } else if (type == DataType::kBool) {
          ok[k] = t == "true" || t == "false";
          ivals[k] = t == "true";
        } else {
          auto r = std::from_chars(t.data(), t.data() + t.size(), ivals[k]);
          ok[k] = r.ec == std::errc() && r.ptr == t.data() + t.size();
        }
        if (!ok[k]) {
          return absl::InvalidArgumentError(absl::StrCat("Decode: category '", t, "' of column '",
                                                         e.name, "' is not a valid ",
                                                         DataTypeName(type)));
        }
      }
      std::vector<int64_t> iv(n, 0);
      std::vector<double> dv(n, 0);
      for (int64_t r = 0; r < n; ++r) {
        const int32_t c = codes[r];
        if (c == null_code || c == other_code) {
          valid[r] = 0;  // "other" has no typed value
          continue;
        }
        iv[r] = ivals[c];
        dv[r] = dvals[c];
      }
      if (type == DataType::kDouble) {
        out.push_back(Column::Double(e.name, std::move(dv), std::move(valid)));
      } else if (type == DataType::kDate) {
        out.push_back(Column::Date(e.name, std::move(iv), std::move(valid)));
      } else if (type == DataType::kBool) {
        out.push_back(Column::Bool(e.name, std::move(iv), std::move(valid)));
      } else {
        out.push_back(Column::Int64(e.name, std::move(iv), std::move(valid)));
      }
      continue;
    }
    // Bins: uniform within the bin.
    if (type == DataType::kString) {
      return absl::InvalidArgumentError(
          absl::StrCat("Decode: binned column '", e.name, "' cannot decode to string"));
    }
    const bool integral = type != DataType::kDouble;
    std::vector<int64_t> iv(n, 0);
    std::vector<double> dv(n, 0);
    for (int64_t r = 0; r < n; ++r) {
      const int32_t c = codes[r];
      if (c == null_code || c == other_code) {
        valid[r] = 0;
        continue;
      }
      const double lo = e.bin_edges[c];
      const double hi = e.bin_edges[c + 1];
      if (integral) {
        int64_t a = static_cast<int64_t>(std::ceil(lo));
        int64_t b = static_cast<int64_t>(c + 1 == nbins ? std::floor(hi) : std::ceil(hi) - 1);
        if (b < a) b = a;  // a bin without integers: its lower integer bound
        iv[r] = random::UniformInt(rng, a, b);
      } else {
        // A bin one ulp wide is a single value (a heavy value's bin): decode it exactly.
        const double v = lo + (hi - lo) * random::UniformDouble01(rng);
        dv[r] = std::nextafter(lo, hi) >= hi ? lo : std::min(v, hi);
      }
    }
    if (!integral) {
      out.push_back(Column::Double(e.name, std::move(dv), std::move(valid)));
    } else if (type == DataType::kDate) {
      out.push_back(Column::Date(e.name, std::move(iv), std::move(valid)));
    } else if (type == DataType::kBool) {
      out.push_back(Column::Bool(e.name, std::move(iv), std::move(valid)));
    } else {
      out.push_back(Column::Int64(e.name, std::move(iv), std::move(valid)));
    }
  }
  return Table::Make(std::move(out));
}

// ---------------------------------------------------------------------------------------------
// Marginals

absl::StatusOr<Marginal> Marginal::Zeros(const Domain& domain,
                                         const std::vector<std::string>& attrs) {
  DPKIT_ASSIGN_OR_RETURN(std::vector<int> idx, domain.Indices(attrs));
  DPKIT_ASSIGN_OR_RETURN(int64_t cells, domain.NumCells(attrs));
  Marginal m;
  m.attrs_ = attrs;
  for (int i : idx) m.shape_.push_back(domain.size(i));
  m.counts_.assign(static_cast<size_t>(cells), 0.0);
  return m;
}

double Marginal::total() const {
  double t = 0;
  for (double c : counts_) t += c;
  return t;
}

int64_t Marginal::FlatIndex(std::span<const int32_t> codes) const {
  int64_t idx = 0;
  for (size_t i = 0; i < shape_.size(); ++i) idx = idx * shape_[i] + codes[i];
  return idx;
}

absl::Status Marginal::Merge(const Marginal& other) {
  if (other.attrs_ != attrs_ || other.shape_ != shape_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot merge marginals over different attributes: (", absl::StrJoin(attrs_, ", "),
        ") vs (", absl::StrJoin(other.attrs_, ", "), ")"));
  }
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  return absl::OkStatus();
}

namespace {

// Counts rows [begin, end) into `counts` (int64 for unweighted input to keep exactness and
// speed; doubles for weights). `cols`/`strides` are the marginal's attributes.
void CountRange(const std::vector<const int32_t*>& cols, const std::vector<int64_t>& strides,
                int64_t begin, int64_t end, const double* weights, int64_t cells,
                std::vector<double>* out) {
  constexpr int64_t kBlock = 2048;
  int64_t idx[kBlock];
  const size_t m = cols.size();
  if (weights == nullptr) {
    // Several interleaved count arrays break store-to-load dependencies on hot cells.
    const int copies = cells <= 4096 ? 4 : 1;
    std::vector<int64_t> counts(static_cast<size_t>(cells) * copies, 0);
    for (int64_t b = begin; b < end; b += kBlock) {
      const int64_t n = std::min(kBlock, end - b);
      if (m == 0) {
        for (int64_t i = 0; i < n; ++i) idx[i] = 0;
      } else {
        const int32_t* c0 = cols[0] + b;
        const int64_t s0 = strides[0];
        for (int64_t i = 0; i < n; ++i) idx[i] = c0[i] * s0;
        for (size_t j = 1; j < m; ++j) {
          const int32_t* cj = cols[j] + b;
          const int64_t sj = strides[j];
          for (int64_t i = 0; i < n; ++i) idx[i] += cj[i] * sj;
        }
      }
      if (copies == 4) {
        int64_t* c = counts.data();
        int64_t i = 0;
        for (; i + 4 <= n; i += 4) {
          ++c[idx[i]];
          ++c[cells + idx[i + 1]];
          ++c[2 * cells + idx[i + 2]];
          ++c[3 * cells + idx[i + 3]];
        }
        for (; i < n; ++i) ++c[idx[i]];
      } else {
        for (int64_t i = 0; i < n; ++i) ++counts[idx[i]];
      }
    }
    out->assign(static_cast<size_t>(cells), 0.0);
    for (int k = 0; k < copies; ++k) {
      for (int64_t i = 0; i < cells; ++i) (*out)[i] += static_cast<double>(counts[k * cells + i]);
    }
    return;
  }
  out->assign(static_cast<size_t>(cells), 0.0);
  for (int64_t b = begin; b < end; b += kBlock) {
    const int64_t n = std::min(kBlock, end - b);
    for (int64_t i = 0; i < n; ++i) idx[i] = 0;
    for (size_t j = 0; j < m; ++j) {
      const int32_t* cj = cols[j] + b;
      const int64_t sj = strides[j];
      for (int64_t i = 0; i < n; ++i) idx[i] += cj[i] * sj;
    }
    for (int64_t i = 0; i < n; ++i) (*out)[idx[i]] += weights[b + i];
  }
}

}  // namespace

absl::StatusOr<Marginal> ComputeMarginal(const EncodedTable& table,
                                         const std::vector<std::string>& attrs,
                                         const MarginalOptions& options) {
  DPKIT_ASSIGN_OR_RETURN(Marginal m, [&]() -> absl::StatusOr<Marginal> {
    DPKIT_ASSIGN_OR_RETURN(int64_t cells, table.domain().NumCells(attrs));
    if (cells > options.max_cells) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the marginal over (", absl::StrJoin(attrs, ", "), ") has ", cells,
          " cells, above max_cells = ", options.max_cells,
          "; use fewer or smaller attributes, or raise max_cells if memory allows"));
    }
    return Marginal::Zeros(table.domain(), attrs);
  }());
  const int64_t n = table.num_rows();
  const int64_t begin = options.row_begin;
  const int64_t end = options.row_end < 0 ? n : options.row_end;
  if (begin < 0 || begin > end || end > n) {
    return absl::InvalidArgumentError(absl::StrCat("row range [", begin, ", ", end,
                                                   ") is not within the table's ", n, " rows"));
  }
  const double* weights = nullptr;
  if (!options.weights.empty()) {
    if (static_cast<int64_t>(options.weights.size()) != n) {
      return absl::InvalidArgumentError(absl::StrCat("weights has ", options.weights.size(),
                                                     " entries for ", n, " rows"));
    }
    for (int64_t r = begin; r < end; ++r) {
      if (!std::isfinite(options.weights[r])) {
        return absl::InvalidArgumentError(absl::StrCat("weight of row ", r + 1,
                                                       " must be finite, got ",
                                                       FormatDouble(options.weights[r])));
      }
    }
    weights = options.weights.data();
  }
  DPKIT_ASSIGN_OR_RETURN(std::vector<int> idx, table.domain().Indices(attrs));
  std::vector<const int32_t*> cols;
  for (int i : idx) cols.push_back(table.column(i).data());
  std::vector<int64_t> strides(idx.size(), 1);
  for (int j = static_cast<int>(idx.size()) - 2; j >= 0; --j) {
    strides[j] = strides[j + 1] * m.shape()[j + 1];
  }
  const int64_t cells = static_cast<int64_t>(m.counts().size());
  const int64_t rows = end - begin;
  int threads = ResolveThreads(options.num_threads);
  // Each thread holds its own counts: keep that memory and the merge cost small relative to
  // the scan.
  threads = static_cast<int>(std::min<int64_t>(threads, std::max<int64_t>(1, rows / 65536)));
  while (threads > 1 && cells * threads > std::max<int64_t>(rows, 1 << 22)) --threads;
  std::vector<std::vector<double>> partial(threads);
  RunParallel(threads, [&](int t) {
    const int64_t b = begin + rows * t / threads;
    const int64_t e = begin + rows * (t + 1) / threads;
    CountRange(cols, strides, b, e, weights, cells, &partial[t]);
  });
  std::vector<double>& counts = m.mutable_counts();
  counts = std::move(partial[0]);
  for (int t = 1; t < threads; ++t) {
    for (int64_t i = 0; i < cells; ++i) counts[i] += partial[t][i];
  }
  return m;
}

}  // namespace dpkit::io
