// The zCDP accountant: rhos add (Bun & Steinke 2016, Lemma 2.3); see dpkit/accounting/zcdp.h
// for the per-map rhos and the conversion to (epsilon, delta).
#include <memory>

#include "absl/strings/str_cat.h"
#include "accounting/accountant_internal.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/accounting/zcdp.h"
#include "dpkit/base/status.h"

namespace dpkit::accounting::internal {
namespace {

class ZcdpAccountant final : public Accountant {
 public:
  explicit ZcdpAccountant(const AccountantOptions& options) : options_(options) {}

  AccountantKind kind() const override { return AccountantKind::kZcdp; }

  absl::Status Add(const PrivacyMap& map) override {
    DPKIT_RETURN_IF_ERROR(map.Validate());
    const double reps = static_cast<double>(map.repetitions);
    double rho = 0;
    switch (map.kind) {
      case PrivacyMapKind::kPureDp:
        rho = PureDpToZcdp(map.epsilon);
        break;
      case PrivacyMapKind::kZcdp:
        rho = map.rho;
        break;
      case PrivacyMapKind::kLaplace:
      case PrivacyMapKind::kDiscreteLaplace:
        // (1/nm)-DP, hence (1/(2 nm^2))-zCDP (Bun & Steinke 2016, Prop. 1.4).
        rho = PureDpToZcdp(1.0 / map.noise_multiplier);
        AddNote(absl::StrCat(PrivacyMapKindName(map.kind),
                             " converted to zCDP through its pure epsilon (rho = eps^2/2); the "
                             "rdp or pld accountant is tighter for it"));
        break;
      case PrivacyMapKind::kGaussian:
      case PrivacyMapKind::kDiscreteGaussian:
        rho = GaussianZcdp(map.noise_multiplier);
        break;
      case PrivacyMapKind::kSubsampledGaussian:
        if (map.sampling_rate == 1) {
          rho = GaussianZcdp(map.noise_multiplier);
          break;
        }
        return absl::InvalidArgumentError(absl::StrCat(
            "the zcdp accountant cannot compose ", map.ToString(),
            ": a Poisson-subsampled Gaussian (sampling_rate < 1) has no useful zCDP bound; use "
            "the rdp or pld accountant"));
      case PrivacyMapKind::kApproxDp:
      case PrivacyMapKind::kRdpCurve:
        return absl::InvalidArgumentError(absl::StrCat(
            "the zcdp accountant cannot compose ", map.ToString(), ": ",
            map.kind == PrivacyMapKind::kApproxDp
                ? "(epsilon, delta)-DP has no zCDP bound; use the basic or pld accountant"
                : "an RDP curve on finitely many orders implies no rho; use the rdp accountant"));
    }
    rho_ += rho * reps;
    return absl::OkStatus();
  }

  absl::StatusOr<double> Epsilon(double delta) const override {
    DPKIT_RETURN_IF_ERROR(ValidateQueryDelta(delta));
    return ZcdpEpsilon(rho_, delta, options_.zcdp_conversion);
  }

  absl::StatusOr<double> Delta(double epsilon) const override {
    DPKIT_RETURN_IF_ERROR(ValidateQueryEpsilon(epsilon));
    return ZcdpDelta(rho_, epsilon, options_.zcdp_conversion);
  }

  std::unique_ptr<Accountant> Clone() const override {
    return std::make_unique<ZcdpAccountant>(*this);
  }

  std::vector<std::string> Notes() const override {
    std::vector<std::string> notes = notes_;
    notes.push_back(absl::StrCat("total rho = ", rho_, "; conversion to (epsilon, delta): ",
                                 options_.zcdp_conversion == ZcdpConversion::kCks20
                                     ? "Canonne-Kamath-Steinke 2020 Cor. 13"
                                     : "Bun-Steinke 2016 Prop. 1.3 (classic)"));
    return notes;
  }

  double rho() const { return rho_; }

 private:
  void AddNote(const std::string& note) {
    for (const auto& n : notes_) {
      if (n == note) return;
    }
    notes_.push_back(note);
  }

  AccountantOptions options_;
  double rho_ = 0;
  std::vector<std::string> notes_;
};

}  // namespace

std::unique_ptr<Accountant> NewZcdpAccountant(const AccountantOptions& options) {
  return std::make_unique<ZcdpAccountant>(options);
}

}  // namespace dpkit::accounting::internal
