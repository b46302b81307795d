#include "dpkit/base/status.h"

namespace dpkit {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return kExitUsage;
    case absl::StatusCode::kResourceExhausted:
      return kExitBudgetExhausted;
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
      return kExitDataError;
    default:
      return kExitInternal;
  }
}

absl::Status DataError(std::string_view message) { return absl::DataLossError(std::string(message)); }

}  // namespace dpkit
