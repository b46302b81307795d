// Private: per-kind accountant factories and helpers shared by the accountant implementations.
#ifndef DPKIT_SRC_ACCOUNTING_ACCOUNTANT_INTERNAL_H_
#define DPKIT_SRC_ACCOUNTING_ACCOUNTANT_INTERNAL_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "dpkit/accounting/accountant.h"

namespace dpkit::accounting::internal {

std::unique_ptr<Accountant> NewBasicAccountant(const AccountantOptions& options);
std::unique_ptr<Accountant> NewZcdpAccountant(const AccountantOptions& options);
absl::StatusOr<std::unique_ptr<Accountant>> NewRdpAccountant(const AccountantOptions& options);
absl::StatusOr<std::unique_ptr<Accountant>> NewPldAccountant(const AccountantOptions& options);

// Validates the argument of Epsilon(delta): delta in [0, 1).
absl::Status ValidateQueryDelta(double delta);
// Validates the argument of Delta(epsilon): finite and >= 0.
absl::Status ValidateQueryEpsilon(double epsilon);

// The smallest delta in [0, 1] with epsilon_of_delta(delta) <= epsilon, found by bisection in
// log(delta) (epsilon_of_delta must be non-increasing). Returns 1 when even delta -> 1 does not
// reach epsilon. The answer is an upper bound within a relative 1e-9 of the exact inverse.
absl::StatusOr<double> InvertEpsilonOfDelta(
    const std::function<absl::StatusOr<double>(double)>& epsilon_of_delta, double epsilon);

}  // namespace dpkit::accounting::internal

#endif  // DPKIT_SRC_ACCOUNTING_ACCOUNTANT_INTERNAL_H_
