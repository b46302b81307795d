#include "dpkit/train/privacy.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "dpkit/accounting/calibration.h"
#include "dpkit/accounting/rdp.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::train {

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
    return accounting::ComposedEpsilon(
        {PrivacyMap::SubsampledGaussian(noise_multiplier_, sampling_rate_, steps)}, delta, kind_);
  }
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("steps", steps, 1));
  std::vector<double> rdp(per_step_.size());
  for (size_t i = 0; i < rdp.size(); ++i) rdp[i] = per_step_[i] * static_cast<double>(steps);
  DPKIT_ASSIGN_OR_RETURN(auto r, accounting::RdpToEpsilon(orders_, rdp, delta));
  return r.value;
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
