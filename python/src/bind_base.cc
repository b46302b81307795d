// dpkit._dpkit.PrivacyMap: what a release costs, as data (dpkit/base/privacy_map.h). Maps are
// immutable in Python: built validated, composed by accountants, stored by the ledger.
#include <cstdint>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "dpkit/base/privacy_map.h"
#include "status.h"

namespace py = pybind11;

namespace dpkit::python {
namespace {

PrivacyMap MakeMap(const std::string& kind, double epsilon, double delta, double rho,
                   double noise_multiplier, double sampling_rate, int64_t repetitions,
                   std::vector<double> rdp_orders, std::vector<double> rdp_epsilons,
                   const std::string& mechanism) {
  PrivacyMap m;
  m.kind = OrThrow(ParsePrivacyMapKind(kind));
  m.mechanism = mechanism.empty() ? kind : mechanism;
  m.epsilon = epsilon;
  m.delta = delta;
  m.rho = rho;
  m.noise_multiplier = noise_multiplier;
  m.sampling_rate = sampling_rate;
  m.repetitions = repetitions;
  m.rdp_orders = std::move(rdp_orders);
  m.rdp_epsilons = std::move(rdp_epsilons);
  ThrowIfError(m.Validate());
  return m;
}

PrivacyMap Checked(PrivacyMap m) {
  ThrowIfError(m.Validate());
  return m;
}

}  // namespace

void BindBase(py::module_& m) {
  py::class_<PrivacyMap>(m, "PrivacyMap", R"doc(
What one release costs, carried as data (dpkit/base/privacy_map.h).

Mechanisms report their PrivacyMap; accountants compose maps; the ledger stores them. A map is
not a claim a caller makes: take it from the mechanism that ran (Release.privacy_map), from
dpkit.accounting.dpsgd_privacy_map, or build one here for a mechanism run elsewhere.

kind and the fields it uses:
  pure_dp             epsilon
  approx_dp           epsilon, delta
  zcdp                rho
  laplace             noise_multiplier = b / Delta_1 (epsilon = 1/noise_multiplier)
  discrete_laplace    noise_multiplier = t / Delta_1
  gaussian            noise_multiplier = sigma / Delta_2
  discrete_gaussian   noise_multiplier = sigma / Delta_2
  subsampled_gaussian noise_multiplier, sampling_rate (Poisson), add/remove neighbours
  rdp_curve           rdp_orders -> rdp_epsilons
Every kind may carry repetitions (>= 1): the map self-composed that many times.
Construction validates every field (InvalidArgument naming the field otherwise).)doc")
      .def(py::init(&MakeMap), py::arg("kind"), py::kw_only(), py::arg("epsilon") = 0.0,
           py::arg("delta") = 0.0, py::arg("rho") = 0.0, py::arg("noise_multiplier") = 0.0,
           py::arg("sampling_rate") = 1.0, py::arg("repetitions") = 1,
           py::arg("rdp_orders") = std::vector<double>{},
           py::arg("rdp_epsilons") = std::vector<double>{}, py::arg("mechanism") = "")
      .def_static(
          "pure_dp", [](double e, const std::string& n) { return Checked(PrivacyMap::PureDp(e, n)); },
          py::arg("epsilon"), py::arg("mechanism") = "pure_dp", "An epsilon-DP (pure) release.")
      .def_static(
          "approx_dp",
          [](double e, double d, const std::string& n) {
            return Checked(PrivacyMap::ApproxDp(e, d, n));
          },
          py::arg("epsilon"), py::arg("delta"), py::arg("mechanism") = "approx_dp",
          "An (epsilon, delta)-DP release (composes only by basic/advanced composition or PLD).")
      .def_static(
          "zcdp", [](double r, const std::string& n) { return Checked(PrivacyMap::Zcdp(r, n)); },
          py::arg("rho"), py::arg("mechanism") = "zcdp", "A rho-zCDP release.")
      .def_static(
          "laplace",
          [](double nm, const std::string& n) { return Checked(PrivacyMap::Laplace(nm, n)); },
          py::arg("noise_multiplier"), py::arg("mechanism") = "laplace",
          "Laplace noise of scale noise_multiplier * Delta_1 (epsilon = 1/noise_multiplier).")
      .def_static(
          "gaussian",
          [](double nm, const std::string& n) { return Checked(PrivacyMap::Gaussian(nm, n)); },
          py::arg("noise_multiplier"), py::arg("mechanism") = "gaussian",
          "Gaussian noise of sigma = noise_multiplier * Delta_2.")
      .def_static(
          "subsampled_gaussian",
          [](double nm, double q, int64_t steps, const std::string& n) {
            return Checked(PrivacyMap::SubsampledGaussian(nm, q, steps, n));
          },
          py::arg("noise_multiplier"), py::arg("sampling_rate"), py::arg("steps"),
          py::arg("mechanism") = "dp-sgd",
          "steps Poisson-subsampled Gaussian steps (DP-SGD), add/remove-one neighbours.")
      .def_static(
          "from_json", [](const std::string& j) { return OrThrow(PrivacyMap::FromJson(j)); },
          py::arg("json"), "Parses and validates the JSON form (as stored by the ledger).")
      .def("to_json", &PrivacyMap::ToJson)
      .def(
          "with_repetitions",
          [](const PrivacyMap& self, int64_t repetitions) {
            PrivacyMap copy = self;
            copy.repetitions = repetitions;
            return Checked(copy);
          },
          py::arg("repetitions"), "This map self-composed `repetitions` times (a new map).")
      .def_property_readonly("kind", [](const PrivacyMap& p) { return PrivacyMapKindName(p.kind); })
      .def_readonly("mechanism", &PrivacyMap::mechanism)
      .def_readonly("epsilon", &PrivacyMap::epsilon)
      .def_readonly("delta", &PrivacyMap::delta)
      .def_readonly("rho", &PrivacyMap::rho)
      .def_readonly("noise_multiplier", &PrivacyMap::noise_multiplier)
      .def_readonly("sampling_rate", &PrivacyMap::sampling_rate)
      .def_readonly("repetitions", &PrivacyMap::repetitions)
      .def_readonly("rdp_orders", &PrivacyMap::rdp_orders)
      .def_readonly("rdp_epsilons", &PrivacyMap::rdp_epsilons)
      .def("__eq__",
           [](const PrivacyMap& a, const PrivacyMap& b) { return a.ToJson() == b.ToJson(); })
      .def("__hash__", [](const PrivacyMap& a) { return py::hash(py::str(a.ToJson())); })
      .def("__str__", &PrivacyMap::ToString)
      .def("__repr__", [](const PrivacyMap& p) { return "PrivacyMap(" + p.ToString() + ")"; })
      .def(py::pickle([](const PrivacyMap& p) { return p.ToJson(); },
                      [](const std::string& j) { return OrThrow(PrivacyMap::FromJson(j)); }));
}

}  // namespace dpkit::python
