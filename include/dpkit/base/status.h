// dpkit error conventions.
//
// The library never throws across its API: fallible functions return absl::Status or
// absl::StatusOr<T>. Error messages name the parameter (or file/line/column) and the bad
// value, e.g. "epsilon must be finite and > 0, got -1".
//
// Status code conventions (the CLI maps them to exit codes, see ExitCodeFor):
//   InvalidArgument, OutOfRange   -> bad parameter or usage             (exit 2)
//   ResourceExhausted             -> privacy budget exhausted           (exit 3)
//                                    (only the ledger's refusal; never a full disk, see env.h)
//   DataLoss                      -> malformed or corrupted input data  (exit 4)
//   NotFound                      -> missing file / dataset / column    (exit 4)
//   FailedPrecondition            -> data cannot support the request    (exit 4)
//   Unavailable                   -> file locked, disk full, I/O error  (exit 4)
//   PermissionDenied, AlreadyExists -> file system refused              (exit 4)
//   anything else                 -> internal error                     (exit 1)
#ifndef DPKIT_BASE_STATUS_H_
#define DPKIT_BASE_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define DPKIT_STATUS_CONCAT_INNER_(a, b) a##b
#define DPKIT_STATUS_CONCAT_(a, b) DPKIT_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define DPKIT_RETURN_IF_ERROR(expr)                  \
  do {                                               \
    if (::absl::Status _dpkit_status = (expr);       \
        !_dpkit_status.ok()) {                       \
      return _dpkit_status;                          \
    }                                                \
  } while (0)

// DPKIT_ASSIGN_OR_RETURN(auto x, StatusOrExpr()); declares/assigns `lhs` or returns the error.
#define DPKIT_ASSIGN_OR_RETURN(lhs, expr) \
  DPKIT_ASSIGN_OR_RETURN_IMPL_(DPKIT_STATUS_CONCAT_(_dpkit_statusor_, __LINE__), lhs, expr)
#define DPKIT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

namespace dpkit {

// Process exit codes shared by every CLI verb (DESIGN.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,
  kExitBudgetExhausted = 3,
  kExitDataError = 4,
};

// Maps a status to the CLI exit code documented above.
int ExitCodeFor(const absl::Status& status);

// Convenience constructor for malformed input data (status code DataLoss).
absl::Status DataError(std::string_view message);

}  // namespace dpkit

#endif  // DPKIT_BASE_STATUS_H_
