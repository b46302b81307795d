// absl::Status -> Python exceptions.
//
// Every binding calls the library through OrThrow()/ThrowIfError(): a non-OK status becomes a
// StatusError, which the translator registered by RegisterStatusTranslator() raises as the
// exception class dpkit.errors chooses for the status code (BudgetExhausted for
// ResourceExhausted, InvalidArgument for InvalidArgument/OutOfRange, ...), with the library's
// message unchanged and the CLI exit code the same status would give (dpkit::ExitCodeFor).
#ifndef DPKIT_PYTHON_STATUS_H_
#define DPKIT_PYTHON_STATUS_H_

#include <exception>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dpkit::python {

class StatusError : public std::exception {
 public:
  explicit StatusError(absl::Status status) : status_(std::move(status)) {}
  const absl::Status& status() const { return status_; }
  const char* what() const noexcept override { return "dpkit status error"; }

 private:
  absl::Status status_;
};

inline void ThrowIfError(const absl::Status& status) {
  if (!status.ok()) throw StatusError(status);
}

template <typename T>
T OrThrow(absl::StatusOr<T> value) {
  if (!value.ok()) throw StatusError(value.status());
  return *std::move(value);
}

// Shorthand for an InvalidArgument raised by the bindings themselves (argument shapes/types).
[[noreturn]] void ThrowInvalidArgument(const std::string& message);

void RegisterStatusTranslator();

}  // namespace dpkit::python

#endif  // DPKIT_PYTHON_STATUS_H_
