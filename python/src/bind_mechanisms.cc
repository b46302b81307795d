// dpkit._dpkit.mechanisms: every noise mechanism of dpkit/mechanisms, with vectorised releases.
//
// A mechanism object is built (and validated) once by the C++ factory; release()/select()/
// randomize() loop over the cells of a numpy array in C++, one exact draw per cell through the
// mechanism's own AddNoise/Select/Randomize, and return a Release with the values, confidence
// intervals, noise scale and the PrivacyMap of the whole array (see SetCellsPrivacy). Nothing
// privacy-relevant is computed here: every number comes from the C++ mechanism.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "bindings.h"
#include "dpkit/base/validation.h"
#include "dpkit/mechanisms/calibration.h"
#include "dpkit/mechanisms/gaussian.h"
#include "dpkit/mechanisms/laplace.h"
#include "dpkit/mechanisms/randomized_response.h"
#include "dpkit/mechanisms/registry.h"
#include "dpkit/mechanisms/selection.h"
#include "dpkit/mechanisms/sparse_vector.h"
#include "release.h"
#include "status.h"

namespace py = pybind11;

namespace dpkit::python {
namespace {

using namespace dpkit::mechanisms;  // NOLINT: this file binds that namespace

// Runs `body` without the GIL when the generator is the secure one (thread-safe); a seeded
// generator is only thread-compatible, so its users stay serialised by the GIL.
template <typename F>
void Draw(random::BitGenerator& gen, F&& body) {
  if (gen.IsSecure()) {
    py::gil_scoped_release nogil;
    body();
  } else {
    body();
  }
}

// Raises the first failure of a cell loop, naming the cell's flat index (never its value).
void ThrowCellError(const absl::Status& status, py::ssize_t index) {
  if (status.ok()) return;
  throw StatusError(
      absl::Status(status.code(), absl::StrCat("values[", index, "] (flat index): ", status.message())));
}

// One AddNoise per cell, its exact confidence interval next to it.
template <typename T, typename Mech>
Release AdditiveRelease(const Mech& mech, Release r, const py::array_t<T>& x, double confidence,
                        const std::string& per_cell_claim, bool disjoint,
                        const py::object& generator) {
  ThrowIfError(ValidateOpenUnitInterval("confidence", confidence));
  const py::ssize_t n = x.size();
  if (n == 0) ThrowInvalidArgument("values is empty: there is nothing to release");
  random::BitGenerator& gen = GeneratorOr(generator);
  py::array_t<T> y(n);
  py::array_t<double> low(n), high(n);
  const T* in = x.data();
  T* out = y.mutable_data();
  double* lo = low.mutable_data();
  double* hi = high.mutable_data();
  absl::Status failure;
  py::ssize_t failed_at = 0;
  Draw(gen, [&] {
    for (py::ssize_t i = 0; i < n; ++i) {
      absl::StatusOr<T> v = mech.AddNoise(in[i], gen);
      if (!v.ok()) {
        failure = v.status();
        failed_at = i;
        return;
      }
      out[i] = *v;
      absl::StatusOr<Interval> ci = mech.ConfidenceInterval(*v, confidence);
      if (!ci.ok()) {
        failure = ci.status();
        failed_at = i;
        return;
      }
      lo[i] = ci->lower;
      hi[i] = ci->upper;
    }
  });
  ThrowCellError(failure, failed_at);
  r.output_kind = "value";
  r.value = Shaped(y, x);
  r.ci_low = Shaped(low, x);
  r.ci_high = Shaped(high, x);
  r.confidence = confidence;
  r.cells = n;
  r.secure = gen.IsSecure();
  SetCellsPrivacy(r, mech.privacy_map(), per_cell_claim, disjoint);
  return r;
}

template <typename Mech>
Release NoiseMeta(const Mech& m, const char* name, const char* scale_meaning) {
  Release r;
  r.mechanism = name;
  r.noise_scale = m.noise_scale();
  r.noise_scale_meaning = scale_meaning;
  r.noise_stddev = m.noise_stddev();
  return r;
}

std::string Claim(const LaplaceMechanism& m) {
  return absl::StrCat("epsilon=", Num(m.epsilon()), " pure DP for l1 sensitivity ",
                      Num(m.options().l1_sensitivity));
}
std::string Claim(const DiscreteLaplaceMechanism& m) {
  return absl::StrCat("epsilon=", Num(m.epsilon()), " pure DP for integer l1 sensitivity ",
                      m.options().l1_sensitivity);
}
template <typename Gaussian>
std::string GaussianClaim(const Gaussian& m, const std::string& sensitivity) {
  const auto& o = m.options();
  if (o.rho || o.sigma) {
    return absl::StrCat("rho=", Num(m.rho()), " zCDP for l2 sensitivity ", sensitivity,
                        o.sigma ? " (sigma given; delta_for_epsilon(e) gives the exact delta)" : "");
  }
  return absl::StrCat("(epsilon=", Num(o.epsilon), ", delta=", Num(o.delta),
                      ")-DP for l2 sensitivity ", sensitivity, " (",
                      GaussianCalibrationName(o.calibration), " calibration; exact delta at this sigma ",
                      Num(m.DeltaForEpsilon(o.epsilon)), "); also rho=", Num(m.rho()), " zCDP");
}
std::string Claim(const GaussianMechanism& m) {
  return GaussianClaim(m, Num(m.options().l2_sensitivity));
}
std::string Claim(const DiscreteGaussianMechanism& m) {
  return GaussianClaim(m, absl::StrCat("integer ", m.options().l2_sensitivity));
}

GaussianCalibration Calibration(const std::string& name) {
  return OrThrow(ParseGaussianCalibration(name));
}

template <typename Options>
void SetGaussianTarget(Options& o, std::optional<double> epsilon, std::optional<double> delta,
                       std::optional<double> rho, std::optional<double> sigma) {
  o.epsilon = epsilon.value_or(0);
  o.delta = delta.value_or(0);
  o.rho = rho;
  o.sigma = sigma;
}

constexpr char kMapForDoc[] = R"doc(
The PrivacyMap a release of `cells` cells will report, before any data is touched: charge it to
the ledger first, then release. disjoint as in release().)doc";

// Adds privacy_map_for(cells, disjoint) to a mechanism class with a privacy_map() of one cell.
template <typename Class>
void DefMapFor(Class& c, bool disjoint_default) {
  using Mech = typename Class::type;
  c.def(
      "privacy_map_for",
      [](const Mech& m, int64_t cells, bool disjoint) {
        return CellsMap(m.privacy_map(), cells, disjoint);
      },
      py::arg("cells"), py::kw_only(), py::arg("disjoint") = disjoint_default, kMapForDoc);
}

constexpr char kReleaseDoc[] = R"doc(
Adds noise to every cell of `values` (a number or a numpy array of any shape) and returns a
Release: noisy values of the same shape, exact confidence intervals at level `confidence`, the
noise scale, and the PrivacyMap of the whole release.

Privacy: each cell gets this mechanism's guarantee for the sensitivity given at construction.
disjoint=False (default): every cell may change between neighbouring datasets, so the release is
the n-fold composition (privacy_map.repetitions = n). disjoint=True: each privacy unit changes at
most one cell (e.g. a histogram over disjoint partitions), so the release costs one cell's map.
generator: None (the secure generator) or a dpkit.testing.SeededGenerator (NOT private).)doc";

void BindRelease(py::module_& m) {
  py::class_<Release>(m, "Release", R"doc(
The result of one release: `value` (noisy numbers, selected indices, reports or answers, shaped
like the input), `ci_low`/`ci_high` (confidence interval per value at `confidence`; None where
an output has none), `noise_scale` (and what it means), `privacy_map` (the cost of the whole
release, to charge to a ledger) and `privacy_claim` (one line, with the numbers achieved).
`secure` is False when a dpkit.testing generator was used: such results are NOT private.)doc")
      .def_readonly("mechanism", &Release::mechanism)
      .def_readonly("output_kind", &Release::output_kind)
      .def_readonly("value", &Release::value)
      .def_readonly("ci_low", &Release::ci_low)
      .def_readonly("ci_high", &Release::ci_high)
      .def_readonly("confidence", &Release::confidence)
      .def_readonly("ci_exact", &Release::ci_exact)
      .def_readonly("noise_scale", &Release::noise_scale)
      .def_readonly("noise_scale_meaning", &Release::noise_scale_meaning)
      .def_readonly("noise_stddev", &Release::noise_stddev)
      .def_readonly("granularity", &Release::granularity)
      .def_readonly("cells", &Release::cells)
      .def_readonly("privacy_map", &Release::privacy_map)
      .def_readonly("privacy_claim", &Release::privacy_claim)
      .def_readonly("notes", &Release::notes)
      .def_readonly("secure", &Release::secure)
      .def("__repr__", [](const Release& r) {
        return absl::StrCat("Release(", r.mechanism, ", ", r.cells, " cell(s), ",
                            r.privacy_claim, r.secure ? "" : "; NOT PRIVATE: seeded generator",
                            ")");
      });
}

void BindLaplace(py::module_& m) {
  auto laplace = py::class_<LaplaceMechanism>(m, "Laplace", R"doc(
The Laplace mechanism on real values, sampled exactly on a power-of-two grid
(dpkit/mechanisms/laplace.h).

Privacy: epsilon-DP (pure) per cell for a query with l1 sensitivity `sensitivity`; the epsilon
achieved (<= requested) is `.epsilon`. Exact: no floating-point caveat (discrete Laplace on the
grid lambda*Z; Dwork, McSherry, Nissim, Smith 2006; Mironov 2012; Google, Secure Noise
Generation 2020). Confidence intervals are exact.)doc")
      .def(py::init([](double epsilon, double sensitivity, int granularity_bits) {
             return OrThrow(LaplaceMechanism::Create({.epsilon = epsilon,
                                                      .l1_sensitivity = sensitivity,
                                                      .granularity_bits = granularity_bits}));
           }),
           py::kw_only(), py::arg("epsilon"), py::arg("sensitivity"),
           py::arg("granularity_bits") = 20)
      .def(
          "release",
          [](const LaplaceMechanism& self, const py::object& values, double confidence,
             bool disjoint, const py::object& generator) {
            Release r = NoiseMeta(self, "laplace", "laplace scale b");
            r.granularity = self.granularity();
            return AdditiveRelease<double>(self, std::move(r), DoubleCells(values, "values"),
                                           confidence, Claim(self), disjoint, generator);
          },
          py::arg("values"), py::kw_only(), py::arg("confidence") = 0.95,
          py::arg("disjoint") = false, py::arg("generator") = py::none(), kReleaseDoc)
      .def_property_readonly("epsilon", &LaplaceMechanism::epsilon, "Epsilon achieved (<= requested).")
      .def_property_readonly("noise_scale", &LaplaceMechanism::noise_scale, "Laplace scale b used.")
      .def_property_readonly("noise_stddev", &LaplaceMechanism::noise_stddev)
      .def_property_readonly("granularity", &LaplaceMechanism::granularity, "Output grid step.")
      .def_property_readonly("privacy_map", &LaplaceMechanism::privacy_map, "Cost of one cell.")
      .def_property_readonly("privacy_claim", [](const LaplaceMechanism& s) { return Claim(s); });
  DefMapFor(laplace, false);

  auto discrete_laplace = py::class_<DiscreteLaplaceMechanism>(m, "DiscreteLaplace", R"doc(
The discrete Laplace (two-sided geometric) mechanism on integers (dpkit/mechanisms/laplace.h).

Privacy: epsilon-DP (pure) per cell for integer l1 sensitivity `sensitivity`, with the epsilon
achieved in `.epsilon` (scale t = sensitivity/epsilon rounded up; Ghosh, Roughgarden, Sundararajan
2009; exact sampler of Canonne, Kamath, Steinke 2020). Exact confidence intervals.)doc")
      .def(py::init([](double epsilon, int64_t sensitivity) {
             return OrThrow(DiscreteLaplaceMechanism::Create(
                 {.epsilon = epsilon, .l1_sensitivity = sensitivity}));
           }),
           py::kw_only(), py::arg("epsilon"), py::arg("sensitivity") = 1)
      .def(
          "release",
          [](const DiscreteLaplaceMechanism& self, const py::object& values, double confidence,
             bool disjoint, const py::object& generator) {
            return AdditiveRelease<int64_t>(
                self, NoiseMeta(self, "discrete_laplace", "discrete laplace scale t"),
                IntCells(values, "values"), confidence, Claim(self), disjoint, generator);
          },
          py::arg("values"), py::kw_only(), py::arg("confidence") = 0.95,
          py::arg("disjoint") = false, py::arg("generator") = py::none(), kReleaseDoc)
      .def_property_readonly("epsilon", &DiscreteLaplaceMechanism::epsilon)
      .def_property_readonly("noise_scale", &DiscreteLaplaceMechanism::noise_scale)
      .def_property_readonly("noise_stddev", &DiscreteLaplaceMechanism::noise_stddev)
      .def_property_readonly("privacy_map", &DiscreteLaplaceMechanism::privacy_map)
      .def_property_readonly("privacy_claim",
                             [](const DiscreteLaplaceMechanism& s) { return Claim(s); });
  DefMapFor(discrete_laplace, false);
}

void BindGaussian(py::module_& m) {
  auto gaussian = py::class_<GaussianMechanism>(m, "Gaussian", R"doc(
The Gaussian mechanism on real values: a discrete Gaussian on a power-of-two grid
(dpkit/mechanisms/gaussian.h). Give exactly one target: (epsilon, delta), rho or sigma.

Privacy: per cell, for l2 sensitivity `sensitivity`: (epsilon, delta)-DP when built from
(epsilon, delta) (analytic calibration of Balle & Wang 2018 by default, or classic for
epsilon < 1; delta verified exactly with Canonne, Kamath, Steinke 2020 Thm 7 at the sigma used),
and rho-zCDP with rho = sensitivity^2 / (2 sigma^2) in every case (`.rho`). Exact confidence
intervals.)doc")
      .def(py::init([](double sensitivity, std::optional<double> epsilon,
                       std::optional<double> delta, std::optional<double> rho,
                       std::optional<double> sigma, const std::string& calibration,
                       int granularity_bits) {
             GaussianOptions o;
             SetGaussianTarget(o, epsilon, delta, rho, sigma);
             o.l2_sensitivity = sensitivity;
             o.calibration = Calibration(calibration);
             o.granularity_bits = granularity_bits;
             return OrThrow(GaussianMechanism::Create(o));
           }),
           py::kw_only(), py::arg("sensitivity"), py::arg("epsilon") = py::none(),
           py::arg("delta") = py::none(), py::arg("rho") = py::none(),
           py::arg("sigma") = py::none(), py::arg("calibration") = "analytic",
           py::arg("granularity_bits") = 20)
      .def(
          "release",
          [](const GaussianMechanism& self, const py::object& values, double confidence,
             bool disjoint, const py::object& generator) {
            Release r = NoiseMeta(self, "gaussian", "gaussian sigma");
            r.granularity = self.granularity();
            return AdditiveRelease<double>(self, std::move(r), DoubleCells(values, "values"),
                                           confidence, Claim(self), disjoint, generator);
          },
          py::arg("values"), py::kw_only(), py::arg("confidence") = 0.95,
          py::arg("disjoint") = false, py::arg("generator") = py::none(), kReleaseDoc)
      .def_property_readonly("rho", &GaussianMechanism::rho, "zCDP rho achieved (rounded up).")
      .def("delta_for_epsilon", &GaussianMechanism::DeltaForEpsilon, py::arg("epsilon"),
           "Exact delta at `epsilon` for the sigma used (CKS20 Thm 7).")
      .def_property_readonly("noise_scale", &GaussianMechanism::noise_scale, "Sigma used.")
      .def_property_readonly("noise_stddev", &GaussianMechanism::noise_stddev)
      .def_property_readonly("granularity", &GaussianMechanism::granularity)
      .def_property_readonly("privacy_map", &GaussianMechanism::privacy_map)
      .def_property_readonly("privacy_claim", [](const GaussianMechanism& s) { return Claim(s); });
  DefMapFor(gaussian, false);

  auto discrete_gaussian = py::class_<DiscreteGaussianMechanism>(m, "DiscreteGaussian", R"doc(
The discrete Gaussian mechanism on integers (Canonne, Kamath, Steinke 2020; exact sampler).
Give exactly one target: (epsilon, delta), rho or sigma.

Privacy: per cell, for integer l2 sensitivity `sensitivity`: (epsilon, delta)-DP exactly
(CKS20 Thm 7) when built from (epsilon, delta), and rho = sensitivity^2 / (2 sigma^2) zCDP.)doc")
      .def(py::init([](int64_t sensitivity, std::optional<double> epsilon,
                       std::optional<double> delta, std::optional<double> rho,
                       std::optional<double> sigma, const std::string& calibration) {
             DiscreteGaussianOptions o;
             SetGaussianTarget(o, epsilon, delta, rho, sigma);
             o.l2_sensitivity = sensitivity;
             o.calibration = Calibration(calibration);
             return OrThrow(DiscreteGaussianMechanism::Create(o));
           }),
           py::kw_only(), py::arg("sensitivity") = 1, py::arg("epsilon") = py::none(),
           py::arg("delta") = py::none(), py::arg("rho") = py::none(),
           py::arg("sigma") = py::none(), py::arg("calibration") = "analytic")
      .def(
          "release",
          [](const DiscreteGaussianMechanism& self, const py::object& values, double confidence,
             bool disjoint, const py::object& generator) {
            return AdditiveRelease<int64_t>(
                self, NoiseMeta(self, "discrete_gaussian", "discrete gaussian sigma"),
                IntCells(values, "values"), confidence, Claim(self), disjoint, generator);
          },
          py::arg("values"), py::kw_only(), py::arg("confidence") = 0.95,
          py::arg("disjoint") = false, py::arg("generator") = py::none(), kReleaseDoc)
      .def_property_readonly("rho", &DiscreteGaussianMechanism::rho)
      .def("delta_for_epsilon", &DiscreteGaussianMechanism::DeltaForEpsilon, py::arg("epsilon"))
      .def_property_readonly("noise_scale", &DiscreteGaussianMechanism::noise_scale)
      .def_property_readonly("noise_stddev", &DiscreteGaussianMechanism::noise_stddev)
      .def_property_readonly("privacy_map", &DiscreteGaussianMechanism::privacy_map)
      .def_property_readonly("privacy_claim",
                             [](const DiscreteGaussianMechanism& s) { return Claim(s); });
  DefMapFor(discrete_gaussian, false);
}

std::string Claim(const SelectionMechanism& m) {
  return absl::StrCat("epsilon=", Num(m.epsilon()), " pure DP for score sensitivity ",
                      Num(m.options().sensitivity),
                      m.options().monotonic ? " (monotonic scores)" : "");
}

Release Select(const SelectionMechanism& mech, const py::object& scores, bool disjoint,
               const py::object& generator) {
  py::array_t<double> s = DoubleCells(scores, "scores");
  if (s.ndim() != 1 && s.ndim() != 2) {
    ThrowInvalidArgument("scores must be 1-D (one selection) or 2-D (one selection per row)");
  }
  const py::ssize_t rows = s.ndim() == 1 ? 1 : s.shape(0);
  const py::ssize_t cols = s.shape(s.ndim() - 1);
  if (rows == 0) ThrowInvalidArgument("scores has no rows: there is nothing to select");
  random::BitGenerator& gen = GeneratorOr(generator);
  py::array_t<int64_t> picked(rows);
  int64_t* out = picked.mutable_data();
  const double* in = s.data();
  absl::Status failure;
  py::ssize_t failed_at = 0;
  Draw(gen, [&] {
    for (py::ssize_t i = 0; i < rows; ++i) {
      absl::StatusOr<size_t> k = mech.Select(absl::MakeConstSpan(in + i * cols, cols), gen);
      if (!k.ok()) {
        failure = k.status();
        failed_at = i;
        return;
      }
      out[i] = static_cast<int64_t>(*k);
    }
  });
  if (!failure.ok()) {
    throw StatusError(absl::Status(failure.code(),
                                   absl::StrCat("scores row ", failed_at, ": ", failure.message())));
  }
  Release r;
  r.mechanism = SelectionKindName(mech.options().kind);
  r.output_kind = "index";
  r.value = s.ndim() == 1 ? py::object(py::int_(out[0])) : py::object(picked);
  r.ci_low = r.ci_high = py::none();
  r.noise_scale = (mech.options().monotonic ? 1 : 2) * mech.options().sensitivity / mech.epsilon();
  r.noise_scale_meaning = mech.options().monotonic ? "selection temperature sensitivity/epsilon"
                                                   : "selection temperature 2*sensitivity/epsilon";
  r.cells = rows;
  r.secure = gen.IsSecure();
  if (mech.implementation() != mech.options().kind) {
    r.notes.push_back(absl::StrCat("implemented as ", SelectionKindName(mech.implementation()),
                                   ", which has the identical output distribution (Ding et al. "
                                   "2021)"));
  }
  SetCellsPrivacy(r, mech.privacy_map(), Claim(mech), disjoint);
  return r;
}

void BindSelection(py::module_& m) {
  auto selection = py::class_<SelectionMechanism>(m, "Selection", R"doc(
Private selection of the best-scoring candidate (dpkit/mechanisms/selection.h), sampled exactly
in time independent of the scores. kind: "exponential" (McSherry & Talwar 2007),
"permute_and_flip" (McKenna & Sheldon 2020), "report_noisy_max_gumbel" (identical in
distribution to the exponential mechanism) or "report_noisy_max_exponential" (identical to
permute-and-flip; Ding et al. 2021).

Privacy: epsilon-DP (pure) per selection when every score changes by at most `sensitivity`
between neighbours (half the noise for the same epsilon with monotonic=True: all scores move in
the same direction, e.g. counts under add/remove). `.epsilon` is the epsilon achieved.)doc")
      .def(py::init([](const std::string& kind, double epsilon, double sensitivity,
                       bool monotonic) {
             return OrThrow(SelectionMechanism::Create({.kind = OrThrow(ParseSelectionKind(kind)),
                                                        .epsilon = epsilon,
                                                        .sensitivity = sensitivity,
                                                        .monotonic = monotonic}));
           }),
           py::arg("kind") = "exponential", py::kw_only(), py::arg("epsilon"),
           py::arg("sensitivity"), py::arg("monotonic") = false)
      .def("select", &Select, py::arg("scores"), py::kw_only(), py::arg("disjoint") = false,
           py::arg("generator") = py::none(), R"doc(
Selects one index from 1-D `scores` (value: int), or one per row of 2-D `scores` (value: int64
array). Privacy: each selection is epsilon-DP; several rows compose n-fold unless disjoint=True
(each privacy unit changes the scores of at most one row).)doc")
      .def_property_readonly("epsilon", &SelectionMechanism::epsilon)
      .def_property_readonly("kind",
                             [](const SelectionMechanism& s) { return SelectionKindName(s.options().kind); })
      .def_property_readonly(
          "implementation",
          [](const SelectionMechanism& s) { return SelectionKindName(s.implementation()); },
          "The algorithm that runs (identical output distribution to `kind`).")
      .def_property_readonly("privacy_map", &SelectionMechanism::privacy_map)
      .def_property_readonly("privacy_claim", [](const SelectionMechanism& s) { return Claim(s); });
  DefMapFor(selection, false);
}

// A sparse-vector session and the generator it draws from (kept alive with it).
struct SparseVectorSession {
  SparseVector svt;
  py::object generator;
  random::BitGenerator* gen;
};

std::string Claim(const SparseVector& s) {
  return absl::StrCat("epsilon=", Num(s.epsilon()), " pure DP (threshold ",
                      Num(s.threshold_epsilon()), " + queries ", Num(s.query_epsilon()),
                      ") for up to ", s.options().max_above,
                      " above-threshold answers, query sensitivity ", Num(s.options().sensitivity));
}

void BindSparseVector(py::module_& m) {
  py::class_<SparseVectorSession>(m, "SparseVector", R"doc(
The sparse vector technique (AboveThreshold; Lyu, Su, Li 2017 Alg. 1; Dwork & Roth 2014): answers
"is query >= threshold?" for a stream of queries until `max_above` answers were "above".

Privacy: the whole session is epsilon-DP (pure), epsilon = threshold share + query share (both
reported), for queries of sensitivity `sensitivity`; "below" answers cost nothing extra. The
session draws from `generator` (None: the secure generator). Not thread-safe.)doc")
      .def(py::init([](double epsilon, double sensitivity, double threshold, int64_t max_above,
                       bool monotonic, double threshold_epsilon_fraction, py::object generator) {
             SparseVectorOptions o{.epsilon = epsilon,
                                   .sensitivity = sensitivity,
                                   .threshold = threshold,
                                   .max_above = max_above,
                                   .monotonic = monotonic,
                                   .threshold_epsilon_fraction = threshold_epsilon_fraction};
             random::BitGenerator* gen = &GeneratorOr(generator);
             return SparseVectorSession{OrThrow(SparseVector::Create(o)), generator, gen};
           }),
           py::kw_only(), py::arg("epsilon"), py::arg("sensitivity"), py::arg("threshold"),
           py::arg("max_above") = 1, py::arg("monotonic") = false,
           py::arg("threshold_epsilon_fraction") = 0.0, py::arg("generator") = py::none())
      .def(
          "next",
          [](SparseVectorSession& s, double query) { return OrThrow(s.svt.Next(query, *s.gen)); },
          py::arg("query"),
          "Answers one query (True = above). FailedPrecondition once the session is exhausted.")
      .def(
          "run",
          [](SparseVectorSession& s, const py::object& queries) {
            py::array_t<double> q = DoubleCells(queries, "queries");
            if (q.ndim() != 1) ThrowInvalidArgument("queries must be a 1-D array");
            std::vector<bool> above =
                OrThrow(s.svt.Run(absl::MakeConstSpan(q.data(), q.size()), *s.gen));
            py::array_t<bool> out(static_cast<py::ssize_t>(above.size()));
            for (size_t i = 0; i < above.size(); ++i) out.mutable_data()[i] = above[i];
            Release r;
            r.mechanism = "sparse_vector";
            r.output_kind = "above";
            r.value = out;
            r.ci_low = r.ci_high = py::none();
            r.noise_scale = s.svt.query_noise_scale();
            r.noise_scale_meaning = "laplace scale of each query's noise";
            r.cells = static_cast<int64_t>(above.size());
            r.privacy_map = s.svt.privacy_map();
            r.privacy_claim = Claim(s.svt);
            r.notes.push_back(absl::StrCat("threshold noise: laplace scale ",
                                           Num(s.svt.threshold_noise_scale())));
            if (above.size() < static_cast<size_t>(q.size())) {
              r.notes.push_back(absl::StrCat("stopped after ", above.size(), " of ", q.size(),
                                             " queries: max_above reached"));
            }
            r.secure = s.gen->IsSecure();
            return r;
          },
          py::arg("queries"),
          "Answers queries in order until exhausted; value may be shorter than `queries`. The "
          "privacy_map is the whole session's.")
      .def_property_readonly("exhausted", [](const SparseVectorSession& s) { return s.svt.exhausted(); })
      .def_property_readonly("above_count", [](const SparseVectorSession& s) { return s.svt.above_count(); })
      .def_property_readonly("answered", [](const SparseVectorSession& s) { return s.svt.answered(); })
      .def_property_readonly("epsilon", [](const SparseVectorSession& s) { return s.svt.epsilon(); })
      .def_property_readonly("threshold_epsilon",
                             [](const SparseVectorSession& s) { return s.svt.threshold_epsilon(); })
      .def_property_readonly("query_epsilon",
                             [](const SparseVectorSession& s) { return s.svt.query_epsilon(); })
      .def_property_readonly("threshold_noise_scale", [](const SparseVectorSession& s) {
        return s.svt.threshold_noise_scale();
      })
      .def_property_readonly("query_noise_scale",
                             [](const SparseVectorSession& s) { return s.svt.query_noise_scale(); })
      .def_property_readonly("privacy_map",
                             [](const SparseVectorSession& s) { return s.svt.privacy_map(); })
      .def_property_readonly("privacy_claim",
                             [](const SparseVectorSession& s) { return Claim(s.svt); });
}

std::string Claim(const RandomizedResponse& r) {
  return absl::StrCat("epsilon=", Num(r.epsilon()), " local DP per report (", r.categories(),
                      " categories)");
}

void BindRandomizedResponse(py::module_& m) {
  auto rr = py::class_<RandomizedResponse>(m, "RandomizedResponse", R"doc(
Randomized response: binary (categories=2, Warner 1965) or k-ary (Kairouz, Oh, Viswanath 2014;
Wang et al. 2017), sampled exactly, with unbiased frequency estimates.

Privacy: each report is epsilon-locally-DP (`.epsilon`, <= requested): any two true values give
any report with probabilities within a factor e^epsilon. A table of reports, one per respondent,
is epsilon-DP under replace-one-respondent neighbours.)doc")
      .def(py::init([](double epsilon, int64_t categories) {
             return OrThrow(
                 RandomizedResponse::Create({.epsilon = epsilon, .categories = categories}));
           }),
           py::kw_only(), py::arg("epsilon"), py::arg("categories") = 2)
      .def(
          "randomize",
          [](const RandomizedResponse& self, const py::object& values, bool disjoint,
             const py::object& generator) {
            py::array_t<int64_t> x = IntCells(values, "values");
            const py::ssize_t n = x.size();
            if (n == 0) ThrowInvalidArgument("values is empty: there is nothing to randomize");
            random::BitGenerator& gen = GeneratorOr(generator);
            py::array_t<int64_t> y(n);
            const int64_t* in = x.data();
            int64_t* out = y.mutable_data();
            absl::Status failure;
            py::ssize_t failed_at = 0;
            Draw(gen, [&] {
              for (py::ssize_t i = 0; i < n; ++i) {
                absl::StatusOr<int64_t> v = self.Randomize(in[i], gen);
                if (!v.ok()) {
                  failure = v.status();
                  failed_at = i;
                  return;
                }
                out[i] = *v;
              }
            });
            ThrowCellError(failure, failed_at);
            Release r;
            r.mechanism = self.categories() == 2 ? "randomized_response" : "kary_randomized_response";
            r.output_kind = "category";
            r.value = Shaped(y, x);
            r.ci_low = r.ci_high = py::none();
            r.noise_scale = self.keep_probability();
            r.noise_scale_meaning = "probability of reporting the true value";
            r.cells = n;
            r.secure = gen.IsSecure();
            SetCellsPrivacy(r, self.privacy_map(), Claim(self), disjoint);
            return r;
          },
          py::arg("values"), py::kw_only(), py::arg("disjoint") = true,
          py::arg("generator") = py::none(), R"doc(
One randomised report per value (values in [0, categories)). disjoint=True (default): each value
is a different respondent, so the reports cost one report's epsilon. disjoint=False: one
respondent gave every value; the cost is their n-fold composition.)doc")
      .def(
          "estimate_frequencies",
          [](const RandomizedResponse& self, const py::object& observed_counts, double confidence) {
            py::array_t<int64_t> c = IntCells(observed_counts, "observed_counts");
            std::vector<FrequencyEstimate> est = OrThrow(self.EstimateFrequencies(
                absl::MakeConstSpan(c.data(), static_cast<size_t>(c.size())), confidence));
            const auto n = static_cast<py::ssize_t>(est.size());
            py::array_t<double> count(n), fraction(n), stddev(n), low(n), high(n);
            for (py::ssize_t i = 0; i < n; ++i) {
              count.mutable_data()[i] = est[i].count;
              fraction.mutable_data()[i] = est[i].fraction;
              stddev.mutable_data()[i] = est[i].stddev;
              low.mutable_data()[i] = est[i].interval.lower;
              high.mutable_data()[i] = est[i].interval.upper;
            }
            py::dict d;
            d["count"] = count;
            d["fraction"] = fraction;
            d["stddev"] = stddev;
            d["ci_low"] = low;
            d["ci_high"] = high;
            return d;
          },
          py::arg("observed_counts"), py::kw_only(), py::arg("confidence") = 0.95, R"doc(
Unbiased estimates of the true category counts from the counts of reports per category
(post-processing of the reports: no further privacy cost). Returns a dict of arrays: count,
fraction, stddev, ci_low, ci_high (normal-approximation interval).)doc")
      .def_property_readonly("epsilon", &RandomizedResponse::epsilon)
      .def_property_readonly("keep_probability", &RandomizedResponse::keep_probability)
      .def_property_readonly("other_probability", &RandomizedResponse::other_probability)
      .def_property_readonly("categories", &RandomizedResponse::categories)
      .def_property_readonly("privacy_map", &RandomizedResponse::privacy_map)
      .def_property_readonly("privacy_claim", [](const RandomizedResponse& s) { return Claim(s); });
  DefMapFor(rr, true);
}

void BindCalibration(py::module_& m) {
  m.def("laplace_scale", [](double e, double s) { return OrThrow(LaplaceScale(e, s)); },
        py::kw_only(), py::arg("epsilon"), py::arg("sensitivity"),
        "Laplace scale b = sensitivity/epsilon (rounded up): epsilon-DP for l1 sensitivity.");
  m.def(
      "gaussian_sigma",
      [](double e, double d, double s, const std::string& c) {
        return OrThrow(GaussianSigma(Calibration(c), e, d, s));
      },
      py::kw_only(), py::arg("epsilon"), py::arg("delta"), py::arg("sensitivity"),
      py::arg("calibration") = "analytic",
      "Smallest sigma for which the continuous Gaussian mechanism is (epsilon, delta)-DP "
      "(analytic: Balle & Wang 2018; classic: Dwork & Roth Thm A.1, epsilon < 1).");
  m.def("gaussian_delta", &GaussianDelta, py::kw_only(), py::arg("epsilon"), py::arg("sigma"),
        py::arg("sensitivity"), "Exact delta(epsilon) of the continuous Gaussian (Balle & Wang 2018 Thm 8).");
  m.def("gaussian_rho", &GaussianRho, py::kw_only(), py::arg("sigma"), py::arg("sensitivity"),
        "rho = sensitivity^2 / (2 sigma^2): zCDP of the (discrete) Gaussian mechanism.");
}

}  // namespace

void BindMechanisms(py::module_& parent) {
  py::module_ m = parent.def_submodule("mechanisms", "dpkit noise mechanisms");
  BindRelease(m);
  BindLaplace(m);
  BindGaussian(m);
  BindSelection(m);
  BindSparseVector(m);
  BindRandomizedResponse(m);
  BindCalibration(m);
  m.def(
      "list_mechanisms",
      [] {
        py::list out;
        for (const MechanismInfo& i : ListMechanisms()) {
          py::dict d;
          d["name"] = i.name;
          d["input"] = i.input;
          d["privacy_claim"] = i.privacy_claim;
          d["implementation"] = i.implementation;
          d["citation"] = i.citation;
          d["doc"] = i.doc;
          out.append(d);
        }
        return out;
      },
      "Every mechanism with its privacy claim and citation (as `dpkit mechanisms` prints).");
}

}  // namespace dpkit::python
