// dpkit._dpkit.accounting: accountants (basic, zCDP, RDP, PLD), composition theorems, zCDP and
// RDP conversions, PLD bounds, DP-SGD epsilon and noise calibration (dpkit/accounting/*.h).
// Accountants never sample noise; every number here is computed by the C++ library.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "absl/strings/str_cat.h"
#include "bindings.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/accounting/calibration.h"
#include "dpkit/accounting/composition.h"
#include "dpkit/accounting/pld.h"
#include "dpkit/accounting/rdp.h"
#include "dpkit/accounting/zcdp.h"
#include "dpkit/base/validation.h"
#include "status.h"

namespace py = pybind11;

namespace dpkit::python {
namespace {

using namespace dpkit::accounting;  // NOLINT: this file binds that namespace

ZcdpConversion ParseZcdpConversion(const std::string& name) {
  if (name == "cks20") return ZcdpConversion::kCks20;
  if (name == "classic") return ZcdpConversion::kClassic;
  ThrowInvalidArgument("zcdp conversion must be 'cks20' or 'classic', got '" + name + "'");
}

RdpConversion ParseRdpConversion(const std::string& name) {
  if (name == "improved") return RdpConversion::kImproved;
  if (name == "classic") return RdpConversion::kClassic;
  ThrowInvalidArgument("rdp conversion must be 'improved' or 'classic', got '" + name + "'");
}

// The options every accountant-taking function accepts, as keyword arguments.
AccountantOptions Options(const std::string& rdp_conversion, const std::string& zcdp_conversion,
                          std::optional<std::vector<double>> rdp_orders, double epsilon_error) {
  AccountantOptions o;
  o.rdp_conversion = ParseRdpConversion(rdp_conversion);
  o.zcdp_conversion = ParseZcdpConversion(zcdp_conversion);
  o.rdp_orders = rdp_orders.value_or(std::vector<double>{});
  o.pld.epsilon_error = epsilon_error;
  return o;
}

AccountantKind Kind(const std::string& name) { return OrThrow(ParseAccountantKind(name)); }

// An accountant owned by Python (Accountant is abstract and not copyable).
struct PyAccountant {
  std::unique_ptr<Accountant> impl;
};

PyAccountant MakeAccountant(const std::string& kind, const std::string& rdp_conversion,
                            const std::string& zcdp_conversion,
                            std::optional<std::vector<double>> rdp_orders, double epsilon_error) {
  return {OrThrow(CreateAccountant(
      Kind(kind), Options(rdp_conversion, zcdp_conversion, std::move(rdp_orders), epsilon_error)))};
}

#define DPKIT_ACCOUNTANT_OPTION_ARGS                                                    \
  py::arg("rdp_conversion") = "improved", py::arg("zcdp_conversion") = "cks20",         \
      py::arg("rdp_orders") = py::none(), py::arg("epsilon_error") = 0.01

void BindAccountant(py::module_& m) {
  py::class_<PyAccountant>(m, "Accountant", R"doc(
Composes PrivacyMaps and answers "what (epsilon, delta) has been spent?"
(dpkit/accounting/accountant.h). kind:
  "basic" sequential composition (each map at its tightest (epsilon, delta) first);
  "zcdp"  rhos add (Bun & Steinke 2016), converted by CKS20 Cor. 13 (or "classic");
  "rdp"   RDP curves add per order (Mironov 2017; subsampled Gaussian: Mironov, Talwar, Zhang
          2019), improved conversion (CKS20 / Asoodeh et al. 2021) by default;
  "pld"   numerical composition of privacy loss distributions with a rigorous error bound
          (Gopi, Lee, Wutschitz 2021); answers min(PLD upper bound, RDP, basic).
Every answer is a sound upper bound on the privacy loss of everything added. Deterministic; not
thread-safe (one thread at a time).)doc")
      .def(py::init(&MakeAccountant), py::arg("kind") = "pld", py::kw_only(),
           DPKIT_ACCOUNTANT_OPTION_ARGS)
      .def(
          "add", [](PyAccountant& a, const PrivacyMap& map) { ThrowIfError(a.impl->Add(map)); },
          py::arg("map"), "Adds one release (InvalidArgument if this kind cannot compose it).")
      .def(
          "add_all",
          [](PyAccountant& a, const std::vector<PrivacyMap>& maps) {
            std::unique_ptr<Accountant> next = a.impl->Clone();
            for (const PrivacyMap& map : maps) ThrowIfError(next->Add(map));
            a.impl = std::move(next);
          },
          py::arg("maps"), "Adds several releases, all or none.")
      .def(
          "epsilon", [](const PyAccountant& a, double delta) { return OrThrow(a.impl->Epsilon(delta)); },
          py::arg("delta"), "Smallest certified epsilon at `delta` (inf if none; 0 if empty).")
      .def(
          "delta", [](const PyAccountant& a, double epsilon) { return OrThrow(a.impl->Delta(epsilon)); },
          py::arg("epsilon"), "Smallest certified delta at `epsilon`.")
      .def_property_readonly("kind",
                             [](const PyAccountant& a) { return AccountantKindName(a.impl->kind()); })
      .def_property_readonly("notes", [](const PyAccountant& a) { return a.impl->Notes(); },
                             "Approximations taken by the last answers (e.g. PLD fell back to RDP).")
      .def("clone", [](const PyAccountant& a) { return PyAccountant{a.impl->Clone()}; })
      .def("__copy__", [](const PyAccountant& a) { return PyAccountant{a.impl->Clone()}; })
      .def("__deepcopy__",
           [](const PyAccountant& a, py::dict) { return PyAccountant{a.impl->Clone()}; });

  m.def(
      "composed_epsilon",
      [](const std::vector<PrivacyMap>& maps, double delta, const std::string& accountant,
         const std::string& rc, const std::string& zc, std::optional<std::vector<double>> orders,
         double ee) {
        return OrThrow(ComposedEpsilon(maps, delta, Kind(accountant), Options(rc, zc, orders, ee)));
      },
      py::arg("maps"), py::arg("delta"), py::kw_only(), py::arg("accountant") = "pld",
      DPKIT_ACCOUNTANT_OPTION_ARGS,
      "Epsilon of the sequential composition of `maps` at `delta` (a sound upper bound).");
  m.def(
      "composed_delta",
      [](const std::vector<PrivacyMap>& maps, double epsilon, const std::string& accountant,
         const std::string& rc, const std::string& zc, std::optional<std::vector<double>> orders,
         double ee) {
        return OrThrow(ComposedDelta(maps, epsilon, Kind(accountant), Options(rc, zc, orders, ee)));
      },
      py::arg("maps"), py::arg("epsilon"), py::kw_only(), py::arg("accountant") = "pld",
      DPKIT_ACCOUNTANT_OPTION_ARGS,
      "Delta of the sequential composition of `maps` at `epsilon` (a sound upper bound).");
}

void BindDpSgd(py::module_& m) {
  m.def(
      "dpsgd_privacy_map",
      [](int64_t examples, int64_t batch_size, double epochs, double noise_multiplier) {
        return OrThrow(DpSgdPrivacyMap({examples, batch_size, epochs}, noise_multiplier));
      },
      py::kw_only(), py::arg("examples"), py::arg("batch_size"), py::arg("epochs"),
      py::arg("noise_multiplier"), R"doc(
A DP-SGD schedule as one PrivacyMap: Poisson sampling at q = batch_size/examples for
ceil(epochs * examples / batch_size) steps, Gaussian noise of noise_multiplier * clipping norm
(TF Privacy's compute_dp_sgd_privacy convention; add/remove-one-example neighbours).)doc");

  py::class_<NoiseMultiplierResult>(m, "NoiseMultiplierResult")
      .def_readonly("noise_multiplier", &NoiseMultiplierResult::noise_multiplier)
      .def_readonly("epsilon", &NoiseMultiplierResult::epsilon)
      .def_readonly("evaluations", &NoiseMultiplierResult::evaluations)
      .def("__repr__", [](const NoiseMultiplierResult& r) {
        return absl::StrCat("NoiseMultiplierResult(noise_multiplier=", r.noise_multiplier,
                            ", epsilon=", r.epsilon, ", evaluations=", r.evaluations, ")");
      });
  m.def(
      "noise_multiplier",
      [](double target_epsilon, double delta, double sampling_rate, int64_t steps,
         const std::string& accountant, double tolerance, const std::string& rc,
         const std::string& zc, std::optional<std::vector<double>> orders, double ee) {
        return OrThrow(NoiseMultiplierForEpsilon(target_epsilon, delta, sampling_rate, steps,
                                                 Kind(accountant), Options(rc, zc, orders, ee),
                                                 tolerance));
      },
      py::kw_only(), py::arg("target_epsilon"), py::arg("delta"), py::arg("sampling_rate"),
      py::arg("steps"), py::arg("accountant") = "pld", py::arg("tolerance") = 1e-3,
      DPKIT_ACCOUNTANT_OPTION_ARGS, R"doc(
Smallest noise multiplier (within relative `tolerance`, never one that misses the target) such
that `steps` Poisson-subsampled Gaussian steps at `sampling_rate` are (target_epsilon, delta)-DP
under the given accountant. OutOfRange (raised as InvalidArgument) if unreachable.)doc");
}

std::vector<EpsilonDelta> Parts(const std::vector<std::pair<double, double>>& parts) {
  std::vector<EpsilonDelta> out;
  for (const auto& [e, d] : parts) out.push_back({e, d});
  return out;
}
std::pair<double, double> Pair(const EpsilonDelta& ed) { return {ed.epsilon, ed.delta}; }

void BindComposition(py::module_& m) {
  m.def(
      "compose_sequential",
      [](const std::vector<std::pair<double, double>>& p) {
        return Pair(OrThrow(ComposeSequential(Parts(p))));
      },
      py::arg("parts"), "(sum epsilon, sum delta) of (epsilon, delta) pairs (Dwork & Roth Thm 3.16).");
  m.def(
      "compose_parallel",
      [](const std::vector<std::pair<double, double>>& p) {
        return Pair(OrThrow(ComposeParallel(Parts(p))));
      },
      py::arg("parts"),
      "(max epsilon, max delta): valid only over disjoint partitions of the privacy units "
      "(McSherry 2009).");
  m.def(
      "compose_advanced",
      [](std::pair<double, double> step, int64_t k, double slack) {
        return Pair(OrThrow(ComposeAdvanced({step.first, step.second}, k, slack)));
      },
      py::arg("per_step"), py::arg("k"), py::arg("delta_slack"),
      "k-fold advanced composition (Dwork, Rothblum, Vadhan 2010 Thm III.3), or sequential if "
      "tighter.");
  m.def(
      "optimal_composition_epsilon",
      [](std::pair<double, double> step, int64_t k, double delta) {
        return OrThrow(OptimalCompositionEpsilon({step.first, step.second}, k, delta));
      },
      py::arg("per_step"), py::arg("k"), py::arg("delta"),
      "Exact epsilon of k-fold composition of (epsilon0, delta0)-DP mechanisms (Kairouz, Oh, "
      "Viswanath 2015).");
  m.def(
      "optimal_composition_delta",
      [](std::pair<double, double> step, int64_t k, double epsilon) {
        return OrThrow(OptimalCompositionDelta({step.first, step.second}, k, epsilon));
      },
      py::arg("per_step"), py::arg("k"), py::arg("epsilon"));
  m.def(
      "gaussian_epsilon",
      [](double nm, double delta) { return OrThrow(accounting::GaussianEpsilon(nm, delta)); },
      py::arg("noise_multiplier"), py::arg("delta"),
      "Exact epsilon at delta of one Gaussian mechanism (Balle & Wang 2018).");
  m.def(
      "gaussian_delta",
      [](double nm, double epsilon) { return OrThrow(accounting::GaussianDelta(nm, epsilon)); },
      py::arg("noise_multiplier"), py::arg("epsilon"));
  m.def(
      "zcdp_epsilon",
      [](double rho, double delta, const std::string& c) {
        return OrThrow(ZcdpEpsilon(rho, delta, ParseZcdpConversion(c)));
      },
      py::arg("rho"), py::arg("delta"), py::arg("conversion") = "cks20",
      "Smallest epsilon implied by rho-zCDP at delta (CKS20 Cor. 13, or Bun & Steinke Prop. 1.3).");
  m.def(
      "zcdp_delta",
      [](double rho, double epsilon, const std::string& c) {
        return OrThrow(ZcdpDelta(rho, epsilon, ParseZcdpConversion(c)));
      },
      py::arg("rho"), py::arg("epsilon"), py::arg("conversion") = "cks20");
}

void BindRdpAndPld(py::module_& m) {
  m.def("default_rdp_orders", &DefaultRdpOrders, "dpkit's RDP orders (a superset of TF Privacy's).");
  m.def(
      "privacy_map_rdp",
      [](const PrivacyMap& map, std::optional<std::vector<double>> orders) {
        return OrThrow(PrivacyMapRdp(map, orders.value_or(DefaultRdpOrders())));
      },
      py::arg("map"), py::arg("orders") = py::none(),
      "RDP curve of a map (with its repetitions) at each order.");
  m.def(
      "rdp_to_epsilon",
      [](const std::vector<double>& orders, const std::vector<double>& rdp, double delta,
         const std::string& c) {
        const RdpConversionResult r = OrThrow(RdpToEpsilon(orders, rdp, delta, ParseRdpConversion(c)));
        return std::make_pair(r.value, r.order);
      },
      py::arg("orders"), py::arg("rdp"), py::arg("delta"), py::arg("conversion") = "improved",
      "(epsilon, optimal order) certified by an RDP curve at delta.");

  py::class_<PldBound>(m, "PldBound", "lower <= true value <= upper; estimate in between.")
      .def_readonly("lower", &PldBound::lower)
      .def_readonly("estimate", &PldBound::estimate)
      .def_readonly("upper", &PldBound::upper)
      .def("__repr__", [](const PldBound& b) {
        return absl::StrCat("PldBound(lower=", b.lower, ", estimate=", b.estimate,
                            ", upper=", b.upper, ")");
      });
  py::class_<PldComposition>(m, "PldComposition", R"doc(
The composed privacy loss distribution of a list of maps (PRV accountant of Gopi, Lee,
Wutschitz 2021) with rigorous two-sided bounds: delta(epsilon) and epsilon(delta) come as
PldBound(lower, estimate, upper); `upper` is the sound privacy claim.)doc")
      .def(py::init([](const std::vector<PrivacyMap>& maps, double epsilon_error) {
             PldOptions o;
             o.epsilon_error = epsilon_error;
             return OrThrow(PldComposition::Create(maps, o));
           }),
           py::arg("maps"), py::kw_only(), py::arg("epsilon_error") = 0.01)
      .def(
          "epsilon",
          [](const PldComposition& p, double delta) {
            ThrowIfError(ValidateOpenUnitInterval("delta", delta));
            return p.Epsilon(delta);
          },
          py::arg("delta"))
      .def(
          "delta",
          [](const PldComposition& p, double epsilon) {
            ThrowIfError(ValidateNonNegativeFinite("epsilon", epsilon));
            return p.Delta(epsilon);
          },
          py::arg("epsilon"))
      .def_property_readonly("epsilon_error", &PldComposition::epsilon_error)
      .def_property_readonly("delta_error", &PldComposition::delta_error)
      .def_property_readonly("grid_points", &PldComposition::grid_points)
      .def_property_readonly("notes", &PldComposition::Notes);
}

}  // namespace

void BindAccounting(py::module_& parent) {
  py::module_ m = parent.def_submodule("accounting", "dpkit privacy accounting");
  BindAccountant(m);
  BindDpSgd(m);
  BindComposition(m);
  BindRdpAndPld(m);
}

}  // namespace dpkit::python
