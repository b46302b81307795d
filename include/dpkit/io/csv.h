// CSV in and out.
//
// Reading (ReadCsv / ReadCsvString):
// - RFC 4180: fields separated by `delimiter`; records end at LF or CRLF; a field may be quoted
//   with '"', inside which delimiters, CR and LF are literal and '""' is one quote. A quote
//   inside an unquoted field, or text after a closing quote, is an error (quote the field and
//   double the quote). A lone CR outside quotes is an ordinary character.
// - Header row by default (has_header); names must be non-empty and unique. Without a header,
//   names come from `column_names` or are "column_1", "column_2", ...
// - Input may be gzip-compressed (detected from the magic bytes, not the file name; multi-member
//   files are read whole). A UTF-8 byte order mark is stripped. The text must be valid UTF-8:
//   invalid bytes are an error naming the line (convert with e.g. `iconv -f latin1 -t utf-8`).
// - Blank lines are skipped when the table has more than one column. With one column a blank
//   line is a null value (a final line break does not add a row).
// - trim_whitespace (default on) strips spaces/tabs around unquoted fields and around the quotes
//   of quoted fields (so "39, State-gov" reads as 39 and "State-gov").
// - Nulls: an UNQUOTED field whose (trimmed) text equals one of `null_tokens` (default {""}) is
//   null; a quoted field is always a literal value ("" quoted is the empty string). What happens
//   with a null is `null_policy`: kNull keeps it as a null (see table.h), kDropRow drops the
//   whole record (the count is reported in CsvReadStats), kError fails. A schema column with
//   "nullable": false fails on a null under every policy.
// - Types: with a schema, its columns get the declared type and every cell must parse as that
//   type or the read fails. Columns without a schema entry are inferred from ALL values (not a
//   sample): bool (true/false, any case) < int64 < double, or date (YYYY-MM-DD), else string.
//   Integers use std::from_chars, doubles fast_float (exactly rounded). A leading '+' is
//   accepted. An int64 overflow makes an inferred column a string (never a rounded number).
// - NaN/inf ("nan", "inf", "infinity", any case, or an overflowing literal such as 1e999) in a
//   double column is an error unless allow_non_finite is set.
// - Every error is DataLoss (exit code 4) or NotFound and reads
//   "<file>:<line>: column '<name>': <what>; <what to do>", where <line> is the 1-based physical
//   line of the offending field (quoted line breaks counted). With private_data (below), no
//   line number and no cell text appear, and unparsable cells are NULL instead of errors.
// - Large inputs are parsed by `num_threads` threads over record-aligned chunks; the result
//   (including dictionary order and the first error reported) is identical for any thread count.
//
// Writing: CsvWriter streams rows through dpkit::Env to "<path>.tmp.<pid>" and renames it over
// `path` on Close, so readers never see a torn file and a full disk is reported (never a
// silently truncated output); if Close is not reached the temporary file is removed.
// Fields are quoted when they contain the delimiter, a quote, CR or LF, have leading/trailing
// whitespace, are empty strings, or equal the null token, so a table written by WriteCsv reads
// back identical (values; types given a schema; nulls) with null_tokens = {null_token}.
//
// Thread safety: the free functions are thread-safe; a CsvWriter is used by one thread.
#ifndef DPKIT_IO_CSV_H_
#define DPKIT_IO_CSV_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"

namespace dpkit::io {

enum class NullPolicy {
  kNull,     // keep nulls (Column::IsNull)
  kDropRow,  // drop records with a null in any column
  kError,    // any null is a data error
};

struct CsvReadOptions {
  char delimiter = ',';
  bool has_header = true;
  // Names when has_header is false (must match the field count); empty = column_1, ...
  std::vector<std::string> column_names;
  // Physical lines skipped before the header (e.g. 1 for adult.test's "|1x3 Cross validator").
  int skip_lines = 0;
  bool trim_whitespace = true;
  // Cell texts read as null (unquoted only). A schema's non-empty null_tokens replace these.
  std::vector<std::string> null_tokens = {""};
  NullPolicy null_policy = NullPolicy::kNull;
  bool allow_non_finite = false;
  // Declared types (and categories, which seed the dictionary order). Columns of the file not
  // in the schema are inferred; schema columns missing from the file are an error.
  std::optional<Schema> schema;
  // Only these columns are kept (in this order); empty = all. Unknown names are an error.
  std::vector<std::string> select_columns;
  // Stop after this many data records (-1 = all).
  int64_t max_rows = -1;
  // 0 = one per hardware thread. Small inputs are always read with one thread.
  int num_threads = 0;
  // Name used in error messages for ReadCsvString (ReadCsv uses the path).
  std::string source_name = "<string>";
  // The file holds private data read for a DP release (dpkit's release commands set this;
  // ../shared/DESIGN.md "Public and private inputs"). Then:
  //  - types come only from the schema: columns it does not declare are read as text, never
  //    inferred from their cells;
  //  - a cell that does not parse under its column's declared type, or a non-finite double,
  //    is NULL; a NULL (or such a cell) in a column declared "nullable": false drops its row
  //    (a per-row rule: one unit's cells only ever affect that unit's rows);
  //  - error messages (structural problems: ragged rows, bad quoting, invalid UTF-8) name the
  //    file, the column and the kind of problem, never a cell's text or a line number, unless
  //    owner_diagnostics is set (for the data owner, never for an analyst-facing release).
  // Dropped rows are counted in CsvReadStats::dropped_rows, which is private: never show it.
  bool private_data = false;
  bool owner_diagnostics = false;
};

struct CsvReadStats {
  int64_t bytes = 0;           // decompressed bytes parsed
  int64_t records = 0;         // data records read (including dropped)
  int64_t dropped_rows = 0;    // records dropped by NullPolicy::kDropRow
  bool gzip = false;
};

absl::StatusOr<Table> ReadCsv(const std::string& path, const CsvReadOptions& options = {},
                              Env* env = Env::Default(), CsvReadStats* stats = nullptr);
absl::StatusOr<Table> ReadCsvString(std::string_view data, const CsvReadOptions& options = {},
                                    CsvReadStats* stats = nullptr);

// Decompresses gzip data (all members), or returns `data` unchanged if it does not start with
// the gzip magic bytes. DataLoss naming `source` if the stream is corrupt or truncated.
absl::StatusOr<std::string> MaybeGunzip(std::string data, std::string_view source);

struct CsvWriteOptions {
  char delimiter = ',';
  bool write_header = true;
  std::string null_token;  // written (unquoted) for nulls
  std::string line_ending = "\n";
};

class CsvWriter {
 public:
  // Starts writing `path` (through a temporary file; see above) and writes the header.
  static absl::StatusOr<std::unique_ptr<CsvWriter>> Open(const std::string& path,
                                                         std::vector<std::string> header,
                                                         const CsvWriteOptions& options = {},
                                                         Env* env = Env::Default());
  ~CsvWriter();  // removes the temporary file if Close() was not called or failed

  // One record; fields.size() must equal the header size (InvalidArgument otherwise).
  // Fields are quoted as needed. A std::nullopt field is written as the null token.
  absl::Status WriteRow(const std::vector<std::string>& fields);
  absl::Status WriteRow(const std::vector<std::string_view>& fields);
  absl::Status WriteRow(const std::vector<std::optional<std::string>>& fields);
  // Appends already-formatted text (one or more complete records ending in a line break).
  absl::Status WriteRaw(std::string_view records);
  // Flushes, syncs and renames into place. Further writes fail.
  absl::Status Close();

  // Records written with WriteRow (WriteRaw text is not counted).
  int64_t rows_written() const { return rows_; }

 private:
  CsvWriter() = default;
  absl::Status AppendField(std::string_view field, bool is_null);
  absl::Status EndRow();

  Env* env_ = nullptr;
  std::string path_, tmp_path_;
  CsvWriteOptions options_;
  size_t num_fields_ = 0;
  std::unique_ptr<WritableFile> file_;
  std::string line_;
  int64_t rows_ = 0;
  bool closed_ = false;
  absl::Status error_;
};

// Quotes `field` if needed (rules above).
void AppendCsvField(std::string_view field, char delimiter, std::string_view null_token,
                    std::string* out);

// Whole-table writers. String cells that equal the null token, are empty, or need quoting
// are quoted; nulls are the unquoted null token.
absl::Status WriteCsv(const Table& table, const std::string& path,
                      const CsvWriteOptions& options = {}, Env* env = Env::Default());
std::string WriteCsvString(const Table& table, const CsvWriteOptions& options = {});

}  // namespace dpkit::io

#endif  // DPKIT_IO_CSV_H_
