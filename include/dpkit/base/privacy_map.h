// PrivacyMap: what a mechanism (or a whole release) costs, carried as data.
//
// Every mechanism reports a PrivacyMap describing its privacy loss; accountants
// (dpkit/accounting) compose what mechanisms report instead of what callers claim, and the
// ledger (dpkit/ledger) stores PrivacyMaps (as JSON) for every charge. The fields that apply
// depend on `kind`; Validate() checks them.
//
// Neighbouring relation: the guarantee is with respect to adding/removing (or changing, where
// the mechanism says so) all records of one privacy unit; `unit` in the ledger says which.
//
// Kinds and the fields they use:
//   kPureDp            epsilon                         (e.g. randomized response, exp. mech.)
//   kApproxDp          epsilon, delta                  (only basic/advanced composition apply)
//   kZcdp              rho                             (Bun & Steinke 2016)
//   kLaplace           noise_multiplier = b / Delta_1  (epsilon = 1/noise_multiplier; exact PLD)
//   kDiscreteLaplace   noise_multiplier = b / Delta_1  (integer-valued; same epsilon)
//   kGaussian          noise_multiplier = sigma / Delta_2  (rho = 1/(2 nm^2); exact PLD and RDP)
//   kDiscreteGaussian  noise_multiplier = sigma / Delta_2  (CKS20: same rho bound; RDP <= Gaussian)
//   kSubsampledGaussian noise_multiplier, sampling_rate q (Poisson), add/remove neighbours
//   kRdpCurve          rdp_orders[i] -> rdp_epsilons[i]  (a mechanism's RDP curve)
// Every kind may carry `repetitions`, an integer in [1, kMaxRepetitions]: the map is
// self-composed that many times (e.g. DP-SGD steps), so a training run is one PrivacyMap.
// FromJson rejects a non-integral, non-positive or larger value (DataLoss naming the field),
// never rounds it.
#ifndef DPKIT_BASE_PRIVACY_MAP_H_
#define DPKIT_BASE_PRIVACY_MAP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dpkit {

enum class PrivacyMapKind {
  kPureDp,
  kApproxDp,
  kZcdp,
  kLaplace,
  kDiscreteLaplace,
  kGaussian,
  kDiscreteGaussian,
  kSubsampledGaussian,
  kRdpCurve,
};

// Stable names used in JSON and the ledger ("pure_dp", "approx_dp", "zcdp", "laplace",
// "discrete_laplace", "gaussian", "discrete_gaussian", "subsampled_gaussian", "rdp_curve").
const char* PrivacyMapKindName(PrivacyMapKind kind);
absl::StatusOr<PrivacyMapKind> ParsePrivacyMapKind(const std::string& name);

struct PrivacyMap {
  // 2^40 (~1.1e12) self-compositions: far beyond any real schedule, small enough that sums of
  // repetitions over many ledger charges stay exact in int64 and double.
  static constexpr int64_t kMaxRepetitions = int64_t{1} << 40;

  PrivacyMapKind kind = PrivacyMapKind::kPureDp;
  std::string mechanism;  // human-readable name, e.g. "laplace", "aim/measure", "dp-sgd"
  double epsilon = 0;
  double delta = 0;
  double rho = 0;
  double noise_multiplier = 0;
  double sampling_rate = 1;
  int64_t repetitions = 1;
  std::vector<double> rdp_orders;
  std::vector<double> rdp_epsilons;

  // Convenience constructors.
  static PrivacyMap PureDp(double epsilon, std::string mechanism = "pure_dp");
  static PrivacyMap ApproxDp(double epsilon, double delta, std::string mechanism = "approx_dp");
  static PrivacyMap Zcdp(double rho, std::string mechanism = "zcdp");
  static PrivacyMap Laplace(double noise_multiplier, std::string mechanism = "laplace");
  static PrivacyMap Gaussian(double noise_multiplier, std::string mechanism = "gaussian");
  static PrivacyMap SubsampledGaussian(double noise_multiplier, double sampling_rate,
                                       int64_t steps, std::string mechanism = "dp-sgd");

  // Checks that the fields required by `kind` are present, finite and in range.
  absl::Status Validate() const;
  // JSON text (nlohmann-compatible object) and back; FromJson validates.
  std::string ToJson() const;
  static absl::StatusOr<PrivacyMap> FromJson(const std::string& json);
  // One-line description, e.g. "gaussian(noise_multiplier=2.5) x 10".
  std::string ToString() const;
};

}  // namespace dpkit

#endif  // DPKIT_BASE_PRIVACY_MAP_H_
