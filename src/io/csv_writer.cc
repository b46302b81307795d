#include <unistd.h>

#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "io/number_format.h"

namespace dpkit::io {
namespace {

bool NeedsQuotes(std::string_view f, char delimiter, std::string_view null_token) {
  if (f.empty() || f == null_token) return true;
  if (f.front() == ' ' || f.front() == '\t' || f.back() == ' ' || f.back() == '\t') return true;
  for (char c : f) {
    if (c == delimiter || c == '"' || c == '\n' || c == '\r') return true;
  }
  return false;
}

// Appends one cell of `col` (formatted, quoted if needed) to `out`.
void AppendCell(const Column& col, int64_t r, const CsvWriteOptions& options, bool numbers_safe,
                std::string* out) {
  if (col.IsNull(r)) {
    out->append(options.null_token);
    return;
  }
  char buf[64];
  switch (col.type()) {
    case DataType::kString:
      AppendCsvField(col.StringAt(r), options.delimiter, options.null_token, out);
      return;
    case DataType::kInt64:
      if (numbers_safe) {
        auto res = std::to_chars(buf, buf + sizeof(buf), col.int64_values()[r]);
        out->append(buf, res.ptr);
        return;
      }
      break;
    case DataType::kDouble:
      if (numbers_safe && std::isfinite(col.double_values()[r])) {
        out->append(buf, internal::FormatFiniteDouble(buf, buf + sizeof(buf),
                                                      col.double_values()[r]));
        return;
      }
      break;
    default:
      break;
  }
  AppendCsvField(col.FormatValue(r), options.delimiter, options.null_token, out);
}

// Finite numbers can be written unquoted unless the delimiter could occur in them or the null
// token could equal one (every number has a digit).
bool NumbersSafe(const CsvWriteOptions& options) {
  return std::string_view("0123456789.-+eE").find(options.delimiter) == std::string_view::npos &&
         options.null_token.find_first_of("0123456789") == std::string::npos;
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

void AppendCsvField(std::string_view field, char delimiter, std::string_view null_token,
                    std::string* out) {
  if (!NeedsQuotes(field, delimiter, null_token)) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

absl::StatusOr<std::unique_ptr<CsvWriter>> CsvWriter::Open(const std::string& path,
                                                           std::vector<std::string> header,
                                                           const CsvWriteOptions& options,
                                                           Env* env) {
  if (options.delimiter == '"' || options.delimiter == '\n' || options.delimiter == '\r') {
    return absl::InvalidArgumentError("delimiter must not be a quote or a line break");
  }
  if (header.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("CSV output ", path, " needs at least one column"));
  }
  std::unique_ptr<CsvWriter> w(new CsvWriter());
  w->env_ = env;
  w->path_ = path;
  w->tmp_path_ = absl::StrCat(path, ".tmp.", ::getpid());
  w->options_ = options;
  w->num_fields_ = header.size();
  absl::StatusOr<std::unique_ptr<WritableFile>> f = env->NewWritableFile(w->tmp_path_);
  if (!f.ok()) return f.status();
  w->file_ = *std::move(f);
  if (options.write_header) {
    std::vector<std::string_view> views(header.begin(), header.end());
    for (size_t i = 0; i < views.size(); ++i) {
      if (i > 0) w->line_.push_back(options.delimiter);
      // Header names are always literal text: quote one that looks like the null token.
      AppendCsvField(views[i], options.delimiter, options.null_token, &w->line_);
    }
    w->line_ += options.line_ending;
    absl::Status s = w->file_->Append(w->line_);
    w->line_.clear();
    if (!s.ok()) {
      w->error_ = s;
      return s;
    }
  }
  return w;
}

CsvWriter::~CsvWriter() {
  if (!closed_ || !error_.ok()) {
    if (file_ != nullptr) (void)file_->Close();
    if (env_ != nullptr && env_->FileExists(tmp_path_)) (void)env_->DeleteFile(tmp_path_);
  }
}

absl::Status CsvWriter::AppendField(std::string_view field, bool is_null) {
  if (is_null) {
    line_.append(options_.null_token);
  } else {
    AppendCsvField(field, options_.delimiter, options_.null_token, &line_);
  }
  return absl::OkStatus();
}

absl::Status CsvWriter::EndRow() {
  line_ += options_.line_ending;
  ++rows_;
  if (line_.size() >= (1 << 16)) {
    absl::Status s = file_->Append(line_);
    line_.clear();
    if (!s.ok()) {
      error_ = s;
      return s;
    }
  }
  return absl::OkStatus();
}

namespace {
absl::Status CheckWritable(bool closed, const absl::Status& error, const std::string& path) {
  if (!error.ok()) return error;
  if (closed) return absl::FailedPreconditionError(absl::StrCat("CSV writer for ", path, " is closed"));
  return absl::OkStatus();
}
}  // namespace

absl::Status CsvWriter::WriteRow(const std::vector<std::string_view>& fields) {
  DPKIT_RETURN_IF_ERROR(CheckWritable(closed_, error_, path_));
  if (fields.size() != num_fields_) {
    return absl::InvalidArgumentError(absl::StrCat("row ", rows_ + 1, " for ", path_, " has ",
                                                   fields.size(), " fields, the header has ",
                                                   num_fields_));
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line_.push_back(options_.delimiter);
    (void)AppendField(fields[i], false);
  }
  return EndRow();
}

absl::Status CsvWriter::WriteRow(const std::vector<std::string>& fields) {
  std::vector<std::string_view> views(fields.begin(), fields.end());
  return WriteRow(views);
}

absl::Status CsvWriter::WriteRow(const std::vector<std::optional<std::string>>& fields) {
  DPKIT_RETURN_IF_ERROR(CheckWritable(closed_, error_, path_));
  if (fields.size() != num_fields_) {
    return absl::InvalidArgumentError(absl::StrCat("row ", rows_ + 1, " for ", path_, " has ",
                                                   fields.size(), " fields, the header has ",
                                                   num_fields_));
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line_.push_back(options_.delimiter);
    (void)AppendField(fields[i].has_value() ? std::string_view(*fields[i]) : std::string_view(),
                      !fields[i].has_value());
  }
  return EndRow();
}

absl::Status CsvWriter::WriteRaw(std::string_view records) {
  DPKIT_RETURN_IF_ERROR(CheckWritable(closed_, error_, path_));
  line_.append(records.data(), records.size());
  if (line_.size() >= (1 << 16)) {
    absl::Status s = file_->Append(line_);
    line_.clear();
    if (!s.ok()) {
      error_ = s;
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status CsvWriter::Close() {
  DPKIT_RETURN_IF_ERROR(CheckWritable(closed_, error_, path_));
  closed_ = true;
  auto fail = [&](absl::Status s) {
    error_ = s;
    return s;
  };
  if (!line_.empty()) {
    absl::Status s = file_->Append(line_);
    line_.clear();
    if (!s.ok()) return fail(s);
  }
  absl::Status s = file_->Sync();
  if (!s.ok()) return fail(s);
  s = file_->Close();
  if (!s.ok()) return fail(s);
  s = env_->RenameFile(tmp_path_, path_);
  if (!s.ok()) return fail(s);
  s = env_->SyncDir(DirOf(path_));
  if (!s.ok()) return fail(s);
  return absl::OkStatus();
}

std::string WriteCsvString(const Table& table, const CsvWriteOptions& options) {
  std::string out;
  out.reserve(static_cast<size_t>(table.num_rows()) * (table.num_columns() * 8 + 1) + 4096);
  const int nc = table.num_columns();
  if (options.write_header) {
    for (int c = 0; c < nc; ++c) {
      if (c > 0) out.push_back(options.delimiter);
      AppendCsvField(table.column(c).name(), options.delimiter, options.null_token, &out);
    }
    out += options.line_ending;
  }
  const bool numbers_safe = NumbersSafe(options);
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    for (int c = 0; c < nc; ++c) {
      if (c > 0) out.push_back(options.delimiter);
      AppendCell(table.column(c), r, options, numbers_safe, &out);
    }
    out += options.line_ending;
  }
  return out;
}

absl::Status WriteCsv(const Table& table, const std::string& path, const CsvWriteOptions& options,
                      Env* env) {
  if (table.num_columns() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot write ", path, ": the table has no columns"));
  }
  DPKIT_ASSIGN_OR_RETURN(std::unique_ptr<CsvWriter> w,
                         CsvWriter::Open(path, table.ColumnNames(), options, env));
  // Format in blocks of rows; numbers with std::to_chars, strings straight from the dictionary.
  const int nc = table.num_columns();
  std::string block;
  const bool numbers_safe = NumbersSafe(options);
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    for (int c = 0; c < nc; ++c) {
      if (c > 0) block.push_back(options.delimiter);
      AppendCell(table.column(c), r, options, numbers_safe, &block);
    }
    block += options.line_ending;
    if (block.size() >= (1 << 16)) {
      DPKIT_RETURN_IF_ERROR(w->WriteRaw(block));
      block.clear();
    }
  }
  if (!block.empty()) DPKIT_RETURN_IF_ERROR(w->WriteRaw(block));
  return w->Close();
}

}  // namespace dpkit::io
