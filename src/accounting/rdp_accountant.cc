// The RDP accountant: per-order RDP curves add (Mironov 2017, Prop. 1); see dpkit/accounting/
// rdp.h for the per-map curves and the conversion to (epsilon, delta).
#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "accounting/accountant_internal.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/accounting/rdp.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::accounting::internal {
namespace {

class RdpAccountant final : public Accountant {
 public:
  RdpAccountant(const AccountantOptions& options, std::vector<double> orders)
      : options_(options), orders_(std::move(orders)), rdp_(orders_.size(), 0.0) {}

  AccountantKind kind() const override { return AccountantKind::kRdp; }

  absl::Status Add(const PrivacyMap& map) override {
    DPKIT_ASSIGN_OR_RETURN(const std::vector<double> curve, PrivacyMapRdp(map, orders_));
    for (size_t i = 0; i < rdp_.size(); ++i) rdp_[i] += curve[i];
    ++count_;
    return absl::OkStatus();
  }

  absl::StatusOr<double> Epsilon(double delta) const override {
    DPKIT_RETURN_IF_ERROR(ValidateQueryDelta(delta));
    if (count_ == 0) return 0.0;
    DPKIT_ASSIGN_OR_RETURN(const RdpConversionResult r,
                           RdpToEpsilon(orders_, rdp_, delta, options_.rdp_conversion));
    last_order_ = r.order;
    return r.value;
  }

  absl::StatusOr<double> Delta(double epsilon) const override {
    DPKIT_RETURN_IF_ERROR(ValidateQueryEpsilon(epsilon));
    if (count_ == 0) return 0.0;
    DPKIT_ASSIGN_OR_RETURN(const RdpConversionResult r,
                           RdpToDelta(orders_, rdp_, epsilon, options_.rdp_conversion));
    last_order_ = r.order;
    return r.value;
  }

  std::unique_ptr<Accountant> Clone() const override {
    return std::make_unique<RdpAccountant>(*this);
  }

  std::vector<std::string> Notes() const override {
    std::vector<std::string> notes;
    notes.push_back(absl::StrCat(
        "RDP over ", orders_.size(), " orders in [", FormatDouble(orders_.front()), ", ",
        FormatDouble(orders_.back()), "]; conversion: ",
        options_.rdp_conversion == RdpConversion::kImproved
            ? "improved (Canonne-Kamath-Steinke 2020 / Asoodeh et al. 2021)"
            : "classic (Mironov 2017 Prop. 3)"));
    if (last_order_ > 0) {
      notes.push_back(absl::StrCat("optimal RDP order ", FormatDouble(last_order_)));
      if (last_order_ == orders_.front() || last_order_ == orders_.back()) {
        notes.push_back("the optimal order is at the edge of the order grid: a wider grid may "
                        "give a smaller epsilon");
      }
    }
    return notes;
  }

 private:
  AccountantOptions options_;
  std::vector<double> orders_;
  std::vector<double> rdp_;
  int64_t count_ = 0;
  mutable double last_order_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Accountant>> NewRdpAccountant(const AccountantOptions& options) {
  std::vector<double> orders =
      options.rdp_orders.empty() ? DefaultRdpOrders() : options.rdp_orders;
  std::sort(orders.begin(), orders.end());
  orders.erase(std::unique(orders.begin(), orders.end()), orders.end());
  for (double a : orders) {
    if (!std::isfinite(a) || !(a > 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("rdp_orders must be finite and > 1, got ", FormatDouble(a)));
    }
  }
  return std::unique_ptr<Accountant>(std::make_unique<RdpAccountant>(options, std::move(orders)));
}

}  // namespace dpkit::accounting::internal
