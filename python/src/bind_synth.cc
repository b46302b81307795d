// dpkit._dpkit.synth: DP synthetic tables (dpkit/synth) through the release protocol.
// plan() is synth::PlanSynth (public inputs only: column names, schema, options); release() is
// synth::ReleaseSynth: it charges the plan's maps to a named ledger and only then fits. The
// fitted model samples io.Tables (post-processing). dpkit/synth.py is the Python API.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"
#include "dpkit/synth/plan.h"
#include "dpkit/synth/synth_options.h"
#include "dpkit/synth/synthesizer.h"
#include "status.h"
#include "workload.h"

namespace py = pybind11;

namespace dpkit::python {
namespace {

synth::SynthOptions MakeOptions(const std::string& method, double epsilon, double delta,
                                double preprocessing_fraction, double partition_delta_fraction,
                                int numeric_bins, int quantile_grid,
                                std::vector<std::vector<std::string>> workload, int rounds,
                                double max_model_mb, int iters, int threads) {
  synth::SynthOptions o;
  o.method = OrThrow(synth::ParseMethod(method));
  o.epsilon = epsilon;
  o.delta = delta;
  o.preprocessing_fraction = preprocessing_fraction;
  o.partition_delta_fraction = partition_delta_fraction;
  o.numeric_bins = numeric_bins;
  o.quantile_grid = quantile_grid;
  o.workload = std::move(workload);
  o.rounds = rounds;
  o.max_model_mb = max_model_mb;
  o.inference.max_iters = iters;
  o.threads = threads;
  ThrowIfError(synth::ValidateOptions(o));
  return o;
}

// A fit that was charged: the model and the ledger receipt.
struct Fitted {
  std::shared_ptr<const synth::SynthRelease> release;
  bool not_private = false;
};

Fitted Release(const synth::SynthPlan& plan, const io::Table& table, const std::string& dataset,
               const std::string& operation, const std::string& ledger_path,
               const py::object& noise, const py::object& generator, const py::object& progress) {
  const bool not_private = NotPrivate(noise, generator);
  const mechanisms::NoiseFactory& factory = NoiseOr(noise);
  random::BitGenerator& gen = GeneratorOr(generator);
  std::unique_ptr<release::LedgerCharger> charger = OpenCharger(ledger_path, not_private);
  synth::SynthPlan with_progress = plan;
  with_progress.options.progress = ProgressFn(progress);
  // A long fit without the GIL; progress lines re-acquire it.
  synth::SynthRelease r = OrThrow(WithoutGil([&] {
    return synth::ReleaseSynth(with_progress, table, dataset, operation, *charger, factory, gen);
  }));
  return {std::make_shared<const synth::SynthRelease>(std::move(r)), not_private};
}

int64_t Rows(const Fitted& f, std::optional<int64_t> rows) {
  if (rows) {
    if (*rows < 0) ThrowInvalidArgument("rows must be >= 0, got " + std::to_string(*rows));
    return *rows;
  }
  // The model's DP estimate of the number of rows (units) it was fitted on, as the CLI does.
  return static_cast<int64_t>(
      std::llround(std::max(0.0, f.release->model.report().fit.estimated_rows)));
}

void BindPlan(py::module_& m) {
  py::class_<synth::SynthPlan>(m, "SynthPlan", "A synthesizer fit planned from public inputs.")
      .def_readonly("unit", &synth::SynthPlan::unit)
      .def_readonly("notes", &synth::SynthPlan::notes)
      .def_readonly("rho_total", &synth::SynthPlan::rho_total)
      .def_property_readonly("neighbouring", &synth::SynthPlan::neighbouring)
      .def_property_readonly("columns",
                             [](const synth::SynthPlan& p) {
                               std::vector<std::string> names;
                               for (const auto& c : p.columns) names.push_back(c.name);
                               return names;
                             })
      .def_property_readonly("privacy_maps", &synth::SynthPlan::privacy_maps)
      .def("release_plan", &synth::SynthPlan::ToRelease, py::arg("dataset"), py::arg("operation"));
  py::class_<synth::SynthOptions>(m, "SynthOptions", "Validated synthesizer options.")
      .def(py::init(&MakeOptions), py::kw_only(), py::arg("method"), py::arg("epsilon"),
           py::arg("delta"), py::arg("preprocessing_fraction"),
           py::arg("partition_delta_fraction"), py::arg("numeric_bins"),
           py::arg("quantile_grid"), py::arg("workload"), py::arg("rounds"),
           py::arg("max_model_mb"), py::arg("iters"), py::arg("threads"));
  m.def(
      "plan",
      [](const std::vector<std::string>& columns, std::optional<io::Schema> schema,
         const synth::SynthOptions& options) {
        return OrThrow(synth::PlanSynth(columns, schema.value_or(io::Schema{}), options));
      },
      py::arg("columns"), py::arg("schema"), py::arg("options"),
      "synth::PlanSynth: from column names, schema and options only (no data).");
}

void BindFitted(py::module_& m) {
  py::class_<Fitted>(m, "Fitted", "A synthesizer fit charged to the ledger, then fitted.")
      .def_property_readonly("receipt", [](const Fitted& f) { return f.release->receipt; })
      .def_property_readonly("not_private", [](const Fitted& f) { return f.not_private; })
      .def_property_readonly("column_names",
                             [](const Fitted& f) { return f.release->model.column_names(); })
      .def("report_json", [](const Fitted& f) { return f.release->model.report().ToJson(); })
      .def(
          "sample",
          [](const Fitted& f, std::optional<int64_t> rows, const py::object& generator) {
            random::BitGenerator& gen = GeneratorOr(generator);
            const int64_t n = Rows(f, rows);
            return OrThrow(WithoutGil([&] { return f.release->model.Sample(n, gen); }));
          },
          py::arg("rows") = py::none(), py::arg("generator") = py::none())
      .def(
          "sample_to_csv",
          [](const Fitted& f, const std::string& path, std::optional<int64_t> rows,
             const py::object& generator) {
            random::BitGenerator& gen = GeneratorOr(generator);
            const int64_t n = Rows(f, rows);
            ThrowIfError(WithoutGil([&] { return f.release->model.SampleToCsv(path, n, gen); }));
            return n;
          },
          py::arg("path"), py::arg("rows") = py::none(), py::arg("generator") = py::none());
  m.def("release", &Release, py::arg("plan"), py::arg("table"), py::arg("dataset"),
        py::arg("operation"), py::arg("ledger"), py::arg("noise") = py::none(),
        py::arg("generator") = py::none(), py::arg("progress") = py::none(),
        "synth::ReleaseSynth: charges the plan to the named ledger, then fits.");
}

}  // namespace

void BindSynth(py::module_& parent) {
  py::module_ m = parent.def_submodule("synth", "DP synthetic data (MST, AIM)");
  BindPlan(m);
  BindFitted(m);
}

}  // namespace dpkit::python
