// dpkit._dpkit.report: the synthetic-data evaluation (dpkit/report): fidelity, utility and
// privacy-attack metrics of a synthetic table against the real one, as JSON and a
// self-contained HTML page. NOT differentially private: it reads the real table (data owner).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "dpkit/base/env.h"
#include "dpkit/report/evaluation.h"
#include "dpkit/report/privacy_guarantee.h"
#include "dpkit/report/render.h"
#include "dpkit/report/table_input.h"
#include "status.h"
#include "workload.h"

namespace py = pybind11;

namespace dpkit::python {
namespace {

struct Evaluated {
  report::Evaluation evaluation;
  std::optional<report::PrivacyGuarantee> guarantee;
  const report::PrivacyGuarantee* g() const { return guarantee ? &*guarantee : nullptr; }
};

struct Args {
  std::string target, sensitive;
  std::vector<std::string> quasi_identifiers, identifiers, categorical, numeric;
  bool pii_detection = true;
  int kmarginal_k = 3, kmarginal_max = 300, privacy_sample = 500;
};

// The declared identifier columns, then those the pii detectors find in `real` (as
// `dpkit report` does unless --no-pii-detection).
void AddIdentifiers(const Args& a, const io::Table& real, report::EvaluationOptions& o) {
  for (const std::string& id : a.identifiers) {
    o.identifier_columns.push_back(id);
    o.identifier_entities.push_back("declared");
  }
  if (!a.pii_detection) return;
  for (const report::IdentifierColumn& d : report::DetectIdentifierColumns(real)) {
    const auto& ids = o.identifier_columns;
    if (std::find(ids.begin(), ids.end(), d.column) != ids.end()) continue;
    o.identifier_columns.push_back(d.column);
    o.identifier_entities.push_back(d.entity);
  }
}

Evaluated Evaluate(const io::Table& real, const io::Table& synthetic,
                   std::optional<io::Table> holdout, const Args& a,
                   std::optional<std::string> privacy_json, const py::object& generator) {
  Evaluated out;
  if (privacy_json) {
    out.guarantee = OrThrow(report::PrivacyGuarantee::FromJson(*privacy_json, "privacy"));
  }
  report::EvaluationOptions o;
  o.target = a.target;
  o.sensitive = a.sensitive;
  o.quasi_identifiers = a.quasi_identifiers;
  o.categorical = a.categorical;
  o.numeric = a.numeric;
  o.kmarginal_k = a.kmarginal_k;
  o.kmarginal_max = a.kmarginal_max;
  o.privacy_sample = a.privacy_sample;
  AddIdentifiers(a, real, o);
  random::BitGenerator& rng = GeneratorOr(generator);
  out.evaluation = OrThrow(WithoutGil([&] {
    const report::TextTable r = report::FromIoTable(real, "real");
    const report::TextTable s = report::FromIoTable(synthetic, "synthetic");
    std::optional<report::TextTable> h;
    if (holdout) h = report::FromIoTable(*holdout, "holdout");
    return report::Evaluate(r, s, h ? &*h : nullptr, o, rng);
  }));
  return out;
}

}  // namespace

void BindReport(py::module_& parent) {
  py::module_ m = parent.def_submodule("report", "Synthetic-data evaluation (not DP)");
  py::class_<Evaluated>(m, "Evaluation", "An evaluation of synthetic against real data (NOT DP).")
      .def("to_json", [](const Evaluated& e) { return report::RenderJson(e.evaluation, e.g()); })
      .def("to_html", [](const Evaluated& e) { return report::RenderHtml(e.evaluation, e.g()); })
      .def("write",
           [](const Evaluated& e, const std::string& html_path, const std::string& json_path) {
             ThrowIfError(
                 report::WriteReport(Env::Default(), e.evaluation, e.g(), html_path, json_path));
           },
           py::arg("html_path"), py::arg("json_path"),
           "Writes both files atomically (a failure names the path and leaves old files).")
      .def("verdicts", [](const Evaluated& e) {
        py::list out;
        for (const report::Verdict& v : report::Verdicts(e.evaluation, e.g())) {
          py::dict d;
          d["id"] = v.id;
          d["area"] = v.area;
          d["level"] = report::VerdictLevelName(v.level);
          d["headline"] = v.headline;
          d["explanation"] = v.explanation;
          out.append(d);
        }
        return out;
      });
  m.def(
      "evaluate",
      [](const io::Table& real, const io::Table& synthetic, std::optional<io::Table> holdout,
         const std::string& target, const std::string& sensitive,
         std::vector<std::string> quasi_identifiers, std::vector<std::string> identifiers,
         std::vector<std::string> categorical, std::vector<std::string> numeric,
         bool pii_detection, int kmarginal_k, int kmarginal_max, int privacy_sample,
         std::optional<std::string> privacy_json, const py::object& generator) {
        const Args a{target,        sensitive,   std::move(quasi_identifiers),
                     std::move(identifiers),     std::move(categorical),
                     std::move(numeric),         pii_detection,
                     kmarginal_k,   kmarginal_max, privacy_sample};
        return Evaluate(real, synthetic, std::move(holdout), a, privacy_json, generator);
      },
      py::arg("real"), py::arg("synthetic"), py::arg("holdout"), py::arg("target"),
      py::arg("sensitive"), py::arg("quasi_identifiers"), py::arg("identifiers"),
      py::arg("categorical"), py::arg("numeric"), py::arg("pii_detection"),
      py::arg("kmarginal_k"), py::arg("kmarginal_max"), py::arg("privacy_sample"),
      py::arg("privacy_json"), py::arg("generator") = py::none());
}

}  // namespace dpkit::python
