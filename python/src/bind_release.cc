// dpkit._dpkit.release: the release protocol's plan (release::ReleasePlan) as a Python object,
// and dpkit._dpkit.testing.ZeroNoise (mechanisms::testing::ZeroNoise for workloads).
#include <string>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "dpkit/release/release.h"
#include "workload.h"

namespace py = pybind11;

namespace dpkit::python {
namespace {

// In the words of the seeded generator's warning (bind_random.cc), which a test compares.
constexpr char kZeroNoiseWarning[] =
    "dpkit: WARNING: dpkit.testing.ZeroNoise is set: releases add NO noise and provide NO "
    "privacy. Never publish these results.\n";

void WarnZeroNoise() {
  py::object err = py::module_::import("sys").attr("stderr");
  err.attr("write")(kZeroNoiseWarning);
  err.attr("flush")();
}

}  // namespace

void BindReleaseProtocol(py::module_& m) {
  py::module_ r = m.def_submodule("release", "The release protocol: plan -> charge -> execute");
  py::class_<release::ReleasePlan>(r, "ReleasePlan", R"doc(
What a release will charge, decided from public inputs only (dpkit/release/release.h): the
budget (dataset, privacy unit), the neighbouring relation, the PrivacyMaps the planned mechanisms
report, and the steps in words. Building one touches no data and spends nothing.)doc")
      .def_readonly("operation", &release::ReleasePlan::operation)
      .def_property_readonly("dataset",
                             [](const release::ReleasePlan& p) { return p.budget.dataset; })
      .def_property_readonly("unit", [](const release::ReleasePlan& p) { return p.budget.unit; })
      .def_property_readonly("ledger_unit",
                             [](const release::ReleasePlan& p) { return p.budget.LedgerUnit(); })
      .def_readonly("neighbouring", &release::ReleasePlan::neighbouring)
      .def_readonly("maps", &release::ReleasePlan::maps)
      .def_readonly("steps", &release::ReleasePlan::steps)
      .def("to_text", &release::ReleasePlan::ToText, "The plan as `--dry-run` prints it.")
      .def("__str__", &release::ReleasePlan::ToText)
      .def("__repr__", [](const release::ReleasePlan& p) {
        return "ReleasePlan(" + p.operation + " on '" + p.budget.dataset + "' / " +
               p.budget.LedgerUnit() + ")";
      });

  py::module_ t = m.attr("testing").cast<py::module_>();
  t.attr("ZERO_NOISE_WARNING") = std::string(kZeroNoiseWarning);
  py::class_<ZeroNoiseToken>(t, "ZeroNoise", R"doc(
NOT PRIVATE. Pass as noise= to a workload (synth, query, pipeline) to run the SAME mechanisms
(validation, calibration, privacy maps, noise scales, intervals) without adding noise, so tests
can check exact pre-noise values (mechanisms::testing::ZeroNoise). Creating one prints a warning
to stderr; charges made with it are recorded in the ledger as not private.)doc")
      .def(py::init([] {
        WarnZeroNoise();
        return ZeroNoiseToken{};
      }));
}

}  // namespace dpkit::python
