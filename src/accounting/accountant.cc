#include "dpkit/accounting/accountant.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "accounting/accountant_internal.h"
#include "accounting/numerics.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::accounting {

const char* AccountantKindName(AccountantKind kind) {
  switch (kind) {
    case AccountantKind::kBasic:
      return "basic";
    case AccountantKind::kZcdp:
      return "zcdp";
    case AccountantKind::kRdp:
      return "rdp";
    case AccountantKind::kPld:
      return "pld";
  }
  return "unknown";
}

absl::StatusOr<AccountantKind> ParseAccountantKind(const std::string& name) {
  for (AccountantKind k : {AccountantKind::kBasic, AccountantKind::kZcdp, AccountantKind::kRdp,
                           AccountantKind::kPld}) {
    if (name == AccountantKindName(k)) return k;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown accountant '", name, "': use one of basic, zcdp, rdp, pld"));
}

absl::StatusOr<EpsilonAnswer> Accountant::ExplainEpsilon(double delta) const {
  DPKIT_ASSIGN_OR_RETURN(const double epsilon, Epsilon(delta));
  EpsilonAnswer a;
  a.epsilon = epsilon;
  a.bound = absl::StrCat(AccountantKindName(kind()), " accountant");
  a.candidates.push_back({a.bound, epsilon});
  return a;
}

absl::StatusOr<std::unique_ptr<Accountant>> CreateAccountant(AccountantKind kind) {
  return CreateAccountant(kind, AccountantOptions());
}

absl::StatusOr<std::unique_ptr<Accountant>> CreateAccountant(AccountantKind kind,
                                                             const AccountantOptions& options) {
  switch (kind) {
    case AccountantKind::kBasic:
      return internal::NewBasicAccountant(options);
    case AccountantKind::kZcdp:
      return internal::NewZcdpAccountant(options);
    case AccountantKind::kRdp:
      return internal::NewRdpAccountant(options);
    case AccountantKind::kPld:
      return internal::NewPldAccountant(options);
  }
  return absl::InvalidArgumentError("unknown accountant kind");
}

namespace internal {

absl::Status ValidateQueryDelta(double delta) {
  return ValidateDelta("delta", delta, /*allow_zero=*/true);
}

absl::Status ValidateQueryEpsilon(double epsilon) {
  return ValidateNonNegativeFinite("epsilon", epsilon);
}

absl::StatusOr<double> InvertEpsilonOfDelta(
    const std::function<absl::StatusOr<double>(double)>& epsilon_of_delta, double epsilon) {
  DPKIT_RETURN_IF_ERROR(ValidateQueryEpsilon(epsilon));
  DPKIT_ASSIGN_OR_RETURN(const double at_zero, epsilon_of_delta(0.0));
  if (at_zero <= epsilon) return 0.0;
  // Largest delta we query: just below 1.
  constexpr double kDeltaMax = 1.0 - 1e-15;
  DPKIT_ASSIGN_OR_RETURN(const double at_max, epsilon_of_delta(kDeltaMax));
  if (at_max > epsilon) return 1.0;
  // Bisection on log(delta) in [log(1e-300), log(kDeltaMax)].
  double lo = std::log(1e-300);
  double hi = std::log(kDeltaMax);
  DPKIT_ASSIGN_OR_RETURN(const double at_lo, epsilon_of_delta(std::exp(lo)));
  if (at_lo <= epsilon) return std::exp(lo);
  for (int i = 0; i < 200 && hi - lo > 1e-10; ++i) {
    const double mid = 0.5 * (lo + hi);
    DPKIT_ASSIGN_OR_RETURN(const double e, epsilon_of_delta(std::exp(mid)));
    if (e <= epsilon) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return std::min(1.0, std::exp(hi));
}

}  // namespace internal
}  // namespace dpkit::accounting
