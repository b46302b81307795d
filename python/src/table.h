// Tables between Python and the C++ core: an io::Table is read from CSV text (a file, or the
// Arrow-written CSV buffer dpkit/_tables.py makes from a pandas/polars/pyarrow table) by the
// library's own CSV reader, so Python data is read under exactly the CLI's rules; a Table goes
// back to Python as one numpy array per column (no per-cell Python work either way).
#ifndef DPKIT_PYTHON_TABLE_H_
#define DPKIT_PYTHON_TABLE_H_

#include <optional>
#include <string>

#include <pybind11/pybind11.h>

#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"

namespace dpkit::python {

// How a table is read (the rules of dpkit/io/csv.h):
//   kPrivate  data for a DP release: io::CsvReadOptions::private_data under `schema` (types only
//             from the schema, undeclared columns text, unparsable cells NULL, no cell text or
//             line number in errors) — what `dpkit query/synth/pipeline` read.
//   kText     every column as text (pii::ReadCsvAsText's rule; data-owner tools).
//   kInfer    types inferred from all cells (the reader's default; `dpkit report`).
enum class ReadMode { kPrivate, kText, kInfer };
ReadMode ParseReadMode(const std::string& name);

// Reads `source`: a str (a CSV file path, gzip ok) or an object exporting a buffer of CSV text
// with a header row. `name` is used in error messages. Releases the GIL while parsing.
io::Table ReadTable(const pybind11::object& source, const std::optional<io::Schema>& schema,
                    ReadMode mode, const std::string& name);

// One dict per column: {"name", "type" (io::DataTypeName), "values" (int64 / float64 / bool /
// datetime64[D] ndarray; for strings the int32 codes), "valid" (bool ndarray, or None without
// nulls), "dictionary" (list of str for strings, else None)}.
pybind11::list TableColumns(const io::Table& table);

}  // namespace dpkit::python

#endif  // DPKIT_PYTHON_TABLE_H_
