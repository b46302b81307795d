#include "dpkit/mechanisms/registry.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/mechanisms/gaussian.h"
#include "dpkit/mechanisms/laplace.h"
#include "dpkit/mechanisms/randomized_response.h"
#include "dpkit/mechanisms/selection.h"
#include "dpkit/mechanisms/sparse_vector.h"

namespace dpkit::mechanisms {
namespace {

std::vector<MechanismInfo>* MakeRegistry() {
  auto* r = new std::vector<MechanismInfo>();
  const std::string grid =
      "exact discrete noise on a power-of-two grid (2^20 steps per noise scale)";
  r->push_back({"laplace", "real value",
                "epsilon-DP (pure) for l1 sensitivity Delta_1; noise scale b = Delta_1/epsilon",
                "discrete Laplace on the grid: " + grid,
                "Dwork, McSherry, Nissim, Smith 2006; Mironov 2012 (CCS); Google 'Secure Noise "
                "Generation' 2020",
                "docs/mechanisms/laplace.md"});
  r->push_back(
      {"gaussian", "real value",
       "(epsilon, delta)-DP, analytic (Balle & Wang 2018) or classic (epsilon < 1) "
       "calibration, or rho-zCDP; l2 sensitivity",
       "discrete Gaussian on the grid (" + grid + "), exact delta checked with CKS20 Thm 7",
       "Balle & Wang 2018 (ICML); Dwork & Roth 2014 Thm A.1; Canonne, Kamath, Steinke "
       "2020 (NeurIPS)",
       "docs/mechanisms/gaussian.md"});
  r->push_back({"discrete_laplace", "integer value",
                "epsilon-DP (pure) for integer l1 sensitivity; scale t = Delta_1/epsilon",
                "exact two-sided geometric sampler (CKS20 Algorithm 2)",
                "Ghosh, Roughgarden, Sundararajan 2009; Canonne, Kamath, Steinke 2020",
                "docs/mechanisms/discrete_laplace.md"});
  r->push_back({"discrete_gaussian", "integer value",
                "(epsilon, delta)-DP exact (CKS20 Thm 7) and rho = Delta^2/(2 sigma^2) zCDP",
                "exact, timing-safe discrete Gaussian sampler (CKS20's law)",
                "Canonne, Kamath, Steinke 2020 (NeurIPS)", "docs/mechanisms/discrete_gaussian.md"});
  r->push_back({"exponential", "candidate scores",
                "epsilon-DP (pure) for score sensitivity Delta (epsilon/Delta if monotonic)",
                "exact CDF inversion on fixed-point weights, work independent of the scores",
                "McSherry & Talwar 2007 (FOCS)", "docs/mechanisms/exponential.md"});
  r->push_back({"report_noisy_max_gumbel", "candidate scores",
                "epsilon-DP (pure); identical in distribution to the exponential mechanism",
                "runs the exponential mechanism (Gumbel-max identity)",
                "Dwork & Roth 2014 Sec. 3.3; Ding et al. 2021 (arXiv:2105.07260)",
                "docs/mechanisms/report_noisy_max.md"});
  r->push_back({"report_noisy_max_exponential", "candidate scores",
                "epsilon-DP (pure); identical in distribution to permute-and-flip",
                "runs permute-and-flip (Ding et al. 2021 identity)",
                "Ding, Kifer, Wang, Zhang, Wang, Xiao 2021 (arXiv:2105.07260)",
                "docs/mechanisms/report_noisy_max.md"});
  r->push_back({"permute_and_flip", "candidate scores",
                "epsilon-DP (pure); expected score never worse than the exponential mechanism",
                "random permutation + n exact fixed-work Bernoulli(exp(-x)) flips",
                "McKenna & Sheldon 2020 (NeurIPS)", "docs/mechanisms/permute_and_flip.md"});
  r->push_back({"sparse_vector", "query stream + threshold",
                "epsilon-DP (pure) for up to c above-threshold answers (any number below)",
                "exact discrete Laplace noise on threshold and queries, integer comparisons",
                "Lyu, Su, Li 2017 (PVLDB) Alg. 1; Dwork & Roth 2014 AboveThreshold",
                "docs/mechanisms/sparse_vector.md"});
  r->push_back({"randomized_response", "one bit per respondent",
                "epsilon-local-DP per report; unbiased frequency estimator",
                "keep with probability e^eps/(1+e^eps), exact rejection sampler",
                "Warner 1965 (JASA)", "docs/mechanisms/randomized_response.md"});
  r->push_back({"kary_randomized_response", "one of k categories per respondent",
                "epsilon-local-DP per report; unbiased frequency estimator",
                "keep with probability e^eps/(e^eps+k-1), else uniform other value; exact",
                "Kairouz, Oh, Viswanath 2014; Wang, Blocki, Li, Jha 2017 (USENIX Security)",
                "docs/mechanisms/randomized_response.md"});
  return r;
}

std::string Canonical(const std::string& name) {
  if (name == "geometric") return "discrete_laplace";
  if (name == "above_threshold" || name == "svt") return "sparse_vector";
  if (name == "rr") return "randomized_response";
  if (name == "grr") return "kary_randomized_response";
  if (name == "pf") return "permute_and_flip";
  if (name == "exponential_mechanism") return "exponential";
  return name;
}

// Parameter presence checks with messages that name the flag and the mechanism.
class Checker {
 public:
  Checker(const NoiseRequest& r) : r_(r) {}
  absl::Status Required(bool present, const char* param) const {
    if (present) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat(r_.mechanism, " needs ", param, " (see 'dpkit noise --help')"));
  }
  absl::Status Unused(bool present, const char* param) const {
    if (!present) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat(param, " does not apply to ", r_.mechanism, "; remove it"));
  }

 private:
  const NoiseRequest& r_;
};

absl::StatusOr<int64_t> IntegerValue(double v, const char* param, const std::string& mechanism) {
  if (!std::isfinite(v) || std::floor(v) != v || std::fabs(v) >= 0x1.0p63) {
    return absl::InvalidArgumentError(
        absl::StrCat(param, " must be an integer for ", mechanism, ", got ", FormatDouble(v)));
  }
  return static_cast<int64_t>(v);
}

// 10 significant digits, never below the value (privacy numbers are shown conservatively).
std::string Num(double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.10g", x);
  if (std::strtod(buf, nullptr) < x) std::snprintf(buf, sizeof(buf), "%.10g", x * (1 + 1e-10));
  return buf;
}

enum Family { kRealAdditive, kIntAdditive, kSelection, kSvt, kRr };

Family FamilyOf(const std::string& name) {
  if (name == "laplace" || name == "gaussian") return kRealAdditive;
  if (name == "discrete_laplace" || name == "discrete_gaussian") return kIntAdditive;
  if (name == "sparse_vector") return kSvt;
  if (name == "randomized_response" || name == "kary_randomized_response") return kRr;
  return kSelection;
}

absl::Status CheckUnused(const NoiseRequest& r, Family f, bool gaussian) {
  Checker c(r);
  DPKIT_RETURN_IF_ERROR(c.Unused(r.delta.has_value() && !gaussian, "--delta"));
  DPKIT_RETURN_IF_ERROR(c.Unused(r.rho.has_value() && !gaussian, "--rho"));
  DPKIT_RETURN_IF_ERROR(c.Unused(r.calibration.has_value() && !gaussian, "--calibration"));
  DPKIT_RETURN_IF_ERROR(c.Unused(r.sensitivity.has_value() && f == kRr, "--sensitivity"));
  DPKIT_RETURN_IF_ERROR(c.Unused(r.value.has_value() && (f == kSelection || f == kSvt), "--value"));
  DPKIT_RETURN_IF_ERROR(c.Unused(!r.scores.empty() && f != kSelection, "--scores"));
  DPKIT_RETURN_IF_ERROR(c.Unused(!r.queries.empty() && f != kSvt, "--queries"));
  DPKIT_RETURN_IF_ERROR(c.Unused(r.threshold.has_value() && f != kSvt, "--threshold"));
  DPKIT_RETURN_IF_ERROR(c.Unused(r.max_above.has_value() && f != kSvt, "--max-above"));
  DPKIT_RETURN_IF_ERROR(c.Unused(
      r.categories.has_value() && r.mechanism != "kary_randomized_response", "--categories"));
  DPKIT_RETURN_IF_ERROR(c.Unused(r.monotonic && f != kSelection && f != kSvt, "--monotonic"));
  return absl::OkStatus();
}

absl::StatusOr<NoiseResult> RunAdditive(const NoiseRequest& r, random::BitGenerator& gen,
                                        bool integer) {
  Checker c(r);
  const bool gaussian = r.mechanism == "gaussian" || r.mechanism == "discrete_gaussian";
  DPKIT_RETURN_IF_ERROR(c.Required(r.value.has_value(), "--value"));
  DPKIT_RETURN_IF_ERROR(c.Required(r.sensitivity.has_value(), "--sensitivity"));
  if (gaussian) {
    if (r.rho) {
      DPKIT_RETURN_IF_ERROR(c.Unused(r.epsilon.has_value(), "--epsilon together with --rho"));
      DPKIT_RETURN_IF_ERROR(c.Unused(r.delta.has_value(), "--delta together with --rho"));
      DPKIT_RETURN_IF_ERROR(c.Unused(r.calibration.has_value(), "--calibration with --rho"));
    } else {
      DPKIT_RETURN_IF_ERROR(c.Required(r.epsilon.has_value(), "--epsilon (or --rho)"));
      DPKIT_RETURN_IF_ERROR(c.Required(r.delta.has_value(), "--delta (or --rho)"));
    }
  } else {
    DPKIT_RETURN_IF_ERROR(c.Required(r.epsilon.has_value(), "--epsilon"));
  }
  DPKIT_RETURN_IF_ERROR(ValidateFinite("value", *r.value));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("confidence", r.confidence));
  NoiseResult out;
  out.mechanism = r.mechanism;
  out.output_kind = "value";
  const GaussianCalibration calibration = r.calibration.value_or(GaussianCalibration::kAnalytic);
  const std::string sens = Num(*r.sensitivity);
  if (!integer && !gaussian) {
    DPKIT_ASSIGN_OR_RETURN(auto m, LaplaceMechanism::Create(
                                       {.epsilon = *r.epsilon, .l1_sensitivity = *r.sensitivity}));
    DPKIT_ASSIGN_OR_RETURN(out.noisy_value, m.AddNoise(*r.value, gen));
    DPKIT_ASSIGN_OR_RETURN(out.interval, m.ConfidenceInterval(out.noisy_value, r.confidence));
    out.noise_scale = m.noise_scale();
    out.noise_scale_meaning = "laplace scale b";
    out.noise_stddev = m.noise_stddev();
    out.granularity = m.granularity();
    out.privacy_map = m.privacy_map();
    out.privacy_claim =
        absl::StrCat("epsilon=", Num(m.epsilon()), " pure DP for l1 sensitivity ", sens);
  } else if (!integer) {
    GaussianOptions o;
    o.l2_sensitivity = *r.sensitivity;
    o.calibration = calibration;
    if (r.rho) {
      o.rho = *r.rho;
    } else {
      o.epsilon = *r.epsilon;
      o.delta = *r.delta;
    }
    DPKIT_ASSIGN_OR_RETURN(auto m, GaussianMechanism::Create(o));
    DPKIT_ASSIGN_OR_RETURN(out.noisy_value, m.AddNoise(*r.value, gen));
    DPKIT_ASSIGN_OR_RETURN(out.interval, m.ConfidenceInterval(out.noisy_value, r.confidence));
    out.noise_scale = m.noise_scale();
    out.noise_scale_meaning = "gaussian sigma";
    out.noise_stddev = m.noise_stddev();
    out.granularity = m.granularity();
    out.privacy_map = m.privacy_map();
    if (r.rho) {
      out.privacy_claim = absl::StrCat("rho=", Num(m.rho()), " zCDP for l2 sensitivity ", sens);
    } else {
      out.privacy_claim = absl::StrCat(
          "(epsilon=", Num(*r.epsilon), ", delta=", Num(*r.delta), ")-DP for l2 sensitivity ", sens,
          " (", GaussianCalibrationName(calibration), " calibration; exact delta at this sigma ",
          Num(m.DeltaForEpsilon(*r.epsilon)), "); also rho=", Num(m.rho()), " zCDP");
    }
  } else {
    DPKIT_ASSIGN_OR_RETURN(int64_t value, IntegerValue(*r.value, "--value", r.mechanism));
    DPKIT_ASSIGN_OR_RETURN(int64_t d, IntegerValue(*r.sensitivity, "--sensitivity", r.mechanism));
    if (d < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--sensitivity must be an integer >= 1 for ", r.mechanism, ", got ", d));
    }
    if (!gaussian) {
      DPKIT_ASSIGN_OR_RETURN(
          auto m, DiscreteLaplaceMechanism::Create({.epsilon = *r.epsilon, .l1_sensitivity = d}));
      int64_t y = m.AddNoise(value, gen);
      out.noisy_value = static_cast<double>(y);
      DPKIT_ASSIGN_OR_RETURN(out.interval, m.ConfidenceInterval(y, r.confidence));
      out.noise_scale = m.noise_scale();
      out.noise_scale_meaning = "discrete laplace scale t";
      out.noise_stddev = m.noise_stddev();
      out.privacy_map = m.privacy_map();
      out.privacy_claim =
          absl::StrCat("epsilon=", Num(m.epsilon()), " pure DP for integer l1 sensitivity ", d);
    } else {
      DiscreteGaussianOptions o;
      o.l2_sensitivity = d;
      o.calibration = calibration;
      if (r.rho) {
        o.rho = *r.rho;
      } else {
        o.epsilon = *r.epsilon;
        o.delta = *r.delta;
      }
      DPKIT_ASSIGN_OR_RETURN(auto m, DiscreteGaussianMechanism::Create(o));
      int64_t y = m.AddNoise(value, gen);
      out.noisy_value = static_cast<double>(y);
      DPKIT_ASSIGN_OR_RETURN(out.interval, m.ConfidenceInterval(y, r.confidence));
      out.noise_scale = m.noise_scale();
      out.noise_scale_meaning = "discrete gaussian sigma";
      out.noise_stddev = m.noise_stddev();
      out.privacy_map = m.privacy_map();
      if (r.rho) {
        out.privacy_claim =
            absl::StrCat("rho=", Num(m.rho()), " zCDP for integer l2 sensitivity ", d);
      } else {
        out.privacy_claim =
            absl::StrCat("(epsilon=", Num(*r.epsilon), ", delta=", Num(*r.delta),
                         ")-DP for integer l2 sensitivity ", d, " (exact delta at this sigma ",
                         Num(m.DeltaForEpsilon(*r.epsilon)), "); also rho=", Num(m.rho()), " zCDP");
      }
    }
  }
  return out;
}

absl::StatusOr<NoiseResult> RunSelection(const NoiseRequest& r, random::BitGenerator& gen) {
  Checker c(r);
  DPKIT_RETURN_IF_ERROR(c.Required(r.epsilon.has_value(), "--epsilon"));
  DPKIT_RETURN_IF_ERROR(c.Required(r.sensitivity.has_value(), "--sensitivity"));
  DPKIT_RETURN_IF_ERROR(c.Required(!r.scores.empty(), "--scores"));
  DPKIT_ASSIGN_OR_RETURN(SelectionKind kind, ParseSelectionKind(r.mechanism));
  DPKIT_ASSIGN_OR_RETURN(auto m, SelectionMechanism::Create({.kind = kind,
                                                             .epsilon = *r.epsilon,
                                                             .sensitivity = *r.sensitivity,
                                                             .monotonic = r.monotonic}));
  DPKIT_ASSIGN_OR_RETURN(size_t index, m.Select(r.scores, gen));
  NoiseResult out;
  out.mechanism = r.mechanism;
  out.output_kind = "index";
  out.selected_index = static_cast<int64_t>(index);
  out.noisy_value = static_cast<double>(index);
  out.noise_scale = (r.monotonic ? 1 : 2) * *r.sensitivity / m.epsilon();
  out.noise_scale_meaning = r.monotonic ? "selection temperature sensitivity/epsilon"
                                        : "selection temperature 2*sensitivity/epsilon";
  out.privacy_map = m.privacy_map();
  out.privacy_claim = absl::StrCat("epsilon=", Num(m.epsilon()), " pure DP for score sensitivity ",
                                   Num(*r.sensitivity), r.monotonic ? " (monotonic scores)" : "");
  if (kind != m.implementation()) {
    out.notes.push_back(absl::StrCat("implemented as ", SelectionKindName(m.implementation()),
                                     ", which has the identical output distribution "
                                     "(Ding et al. 2021)"));
  }
  return out;
}

absl::StatusOr<NoiseResult> RunSvt(const NoiseRequest& r, random::BitGenerator& gen) {
  Checker c(r);
  DPKIT_RETURN_IF_ERROR(c.Required(r.epsilon.has_value(), "--epsilon"));
  DPKIT_RETURN_IF_ERROR(c.Required(r.sensitivity.has_value(), "--sensitivity"));
  DPKIT_RETURN_IF_ERROR(c.Required(r.threshold.has_value(), "--threshold"));
  DPKIT_RETURN_IF_ERROR(c.Required(!r.queries.empty(), "--queries"));
  SparseVectorOptions o;
  o.epsilon = *r.epsilon;
  o.sensitivity = *r.sensitivity;
  o.threshold = *r.threshold;
  o.max_above = r.max_above.value_or(1);
  o.monotonic = r.monotonic;
  DPKIT_ASSIGN_OR_RETURN(auto m, SparseVector::Create(o));
  NoiseResult out;
  out.mechanism = r.mechanism;
  out.output_kind = "above";
  DPKIT_ASSIGN_OR_RETURN(out.above, m.Run(r.queries, gen));
  out.noise_scale = m.query_noise_scale();
  out.noise_scale_meaning = "laplace scale of each query's noise";
  out.notes.push_back(
      absl::StrCat("threshold noise: laplace scale ", Num(m.threshold_noise_scale())));
  out.privacy_map = m.privacy_map();
  out.privacy_claim =
      absl::StrCat("epsilon=", Num(m.epsilon()), " pure DP (threshold ", Num(m.threshold_epsilon()),
                   " + queries ", Num(m.query_epsilon()), ") for up to ", o.max_above,
                   " above-threshold answers, query sensitivity ", Num(*r.sensitivity));
  if (out.above.size() < r.queries.size()) {
    out.notes.push_back(absl::StrCat("stopped after ", out.above.size(), " of ", r.queries.size(),
                                     " queries: ", o.max_above,
                                     " above-threshold answer(s) reached"));
  }
  return out;
}

absl::StatusOr<NoiseResult> RunRr(const NoiseRequest& r, random::BitGenerator& gen) {
  Checker c(r);
  DPKIT_RETURN_IF_ERROR(c.Required(r.epsilon.has_value(), "--epsilon"));
  DPKIT_RETURN_IF_ERROR(c.Required(r.value.has_value(), "--value"));
  int64_t k = 2;
  if (r.mechanism == "kary_randomized_response") {
    DPKIT_RETURN_IF_ERROR(c.Required(r.categories.has_value(), "--categories"));
    k = *r.categories;
  }
  DPKIT_ASSIGN_OR_RETURN(auto m,
                         RandomizedResponse::Create({.epsilon = *r.epsilon, .categories = k}));
  DPKIT_ASSIGN_OR_RETURN(int64_t value, IntegerValue(*r.value, "--value", r.mechanism));
  DPKIT_ASSIGN_OR_RETURN(int64_t y, m.Randomize(value, gen));
  NoiseResult out;
  out.mechanism = r.mechanism;
  out.output_kind = "category";
  out.noisy_value = static_cast<double>(y);
  out.noise_scale = m.keep_probability();
  out.noise_scale_meaning = "probability of reporting the true value";
  out.privacy_map = m.privacy_map();
  out.privacy_claim =
      absl::StrCat("epsilon=", Num(m.epsilon()), " local DP per report (", k, " categories)");
  return out;
}

}  // namespace

const std::vector<MechanismInfo>& ListMechanisms() {
  static const std::vector<MechanismInfo>* registry = MakeRegistry();
  return *registry;
}

absl::StatusOr<MechanismInfo> FindMechanism(const std::string& name) {
  const std::string canonical = Canonical(name);
  std::vector<std::string> names;
  for (const auto& info : ListMechanisms()) {
    if (info.name == canonical) return info;
    names.push_back(info.name);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown mechanism '", name,
                                                 "'; choose one of: ", absl::StrJoin(names, ", "),
                                                 " (run 'dpkit mechanisms' for details)"));
}

absl::StatusOr<NoiseResult> RunMechanism(const NoiseRequest& request, random::BitGenerator& gen) {
  DPKIT_ASSIGN_OR_RETURN(MechanismInfo info, FindMechanism(request.mechanism));
  NoiseRequest r = request;
  r.mechanism = info.name;
  const Family f = FamilyOf(r.mechanism);
  const bool gaussian = r.mechanism == "gaussian" || r.mechanism == "discrete_gaussian";
  DPKIT_RETURN_IF_ERROR(CheckUnused(r, f, gaussian));
  switch (f) {
    case kRealAdditive:
      return RunAdditive(r, gen, /*integer=*/false);
    case kIntAdditive:
      return RunAdditive(r, gen, /*integer=*/true);
    case kSelection:
      return RunSelection(r, gen);
    case kSvt:
      return RunSvt(r, gen);
    case kRr:
      return RunRr(r, gen);
  }
  return absl::InternalError("unknown mechanism family");
}

}  // namespace dpkit::mechanisms
