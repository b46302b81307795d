// The PLD accountant: numerical composition of privacy loss distributions (dpkit/accounting/
// pld.h). It answers with the smallest of three sound bounds: the PLD upper bound (maps without
// a PLD -- zcdp, discrete_gaussian, rdp_curve -- are composed by RDP and added to the PLD part by
// basic composition over a few splits of delta or epsilon), the RDP bound of all maps, and basic
// composition. It never fails on extreme parameters: when the PLD cannot be built within the
// grid cap it falls back to RDP/basic and says so in Notes().
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "accounting/accountant_internal.h"
#include "accounting/numerics.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/accounting/pld.h"
#include "dpkit/accounting/rdp.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::accounting::internal {
namespace {

constexpr double kSplits[] = {0.5, 0.25, 0.75, 0.1, 0.9, 0.05, 0.95, 0.01, 0.99};

class PldAccountant final : public Accountant {
 public:
  PldAccountant(const AccountantOptions& options, std::vector<double> orders,
                std::unique_ptr<Accountant> basic)
      : options_(options),
        orders_(std::move(orders)),
        rdp_all_(orders_.size(), 0.0),
        rdp_only_(orders_.size(), 0.0),
        basic_(std::move(basic)) {}

  PldAccountant(const PldAccountant& other)
      : options_(other.options_),
        orders_(other.orders_),
        pld_maps_(other.pld_maps_),
        rdp_all_(other.rdp_all_),
        rdp_all_valid_(other.rdp_all_valid_),
        rdp_only_(other.rdp_only_),
        has_rdp_only_(other.has_rdp_only_),
        count_(other.count_),
        basic_(other.basic_->Clone()),
        pld_(other.pld_),
        pld_status_(other.pld_status_),
        pld_dirty_(other.pld_dirty_) {}

  AccountantKind kind() const override { return AccountantKind::kPld; }

  absl::Status Add(const PrivacyMap& map) override {
    DPKIT_RETURN_IF_ERROR(map.Validate());
    std::optional<std::vector<double>> curve;
    if (map.kind != PrivacyMapKind::kApproxDp) {
      DPKIT_ASSIGN_OR_RETURN(curve, PrivacyMapRdp(map, orders_));
    }
    // Basic accepts every kind; add there first so a failure leaves no partial state.
    DPKIT_RETURN_IF_ERROR(basic_->Add(map));
    if (curve) {
      for (size_t i = 0; i < orders_.size(); ++i) rdp_all_[i] += (*curve)[i];
    } else {
      rdp_all_valid_ = false;
    }
    if (HasPld(map)) {
      pld_maps_.push_back(map);
      pld_dirty_ = true;
    } else {
      for (size_t i = 0; i < orders_.size(); ++i) rdp_only_[i] += (*curve)[i];
      has_rdp_only_ = true;
    }
    ++count_;
    return absl::OkStatus();
  }

  absl::StatusOr<double> Epsilon(double delta) const override {
    DPKIT_ASSIGN_OR_RETURN(const EpsilonAnswer a, ExplainEpsilon(delta));
    return a.epsilon;
  }

  // The smallest of the RDP bound, the PLD upper bound (plus RDP for maps without a PLD) and
  // basic composition, with every candidate and the PLD's own bound.
  absl::StatusOr<EpsilonAnswer> ExplainEpsilon(double delta) const override {
    DPKIT_RETURN_IF_ERROR(ValidateQueryDelta(delta));
    EpsilonAnswer answer;
    if (count_ == 0) return answer;
    Best best;
    auto offer = [&](double v, const std::string& bound) {
      answer.candidates.push_back({bound, v});
      best.Offer(v, bound);
    };
    if (rdp_all_valid_) {
      DPKIT_ASSIGN_OR_RETURN(const RdpConversionResult r,
                             RdpToEpsilon(orders_, rdp_all_, delta, options_.rdp_conversion));
      offer(r.value, "RDP bound");
    }
    if (const PldComposition* pld = Pld()) {
      if (!has_rdp_only_) {
        const PldBound b = pld->Epsilon(delta);
        answer.pld = EpsilonAnswer::Pld{b, pld->epsilon_error(), pld->delta_error(),
                                        pld->grid_points()};
        offer(b.upper, "PLD upper bound");
      } else {
        double split_best = kInf;
        for (double f : kSplits) {
          DPKIT_ASSIGN_OR_RETURN(
              const RdpConversionResult r,
              RdpToEpsilon(orders_, rdp_only_, (1 - f) * delta, options_.rdp_conversion));
          split_best = std::min(split_best, pld->Epsilon(f * delta).upper + r.value);
        }
        offer(split_best, "PLD upper bound + RDP for the maps without a PLD (basic composition)");
      }
    }
    DPKIT_ASSIGN_OR_RETURN(const double basic, basic_->Epsilon(delta));
    offer(basic, "basic composition");
    method_ = best.method;
    answer.epsilon = best.value;
    answer.bound = best.method;
    return answer;
  }

  absl::StatusOr<double> Delta(double epsilon) const override {
    DPKIT_RETURN_IF_ERROR(ValidateQueryEpsilon(epsilon));
    if (count_ == 0) return 0.0;
    Best best;
    if (rdp_all_valid_) {
      DPKIT_ASSIGN_OR_RETURN(const RdpConversionResult r,
                             RdpToDelta(orders_, rdp_all_, epsilon, options_.rdp_conversion));
      best.Offer(r.value, "RDP bound");
    }
    if (const PldComposition* pld = Pld()) {
      if (!has_rdp_only_) {
        best.Offer(pld->Delta(epsilon).upper, "PLD upper bound");
      } else {
        for (double f : kSplits) {
          DPKIT_ASSIGN_OR_RETURN(
              const RdpConversionResult r,
              RdpToDelta(orders_, rdp_only_, (1 - f) * epsilon, options_.rdp_conversion));
          best.Offer(std::min(1.0, pld->Delta(f * epsilon).upper + r.value),
                     "PLD upper bound + RDP for the maps without a PLD (basic composition)");
        }
      }
    }
    DPKIT_ASSIGN_OR_RETURN(const double basic, basic_->Delta(epsilon));
    best.Offer(basic, "basic composition");
    method_ = best.method;
    return best.value;
  }

  std::unique_ptr<Accountant> Clone() const override {
    return std::make_unique<PldAccountant>(*this);
  }

  std::vector<std::string> Notes() const override {
    std::vector<std::string> notes;
    if (const PldComposition* pld = Pld()) {
      for (const auto& n : pld->Notes()) notes.push_back(n);
    } else if (!pld_status_.ok()) {
      notes.push_back(absl::StrCat("PLD fell back to RDP/basic composition: ",
                                   pld_status_.message()));
    }
    if (has_rdp_only_) {
      notes.push_back("zcdp, discrete_gaussian and rdp_curve maps have no PLD here: composed by "
                      "RDP and added to the PLD part by basic composition");
    }
    if (!method_.empty()) notes.push_back(absl::StrCat("answer from: ", method_));
    return notes;
  }

 private:
  struct Best {
    double value = kInf;
    std::string method = "none";
    void Offer(double v, const std::string& m) {
      if (v < value) {
        value = v;
        method = m;
      }
    }
  };

  // The composed PLD of the PLD-capable maps, or null (no such maps, or it failed).
  const PldComposition* Pld() const {
    if (pld_maps_.empty()) return nullptr;
    if (pld_dirty_) {
      auto c = PldComposition::Create(pld_maps_, options_.pld);
      if (c.ok()) {
        pld_ = std::make_shared<PldComposition>(std::move(*c));
        pld_status_ = absl::OkStatus();
      } else {
        pld_.reset();
        pld_status_ = c.status();
      }
      pld_dirty_ = false;
    }
    return pld_.get();
  }

  AccountantOptions options_;
  std::vector<double> orders_;
  std::vector<PrivacyMap> pld_maps_;
  std::vector<double> rdp_all_;
  bool rdp_all_valid_ = true;
  std::vector<double> rdp_only_;
  bool has_rdp_only_ = false;
  int64_t count_ = 0;
  std::unique_ptr<Accountant> basic_;
  mutable std::shared_ptr<const PldComposition> pld_;
  mutable absl::Status pld_status_;
  mutable bool pld_dirty_ = false;
  mutable std::string method_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Accountant>> NewPldAccountant(const AccountantOptions& options) {
  std::vector<double> orders =
      options.rdp_orders.empty() ? DefaultRdpOrders() : options.rdp_orders;
  for (double a : orders) {
    if (!std::isfinite(a) || !(a > 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("rdp_orders must be finite and > 1, got ", FormatDouble(a)));
    }
  }
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("pld.epsilon_error", options.pld.epsilon_error));
  return std::unique_ptr<Accountant>(std::make_unique<PldAccountant>(
      options, std::move(orders), NewBasicAccountant(options)));
}

}  // namespace dpkit::accounting::internal
