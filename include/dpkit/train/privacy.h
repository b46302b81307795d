// Accounting views of DP-SGD runs: epsilon after every epoch of a run, and the longest run a
// target epsilon allows.
//
// A DP-SGD run with Poisson sampling rate q, noise multiplier nm and T steps is ONE PrivacyMap,
// PrivacyMap::SubsampledGaussian(nm, q, T) (the Poisson-subsampled Gaussian mechanism composed
// T times, add/remove neighbours). Its epsilon, and the noise multiplier that meets a target,
// come from dpkit::accounting (accounting/calibration.h: ComposedEpsilon,
// NoiseMultiplierForEpsilon) — RDP by default (Mironov, Talwar, Zhang 2019, the analysis Opacus
// and TF Privacy use), PLD optional — never from code in this module.
//
// Thread safety: thread-safe (pure functions).
#ifndef DPKIT_TRAIN_PRIVACY_H_
#define DPKIT_TRAIN_PRIVACY_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/base/privacy_map.h"

namespace dpkit::train {

// Epsilon after any number of steps of the same (noise multiplier, q), evaluating the RDP curve
// of one step once: RDP composes by adding curves (Mironov 2017, Prop. 1), so T steps are T x
// the one-step curve, converted with accounting::RdpToEpsilon exactly as the RDP accountant does
// (same default orders and conversion). Other accountant kinds call the accountant each time.
class DpSgdEpsilonCurve {
 public:
  static absl::StatusOr<DpSgdEpsilonCurve> Create(
      double noise_multiplier, double sampling_rate,
      accounting::AccountantKind kind = accounting::AccountantKind::kRdp);
  absl::StatusOr<double> Epsilon(int64_t steps, double delta) const;

 private:
  accounting::AccountantKind kind_ = accounting::AccountantKind::kRdp;
  double noise_multiplier_ = 0;
  double sampling_rate_ = 0;
  std::vector<double> orders_;
  std::vector<double> per_step_;
};

// Largest number of steps (<= max_steps) whose epsilon at `noise_multiplier` stays <= target;
// 0 if even one step exceeds it.
absl::StatusOr<int64_t> MaxStepsWithinBudget(double noise_multiplier, double sampling_rate,
                                             double target_epsilon, double delta,
                                             int64_t max_steps,
                                             accounting::AccountantKind kind =
                                                 accounting::AccountantKind::kRdp);

}  // namespace dpkit::train

#endif  // DPKIT_TRAIN_PRIVACY_H_
