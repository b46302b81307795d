// Encoded (discretised) tables, domains and marginals: the shared representation of synth
// (MST/AIM/Private-PGM) and analytics (histograms, contingency tables).
//
// - Domain: ordered attribute names with their sizes. Load/save Private-PGM's "*-domain.json"
//   ({"age": 85, "sex": 2, ...}; attribute order = order in the file, as Private-PGM's
//   Dataset.load uses it).
// - EncodedTable: one column of int32 codes per attribute, every code in [0, size) (checked
//   when the table is built, with the attribute, row and value in the error).
// - Encoder: maps a typed Table to an EncodedTable and back, column by column, using PUBLIC
//   categories and bin edges (from the schema or given by the caller; see schema.h on why they
//   must not be read off the data).
// - Marginal / ComputeMarginal: dense counts of a set of attributes, row-major (the last
//   attribute varies fastest, like numpy's C order and Private-PGM's Factor.values), optionally
//   weighted, computed with several threads over row chunks. Partial marginals of disjoint row
//   ranges Merge() into exactly the marginal of their union, so partitions processed separately
//   (threads, processes, machines) give the same result.
//
// Marginals here are exact (non-private) counts: they must only be released through a DP
// mechanism (noise added by the caller, e.g. synth's Gaussian measurements).
//
// Thread safety: const methods are thread-safe.
#ifndef DPKIT_IO_ENCODED_H_
#define DPKIT_IO_ENCODED_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::io {

class Domain {
 public:
  Domain() = default;
  // Names unique and non-empty, sizes in [1, 2^31 - 1].
  static absl::StatusOr<Domain> Create(std::vector<std::string> names, std::vector<int64_t> sizes);
  // Private-PGM JSON object of name -> size, in file order. `source` prefixes errors.
  static absl::StatusOr<Domain> FromJson(std::string_view json, std::string_view source = "domain");
  std::string ToJson() const;

  int num_attributes() const { return static_cast<int>(names_.size()); }
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<int64_t>& sizes() const { return sizes_; }
  const std::string& name(int i) const { return names_[i]; }
  int64_t size(int i) const { return sizes_[i]; }
  // NotFound "unknown attribute 'x' (available: a, b)".
  absl::StatusOr<int> Index(std::string_view name) const;
  absl::StatusOr<std::vector<int>> Indices(const std::vector<std::string>& names) const;
  // The sub-domain of `names` (in that order).
  absl::StatusOr<Domain> Project(const std::vector<std::string>& names) const;
  // Product of the sizes of `names`; InvalidArgument if it exceeds 2^62.
  absl::StatusOr<int64_t> NumCells(const std::vector<std::string>& names) const;

  bool operator==(const Domain& other) const = default;

 private:
  std::vector<std::string> names_;
  std::vector<int64_t> sizes_;
};

absl::StatusOr<Domain> LoadDomain(const std::string& path, Env* env = Env::Default());
absl::Status SaveDomain(const Domain& domain, const std::string& path, Env* env = Env::Default());

class EncodedTable {
 public:
  EncodedTable() = default;
  // columns[i] holds the codes of domain.name(i); all the same length; every code in
  // [0, domain.size(i)) (DataLoss "attribute 'x', row 17: code 9 outside 0..7" otherwise).
  static absl::StatusOr<EncodedTable> Create(Domain domain,
                                             std::vector<std::vector<int32_t>> columns);
  // From a Table of integer columns (e.g. a Private-PGM CSV read with ReadCsv): takes the
  // domain's attributes by name (other columns are ignored, as Private-PGM does), requires
  // int64 (or bool) columns without nulls, and validates every code.
  static absl::StatusOr<EncodedTable> FromTable(const Table& table, const Domain& domain);

  const Domain& domain() const { return domain_; }
  int64_t num_rows() const { return num_rows_; }
  int num_attributes() const { return domain_.num_attributes(); }
  const std::vector<int32_t>& column(int i) const { return columns_[i]; }
  absl::StatusOr<const std::vector<int32_t>*> ColumnByName(std::string_view name) const;

  // Rows must be in range.
  absl::StatusOr<EncodedTable> TakeRows(const std::vector<int64_t>& rows) const;
  EncodedTable SliceRows(int64_t offset, int64_t length) const;
  // Int64 columns named after the attributes.
  Table ToTable() const;

 private:
  Domain domain_;
  std::vector<std::vector<int32_t>> columns_;
  int64_t num_rows_ = 0;
};

// Reads a Private-PGM style CSV (header + integer codes) with its domain: the domain's columns
// are taken by name, others ignored. Gzip input is fine. Errors name file, line and column.
absl::StatusOr<EncodedTable> ReadEncodedCsv(const std::string& csv_path, const Domain& domain,
                                            Env* env = Env::Default(), int num_threads = 0);
// The same with the file's layout from `layout` (delimiter, has_header / column_names,
// skip_lines, num_threads); its schema, select_columns and private_data are set here.
absl::StatusOr<EncodedTable> ReadEncodedCsv(const std::string& csv_path, const Domain& domain,
                                            const CsvReadOptions& layout,
                                            Env* env = Env::Default());

// How one column is discretised. Exactly one of `categories` / `bin_edges` is set.
struct ColumnEncoding {
  std::string name;
  // Categorical: code i <-> categories[i] (compared as text: int64 columns as decimal, bools as
  // true/false, dates as YYYY-MM-DD).
  std::vector<std::string> categories;
  // Binned numeric (int64, double, date): k+1 strictly increasing finite edges, k bins;
  // code i <-> [e_i, e_{i+1}) (the last bin also includes e_k). Values outside [e_0, e_k] are
  // clamped into the first/last bin.
  std::vector<double> bin_edges;
  // A value not among `categories` gets an extra last code ("other") instead of an error.
  bool other_category = false;
  // Nulls get an extra last code (after "other") instead of an error.
  bool null_category = false;

  // Number of codes.
  int64_t size() const;
};

class Encoder {
 public:
  // Every encoding valid (one of categories/bins, unique categories, sorted finite edges).
  static absl::StatusOr<Encoder> Create(std::vector<ColumnEncoding> encodings);
  // Uses each named column's schema categories, else its bins; a column with neither is
  // InvalidArgument ("declare categories or bins for column 'x'; inferring them from the data
  // is not private"). Empty `columns` = all schema columns. Nullable columns get a null code.
  static absl::StatusOr<Encoder> FromSchema(const Schema& schema,
                                            const std::vector<std::string>& columns = {});

  const std::vector<ColumnEncoding>& encodings() const { return encodings_; }
  Domain domain() const;

  // Encodes the encoder's columns of `table` (others ignored). DataLoss naming the column, row
  // and value for a value outside the categories (without other_category), a null (without
  // null_category), or a NaN.
  absl::StatusOr<EncodedTable> Encode(const Table& table) const;
  // Back to typed values. Categorical codes decode to their category (typed per `types`,
  // default string); bins decode to a uniformly random value within the bin (integers for
  // int64/date columns, exact uniform over the bin's integers; a double bin [v, nextafter(v))
  // decodes to v) drawn from `rng` — this is
  // post-processing of already-private output, so any generator is acceptable privacy-wise.
  // "other" decodes to the text "other", the null code to null. `types` (optional) gives each
  // column's DataType; by default categorical -> string, binned -> double.
  absl::StatusOr<Table> Decode(const EncodedTable& encoded, random::BitGenerator& rng,
                               const std::vector<DataType>& types = {}) const;

 private:
  std::vector<ColumnEncoding> encodings_;
};

class Marginal {
 public:
  Marginal() = default;
  // Zero counts over `attrs` of `domain`.
  static absl::StatusOr<Marginal> Zeros(const Domain& domain, const std::vector<std::string>& attrs);

  const std::vector<std::string>& attrs() const { return attrs_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  const std::vector<double>& counts() const { return counts_; }
  std::vector<double>& mutable_counts() { return counts_; }
  double total() const;
  // Flat row-major index of one cell (codes in attrs() order; must be in range).
  int64_t FlatIndex(std::span<const int32_t> codes) const;

  // Adds `other` (same attrs and shape, else InvalidArgument).
  absl::Status Merge(const Marginal& other);

 private:
  std::vector<std::string> attrs_;
  std::vector<int64_t> shape_;
  std::vector<double> counts_;
};

struct MarginalOptions {
  // Per-row weights (size num_rows) or empty for counts. Weights must be finite.
  std::span<const double> weights;
  // Rows [row_begin, row_end) only (row_end -1 = all): partial marginals for partitions.
  int64_t row_begin = 0;
  int64_t row_end = -1;
  int num_threads = 0;          // 0 = one per hardware thread
  int64_t max_cells = 1LL << 28;  // 2 GiB of doubles; larger is InvalidArgument
};

// Counts over `attrs` (any order, no repeats; an empty list gives the 1-cell total).
absl::StatusOr<Marginal> ComputeMarginal(const EncodedTable& table,
                                         const std::vector<std::string>& attrs,
                                         const MarginalOptions& options = {});

}  // namespace dpkit::io

#endif  // DPKIT_IO_ENCODED_H_
