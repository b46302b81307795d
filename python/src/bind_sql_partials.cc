// dpkit._dpkit.analytics: DP SQL over a table held in slices (dpkit/analytics/sql_partials.h),
// the engine of dpkit.spark. SqlOverPartials plans on the coordinator (public inputs only),
// charges the named ledger and draws the salt, and releases the merged partials;
// compute_sql_partial runs on each slice where it lives; split_by_group cuts a partial into
// per-group pieces for a shuffle by group key. The protocol and every check are the library's.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "analytics.h"
#include "bindings.h"
#include "dpkit/analytics/sql_partials.h"
#include "status.h"
#include "workload.h"

namespace py = pybind11;

namespace dpkit::python {
namespace {

using analytics::SqlOverPartials;

analytics::SqlOptions Options(std::optional<double> epsilon, std::optional<double> delta,
                              int64_t max_groups, int64_t max_rows, double confidence,
                              const std::string& mechanism) {
  return {.epsilon = epsilon, .delta = delta, .max_groups_per_unit = max_groups,
          .max_rows_per_group = max_rows, .confidence = confidence,
          .noise = ParseNoise(mechanism)};
}

// A planned statement and, once charged, the noise and generator its release must use (fixed
// at the charge, so the ledger's not-private mark describes the release).
struct Sliced {
  SqlOverPartials query;
  py::object noise = py::none(), generator = py::none();
  bool not_private = false;
};

Sliced Plan(const std::string& sql, const std::string& table, std::vector<std::string> columns,
            std::optional<io::Schema> schema, const std::string& dataset,
            std::optional<double> epsilon, std::optional<double> delta, int64_t max_groups,
            int64_t max_rows, double confidence, const std::string& mechanism) {
  analytics::SlicedTable shape{table, std::move(columns), std::move(schema), dataset};
  const analytics::SqlOptions options =
      Options(epsilon, delta, max_groups, max_rows, confidence, mechanism);
  return Sliced{OrThrow(SqlOverPartials::Plan(sql, shape, options))};
}

std::string ExplainText(const Sliced& s, std::optional<std::string> ledger) {
  std::unique_ptr<release::LedgerCharger> charger;
  if (ledger) charger = OpenCharger(*ledger, false);
  return s.query.ExplainText(charger.get());
}

uint64_t Charge(Sliced& s, const std::string& ledger, const py::object& noise,
                const py::object& generator) {
  s.not_private = NotPrivate(noise, generator);
  std::unique_ptr<release::LedgerCharger> charger = OpenCharger(ledger, s.not_private);
  random::BitGenerator& rng = GeneratorOr(generator);
  const uint64_t salt = OrThrow(WithoutGil([&] { return s.query.Charge(*charger, rng); }));
  s.noise = noise;
  s.generator = generator;
  return salt;
}

SqlAnswer Release(Sliced& s, const analytics::PartialAggregates& merged) {
  analytics::ExecutionOptions exec;
  exec.rng = &GeneratorOr(s.generator);
  exec.noise = &NoiseOr(s.noise);
  SqlAnswer answer;
  answer.not_private = s.not_private;
  answer.load_notes = s.query.notes();
  answer.result = OrThrow(WithoutGil([&] { return s.query.Release(merged, exec); }));
  return answer;
}

analytics::PartialAggregates ComputePartial(const std::string& sql, const std::string& table,
                                            std::optional<io::Schema> schema,
                                            const py::buffer& text, std::optional<double> epsilon,
                                            std::optional<double> delta, int64_t max_groups,
                                            int64_t max_rows, double confidence,
                                            const std::string& mechanism, uint64_t salt) {
  const py::buffer_info held = text.request();
  analytics::CsvTableSource slice{table, table, "", std::move(schema)};
  slice.text = std::string_view(static_cast<const char*>(held.ptr),
                                static_cast<size_t>(held.size * held.itemsize));
  const analytics::SqlOptions options =
      Options(epsilon, delta, max_groups, max_rows, confidence, mechanism);
  io::CsvReadOptions dialect;
  dialect.num_threads = 1;  // one slice per engine task, one core each
  return OrThrow(WithoutGil(
      [&] { return analytics::ComputeSqlPartial(sql, slice, options, dialect, salt); }));
}

// The status code whose name (absl::StatusCodeToString) is `name`; INTERNAL for no such name.
absl::StatusCode CodeNamed(const std::string& name) {
  for (int c = 1; c <= 16; ++c) {
    const auto code = static_cast<absl::StatusCode>(c);
    if (absl::StatusCodeToString(code) == name) return code;
  }
  return absl::StatusCode::kInternal;
}

py::list SplitByGroup(const analytics::PartialAggregates& partial) {
  py::list out;
  for (const auto& [key, piece] : partial.SplitByGroup()) {
    out.append(py::make_tuple(py::bytes(key), py::bytes(piece.Serialize())));
  }
  return out;
}

}  // namespace

void BindSqlPartials(py::module_& parent) {
  py::module_ m = parent.attr("analytics");
  py::class_<Sliced>(m, "SqlOverPartials", R"doc(
A DP SQL statement over a table held in slices (dpkit/analytics/sql_partials.h): planned from
public inputs, charged (which draws the salt every slice uses), released once from the merged
partial aggregates of all slices.)doc")
      .def(py::init(&Plan), py::arg("sql"), py::arg("table"), py::arg("columns"),
           py::arg("schema"), py::arg("dataset"), py::arg("epsilon"), py::arg("delta"),
           py::arg("max_groups"), py::arg("max_rows"), py::arg("confidence"),
           py::arg("mechanism"))
      .def_property_readonly("explain", [](const Sliced& s) { return s.query.explain(); })
      .def_property_readonly("slice_columns",
                             [](const Sliced& s) { return s.query.slice_columns(); })
      .def_property_readonly("slice_schema", [](const Sliced& s) { return s.query.slice_schema(); })
      .def_property_readonly("notes", [](const Sliced& s) { return s.query.notes(); })
      .def_property_readonly("plan_text", [](const Sliced& s) { return s.query.plan().ToText(); })
      .def_property_readonly("release_plan", [](const Sliced& s) { return s.query.release_plan(); })
      .def("explain_text", &ExplainText, py::arg("ledger") = py::none())
      .def("charge", &Charge, py::arg("ledger"), py::arg("noise") = py::none(),
           py::arg("generator") = py::none())
      .def("release", &Release, py::arg("merged"))
      .def(
          "charged_failure",
          [](const Sliced& s, const std::string& message, const std::string& code) {
            ThrowIfError(s.query.ChargedFailure(absl::Status(CodeNamed(code), message)));
          },
          py::arg("message"), py::arg("code") = "INTERNAL",
          "Raises `message` (status `code`, e.g. DATA_LOSS) as a failure after the charge.");
  m.def("compute_sql_partial", &ComputePartial, py::arg("sql"), py::arg("table"),
        py::arg("schema"), py::arg("text"), py::arg("epsilon"), py::arg("delta"),
        py::arg("max_groups"), py::arg("max_rows"), py::arg("confidence"), py::arg("mechanism"),
        py::arg("salt"));
  m.def("split_by_group", &SplitByGroup, py::arg("partial"),
        "(key, serialized partial) per group: pieces that merge back into `partial`.");
}

}  // namespace dpkit::python
