#include "dpkit/accounting/calibration.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::accounting {

absl::StatusOr<PrivacyMap> DpSgdPrivacyMap(const DpSgdSchedule& s, double noise_multiplier) {
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("examples", s.examples, 1));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("batch_size", s.batch_size, 1));
  if (s.batch_size > s.examples) {
    return absl::InvalidArgumentError(absl::StrCat("batch_size must be <= examples (",
                                                   s.examples, "), got ", s.batch_size));
  }
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epochs", s.epochs));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("noise_multiplier", noise_multiplier));
  const double q = static_cast<double>(s.batch_size) / static_cast<double>(s.examples);
  const double steps =
      std::ceil(s.epochs * static_cast<double>(s.examples) / static_cast<double>(s.batch_size));
  if (!(steps >= 1 && steps < 9e18)) {
    return absl::InvalidArgumentError(
        absl::StrCat("epochs * examples / batch_size gives an invalid step count: ", steps));
  }
  return PrivacyMap::SubsampledGaussian(noise_multiplier, q, static_cast<int64_t>(steps));
}

namespace {

absl::StatusOr<std::unique_ptr<Accountant>> Compose(const std::vector<PrivacyMap>& maps,
                                                    AccountantKind kind,
                                                    const AccountantOptions& options) {
  DPKIT_ASSIGN_OR_RETURN(std::unique_ptr<Accountant> acc, CreateAccountant(kind, options));
  for (size_t i = 0; i < maps.size(); ++i) {
    absl::Status st = acc->Add(maps[i]);
    if (!st.ok()) {
      return absl::Status(st.code(), absl::StrCat("map ", i + 1, " (", maps[i].ToString(),
                                                  "): ", st.message()));
    }
  }
  return acc;
}

}  // namespace

absl::StatusOr<double> ComposedEpsilon(const std::vector<PrivacyMap>& maps, double delta,
                                       AccountantKind kind, const AccountantOptions& options) {
  DPKIT_ASSIGN_OR_RETURN(auto acc, Compose(maps, kind, options));
  return acc->Epsilon(delta);
}

absl::StatusOr<double> ComposedDelta(const std::vector<PrivacyMap>& maps, double epsilon,
                                     AccountantKind kind, const AccountantOptions& options) {
  DPKIT_ASSIGN_OR_RETURN(auto acc, Compose(maps, kind, options));
  return acc->Delta(epsilon);
}

absl::StatusOr<NoiseMultiplierResult> NoiseMultiplierForEpsilon(
    double target_epsilon, double delta, double sampling_rate, int64_t steps, AccountantKind kind,
    const AccountantOptions& options, double relative_tolerance) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("target_epsilon", target_epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("delta", delta));
  if (!(sampling_rate > 0 && sampling_rate <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling_rate must be in (0, 1], got ", FormatDouble(sampling_rate)));
  }
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("steps", steps, 1));
  DPKIT_RETURN_IF_ERROR(ValidateInOpenRange("relative_tolerance", relative_tolerance, 0, 1));
  NoiseMultiplierResult result;
  auto eps_at = [&](double nm) -> absl::StatusOr<double> {
    ++result.evaluations;
    return ComposedEpsilon({PrivacyMap::SubsampledGaussian(nm, sampling_rate, steps)}, delta,
                           kind, options);
  };
  constexpr double kMax = 1e6, kMin = 1e-4;
  double hi = 1.0, hi_eps = 0;
  if (kind == AccountantKind::kPld) {
    // The RDP answer always meets the target under PLD too (the PLD accountant never exceeds
    // its own RDP bound): a tight, cheap upper end.
    DPKIT_ASSIGN_OR_RETURN(NoiseMultiplierResult rdp,
                           NoiseMultiplierForEpsilon(target_epsilon, delta, sampling_rate, steps,
                                                     AccountantKind::kRdp, options,
                                                     relative_tolerance));
    result.evaluations += rdp.evaluations;
    hi = rdp.noise_multiplier;
  }
  DPKIT_ASSIGN_OR_RETURN(hi_eps, eps_at(hi));
  while (hi_eps > target_epsilon) {
    if (hi >= kMax) {
      return absl::OutOfRangeError(absl::StrCat(
          "no noise multiplier up to 1e6 reaches epsilon ", FormatDouble(target_epsilon),
          " at delta ", FormatDouble(delta), " over ", steps, " steps at sampling rate ",
          FormatDouble(sampling_rate), "; raise the target or lower steps/sampling rate"));
    }
    hi *= 2;
    DPKIT_ASSIGN_OR_RETURN(hi_eps, eps_at(hi));
  }
  // Lower end: shrink until the target is missed (PLD answers are usually within 20% of RDP's).
  double lo = kind == AccountantKind::kPld ? hi * 0.8 : hi / 2;
  while (true) {
    if (lo < kMin) {
      result.noise_multiplier = hi;
      result.epsilon = hi_eps;
      return result;
    }
    DPKIT_ASSIGN_OR_RETURN(const double e, eps_at(lo));
    if (e > target_epsilon) break;
    hi = lo;
    hi_eps = e;
    lo /= 2;
  }
  while (hi / lo - 1 > relative_tolerance) {
    const double mid = std::sqrt(lo * hi);
    DPKIT_ASSIGN_OR_RETURN(const double e, eps_at(mid));
    if (e <= target_epsilon) {
      hi = mid;
      hi_eps = e;
    } else {
      lo = mid;
    }
  }
  result.noise_multiplier = hi;
  result.epsilon = hi_eps;
  return result;
}

}  // namespace dpkit::accounting
