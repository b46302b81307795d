// dpkit._dpkit.pipeline: the end-to-end flow (dpkit/pipeline): CSV -> PII replacement -> DP
// synthesizer -> evaluation report, one ledger charge. pipeline::RunPipeline does everything
// (plan, charge, execute); this file only maps keyword options onto PipelineOptions, with the
// same names as the CLI's config file keys.
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "dpkit/pipeline/pipeline.h"
#include "status.h"
#include "workload.h"

namespace py = pybind11;

namespace dpkit::python {
namespace {

using Setter = std::function<void(pipeline::PipelineOptions&, const py::handle&)>;

template <typename T>
Setter Field(T pipeline::PipelineOptions::*field) {
  return [field](pipeline::PipelineOptions& o, const py::handle& v) { o.*field = v.cast<T>(); };
}

// The option names of PipelineOptions (and of the CLI's --config JSON).
const std::map<std::string, Setter>& Setters() {
  using O = pipeline::PipelineOptions;
  static const auto* setters = new std::map<std::string, Setter>{
      {"data", Field(&O::data)},
      {"out_dir", Field(&O::out_dir)},
      {"epsilon", Field(&O::epsilon)},
      {"delta", Field(&O::delta)},
      {"method", Field(&O::method)},
      {"rows", Field(&O::rows)},
      {"schema", Field(&O::schema)},
      {"policy", Field(&O::policy)},
      {"key_file", Field(&O::key_file)},
      {"ledger", Field(&O::ledger)},
      {"dataset", Field(&O::dataset)},
      {"privacy_unit", Field(&O::privacy_unit)},
      {"target", Field(&O::target)},
      {"holdout_fraction", Field(&O::holdout_fraction)},
      {"count_fraction", Field(&O::count_fraction)},
      {"bounds_fraction", Field(&O::bounds_fraction)},
      {"min_null_fraction", Field(&O::min_null_fraction)},
      {"decimals", Field(&O::decimals)},
      {"threads", Field(&O::threads)},
      {"dry_run", Field(&O::dry_run)},
  };
  return *setters;
}

pipeline::PipelineOptions Options(const py::dict& options, std::optional<std::string> config) {
  pipeline::PipelineOptions o;
  if (config) ThrowIfError(o.MergeJsonFile(*config));
  for (const auto& [key, value] : options) {
    const std::string name = py::str(key);
    auto it = Setters().find(name);
    if (it == Setters().end()) ThrowInvalidArgument("unknown pipeline option '" + name + "'");
    try {
      it->second(o, value);
    } catch (const py::cast_error&) {
      ThrowInvalidArgument("pipeline option '" + name + "' has the wrong type");
    }
  }
  return o;
}

pipeline::PipelineResult Run(const py::dict& options, std::optional<std::string> config,
                             const py::object& noise, const py::object& generator,
                             const py::object& progress) {
  pipeline::PipelineOptions o = Options(options, config);
  o.insecure_seed = NotPrivate(noise, generator);
  o.progress = ProgressFn(progress);
  const mechanisms::NoiseFactory& factory = NoiseOr(noise);
  random::BitGenerator& gen = GeneratorOr(generator);
  return OrThrow(WithoutGil([&] { return pipeline::RunPipeline(o, gen, Env::Default(), factory); }));
}

}  // namespace

void BindPipeline(py::module_& parent) {
  py::module_ m = parent.def_submodule("pipeline", "CSV -> PII -> DP synthesizer -> report");
  using R = pipeline::PipelineResult;
  py::class_<R>(m, "PipelineResult", "What a pipeline run wrote and charged.")
      .def_readonly("synthetic_csv", &R::synthetic_csv)
      .def_readonly("privacy_json", &R::privacy_json)
      .def_readonly("summary_json", &R::summary_json)
      .def_readonly("ledger", &R::ledger)
      .def_readonly("owner_dir", &R::owner_dir)
      .def_readonly("clean_csv", &R::clean_csv)
      .def_readonly("pii_json", &R::pii_json)
      .def_readonly("report_html", &R::report_html)
      .def_readonly("report_json", &R::report_json)
      .def_readonly("plan", &R::plan)
      .def_readonly("privacy_unit", &R::privacy_unit)
      .def_readonly("synthetic_rows", &R::synthetic_rows)
      .def_readonly("epsilon_charged", &R::epsilon_charged)
      .def_readonly("delta_charged", &R::delta_charged)
      .def_readonly("epsilon_remaining", &R::epsilon_remaining)
      .def_readonly("synthesized_columns", &R::synthesized_columns)
      .def_readonly("faked_columns", &R::faked_columns)
      .def_readonly("dropped_columns", &R::dropped_columns)
      .def_readonly("notes", &R::notes);
  m.def("run", &Run, py::arg("options"), py::arg("config") = py::none(),
        py::arg("noise") = py::none(), py::arg("generator") = py::none(),
        py::arg("progress") = py::none(), "pipeline::RunPipeline with these options.");
  py::list names;
  for (const auto& [name, setter] : Setters()) names.append(name);
  m.attr("OPTION_NAMES") = names;
}

}  // namespace dpkit::python
