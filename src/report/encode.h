// Private: turns the text tables of an evaluation into typed, aligned columns.
#ifndef DPKIT_SRC_REPORT_ENCODE_H_
#define DPKIT_SRC_REPORT_ENCODE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/report/evaluation.h"

namespace dpkit::report::internal {

struct EncodedColumn {
  std::string name;
  ColumnKind kind = ColumnKind::kCategorical;
  bool is_date = false;              // numeric, read from YYYY-MM-DD as days since 1970-01-01
  bool identifier = false;           // excluded from fidelity, distances and model features
  std::string identifier_reason;     // "email", "unique per row", ...
  std::vector<std::string> dict;     // categorical: code -> text ("" shown as "(missing)")
  std::vector<double> edges;         // numeric: interior quantile cut points of the real column
  double lo = 0, hi = 0;             // numeric: real finite range
  int32_t levels = 0;                // number of codes (numeric: edges + 2, last = missing)
};

// One table in encoded form. For every column c: code[c][row] in [0, levels) (categorical
// dictionary code, or numeric quantile bin with the last level = missing); for numeric columns
// num[c][row] is the value (NaN = missing), empty otherwise.
struct Part {
  size_t rows = 0;
  std::vector<std::vector<int32_t>> code;
  std::vector<std::vector<double>> num;
  std::vector<int> column_of;  // encoded column -> column index in the source TextTable
};

struct Encoded {
  std::vector<EncodedColumn> cols;
  Part real, synthetic, holdout;
  bool has_holdout = false;
};

absl::StatusOr<Encoded> Encode(const TextTable& real, const TextTable& synthetic,
                               const TextTable* holdout, const EvaluationOptions& options);

// Parses a finite double (whole string, surrounding spaces allowed). False otherwise.
bool ParseNumber(const std::string& text, double* out);
// A cell of a numeric column: a number, or for a date column a date (days since 1970-01-01).
bool ParseValue(const std::string& text, bool is_date, double* out);

// k distinct indices from [0, n), uniformly without replacement (all of them, shuffled, if
// k >= n).
std::vector<size_t> SampleIndices(size_t n, size_t k, random::BitGenerator& rng);

}  // namespace dpkit::report::internal

#endif  // DPKIT_SRC_REPORT_ENCODE_H_
