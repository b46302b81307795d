// dpkit._dpkit.io: schemas (the public description of a table, dpkit/io/schema.h) and tables.
// Workload bindings take an io.Table read by ReadTable (table.h) and an io.Schema.
#include <optional>
#include <string>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"
#include "status.h"
#include "table.h"

namespace py = pybind11;

namespace dpkit::python {

void BindIo(py::module_& parent) {
  py::module_ m = parent.def_submodule("io", "Schemas and tables");
  py::class_<io::Schema>(m, "Schema", R"doc(
The public description of a table (dpkit/io/schema.h): column types, bounds, bins, categories,
pii roles, null tokens and the privacy unit. Everything in it is treated as public: write it from
knowledge of the data's domain, never from the data itself.)doc")
      .def_static(
          "from_json",
          [](const std::string& json, const std::string& source) {
            return OrThrow(io::Schema::FromJson(json, source));
          },
          py::arg("json"), py::arg("source") = "schema",
          "Parses and validates (unknown keys are errors naming the key).")
      .def("to_json", &io::Schema::ToJson)
      .def_readonly("privacy_unit", &io::Schema::privacy_unit)
      .def_property_readonly("column_names", &io::Schema::ColumnNames)
      .def("__repr__", [](const io::Schema& s) {
        return "Schema(" + std::to_string(s.columns.size()) + " columns, privacy_unit '" +
               s.privacy_unit + "')";
      });

  py::class_<io::Table>(m, "Table", "A typed, column-oriented table held by the C++ core.")
      .def_property_readonly("num_rows", &io::Table::num_rows)
      .def_property_readonly("column_names", &io::Table::ColumnNames)
      .def("columns", &TableColumns,
           "One dict per column: name, type, values (ndarray), valid (ndarray or None), "
           "dictionary (strings).");

  m.def(
      "read_table",
      [](const py::object& source, std::optional<io::Schema> schema, const std::string& mode,
         const std::string& name) { return ReadTable(source, schema, ParseReadMode(mode), name); },
      py::arg("source"), py::arg("schema") = py::none(), py::arg("mode") = "private",
      py::arg("name") = "<data>",
      "Reads CSV text (a path, or a buffer of CSV text) with dpkit's CSV reader; mode "
      "'private' (DP release rules), 'text' (every column text) or 'infer'.");
  m.def(
      "read_header",
      [](const std::string& path) {
        io::CsvReadOptions o;
        o.max_rows = 0;
        return OrThrow(io::ReadCsv(path, o)).ColumnNames();
      },
      py::arg("path"), "The column names of a CSV file (its header; no row is read).");
}

}  // namespace dpkit::python
