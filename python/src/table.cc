#include "table.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "dpkit/io/csv.h"
#include "status.h"

namespace py = pybind11;

namespace dpkit::python {
namespace {

io::CsvReadOptions Options(const std::optional<io::Schema>& schema, ReadMode mode,
                           const std::string& name) {
  io::CsvReadOptions o;
  o.source_name = name;
  o.num_threads = 2;
  if (mode == ReadMode::kPrivate) {
    o.private_data = true;
    o.schema = schema.value_or(io::Schema{});
  }
  if (schema && !schema->null_tokens.empty()) o.null_tokens = schema->null_tokens;
  return o;
}

// The header's column names, every one declared text (pii::ReadCsvAsText's rule).
io::Schema AllText(const std::vector<std::string>& names) {
  io::Schema s;
  for (const std::string& n : names) s.columns.push_back({.name = n, .type = io::DataType::kString});
  return s;
}

absl::StatusOr<io::Table> Read(const std::string* path, std::string_view text,
                               io::CsvReadOptions o, ReadMode mode) {
  auto read = [&](const io::CsvReadOptions& opts) {
    return path ? io::ReadCsv(*path, opts) : io::ReadCsvString(text, opts);
  };
  if (mode == ReadMode::kText) {
    io::CsvReadOptions header = o;
    header.max_rows = 0;
    auto head = read(header);
    if (!head.ok()) return head.status();
    o.schema = AllText(head->ColumnNames());
  }
  return read(o);
}

template <typename T>
py::array_t<T> ToArray(const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
  if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(T));
  return a;
}

py::object Valid(const io::Column& c) {
  if (!c.has_nulls()) return py::none();
  py::array_t<bool> a(static_cast<py::ssize_t>(c.size()));
  bool* out = a.mutable_data();
  const std::vector<uint8_t>& v = c.validity();
  for (size_t i = 0; i < v.size(); ++i) out[i] = v[i] != 0;
  return a;
}

py::object Values(const io::Column& c) {
  switch (c.type()) {
    case io::DataType::kInt64:
      return ToArray(c.int64_values());
    case io::DataType::kDouble:
      return ToArray(c.double_values());
    case io::DataType::kString:
      return ToArray(c.codes());
    case io::DataType::kDate:
      return ToArray(c.int64_values()).attr("view")("datetime64[D]");
    case io::DataType::kBool:
      return ToArray(c.int64_values()).attr("astype")("bool");
  }
  return py::none();
}

}  // namespace

ReadMode ParseReadMode(const std::string& name) {
  if (name == "private") return ReadMode::kPrivate;
  if (name == "text") return ReadMode::kText;
  if (name == "infer") return ReadMode::kInfer;
  ThrowInvalidArgument("read mode must be 'private', 'text' or 'infer', got '" + name + "'");
}

io::Table ReadTable(const py::object& source, const std::optional<io::Schema>& schema,
                    ReadMode mode, const std::string& name) {
  const io::CsvReadOptions options = Options(schema, mode, name);
  if (py::isinstance<py::str>(source)) {
    const std::string path = source.cast<std::string>();
    py::gil_scoped_release nogil;
    return OrThrow(Read(&path, {}, options, mode));
  }
  const py::buffer_info info = py::reinterpret_borrow<py::buffer>(source).request();
  const std::string_view text(static_cast<const char*>(info.ptr),
                              static_cast<size_t>(info.size * info.itemsize));
  py::gil_scoped_release nogil;  // `source` (held by the caller) keeps the buffer alive
  return OrThrow(Read(nullptr, text, options, mode));
}

py::list TableColumns(const io::Table& table) {
  py::list out;
  for (const io::Column& c : table.columns()) {
    py::dict d;
    d["name"] = c.name();
    d["type"] = io::DataTypeName(c.type());
    d["values"] = Values(c);
    d["valid"] = Valid(c);
    d["dictionary"] = c.type() == io::DataType::kString ? py::cast(c.dictionary()) : py::none();
    out.append(d);
  }
  return out;
}

}  // namespace dpkit::python
