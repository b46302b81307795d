#include "dpkit/train/privacy.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "dpkit/accounting/rdp.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::train {

absl::StatusOr<double> DpSgdEpsilon(double noise_multiplier, double sampling_rate, int64_t steps,
                                    double delta, accounting::AccountantKind kind) {
  DPKIT_ASSIGN_OR_RETURN(auto acc, accounting::CreateAccountant(kind));
  DPKIT_RETURN_IF_ERROR(
      acc->Add(PrivacyMap::SubsampledGaussian(noise_multiplier, sampling_rate, steps, "dp-sgd")));
  return acc->Epsilon(delta);
}

absl::StatusOr<DpSgdEpsilonCurve> DpSgdEpsilonCurve::Create(double noise_multiplier,
                                                           double sampling_rate,
                                                           accounting::AccountantKind kind) {
  DpSgdEpsilonCurve c;
  c.kind_ = kind;
  c.noise_multiplier_ = noise_multiplier;
  c.sampling_rate_ = sampling_rate;
  if (kind == accounting::AccountantKind::kRdp) {
    c.orders_ = accounting::DefaultRdpOrders();
    DPKIT_ASSIGN_OR_RETURN(
        c.per_step_,
        accounting::PrivacyMapRdp(
            PrivacyMap::SubsampledGaussian(noise_multiplier, sampling_rate, 1, "dp-sgd"),
            c.orders_));
  } else {
    DPKIT_RETURN_IF_ERROR(
        PrivacyMap::SubsampledGaussian(noise_multiplier, sampling_rate, 1, "dp-sgd").Validate());
  }
  return c;
}

absl::StatusOr<double> DpSgdEpsilonCurve::Epsilon(int64_t steps, double delta) const {
  if (kind_ != accounting::AccountantKind::kRdp) {
    return DpSgdEpsilon(noise_multiplier_, sampling_rate_, steps, delta, kind_);
  }
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("steps", steps, 1));
  std::vector<double> rdp(per_step_.size());
  for (size_t i = 0; i < rdp.size(); ++i) rdp[i] = per_step_[i] * static_cast<double>(steps);
  DPKIT_ASSIGN_OR_RETURN(auto r, accounting::RdpToEpsilon(orders_, rdp, delta));
  return r.value;
}

absl::StatusOr<Calibration> CalibrateNoiseMultiplier(const CalibrationOptions& o) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", o.target_epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", o.delta, /*allow_zero=*/false));
  DPKIT_RETURN_IF_ERROR(ValidateInOpenRange("sampling_rate", o.sampling_rate, 0, 1.0000001));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("steps", o.steps, 1));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("max_noise_multiplier", o.max_noise_multiplier));
  auto eps = [&](double nm) {
    return DpSgdEpsilon(nm, o.sampling_rate, o.steps, o.delta, o.accountant);
  };
  DPKIT_ASSIGN_OR_RETURN(double eps_max, eps(o.max_noise_multiplier));
  if (!(eps_max <= o.target_epsilon)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "epsilon ", FormatDouble(o.target_epsilon), " is too small for ", o.steps,
        " steps at sampling rate ", FormatDouble(o.sampling_rate), " (delta ",
        FormatDouble(o.delta), "): even noise multiplier ", FormatDouble(o.max_noise_multiplier),
        " gives epsilon ", FormatDouble(eps_max), ". The smallest feasible epsilon for these "
        "settings is ", FormatDouble(eps_max), "; or train fewer epochs or use a smaller batch"));
  }
  // eps is decreasing in nm. Find lo (eps > target) and hi (eps <= target).
  double hi = o.max_noise_multiplier;
  double lo = hi;
  double eps_hi = eps_max;
  while (true) {
    lo = lo / 2;
    if (lo < 1e-3) {
      lo = 0;
      break;
    }
    DPKIT_ASSIGN_OR_RETURN(double e, eps(lo));
    if (!(e <= o.target_epsilon)) break;
    hi = lo;
    eps_hi = e;
  }
  while (hi - lo > o.tolerance * hi) {
    const double mid = 0.5 * (lo + hi);
    DPKIT_ASSIGN_OR_RETURN(double e, eps(mid));
    if (e <= o.target_epsilon) {
      hi = mid;
      eps_hi = e;
    } else {
      lo = mid;
    }
  }
  return Calibration{.noise_multiplier = hi, .epsilon = eps_hi};
}

absl::StatusOr<int64_t> MaxStepsWithinBudget(double noise_multiplier, double sampling_rate,
                                             double target_epsilon, double delta,
                                             int64_t max_steps, accounting::AccountantKind kind) {
  int64_t lo = 0, hi = max_steps;  // invariant: lo feasible (0 trivially)
  DPKIT_ASSIGN_OR_RETURN(auto curve, DpSgdEpsilonCurve::Create(noise_multiplier, sampling_rate, kind));
  DPKIT_ASSIGN_OR_RETURN(double e_hi, curve.Epsilon(hi, delta));
  if (e_hi <= target_epsilon) return hi;
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    DPKIT_ASSIGN_OR_RETURN(double e, curve.Epsilon(mid, delta));
    if (e <= target_epsilon) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace dpkit::train
