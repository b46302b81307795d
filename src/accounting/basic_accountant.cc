// The basic accountant: sequential composition (Dwork & Roth 2014, Thm 3.16). Each added map
// (with its repetitions) is converted to its tightest (epsilon_i, delta_i) first:
//   pure_dp, laplace, discrete_laplace  -> (reps * eps, 0)
//   approx_dp                            -> (reps * eps, reps * delta)
//   gaussian                             -> exact analytic Gaussian (Balle & Wang 2018) with
//                                           noise multiplier nm / sqrt(reps) (a Gaussian
//                                           composed reps times is one Gaussian)
//   zcdp, discrete_gaussian              -> CKS20 conversion of reps * rho
//   subsampled_gaussian, rdp_curve       -> improved RDP conversion of the map's RDP curve
// The delta left after the approx-DP deltas is split equally across the maps that need one.
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "accounting/accountant_internal.h"
#include "accounting/numerics.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/accounting/composition.h"
#include "dpkit/accounting/rdp.h"
#include "dpkit/accounting/zcdp.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::accounting::internal {
namespace {

bool NeedsDeltaShare(const PrivacyMap& m) {
  switch (m.kind) {
    case PrivacyMapKind::kPureDp:
    case PrivacyMapKind::kApproxDp:
    case PrivacyMapKind::kLaplace:
    case PrivacyMapKind::kDiscreteLaplace:
      return false;
    default:
      return true;
  }
}

class BasicAccountant final : public Accountant {
 public:
  explicit BasicAccountant(const AccountantOptions& options) : options_(options) {}

  AccountantKind kind() const override { return AccountantKind::kBasic; }

  absl::Status Add(const PrivacyMap& map) override {
    DPKIT_RETURN_IF_ERROR(map.Validate());
    if ((map.kind == PrivacyMapKind::kSubsampledGaussian && map.sampling_rate < 1) ||
        map.kind == PrivacyMapKind::kRdpCurve) {
      // Precompute the map's RDP curve (the expensive part) once.
      DPKIT_ASSIGN_OR_RETURN(std::vector<double> curve, PrivacyMapRdp(map, orders()));
      curves_.push_back(std::move(curve));
    } else {
      curves_.emplace_back();
    }
    maps_.push_back(map);
    return absl::OkStatus();
  }

  absl::StatusOr<double> Epsilon(double delta) const override {
    DPKIT_RETURN_IF_ERROR(ValidateQueryDelta(delta));
    const FixedPart f = SumFixed();
    double eps = f.epsilon;
    if (f.delta > delta) return kInf;
    if (f.shares == 0) return eps;
    const double share = (delta - f.delta) / f.shares;
    if (!(share > 0)) return kInf;
    for (size_t i = 0; i < maps_.size(); ++i) {
      if (!NeedsDeltaShare(maps_[i])) continue;
      DPKIT_ASSIGN_OR_RETURN(const double e, MapEpsilon(maps_[i], curves_[i], share));
      eps += e;
    }
    return eps;
  }

  absl::StatusOr<double> Delta(double epsilon) const override {
    // Pure and approx-DP maps only: epsilon(delta) is a step function (sum of epsilons once
    // delta reaches the sum of deltas), so the smallest delta is that sum exactly (0 if the
    // epsilons fit, 1 otherwise). A numerical inversion would overshoot the sum by rounding
    // and make a charge of exactly the remaining delta look over budget.
    const FixedPart f = SumFixed();
    if (f.shares == 0) {
      DPKIT_RETURN_IF_ERROR(ValidateNonNegativeFinite("epsilon", epsilon));
      return f.epsilon <= epsilon ? f.delta : 1.0;
    }
    return InvertEpsilonOfDelta([this](double d) { return Epsilon(d); }, epsilon);
  }

  std::unique_ptr<Accountant> Clone() const override {
    return std::make_unique<BasicAccountant>(*this);
  }

  std::vector<std::string> Notes() const override {
    std::vector<std::string> notes;
    int shares = 0;
    bool dg = false;
    for (const PrivacyMap& m : maps_) {
      shares += NeedsDeltaShare(m) ? 1 : 0;
      dg = dg || m.kind == PrivacyMapKind::kDiscreteGaussian;
    }
    if (shares > 1) {
      notes.push_back(absl::StrCat(
          "basic composition splits the delta left after approx-DP deltas equally across ", shares,
          " maps that need one; the rdp or pld accountant is tighter"));
    }
    if (dg) {
      notes.push_back(
          "discrete Gaussian converted through its zCDP bound rho = 1/(2 nm^2) (CKS20 Thm 4)");
    }
    return notes;
  }

 private:
  // The maps with a fixed (epsilon, delta): pure, approx and Laplace. `shares` counts the others,
  // which each take an equal share of the remaining delta.
  struct FixedPart {
    double epsilon = 0;
    double delta = 0;
    int shares = 0;
  };
  FixedPart SumFixed() const {
    FixedPart f;
    for (const PrivacyMap& m : maps_) {
      const double reps = static_cast<double>(m.repetitions);
      switch (m.kind) {
        case PrivacyMapKind::kPureDp:
          f.epsilon += reps * m.epsilon;
          break;
        case PrivacyMapKind::kApproxDp:
          f.epsilon += reps * m.epsilon;
          f.delta += reps * m.delta;
          break;
        case PrivacyMapKind::kLaplace:
        case PrivacyMapKind::kDiscreteLaplace:
          f.epsilon += reps / m.noise_multiplier;
          break;
        default:
          ++f.shares;
      }
    }
    return f;
  }

  // Tightest epsilon of one map (with repetitions) at the given delta.
  absl::StatusOr<double> MapEpsilon(const PrivacyMap& m, const std::vector<double>& curve,
                                    double delta) const {
    const double reps = static_cast<double>(m.repetitions);
    if (!curve.empty()) {
      DPKIT_ASSIGN_OR_RETURN(const RdpConversionResult r,
                             RdpToEpsilon(orders(), curve, delta, options_.rdp_conversion));
      return r.value;
    }
    switch (m.kind) {
      case PrivacyMapKind::kGaussian:
        return GaussianEpsilon(m.noise_multiplier / std::sqrt(reps), delta);
      case PrivacyMapKind::kSubsampledGaussian:  // sampling_rate == 1 here
        return GaussianEpsilon(m.noise_multiplier / std::sqrt(reps), delta);
      case PrivacyMapKind::kDiscreteGaussian:
        return ZcdpEpsilon(reps * GaussianZcdp(m.noise_multiplier), delta,
                           ZcdpConversion::kCks20);
      case PrivacyMapKind::kZcdp:
        return ZcdpEpsilon(reps * m.rho, delta, ZcdpConversion::kCks20);
      default:
        return absl::InternalError(
            absl::StrCat("basic accountant: no conversion for ", m.ToString()));
    }
  }

  const std::vector<double>& orders() const {
    return options_.rdp_orders.empty() ? DefaultRdpOrders() : options_.rdp_orders;
  }

  AccountantOptions options_;
  std::vector<PrivacyMap> maps_;
  std::vector<std::vector<double>> curves_;  // RDP curve per map where used, else empty
};

}  // namespace

std::unique_ptr<Accountant> NewBasicAccountant(const AccountantOptions& options) {
  return std::make_unique<BasicAccountant>(options);
}

}  // namespace dpkit::accounting::internal
