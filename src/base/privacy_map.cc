#include "dpkit/base/privacy_map.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "nlohmann/json.hpp"

namespace dpkit {
namespace {

struct KindName {
  PrivacyMapKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {PrivacyMapKind::kPureDp, "pure_dp"},
    {PrivacyMapKind::kApproxDp, "approx_dp"},
    {PrivacyMapKind::kZcdp, "zcdp"},
    {PrivacyMapKind::kLaplace, "laplace"},
    {PrivacyMapKind::kDiscreteLaplace, "discrete_laplace"},
    {PrivacyMapKind::kGaussian, "gaussian"},
    {PrivacyMapKind::kDiscreteGaussian, "discrete_gaussian"},
    {PrivacyMapKind::kSubsampledGaussian, "subsampled_gaussian"},
    {PrivacyMapKind::kRdpCurve, "rdp_curve"},
};

// The "repetitions" field: a JSON integer, or a number with an integral value (1e3), in
// [1, kMaxRepetitions]. A fraction such as 1.99 is an error, never truncated (that would charge
// less than was spent).
absl::StatusOr<int64_t> RepetitionsFromJson(const nlohmann::json& j) {
  auto error = [&](const char* why) {
    return DataError(absl::StrCat("privacy map field 'repetitions' must be an integer in [1, ",
                                  PrivacyMap::kMaxRepetitions, "], got ", j.dump(), " (", why,
                                  ")"));
  };
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() && j.get<uint64_t>() > uint64_t{PrivacyMap::kMaxRepetitions}) {
      return error("too large");
    }
    const int64_t r = j.get<int64_t>();
    if (r < 1) return error("must be at least 1");
    if (r > PrivacyMap::kMaxRepetitions) return error("too large");
    return r;
  }
  if (!j.is_number_float()) return error("not a number");
  const double r = j.get<double>();
  if (!std::isfinite(r) || r != std::floor(r)) return error("not a whole number");
  if (r < 1) return error("must be at least 1");
  if (r > static_cast<double>(PrivacyMap::kMaxRepetitions)) return error("too large");
  return static_cast<int64_t>(r);
}

}  // namespace

const char* PrivacyMapKindName(PrivacyMapKind kind) {
  for (const auto& kn : kKindNames) {
    if (kn.kind == kind) return kn.name;
  }
  return "unknown";
}

absl::StatusOr<PrivacyMapKind> ParsePrivacyMapKind(const std::string& name) {
  for (const auto& kn : kKindNames) {
    if (name == kn.name) return kn.kind;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown privacy map kind '", name, "'"));
}

PrivacyMap PrivacyMap::PureDp(double epsilon, std::string mechanism) {
  PrivacyMap m;
  m.kind = PrivacyMapKind::kPureDp;
  m.epsilon = epsilon;
  m.mechanism = std::move(mechanism);
  return m;
}

PrivacyMap PrivacyMap::ApproxDp(double epsilon, double delta, std::string mechanism) {
  PrivacyMap m;
  m.kind = PrivacyMapKind::kApproxDp;
  m.epsilon = epsilon;
  m.delta = delta;
  m.mechanism = std::move(mechanism);
  return m;
}

PrivacyMap PrivacyMap::Zcdp(double rho, std::string mechanism) {
  PrivacyMap m;
  m.kind = PrivacyMapKind::kZcdp;
  m.rho = rho;
  m.mechanism = std::move(mechanism);
  return m;
}

PrivacyMap PrivacyMap::Laplace(double noise_multiplier, std::string mechanism) {
  PrivacyMap m;
  m.kind = PrivacyMapKind::kLaplace;
  m.noise_multiplier = noise_multiplier;
  m.mechanism = std::move(mechanism);
  return m;
}

PrivacyMap PrivacyMap::Gaussian(double noise_multiplier, std::string mechanism) {
  PrivacyMap m;
  m.kind = PrivacyMapKind::kGaussian;
  m.noise_multiplier = noise_multiplier;
  m.mechanism = std::move(mechanism);
  return m;
}

PrivacyMap PrivacyMap::SubsampledGaussian(double noise_multiplier, double sampling_rate,
                                          int64_t steps, std::string mechanism) {
  PrivacyMap m;
  m.kind = PrivacyMapKind::kSubsampledGaussian;
  m.noise_multiplier = noise_multiplier;
  m.sampling_rate = sampling_rate;
  m.repetitions = steps;
  m.mechanism = std::move(mechanism);
  return m;
}

absl::Status PrivacyMap::Validate() const {
  if (repetitions < 1 || repetitions > kMaxRepetitions) {
    return absl::InvalidArgumentError(absl::StrCat(
        "repetitions must be an integer in [1, ", kMaxRepetitions, "], got ", repetitions));
  }
  switch (kind) {
    case PrivacyMapKind::kPureDp:
      return ValidatePositiveFinite("epsilon", epsilon);
    case PrivacyMapKind::kApproxDp:
      DPKIT_RETURN_IF_ERROR(ValidateNonNegativeFinite("epsilon", epsilon));
      return ValidateDelta("delta", delta, /*allow_zero=*/true);
    case PrivacyMapKind::kZcdp:
      return ValidatePositiveFinite("rho", rho);
    case PrivacyMapKind::kLaplace:
    case PrivacyMapKind::kDiscreteLaplace:
    case PrivacyMapKind::kGaussian:
    case PrivacyMapKind::kDiscreteGaussian:
      return ValidatePositiveFinite("noise_multiplier", noise_multiplier);
    case PrivacyMapKind::kSubsampledGaussian:
      DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("noise_multiplier", noise_multiplier));
      if (!(sampling_rate > 0 && sampling_rate <= 1)) {
        return absl::InvalidArgumentError(
            absl::StrCat("sampling_rate must be in (0, 1], got ", FormatDouble(sampling_rate)));
      }
      return absl::OkStatus();
    case PrivacyMapKind::kRdpCurve:
      if (rdp_orders.empty() || rdp_orders.size() != rdp_epsilons.size()) {
        return absl::InvalidArgumentError(
            "rdp_orders and rdp_epsilons must be non-empty and of equal length");
      }
      for (size_t i = 0; i < rdp_orders.size(); ++i) {
        if (!(rdp_orders[i] > 1) || !std::isfinite(rdp_orders[i])) {
          return absl::InvalidArgumentError(
              absl::StrCat("rdp order must be finite and > 1, got ", FormatDouble(rdp_orders[i])));
        }
        if (!(rdp_epsilons[i] >= 0)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "rdp epsilon must be >= 0, got ", FormatDouble(rdp_epsilons[i])));
        }
      }
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError("unknown privacy map kind");
}

std::string PrivacyMap::ToJson() const {
  nlohmann::json j;
  j["kind"] = PrivacyMapKindName(kind);
  j["mechanism"] = mechanism;
  switch (kind) {
    case PrivacyMapKind::kPureDp:
      j["epsilon"] = epsilon;
      break;
    case PrivacyMapKind::kApproxDp:
      j["epsilon"] = epsilon;
      j["delta"] = delta;
      break;
    case PrivacyMapKind::kZcdp:
      j["rho"] = rho;
      break;
    case PrivacyMapKind::kSubsampledGaussian:
      j["sampling_rate"] = sampling_rate;
      [[fallthrough]];
    case PrivacyMapKind::kLaplace:
    case PrivacyMapKind::kDiscreteLaplace:
    case PrivacyMapKind::kGaussian:
    case PrivacyMapKind::kDiscreteGaussian:
      j["noise_multiplier"] = noise_multiplier;
      break;
    case PrivacyMapKind::kRdpCurve:
      j["rdp_orders"] = rdp_orders;
      j["rdp_epsilons"] = rdp_epsilons;
      break;
  }
  j["repetitions"] = repetitions;
  return j.dump();
}

absl::StatusOr<PrivacyMap> PrivacyMap::FromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return DataError(absl::StrCat("privacy map is not a JSON object: ", text.substr(0, 200)));
  }
  PrivacyMap m;
  try {
    DPKIT_ASSIGN_OR_RETURN(m.kind, ParsePrivacyMapKind(j.at("kind").get<std::string>()));
    m.mechanism = j.value("mechanism", std::string());
    m.epsilon = j.value("epsilon", 0.0);
    m.delta = j.value("delta", 0.0);
    m.rho = j.value("rho", 0.0);
    m.noise_multiplier = j.value("noise_multiplier", 0.0);
    m.sampling_rate = j.value("sampling_rate", 1.0);
    if (j.contains("repetitions")) {
      DPKIT_ASSIGN_OR_RETURN(m.repetitions, RepetitionsFromJson(j["repetitions"]));
    }
    if (j.contains("rdp_orders")) m.rdp_orders = j["rdp_orders"].get<std::vector<double>>();
    if (j.contains("rdp_epsilons")) m.rdp_epsilons = j["rdp_epsilons"].get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    return DataError(absl::StrCat("malformed privacy map JSON: ", e.what()));
  }
  DPKIT_RETURN_IF_ERROR(m.Validate());
  return m;
}

std::string PrivacyMap::ToString() const {
  std::string s = PrivacyMapKindName(kind);
  switch (kind) {
    case PrivacyMapKind::kPureDp:
      absl::StrAppend(&s, "(epsilon=", FormatDouble(epsilon), ")");
      break;
    case PrivacyMapKind::kApproxDp:
      absl::StrAppend(&s, "(epsilon=", FormatDouble(epsilon), ", delta=", FormatDouble(delta), ")");
      break;
    case PrivacyMapKind::kZcdp:
      absl::StrAppend(&s, "(rho=", FormatDouble(rho), ")");
      break;
    case PrivacyMapKind::kSubsampledGaussian:
      absl::StrAppend(&s, "(noise_multiplier=", FormatDouble(noise_multiplier),
                      ", q=", FormatDouble(sampling_rate), ")");
      break;
    case PrivacyMapKind::kRdpCurve:
      absl::StrAppend(&s, "(", rdp_orders.size(), " orders)");
      break;
    default:
      absl::StrAppend(&s, "(noise_multiplier=", FormatDouble(noise_multiplier), ")");
  }
  if (repetitions != 1) absl::StrAppend(&s, " x ", repetitions);
  if (!mechanism.empty() && mechanism != PrivacyMapKindName(kind)) {
    absl::StrAppend(&s, " [", mechanism, "]");
  }
  return s;
}

}  // namespace dpkit
